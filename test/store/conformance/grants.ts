// Store conformance: Grants and listReachableCollections. Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { NotFound } from '../../../src/store/errors.ts';
import type { Backend } from '../../support/store.ts';
import { useStore, newAccount, byRole, documents, newGroup, putInline, rejects, ids } from './support.ts';

export function grantsConformance(backend: Backend): void {
  describe('grants', () => {
    const s = useStore(backend);

    it('puts (upserting per target and group), gets, lists and deletes grants', async () => {
      const a = await newAccount(s.store, 'gr');
      const g = await newGroup(s.store, a);
      const h = await newGroup(s.store, a);
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Other' });
      const item = await putInline(s.store, docs.id, 'x', { name: 'x' });
      const before = Date.now();
      const c1 = await s.store.putGrant({ collectionId: docs.id, groupId: g.id, rights: ['write', 'read', 'write'], grantedBy: a.id });
      expect(c1.collectionId).to.equal(docs.id);
      expect(c1.itemId).to.equal(null);
      expect(c1.groupId).to.equal(g.id);
      expect(c1.rights).to.have.members(['read', 'write']).and.have.length(2);
      expect(c1.grantedBy).to.equal(a.id);
      expect(c1.createdAt).to.be.within(before, Date.now());
      expect(await s.store.getGrant(c1.id)).to.deep.equal(c1);
      const c1b = await s.store.putGrant({ collectionId: docs.id, groupId: g.id, rights: ['read'], grantedBy: a.id });
      expect(c1b.id).to.equal(c1.id);
      expect(c1b.rights).to.deep.equal(['read']);
      const c2 = await s.store.putGrant({ collectionId: docs.id, groupId: h.id, rights: ['read'], grantedBy: a.id });
      const i1 = await s.store.putGrant({ collectionId: docs.id, itemId: item.id, groupId: g.id, rights: ['read', 'write'], grantedBy: a.id });
      const i1b = await s.store.putGrant({ collectionId: docs.id, itemId: item.id, groupId: g.id, rights: ['read'], grantedBy: a.id });
      expect(i1b.id).to.equal(i1.id);
      expect(i1.id).to.not.equal(c1.id);
      expect(i1.itemId).to.equal(item.id);
      const o1 = await s.store.putGrant({ collectionId: other.id, groupId: g.id, rights: ['read'], grantedBy: a.id });

      expect(ids(await s.store.listGrants([docs.id]))).to.deep.equal(ids([c1, c2]));
      expect(ids(await s.store.listGrants([docs.id], [item.id]))).to.deep.equal(ids([c1, c2, i1]));
      expect(ids(await s.store.listGrants([], [item.id]))).to.deep.equal([i1.id]);
      expect(ids(await s.store.listGrants([docs.id, other.id]))).to.deep.equal(ids([c1, c2, o1]));
      expect(await s.store.listGrants([])).to.deep.equal([]);
      expect(ids(await s.store.listGrantsBy(a.id))).to.deep.equal(ids([c1, c2, i1, o1]));

      await s.store.deleteGrant(c2.id);
      expect(await s.store.getGrant(c2.id)).to.equal(null);
      await rejects(s.store.deleteGrant(c2.id), NotFound);
      expect(ids(await s.store.listGrants([docs.id]))).to.deep.equal([c1.id]);
    });

    it('refuses grants on things that do not exist, or on an item of another collection', async () => {
      const a = await newAccount(s.store, 'grx');
      const g = await newGroup(s.store, a);
      const docs = await documents(s.store, a);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Other' });
      const item = await putInline(s.store, docs.id, 'x', { name: 'x' });
      await rejects(s.store.putGrant({ collectionId: docs.id, groupId: g.id + 100_000, rights: ['read'], grantedBy: a.id }), NotFound);
      await rejects(s.store.putGrant({ collectionId: docs.id + 100_000, groupId: g.id, rights: ['read'], grantedBy: a.id }), NotFound);
      await rejects(s.store.putGrant({ collectionId: docs.id, groupId: g.id, rights: ['read'], grantedBy: a.id + 100_000 }), NotFound);
      await rejects(s.store.putGrant({ collectionId: docs.id, itemId: item.id + 100_000, groupId: g.id, rights: ['read'], grantedBy: a.id }), NotFound);
      await rejects(s.store.putGrant({ collectionId: other.id, itemId: item.id, groupId: g.id, rights: ['read'], grantedBy: a.id }), NotFound);
      expect(await s.store.listGrants([docs.id, other.id], [item.id])).to.deep.equal([]);
      expect(await s.store.listGrantsBy(a.id)).to.deep.equal([]);
    });

    it('grants vanish with their item, collection and group', async () => {
      const a = await newAccount(s.store, 'grv');
      const g = await newGroup(s.store, a);
      const h = await newGroup(s.store, a);
      const docs = await documents(s.store, a);
      const sub = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'sub', parentId: docs.id });
      const item = await putInline(s.store, docs.id, 'x', { name: 'x' });
      const onItem = await s.store.putGrant({ collectionId: docs.id, itemId: item.id, groupId: g.id, rights: ['read'], grantedBy: a.id });
      const onSub = await s.store.putGrant({ collectionId: sub.id, groupId: g.id, rights: ['read'], grantedBy: a.id });
      const toH = await s.store.putGrant({ collectionId: docs.id, groupId: h.id, rights: ['read'], grantedBy: a.id });
      const toG = await s.store.putGrant({ collectionId: docs.id, groupId: g.id, rights: ['read'], grantedBy: a.id });
      await s.store.deleteItem(item.id);
      expect(await s.store.getGrant(onItem.id)).to.equal(null);
      await s.store.deleteCollection(sub.id);
      expect(await s.store.getGrant(onSub.id)).to.equal(null);
      await s.store.deleteGroup(h.id);
      expect(await s.store.getGrant(toH.id)).to.equal(null);
      expect(await s.store.getGrant(toG.id)).to.deep.equal(toG);
    });

    it('lists the grants of spaces, on collections and items, whoever gave them, and nothing of other spaces', async () => {
      const a = await newAccount(s.store, 'grs');
      const b = await newAccount(s.store, 'grs');
      const g = await newGroup(s.store, a, [{ tool: 'calendar', name: 'Team' }]);
      await s.store.addMember(g.id, b.id, 5);
      const docs = await documents(s.store, a);
      const sub = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'sub', parentId: docs.id });
      const item = await putInline(s.store, sub.id, 'x', { name: 'x' });
      const teamCal = (await s.store.listCollections(g.spaceId, 'calendar'))[0]!;
      const bDocs = await documents(s.store, b);
      const onDocs = await s.store.putGrant({ collectionId: docs.id, groupId: g.id, rights: ['read'], grantedBy: a.id });
      const onItem = await s.store.putGrant({ collectionId: sub.id, itemId: item.id, groupId: g.id, rights: ['read', 'write'], grantedBy: a.id });
      // given by a former administrator of the group space: still the space's
      const onTeam = await s.store.putGrant({ collectionId: teamCal.id, groupId: g.id, rights: ['freebusy'], grantedBy: b.id });
      const others = await s.store.putGrant({ collectionId: bDocs.id, groupId: g.id, rights: ['read'], grantedBy: b.id });

      expect(ids(await s.store.listGrantsInSpaces([a.spaceId]))).to.deep.equal(ids([onDocs, onItem]));
      expect(await s.store.listGrantsInSpaces([a.spaceId, g.spaceId])).to.deep.equal([onDocs, onItem, onTeam]);
      expect(ids(await s.store.listGrantsInSpaces([b.spaceId]))).to.deep.equal([others.id]);
      expect(await s.store.listGrantsInSpaces([])).to.deep.equal([]);
      await s.store.deleteItem(item.id);
      expect(ids(await s.store.listGrantsInSpaces([a.spaceId]))).to.deep.equal([onDocs.id]);
    });
  });

  describe('listReachableCollections', () => {
    const s = useStore(backend);

    it('reaches own, group, shared and co-member collections, and stops at removal', async () => {
      const store = s.store;
      const alice = await newAccount(store, 'alice');
      const bob = await newAccount(store, 'bob');
      const carol = await newAccount(store, 'carol');
      const dave = await newAccount(store, 'dave');
      const g = await newGroup(store, alice, [{ tool: 'files', name: 'Team files' }, { tool: 'calendar', name: 'Team calendar' }]);
      await store.addMember(g.id, bob.id, 5);
      const h = await newGroup(store, carol);
      await store.addMember(h.id, dave.id, 5);

      const aliceShared = await store.createCollection({ spaceId: alice.spaceId, tool: 'files', name: 'Shared' });
      const aliceOneItem = await store.createCollection({ spaceId: alice.spaceId, tool: 'files', name: 'One item shared' });
      const sharedItem = await putInline(store, aliceOneItem.id, 'just this', { name: 'this.txt' });
      const collGrant = await store.putGrant({ collectionId: aliceShared.id, groupId: g.id, rights: ['read', 'write'], grantedBy: alice.id });
      const itemGrant = await store.putGrant({ collectionId: aliceOneItem.id, itemId: sharedItem.id, groupId: g.id, rights: ['read'], grantedBy: alice.id });
      const carolShared = await store.createCollection({ spaceId: carol.spaceId, tool: 'files', name: 'Carol shared' });
      await store.putGrant({ collectionId: carolShared.id, groupId: h.id, rights: ['read'], grantedBy: carol.id });

      const bobFiles = await store.listCollections(bob.spaceId, 'files');
      const teamFiles = (await store.listCollections(g.spaceId, 'files'))[0]!;
      const teamCal = (await store.listCollections(g.spaceId, 'calendar'))[0]!;
      const aliceDropbox = await byRole(store, alice.spaceId, 'files', 'dropbox');
      const aliceCal = await byRole(store, alice.spaceId, 'calendar', 'default');
      const bobCal = await byRole(store, bob.spaceId, 'calendar', 'default');

      const files = await store.listReachableCollections(bob.id, 'files');
      expect(ids(files.map((r) => r.collection))).to.deep.equal(
        ids([...bobFiles, teamFiles, aliceShared, aliceOneItem, aliceDropbox]));
      const entry = (id: number) => files.find((r) => r.collection.id === id)!;
      expect(entry(aliceShared.id).grants).to.deep.equal([collGrant]);
      expect(entry(aliceShared.id).space).to.deep.equal({ id: alice.spaceId, owner: { kind: 'account', accountId: alice.id } });
      expect(entry(aliceShared.id).collection).to.deep.equal(aliceShared);
      expect(entry(aliceOneItem.id).grants).to.deep.equal([itemGrant]);
      expect(entry(aliceDropbox.id).grants).to.deep.equal([]);
      expect(entry(teamFiles.id).space).to.deep.equal({ id: g.spaceId, owner: { kind: 'group', groupId: g.id } });
      expect(entry(teamFiles.id).grants).to.deep.equal([]);
      expect(entry(bobFiles[0]!.id).space).to.deep.equal({ id: bob.spaceId, owner: { kind: 'account', accountId: bob.id } });

      const cals = await store.listReachableCollections(bob.id, 'calendar');
      expect(ids(cals.map((r) => r.collection))).to.deep.equal(ids([bobCal, teamCal, aliceCal]));
      expect((await store.listReachableCollections(bob.id, 'mail')).map((r) => r.collection.spaceId)).to.deep.equal([bob.spaceId, bob.spaceId]);

      // the outsider's view: only carol's own and h's, never alice's or g's
      const carolFiles = await store.listReachableCollections(carol.id, 'files');
      expect(carolFiles.every((r) => r.collection.spaceId !== alice.spaceId && r.collection.spaceId !== g.spaceId)).to.equal(true);
      expect(ids(carolFiles.map((r) => r.collection))).to.include(carolShared.id);
      const daveFiles = await store.listReachableCollections(dave.id, 'files');
      expect(ids(daveFiles.map((r) => r.collection))).to.include.members([carolShared.id, (await byRole(store, carol.spaceId, 'files', 'dropbox')).id]);
      expect(daveFiles.find((r) => r.collection.id === carolShared.id)?.grants).to.have.length(1);

      await store.removeMember(g.id, bob.id);
      expect(ids((await store.listReachableCollections(bob.id, 'files')).map((r) => r.collection))).to.deep.equal(ids(bobFiles));
      expect(ids((await store.listReachableCollections(bob.id, 'calendar')).map((r) => r.collection))).to.deep.equal([bobCal.id]);
    });
  });
}
