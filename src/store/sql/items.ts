// Item writes: put, copy, move, delete, meta. Each is one transaction made of
// the steps in writes.ts.
import { randomBytes } from 'node:crypto';
import { Conflict, NotFound, PreconditionFailed } from '../errors.ts';
import type { CopyItem, Item, ItemMeta, PutItem } from '../types.ts';
import type { SqlDriver, SqlRunner, SqlValue } from './driver.ts';
import { toItem } from './rows.ts';
import { bump, logChange, moveQuota, trashIfUnreferenced } from './writes.ts';

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
    const existing = name === null ? null : await itemByName(tx, input.collectionId, name);
    const b = await bump(tx, input.collectionId, existing === null);
    // read again under the collection's lock: a concurrent writer may have created it
    const current = name === null ? null : (existing ?? (await itemByName(tx, input.collectionId, name)));
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
      const uid = b.uid;
      const row = await tx.get(
        `INSERT INTO items (collection_id, uid, name, blob_id, content, size, etag, content_type, meta, modseq, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING ${ITEM_COLUMNS}`,
        [input.collectionId, uid, name, blobId, content, input.size, newEtag(), input.contentType, meta, b.modseq, now]);
      item = toItem(row!);
    }
    await logChange(tx, driver, input.collectionId, b.modseq, item.uid, item.name, 'put');
    return item;
  });
}

export async function updateItemMeta(driver: SqlDriver, id: number, meta: ItemMeta): Promise<Item> {
  return driver.transaction(async (tx) => {
    const item = await itemById(tx, id);
    if (!item) throw new NotFound(`item ${id} does not exist`);
    const b = await bump(tx, item.collectionId, false);
    const row = await tx.get(`UPDATE items SET meta = $2, modseq = $3 WHERE id = $1 RETURNING ${ITEM_COLUMNS}`,
      [id, JSON.stringify(meta), b.modseq]);
    await logChange(tx, driver, item.collectionId, b.modseq, item.uid, item.name, 'put');
    return toItem(row!);
  });
}

async function removeItem(tx: SqlRunner, driver: SqlDriver, item: Item): Promise<void> {
  const b = await bump(tx, item.collectionId, false);
  await tx.run('DELETE FROM items WHERE id = $1', [item.id]);
  await logChange(tx, driver, item.collectionId, b.modseq, item.uid, item.name, 'delete');
  await moveQuota(tx, b.spaceId, b.bucket, -item.size, null);
  await trashIfUnreferenced(tx, item.blobId);
}

export async function deleteItem(driver: SqlDriver, id: number, onFreed: () => void): Promise<void> {
  await driver.transaction(async (tx, afterCommit) => {
    const item = await itemById(tx, id);
    if (!item) throw new NotFound(`item ${id} does not exist`);
    await removeItem(tx, driver, item);
    afterCommit(onFreed);
  });
}

/** Copies (and, with `move`, removes the source) in one transaction. Blobs are shared, not copied. */
export async function copyItem(driver: SqlDriver, input: CopyItem, move: boolean, onFreed: () => void): Promise<Item> {
  return driver.transaction(async (tx, afterCommit) => {
    const source = await itemById(tx, input.itemId);
    if (!source) throw new NotFound(`item ${input.itemId} does not exist`);
    const name = input.name === undefined ? source.name : input.name;
    const content = source.blobId === null
      ? ((await tx.get<{ content: Uint8Array }>('SELECT content FROM items WHERE id = $1', [source.id]))?.content ?? null)
      : null;
    if (move) {
      if (source.collectionId === input.toCollectionId && name === source.name) return source;
      await removeItem(tx, driver, source);
    }
    const target = name === null ? null : await itemByName(tx, input.toCollectionId, name);
    if (target && !input.overwrite) throw new PreconditionFailed(`${name} already exists in the target`);
    if (target) await removeItem(tx, driver, target);
    const b = await bump(tx, input.toCollectionId, true);
    await moveQuota(tx, b.spaceId, b.bucket, source.size, input.quotaLimit);
    if (move) {
      // the source row is gone: its blob must not have been trashed
      if (source.blobId !== null) await tx.run('DELETE FROM blob_trash WHERE id = $1', [source.blobId]);
    }
    const now = Date.now();
    const row = await tx.get(
      `INSERT INTO items (collection_id, uid, name, blob_id, content, size, etag, content_type, meta, modseq, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING ${ITEM_COLUMNS}`,
      [input.toCollectionId, b.uid, name, source.blobId, content, source.size, newEtag(), source.contentType,
        JSON.stringify(source.meta), b.modseq, now]);
    const item = toItem(row!);
    await logChange(tx, driver, input.toCollectionId, b.modseq, item.uid, item.name, 'put');
    afterCommit(onFreed);
    return item;
  });
}

export function assertName(name: string | null | undefined): void {
  if (name !== null && name !== undefined && (name === '' || name.includes('/') || name.includes('\0'))) {
    throw new Conflict(`the name ${JSON.stringify(name)} is not allowed`);
  }
}
