// Item writes on many items of one collection in one transaction, for mail:
// an IMAP STORE, COPY, MOVE or EXPUNGE may touch a whole mailbox, which item
// by item would be one durable commit per message. Each keeps the rules of
// the single-item writes (items.ts): the collection is locked before its items
// are read, every changed item takes its own new modseq and its change-log
// entry in the same transaction, quota moves with the data and freed blobs go
// to the trash. Statements carry a bounded number of rows each.
import { randomBytes } from 'node:crypto';
import { Conflict, NotFound } from '../errors.ts';
import { type CopiedItem, type CopyItems, type QuotaBucket, type Item, type ItemIndex, type ItemMetaRow, type MetaChange, type Tool } from '../types.ts';
import type { SqlDriver, SqlRunner, SqlValue } from './driver.ts';
import { ITEM_COLUMNS } from './items.ts';
import { toItem } from './rows.ts';
import { lockCollection, moveQuota, quotaBucketOf } from './writes.ts';

/** Rows per statement: well under both databases' limits on parameters. */
const CHUNK = 200;

function chunks<T>(list: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const marks = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');

/** The items of a collection with those uids, in uid order (uids that do not exist are skipped). */
async function itemsByUid(tx: SqlRunner, collectionId: number, uids: readonly number[]): Promise<Item[]> {
  const out: Item[] = [];
  for (const part of chunks([...new Set(uids)].sort((a, b) => a - b))) {
    const rows = await tx.all(
      `SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND uid IN (${marks(2, part.length)}) ORDER BY uid`,
      [collectionId, ...part]);
    out.push(...rows.map(toItem));
  }
  return out;
}

/** Takes `n` modseqs (and, with `uids`, n uids) of a collection the transaction has locked. */
async function take(tx: SqlRunner, collectionId: number, n: number, uids: boolean): Promise<{ firstModseq: number; firstUid: number; spaceId: number; tool: Tool; bucket: QuotaBucket | null }> {
  const row = await tx.get<{ modseq: number; uid_next: number; space_id: number; tool: Tool; counted: number }>(
    'UPDATE collections SET modseq = modseq + $2, uid_next = uid_next + $3 WHERE id = $1 RETURNING modseq, uid_next, space_id, tool, counted',
    [collectionId, n, uids ? n : 0]);
  if (!row) throw new NotFound(`collection ${collectionId} does not exist`);
  return {
    firstModseq: Number(row.modseq) - n + 1,
    firstUid: uids ? Number(row.uid_next) - n : 0,
    spaceId: Number(row.space_id),
    tool: row.tool,
    bucket: quotaBucketOf(row.tool, Number(row.counted) === 1),
  };
}

/** Logs one change per item (replacing each item's earlier entry) without announcing it. */
async function logChanges(tx: SqlRunner, collectionId: number, entries: readonly { uid: number; name: string | null; modseq: number }[], op: 'put' | 'delete'): Promise<void> {
  for (const part of chunks(entries)) {
    await tx.run(`DELETE FROM changes WHERE collection_id = $1 AND uid IN (${marks(2, part.length)})`, [collectionId, ...part.map((e) => e.uid)]);
    const params: SqlValue[] = [collectionId, op];
    const rows = part.map((e) => {
      params.push(e.modseq, e.uid, e.name);
      const n = params.length;
      return `($1, $${n - 2}, $${n - 1}, $${n}, $2)`;
    });
    await tx.run(`INSERT INTO changes (collection_id, modseq, uid, name, op) VALUES ${rows.join(', ')}`, params);
  }
}

/** Replaces the fields an index patch names (and all ranges when it has some), for many items. */
async function patchIndexes(tx: SqlRunner, collectionId: number, patches: readonly { itemId: number; index: ItemIndex }[]): Promise<void> {
  const byField = new Map<string, number[]>();
  const ranged: number[] = [];
  const fieldRows: [number, string, string][] = [];
  const rangeRows: [number, string, number, number][] = [];
  for (const { itemId, index } of patches) {
    for (const [field, values] of Object.entries(index.fields ?? {})) {
      (byField.get(field) ?? byField.set(field, []).get(field)!).push(itemId);
      for (const v of new Set(values)) fieldRows.push([itemId, field, v]);
    }
    if (index.ranges && index.ranges.length > 0) {
      ranged.push(itemId);
      for (const r of index.ranges) rangeRows.push([itemId, r.kind, r.start, r.end]);
    }
  }
  for (const [field, ids] of byField) {
    for (const part of chunks(ids)) {
      await tx.run(`DELETE FROM item_fields WHERE field = $1 AND item_id IN (${marks(2, part.length)})`, [field, ...part]);
    }
  }
  for (const part of chunks(ranged)) await tx.run(`DELETE FROM item_ranges WHERE item_id IN (${marks(1, part.length)})`, part);
  for (const part of chunks(fieldRows)) {
    const params: SqlValue[] = [collectionId];
    const rows = part.map(([id, f, v]) => {
      params.push(id, f, v);
      return `($${params.length - 2}, $1, $${params.length - 1}, $${params.length})`;
    });
    await tx.run(`INSERT INTO item_fields (item_id, collection_id, field, value) VALUES ${rows.join(', ')}`, params);
  }
  for (const part of chunks(rangeRows)) {
    const params: SqlValue[] = [collectionId];
    const rows = part.map(([id, k, s, e]) => {
      params.push(id, k, s, e);
      return `($${params.length - 3}, $1, $${params.length - 2}, $${params.length - 1}, $${params.length})`;
    });
    await tx.run(`INSERT INTO item_ranges (item_id, collection_id, kind, start_at, end_at) VALUES ${rows.join(', ')}`, params);
  }
}

export async function updateItemsMeta(
  driver: SqlDriver, collectionId: number, uids: readonly number[], change: (item: Item) => MetaChange | null,
): Promise<Item[]> {
  if (uids.length === 0) return [];
  return driver.transaction(async (tx) => {
    await lockCollection(tx, collectionId);
    const changed: { item: Item; change: MetaChange }[] = [];
    for (const item of await itemsByUid(tx, collectionId, uids)) {
      const c = change(item);
      if (c) changed.push({ item, change: c });
    }
    if (changed.length === 0) return [];
    const { firstModseq } = await take(tx, collectionId, changed.length, false);
    const out: Item[] = [];
    for (const [i, part] of chunks(changed).entries()) {
      const base = firstModseq + i * CHUNK;
      const params: SqlValue[] = [];
      const values = part.map(({ item, change: c }, j) => {
        params.push(item.id, JSON.stringify(c.meta), base + j);
        const n = params.length;
        return `(CAST($${n - 2} AS BIGINT), CAST($${n - 1} AS TEXT), CAST($${n} AS BIGINT))`;
      });
      const rows = await tx.all(
        `WITH v(id, meta, modseq) AS (VALUES ${values.join(', ')})
         UPDATE items SET meta = (SELECT v.meta FROM v WHERE v.id = items.id), modseq = (SELECT v.modseq FROM v WHERE v.id = items.id)
          WHERE id IN (SELECT v.id FROM v) RETURNING ${ITEM_COLUMNS}`, params);
      out.push(...rows.map(toItem));
    }
    await patchIndexes(tx, collectionId, changed.filter((c) => c.change.index).map((c) => ({ itemId: c.item.id, index: c.change.index! })));
    out.sort((a, b) => a.uid - b.uid);
    await logChanges(tx, collectionId, out.map((it) => ({ uid: it.uid, name: it.name, modseq: it.modseq })), 'put');
    await driver.announce(tx, `${collectionId}:${firstModseq + changed.length - 1}`);
    return out;
  });
}

export async function deleteItems(driver: SqlDriver, collectionId: number, uids: readonly number[], onFreed: () => void): Promise<Item[]> {
  if (uids.length === 0) return [];
  return driver.transaction(async (tx, afterCommit) => {
    await lockCollection(tx, collectionId);
    const items = await itemsByUid(tx, collectionId, uids);
    if (items.length === 0) return [];
    const t = await take(tx, collectionId, items.length, false);
    await removeItems(tx, collectionId, items, t.firstModseq);
    await moveQuota(tx, t.spaceId, t.bucket, -items.reduce((s, i) => s + i.size, 0), null);
    await trashUnreferenced(tx, items);
    await driver.announce(tx, `${collectionId}:${t.firstModseq + items.length - 1}`);
    afterCommit(onFreed);
    return items;
  });
}

async function removeItems(tx: SqlRunner, collectionId: number, items: readonly Item[], firstModseq: number): Promise<void> {
  for (const part of chunks(items)) {
    await tx.run(`DELETE FROM items WHERE id IN (${marks(1, part.length)})`, part.map((i) => i.id));
  }
  await logChanges(tx, collectionId, items.map((it, i) => ({ uid: it.uid, name: it.name, modseq: firstModseq + i })), 'delete');
}

/** Moves the blobs of removed items that no item references any more to the trash. */
async function trashUnreferenced(tx: SqlRunner, items: readonly Item[]): Promise<void> {
  const blobs = [...new Set(items.map((i) => i.blobId).filter((b): b is string => b !== null))];
  for (const part of chunks(blobs)) {
    await tx.run(
      `WITH v(id) AS (VALUES ${part.map((_, i) => `(CAST($${i + 1} AS TEXT))`).join(', ')})
       INSERT INTO blob_trash (id) SELECT v.id FROM v WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.blob_id = v.id)
       ON CONFLICT (id) DO NOTHING`, part);
  }
}

export async function copyItems(driver: SqlDriver, input: CopyItems, onFreed: () => void): Promise<CopiedItem[]> {
  if (input.uids.length === 0) return [];
  return driver.transaction(async (tx, afterCommit) => {
    // both collections are locked, in id order (two opposite moves cannot deadlock), before anything is read
    for (const id of [...new Set([input.fromCollectionId, input.toCollectionId])].sort((a, b) => a - b)) {
      await lockCollection(tx, id);
    }
    const sources = await itemsByUid(tx, input.fromCollectionId, input.uids);
    if (sources.length === 0) return [];
    if (input.move && input.fromCollectionId === input.toCollectionId) {
      throw new NotFound('items cannot be moved into the collection they are in');
    }
    const target = await take(tx, input.toCollectionId, sources.length, true);
    const bytes = sources.reduce((s, i) => s + i.size, 0);
    let source: { firstModseq: number; spaceId: number; tool: Tool; bucket: QuotaBucket | null } | null = null;
    if (input.move) source = await take(tx, input.fromCollectionId, sources.length, false);
    const sameBucket = source !== null && source.spaceId === target.spaceId && source.bucket === target.bucket;
    if (!sameBucket) await moveQuota(tx, target.spaceId, target.bucket, bytes, input.quotaLimit);
    const now = Date.now();
    const copies: Item[] = [];
    for (const [c, part] of chunks(sources).entries()) {
      const params: SqlValue[] = [input.toCollectionId, now];
      const values = part.map((s, j) => {
        const k = c * CHUNK + j;
        params.push(s.id, target.firstUid + k, target.firstModseq + k, randomBytes(10).toString('hex'));
        const n = params.length;
        return `(CAST($${n - 3} AS BIGINT), CAST($${n - 2} AS BIGINT), CAST($${n - 1} AS BIGINT), CAST($${n} AS TEXT))`;
      });
      const rows = await tx.all(
        `WITH m(old_id, uid, modseq, etag) AS (VALUES ${values.join(', ')})
         INSERT INTO items (collection_id, uid, name, blob_id, content, size, etag, content_type, meta, modseq, created_at, updated_at)
         SELECT $1, m.uid, i.name, i.blob_id, i.content, i.size, m.etag, i.content_type, i.meta, m.modseq, $2, $2
           FROM items i JOIN m ON m.old_id = i.id
         RETURNING ${ITEM_COLUMNS}`, params);
      copies.push(...rows.map(toItem));
      // the index goes with the copies
      const mapping = part.map((s, j) => [s.id, target.firstUid + c * CHUNK + j] as const);
      const mParams: SqlValue[] = [input.toCollectionId];
      const mValues = mapping.map(([oldId, uid]) => {
        mParams.push(oldId, uid);
        return `(CAST($${mParams.length - 1} AS BIGINT), CAST($${mParams.length} AS BIGINT))`;
      });
      const join = `WITH m(old_id, uid) AS (VALUES ${mValues.join(', ')})`;
      const newId = '(SELECT n.id FROM items n WHERE n.collection_id = $1 AND n.uid = m.uid)';
      await tx.run(`${join} INSERT INTO item_fields (item_id, collection_id, field, value)
        SELECT ${newId}, $1, f.field, f.value FROM item_fields f JOIN m ON f.item_id = m.old_id`, mParams);
      await tx.run(`${join} INSERT INTO item_ranges (item_id, collection_id, kind, start_at, end_at)
        SELECT ${newId}, $1, r.kind, r.start_at, r.end_at FROM item_ranges r JOIN m ON r.item_id = m.old_id`, mParams);
    }
    copies.sort((a, b) => a.uid - b.uid);
    await logChanges(tx, input.toCollectionId, copies.map((it) => ({ uid: it.uid, name: it.name, modseq: it.modseq })), 'put');
    if (source) {
      await removeItems(tx, input.fromCollectionId, sources, source.firstModseq);
      if (!sameBucket) await moveQuota(tx, source.spaceId, source.bucket, -bytes, null);
      await driver.announce(tx, `${input.fromCollectionId}:${source.firstModseq + sources.length - 1}`);
      afterCommit(onFreed);
    }
    await driver.announce(tx, `${input.toCollectionId}:${target.firstModseq + sources.length - 1}`);
    // sources and copies are both in uid order, and copies were given uids in source order
    return sources.map((s, i) => ({ source: s, copy: copies[i]! }));
  });
}

/** What the listing's expressions give for a meta the database cannot read as JSON (migration 009). */
const UNREADABLE = 'unreadable';

/**
 * Meta keys kept in the mail listing index (migration 009), as the SQL that
 * reads them from it: SQLite's expressions, written exactly as in its index so
 * that its planner answers from the index alone; PostgreSQL's generated columns.
 */
const LISTED_META: Readonly<Record<'sqlite' | 'postgres', Readonly<Record<string, string>>>> = {
  sqlite: {
    flags: "(CASE WHEN json_valid(meta) THEN meta -> 'flags' ELSE 'unreadable' END)",
    internalDate: "(CASE WHEN json_valid(meta) THEN meta -> 'internalDate' ELSE 'unreadable' END)",
  },
  postgres: { flags: 'meta_flags', internalDate: 'meta_internal_date' },
};

/** A JSON value from its text: the common ones (no flags, a date) without the parser. */
function jsonValue(text: string): unknown {
  if (text === '[]') return [];
  const c = text.charCodeAt(0);
  // a plain integer (an internal date) reads the same as a number
  if (c >= 48 && c <= 57 && text.length <= 15 && /^\d+$/.test(text)) return Number(text);
  return JSON.parse(text);
}

export async function listItemMeta(
  driver: SqlDriver, collectionId: number, keys: readonly string[], options: { afterUid?: number; limit?: number },
): Promise<ItemMetaRow[]> {
  if (keys.length > 16 || keys.some((k) => !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k))) {
    throw new Conflict('meta keys are 1 to 16 names of letters, digits and _');
  }
  // each key's value as JSON text: the keys of the mailbox listing from its
  // index, others extracted by the database (SQLite's ->, PostgreSQL's jsonb
  // -> through migration 009's function), each named by a parameter of its own
  const params: SqlValue[] = [collectionId, options.afterUid ?? 0, options.limit ?? Number.MAX_SAFE_INTEGER];
  const listed = LISTED_META[driver.kind];
  const columns = keys.map((k, i) => {
    if (Object.hasOwn(listed, k)) return `, ${listed[k]} AS k${i}`;
    params.push(k);
    return driver.kind === 'sqlite'
      ? `, (meta -> CAST($${params.length} AS TEXT)) AS k${i}`
      : `, bureau_meta_value(meta, CAST($${params.length} AS TEXT)) AS k${i}`;
  });
  const rows = await driver.all(
    `SELECT uid, modseq, size${columns.join('')} FROM items WHERE collection_id = $1 AND uid > $2 ORDER BY uid LIMIT $3`, params);
  type Row = { uid: number; modseq: number; size: number; meta: Record<string, unknown> };
  const out: Row[] = [];
  const unreadable: Row[] = [];
  const names = keys.map((_, i) => `k${i}`);
  for (const r of rows) {
    const meta: Record<string, unknown> = {};
    let readable = true;
    for (let i = 0; i < keys.length; i++) {
      const v = r[names[i]!];
      if (typeof v !== 'string') continue;
      if (v === UNREADABLE) readable = false;
      else meta[keys[i]!] = jsonValue(v);
    }
    const row: Row = { uid: Number(r.uid), modseq: Number(r.modseq), size: Number(r.size), meta };
    out.push(row);
    if (!readable) unreadable.push(row);
  }
  // metas the database could not read (PostgreSQL's jsonb refuses \u0000 in a string) are read here
  for (const part of chunks(unreadable)) {
    const metas = await driver.all<{ uid: number; meta: string }>(
      `SELECT uid, meta FROM items WHERE collection_id = $1 AND uid IN (${marks(2, part.length)})`, [collectionId, ...part.map((r) => r.uid)]);
    const byUid = new Map(metas.map((m) => [Number(m.uid), JSON.parse(m.meta) as Record<string, unknown>]));
    for (const row of part) {
      const whole = byUid.get(row.uid) ?? {};
      for (const k of keys) if (Object.hasOwn(whole, k)) row.meta[k] = whole[k];
    }
  }
  return out;
}
