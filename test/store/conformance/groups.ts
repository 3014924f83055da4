// Store conformance: Groups and memberships. Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { Conflict, LimitReached, NotFound } from '../../../src/store/errors.ts';
import type { Backend } from '../../support/store.ts';
import { next, useStore, newAccount, documents, newGroup, putInline, putBlob, rejects, blobGone } from './support.ts';

export function groupsConformance(backend: Backend): void {
  describe('groups and memberships', () => {
    const s = useStore(backend);

    it('createGroup makes the admin a member and creates the group space and collections', async () => {
      const admin = await newAccount(s.store, 'admin');
      const name = `Team ${next()}`;
      const g = await s.store.createGroup({
        name, adminId: admin.id, maxGroups: 1,
        collections: [{ tool: 'files', name: 'Shared' }, { tool: 'calendar', name: 'Team', role: 'default' }],
      });
      expect(g.name).to.equal(name);
      expect(g.adminId).to.equal(admin.id);
      expect(g.memberRights).to.deep.equal([]);
      expect(await s.store.getGroup(g.id)).to.deep.equal(g);
      expect(await s.store.getGroupByName(name.toUpperCase())).to.deep.equal(g);
      expect(await s.store.getSpace(g.spaceId)).to.deep.equal({ id: g.spaceId, owner: { kind: 'group', groupId: g.id } });
      expect(g.spaceId).to.not.equal(admin.spaceId);
      const cols = await s.store.listCollections(g.spaceId);
      expect(cols.map((c) => `${c.tool}/${c.name}`).sort()).to.deep.equal(['calendar/Team', 'files/Shared']);
      const members = await s.store.listMembers(g.id);
      expect(members.map((m) => m.accountId)).to.deep.equal([admin.id]);
      expect(members[0]!.rights).to.deep.equal([]);
      expect(await s.store.getMembership(g.id, admin.id)).to.deep.equal(members[0]);
      expect(await s.store.listGroupsOf(admin.id)).to.deep.equal([g]);
      expect((await s.store.listGroups()).find((x) => x.id === g.id)).to.deep.equal(g);
      expect(await s.store.getUsage(g.spaceId, 'files')).to.equal(0);
    });

    it('refuses a group over maxGroups and creates nothing', async () => {
      const admin = await newAccount(s.store, 'limited');
      await newGroup(s.store, admin, [], 2);
      await newGroup(s.store, admin, [], 2);
      const before = await s.store.listGroups();
      const name = `Third ${next()}`;
      const err = await rejects(s.store.createGroup({ name, adminId: admin.id, maxGroups: 2, collections: [{ tool: 'files', name: 'x' }] }), LimitReached);
      expect(err.limit).to.equal(2);
      expect(await s.store.listGroups()).to.deep.equal(before);
      expect(await s.store.getGroupByName(name)).to.equal(null);
      expect((await s.store.listGroupsOf(admin.id)).length).to.equal(2);
      // a higher limit lets it through
      expect((await s.store.createGroup({ name, adminId: admin.id, maxGroups: 3, collections: [] })).name).to.equal(name);
    });

    it('refuses a duplicate group name, whatever its case', async () => {
      const a = await newAccount(s.store, 'dupname');
      const b = await newAccount(s.store, 'dupname2');
      const name = `Dup Team ${next()}`;
      await s.store.createGroup({ name, adminId: a.id, maxGroups: 5, collections: [] });
      const before = await s.store.listGroups();
      await rejects(s.store.createGroup({ name: name.toLowerCase(), adminId: b.id, maxGroups: 5, collections: [] }), Conflict);
      expect(await s.store.listGroups()).to.deep.equal(before);
      expect(await s.store.listGroupsOf(b.id)).to.deep.equal([]);
    });

    it('compares unicode group names case-insensitively', async () => {
      const a = await newAccount(s.store, 'unicode');
      const n = next();
      const g = await s.store.createGroup({ name: `Équipe Ölfeld ${n}`, adminId: a.id, maxGroups: 5, collections: [] });
      expect((await s.store.getGroupByName(`équipe ölfeld ${n}`))?.id).to.equal(g.id);
      expect((await s.store.getGroupByName(`ÉQUIPE ÖLFELD ${n}`))?.id).to.equal(g.id);
      await rejects(s.store.createGroup({ name: `ÉQUIPE ÖLFELD ${n}`, adminId: a.id, maxGroups: 5, collections: [] }), Conflict);
      // the decomposed spelling is the same name
      await rejects(s.store.createGroup({ name: `équipe ölfeld ${n}`.normalize('NFD'), adminId: a.id, maxGroups: 5, collections: [] }), Conflict);
      expect((await s.store.listGroupsOf(a.id)).map((x) => x.id)).to.deep.equal([g.id]);
    });

    it('addMember counts the admin, refuses duplicates and unknown accounts', async () => {
      const admin = await newAccount(s.store, 'ga');
      const m1 = await newAccount(s.store, 'gm1');
      const m2 = await newAccount(s.store, 'gm2');
      const g = await newGroup(s.store, admin);
      const before = Date.now();
      const ms = await s.store.addMember(g.id, m1.id, 2);
      expect(ms.groupId).to.equal(g.id);
      expect(ms.accountId).to.equal(m1.id);
      expect(ms.rights).to.deep.equal([]);
      expect(ms.joinedAt).to.be.within(before, Date.now());
      const err = await rejects(s.store.addMember(g.id, m2.id, 2), LimitReached);
      expect(err.limit).to.equal(2);
      expect(await s.store.getMembership(g.id, m2.id)).to.equal(null);
      await rejects(s.store.addMember(g.id, m1.id, 10), Conflict);
      await rejects(s.store.addMember(g.id, admin.id, 10), Conflict);
      await rejects(s.store.addMember(g.id, m2.id + 100_000, 10), NotFound);
      await rejects(s.store.addMember(g.id + 100_000, m2.id, 10), NotFound);
      expect((await s.store.listMembers(g.id)).map((m) => m.accountId).sort()).to.deep.equal([admin.id, m1.id].sort());
      expect((await s.store.listMembershipsOf(m1.id)).map((m) => m.groupId)).to.deep.equal([g.id]);
      expect(await s.store.listGroupsOf(m1.id)).to.deep.equal([g]);
    });

    it('removeMember refuses the admin and removes the grants the member gave to that group only', async () => {
      const admin = await newAccount(s.store, 'rma');
      const member = await newAccount(s.store, 'rmm');
      const g = await newGroup(s.store, admin);
      const h = await newGroup(s.store, member);
      await s.store.addMember(g.id, member.id, 5);
      const docs = await documents(s.store, member);
      const item = await putInline(s.store, docs.id, 'x', { name: 'x.txt' });
      const toG = await s.store.putGrant({ collectionId: docs.id, groupId: g.id, rights: ['read'], grantedBy: member.id });
      const itemToG = await s.store.putGrant({ collectionId: docs.id, itemId: item.id, groupId: g.id, rights: ['read'], grantedBy: member.id });
      const toH = await s.store.putGrant({ collectionId: docs.id, groupId: h.id, rights: ['read'], grantedBy: member.id });
      const adminDocs = await documents(s.store, admin);
      const adminToG = await s.store.putGrant({ collectionId: adminDocs.id, groupId: g.id, rights: ['read'], grantedBy: admin.id });

      await rejects(s.store.removeMember(g.id, admin.id), Conflict);
      expect(await s.store.getMembership(g.id, admin.id)).to.not.equal(null);
      await s.store.removeMember(g.id, member.id);
      expect(await s.store.getMembership(g.id, member.id)).to.equal(null);
      expect(await s.store.getGrant(toG.id)).to.equal(null);
      expect(await s.store.getGrant(itemToG.id)).to.equal(null);
      expect(await s.store.getGrant(toH.id)).to.deep.equal(toH);
      expect(await s.store.getGrant(adminToG.id)).to.deep.equal(adminToG);
      await rejects(s.store.removeMember(g.id, member.id), NotFound);
    });

    it('setGroupAdmin needs a member and respects the new admin\'s maxGroups', async () => {
      const admin = await newAccount(s.store, 'sga');
      const member = await newAccount(s.store, 'sgm');
      const outsider = await newAccount(s.store, 'sgo');
      const g = await newGroup(s.store, admin);
      await s.store.addMember(g.id, member.id, 5);
      await rejects(s.store.setGroupAdmin(g.id, outsider.id, 5), Conflict);
      await newGroup(s.store, member);
      await rejects(s.store.setGroupAdmin(g.id, member.id, 1), LimitReached);
      expect((await s.store.getGroup(g.id))?.adminId).to.equal(admin.id);
      const changed = await s.store.setGroupAdmin(g.id, member.id, 2);
      expect(changed.adminId).to.equal(member.id);
      expect(await s.store.getGroup(g.id)).to.deep.equal(changed);
      expect(await s.store.getMembership(g.id, admin.id)).to.not.equal(null);
      await rejects(s.store.removeMember(g.id, member.id), Conflict);
      await s.store.removeMember(g.id, admin.id);
      expect((await s.store.listMembers(g.id)).map((m) => m.accountId)).to.deep.equal([member.id]);
    });

    it('sets member rights and group member rights', async () => {
      const admin = await newAccount(s.store, 'smr');
      const member = await newAccount(s.store, 'smm');
      const g = await newGroup(s.store, admin);
      await s.store.addMember(g.id, member.id, 5);
      await s.store.setMemberRights(g.id, member.id, ['write', 'delete', 'write']);
      expect((await s.store.getMembership(g.id, member.id))?.rights).to.have.members(['write', 'delete']).and.have.length(2);
      expect((await s.store.getMembership(g.id, admin.id))?.rights).to.deep.equal([]);
      await s.store.setMemberRights(g.id, member.id, []);
      expect((await s.store.getMembership(g.id, member.id))?.rights).to.deep.equal([]);
      await rejects(s.store.setMemberRights(g.id, member.id + 100_000, ['write']), NotFound);
      await s.store.setGroupMemberRights(g.id, ['share', 'write']);
      expect((await s.store.getGroup(g.id))?.memberRights).to.have.members(['share', 'write']).and.have.length(2);
      await rejects(s.store.setGroupMemberRights(g.id + 100_000, ['write']), NotFound);
    });

    it('listCoMembers lists accounts sharing a group, once each, without the account itself', async () => {
      const a = await newAccount(s.store, 'coa');
      const b = await newAccount(s.store, 'cob');
      const c = await newAccount(s.store, 'coc');
      const d = await newAccount(s.store, 'cod');
      const lonely = await newAccount(s.store, 'col');
      const g1 = await newGroup(s.store, a);
      await s.store.addMember(g1.id, b.id, 5);
      await s.store.addMember(g1.id, c.id, 5);
      const g2 = await newGroup(s.store, b);
      await s.store.addMember(g2.id, d.id, 5);
      await s.store.addMember(g2.id, a.id, 5);
      expect(await s.store.listCoMembers(a.id)).to.deep.equal([b.id, c.id, d.id].sort((x, y) => x - y));
      expect(await s.store.listCoMembers(c.id)).to.deep.equal([a.id, b.id].sort((x, y) => x - y));
      expect(await s.store.listCoMembers(d.id)).to.deep.equal([a.id, b.id].sort((x, y) => x - y));
      expect(await s.store.listCoMembers(lonely.id)).to.deep.equal([]);
    });

    it('deleteGroup removes its space, collections, items, memberships, grants and blobs', async () => {
      const admin = await newAccount(s.store, 'dga');
      const member = await newAccount(s.store, 'dgm');
      const g = await newGroup(s.store, admin, [{ tool: 'files', name: 'Shared' }]);
      await s.store.addMember(g.id, member.id, 5);
      const shared = (await s.store.listCollections(g.spaceId, 'files'))[0]!;
      const item = await putBlob(s.store, shared.id, 'group bytes');
      const memberDocs = await documents(s.store, member);
      const grant = await s.store.putGrant({ collectionId: memberDocs.id, groupId: g.id, rights: ['read'], grantedBy: member.id });
      await s.store.deleteGroup(g.id);
      expect(await s.store.getGroup(g.id)).to.equal(null);
      expect(await s.store.getSpace(g.spaceId)).to.equal(null);
      expect(await s.store.getCollection(shared.id)).to.equal(null);
      expect(await s.store.getItem(item.id)).to.equal(null);
      expect(await s.store.listMembers(g.id)).to.deep.equal([]);
      expect(await s.store.listGroupsOf(member.id)).to.deep.equal([]);
      expect(await s.store.getGrant(grant.id)).to.equal(null);
      expect(await s.store.getCollection(memberDocs.id)).to.deep.equal(memberDocs);
      expect((await s.store.getAccount(member.id))?.id).to.equal(member.id);
      await blobGone(s.store, item.blobId!);
      await rejects(s.store.deleteGroup(g.id), NotFound);
    });
  });
}
