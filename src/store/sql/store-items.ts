// The SQL store's items, their changes and their search; one layer of SqlStore (store.ts), on both backends.
import { NotFound } from '../errors.ts';
import type { ChangeEvent, Changes, CopyItem, ItemIndex, ItemQuery, Item, ItemMeta, PutItem } from '../types.ts';
import { ACCOUNT_NOTICE, EXTERNAL_WRITE } from './driver.ts';
import { ITEM_COLUMNS, assertName, copyItem, deleteItem, putItem, updateItemMeta } from './items.ts';
import { toItem } from './rows.ts';
import { compileSearch, readIndex } from './search.ts';
import { IN_CHUNK } from './store-base.ts';
import { SqlGroupsStore } from './store-groups.ts';

export class SqlItemsStore extends SqlGroupsStore {
  // ----- items

  async putItem(input: PutItem): Promise<Item> {
    assertName(input.name);
    return putItem(this.db, input, this.freed);
  }

  async getItem(id: number): Promise<Item | null> {
    const row = await this.db.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1`, [id]);
    return row ? toItem(row) : null;
  }

  async getItemByUid(collectionId: number, uid: number): Promise<Item | null> {
    const row = await this.db.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND uid = $2`, [collectionId, uid]);
    return row ? toItem(row) : null;
  }

  async getItemByName(collectionId: number, name: string): Promise<Item | null> {
    const row = await this.db.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND name = $2`, [collectionId, name]);
    return row ? toItem(row) : null;
  }

  async listItems(collectionId: number, options: { afterUid?: number; limit?: number } = {}): Promise<Item[]> {
    const rows = await this.db.all(
      `SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND uid > $2 ORDER BY uid LIMIT $3`,
      [collectionId, options.afterUid ?? 0, options.limit ?? Number.MAX_SAFE_INTEGER]);
    return rows.map(toItem);
  }

  async getItemsByUids(collectionId: number, uids: readonly number[]): Promise<Item[]> {
    return this.itemsIn(collectionId, 'uid', [...new Set(uids)]);
  }

  async getItemsByNames(collectionId: number, names: readonly string[]): Promise<Item[]> {
    return this.itemsIn(collectionId, 'name', [...new Set(names)]);
  }

  /** Items of a collection whose uid or name is among `values`, in uid order: one query per IN_CHUNK values. */
  protected async itemsIn(collectionId: number, column: 'uid' | 'name', values: readonly (number | string)[]): Promise<Item[]> {
    const out: Item[] = [];
    for (let at = 0; at < values.length; at += IN_CHUNK) {
      const chunk = values.slice(at, at + IN_CHUNK);
      const rows = await this.db.all(
        `SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND ${column} IN (${chunk.map((_, i) => `$${i + 2}`).join(', ')})`,
        [collectionId, ...chunk]);
      for (const r of rows) out.push(toItem(r));
    }
    return out.sort((a, b) => a.uid - b.uid);
  }

  async readItemContents(items: readonly Item[]): Promise<Map<number, Uint8Array>> {
    const out = new Map<number, Uint8Array>();
    const inline = items.filter((i) => i.blobId === null).map((i) => i.id);
    for (let at = 0; at < inline.length; at += IN_CHUNK) {
      const chunk = inline.slice(at, at + IN_CHUNK);
      const rows = await this.db.all<{ id: number; content: Uint8Array | null }>(
        `SELECT id, content FROM items WHERE id IN (${chunk.map((_, i) => `$${i + 1}`).join(', ')})`, chunk);
      for (const r of rows) if (r.content !== null) out.set(Number(r.id), new Uint8Array(r.content));
    }
    const blobs = items.filter((i) => i.blobId !== null);
    for (let at = 0; at < blobs.length; at += 16) {
      await Promise.all(blobs.slice(at, at + 16).map(async (i) => { out.set(i.id, await this.blobs.read(i.blobId!)); }));
    }
    for (const i of items) if (!out.has(i.id)) throw new NotFound(`item ${i.id} does not exist`);
    return out;
  }

  async readItemContent(item: Item): Promise<Uint8Array> {
    if (item.blobId !== null) return this.blobs.read(item.blobId);
    const row = await this.db.get<{ content: Uint8Array | null }>('SELECT content FROM items WHERE id = $1', [item.id]);
    if (!row || row.content === null) throw new NotFound(`item ${item.id} does not exist`);
    return new Uint8Array(row.content);
  }

  updateItemMeta(id: number, meta: ItemMeta, index?: ItemIndex): Promise<Item> {
    return updateItemMeta(this.db, id, meta, index);
  }

  async searchItems(collectionId: number, query: ItemQuery): Promise<number[]> {
    const { sql, params } = compileSearch(this.kind, collectionId, query);
    return (await this.db.all<{ uid: number }>(sql, params)).map((r) => Number(r.uid));
  }

  getItemIndex(id: number): Promise<ItemIndex> {
    return readIndex(this.db, id);
  }

  deleteItem(id: number): Promise<void> {
    return deleteItem(this.db, id, this.freed);
  }

  async copyItem(input: CopyItem): Promise<Item> {
    assertName(input.name);
    return copyItem(this.db, input, false, this.freed);
  }

  async moveItem(input: CopyItem): Promise<Item> {
    assertName(input.name);
    return copyItem(this.db, input, true, this.freed);
  }

  async changesSince(collectionId: number, modseq: number): Promise<Changes> {
    // no transaction (a read must not take SQLite's write lock): the counter is
    // read first and the log up to it, so a write committing in between is
    // reported next time rather than skipped
    const c = await this.db.get<{ modseq: number }>('SELECT modseq FROM collections WHERE id = $1', [collectionId]);
    if (!c) throw new NotFound(`collection ${collectionId} does not exist`);
    const now = Number(c.modseq);
    const rows = await this.db.all<{ modseq: number; uid: number; name: string | null; op: 'put' | 'delete' }>(
      'SELECT modseq, uid, name, op FROM changes WHERE collection_id = $1 AND modseq > $2 AND modseq <= $3 ORDER BY modseq',
      [collectionId, modseq, now]);
    return {
      modseq: now,
      changes: rows.map((r) => ({ modseq: Number(r.modseq), uid: Number(r.uid), name: r.name, op: r.op })),
    };
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    return this.db.subscribe((payload) => {
      // collection:modseq; account notices and the SQLite driver's "another process wrote" are not for these listeners
      const m = /^(\d+):(\d+)$/.exec(payload);
      if (m) listener({ collectionId: Number(m[1]), modseq: Number(m[2]) });
    });
  }

  onAccountChange(listener: (accountId: number | null) => void): () => void {
    return this.db.subscribe((payload) => {
      if (payload === EXTERNAL_WRITE) listener(null);
      else if (payload.startsWith(ACCOUNT_NOTICE)) listener(Number(payload.slice(ACCOUNT_NOTICE.length)));
    });
  }

}
