// Whether a collection's items count against its space's quota, as a flag of
// the collection rather than a rule on its role: a group's member directory
// (cards the server writes) is made uncounted by core; the directories that
// exist already become uncounted here.
import type { Migration } from './index.ts';

export const countedCollections: Migration = {
  version: 8,
  name: 'per-collection quota counting',
  sql: `
ALTER TABLE collections ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;
UPDATE collections SET counted = 0 WHERE role = 'directory';
`,
};
