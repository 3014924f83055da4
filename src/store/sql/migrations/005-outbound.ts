// Outbound mail: the queue of messages waiting to leave (one row per message
// and destination domain, the bytes kept with it so that a restart loses
// nothing), and the DKIM key of each hosted domain.
import type { Migration } from './index.ts';

export const outbound: Migration = {
  version: 5,
  name: 'outbound mail queue and dkim keys',
  sql: `
CREATE TABLE outbound_queue (
  id {{id}},
  account_id {{big}} REFERENCES accounts(id) ON DELETE SET NULL,
  sender TEXT NOT NULL,
  recipients TEXT NOT NULL,
  domain TEXT NOT NULL,
  raw {{bytes}} NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at {{big}} NOT NULL,
  lease_until {{big}} NOT NULL DEFAULT 0,
  expires_at {{big}} NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at {{big}} NOT NULL
);
CREATE INDEX outbound_queue_due ON outbound_queue (next_attempt_at);
CREATE TABLE dkim_keys (
  domain TEXT PRIMARY KEY,
  selector TEXT NOT NULL,
  private_key TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created_at {{big}} NOT NULL
);
`,
};
