// The store conformance suite: one set of tests, run against every backend
// (test/store/sqlite.test.ts, test/store/postgres.test.ts), the way sabre/dav
// runs one PDO suite per engine. Each `describe` opens one fresh database;
// each test makes its own accounts (unique addresses), so tests do not depend
// on each other or on their order. Everything is asserted through the Store
// interface (and the blob files on disk), as a user of the store sees it.
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { Conflict, LimitReached, NotFound, PreconditionFailed, QuotaExceeded } from '../../src/store/errors.ts';
import { openStore } from '../../src/store/open.ts';
import type {
  Account, ChangeEvent, Collection, Group, Item, NewCollectionInSpace, Plan, PutItem, Store, Tool,
} from '../../src/store/types.ts';
import { openTestStore, type Backend, type TestStore } from '../support/store.ts';

// ----- helpers

const PLAN: Plan = {
  name: 'standard', mailBytes: 1_000_000, filesBytes: 2_000_000, maxGroups: 3, maxGroupMembers: 5,
  features: ['mail', 'files'], paid: false,
};

/** The collections every test account gets in its personal space. */
const COLLECTIONS: readonly NewCollectionInSpace[] = [
  { tool: 'mail', name: 'INBOX', role: 'inbox' },
  { tool: 'mail', name: 'Sent', role: 'sent' },
  { tool: 'calendar', name: 'Calendar', role: 'default', props: { color: '#3366cc' } },
  { tool: 'contacts', name: 'Contacts', role: 'default' },
  { tool: 'files', name: 'Documents' },
  { tool: 'files', name: 'Drop box', role: 'dropbox' },
];

let seq = 0;
const next = (): number => ++seq;
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers before/after hooks in the current describe: one fresh store for all its tests. */
function useStore(backend: Backend): { readonly store: Store; readonly test: TestStore } {
  let t: TestStore | undefined;
  before(async function () {
    this.timeout(20_000);
    t = await openTestStore(backend);
    await t.store.putPlan(PLAN);
  });
  after(async function () {
    this.timeout(20_000);
    await t?.cleanup();
  });
  return {
    get store(): Store {
      if (!t) throw new Error('the store is not open');
      return t.store;
    },
    get test(): TestStore {
      if (!t) throw new Error('the store is not open');
      return t;
    },
  };
}

async function newAccount(store: Store, label = 'user', collections: readonly NewCollectionInSpace[] = COLLECTIONS): Promise<Account> {
  return store.createAccount({
    address: `${label}.${next()}@example.org`, name: label, passwordHash: `hash-${label}`, plan: PLAN.name,
    status: 'active', collections,
  });
}

async function byRole(store: Store, spaceId: number, tool: Tool, role: string): Promise<Collection> {
  const c = await store.findCollectionByRole(spaceId, tool, role);
  if (!c) throw new Error(`no ${tool} collection with role ${role} in space ${spaceId}`);
  return c;
}

async function documents(store: Store, account: Account): Promise<Collection> {
  const c = await store.findCollection(account.spaceId, 'files', null, 'Documents');
  if (!c) throw new Error('no Documents collection');
  return c;
}

async function inbox(store: Store, account: Account): Promise<Collection> {
  return byRole(store, account.spaceId, 'mail', 'inbox');
}

async function newGroup(store: Store, admin: Account, collections: readonly NewCollectionInSpace[] = [], maxGroups = 10): Promise<Group> {
  return store.createGroup({ name: `Group ${next()}`, adminId: admin.id, maxGroups, collections });
}

type PutOptions = Partial<Omit<PutItem, 'collectionId' | 'content' | 'blobId' | 'size'>>;

/** Puts inline bytes. */
async function putInline(store: Store, collectionId: number, data: Uint8Array | string, options: PutOptions = {}): Promise<Item> {
  const content = typeof data === 'string' ? encode(data) : data;
  return store.putItem({
    collectionId, content, size: content.byteLength, contentType: 'application/octet-stream', quotaLimit: null, ...options,
  });
}

/** Writes a blob and puts an item referring to it. */
async function putBlob(store: Store, collectionId: number, data: Uint8Array | string, options: PutOptions = {}): Promise<Item> {
  const bytes = typeof data === 'string' ? encode(data) : data;
  const blob = await store.blobs.write(bytes);
  return store.putItem({
    collectionId, blobId: blob.id, size: blob.size, contentType: 'application/octet-stream', quotaLimit: null, ...options,
  });
}

/** Awaits the rejection and checks its class; returns the error for further checks. */
async function rejects<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (err) {
    expect(err, `expected ${type.name}, got ${String(err)}`).to.be.instanceOf(type);
    return err as E;
  }
  return expect.fail(`expected ${type.name}, but it resolved with ${JSON.stringify(outcome)}`);
}

/** Polls `check` until it holds, for at most `timeoutMs`; fails naming `what` otherwise. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** Waits until the blob file is gone (the trash is emptied after the commit, asynchronously). */
async function blobGone(store: Store, blobId: string): Promise<void> {
  await eventually(`blob ${blobId} is removed`, async () => !(await store.blobs.exists(blobId)));
}

/** Lets the after-commit trash emptying finish, without collecting any fresh orphan. */
async function settleTrash(store: Store): Promise<void> {
  await store.collectGarbage(3_600_000);
}

const ids = (xs: readonly { id: number }[]): number[] => xs.map((x) => x.id).sort((a, b) => a - b);

// ----- the suite

export function storeConformance(backend: Backend): void {
  describe(`store conformance (${backend})`, function () {
    this.timeout(30_000);

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
  });
}
