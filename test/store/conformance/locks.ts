// WebDAV locks in the store: made, found by anchor, refreshed, expired,
// deleted, and gone with their collection.
import { expect } from 'chai';
import { Conflict, NotFound } from '../../../src/store/errors.ts';
import type { DavLock } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { documents, newAccount, rejects, useStore } from './support.ts';

export function locksConformance(backend: Backend): void {
  describe('dav locks', () => {
    const s = useStore(backend);
    let n = 0;
    const lock = (over: Partial<DavLock> & { anchorId: number; accountId: number }): DavLock => ({
      token: `opaquelocktoken:test-${backend}-${++n}`, name: '', depth: '0', scope: 'exclusive', owner: '<href>me</href>',
      root: '/files/x', timeoutSeconds: 60, expiresAt: Date.now() + 60_000, createdAt: Date.now(), ...over,
    });

    it('keeps locks by anchor, refreshes them, forgets expired ones', async () => {
      const store = s.store;
      const a = await newAccount(store, 'locker');
      const docs = await documents(store, a);
      const sub = await store.createCollection({ spaceId: a.spaceId, tool: 'files', parentId: docs.id, name: 'sub' });
      const onFile = lock({ anchorId: docs.id, accountId: a.id, name: 'f.txt', scope: 'shared' });
      const onFolder = lock({ anchorId: sub.id, accountId: a.id, depth: 'infinity' });
      const expired = lock({ anchorId: docs.id, accountId: a.id, name: 'old', expiresAt: Date.now() - 1 });
      for (const l of [onFile, onFolder, expired]) await store.createLock(l);
      await rejects(store.createLock(onFile), Conflict);
      expect(await store.getLock(onFile.token)).to.deep.equal(onFile);
      expect(await store.getLock(expired.token)).to.equal(null);
      expect((await store.listLocks([docs.id, sub.id])).map((l) => l.token).sort()).to.deep.equal([onFile.token, onFolder.token].sort());
      expect(await store.listLocks([])).to.deep.equal([]);
      expect(await store.countLocksOf(a.id)).to.equal(2, 'expired locks do not count');
      const deeper = await store.createCollection({ spaceId: a.spaceId, tool: 'files', parentId: sub.id, name: 'deeper' });
      expect((await store.listSubtree(docs.id)).sort((x, y) => x - y)).to.deep.equal([docs.id, sub.id, deeper.id].sort((x, y) => x - y));
      expect(await store.listSubtree(deeper.id)).to.deep.equal([deeper.id]);
      const later = Date.now() + 3_600_000;
      const refreshed = await store.refreshLock(onFile.token, 3600, later);
      expect(refreshed).to.include({ timeoutSeconds: 3600, expiresAt: later, owner: '<href>me</href>' });
      await rejects(store.refreshLock(expired.token, 60, later), NotFound);
      await store.deleteLocksAt(docs.id, 'f.txt');
      expect(await store.getLock(onFile.token)).to.equal(null);
      await rejects(store.deleteLock(onFile.token), NotFound);
      await store.deleteCollection(sub.id);
      expect(await store.getLock(onFolder.token)).to.equal(null, 'a lock goes with its collection');
    });
  });
}
