// The confirmed contact address of each account (sign-up's activation link,
// later password reset): the address, when it was confirmed, and the hash of
// the one link outstanding with its expiry. The link itself is never stored.
import type { Migration } from './index.ts';

export const accountContacts: Migration = {
  version: 6,
  name: 'account contact addresses and activation links',
  sql: `
CREATE TABLE account_contacts (
  account_id {{big}} PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  confirmed_at {{big}},
  token_hash TEXT UNIQUE,
  token_expires_at {{big}},
  created_at {{big}} NOT NULL
);
CREATE INDEX account_contacts_expiry ON account_contacts (token_expires_at);
`,
};
