// Password reset links (only the hash of each link's token, one outstanding
// per account), addresses held back from reuse after their account was
// destroyed, and the profile photo of each account (kept apart from the
// account row, which every request reads).
import type { Migration } from './index.ts';

export const accountRecovery: Migration = {
  version: 7,
  name: 'password resets, held-back addresses, profile photos',
  sql: `
CREATE TABLE password_resets (
  account_id {{big}} PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  expires_at {{big}} NOT NULL,
  created_at {{big}} NOT NULL
);
CREATE INDEX password_resets_expiry ON password_resets (expires_at);
CREATE TABLE held_addresses (
  address TEXT PRIMARY KEY,
  held_until {{big}} NOT NULL
);
CREATE INDEX held_addresses_until ON held_addresses (held_until);
CREATE TABLE account_photos (
  account_id {{big}} PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  content_type TEXT NOT NULL,
  content {{bytes}} NOT NULL,
  updated_at {{big}} NOT NULL
);
`,
};
