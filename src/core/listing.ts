// Big listings in pages: a PROPFIND Depth 1 of a collection of 10,000
// calendar objects or cards reads them from the store 500 at a time, by the
// store's uid paging (the next page on its way while this one is written), so
// the rows of a page are dropped while the answer is still being written.
import type { Collection, Item, Store } from '../store/types.ts';
import { collectionResource, type Access } from './access.ts';
import { authorize } from './acl.ts';

/** How many entries a page of a big listing holds. */
export const LISTING_PAGE = 500;

/**
 * The items of a collection, in uid order, `pageSize` at a time from the
 * store (the last page may be shorter). The next page is asked for before
 * this one is handed on, so the store's round trip overlaps the caller's
 * work on this page: at most two pages are alive at once.
 */
export async function* itemPages(store: Store, collectionId: number, pageSize = LISTING_PAGE): AsyncGenerator<Item[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`a listing page holds at least one entry, not ${pageSize}`);
  let pending: Promise<Item[]> | null = store.listItems(collectionId, { afterUid: 0, limit: pageSize });
  try {
    while (pending) {
      const page: Item[] = await pending;
      pending = page.length === pageSize ? store.listItems(collectionId, { afterUid: page[page.length - 1]!.uid, limit: pageSize }) : null;
      if (page.length > 0) yield page;
    }
  } finally {
    // a caller that stops early leaves a page on its way: its failure is nobody's to report
    pending?.catch(() => undefined);
  }
}

/**
 * The items of a collection the account may read, in uid order, in pages; a
 * page with nothing readable is skipped. Whether it may read the whole
 * collection is decided once; only an account that reaches some of its items
 * has each page's item grants read.
 */
export async function* readablePages(store: Store, access: Access, accountId: number, collection: Collection, pageSize = LISTING_PAGE): AsyncGenerator<Item[]> {
  const [principal, resource] = await Promise.all([access.principal(accountId), collectionResource(store, collection)]);
  const whole = authorize(principal, 'read', resource).allow;
  for await (const page of itemPages(store, collection.id, pageSize)) {
    const readable = whole ? page : await access.readableItems(accountId, collection, page);
    if (readable.length > 0) yield readable;
  }
}
