// Store conformance: onChange, the blob store and hostile input. Run through storeConformance (test/store/conformance.ts).
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Conflict, QuotaExceeded } from '../../../src/store/errors.ts';
import { openStore } from '../../../src/store/open.ts';
import type { ChangeEvent } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { PLAN, COLLECTIONS, next, encode, decode, sha256, sleep, useStore, newAccount, documents, putInline, putBlob, rejects, eventually } from './support.ts';

export function eventsBlobsConformance(backend: Backend): void {
  describe('onChange', () => {
    const s = useStore(backend);

    it('announces a committed write to listeners, and stops after unsubscribing', async () => {
      const a = await newAccount(s.store, 'ev');
      const docs = await documents(s.store, a);
      const heard: ChangeEvent[] = [];
      const heard2: ChangeEvent[] = [];
      const off = s.store.onChange((e) => heard.push(e));
      const off2 = s.store.onChange((e) => heard2.push(e));
      try {
        const item = await putInline(s.store, docs.id, 'x', { name: 'x' });
        await eventually('the put is heard', () => heard.some((e) => e.collectionId === docs.id && e.modseq === item.modseq));
        expect(heard.filter((e) => e.collectionId === docs.id)).to.deep.equal([{ collectionId: docs.id, modseq: item.modseq }]);
        off();
        await s.store.deleteItem(item.id);
        const modseq = (await s.store.getCollection(docs.id))!.modseq;
        await eventually('the delete is heard', () => heard2.some((e) => e.collectionId === docs.id && e.modseq === modseq));
        expect(heard.filter((e) => e.collectionId === docs.id)).to.have.length(1);
      } finally {
        off();
        off2();
      }
    });

    it('announces nothing for a write that was refused', async () => {
      const a = await newAccount(s.store, 'evq');
      const docs = await documents(s.store, a);
      const heard: ChangeEvent[] = [];
      const off = s.store.onChange((e) => { if (e.collectionId === docs.id) heard.push(e); });
      try {
        await rejects(putInline(s.store, docs.id, new Uint8Array(20), { name: 'big', quotaLimit: 10 }), QuotaExceeded);
        const ok = await putInline(s.store, docs.id, new Uint8Array(5), { name: 'small', quotaLimit: 10 });
        await eventually('the accepted put is heard', () => heard.some((e) => e.modseq === ok.modseq));
        expect(heard).to.deep.equal([{ collectionId: docs.id, modseq: ok.modseq }]);
      } finally {
        off();
      }
    });

    it('a throwing listener neither fails the write nor silences the others', async () => {
      const a = await newAccount(s.store, 'evt');
      const docs = await documents(s.store, a);
      const heard: ChangeEvent[] = [];
      const offBad = s.store.onChange(() => { throw new Error('listener bug'); });
      const off = s.store.onChange((e) => heard.push(e));
      try {
        const item = await putInline(s.store, docs.id, 'x', { name: 'x' });
        expect(await s.store.getItem(item.id)).to.deep.equal(item);
        await eventually('the put is heard', () => heard.some((e) => e.collectionId === docs.id && e.modseq === item.modseq));
      } finally {
        offBad();
        off();
      }
    });

    if (backend === 'postgres') {
      it('a second store on the same database hears the changes of the first (cross-process path)', async () => {
        const second = await openStore({ databaseUrl: s.test.db.url, dataDir: s.test.db.dataDir });
        try {
          const heard: ChangeEvent[] = [];
          const off = second.onChange((e) => heard.push(e));
          try {
            const a = await newAccount(s.store, 'xproc');
            const docs = await documents(s.store, a);
            const item = await putInline(s.store, docs.id, 'x', { name: 'x' });
            await eventually('the second store hears the put', () => heard.some((e) => e.collectionId === docs.id && e.modseq === item.modseq));
            // and the first hears a write made through the second
            const heardByFirst: ChangeEvent[] = [];
            const off1 = s.store.onChange((e) => heardByFirst.push(e));
            try {
              const again = await putInline(second, docs.id, 'y', { name: 'y' });
              await eventually('the first store hears the put', () => heardByFirst.some((e) => e.collectionId === docs.id && e.modseq === again.modseq));
            } finally {
              off1();
            }
          } finally {
            off();
          }
        } finally {
          await second.close();
        }
      });
    }
  });

  describe('blob store', () => {
    const s = useStore(backend);

    it('writes bytes and streams, returning size and sha256', async () => {
      const bytes = randomBytes(10_000);
      const info = await s.store.blobs.write(bytes);
      expect(info.id).to.match(/^[0-9a-f]{32}$/);
      expect(info.size).to.equal(10_000);
      expect(info.sha256).to.equal(sha256(bytes));
      expect(await s.store.blobs.exists(info.id)).to.equal(true);
      expect(Buffer.from(await s.store.blobs.read(info.id)).equals(bytes)).to.equal(true);
      async function* chunks(): AsyncIterable<Uint8Array> {
        yield bytes.subarray(0, 3000);
        yield new Uint8Array(0);
        yield bytes.subarray(3000);
      }
      const streamed = await s.store.blobs.write(chunks());
      expect(streamed.id).to.not.equal(info.id);
      expect(streamed.size).to.equal(10_000);
      expect(streamed.sha256).to.equal(info.sha256);
      const part: Buffer[] = [];
      for await (const c of s.store.blobs.stream(info.id, { start: 10, end: 19 })) part.push(c as Buffer);
      expect(Buffer.concat(part).equals(bytes.subarray(10, 20))).to.equal(true);
      const listed: string[] = [];
      for await (const b of s.store.blobs.list()) listed.push(b.id);
      expect(listed).to.include.members([info.id, streamed.id]);
      await s.store.blobs.remove(info.id);
      expect(await s.store.blobs.exists(info.id)).to.equal(false);
      await s.store.blobs.remove(info.id);
    });

    it('refuses more than maxBytes and leaves no file behind', async () => {
      const tmp = join(s.test.db.dataDir, 'blobs', 'tmp');
      const listBefore: string[] = [];
      for await (const b of s.store.blobs.list()) listBefore.push(b.id);
      await rejects(s.store.blobs.write(new Uint8Array(101), { maxBytes: 100 }), QuotaExceeded);
      async function* chunks(): AsyncIterable<Uint8Array> {
        yield new Uint8Array(60);
        yield new Uint8Array(60);
      }
      await rejects(s.store.blobs.write(chunks(), { maxBytes: 100 }), QuotaExceeded);
      expect(await readdir(tmp)).to.deep.equal([]);
      const listAfter: string[] = [];
      for await (const b of s.store.blobs.list()) listAfter.push(b.id);
      expect(listAfter.sort()).to.deep.equal(listBefore.sort());
      const exact = await s.store.blobs.write(new Uint8Array(100), { maxBytes: 100 });
      expect(exact.size).to.equal(100);
    });

    it('collectGarbage removes unreferenced blob files and keeps referenced ones', async () => {
      const a = await newAccount(s.store, 'gc');
      const docs = await documents(s.store, a);
      const used = await putBlob(s.store, docs.id, 'referenced', { name: 'r' });
      const orphan = await s.store.blobs.write(encode('never referenced'));
      // too young to be collected with the default age
      expect((await s.store.collectGarbage()).removed).to.equal(0);
      expect(await s.store.blobs.exists(orphan.id)).to.equal(true);
      await sleep(5);
      const r = await s.store.collectGarbage(0);
      expect(r.removed).to.be.greaterThanOrEqual(1);
      expect(await s.store.blobs.exists(orphan.id)).to.equal(false);
      expect(await s.store.blobs.exists(used.blobId!)).to.equal(true);
      expect(decode(await s.store.readItemContent(used))).to.equal('referenced');
    });
  });

  describe('hostile input', () => {
    const s = useStore(backend);
    const BAD = ['', '/', 'a/b', '\0', 'a\0b'];

    it('refuses names with a slash or NUL, or empty, and makes nothing', async () => {
      const a = await newAccount(s.store, 'bad');
      const docs = await documents(s.store, a);
      const ok = await putInline(s.store, docs.id, 'x', { name: 'ok' });
      const modseq = (await s.store.getCollection(docs.id))!.modseq;
      for (const name of BAD) {
        await rejects(putInline(s.store, docs.id, 'x', { name }), Conflict);
        await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name }), Conflict);
        await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name, parentId: docs.id }), Conflict);
        await rejects(s.store.updateCollection(docs.id, { name }), Conflict);
        await rejects(s.store.copyItem({ itemId: ok.id, toCollectionId: docs.id, name, quotaLimit: null }), Conflict);
        await rejects(s.store.moveItem({ itemId: ok.id, toCollectionId: docs.id, name, quotaLimit: null }), Conflict);
      }
      await rejects(s.store.createAccount({
        address: `badcol.${next()}@example.org`, name: 'x', passwordHash: 'x', plan: PLAN.name, status: 'active',
        collections: [{ tool: 'files', name: 'a/b' }],
      }), Conflict);
      expect(await s.store.listItems(docs.id)).to.deep.equal([ok]);
      expect(await s.store.listCollections(a.spaceId)).to.have.length(COLLECTIONS.length);
      expect((await s.store.getCollection(docs.id))?.name).to.equal('Documents');
      expect((await s.store.getCollection(docs.id))?.modseq).to.equal(modseq);
    });

    it('round-trips a 1 MiB inline item and an empty one byte for byte', async () => {
      const a = await newAccount(s.store, 'big');
      const docs = await documents(s.store, a);
      const bytes = randomBytes(1024 * 1024);
      bytes[0] = 0;
      bytes[bytes.length - 1] = 0;
      const item = await putInline(s.store, docs.id, bytes, { name: 'big.bin' });
      const back = await s.store.readItemContent((await s.store.getItem(item.id))!);
      expect(back.byteLength).to.equal(bytes.byteLength);
      expect(sha256(back)).to.equal(sha256(bytes));
      const copy = await s.store.copyItem({ itemId: item.id, toCollectionId: docs.id, name: 'big copy.bin', quotaLimit: null });
      expect(sha256(await s.store.readItemContent(copy))).to.equal(sha256(bytes));
      const empty = await putInline(s.store, docs.id, new Uint8Array(0), { name: 'empty' });
      expect(empty.size).to.equal(0);
      expect((await s.store.readItemContent(empty)).byteLength).to.equal(0);
      const emptyCopy = await s.store.copyItem({ itemId: empty.id, toCollectionId: docs.id, name: 'empty copy', quotaLimit: null });
      expect((await s.store.readItemContent(emptyCopy)).byteLength).to.equal(0);
    });

    it('keeps unicode and SQL-looking names, props and meta intact', async () => {
      const a = await newAccount(s.store, 'uni');
      const names = ['Überweisungen 📁', '履歴書', "x'); DROP TABLE items; --", 'tab\tand\nnewline', 'e\u0301 (NFD)', 'é (NFC)', '%_*?'];
      for (const name of names) {
        const c = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name, props: { 'displayname': name, "quote'key": '"v"' } });
        expect(await s.store.findCollection(a.spaceId, 'files', null, name)).to.deep.equal(c);
        expect(c.props).to.deep.equal({ displayname: name, "quote'key": '"v"' });
        const item = await putInline(s.store, c.id, name, { name, meta: { name, emoji: '🎉' } });
        expect(await s.store.getItemByName(c.id, name)).to.deep.equal(item);
        expect(item.meta).to.deep.equal({ name, emoji: '🎉' });
        expect(decode(await s.store.readItemContent(item))).to.equal(name);
        expect((await s.store.changesSince(c.id, 0)).changes.map((x) => x.name)).to.deep.equal([name]);
      }
      // NFC and NFD spellings are distinct names, and LIKE wildcards match nothing else
      expect((await s.store.listCollections(a.spaceId, 'files', null)).map((c) => c.name)).to.include.members(names);
      expect(await s.store.findCollection(a.spaceId, 'files', null, '%')).to.equal(null);
      expect(await s.store.findCollection(a.spaceId, 'files', null, 'Überweisungen 📁'.toLowerCase())).to.equal(null);
      const acc = await s.store.createAccount({
        address: `Zoë.${next()}@Exämple.org`, name: 'Zoë 🦊 O\'Brien', passwordHash: 'x', plan: PLAN.name, status: 'active',
        profile: { firstName: 'Zoë', photo: 'data:image/png;base64,AAAA' }, collections: [],
      });
      expect(acc.address).to.match(/^zoë\.\d+@exämple\.org$/);
      expect(await s.store.getAccountByAddress(acc.address.toUpperCase())).to.deep.equal(acc);
      expect(acc.name).to.equal('Zoë 🦊 O\'Brien');
      expect(acc.profile.photo).to.equal('data:image/png;base64,AAAA');
    });
  });
}
