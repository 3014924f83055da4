// What a collection's items can be searched by without reading them: text
// values per field (headers, body text, an iCalendar UID, a card's names) and
// time ranges (an internal date, an event's occurrences). Written with the
// item, in the same transaction; searched by store/sql/search.ts.
import type { Migration } from './index.ts';

export const itemIndex: Migration = {
  version: 2,
  name: 'item index',
  sql: `
CREATE TABLE item_fields (
  item_id {{big}} NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  collection_id {{big}} NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX item_fields_item ON item_fields (item_id);
-- values may be long (a body's text): the index keeps their first 100 characters
CREATE INDEX item_fields_value ON item_fields (collection_id, field, substr(value, 1, 100));
CREATE TABLE item_ranges (
  item_id {{big}} NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  collection_id {{big}} NOT NULL,
  kind TEXT NOT NULL,
  start_at {{big}} NOT NULL,
  end_at {{big}} NOT NULL
);
CREATE INDEX item_ranges_item ON item_ranges (item_id);
CREATE INDEX item_ranges_start ON item_ranges (collection_id, kind, start_at);
`,
};
