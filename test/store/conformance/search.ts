// The item index and searchItems: written with the item, replaced with it,
// carried by copies and moves, gone with deletion; every query form.
import { expect } from 'chai';
import { Conflict } from '../../../src/store/errors.ts';
import type { Collection, Item, ItemIndex, ItemQuery, Store } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { documents, encode, inbox, newAccount, rejects, useStore } from './support.ts';

const H = 3_600_000;

export function searchConformance(backend: Backend): void {
  describe('item index and search', () => {
    const s = useStore(backend);
    let store: Store;
    let box: Collection;
    let items: Item[];
    const put = (i: number, index: ItemIndex): Promise<Item> =>
      store.putItem({ collectionId: box.id, content: encode(`m${i}`), size: 10 * i, contentType: 'message/rfc822', quotaLimit: null, index });
    const find = (q: ItemQuery): Promise<number[]> => store.searchItems(box.id, q);
    const uids = (...n: number[]): number[] => n.map((i) => items[i - 1]!.uid);

    before(async () => {
      store = s.store;
      box = await inbox(store, await newAccount(store, 'search'));
      items = [
        await put(1, { fields: { subject: ['hello world'], from: ['ann@example.org'], text: ['Grüße aus Köln'] }, ranges: [{ kind: 'date', start: 0, end: 1 }] }),
        await put(2, { fields: { subject: ['meeting'], from: ['bob@example.org'], flag: ['\\seen'] }, ranges: [{ kind: 'date', start: 2 * H, end: 2 * H + 1 }] }),
        await put(3, { fields: { subject: ['Hello again'], from: ['ann@example.org', 'carl@example.org'], 'x-long': ['x'.repeat(20_000)] },
          ranges: [{ kind: 'event', start: 5 * H, end: 6 * H }, { kind: 'event', start: 29 * H, end: 30 * H }] }),
        await put(4, {}),
      ];
    });

    it('finds by field value, substring, range, size, uid and modseq, and their combinations', async () => {
      expect(await find({ all: true })).to.deep.equal(uids(1, 2, 3, 4));
      expect(await find({ field: 'from', equals: 'ann@example.org' })).to.deep.equal(uids(1, 3));
      expect(await find({ field: 'from', equals: 'ANN@example.org' })).to.deep.equal([], 'values match exactly');
      expect(await find({ field: 'subject', contains: 'ello' })).to.deep.equal(uids(1, 3));
      expect(await find({ field: 'subject', contains: 'hello' })).to.deep.equal(uids(1), 'substrings are case-sensitive');
      expect(await find({ field: 'text', contains: 'Köln' })).to.deep.equal(uids(1));
      expect(await find({ field: 'x-long', equals: 'x'.repeat(20_000) })).to.deep.equal(uids(3));
      expect(await find({ field: 'x-long', equals: 'x'.repeat(19_999) })).to.deep.equal([], 'a shared prefix is not equality');
      expect(await find({ field: 'x-long', contains: 'xxx' })).to.deep.equal(uids(3));
      expect(await find({ range: 'event', overlaps: { start: 6 * H, end: 29 * H } })).to.deep.equal([], 'half-open ranges only touch');
      expect(await find({ range: 'event', overlaps: { start: 6 * H - 1, end: 7 * H } })).to.deep.equal(uids(3));
      expect(await find({ range: 'event', overlaps: { start: 29 * H + 5, end: 100 * H } })).to.deep.equal(uids(3));
      expect(await find({ range: 'date', overlaps: { start: 0, end: 2 * H } })).to.deep.equal(uids(1));
      expect(await find({ size: { min: 20, max: 30 } })).to.deep.equal(uids(2, 3));
      expect(await find({ uids: [[items[1]!.uid, items[2]!.uid], [items[3]!.uid, items[3]!.uid]] })).to.deep.equal(uids(2, 3, 4));
      expect(await find({ modseqAbove: items[2]!.modseq })).to.deep.equal(uids(4));
      expect(await find({ not: { field: 'flag', equals: '\\seen' } })).to.deep.equal(uids(1, 3, 4));
      expect(await find({ or: [{ field: 'from', equals: 'bob@example.org' }, { size: { max: 10 } }] })).to.deep.equal(uids(1, 2));
      expect(await find({ and: [{ field: 'from', equals: 'ann@example.org' }, { not: { field: 'subject', contains: 'again' } }] })).to.deep.equal(uids(1));
      expect(await find({ or: [] })).to.deep.equal([]);
      expect(await find({ and: [] })).to.deep.equal(uids(1, 2, 3, 4));
    });

    it('finds items by the beginning of their name, exactly, in characters', async () => {
      const a = await newAccount(store, 'prefix');
      const docs = await documents(store, a);
      const named = async (name: string): Promise<Item> =>
        store.putItem({ collectionId: docs.id, name, content: encode(name), size: 1, contentType: 'text/plain', quotaLimit: null });
      const [report, reports, other, accented] = [await named('Report 2026.pdf'), await named('Reports.txt'), await named('minutes report.txt'), await named('Élan ü.txt')];
      const byName = (q: ItemQuery): Promise<number[]> => store.searchItems(docs.id, q);
      expect(await byName({ namePrefix: 'Report' })).to.deep.equal([report.uid, reports.uid]);
      expect(await byName({ namePrefix: 'Report ' })).to.deep.equal([report.uid]);
      expect(await byName({ namePrefix: 'report' })).to.deep.equal([], 'case-sensitive');
      expect(await byName({ namePrefix: 'Élan ü' })).to.deep.equal([accented.uid], 'counted in characters, not bytes');
      expect(await byName({ namePrefix: 'Élan üx' })).to.deep.equal([]);
      expect(await byName({ namePrefix: '' })).to.deep.equal([report.uid, reports.uid, other.uid, accented.uid]);
      expect(await byName({ or: [{ namePrefix: 'minutes' }, { namePrefix: 'Reports' }] })).to.deep.equal([reports.uid, other.uid]);
      expect(await byName({ namePrefix: '%' })).to.deep.equal([], 'no wildcard');
      expect(await find({ namePrefix: '' })).to.deep.equal([], 'mail has no names');
    });

    it('updating meta replaces the named fields only, and all ranges when some are given', async () => {
      const other = await inbox(store, await newAccount(store, 'meta'));
      const it1 = await store.putItem({ collectionId: other.id, content: encode('x'), size: 1, contentType: 'x', quotaLimit: null,
        index: { fields: { flag: ['\\recent'], subject: ['keep'] }, ranges: [{ kind: 'date', start: 10, end: 11 }] } });
      await store.updateItemMeta(it1.id, { flags: ['\\Seen'] }, { fields: { flag: ['\\seen', '\\flagged'] } });
      expect(await store.getItemIndex(it1.id)).to.deep.equal({
        fields: { flag: ['\\flagged', '\\seen'], subject: ['keep'] },
        ranges: [{ kind: 'date', start: 10, end: 11 }],
      });
      expect(await store.searchItems(other.id, { field: 'flag', equals: '\\recent' })).to.deep.equal([]);
      expect(await store.searchItems(other.id, { field: 'flag', equals: '\\flagged' })).to.deep.equal([it1.uid]);
      await store.updateItemMeta(it1.id, {}, { ranges: [{ kind: 'date', start: 20, end: 21 }] });
      expect((await store.getItemIndex(it1.id)).ranges).to.deep.equal([{ kind: 'date', start: 20, end: 21 }]);
    });

    it('a replaced item gets the new index (or none); copies and moves carry it; deletion removes it', async () => {
      const a = await newAccount(store, 'carry');
      const src = await inbox(store, a);
      const dst = (await store.findCollectionByRole(a.spaceId, 'mail', 'sent'))!;
      const named = (await store.findCollectionByRole(a.spaceId, 'contacts', 'default'))!;
      const card = await store.putItem({ collectionId: named.id, name: 'c.vcf', content: encode('v1'), size: 2, contentType: 'text/vcard', quotaLimit: null, index: { fields: { fn: ['ann'] } } });
      await store.putItem({ collectionId: named.id, name: 'c.vcf', content: encode('v2'), size: 2, contentType: 'text/vcard', quotaLimit: null, index: { fields: { fn: ['bob'] } } });
      expect(await store.searchItems(named.id, { field: 'fn', equals: 'ann' })).to.deep.equal([]);
      expect(await store.searchItems(named.id, { field: 'fn', equals: 'bob' })).to.deep.equal([card.uid]);
      await store.putItem({ collectionId: named.id, name: 'c.vcf', content: encode('v3'), size: 2, contentType: 'text/vcard', quotaLimit: null });
      expect(await store.searchItems(named.id, { field: 'fn', equals: 'bob' })).to.deep.equal([], 'a replacement without an index clears it');
      const m = await store.putItem({ collectionId: src.id, content: encode('mail'), size: 4, contentType: 'message/rfc822', quotaLimit: null, index: { fields: { subject: ['carried'] }, ranges: [{ kind: 'date', start: 1, end: 2 }] } });
      const copy = await store.copyItem({ itemId: m.id, toCollectionId: dst.id, quotaLimit: null });
      expect(await store.searchItems(dst.id, { field: 'subject', equals: 'carried' })).to.deep.equal([copy.uid]);
      expect(await store.searchItems(src.id, { range: 'date', overlaps: { start: 0, end: 5 } })).to.deep.equal([m.uid]);
      const moved = await store.moveItem({ itemId: m.id, toCollectionId: dst.id, quotaLimit: null });
      expect(await store.searchItems(src.id, { field: 'subject', equals: 'carried' })).to.deep.equal([]);
      expect(await store.searchItems(dst.id, { field: 'subject', equals: 'carried' })).to.deep.equal([copy.uid, moved.uid]);
      expect(await store.getItemIndex(moved.id)).to.deep.equal({ fields: { subject: ['carried'] }, ranges: [{ kind: 'date', start: 1, end: 2 }] });
      await store.deleteItem(copy.id);
      expect(await store.searchItems(dst.id, { field: 'subject', equals: 'carried' })).to.deep.equal([moved.uid]);
    });

    it('refuses an empty range, an oversized or too deep search, and writes nothing then', async () => {
      const before = await find({ all: true });
      const modseq = (await store.getCollection(box.id))!.modseq;
      await rejects(put(9, { ranges: [{ kind: 'event', start: 10, end: 10 }] }), Conflict);
      expect(await find({ all: true })).to.deep.equal(before);
      expect((await store.getCollection(box.id))!.modseq).to.equal(modseq);
      const huge: ItemQuery = { uids: Array.from({ length: 6_000 }, (_, i) => [i * 3, i * 3 + 1] as const) };
      await rejects(find(huge), Conflict);
      let deep: ItemQuery = { all: true };
      for (let i = 0; i < 40; i++) deep = { not: deep };
      await rejects(find(deep), Conflict);
    });
  });
}
