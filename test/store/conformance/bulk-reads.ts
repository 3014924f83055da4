// Store conformance: reading many items at once (getItemsByUids,
// getItemsByNames, readItemContents), as a REPORT over thousands of
// calendar objects does. Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { NotFound } from '../../../src/store/errors.ts';
import type { Item } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { decode, documents, newAccount, putBlob, putInline, rejects, useStore } from './support.ts';

export function bulkReadsConformance(backend: Backend): void {
  describe('reading many items at once', () => {
    const s = useStore(backend);

    it('finds items by uids and by names, in uid order, leaving out what does not exist or is elsewhere', async () => {
      const a = await newAccount(s.store, 'bulk');
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Other' });
      const made: Item[] = [];
      for (let i = 0; i < 1203; i++) made.push(await putInline(s.store, docs.id, `body ${i}`, { name: `n-${i}.ics` }));
      const elsewhere = await putInline(s.store, other.id, 'x', { name: 'n-5.ics' });
      // more than one IN list's worth, shuffled, with duplicates and strangers
      const wanted = [made[1200]!, made[0]!, made[600]!, ...made.slice(100, 700).reverse(), made[0]!];
      const byUid = await s.store.getItemsByUids(docs.id, [...wanted.map((i) => i.uid), 999_999, elsewhere.uid + 100_000]);
      const expected = [...new Set(wanted.map((i) => i.uid))].sort((x, y) => x - y);
      expect(byUid.map((i) => i.uid)).to.deep.equal(expected);
      expect(byUid.find((i) => i.uid === made[600]!.uid)).to.deep.equal(made[600]);
      const byName = await s.store.getItemsByNames(docs.id, [...wanted.map((i) => i.name!), 'nope.ics', "it's; DROP TABLE items; --"]);
      expect(byName.map((i) => i.uid)).to.deep.equal(expected);
      expect(byName.every((i) => i.collectionId === docs.id)).to.equal(true);
      expect(await s.store.getItemsByUids(docs.id, [])).to.deep.equal([]);
      expect(await s.store.getItemsByNames(docs.id, [])).to.deep.equal([]);
      expect((await s.store.getItemsByNames(other.id, ['n-5.ics'])).map((i) => i.id)).to.deep.equal([elsewhere.id]);
    });

    it('reads the bytes of inline and blob items at once, each its own, and says when one is gone', async () => {
      const a = await newAccount(s.store, 'bulkbytes');
      const docs = await documents(s.store, a);
      const items: Item[] = [];
      for (let i = 0; i < 620; i++) items.push(await putInline(s.store, docs.id, `inline ${i} ${'x'.repeat(i % 7)}`, { name: `i-${i}` }));
      for (let i = 0; i < 20; i++) items.push(await putBlob(s.store, docs.id, `blob ${i} ${'y'.repeat(i)}`, { name: `b-${i}` }));
      const empty = await putInline(s.store, docs.id, '', { name: 'empty' });
      items.push(empty);
      const got = await s.store.readItemContents(items);
      expect(got.size).to.equal(items.length);
      for (const i of items) expect(decode(got.get(i.id)!)).to.equal(decode(await s.store.readItemContent(i)), i.name!);
      expect(decode(got.get(items[619]!.id)!)).to.equal(`inline 619 ${'x'.repeat(619 % 7)}`);
      expect(got.get(empty.id)!.byteLength).to.equal(0);
      expect((await s.store.readItemContents([])).size).to.equal(0);
      await s.store.deleteItem(items[3]!.id);
      await rejects(s.store.readItemContents([items[2]!, items[3]!]), NotFound);
    });
  });
}
