// Accounts, plans, groups, spaces, collections, items, the change log, grants,
// sessions, domains, quota usage and the blob trash.
import type { Migration } from './index.ts';

export const foundation: Migration = {
  version: 1,
  name: 'foundation',
  sql: `
CREATE TABLE plans (
  name TEXT PRIMARY KEY,
  mail_bytes {{big}} NOT NULL,
  files_bytes {{big}} NOT NULL,
  max_groups INTEGER NOT NULL,
  max_group_members INTEGER NOT NULL,
  features TEXT NOT NULL,
  paid INTEGER NOT NULL
);
CREATE TABLE accounts (
  id {{id}},
  address TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  plan TEXT NOT NULL REFERENCES plans(name),
  status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'disabled')),
  profile TEXT NOT NULL,
  idle_timeout_minutes INTEGER NOT NULL,
  created_at {{big}} NOT NULL,
  last_activity_at {{big}},
  lock_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE groups (
  id {{id}},
  name TEXT NOT NULL,
  -- lower case, NFC, made in JavaScript: SQLite's lower() folds ASCII only
  name_key TEXT NOT NULL,
  admin_id {{big}} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  member_rights TEXT NOT NULL,
  created_at {{big}} NOT NULL,
  lock_version INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX groups_name_key ON groups (name_key);
CREATE INDEX groups_admin ON groups (admin_id);
CREATE TABLE memberships (
  group_id {{big}} NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  account_id {{big}} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  rights TEXT NOT NULL,
  joined_at {{big}} NOT NULL,
  PRIMARY KEY (group_id, account_id)
);
CREATE INDEX memberships_account ON memberships (account_id);
CREATE TABLE spaces (
  id {{id}},
  account_id {{big}} UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
  group_id {{big}} UNIQUE REFERENCES groups(id) ON DELETE CASCADE,
  CHECK ((account_id IS NULL) <> (group_id IS NULL))
);
CREATE TABLE quota_usage (
  space_id {{big}} NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  bucket TEXT NOT NULL CHECK (bucket IN ('mail', 'files')),
  used_bytes {{big}} NOT NULL,
  PRIMARY KEY (space_id, bucket)
);
CREATE TABLE collections (
  id {{id}},
  space_id {{big}} NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  tool TEXT NOT NULL CHECK (tool IN ('mail', 'calendar', 'contacts', 'files')),
  parent_id {{big}} REFERENCES collections(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT,
  props TEXT NOT NULL,
  uid_validity {{big}} NOT NULL,
  uid_next {{big}} NOT NULL,
  modseq {{big}} NOT NULL,
  created_at {{big}} NOT NULL
);
CREATE UNIQUE INDEX collections_name ON collections (space_id, tool, COALESCE(parent_id, 0), name);
CREATE UNIQUE INDEX collections_role ON collections (space_id, tool, role) WHERE role IS NOT NULL;
CREATE INDEX collections_parent ON collections (parent_id);
CREATE TABLE items (
  id {{id}},
  collection_id {{big}} NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  uid {{big}} NOT NULL,
  name TEXT,
  blob_id TEXT,
  content {{bytes}},
  size {{big}} NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT NOT NULL,
  meta TEXT NOT NULL,
  modseq {{big}} NOT NULL,
  created_at {{big}} NOT NULL,
  updated_at {{big}} NOT NULL,
  UNIQUE (collection_id, uid),
  UNIQUE (collection_id, name)
);
CREATE INDEX items_blob ON items (blob_id) WHERE blob_id IS NOT NULL;
CREATE TABLE changes (
  collection_id {{big}} NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  modseq {{big}} NOT NULL,
  uid {{big}} NOT NULL,
  name TEXT,
  op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
  PRIMARY KEY (collection_id, modseq)
);
CREATE INDEX changes_uid ON changes (collection_id, uid);
CREATE TABLE grants (
  id {{id}},
  collection_id {{big}} NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  item_id {{big}} REFERENCES items(id) ON DELETE CASCADE,
  group_id {{big}} NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  rights TEXT NOT NULL,
  granted_by {{big}} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at {{big}} NOT NULL
);
CREATE UNIQUE INDEX grants_target ON grants (collection_id, COALESCE(item_id, 0), group_id);
CREATE INDEX grants_group ON grants (group_id);
CREATE INDEX grants_item ON grants (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX grants_by ON grants (granted_by);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  account_id {{big}} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at {{big}} NOT NULL,
  last_seen_at {{big}} NOT NULL,
  user_agent TEXT NOT NULL,
  client_address TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE TABLE domains (
  name TEXT PRIMARY KEY,
  owner_id {{big}} REFERENCES accounts(id) ON DELETE SET NULL,
  created_at {{big}} NOT NULL
);
CREATE TABLE blob_trash (
  id TEXT PRIMARY KEY
);
`,
};
