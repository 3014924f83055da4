// Store conformance: collections that count against no quota (a group's
// member directory). The flag is the collection's (`counted`), not its role.
// Run through storeConformance (test/store/conformance.ts).
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import pg from 'pg';
import { openStore } from '../../../src/store/open.ts';
import type { Account, Store } from '../../../src/store/types.ts';
import { makeTestDatabase, type Backend } from '../../support/store.ts';
import { newAccount, newGroup, PLAN, putBlob, putInline, useStore } from './support.ts';

export function countedConformance(backend: Backend): void {
  describe('collections counted against no quota', () => {
    const s = useStore(backend);
    const files = (a: { spaceId: number }): Promise<number> => s.store.getUsage(a.spaceId, 'files');

    it('a collection is counted unless made with counted: false, and says so', async () => {
      const a = await newAccount(s.store, 'flag');
      const plain = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Plain' });
      const free = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Free', counted: false });
      expect(plain.counted).to.equal(true);
      expect(free.counted).to.equal(false);
      expect((await s.store.getCollection(free.id))?.counted).to.equal(false);
      const listed = await s.store.listCollections(a.spaceId, 'contacts');
      expect(listed.find((c) => c.id === free.id)?.counted).to.equal(false);
      expect(listed.find((c) => c.id === plain.id)?.counted).to.equal(true);
      // a role alone no longer exempts: a counted collection named like a directory counts
      const roleOnly = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Dir', role: 'directory' });
      expect(roleOnly.counted).to.equal(true);
      await putInline(s.store, roleOnly.id, 'x'.repeat(9), { name: 'r.vcf' });
      expect(await files(a)).to.equal(9);
    });

    it('writes into an uncounted collection leave usage unchanged; into a counted one they move it', async () => {
      const a = await newAccount(s.store, 'writes');
      const counted = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Counted' });
      const free = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Free', counted: false });
      expect(await files(a)).to.equal(0);

      const c1 = await putInline(s.store, counted.id, 'a'.repeat(100), { name: 'c1.vcf' });
      expect(await files(a)).to.equal(100);
      const f1 = await putInline(s.store, free.id, 'b'.repeat(70), { name: 'f1.vcf' });
      expect(await files(a)).to.equal(100);
      await putBlob(s.store, free.id, 'c'.repeat(300), { name: 'f2.vcf' });
      expect(await files(a)).to.equal(100);
      // replacing: the counted one moves by the difference, the free one not at all
      await putInline(s.store, counted.id, 'a'.repeat(40), { name: 'c1.vcf' });
      expect(await files(a)).to.equal(40);
      await putInline(s.store, free.id, 'b'.repeat(700), { name: 'f1.vcf' });
      expect(await files(a)).to.equal(40);
      // meta changes do not count either way
      await s.store.updateItemMeta(f1.id, { k: 'v' });
      expect(await files(a)).to.equal(40);
      // deleting
      await s.store.deleteItem(f1.id);
      expect(await files(a)).to.equal(40);
      await s.store.deleteItem(c1.id);
      expect(await files(a)).to.equal(0);
      expect(await s.store.getUsage(a.spaceId, 'mail')).to.equal(0);
    });

    it('an uncounted collection takes writes past the quota limit; a counted one refuses them', async () => {
      const a = await newAccount(s.store, 'limit');
      const counted = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Counted' });
      const free = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Free', counted: false });
      await putInline(s.store, free.id, 'x'.repeat(50), { name: 'big.vcf', quotaLimit: 10 });
      expect((await s.store.getItemByName(free.id, 'big.vcf'))?.size).to.equal(50);
      let refused = false;
      try {
        await putInline(s.store, counted.id, 'x'.repeat(50), { name: 'big.vcf', quotaLimit: 10 });
      } catch (err) {
        refused = (err as Error).name === 'QuotaExceeded';
      }
      expect(refused, 'the counted write over the limit is refused with QuotaExceeded').to.equal(true);
      expect(await s.store.getItemByName(counted.id, 'big.vcf')).to.equal(null);
      expect(await files(a)).to.equal(0);
    });

    it('deleting either kind of collection keeps usage right', async () => {
      const a = await newAccount(s.store, 'delcol');
      const counted = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Counted' });
      const free = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Free', counted: false });
      const kept = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Kept' });
      await putInline(s.store, kept.id, 'k'.repeat(11), { name: 'k' });
      await putInline(s.store, counted.id, 'a'.repeat(20), { name: 'a.vcf' });
      await putBlob(s.store, counted.id, 'b'.repeat(30), { name: 'b.vcf' });
      await putInline(s.store, free.id, 'c'.repeat(500), { name: 'c.vcf' });
      await putBlob(s.store, free.id, 'd'.repeat(600), { name: 'd.vcf' });
      expect(await files(a)).to.equal(61);
      await s.store.deleteCollection(free.id);
      expect(await files(a)).to.equal(61);
      await s.store.deleteCollection(counted.id);
      expect(await files(a)).to.equal(11);
      expect(await s.store.usageByTool(a.spaceId)).to.deep.equal({ mail: 0, calendar: 0, contacts: 0, files: 11 });
    });

    it('a counted child below an uncounted collection counts, and leaves with it', async () => {
      const a = await newAccount(s.store, 'tree');
      const free = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Free', counted: false });
      const child = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Child', parentId: free.id });
      await putInline(s.store, free.id, 'f'.repeat(100), { name: 'f' });
      await putInline(s.store, child.id, 'c'.repeat(25), { name: 'c' });
      expect(await files(a)).to.equal(25);
      await s.store.deleteCollection(free.id);
      expect(await files(a)).to.equal(0);
      expect(await s.store.getCollection(child.id)).to.equal(null);
    });

    it('copies and moves count where they land', async () => {
      const a = await newAccount(s.store, 'moves');
      const counted = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Counted' });
      const free = await s.store.createCollection({ spaceId: a.spaceId, tool: 'contacts', name: 'Free', counted: false });
      const x = await putInline(s.store, counted.id, 'x'.repeat(40), { name: 'x.vcf' });
      const y = await putInline(s.store, free.id, 'y'.repeat(15), { name: 'y.vcf' });
      expect(await files(a)).to.equal(40);
      await s.store.copyItem({ itemId: x.id, toCollectionId: free.id, name: 'x-copy.vcf', quotaLimit: null });
      expect(await files(a)).to.equal(40);
      await s.store.copyItem({ itemId: y.id, toCollectionId: counted.id, name: 'y-copy.vcf', quotaLimit: null });
      expect(await files(a)).to.equal(55);
      await s.store.moveItem({ itemId: x.id, toCollectionId: free.id, name: 'x-moved.vcf', quotaLimit: null });
      expect(await files(a)).to.equal(15);
      await s.store.moveItem({ itemId: y.id, toCollectionId: counted.id, name: 'y-moved.vcf', quotaLimit: null });
      expect(await files(a)).to.equal(30);
    });

    it('mail written many at a time (copyItems, deleteItems) counts only in counted mailboxes', async () => {
      const a = await newAccount(s.store, 'mailmany');
      const mail = (): Promise<number> => s.store.getUsage(a.spaceId, 'mail');
      const box = await s.store.createCollection({ spaceId: a.spaceId, tool: 'mail', name: 'Box' });
      const free = await s.store.createCollection({ spaceId: a.spaceId, tool: 'mail', name: 'Free', counted: false });
      const m1 = await putInline(s.store, box.id, 'm'.repeat(30));
      const m2 = await putInline(s.store, box.id, 'n'.repeat(12));
      expect(await mail()).to.equal(42);
      const copied = await s.store.copyItems({ fromCollectionId: box.id, uids: [m1.uid, m2.uid], toCollectionId: free.id, quotaLimit: 1, move: false });
      expect(copied).to.have.length(2);
      expect(await mail()).to.equal(42);
      await s.store.copyItems({ fromCollectionId: free.id, uids: copied.map((c) => c.copy.uid), toCollectionId: box.id, quotaLimit: null, move: true });
      expect(await mail()).to.equal(84);
      const back = await s.store.listItems(box.id);
      await s.store.copyItems({ fromCollectionId: box.id, uids: back.slice(2).map((i) => i.uid), toCollectionId: free.id, quotaLimit: null, move: true });
      expect(await mail()).to.equal(42);
      await s.store.deleteItems(free.id, (await s.store.listItems(free.id)).map((i) => i.uid));
      expect(await mail()).to.equal(42);
      await s.store.deleteItems(box.id, [m1.uid]);
      expect(await mail()).to.equal(12);
    });

    it('a group\'s uncounted collection made with the group counts against neither the group nor its admin', async () => {
      const admin: Account = await newAccount(s.store, 'gadmin');
      const g = await newGroup(s.store, admin, [
        { tool: 'contacts', name: 'contacts', role: 'default' },
        { tool: 'contacts', name: 'member-directory', role: 'directory', counted: false },
      ]);
      const dir = await s.store.findCollectionByRole(g.spaceId, 'contacts', 'directory');
      const book = await s.store.findCollectionByRole(g.spaceId, 'contacts', 'default');
      expect(dir?.counted).to.equal(false);
      expect(book?.counted).to.equal(true);
      await putInline(s.store, dir!.id, 'm'.repeat(80), { name: 'member-1.vcf' });
      await putInline(s.store, book!.id, 'b'.repeat(8), { name: 'b.vcf' });
      expect(await files(g)).to.equal(8);
      expect(await files(admin)).to.equal(0);
    });
  });

  describe('migration 008: existing member directories become uncounted', () => {
    it('a directory collection made before the migration counts no more after it', async function () {
      this.timeout(30_000);
      const db = await makeTestDatabase(backend);
      try {
        let store: Store = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
        await store.putPlan(PLAN);
        const a = await newAccount(store, 'legacy');
        const g = await newGroup(store, a, [
          { tool: 'contacts', name: 'member-directory', role: 'directory' },
          { tool: 'contacts', name: 'contacts', role: 'default' },
        ]);
        const dirId = (await store.findCollectionByRole(g.spaceId, 'contacts', 'directory'))!.id;
        const bookId = (await store.findCollectionByRole(g.spaceId, 'contacts', 'default'))!.id;
        await store.close();
        // back to the schema before 008: no column, the migration not recorded
        await rawSql(backend, db.url, [
          'ALTER TABLE collections DROP COLUMN counted',
          'DELETE FROM schema_migrations WHERE version = 8',
        ]);
        store = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
        try {
          expect((await store.getCollection(dirId))?.counted).to.equal(false);
          expect((await store.getCollection(bookId))?.counted).to.equal(true);
          await putInline(store, dirId, 'm'.repeat(64), { name: 'member-1.vcf' });
          expect(await store.getUsage(g.spaceId, 'files')).to.equal(0);
          await putInline(store, bookId, 'b'.repeat(5), { name: 'b.vcf' });
          expect(await store.getUsage(g.spaceId, 'files')).to.equal(5);
        } finally {
          await store.close();
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}

/** Runs statements on the test database directly (to put it back in an older schema). */
async function rawSql(backend: Backend, url: string, statements: readonly string[]): Promise<void> {
  if (backend === 'sqlite') {
    const raw = new DatabaseSync(url.slice('sqlite:'.length));
    try {
      for (const sql of statements) raw.exec(sql);
    } finally {
      raw.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}
