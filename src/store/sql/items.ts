// Item writes: put, copy, move, delete, meta. Each is one transaction made of
// the steps in writes.ts.
import { randomBytes } from 'node:crypto';
import { Conflict, NotFound, PreconditionFailed } from '../errors.ts';
import type { CopyItem, Item, ItemIndex, ItemMeta, PutItem, QuotaBucket } from '../types.ts';
import type { SqlDriver, SqlRunner, SqlValue } from './driver.ts';
import { toItem } from './rows.ts';
import { readIndex, writeIndex } from './search.ts';
import { bump, lockCollection, logChange, moveQuota, takeUid, trashIfUnreferenced } from './writes.ts';

export const ITEM_COLUMNS = 'id, collection_id, uid, name, blob_id, size, etag, content_type, meta, modseq, created_at, updated_at';

function newEtag(): string {
  return randomBytes(10).toString('hex');
}

async function itemById(tx: SqlRunner, id: number): Promise<Item | null> {
  const row = await tx.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1`, [id]);
  return row ? toItem(row) : null;
}

async function itemByName(tx: SqlRunner, collectionId: number, name: string): Promise<Item | null> {
  const row = await tx.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND name = $2`, [collectionId, name]);
  return row ? toItem(row) : null;
}

export async function putItem(driver: SqlDriver, input: PutItem, onFreed: () => void): Promise<Item> {
  const hasContent = input.content !== undefined && input.content !== null;
  const hasBlob = input.blobId !== undefined && input.blobId !== null;
  if (hasContent === hasBlob) throw new Error('putItem needs exactly one of content and blobId');
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw new Error(`putItem: size ${input.size} is not a byte count`);
  const name = input.name ?? null;
  return driver.transaction(async (tx, afterCommit) => {
    // lock the collection first, then read the item of that name: a read made
    // before the lock could be stale (a concurrent replace or delete), which
    // would let two If-Match writers both win and move the quota by a wrong delta
    // (an item without a name is always new: its uid is taken with the lock)
    const b = await bump(tx, input.collectionId, name === null);
    const current = name === null ? null : await itemByName(tx, input.collectionId, name);
    if (input.ifNoneMatch && current) throw new PreconditionFailed(`${name} already exists`);
    if (input.ifMatch !== undefined && (!current || current.etag !== input.ifMatch)) {
      throw new PreconditionFailed(`${name ?? 'the item'} does not have the etag ${input.ifMatch}`);
    }
    await moveQuota(tx, b.spaceId, b.bucket, input.size - (current?.size ?? 0), input.quotaLimit);
    const now = Date.now();
    const meta = JSON.stringify(input.meta ?? {});
    const content: SqlValue = hasContent ? (input.content as Uint8Array) : null;
    const blobId = hasBlob ? (input.blobId as string) : null;
    let item: Item;
    if (current) {
      const row = await tx.get(
        `UPDATE items SET blob_id = $2, content = $3, size = $4, etag = $5, content_type = $6, meta = $7, modseq = $8, updated_at = $9
          WHERE id = $1 RETURNING ${ITEM_COLUMNS}`,
        [current.id, blobId, content, input.size, newEtag(), input.contentType, meta, b.modseq, now]);
      item = toItem(row!);
      if (current.blobId !== blobId) {
        await trashIfUnreferenced(tx, current.blobId);
        afterCommit(onFreed);
      }
    } else {
      const uid = name === null ? b.uid : await takeUid(tx, input.collectionId);
      const row = await tx.get(
        `INSERT INTO items (collection_id, uid, name, blob_id, content, size, etag, content_type, meta, modseq, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING ${ITEM_COLUMNS}`,
        [input.collectionId, uid, name, blobId, content, input.size, newEtag(), input.contentType, meta, b.modseq, now]);
      item = toItem(row!);
    }
    if (current || input.index) await writeIndex(tx, item.id, input.collectionId, input.index ?? {}, 'all');
    await logChange(tx, driver, input.collectionId, b.modseq, item.uid, item.name, 'put');
    return item;
  });
}

/**
 * Reads an item under its collection's lock: finds the collection, bumps it
 * (which locks it until the commit), and reads the item again. A concurrent
 * delete that committed in between makes it NotFound rather than a stale copy.
 */
async function lockedItem(tx: SqlRunner, id: number): Promise<{ item: Item; modseq: number; spaceId: number; bucket: QuotaBucket | null }> {
  const first = await itemById(tx, id);
  if (!first) throw new NotFound(`item ${id} does not exist`);
  const b = await bump(tx, first.collectionId, false);
  const item = await itemById(tx, id);
  if (!item) throw new NotFound(`item ${id} does not exist`);
  return { item, modseq: b.modseq, spaceId: b.spaceId, bucket: b.bucket };
}

export async function updateItemMeta(driver: SqlDriver, id: number, meta: ItemMeta, index?: ItemIndex): Promise<Item> {
  return driver.transaction(async (tx) => {
    const { item, modseq } = await lockedItem(tx, id);
    const row = await tx.get(`UPDATE items SET meta = $2, modseq = $3 WHERE id = $1 RETURNING ${ITEM_COLUMNS}`,
      [id, JSON.stringify(meta), modseq]);
    if (index) await writeIndex(tx, id, item.collectionId, index, 'named');
    await logChange(tx, driver, item.collectionId, modseq, item.uid, item.name, 'put');
    return toItem(row!);
  });
}

/** Deletes an item whose collection the transaction has bumped (and so locked) at `modseq`. */
async function removeLockedItem(
  tx: SqlRunner, driver: SqlDriver, item: Item, modseq: number, spaceId: number, bucket: QuotaBucket | null,
): Promise<void> {
  const r = await tx.run('DELETE FROM items WHERE id = $1', [item.id]);
  if (r.changes !== 1) throw new NotFound(`item ${item.id} does not exist`);
  await logChange(tx, driver, item.collectionId, modseq, item.uid, item.name, 'delete');
  await moveQuota(tx, spaceId, bucket, -item.size, null);
  await trashIfUnreferenced(tx, item.blobId);
}

export async function deleteItem(driver: SqlDriver, id: number, onFreed: () => void): Promise<void> {
  await driver.transaction(async (tx, afterCommit) => {
    const { item, modseq, spaceId, bucket } = await lockedItem(tx, id);
    await removeLockedItem(tx, driver, item, modseq, spaceId, bucket);
    afterCommit(onFreed);
  });
}

/** Copies (and, with `move`, removes the source) in one transaction. Blobs are shared, not copied. */
export async function copyItem(driver: SqlDriver, input: CopyItem, move: boolean, onFreed: () => void): Promise<Item> {
  return driver.transaction(async (tx, afterCommit) => {
    // the source's collection is locked (and the source read again) before
    // anything else: a delete of the source racing this copy would otherwise
    // not see the new reference and trash the blob the copy shares
    const found = await itemById(tx, input.itemId);
    if (!found) throw new NotFound(`item ${input.itemId} does not exist`);
    await lockCollection(tx, found.collectionId);
    const source = await itemById(tx, input.itemId);
    if (!source) throw new NotFound(`item ${input.itemId} does not exist`);
    const name = input.name === undefined ? source.name : input.name;
    // a move onto itself changes nothing
    if (move && source.collectionId === input.toCollectionId && name === source.name) return source;
    const content = source.blobId === null
      ? ((await tx.get<{ content: Uint8Array }>('SELECT content FROM items WHERE id = $1', [source.id]))?.content ?? null)
      : null;
    // read before a move removes the source (and its index rows with it)
    const index = await readIndex(tx, source.id);
    if (move) {
      const sb = await bump(tx, source.collectionId, false);
      await removeLockedItem(tx, driver, source, sb.modseq, sb.spaceId, sb.bucket);
    }
    const b = await bump(tx, input.toCollectionId, false);
    const target = name === null ? null : await itemByName(tx, input.toCollectionId, name);
    if (target && !input.overwrite) throw new PreconditionFailed(`${name} already exists in the target`);
    if (target) await removeLockedItem(tx, driver, target, b.modseq, b.spaceId, b.bucket);
    // the removal of a replaced target took this modseq; the new item takes the next
    const modseq = target ? (await bump(tx, input.toCollectionId, false)).modseq : b.modseq;
    const uid = await takeUid(tx, input.toCollectionId);
    await moveQuota(tx, b.spaceId, b.bucket, source.size, input.quotaLimit);
    // the new item references the source's blob: a removal above (the moved
    // source, or a replaced target that was the source itself) must not trash it
    if (source.blobId !== null) await tx.run('DELETE FROM blob_trash WHERE id = $1', [source.blobId]);
    const now = Date.now();
    const row = await tx.get(
      `INSERT INTO items (collection_id, uid, name, blob_id, content, size, etag, content_type, meta, modseq, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING ${ITEM_COLUMNS}`,
      [input.toCollectionId, uid, name, source.blobId, content, source.size, newEtag(), source.contentType,
        JSON.stringify(source.meta), modseq, now]);
    const item = toItem(row!);
    await writeIndex(tx, item.id, input.toCollectionId, index, 'all');
    await logChange(tx, driver, input.toCollectionId, modseq, item.uid, item.name, 'put');
    afterCommit(onFreed);
    return item;
  });
}

export function assertName(name: string | null | undefined): void {
  if (name !== null && name !== undefined && (name === '' || name.includes('/') || name.includes('\0'))) {
    throw new Conflict(`the name ${JSON.stringify(name)} is not allowed`);
  }
}
