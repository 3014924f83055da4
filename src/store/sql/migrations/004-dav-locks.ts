// WebDAV locks (RFC 4918), kept in the database so that every Bureau process
// behind a load balancer sees them. A lock is anchored on a collection: on the
// collection itself (name '') or on a name inside it (a file, or a name not
// yet used). Deleting the collection deletes its locks.
import type { Migration } from './index.ts';

export const davLocks: Migration = {
  version: 4,
  name: 'dav locks',
  sql: `
CREATE TABLE dav_locks (
  token TEXT PRIMARY KEY,
  anchor_id {{big}} NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  depth TEXT NOT NULL CHECK (depth IN ('0', 'infinity')),
  scope TEXT NOT NULL CHECK (scope IN ('exclusive', 'shared')),
  owner TEXT NOT NULL,
  account_id {{big}} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  root TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  expires_at {{big}} NOT NULL,
  created_at {{big}} NOT NULL
);
CREATE INDEX dav_locks_anchor ON dav_locks (anchor_id, name);
`,
};
