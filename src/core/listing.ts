// Big listings in pages: a PROPFIND Depth 1 of a collection of 10,000
// calendar objects or cards reads them from the store 500 at a time, by the
// store's uid paging, and hands each page on before reading the next, so the
// rows of one page are dropped while the answer is still being written.
import type { Collection, Item, Store } from '../store/types.ts';
import type { Access } from './access.ts';

/** How many entries a page of a big listing holds. */
export const LISTING_PAGE = 500;

/** The items of a collection, in uid order, `pageSize` at a time from the store (the last page may be shorter). */
export async function* itemPages(store: Store, collectionId: number, pageSize = LISTING_PAGE): AsyncGenerator<Item[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`a listing page holds at least one entry, not ${pageSize}`);
  for (let after = 0; ;) {
    const page = await store.listItems(collectionId, { afterUid: after, limit: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.uid;
  }
}

/** The items of a collection the account may read, in uid order, in pages; a page with nothing readable is skipped. */
export async function* readablePages(store: Store, access: Access, accountId: number, collection: Collection, pageSize = LISTING_PAGE): AsyncGenerator<Item[]> {
  for await (const page of itemPages(store, collection.id, pageSize)) {
    const readable = await access.readableItems(accountId, collection, page);
    if (readable.length > 0) yield readable;
  }
}
