// The listing of a big mailbox (uid, modseq, size, flags, internal date: what
// `UID FETCH 1:* (FLAGS)` and a syncing client read) from an index alone,
// without reading and parsing each message's meta (1 to 3 KB of MIME tree and
// envelope per message). The database keeps the two values in step with the
// meta on every write, and a write never fails for them: a meta it cannot
// read as JSON gets the value 'unreadable', which sql/mail.ts answers from
// the meta itself.
//  - SQLite: an index on the two expressions, which its planner uses as a
//    covering index for a query that names exactly these expressions (repeated
//    in sql/mail.ts, LISTED_META);
//  - PostgreSQL, whose planner cannot answer from an expression index alone:
//    the two values as stored generated columns, included in an index. jsonb
//    refuses some JSON text (\u0000 in a string), hence the function.
import type { Migration } from './index.ts';

export const mailListing: Migration = {
  version: 9,
  name: 'mail listing index',
  sql: {
    sqlite: `
CREATE INDEX items_mail_listing ON items (collection_id, uid, modseq, size,
  (CASE WHEN json_valid(meta) THEN meta -> 'flags' ELSE 'unreadable' END),
  (CASE WHEN json_valid(meta) THEN meta -> 'internalDate' ELSE 'unreadable' END));
`,
    postgres: `
CREATE FUNCTION bureau_meta_value(meta TEXT, key TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$ BEGIN RETURN ((meta::jsonb) -> key)::text; EXCEPTION WHEN others THEN RETURN 'unreadable'; END $fn$;
ALTER TABLE items ADD COLUMN meta_flags TEXT GENERATED ALWAYS AS (bureau_meta_value(meta, 'flags')) STORED;
ALTER TABLE items ADD COLUMN meta_internal_date TEXT GENERATED ALWAYS AS (bureau_meta_value(meta, 'internalDate')) STORED;
CREATE INDEX items_mail_listing ON items (collection_id, uid) INCLUDE (modseq, size, meta_flags, meta_internal_date);
`,
  },
};
