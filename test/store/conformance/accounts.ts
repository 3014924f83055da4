// Store conformance: Accounts, sessions, plans and domains. Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { Conflict, NotFound } from '../../../src/store/errors.ts';
import type { Plan } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { PLAN, COLLECTIONS, next, decode, useStore, newAccount, documents, inbox, newGroup, putInline, putBlob, rejects, blobGone, settleTrash } from './support.ts';

export function accountsConformance(backend: Backend): void {
  describe('accounts', () => {
    const s = useStore(backend);

    it('creates an account with a lower-cased address and its collections in a personal space', async () => {
      const n = next();
      const before = Date.now();
      const a = await s.store.createAccount({
        address: `Mixed.Case${n}@Example.ORG`, name: 'Mixed Case', passwordHash: 'h1', plan: PLAN.name, status: 'pending',
        profile: { firstName: 'Mia' }, collections: COLLECTIONS,
      });
      expect(a.address).to.equal(`mixed.case${n}@example.org`);
      expect(a.name).to.equal('Mixed Case');
      expect(a.passwordHash).to.equal('h1');
      expect(a.plan).to.equal(PLAN.name);
      expect(a.status).to.equal('pending');
      expect(a.profile).to.deep.equal({ firstName: 'Mia', lastName: '', organisation: '', photo: '' });
      expect(a.idleTimeoutMinutes).to.be.a('number').greaterThan(0);
      expect(a.createdAt).to.be.within(before, Date.now());
      expect(a.lastActivityAt).to.equal(null);
      expect(await s.store.getSpace(a.spaceId)).to.deep.equal({ id: a.spaceId, owner: { kind: 'account', accountId: a.id } });
      const cols = await s.store.listCollections(a.spaceId);
      expect(cols.map((c) => `${c.tool}/${c.name}/${c.role ?? ''}`).sort()).to.deep.equal(
        COLLECTIONS.map((c) => `${c.tool}/${c.name}/${c.role ?? ''}`).sort());
      for (const c of cols) {
        expect(c.spaceId).to.equal(a.spaceId);
        expect(c.parentId).to.equal(null);
      }
      const cal = cols.find((c) => c.tool === 'calendar');
      expect(cal?.props).to.deep.equal({ color: '#3366cc' });
      expect(await s.store.getUsage(a.spaceId, 'mail')).to.equal(0);
      expect(await s.store.getUsage(a.spaceId, 'files')).to.equal(0);
    });

    it('refuses a taken address, whatever its case, and creates nothing', async () => {
      const a = await newAccount(s.store, 'taken');
      const countBefore = (await s.store.listAccounts()).length;
      await rejects(s.store.createAccount({
        address: a.address.toUpperCase(), name: 'other', passwordHash: 'x', plan: PLAN.name, status: 'active',
        collections: [{ tool: 'mail', name: 'INBOX', role: 'inbox' }],
      }), Conflict);
      expect((await s.store.listAccounts()).length).to.equal(countBefore);
      expect((await s.store.getAccountByAddress(a.address))?.id).to.equal(a.id);
    });

    it('finds an account by id and by address in any case, and lists it', async () => {
      const a = await newAccount(s.store, 'finder');
      expect(await s.store.getAccount(a.id)).to.deep.equal(a);
      expect(await s.store.getAccountByAddress(a.address.toUpperCase())).to.deep.equal(a);
      expect(await s.store.getAccount(a.id + 100_000)).to.equal(null);
      expect(await s.store.getAccountByAddress(`nobody.${next()}@example.org`)).to.equal(null);
      const all = await s.store.listAccounts();
      expect(all.find((x) => x.id === a.id)).to.deep.equal(a);
    });

    it('updates fields and merges the profile', async () => {
      const a = await s.store.createAccount({
        address: `upd.${next()}@example.org`, name: 'Before', passwordHash: 'old', plan: PLAN.name, status: 'pending',
        profile: { firstName: 'Ann', organisation: 'ACME' }, collections: [],
      });
      await s.store.putPlan({ ...PLAN, name: 'premium', paid: true });
      const u = await s.store.updateAccount(a.id, {
        name: 'After', passwordHash: 'new', plan: 'premium', status: 'active', profile: { lastName: 'Lee' }, idleTimeoutMinutes: 90,
      });
      expect(u).to.deep.equal({
        ...a, name: 'After', passwordHash: 'new', plan: 'premium', status: 'active',
        profile: { firstName: 'Ann', lastName: 'Lee', organisation: 'ACME', photo: '' }, idleTimeoutMinutes: 90,
      });
      expect(await s.store.getAccount(a.id)).to.deep.equal(u);
      const v = await s.store.updateAccount(a.id, { profile: { firstName: 'Anne' } });
      expect(v.profile).to.deep.equal({ firstName: 'Anne', lastName: 'Lee', organisation: 'ACME', photo: '' });
      expect(v.name).to.equal('After');
      await rejects(s.store.updateAccount(a.id + 100_000, { name: 'x' }), NotFound);
    });

    it('refuses an unknown plan with NotFound and creates nothing', async () => {
      const address = `noplan.${next()}@example.org`;
      await rejects(s.store.createAccount({
        address, name: 'x', passwordHash: 'x', plan: `missing-${next()}`, status: 'active',
        collections: [{ tool: 'files', name: 'Documents' }],
      }), NotFound);
      expect(await s.store.getAccountByAddress(address)).to.equal(null);
      const a = await newAccount(s.store, 'planless');
      await rejects(s.store.updateAccount(a.id, { plan: `missing-${next()}`, name: 'changed' }), NotFound);
      expect(await s.store.getAccount(a.id)).to.deep.equal(a);
    });

    it('touchAccount only moves the last activity forward', async () => {
      const a = await newAccount(s.store, 'touch');
      await s.store.touchAccount(a.id, 1_000);
      expect((await s.store.getAccount(a.id))?.lastActivityAt).to.equal(1_000);
      await s.store.touchAccount(a.id, 500);
      expect((await s.store.getAccount(a.id))?.lastActivityAt).to.equal(1_000);
      await s.store.touchAccount(a.id, 2_000);
      expect((await s.store.getAccount(a.id))?.lastActivityAt).to.equal(2_000);
    });

    it('deleteAccount removes the space, collections, items, memberships, sessions, administered groups and blobs', async () => {
      const store = s.store;
      const alice = await newAccount(store, 'doomed');
      const bob = await newAccount(store, 'survivor');
      const docs = await documents(store, alice);
      const box = await inbox(store, alice);
      const blobItem = await putBlob(store, docs.id, 'a file of alice');
      const mail = await putInline(store, box.id, 'Subject: hi\r\n\r\nhello');
      const sharedOut = await putBlob(store, docs.id, 'copied to bob');
      const bobCopy = await store.copyItem({ itemId: sharedOut.id, toCollectionId: (await documents(store, bob)).id, quotaLimit: null });
      const sid = `session-${next()}`;
      await store.createSession({ id: sid, accountId: alice.id, createdAt: 1, lastSeenAt: 1, userAgent: 'ua', clientAddress: '::1' });
      const own = await newGroup(store, alice, [{ tool: 'files', name: 'Team files' }]);
      await store.addMember(own.id, bob.id, 5);
      const teamFiles = (await store.listCollections(own.spaceId, 'files'))[0]!;
      const teamBlob = await putBlob(store, teamFiles.id, 'a team file');
      const bobs = await newGroup(store, bob);
      await store.addMember(bobs.id, alice.id, 5);
      const grant = await store.putGrant({ collectionId: docs.id, groupId: bobs.id, rights: ['read'], grantedBy: alice.id });
      const domain = `doomed${next()}.example`;
      await store.createDomain(domain, alice.id);

      await store.deleteAccount(alice.id);

      expect(await store.getAccount(alice.id)).to.equal(null);
      expect(await store.getAccountByAddress(alice.address)).to.equal(null);
      expect(await store.getSpace(alice.spaceId)).to.equal(null);
      expect(await store.listCollections(alice.spaceId)).to.deep.equal([]);
      expect(await store.getCollection(docs.id)).to.equal(null);
      expect(await store.getItem(blobItem.id)).to.equal(null);
      expect(await store.getItem(mail.id)).to.equal(null);
      expect(await store.getSession(sid)).to.equal(null);
      expect(await store.listSessions(alice.id)).to.deep.equal([]);
      expect(await store.getGroup(own.id)).to.equal(null);
      expect(await store.getSpace(own.spaceId)).to.equal(null);
      expect(await store.getCollection(teamFiles.id)).to.equal(null);
      expect(await store.getMembership(bobs.id, alice.id)).to.equal(null);
      expect((await store.listMembers(bobs.id)).map((m) => m.accountId)).to.deep.equal([bob.id]);
      expect(await store.listGroupsOf(bob.id)).to.deep.equal([bobs]);
      expect(await store.getGrant(grant.id)).to.equal(null);
      expect((await store.getDomain(domain))?.ownerId).to.equal(null);
      await blobGone(store, blobItem.blobId!);
      await blobGone(store, teamBlob.blobId!);
      // the blob bob's copy shares is kept
      await settleTrash(store);
      expect(await store.blobs.exists(bobCopy.blobId!)).to.equal(true);
      expect(decode(await store.readItemContent(bobCopy))).to.equal('copied to bob');
      expect((await store.getAccount(bob.id))?.id).to.equal(bob.id);
      await rejects(store.deleteAccount(alice.id), NotFound);
    });
  });

  describe('sessions', () => {
    const s = useStore(backend);

    it('creates, reads, touches, lists and deletes sessions', async () => {
      const a = await newAccount(s.store, 'sess');
      const other = await newAccount(s.store, 'sess-other');
      const mk = (id: string, accountId: number, at: number) => ({
        id, accountId, createdAt: at, lastSeenAt: at, userAgent: `agent ${id}`, clientAddress: '192.0.2.1',
      });
      const n = next();
      const s1 = mk(`s1-${n}`, a.id, 1_000);
      const s2 = mk(`s2-${n}`, a.id, 2_000);
      const s3 = mk(`s3-${n}`, a.id, 3_000);
      const o1 = mk(`o1-${n}`, other.id, 1_000);
      for (const x of [s1, s2, s3, o1]) await s.store.createSession(x);
      expect(await s.store.getSession(s1.id)).to.deep.equal(s1);
      expect(await s.store.getSession(`missing-${n}`)).to.equal(null);
      await rejects(s.store.createSession(s1), Conflict);

      await s.store.touchSession(s1.id, 5_000);
      expect(await s.store.getSession(s1.id)).to.deep.equal({ ...s1, lastSeenAt: 5_000 });
      const listed = await s.store.listSessions(a.id);
      expect(listed.map((x) => x.id)).to.deep.equal([s1.id, s3.id, s2.id]);

      await s.store.deleteSession(s2.id);
      expect(await s.store.getSession(s2.id)).to.equal(null);
      expect((await s.store.listSessions(a.id)).map((x) => x.id).sort()).to.deep.equal([s1.id, s3.id].sort());

      const s4 = mk(`s4-${n}`, a.id, 4_000);
      await s.store.createSession(s4);
      expect(await s.store.deleteSessions(a.id, s3.id)).to.equal(2);
      expect((await s.store.listSessions(a.id)).map((x) => x.id)).to.deep.equal([s3.id]);
      expect(await s.store.getSession(o1.id)).to.deep.equal(o1);
      expect(await s.store.deleteSessions(a.id)).to.equal(1);
      expect(await s.store.listSessions(a.id)).to.deep.equal([]);
      expect((await s.store.listSessions(other.id)).map((x) => x.id)).to.deep.equal([o1.id]);
      await rejects(s.store.createSession(mk(`ghost-${n}`, other.id + 100_000, 1)), NotFound);
      expect(await s.store.getSession(`ghost-${n}`)).to.equal(null);
    });
  });

  describe('plans and domains', () => {
    const s = useStore(backend);

    it('puts, upserts, gets and lists plans', async () => {
      const name = `plan-${next()}`;
      const p: Plan = { name, mailBytes: 10, filesBytes: 20, maxGroups: 1, maxGroupMembers: 2, features: ['a', 'b'], paid: true };
      await s.store.putPlan(p);
      expect(await s.store.getPlan(name)).to.deep.equal(p);
      const q: Plan = { ...p, mailBytes: 11, filesBytes: 5_000_000_000, maxGroups: 4, maxGroupMembers: 9, features: [], paid: false };
      await s.store.putPlan(q);
      expect(await s.store.getPlan(name)).to.deep.equal(q);
      const all = await s.store.listPlans();
      expect(all.filter((x) => x.name === name)).to.deep.equal([q]);
      expect(all.find((x) => x.name === PLAN.name)).to.deep.equal(PLAN);
      expect(await s.store.getPlan(`missing-${next()}`)).to.equal(null);
    });

    it('creates lower-cased domains, refuses duplicates, deletes', async () => {
      const a = await newAccount(s.store, 'dom');
      const n = next();
      const d = await s.store.createDomain(`Mail${n}.Example.COM`, a.id);
      expect(d.name).to.equal(`mail${n}.example.com`);
      expect(d.ownerId).to.equal(a.id);
      expect(d.createdAt).to.be.closeTo(Date.now(), 60_000);
      expect(await s.store.getDomain(`MAIL${n}.example.com`)).to.deep.equal(d);
      await rejects(s.store.createDomain(`mail${n}.example.com`, null), Conflict);
      const free = await s.store.createDomain(`free${n}.example.com`, null);
      expect(free.ownerId).to.equal(null);
      const names = (await s.store.listDomains()).map((x) => x.name);
      expect(names).to.include.members([d.name, free.name]);
      await s.store.deleteDomain(d.name.toUpperCase());
      expect(await s.store.getDomain(d.name)).to.equal(null);
      await rejects(s.store.deleteDomain(d.name), NotFound);
      await rejects(s.store.deleteDomain(`never${n}.example.com`), NotFound);
      await rejects(s.store.createDomain(`ghost${n}.example.com`, a.id + 100_000), NotFound);
      expect(await s.store.getDomain(`ghost${n}.example.com`)).to.equal(null);
    });
  });
}
