// The item index: writing it with an item, copying it with a copy, and
// compiling an ItemQuery into one SQL statement for either dialect. Every
// term selects from the index or the item row of one collection, so a search
// never reads an item's content.
import { Conflict } from '../errors.ts';
import type { ItemIndex, ItemQuery } from '../types.ts';
import type { SqlRunner, SqlValue } from './driver.ts';

/** Bounds a query from a client (a long IMAP SEARCH, a deep filter) before it reaches the database. */
const MAX_PARAMS = 5_000;
const MAX_DEPTH = 32;
/** the prefix of a value the database index keeps (see migration 002) */
const KEY = 100;

export async function writeIndex(tx: SqlRunner, itemId: number, collectionId: number, index: ItemIndex, replace: 'all' | 'named'): Promise<void> {
  const fields = Object.entries(index.fields ?? {});
  if (replace === 'all') {
    await tx.run('DELETE FROM item_fields WHERE item_id = $1', [itemId]);
    await tx.run('DELETE FROM item_ranges WHERE item_id = $1', [itemId]);
  } else {
    for (const [field] of fields) await tx.run('DELETE FROM item_fields WHERE item_id = $1 AND field = $2', [itemId, field]);
    if (index.ranges && index.ranges.length > 0) await tx.run('DELETE FROM item_ranges WHERE item_id = $1', [itemId]);
  }
  const fieldRows: SqlValue[][] = [];
  for (const [field, values] of fields) {
    for (const value of new Set(values)) fieldRows.push([itemId, collectionId, field, value]);
  }
  await insertRows(tx, 'item_fields (item_id, collection_id, field, value)', fieldRows);
  const rangeRows: SqlValue[][] = [];
  for (const r of index.ranges ?? []) {
    if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.end <= r.start) {
      throw new Conflict(`the range ${r.kind} [${r.start}, ${r.end}) is not a non-empty span of whole milliseconds`);
    }
    rangeRows.push([itemId, collectionId, r.kind, r.start, r.end]);
  }
  await insertRows(tx, 'item_ranges (item_id, collection_id, kind, start_at, end_at)', rangeRows);
}

/**
 * Inserts rows with multi-row INSERTs of 64, 32, … 1 rows (so that few
 * distinct statements are prepared, and parameters stay far below either
 * backend's limit).
 */
async function insertRows(tx: SqlRunner, target: string, rows: readonly SqlValue[][]): Promise<void> {
  for (let i = 0; i < rows.length;) {
    let n = 64;
    while (n > rows.length - i) n >>= 1;
    const width = rows[i]!.length;
    const tuples: string[] = [];
    for (let r = 0; r < n; r++) tuples.push(`(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
    await tx.run(`INSERT INTO ${target} VALUES ${tuples.join(', ')}`, rows.slice(i, i + n).flat());
    i += n;
  }
}

/** The index of an item, fields and values in sorted order. */
export async function readIndex(tx: SqlRunner, itemId: number): Promise<ItemIndex> {
  const fields: Record<string, string[]> = {};
  for (const r of await tx.all<{ field: string; value: string }>('SELECT field, value FROM item_fields WHERE item_id = $1 ORDER BY field, value', [itemId])) {
    (fields[r.field] ??= []).push(r.value);
  }
  const ranges = (await tx.all<{ kind: string; start_at: number; end_at: number }>(
    'SELECT kind, start_at, end_at FROM item_ranges WHERE item_id = $1 ORDER BY kind, start_at', [itemId]))
    .map((r) => ({ kind: r.kind, start: Number(r.start_at), end: Number(r.end_at) }));
  return { fields, ranges };
}

export function compileSearch(dialect: 'sqlite' | 'postgres', collectionId: number, query: ItemQuery): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [collectionId];
  const p = (v: SqlValue): string => {
    if (params.length >= MAX_PARAMS) throw new Conflict(`the search is too large (over ${MAX_PARAMS} terms)`);
    params.push(v);
    return `$${params.length}`;
  };
  const fieldsOf = (field: string, condition: string): string =>
    `i.id IN (SELECT f.item_id FROM item_fields f WHERE f.collection_id = $1 AND f.field = ${p(field)} AND ${condition})`;
  const term = (q: ItemQuery, depth: number): string => {
    if (depth > MAX_DEPTH) throw new Conflict(`the search is nested deeper than ${MAX_DEPTH} levels`);
    if ('all' in q) return '1 = 1';
    if ('equals' in q) {
      const v = p(q.equals);
      return fieldsOf(q.field, `substr(f.value, 1, ${KEY}) = substr(${v}, 1, ${KEY}) AND f.value = ${v}`);
    }
    if ('contains' in q) {
      if (q.contains === '') return fieldsOf(q.field, '1 = 1');
      const v = p(q.contains);
      return fieldsOf(q.field, dialect === 'sqlite' ? `instr(f.value, ${v}) > 0` : `strpos(f.value, ${v}) > 0`);
    }
    if ('overlaps' in q) {
      return `i.id IN (SELECT r.item_id FROM item_ranges r WHERE r.collection_id = $1 AND r.kind = ${p(q.range)}
        AND r.start_at < ${p(q.overlaps.end)} AND r.end_at > ${p(q.overlaps.start)})`;
    }
    if ('size' in q) {
      const parts: string[] = [];
      if (q.size.min !== undefined) parts.push(`i.size >= ${p(q.size.min)}`);
      if (q.size.max !== undefined) parts.push(`i.size <= ${p(q.size.max)}`);
      return parts.length ? `(${parts.join(' AND ')})` : '1 = 1';
    }
    if ('uids' in q) {
      if (q.uids.length === 0) return '1 = 0';
      return `(${q.uids.map(([a, b]) => (a === b ? `i.uid = ${p(a)}` : `i.uid BETWEEN ${p(Math.min(a, b))} AND ${p(Math.max(a, b))}`)).join(' OR ')})`;
    }
    if ('modseqAbove' in q) return `i.modseq > ${p(q.modseqAbove)}`;
    // substr counts characters (code points) in both dialects
    if ('namePrefix' in q) return q.namePrefix === '' ? 'i.name IS NOT NULL' : `substr(i.name, 1, ${[...q.namePrefix].length}) = ${p(q.namePrefix)}`;
    if ('and' in q) return q.and.length ? `(${q.and.map((x) => term(x, depth + 1)).join(' AND ')})` : '1 = 1';
    if ('or' in q) return q.or.length ? `(${q.or.map((x) => term(x, depth + 1)).join(' OR ')})` : '1 = 0';
    return `NOT (${term(q.not, depth + 1)})`;
  };
  const where = term(query, 0);
  return { sql: `SELECT i.uid FROM items i WHERE i.collection_id = $1 AND ${where} ORDER BY i.uid`, params };
}
