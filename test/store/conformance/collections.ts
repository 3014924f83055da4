// Store conformance: Collections. Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { Conflict, NotFound } from '../../../src/store/errors.ts';
import type { Backend } from '../../support/store.ts';
import { COLLECTIONS, decode, useStore, newAccount, documents, inbox, putInline, putBlob, rejects, blobGone, settleTrash, ids } from './support.ts';

export function collectionsConformance(backend: Backend): void {
  describe('collections', () => {
    const s = useStore(backend);

    it('creates nested collections and refuses a taken name under the same parent', async () => {
      const a = await newAccount(s.store, 'col');
      const root = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Projects', props: { k: 'v' } });
      expect(root.parentId).to.equal(null);
      expect(root.props).to.deep.equal({ k: 'v' });
      expect(root.uidNext).to.equal(1);
      expect(root.uidValidity).to.be.a('number').and.not.equal(0);
      const child = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Alpha', parentId: root.id });
      expect(child.parentId).to.equal(root.id);
      expect(await s.store.getCollection(child.id)).to.deep.equal(child);
      await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Alpha', parentId: root.id }), Conflict);
      await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Projects' }), Conflict);
      // the same name elsewhere is fine: another parent, the root, another tool, another space
      const b = await newAccount(s.store, 'col2');
      await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Alpha' });
      await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Alpha', parentId: child.id });
      await s.store.createCollection({ spaceId: a.spaceId, tool: 'mail', name: 'Projects' });
      await s.store.createCollection({ spaceId: b.spaceId, tool: 'files', name: 'Projects' });
      expect((await s.store.listCollections(a.spaceId, 'files')).filter((c) => c.name === 'Alpha')).to.have.length(3);
    });

    it('keeps a role unique per space and tool', async () => {
      const a = await newAccount(s.store, 'role');
      const b = await newAccount(s.store, 'role2');
      await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'mail', name: 'Inbox 2', role: 'inbox' }), Conflict);
      expect(await s.store.findCollection(a.spaceId, 'mail', null, 'Inbox 2')).to.equal(null);
      const other = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Inbox for files', role: 'inbox' });
      expect(other.role).to.equal('inbox');
      const extra = await s.store.createCollection({ spaceId: b.spaceId, tool: 'files', name: 'Another', role: 'special' });
      expect((await s.store.findCollectionByRole(b.spaceId, 'files', 'special'))?.id).to.equal(extra.id);
      expect(await s.store.findCollectionByRole(a.spaceId, 'files', 'special')).to.equal(null);
      expect((await s.store.findCollectionByRole(a.spaceId, 'mail', 'inbox'))?.name).to.equal('INBOX');
    });

    it('refuses a parent in another space or tool, and an unknown parent', async () => {
      const a = await newAccount(s.store, 'par');
      const b = await newAccount(s.store, 'par2');
      const bDocs = await documents(s.store, b);
      await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Sneaky', parentId: bDocs.id }), Conflict);
      expect(await s.store.listCollections(b.spaceId, 'files', bDocs.id)).to.deep.equal([]);
      expect(await s.store.listCollections(a.spaceId, 'files', bDocs.id)).to.deep.equal([]);
      const aInbox = await inbox(s.store, a);
      await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Wrong tool', parentId: aInbox.id }), Conflict);
      await rejects(s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Orphan', parentId: bDocs.id + 100_000 }), NotFound);
      await rejects(s.store.createCollection({ spaceId: b.spaceId + 100_000, tool: 'files', name: 'Nowhere' }), NotFound);
    });

    it('gives a re-created collection of the same name a new uidValidity', async () => {
      const a = await newAccount(s.store, 'uidv');
      const first = await s.store.createCollection({ spaceId: a.spaceId, tool: 'mail', name: 'Archive' });
      await putInline(s.store, first.id, 'm1');
      await s.store.deleteCollection(first.id);
      const second = await s.store.createCollection({ spaceId: a.spaceId, tool: 'mail', name: 'Archive' });
      expect(second.uidValidity).to.not.equal(0);
      expect(second.uidValidity).to.not.equal(first.uidValidity);
      expect(second.uidNext).to.equal(1);
    });

    it('finds and lists collections with and without tool and parent filters', async () => {
      const a = await newAccount(s.store, 'list');
      const docs = await documents(s.store, a);
      const x = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'X', parentId: docs.id });
      const y = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Y', parentId: docs.id });
      const z = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'Z', parentId: x.id });
      expect(await s.store.findCollection(a.spaceId, 'files', docs.id, 'X')).to.deep.equal(x);
      expect(await s.store.findCollection(a.spaceId, 'files', x.id, 'Z')).to.deep.equal(z);
      expect(await s.store.findCollection(a.spaceId, 'files', null, 'X')).to.equal(null);
      expect(await s.store.findCollection(a.spaceId, 'files', docs.id, 'Z')).to.equal(null);
      expect(await s.store.findCollection(a.spaceId, 'mail', docs.id, 'X')).to.equal(null);
      expect(await s.store.findCollection(a.spaceId, 'files', null, 'Documents')).to.deep.equal(docs);

      const all = await s.store.listCollections(a.spaceId);
      expect(all).to.have.length(COLLECTIONS.length + 3);
      expect(ids(all)).to.include.members([x.id, y.id, z.id, docs.id]);
      const files = await s.store.listCollections(a.spaceId, 'files');
      expect(files.every((c) => c.tool === 'files')).to.equal(true);
      expect(files).to.have.length(5);
      const roots = await s.store.listCollections(a.spaceId, 'files', null);
      expect(roots.map((c) => c.name).sort()).to.deep.equal(['Documents', 'Drop box']);
      const children = await s.store.listCollections(a.spaceId, 'files', docs.id);
      expect(children.map((c) => c.name)).to.deep.equal(['X', 'Y']);
      expect((await s.store.listCollections(a.spaceId, 'files', x.id)).map((c) => c.id)).to.deep.equal([z.id]);
      expect(await s.store.listCollections(a.spaceId, 'mail', docs.id)).to.deep.equal([]);
      expect((await s.store.listCollections(a.spaceId, 'mail')).map((c) => c.name).sort()).to.deep.equal(['INBOX', 'Sent']);
      expect(await s.store.getCollection(z.id + 100_000)).to.equal(null);
    });

    it('getCollectionPath returns the ancestors, root first', async () => {
      const a = await newAccount(s.store, 'path');
      const docs = await documents(s.store, a);
      const b = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'b', parentId: docs.id });
      const c = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'c', parentId: b.id });
      const d = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'd', parentId: c.id });
      expect((await s.store.getCollectionPath(d.id)).map((x) => x.id)).to.deep.equal([docs.id, b.id, c.id, d.id]);
      expect(await s.store.getCollectionPath(docs.id)).to.deep.equal([docs]);
      expect(await s.store.getCollectionPath(d.id + 100_000)).to.deep.equal([]);
    });

    it('updateCollection renames, moves and merges props', async () => {
      const a = await newAccount(s.store, 'upd');
      const docs = await documents(s.store, a);
      const p = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'p', parentId: docs.id, props: { keep: '1', drop: '2' } });
      const q = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'q', parentId: docs.id });
      const child = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'child', parentId: p.id });
      const grandchild = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'grandchild', parentId: child.id });

      const renamed = await s.store.updateCollection(p.id, { name: 'p2', props: { drop: null, added: 'x', keep: '1b' } });
      expect(renamed.name).to.equal('p2');
      expect(renamed.parentId).to.equal(docs.id);
      expect(renamed.props).to.deep.equal({ keep: '1b', added: 'x' });
      expect(renamed.uidValidity).to.equal(p.uidValidity);
      expect(await s.store.getCollection(p.id)).to.deep.equal(renamed);
      expect(await s.store.findCollection(a.spaceId, 'files', docs.id, 'p')).to.equal(null);

      const moved = await s.store.updateCollection(child.id, { parentId: q.id });
      expect(moved.parentId).to.equal(q.id);
      expect((await s.store.getCollectionPath(grandchild.id)).map((x) => x.id)).to.deep.equal([docs.id, q.id, child.id, grandchild.id]);
      const toRoot = await s.store.updateCollection(child.id, { parentId: null });
      expect(toRoot.parentId).to.equal(null);
      expect((await s.store.listCollections(a.spaceId, 'files', null)).map((c) => c.name).sort()).to.deep.equal(['Documents', 'Drop box', 'child']);

      await rejects(s.store.updateCollection(child.id, { parentId: grandchild.id }), Conflict);
      await rejects(s.store.updateCollection(child.id, { parentId: child.id }), Conflict);
      await rejects(s.store.updateCollection(q.id, { name: 'p2' }), Conflict);
      const b = await newAccount(s.store, 'upd2');
      await rejects(s.store.updateCollection(q.id, { parentId: (await documents(s.store, b)).id }), Conflict);
      await rejects(s.store.updateCollection(q.id, { parentId: (await inbox(s.store, a)).id }), Conflict);
      expect(await s.store.getCollection(q.id)).to.deep.equal(q);
      expect((await s.store.getCollection(child.id))?.parentId).to.equal(null);
      await rejects(s.store.updateCollection(q.id + 100_000, { name: 'x' }), NotFound);
    });

    it('deleteCollection removes children and items, and frees quota and blobs', async () => {
      const a = await newAccount(s.store, 'delc');
      const docs = await documents(s.store, a);
      const top = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'top', parentId: docs.id });
      const sub = await s.store.createCollection({ spaceId: a.spaceId, tool: 'files', name: 'sub', parentId: top.id });
      const kept = await putInline(s.store, docs.id, '12345', { name: 'kept.txt' });
      const i1 = await putInline(s.store, top.id, 'abc', { name: 'a.txt' });
      const i2 = await putBlob(s.store, sub.id, 'defgh', { name: 'b.bin' });
      const i3 = await putBlob(s.store, sub.id, 'shared', { name: 'c.bin' });
      const outside = await s.store.copyItem({ itemId: i3.id, toCollectionId: docs.id, name: 'c copy.bin', quotaLimit: null });
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(25);
      await s.store.deleteCollection(top.id);
      expect(await s.store.getCollection(top.id)).to.equal(null);
      expect(await s.store.getCollection(sub.id)).to.equal(null);
      expect(await s.store.getItem(i1.id)).to.equal(null);
      expect(await s.store.getItem(i2.id)).to.equal(null);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(11);
      expect((await s.store.usageByTool(a.spaceId)).files).to.equal(11);
      expect(await s.store.getItem(kept.id)).to.deep.equal(kept);
      await blobGone(s.store, i2.blobId!);
      // a blob also referenced outside the deleted subtree is kept
      await settleTrash(s.store);
      expect(decode(await s.store.readItemContent(outside))).to.equal('shared');
      await rejects(s.store.deleteCollection(top.id), NotFound);
    });
  });
}
