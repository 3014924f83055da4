// Store conformance: writes on many items of one collection in one transaction
// (updateItemsMeta, copyItems, deleteItems), as IMAP STORE, COPY, MOVE and
// EXPUNGE use them. Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { Conflict, QuotaExceeded } from '../../../src/store/errors.ts';
import type { ChangeEvent, Collection, Item, Store } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { blobGone, byRole, eventually, inbox, newAccount, putBlob, putInline, rejects, useStore } from './support.ts';

export function mailConformance(backend: Backend): void {
  describe('writes on many items (mail)', () => {
    const s = useStore(backend);
    let store: Store;
    before(() => { store = s.store; });

    async function box(label: string): Promise<{ inbox: Collection; sent: Collection; spaceId: number }> {
      const a = await newAccount(store, label);
      return { inbox: await inbox(store, a), sent: await byRole(store, a.spaceId, 'mail', 'sent'), spaceId: a.spaceId };
    }

    async function fill(c: Collection, n: number): Promise<Item[]> {
      const out: Item[] = [];
      for (let i = 0; i < n; i++) {
        out.push(await putBlob(store, c.id, `message ${i}`, { meta: { flags: [] }, index: { fields: { flag: [], subject: [`s${i}`] } } }));
      }
      return out;
    }

    it('updateItemsMeta changes only what the callback changes, each item with its own modseq and change entry, one event', async () => {
      const { inbox: c } = await box('store');
      const items = await fill(c, 5);
      const before = (await store.getCollection(c.id))!.modseq;
      const events: ChangeEvent[] = [];
      const off = store.onChange((e) => { if (e.collectionId === c.id) events.push(e); });
      const changed = await store.updateItemsMeta(c.id, [items[0]!.uid, items[2]!.uid, items[3]!.uid, 9999], (item) =>
        item.uid === items[3]!.uid ? null : { meta: { flags: ['\\Seen'] }, index: { fields: { flag: ['\\seen'] } } });
      expect(changed.map((i) => i.uid)).to.deep.equal([items[0]!.uid, items[2]!.uid]);
      expect(changed.map((i) => i.modseq)).to.deep.equal([before + 1, before + 2]);
      expect((await store.getItem(items[0]!.id))!.meta).to.deep.equal({ flags: ['\\Seen'] });
      expect((await store.getItem(items[3]!.id))!.meta).to.deep.equal({ flags: [] });
      expect((await store.getCollection(c.id))!.modseq).to.equal(before + 2);
      expect(await store.searchItems(c.id, { field: 'flag', equals: '\\seen' })).to.deep.equal([items[0]!.uid, items[2]!.uid]);
      // the other fields of the index are kept
      expect(await store.searchItems(c.id, { field: 'subject', equals: 's0' })).to.deep.equal([items[0]!.uid]);
      const log = await store.changesSince(c.id, before);
      expect(log.changes.map((x) => [x.uid, x.modseq, x.op])).to.deep.equal([[items[0]!.uid, before + 1, 'put'], [items[2]!.uid, before + 2, 'put']]);
      await eventually('one change event', () => events.length >= 1);
      off();
      expect(events.at(-1)!.modseq).to.equal(before + 2);
      // nothing to change: no new modseq
      expect(await store.updateItemsMeta(c.id, [items[1]!.uid], () => null)).to.deep.equal([]);
      expect((await store.getCollection(c.id))!.modseq).to.equal(before + 2);
    });

    it('updateItemsMeta sees the current meta under the lock: concurrent changes are not lost', async () => {
      const { inbox: c } = await box('race');
      const [item] = await fill(c, 1);
      const add = (flag: string): Promise<Item[]> => store.updateItemsMeta(c.id, [item!.uid], (i) => {
        const flags = [...(i.meta.flags as string[]), flag];
        return { meta: { flags } };
      });
      await Promise.all(Array.from({ length: 10 }, (_, k) => add(`k${k}`)));
      expect(((await store.getItem(item!.id))!.meta.flags as string[]).sort()).to.have.length(10);
    });

    it('copyItems copies blobs by reference, the index with them, new uids in order, one transaction for the quota', async () => {
      const { inbox: a, sent: b, spaceId } = await box('copy');
      const items = await fill(a, 3);
      const usage = await store.getUsage(spaceId, 'mail');
      const next = (await store.getCollection(b.id))!.uidNext;
      const copied = await store.copyItems({ fromCollectionId: a.id, uids: items.map((i) => i.uid), toCollectionId: b.id, quotaLimit: null, move: false });
      expect(copied.map((x) => x.source.uid)).to.deep.equal(items.map((i) => i.uid));
      expect(copied.map((x) => x.copy.uid)).to.deep.equal([next, next + 1, next + 2]);
      expect(copied.map((x) => x.copy.blobId)).to.deep.equal(items.map((i) => i.blobId));
      expect(await store.getUsage(spaceId, 'mail')).to.equal(usage + items.reduce((n, i) => n + i.size, 0));
      expect(await store.searchItems(b.id, { field: 'subject', equals: 's1' })).to.deep.equal([next + 1]);
      expect(await store.readItemContent(copied[2]!.copy)).to.deep.equal(new TextEncoder().encode('message 2'));
      // over the quota nothing is copied
      const total = await store.getUsage(spaceId, 'mail');
      await rejects(store.copyItems({ fromCollectionId: a.id, uids: items.map((i) => i.uid), toCollectionId: b.id, quotaLimit: total + 10, move: false }), QuotaExceeded);
      expect((await store.listItems(b.id)).length).to.equal(3);
      expect(await store.getUsage(spaceId, 'mail')).to.equal(total);
    });

    it('copyItems with move removes the sources in the same transaction; the quota of one space does not move; blobs stay', async () => {
      const { inbox: a, sent: b, spaceId } = await box('move');
      const items = await fill(a, 4);
      const usage = await store.getUsage(spaceId, 'mail');
      const aBefore = (await store.getCollection(a.id))!.modseq;
      const moved = await store.copyItems({ fromCollectionId: a.id, uids: [items[1]!.uid, items[3]!.uid], toCollectionId: b.id, quotaLimit: 1, move: true });
      expect(moved).to.have.length(2);
      expect((await store.listItems(a.id)).map((i) => i.uid)).to.deep.equal([items[0]!.uid, items[2]!.uid]);
      expect(await store.getUsage(spaceId, 'mail')).to.equal(usage);
      const log = await store.changesSince(a.id, aBefore);
      expect(log.changes.map((x) => [x.uid, x.op])).to.deep.equal([[items[1]!.uid, 'delete'], [items[3]!.uid, 'delete']]);
      expect(await store.blobs.exists(items[1]!.blobId!)).to.equal(true);
      expect(await store.searchItems(a.id, { field: 'subject', equals: 's1' })).to.deep.equal([]);
      expect(await store.searchItems(b.id, { field: 'subject', equals: 's1' })).to.deep.equal([moved[0]!.copy.uid]);
    });

    it('copyItems across spaces checks the target quota and frees the source space', async () => {
      const x = await box('from');
      const y = await box('to');
      const items = await fill(x.inbox, 2);
      const bytes = items.reduce((n, i) => n + i.size, 0);
      const [ux, uy] = [await store.getUsage(x.spaceId, 'mail'), await store.getUsage(y.spaceId, 'mail')];
      await rejects(store.copyItems({ fromCollectionId: x.inbox.id, uids: items.map((i) => i.uid), toCollectionId: y.inbox.id, quotaLimit: uy + bytes - 1, move: true }), QuotaExceeded);
      expect((await store.listItems(x.inbox.id)).length).to.equal(2);
      await store.copyItems({ fromCollectionId: x.inbox.id, uids: items.map((i) => i.uid), toCollectionId: y.inbox.id, quotaLimit: uy + bytes, move: true });
      expect(await store.getUsage(x.spaceId, 'mail')).to.equal(ux - bytes);
      expect(await store.getUsage(y.spaceId, 'mail')).to.equal(uy + bytes);
    });

    it('listItemMeta lists uid, modseq, size and only the named meta keys, in pages', async () => {
      const { inbox: c } = await box('slim');
      for (let i = 0; i < 5; i++) {
        await putInline(store, c.id, `m${i}`, { meta: { flags: i % 2 ? ['\\Seen'] : [], internalDate: 1000 + i, big: { nested: [i, 'x'] }, text: `t${i}` } });
      }
      await putInline(store, c.id, 'bare', { meta: {} });
      const all = await store.listItemMeta(c.id, ['flags', 'internalDate', 'text']);
      const items = await store.listItems(c.id);
      expect(all.map((r) => [r.uid, r.modseq, r.size])).to.deep.equal(items.map((i) => [i.uid, i.modseq, i.size]));
      expect(all[1]!.meta).to.deep.equal({ flags: ['\\Seen'], internalDate: 1001, text: 't1' });
      expect(all[5]!.meta).to.deep.equal({});
      const page = await store.listItemMeta(c.id, ['big'], { afterUid: items[2]!.uid, limit: 2 });
      expect(page.map((r) => r.uid)).to.deep.equal([items[3]!.uid, items[4]!.uid]);
      expect(page[0]!.meta).to.deep.equal({ big: { nested: [3, 'x'] } });
      await rejects(store.listItemMeta(c.id, ["flags') OR 1=1 --"]), Conflict);
    });

    it('listItemMeta gives flags and internal date as the last write left them: put, updateItemsMeta, updateItemMeta, copy, move', async () => {
      const { inbox: c, sent } = await box('listing');
      const put = [];
      for (let i = 0; i < 4; i++) put.push(await putBlob(store, c.id, `m${i}`, { meta: { flags: i === 1 ? ['\\Seen', 'work'] : [], internalDate: 5000 + i } }));
      const listed = async (id: number): Promise<[number, unknown, unknown][]> =>
        (await store.listItemMeta(id, ['flags', 'internalDate'])).map((r) => [r.uid, r.meta.flags, r.meta.internalDate]);
      expect(await listed(c.id)).to.deep.equal(put.map((p, i) => [p.uid, i === 1 ? ['\\Seen', 'work'] : [], 5000 + i]));
      await store.updateItemsMeta(c.id, [put[0]!.uid, put[1]!.uid], (item) => ({ meta: { ...item.meta, flags: ['\\Flagged'] } }));
      await store.updateItemMeta(put[2]!.id, { flags: ['\\Deleted'], internalDate: 7000 });
      expect(await listed(c.id)).to.deep.equal([
        [put[0]!.uid, ['\\Flagged'], 5000], [put[1]!.uid, ['\\Flagged'], 5001], [put[2]!.uid, ['\\Deleted'], 7000], [put[3]!.uid, [], 5003],
      ]);
      const copies = await store.copyItems({ fromCollectionId: c.id, uids: [put[1]!.uid, put[2]!.uid], toCollectionId: sent.id, quotaLimit: null, move: false });
      expect(await listed(sent.id)).to.deep.equal([[copies[0]!.copy.uid, ['\\Flagged'], 5001], [copies[1]!.copy.uid, ['\\Deleted'], 7000]]);
      const moved = await store.copyItems({ fromCollectionId: c.id, uids: [put[3]!.uid], toCollectionId: sent.id, quotaLimit: null, move: true });
      expect((await listed(sent.id)).at(-1)).to.deep.equal([moved[0]!.copy.uid, [], 5003]);
      expect((await listed(c.id)).map((r) => r[0])).to.deep.equal([put[0]!.uid, put[1]!.uid, put[2]!.uid]);
      // a meta PostgreSQL's jsonb cannot read (\u0000 in a string, from a broken header) is stored and listed all the same
      const odd = await putBlob(store, c.id, 'odd', { meta: { flags: ['\\Answered'], internalDate: 9000, envelope: { subject: 'a\u0000b' } } });
      expect((await store.listItemMeta(c.id, ['flags', 'internalDate', 'envelope'], { afterUid: odd.uid - 1 })).map((r) => r.meta))
        .to.deep.equal([{ flags: ['\\Answered'], internalDate: 9000, envelope: { subject: 'a\u0000b' } }]);
      expect((await store.getItem(odd.id))!.meta).to.deep.equal({ flags: ['\\Answered'], internalDate: 9000, envelope: { subject: 'a\u0000b' } });
      // keys without the listing's index beside those with it, in one call
      await store.updateItemsMeta(c.id, [put[0]!.uid], (item) => ({ meta: { ...item.meta, note: 'n' } }));
      const mixed = await store.listItemMeta(c.id, ['note', 'flags', 'constructor'], { limit: 1 });
      expect(mixed.map((r) => r.meta)).to.deep.equal([{ note: 'n', flags: ['\\Flagged'] }]);
    });

    it('deleteItems removes many items, logs each, frees quota and blobs no other item references', async () => {
      const { inbox: a, sent: b, spaceId } = await box('del');
      const items = await fill(a, 4);
      const inline = await putInline(store, a.id, 'inline', { meta: {} });
      const [copy] = await store.copyItems({ fromCollectionId: a.id, uids: [items[0]!.uid], toCollectionId: b.id, quotaLimit: null, move: false });
      const usage = await store.getUsage(spaceId, 'mail');
      const before = (await store.getCollection(a.id))!.modseq;
      const gone = await store.deleteItems(a.id, [items[0]!.uid, items[1]!.uid, inline.uid, 12345]);
      expect(gone.map((i) => i.uid)).to.deep.equal([items[0]!.uid, items[1]!.uid, inline.uid]);
      expect((await store.listItems(a.id)).map((i) => i.uid)).to.deep.equal([items[2]!.uid, items[3]!.uid]);
      expect(await store.getUsage(spaceId, 'mail')).to.equal(usage - items[0]!.size - items[1]!.size - inline.size);
      expect((await store.changesSince(a.id, before)).changes.map((c) => c.op)).to.deep.equal(['delete', 'delete', 'delete']);
      await blobGone(store, items[1]!.blobId!);
      // the copy still references the first blob
      expect(await store.blobs.exists(copy!.copy.blobId!)).to.equal(true);
      expect(await store.deleteItems(a.id, [99999])).to.deep.equal([]);
    });
  });
}
