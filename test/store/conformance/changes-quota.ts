// Store conformance: The change log and quota. Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { NotFound, PreconditionFailed, QuotaExceeded } from '../../../src/store/errors.ts';
import type { Account, Item } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { useStore, newAccount, byRole, documents, inbox, putInline, putBlob, rejects } from './support.ts';

export function changesQuotaConformance(backend: Backend): void {
  describe('change log', () => {
    const s = useStore(backend);

    it('returns one entry per item, the latest, oldest first', async () => {
      const a = await newAccount(s.store, 'log');
      const docs = await documents(s.store, a);
      const start = (await s.store.getCollection(docs.id))!.modseq;
      const x = await putInline(s.store, docs.id, 'x', { name: 'x' });
      const y = await putInline(s.store, docs.id, 'y', { name: 'y' });
      const z = await putInline(s.store, docs.id, 'z', { name: 'z' });
      const x2 = await putInline(s.store, docs.id, 'x2', { name: 'x' });
      await s.store.deleteItem(y.id);
      const all = await s.store.changesSince(docs.id, start);
      const now = (await s.store.getCollection(docs.id))!.modseq;
      expect(all.modseq).to.equal(now);
      expect(all.changes.map((c) => [c.uid, c.name, c.op])).to.deep.equal([
        [z.uid, 'z', 'put'], [x.uid, 'x', 'put'], [y.uid, 'y', 'delete'],
      ]);
      expect(all.changes[1]!.modseq).to.equal(x2.modseq);
      expect(all.changes[2]!.modseq).to.equal(now);
      const ms = all.changes.map((c) => c.modseq);
      expect(ms).to.deep.equal([...ms].sort((p, q) => p - q));
      // only what came after
      const later = await s.store.changesSince(docs.id, x2.modseq);
      expect(later.changes.map((c) => [c.uid, c.op])).to.deep.equal([[y.uid, 'delete']]);
      const none = await s.store.changesSince(docs.id, now);
      expect(none).to.deep.equal({ modseq: now, changes: [] });
      await rejects(s.store.changesSince(docs.id + 100_000, 0), NotFound);
    });

    it('every write takes a strictly higher modseq, equal to the collection\'s', async () => {
      const a = await newAccount(s.store, 'mods');
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'O' });
      const seen: number[] = [(await s.store.getCollection(docs.id))!.modseq];
      const check = async (modseq: number): Promise<void> => {
        expect(modseq).to.be.greaterThan(seen[seen.length - 1]!);
        expect((await s.store.getCollection(docs.id))?.modseq).to.equal(modseq);
        seen.push(modseq);
      };
      const i = await putInline(s.store, docs.id, '1', { name: 'i' });
      await check(i.modseq);
      await check((await putInline(s.store, docs.id, '2', { name: 'i' })).modseq);
      await check((await s.store.updateItemMeta(i.id, { k: 1 })).modseq);
      await check((await s.store.copyItem({ itemId: i.id, toCollectionId: docs.id, name: 'j', quotaLimit: null })).modseq);
      const o = await putInline(s.store, other.id, 'o', { name: 'o' });
      await check((await s.store.moveItem({ itemId: o.id, toCollectionId: docs.id, quotaLimit: null })).modseq);
      await s.store.deleteItem(i.id);
      await check((await s.store.changesSince(docs.id, 0)).modseq);
      const otherChanges = await s.store.changesSince(other.id, 0);
      expect(otherChanges.changes.map((c) => [c.name, c.op])).to.deep.equal([['o', 'delete']]);
    });
  });

  describe('quota', () => {
    const s = useStore(backend);

    it('usage follows put, replace, copy, move, delete and deleteCollection, per bucket', async () => {
      const a = await newAccount(s.store, 'qa');
      const b = await newAccount(s.store, 'qb');
      const docs = await documents(s.store, a);
      const box = await inbox(s.store, a);
      const cal = await byRole(s.store, a.spaceId, 'calendar', 'default');
      const usage = async (acc: Account) => [await s.store.getUsage(acc.spaceId, 'mail'), await s.store.getUsage(acc.spaceId, 'files')];
      const f = await putInline(s.store, docs.id, new Uint8Array(100), { name: 'f' });
      expect(await usage(a)).to.deep.equal([0, 100]);
      await putInline(s.store, box.id, new Uint8Array(30));
      expect(await usage(a)).to.deep.equal([30, 100]);
      await putInline(s.store, cal.id, new Uint8Array(7), { name: 'e.ics' });
      expect(await usage(a)).to.deep.equal([30, 107]);
      expect(await s.store.usageByTool(a.spaceId)).to.deep.equal({ mail: 30, calendar: 7, contacts: 0, files: 100 });
      await putBlob(s.store, docs.id, new Uint8Array(40), { name: 'f' });
      expect(await usage(a)).to.deep.equal([30, 47]);
      const copy = await s.store.copyItem({ itemId: f.id, toCollectionId: docs.id, name: 'g', quotaLimit: null });
      expect(await usage(a)).to.deep.equal([30, 87]);
      await s.store.moveItem({ itemId: copy.id, toCollectionId: (await documents(s.store, b)).id, quotaLimit: null });
      expect(await usage(a)).to.deep.equal([30, 47]);
      expect(await usage(b)).to.deep.equal([0, 40]);
      await s.store.deleteItem(f.id);
      expect(await usage(a)).to.deep.equal([30, 7]);
      await s.store.deleteCollection(box.id);
      expect(await usage(a)).to.deep.equal([0, 7]);
      expect(await s.store.usageByTool(a.spaceId)).to.deep.equal({ mail: 0, calendar: 7, contacts: 0, files: 0 });
      await rejects(s.store.getUsage(a.spaceId + 100_000, 'files'), NotFound);
    });

    it('a put over the quota changes nothing', async () => {
      const a = await newAccount(s.store, 'qx');
      const docs = await documents(s.store, a);
      const first = await putInline(s.store, docs.id, new Uint8Array(60), { name: 'a', quotaLimit: 100 });
      const before = await s.store.getCollection(docs.id);
      const err = await rejects(putInline(s.store, docs.id, new Uint8Array(41), { name: 'b', quotaLimit: 100 }), QuotaExceeded);
      expect(err.usedBytes).to.equal(60);
      expect(err.limitBytes).to.equal(100);
      expect(err.neededBytes).to.equal(41);
      expect(await s.store.getItemByName(docs.id, 'b')).to.equal(null);
      expect(await s.store.listItems(docs.id)).to.deep.equal([first]);
      expect(await s.store.getCollection(docs.id)).to.deep.equal(before);
      expect((await s.store.changesSince(docs.id, first.modseq)).changes).to.deep.equal([]);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(60);
      // a blob put over quota: the item is not made (the blob stays the caller's)
      const blob = await s.store.blobs.write(new Uint8Array(50));
      await rejects(s.store.putItem({ collectionId: docs.id, name: 'c', blobId: blob.id, size: 50, contentType: 't', quotaLimit: 100 }), QuotaExceeded);
      expect(await s.store.getItemByName(docs.id, 'c')).to.equal(null);
      // a replacement that grows past the limit keeps the old version
      await rejects(putInline(s.store, docs.id, new Uint8Array(101), { name: 'a', quotaLimit: 100 }), QuotaExceeded);
      expect(await s.store.getItem(first.id)).to.deep.equal(first);
      // copies and moves count too
      await rejects(s.store.copyItem({ itemId: first.id, toCollectionId: docs.id, name: 'a2', quotaLimit: 100 }), QuotaExceeded);
      expect(await s.store.getCollection(docs.id)).to.deep.equal(before);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(60);
      // exactly at the limit is allowed; shrinking is always allowed
      await putInline(s.store, docs.id, new Uint8Array(40), { name: 'b', quotaLimit: 100 });
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(100);
      await putInline(s.store, docs.id, new Uint8Array(10), { name: 'a', quotaLimit: 5 });
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(50);
    });

    it('limits and sizes of 2 GiB and more (a 10 GiB plan, a 5 GiB file) count exactly', async () => {
      const a = await newAccount(s.store, 'qbig');
      const docs = await documents(s.store, a);
      const GiB = 2 ** 30;
      await putInline(s.store, docs.id, 'small', { name: 's', quotaLimit: 10 * GiB });
      const blob = await s.store.blobs.write(new Uint8Array(8));
      const big = await s.store.putItem({ collectionId: docs.id, name: 'big', blobId: blob.id, size: 5 * GiB, contentType: 't', quotaLimit: 10 * GiB });
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(5 * GiB + 5);
      await s.store.copyItem({ itemId: big.id, toCollectionId: docs.id, name: 'big2', quotaLimit: 11 * GiB });
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(10 * GiB + 5);
      const err = await rejects(s.store.copyItem({ itemId: big.id, toCollectionId: docs.id, name: 'big3', quotaLimit: 12 * GiB }), QuotaExceeded);
      expect([err.usedBytes, err.limitBytes, err.neededBytes]).to.deep.equal([10 * GiB + 5, 12 * GiB, 5 * GiB]);
      await s.store.deleteItem(big.id);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(5 * GiB + 5);
    });

    it('20 concurrent puts of 100 bytes against a 1000-byte limit: exactly 10 succeed', async () => {
      const a = await newAccount(s.store, 'qc');
      const cols = [await documents(s.store, a)];
      for (let i = 0; i < 3; i++) cols.push(await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: `c${i}` }));
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) =>
        putInline(s.store, cols[i % cols.length]!.id, new Uint8Array(100).fill(i), { name: `n${i}`, quotaLimit: 1000 })));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).to.have.length(10);
      expect(refused).to.have.length(10);
      for (const r of refused) expect(r.reason).to.be.instanceOf(QuotaExceeded);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(1000);
      let items = 0;
      for (const c of cols) items += (await s.store.listItems(c.id)).length;
      expect(items).to.equal(10);
    });

    it('20 concurrent puts into one collection get 20 distinct increasing uids', async () => {
      const a = await newAccount(s.store, 'qu');
      const box = await inbox(s.store, a);
      const items = await Promise.all(Array.from({ length: 20 }, (_, i) => putInline(s.store, box.id, `mail ${i}`)));
      const uids = items.map((i) => i.uid).sort((x, y) => x - y);
      expect(uids).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      const modseqs = new Set(items.map((i) => i.modseq));
      expect(modseqs.size).to.equal(20);
      const byModseq = [...items].sort((x, y) => x.modseq - y.modseq);
      expect(byModseq.map((i) => i.uid)).to.deep.equal(uids);
      expect((await s.store.changesSince(box.id, 0)).changes).to.have.length(20);
      expect((await s.store.getCollection(box.id))?.uidNext).to.equal(21);
    });

    it('concurrent If-Match replaces of one version: exactly one wins', async () => {
      const a = await newAccount(s.store, 'qm');
      const docs = await documents(s.store, a);
      const v1 = await putInline(s.store, docs.id, 'v1', { name: 'contested' });
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) =>
        putInline(s.store, docs.id, `writer ${i}`, { name: 'contested', ifMatch: v1.etag })));
      const ok = results.filter((r): r is PromiseFulfilledResult<Item> => r.status === 'fulfilled');
      expect(ok).to.have.length(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(PreconditionFailed);
      const now = (await s.store.getItem(v1.id))!;
      expect(now.etag).to.equal(ok[0]!.value.etag);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(now.size);
    });

    it('concurrent deletes of one item: one succeeds and the usage is freed once', async () => {
      const a = await newAccount(s.store, 'qd');
      const docs = await documents(s.store, a);
      await putInline(s.store, docs.id, new Uint8Array(10), { name: 'stay' });
      const item = await putInline(s.store, docs.id, new Uint8Array(100), { name: 'go' });
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => s.store.deleteItem(item.id)));
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(NotFound);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(10);
      const changes = await s.store.changesSince(docs.id, item.modseq);
      expect(changes.changes.map((c) => [c.name, c.op])).to.deep.equal([['go', 'delete']]);
      expect(changes.modseq).to.equal(item.modseq + 1);
    });
  });
}
