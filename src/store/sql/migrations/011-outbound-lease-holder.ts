// Who holds an outbound message's lease (host, process id and a random id of
// that boot of the server): a server starting again frees at once the
// messages an earlier boot of it was delivering when it died, instead of
// waiting for their leases to run out.
import type { Migration } from './index.ts';

export const outboundLeaseHolder: Migration = {
  version: 11,
  name: 'outbound lease holder',
  sql: `
ALTER TABLE outbound_queue ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
`,
};
