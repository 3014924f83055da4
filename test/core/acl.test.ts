// The ACL rules of DESIGN.md, each proved on a real store (both backends)
// through the core services that every door calls.
import { expect } from 'chai';
import { authorize, rightsOn, type Principal } from '../../src/core/acl.ts';
import { Conflict, Forbidden } from '../../src/core/errors.ts';
import type { Account, Collection, Group, Item, Right } from '../../src/store/types.ts';
import { makeTestCore, type TestCore } from '../support/core.ts';
import { BACKENDS } from '../support/store.ts';

for (const backend of BACKENDS) {
  describe(`core/acl on ${backend}`, function () {
    let t: TestCore;
    let ann: Account, bob: Account, carl: Account, dave: Account, erin: Account, frank: Account;
    let alpha: Group, beta: Group;

    const coll = async (a: Account, tool: Collection['tool'], role: string): Promise<Collection> =>
      (await t.core.store.findCollectionByRole(a.spaceId, tool, role))!;
    const groupColl = async (g: Group, tool: Collection['tool']): Promise<Collection> =>
      (await t.core.store.findCollectionByRole(g.spaceId, tool, tool === 'files' ? 'documents' : 'default'))!;
    const put = (c: Collection, name: string): Promise<Item> =>
      t.core.store.putItem({ collectionId: c.id, name, content: new TextEncoder().encode(name), size: name.length, contentType: 'text/plain', quotaLimit: null });
    const can = async (who: Account, right: Right, target: Collection | Item): Promise<boolean> =>
      ('uid' in target ? await t.core.access.onItem(who.id, right, target.id) : await t.core.access.onCollection(who.id, right, target.id)).allow;
    const rightsOn = async (who: Account, target: Collection | Item): Promise<Right[]> => {
      const out: Right[] = [];
      for (const r of ['read', 'freebusy', 'write', 'delete', 'deposit', 'share', 'admin'] as const) if (await can(who, r, target)) out.push(r);
      return out;
    };

    beforeEach(async function () {
      t = await makeTestCore(backend);
      const made = await Promise.all(['ann', 'bob', 'carl', 'dave', 'erin', 'frank'].map((n) => t.account(n, 'big')));
      [ann, bob, carl, dave, erin, frank] = made as [Account, Account, Account, Account, Account, Account];
      alpha = await t.core.groups.create('Alpha', ann.id);
      await t.core.groups.addMember(alpha.id, bob.id);
      await t.core.groups.addMember(alpha.id, carl.id);
      beta = await t.core.groups.create('Beta', erin.id);
      await t.core.groups.addMember(beta.id, ann.id);
      await t.core.groups.addMember(beta.id, frank.id);
    });
    afterEach(async () => t.cleanup());

    it('rule 1: the owner has every right on their personal space', async () => {
      const docs = await coll(ann, 'files', 'documents');
      const item = await put(docs, 'plan.txt');
      expect(await rightsOn(ann, docs)).to.deep.equal(['read', 'freebusy', 'write', 'delete', 'deposit', 'share', 'admin']);
      expect(await rightsOn(ann, item)).to.deep.equal(['read', 'freebusy', 'write', 'delete', 'deposit', 'share', 'admin']);
    });

    it('rule 2: data is private until shared; a collection share reaches its items and sub-folders; withdrawal ends it at once', async () => {
      const docs = await coll(ann, 'files', 'documents');
      const sub = await t.core.store.createCollection({ spaceId: ann.spaceId, tool: 'files', parentId: docs.id, name: 'Reports' });
      const inSub = await put(sub, 'q3.txt');
      expect(await rightsOn(bob, docs)).to.deep.equal([]);
      expect(await rightsOn(dave, docs)).to.deep.equal([]);
      const grant = await t.core.sharing.share(ann.id, { collectionId: docs.id }, alpha.id, ['read']);
      expect(await rightsOn(bob, docs)).to.deep.equal(['read', 'freebusy']);
      expect(await rightsOn(bob, sub)).to.deep.equal(['read', 'freebusy']);
      expect(await rightsOn(bob, inSub)).to.deep.equal(['read', 'freebusy']);
      expect(await rightsOn(dave, inSub)).to.deep.equal([], 'an outsider gains nothing from a share to a group he is not in');
      const denial = await t.core.access.onCollection(bob.id, 'write', docs.id);
      expect(denial).to.deep.equal({ allow: false, reason: 'the share does not include write' });
      await t.core.sharing.share(ann.id, { collectionId: docs.id }, alpha.id, ['read', 'write', 'delete']);
      expect(await rightsOn(carl, inSub)).to.deep.equal(['read', 'freebusy', 'write', 'delete', 'deposit']);
      await t.core.sharing.withdraw(ann.id, grant.id);
      expect(await rightsOn(bob, inSub)).to.deep.equal([]);
      expect(await rightsOn(carl, docs)).to.deep.equal([]);
    });

    it('rule 2: one item shared with two groups carries different rights for each', async () => {
      const cal = await coll(ann, 'calendar', 'default');
      const meeting = await put(cal, 'meeting.ics');
      const other = await put(cal, 'dentist.ics');
      await t.core.sharing.share(ann.id, { collectionId: cal.id, itemId: meeting.id }, alpha.id, ['read']);
      await t.core.sharing.share(ann.id, { collectionId: cal.id, itemId: meeting.id }, beta.id, ['read', 'write']);
      expect(await rightsOn(bob, meeting)).to.deep.equal(['read', 'freebusy']);
      expect(await rightsOn(frank, meeting)).to.deep.equal(['read', 'freebusy', 'write', 'deposit']);
      expect(await can(bob, 'read', other)).to.equal(false);
      expect(await can(frank, 'read', other)).to.equal(false);
      expect(await can(frank, 'read', cal)).to.equal(false, 'an item share does not open the collection');
      // what a listing shows: only the shared item, found with one grants query for the collection
      const readable = await t.core.access.readableItems(frank.id, cal, [meeting, other]);
      expect(readable.map((i) => i.name)).to.deep.equal(['meeting.ics']);
      const reach = await t.core.access.reachable(frank.id, 'calendar');
      const annCal = reach.find((r) => r.entry.collection.id === cal.id)!;
      expect(annCal.items).to.deep.equal([meeting.id]);
      expect(annCal.rights).to.deep.equal(['freebusy'], 'frank meets ann in Beta: busy times of the whole calendar, details of the shared item only');
    });

    it('rule 3: the group administrator writes the group space, members read unless granted', async () => {
      const gdocs = await groupColl(alpha, 'files');
      const file = await put(gdocs, 'minutes.txt');
      expect(await rightsOn(ann, gdocs)).to.deep.equal(['read', 'freebusy', 'write', 'delete', 'deposit', 'share', 'admin']);
      expect(await rightsOn(bob, gdocs)).to.deep.equal(['read', 'freebusy']);
      expect(await rightsOn(bob, file)).to.deep.equal(['read', 'freebusy']);
      expect(await rightsOn(dave, gdocs)).to.deep.equal([]);
      expect((await t.core.access.onItem(bob.id, 'write', file.id))).to.deep.equal(
        { allow: false, reason: 'the group administrator has not granted write to this member' });
      await t.core.groups.grant(alpha.id, bob.id, ['write'], ann.id);
      expect(await rightsOn(bob, file)).to.deep.equal(['read', 'freebusy', 'write', 'deposit']);
      expect(await rightsOn(carl, file)).to.deep.equal(['read', 'freebusy']);
      await t.core.groups.grant(alpha.id, 'all', ['write', 'delete'], ann.id);
      expect(await rightsOn(carl, file)).to.deep.equal(['read', 'freebusy', 'write', 'delete', 'deposit']);
      // only the administrator administers
      let err: unknown = null;
      try { await t.core.groups.grant(alpha.id, carl.id, ['write'], bob.id); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Forbidden);
      err = null;
      try { await t.core.groups.addMember(alpha.id, dave.id, bob.id); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Forbidden);
      expect(await t.core.store.getMembership(alpha.id, dave.id)).to.equal(null);
    });

    it('rule 4: co-members see each other\'s busy times only, deposit in drop boxes, read directory cards', async () => {
      const cal = await coll(ann, 'calendar', 'default');
      const dropbox = await coll(ann, 'files', 'dropbox');
      const docs = await coll(ann, 'files', 'documents');
      expect(await rightsOn(bob, cal)).to.deep.equal(['freebusy'], 'free/busy only');
      expect(await rightsOn(bob, dropbox)).to.deep.equal(['deposit'], 'deposit only: nothing listed or read');
      expect(await rightsOn(bob, docs)).to.deep.equal([]);
      const deposited = await put(dropbox, 'for-ann.pdf');
      expect(await rightsOn(bob, deposited)).to.deep.equal([], 'a depositor cannot read back or overwrite');
      expect(await rightsOn(dave, cal)).to.deep.equal([]);
      expect(await rightsOn(dave, dropbox)).to.deep.equal([]);
      const pBob = await t.core.access.principal(bob.id);
      const pDave = await t.core.access.principal(dave.id);
      expect(authorize(pBob, 'read', { kind: 'directory-card', accountId: ann.id }).allow).to.equal(true);
      expect(authorize(pBob, 'write', { kind: 'directory-card', accountId: ann.id }).allow).to.equal(false);
      expect(authorize(pDave, 'read', { kind: 'directory-card', accountId: ann.id })).to.deep.equal(
        { allow: false, reason: 'directory cards are visible to co-members only' });
      // frank meets ann through Beta, where neither is the administrator
      expect(await rightsOn(frank, cal)).to.deep.equal(['freebusy']);
    });

    it('rule 5: a member removed loses every right that came through the group at once', async () => {
      const cal = await coll(ann, 'calendar', 'default');
      const dropbox = await coll(ann, 'files', 'dropbox');
      const docs = await coll(ann, 'files', 'documents');
      const gdocs = await groupColl(alpha, 'files');
      await t.core.sharing.share(ann.id, { collectionId: docs.id }, alpha.id, ['read']);
      expect(await can(bob, 'read', docs)).to.equal(true);
      await t.core.groups.removeMember(alpha.id, bob.id, ann.id);
      expect(await rightsOn(bob, cal)).to.deep.equal([]);
      expect(await rightsOn(bob, dropbox)).to.deep.equal([]);
      expect(await rightsOn(bob, docs)).to.deep.equal([]);
      expect(await rightsOn(bob, gdocs)).to.deep.equal([]);
      const p = await t.core.access.principal(bob.id);
      expect(authorize(p, 'read', { kind: 'directory-card', accountId: ann.id }).allow).to.equal(false);
      expect((await t.core.access.reachable(bob.id, 'files')).map((r) => r.entry.collection.spaceId)).to.deep.equal([bob.spaceId, bob.spaceId]);
    });

    it('rule 5: deleting a group ends the rights it gave, shares included', async () => {
      const cal = await coll(ann, 'calendar', 'default');
      const ev = await put(cal, 'ev.ics');
      await t.core.sharing.share(ann.id, { collectionId: cal.id, itemId: ev.id }, beta.id, ['read', 'write']);
      expect(await can(frank, 'write', ev)).to.equal(true);
      expect(await can(frank, 'freebusy', cal)).to.equal(true);
      let err: unknown = null;
      try { await t.core.groups.delete(beta.id, frank.id); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Forbidden, 'only the administrator deletes a group');
      await t.core.groups.delete(beta.id, erin.id);
      expect(await rightsOn(frank, ev)).to.deep.equal([]);
      expect(await rightsOn(frank, cal)).to.deep.equal([]);
      expect(await t.core.store.listGrantsBy(ann.id)).to.deep.equal([]);
    });

    it('rule 6: the administrator cannot leave without naming a successor', async () => {
      let err: unknown = null;
      try { await t.core.groups.leave(alpha.id, ann.id); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Conflict);
      expect((err as Error).message).to.equal('the administrator of Alpha cannot leave it without first naming a successor');
      expect(await t.core.store.getMembership(alpha.id, ann.id)).to.not.equal(null);
      await t.core.groups.transfer(alpha.id, bob.id, ann.id);
      await t.core.groups.leave(alpha.id, ann.id);
      expect((await t.core.groups.members(alpha.id)).map((m) => m.accountId).sort()).to.deep.equal([bob.id, carl.id].sort());
      expect((await t.core.groups.get(alpha.id)).adminId).to.equal(bob.id);
      expect(await rightsOn(bob, await groupColl(alpha, 'files'))).to.include('admin');
    });

    it('sharing itself is guarded: only who may share, only with their own groups; a member who leaves withdraws their shares', async () => {
      const docs = await coll(ann, 'files', 'documents');
      let err: unknown = null;
      try { await t.core.sharing.share(bob.id, { collectionId: docs.id }, alpha.id, ['read']); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Forbidden);
      err = null;
      const carlDocs = await coll(carl, 'files', 'documents');
      try { await t.core.sharing.share(carl.id, { collectionId: carlDocs.id }, beta.id, ['read']); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Forbidden, 'carl is not in Beta');
      const g = await t.core.sharing.share(ann.id, { collectionId: docs.id }, alpha.id, ['read', 'write']);
      err = null;
      try { await t.core.sharing.withdraw(bob.id, g.id); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Forbidden, 'a grantee cannot withdraw a share');
      await t.core.sharing.share(carl.id, { collectionId: carlDocs.id }, alpha.id, ['read']);
      expect(await can(bob, 'read', carlDocs)).to.equal(true);
      await t.core.groups.leave(alpha.id, carl.id);
      expect(await can(bob, 'read', carlDocs)).to.equal(false);
    });

    it('an account that is not active has no right, not even on its own space', async () => {
      await t.core.store.updateAccount(bob.id, { status: 'disabled' });
      expect(await rightsOn(bob, await coll(bob, 'files', 'documents'))).to.deep.equal([]);
    });

    it('reachable lists own, group, shared and co-member collections in one pass, with their rights', async () => {
      const docs = await coll(ann, 'files', 'documents');
      await t.core.sharing.share(ann.id, { collectionId: docs.id }, alpha.id, ['read']);
      const reach = await t.core.access.reachable(bob.id, 'files');
      const seen = reach.map((r) => `${r.entry.space.owner.kind}:${r.entry.collection.name}:${r.rights.join('+')}`).sort();
      expect(seen).to.deep.equal([
        'account:Documents:read+freebusy', // ann's, shared with Alpha
        'account:Documents:read+freebusy+write+delete+deposit+share+admin', // bob's own
        'account:Drop box:deposit', // ann's drop box
        'account:Drop box:deposit', // carl's drop box
        'account:Drop box:read+freebusy+write+delete+deposit+share+admin', // bob's own
        'group:Documents:read+freebusy', // Alpha's
      ].sort());
      const reachDave = await t.core.access.reachable(dave.id, 'files');
      expect(reachDave.every((r) => r.entry.space.owner.kind === 'account' && r.entry.space.owner.accountId === dave.id)).to.equal(true);
    });
  });
}

describe('core/acl authorize (pure)', () => {
  const principal = (over: Partial<Principal> = {}): Principal => ({
    accountId: 1, active: true, groups: new Map(), coMembers: new Set(), ...over,
  });
  it('denies share and admin through a grant even if a grant lists them', () => {
    const p = principal({ groups: new Map([[7, { admin: false, rights: new Set() }]]) });
    const r = { kind: 'collection', space: { kind: 'account', accountId: 2 }, collection: { id: 1, tool: 'files', role: null },
      grants: [{ groupId: 7, rights: ['read', 'share', 'admin'] }] } as const;
    expect(authorize(p, 'read', r).allow).to.equal(true);
    expect(authorize(p, 'share', r).allow).to.equal(false);
    expect(authorize(p, 'admin', r).allow).to.equal(false);
  });
  it('a co-member may deposit in a drop box collection but not in its items, and sees no other tool', () => {
    const p = principal({ coMembers: new Set([2]) });
    const space = { kind: 'account', accountId: 2 } as const;
    expect(authorize(p, 'deposit', { kind: 'collection', space, collection: { id: 1, tool: 'files', role: 'dropbox' }, grants: [] }).allow).to.equal(true);
    expect(authorize(p, 'deposit', { kind: 'item', space, collection: { id: 1, tool: 'files', role: 'dropbox' }, itemId: 3, grants: [] }).allow).to.equal(false);
    expect(authorize(p, 'freebusy', { kind: 'collection', space, collection: { id: 4, tool: 'contacts', role: 'default' }, grants: [] }).allow).to.equal(false);
  });
  it('rule 7: a member directory is read-only for everyone, the group administrator included', () => {
    const space = { kind: 'group', groupId: 7 } as const;
    const collection = { id: 5, tool: 'contacts', role: 'directory' } as const;
    const admin = principal({ groups: new Map([[7, { admin: true, rights: new Set() }]]) });
    const writer = principal({ accountId: 2, groups: new Map([[7, { admin: false, rights: new Set(['write', 'delete'] as const) }]]) });
    const outsider = principal({ accountId: 3 });
    for (const p of [admin, writer]) {
      expect(rightsOn(p, { kind: 'collection', space, collection, grants: [] })).to.deep.equal(['read']);
      expect(rightsOn(p, { kind: 'item', space, collection, itemId: 9, grants: [] })).to.deep.equal(['read']);
    }
    expect(rightsOn(outsider, { kind: 'collection', space, collection, grants: [] })).to.deep.equal([]);
    // the group's other address books are written as before
    expect(authorize(writer, 'write', { kind: 'collection', space, collection: { ...collection, role: 'default' }, grants: [] }).allow).to.equal(true);
  });
});
