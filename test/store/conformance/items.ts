// Store conformance: Items. Run through storeConformance (test/store/conformance.ts).
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { NotFound, PreconditionFailed } from '../../../src/store/errors.ts';
import type { Item } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { encode, decode, useStore, newAccount, byRole, documents, inbox, putInline, putBlob, rejects, blobGone, settleTrash } from './support.ts';

export function itemsConformance(backend: Backend): void {
  describe('items', () => {
    const s = useStore(backend);

    it('puts an inline item and reads back the exact bytes', async () => {
      const a = await newAccount(s.store, 'inl');
      const docs = await documents(s.store, a);
      const bytes = new Uint8Array([0, 1, 2, 255, 254, 0, 10, 13]);
      const before = Date.now();
      const item = await putInline(s.store, docs.id, bytes, { name: 'bin.dat', contentType: 'application/x-test', meta: { a: 1, nested: { b: [true, null] } } });
      expect(item.collectionId).to.equal(docs.id);
      expect(item.uid).to.equal(1);
      expect(item.name).to.equal('bin.dat');
      expect(item.blobId).to.equal(null);
      expect(item.size).to.equal(bytes.byteLength);
      expect(item.etag).to.be.a('string').and.not.equal('');
      expect(item.contentType).to.equal('application/x-test');
      expect(item.meta).to.deep.equal({ a: 1, nested: { b: [true, null] } });
      expect(item.createdAt).to.be.within(before, Date.now());
      expect(item.updatedAt).to.equal(item.createdAt);
      expect(item.modseq).to.equal((await s.store.getCollection(docs.id))?.modseq);
      expect(await s.store.getItem(item.id)).to.deep.equal(item);
      expect(await s.store.getItemByUid(docs.id, 1)).to.deep.equal(item);
      expect(await s.store.getItemByName(docs.id, 'bin.dat')).to.deep.equal(item);
      expect(await s.store.getItemByName(docs.id, 'BIN.DAT')).to.equal(null);
      expect(Array.from(await s.store.readItemContent(item))).to.deep.equal(Array.from(bytes));
      expect((await s.store.getCollection(docs.id))?.uidNext).to.equal(2);
    });

    it('puts an item on a blob and reads back the exact bytes', async () => {
      const a = await newAccount(s.store, 'blob');
      const docs = await documents(s.store, a);
      const bytes = randomBytes(70_000);
      const info = await s.store.blobs.write(bytes);
      const item = await s.store.putItem({ collectionId: docs.id, name: 'big.bin', blobId: info.id, size: info.size, contentType: 'application/octet-stream', quotaLimit: null });
      expect(item.blobId).to.equal(info.id);
      expect(item.size).to.equal(70_000);
      expect(Buffer.from(await s.store.readItemContent(item)).equals(bytes)).to.equal(true);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(70_000);
    });

    it('refuses a put with both or neither of content and blobId, and an unknown collection', async () => {
      const a = await newAccount(s.store, 'bad');
      const docs = await documents(s.store, a);
      const blob = await s.store.blobs.write(encode('x'));
      let threw = false;
      try {
        await s.store.putItem({ collectionId: docs.id, content: encode('x'), blobId: blob.id, size: 1, contentType: 't', quotaLimit: null });
      } catch {
        threw = true;
      }
      expect(threw).to.equal(true);
      threw = false;
      try {
        await s.store.putItem({ collectionId: docs.id, size: 0, contentType: 't', quotaLimit: null });
      } catch {
        threw = true;
      }
      expect(threw).to.equal(true);
      await rejects(putInline(s.store, docs.id + 100_000, 'x'), NotFound);
      expect(await s.store.listItems(docs.id)).to.deep.equal([]);
    });

    it('gives increasing uids that are never reused after a delete', async () => {
      const a = await newAccount(s.store, 'uid');
      const box = await inbox(s.store, a);
      const m1 = await putInline(s.store, box.id, 'one');
      const m2 = await putInline(s.store, box.id, 'two');
      const m3 = await putInline(s.store, box.id, 'three');
      expect([m1.uid, m2.uid, m3.uid]).to.deep.equal([1, 2, 3]);
      expect(m1.name).to.equal(null);
      await s.store.deleteItem(m3.id);
      const m4 = await putInline(s.store, box.id, 'four');
      expect(m4.uid).to.equal(4);
      expect((await s.store.getCollection(box.id))?.uidNext).to.equal(5);
      expect(await s.store.getItemByUid(box.id, 3)).to.equal(null);
    });

    it('replaces an item by name: same uid, new etag and modseq, new content', async () => {
      const a = await newAccount(s.store, 'repl');
      const docs = await documents(s.store, a);
      const v1 = await putBlob(s.store, docs.id, 'version one', { name: 'doc.txt' });
      const v2 = await putInline(s.store, docs.id, 'version two!', { name: 'doc.txt', contentType: 'text/plain' });
      expect(v2.id).to.equal(v1.id);
      expect(v2.uid).to.equal(v1.uid);
      expect(v2.etag).to.not.equal(v1.etag);
      expect(v2.modseq).to.be.greaterThan(v1.modseq);
      expect(v2.size).to.equal(12);
      expect(v2.contentType).to.equal('text/plain');
      expect(v2.blobId).to.equal(null);
      expect(v2.createdAt).to.equal(v1.createdAt);
      expect(decode(await s.store.readItemContent(v2))).to.equal('version two!');
      expect(await s.store.listItems(docs.id)).to.deep.equal([v2]);
      expect((await s.store.getCollection(docs.id))?.uidNext).to.equal(2);
      // the replaced blob is freed
      await blobGone(s.store, v1.blobId!);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(12);
    });

    it('honours If-Match and If-None-Match', async () => {
      const a = await newAccount(s.store, 'cond');
      const docs = await documents(s.store, a);
      const v1 = await putInline(s.store, docs.id, 'one', { name: 'c.txt', ifNoneMatch: true });
      await rejects(putInline(s.store, docs.id, 'two', { name: 'c.txt', ifMatch: 'not-the-etag' }), PreconditionFailed);
      await rejects(putInline(s.store, docs.id, 'two', { name: 'c.txt', ifNoneMatch: true }), PreconditionFailed);
      await rejects(putInline(s.store, docs.id, 'two', { name: 'missing.txt', ifMatch: v1.etag }), PreconditionFailed);
      expect(await s.store.getItem(v1.id)).to.deep.equal(v1);
      expect(decode(await s.store.readItemContent(v1))).to.equal('one');
      expect(await s.store.getItemByName(docs.id, 'missing.txt')).to.equal(null);
      expect((await s.store.getCollection(docs.id))?.modseq).to.equal(v1.modseq);
      const v2 = await putInline(s.store, docs.id, 'two', { name: 'c.txt', ifMatch: v1.etag });
      expect(v2.uid).to.equal(v1.uid);
      await rejects(putInline(s.store, docs.id, 'three', { name: 'c.txt', ifMatch: v1.etag }), PreconditionFailed);
      expect(decode(await s.store.readItemContent((await s.store.getItem(v1.id))!))).to.equal('two');
    });

    it('lists items in uid order from afterUid, at most limit', async () => {
      const a = await newAccount(s.store, 'li');
      const box = await inbox(s.store, a);
      const made: Item[] = [];
      for (let i = 0; i < 6; i++) made.push(await putInline(s.store, box.id, `m${i}`));
      await s.store.deleteItem(made[2]!.id);
      const all = await s.store.listItems(box.id);
      expect(all.map((i) => i.uid)).to.deep.equal([1, 2, 4, 5, 6]);
      expect((await s.store.listItems(box.id, { afterUid: 2 })).map((i) => i.uid)).to.deep.equal([4, 5, 6]);
      expect((await s.store.listItems(box.id, { afterUid: 1, limit: 2 })).map((i) => i.uid)).to.deep.equal([2, 4]);
      expect((await s.store.listItems(box.id, { limit: 1 })).map((i) => i.uid)).to.deep.equal([1]);
      expect(await s.store.listItems(box.id, { afterUid: 6 })).to.deep.equal([]);
      expect(all[0]).to.deep.equal(await s.store.getItem(made[0]!.id));
    });

    it('updateItemMeta bumps the modseq and keeps the etag', async () => {
      const a = await newAccount(s.store, 'meta');
      const box = await inbox(s.store, a);
      const m = await putInline(s.store, box.id, 'mail', { meta: { flags: ['\\Recent'] } });
      const u = await s.store.updateItemMeta(m.id, { flags: ['\\Seen'], keyword: 'é' });
      expect(u.meta).to.deep.equal({ flags: ['\\Seen'], keyword: 'é' });
      expect(u.etag).to.equal(m.etag);
      expect(u.uid).to.equal(m.uid);
      expect(u.modseq).to.be.greaterThan(m.modseq);
      expect((await s.store.getCollection(box.id))?.modseq).to.equal(u.modseq);
      expect(await s.store.getItem(m.id)).to.deep.equal(u);
      const changes = await s.store.changesSince(box.id, m.modseq);
      expect(changes.changes).to.deep.equal([{ modseq: u.modseq, uid: m.uid, name: null, op: 'put' }]);
      await rejects(s.store.updateItemMeta(m.id + 100_000, {}), NotFound);
    });

    it('deleteItem removes the item and leaves a tombstone', async () => {
      const a = await newAccount(s.store, 'del');
      const docs = await documents(s.store, a);
      const item = await putInline(s.store, docs.id, 'bye', { name: 'bye.txt' });
      await s.store.deleteItem(item.id);
      expect(await s.store.getItem(item.id)).to.equal(null);
      expect(await s.store.getItemByName(docs.id, 'bye.txt')).to.equal(null);
      const c = await s.store.changesSince(docs.id, item.modseq);
      expect(c.changes).to.have.length(1);
      expect(c.changes[0]).to.deep.include({ uid: item.uid, name: 'bye.txt', op: 'delete' });
      expect(c.changes[0]!.modseq).to.equal(c.modseq);
      await rejects(s.store.deleteItem(item.id), NotFound);
      // the name can be used again, with a new uid
      const again = await putInline(s.store, docs.id, 'back', { name: 'bye.txt' });
      expect(again.uid).to.be.greaterThan(item.uid);
    });

    it('copyItem shares the blob; deleting one copy keeps the other readable', async () => {
      const a = await newAccount(s.store, 'copy');
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Other' });
      const src = await putBlob(s.store, docs.id, 'shared bytes', { name: 's.txt', meta: { m: 1 }, contentType: 'text/plain' });
      const copy = await s.store.copyItem({ itemId: src.id, toCollectionId: other.id, quotaLimit: null });
      expect(copy.id).to.not.equal(src.id);
      expect(copy.collectionId).to.equal(other.id);
      expect(copy.name).to.equal('s.txt');
      expect(copy.blobId).to.equal(src.blobId);
      expect(copy.size).to.equal(src.size);
      expect(copy.contentType).to.equal('text/plain');
      expect(copy.meta).to.deep.equal({ m: 1 });
      expect(copy.uid).to.equal(1);
      const renamed = await s.store.copyItem({ itemId: src.id, toCollectionId: docs.id, name: 'copy of s.txt', quotaLimit: null });
      expect(renamed.name).to.equal('copy of s.txt');
      expect(await s.store.getItem(src.id)).to.deep.equal(src);
      await s.store.deleteItem(src.id);
      await s.store.deleteItem(renamed.id);
      await settleTrash(s.store);
      expect(await s.store.blobs.exists(copy.blobId!)).to.equal(true);
      expect(decode(await s.store.readItemContent(copy))).to.equal('shared bytes');
      await s.store.deleteItem(copy.id);
      await blobGone(s.store, copy.blobId!);
    });

    it('copies inline items', async () => {
      const a = await newAccount(s.store, 'copyi');
      const box = await inbox(s.store, a);
      const sent = await byRole(s.store, a.spaceId, 'mail', 'sent');
      const m = await putInline(s.store, box.id, 'inline mail');
      const c = await s.store.copyItem({ itemId: m.id, toCollectionId: sent.id, quotaLimit: null });
      expect(c.blobId).to.equal(null);
      expect(c.name).to.equal(null);
      await s.store.deleteItem(m.id);
      expect(decode(await s.store.readItemContent(c))).to.equal('inline mail');
    });

    it('refuses to copy over an existing name without overwrite, replaces with it', async () => {
      const a = await newAccount(s.store, 'over');
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Other' });
      const src = await putInline(s.store, docs.id, 'new', { name: 'f.txt' });
      const old = await putBlob(s.store, other.id, 'older content', { name: 'f.txt' });
      const modseq = (await s.store.getCollection(other.id))!.modseq;
      await rejects(s.store.copyItem({ itemId: src.id, toCollectionId: other.id, quotaLimit: null }), PreconditionFailed);
      await rejects(s.store.moveItem({ itemId: src.id, toCollectionId: other.id, quotaLimit: null }), PreconditionFailed);
      expect(await s.store.getItem(old.id)).to.deep.equal(old);
      expect(await s.store.getItem(src.id)).to.deep.equal(src);
      expect((await s.store.getCollection(other.id))?.modseq).to.equal(modseq);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(16);
      const replaced = await s.store.copyItem({ itemId: src.id, toCollectionId: other.id, overwrite: true, quotaLimit: null });
      expect(await s.store.getItem(old.id)).to.equal(null);
      expect(decode(await s.store.readItemContent(replaced))).to.equal('new');
      expect((await s.store.listItems(other.id)).map((i) => i.id)).to.deep.equal([replaced.id]);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(6);
      await blobGone(s.store, old.blobId!);
      await rejects(s.store.copyItem({ itemId: src.id + 100_000, toCollectionId: other.id, quotaLimit: null }), NotFound);
    });

    it('copying an item onto itself with overwrite keeps its bytes', async () => {
      const a = await newAccount(s.store, 'self');
      const docs = await documents(s.store, a);
      const src = await putBlob(s.store, docs.id, 'my own bytes', { name: 'self.txt' });
      await rejects(s.store.copyItem({ itemId: src.id, toCollectionId: docs.id, quotaLimit: null }), PreconditionFailed);
      const copy = await s.store.copyItem({ itemId: src.id, toCollectionId: docs.id, overwrite: true, quotaLimit: null });
      expect(await s.store.getItem(src.id)).to.equal(null);
      expect(copy.blobId).to.equal(src.blobId);
      expect((await s.store.listItems(docs.id)).map((i) => i.id)).to.deep.equal([copy.id]);
      await settleTrash(s.store);
      expect(await s.store.blobs.exists(copy.blobId!)).to.equal(true);
      expect(decode(await s.store.readItemContent(copy))).to.equal('my own bytes');
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(12);
    });

    it('moveItem moves across collections and across spaces, with the quota', async () => {
      const a = await newAccount(s.store, 'mova');
      const b = await newAccount(s.store, 'movb');
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Other' });
      const src = await putBlob(s.store, docs.id, '0123456789', { name: 'm.bin' });
      const moved = await s.store.moveItem({ itemId: src.id, toCollectionId: other.id, quotaLimit: null });
      expect(await s.store.getItem(src.id)).to.equal(null);
      expect(moved.collectionId).to.equal(other.id);
      expect(moved.name).to.equal('m.bin');
      expect(moved.blobId).to.equal(src.blobId);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(10);
      const srcChanges = await s.store.changesSince(docs.id, 0);
      expect(srcChanges.changes.map((c) => c.op)).to.deep.equal(['delete']);
      // to another space: the usage moves with it
      const bDocs = await documents(s.store, b);
      const far = await s.store.moveItem({ itemId: moved.id, toCollectionId: bDocs.id, name: 'renamed.bin', quotaLimit: null });
      expect(far.collectionId).to.equal(bDocs.id);
      expect(far.name).to.equal('renamed.bin');
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(0);
      expect(await s.store.getUsage(b.spaceId, 'files')).to.equal(10);
      await settleTrash(s.store);
      expect(await s.store.blobs.exists(far.blobId!)).to.equal(true);
      expect(decode(await s.store.readItemContent(far))).to.equal('0123456789');
      // a move onto itself changes nothing
      const same = await s.store.moveItem({ itemId: far.id, toCollectionId: bDocs.id, name: 'renamed.bin', quotaLimit: null });
      expect(same).to.deep.equal(far);
      expect(await s.store.getItem(far.id)).to.deep.equal(far);
    });

    it('a copy racing the delete of its source never loses the bytes', async () => {
      const a = await newAccount(s.store, 'race');
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Other' });
      for (let round = 0; round < 25; round++) {
        const src = await putBlob(s.store, docs.id, `round ${round}`, { name: `r${round}` });
        const [copied] = await Promise.allSettled([
          s.store.copyItem({ itemId: src.id, toCollectionId: other.id, quotaLimit: null }),
          s.store.deleteItem(src.id),
        ]);
        await settleTrash(s.store);
        if (copied.status === 'fulfilled') {
          expect(decode(await s.store.readItemContent(copied.value)), `round ${round}`).to.equal(`round ${round}`);
        } else {
          expect(copied.reason).to.be.instanceOf(NotFound);
        }
      }
    });
  });
}
