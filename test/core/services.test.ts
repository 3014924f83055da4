// Accounts, plans, groups, quotas and domains through the core services, on a
// real store of each backend.
import { expect } from 'chai';
import { Conflict, InvalidInput, LimitReached, NotFound, QuotaExceeded } from '../../src/core/errors.ts';
import { hashPassword, verifyPassword } from '../../src/core/passwords.ts';
import type { Account } from '../../src/store/types.ts';
import { makeTestCore, PASSWORD, rejection, type TestCore } from '../support/core.ts';
import { BACKENDS } from '../support/store.ts';

describe('core/passwords', () => {
  it('hashes with argon2id in PHC form and verifies only the right password', async () => {
    const h = await hashPassword('a long enough password');
    expect(h).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(await verifyPassword('a long enough password', h)).to.equal(true);
    expect(await verifyPassword('a long enough passworD', h)).to.equal(false);
    expect(await verifyPassword('x', 'not a hash')).to.equal(false);
    expect(await hashPassword('a long enough password')).to.not.equal(h, 'each hash has its own salt');
  });
});

for (const backend of BACKENDS) {
  describe(`core services on ${backend}`, function () {
    let t: TestCore;
    beforeEach(async () => { t = await makeTestCore(backend); });
    afterEach(async () => t.cleanup());

    describe('accounts', () => {
      it('creates an account with its mailboxes, calendar, address book, documents and drop box', async () => {
        const a = await t.core.accounts.create({ address: ' Ann.Lee@Example.TEST ', password: PASSWORD, name: 'Ann Lee' });
        expect(a.address).to.equal('ann.lee@example.test');
        expect(a.plan).to.equal('small');
        expect(a.profile).to.include({ firstName: 'Ann', lastName: 'Lee' });
        const cols = await t.core.store.listCollections(a.spaceId);
        expect(cols.map((c) => `${c.tool}/${c.name}/${c.role}`).sort()).to.deep.equal([
          'calendar/calendar/default', 'contacts/contacts/default', 'files/Documents/documents', 'files/Drop box/dropbox',
          'mail/Archive/archive', 'mail/Drafts/drafts', 'mail/INBOX/inbox', 'mail/Junk/junk', 'mail/Sent/sent', 'mail/Trash/trash',
        ]);
      });

      it('refuses a weak or too long password, a taken address, a domain not hosted, an unknown plan, and creates nothing', async () => {
        const short = await rejection(t.core.accounts.create({ address: 'ann@example.test', password: 'short' }));
        expect(short).to.be.instanceOf(InvalidInput);
        expect(short.message).to.equal('the password is too short: at least 10 characters are needed');
        const long = await rejection(t.core.accounts.create({ address: 'ann@example.test', password: 'x'.repeat(1025) }));
        expect(long.message).to.equal('the password is too long: at most 1024 characters are allowed');
        expect((await t.core.accounts.create({ address: 'ann@example.test', password: 'é'.repeat(1024) })).address).to.equal('ann@example.test');
        expect(await rejection(t.core.accounts.create({ address: 'ANN@example.test', password: PASSWORD }))).to.be.instanceOf(Conflict);
        const foreign = await rejection(t.core.accounts.create({ address: 'bob@elsewhere.test', password: PASSWORD }));
        expect(foreign.message).to.equal('the domain elsewhere.test is not hosted here; add it first (bureau domain add elsewhere.test)');
        expect(await rejection(t.core.accounts.create({ address: 'bob@example.test', password: PASSWORD, plan: 'gold' }))).to.be.instanceOf(NotFound);
        expect(await rejection(t.core.accounts.create({ address: 'not an address', password: PASSWORD }))).to.be.instanceOf(InvalidInput);
        const nul = await rejection(t.core.accounts.create({ address: 'carl@example.test', password: PASSWORD, name: 'Carl\u0000' }));
        expect(nul.message).to.equal('the name cannot contain control characters');
        expect((await t.core.accounts.list()).map((a) => a.address)).to.deep.equal(['ann@example.test']);
        await t.core.domains.add('elsewhere.test', 'ann@example.test');
        expect((await t.core.accounts.create({ address: 'bob@elsewhere.test', password: PASSWORD })).address).to.equal('bob@elsewhere.test');
      });

      it('authenticates the right password of an active account only, and records the activity', async () => {
        const a = await t.account('ann');
        expect(a.lastActivityAt).to.equal(null);
        expect(await t.core.accounts.authenticate('ann@example.test', 'wrong password!', 'imap')).to.equal(null);
        expect(await t.core.accounts.authenticate('nobody@example.test', PASSWORD, 'imap')).to.equal(null);
        expect(await t.core.accounts.authenticate('not an address', PASSWORD, 'imap')).to.equal(null);
        expect(await t.core.accounts.authenticate('ann@example.test', 'x'.repeat(100_000), 'imap')).to.equal(null);
        const ok = await t.core.accounts.authenticate('ANN@example.test', PASSWORD, 'dav');
        expect(ok?.id).to.equal(a.id);
        expect((await t.core.accounts.get(a.id)).lastActivityAt).to.be.a('number');
        await t.core.store.updateAccount(a.id, { status: 'pending' });
        expect(await t.core.accounts.authenticate('ann@example.test', PASSWORD, 'web')).to.equal(null);
      });

      it('changes the password only with the current one, and ends the other sessions', async () => {
        const a = await t.account('ann');
        const now = Date.now();
        for (const id of ['s1', 's2', 's3']) {
          await t.core.store.createSession({ id, accountId: a.id, createdAt: now, lastSeenAt: now, userAgent: 'test', clientAddress: '127.0.0.1' });
        }
        expect(await rejection(t.core.accounts.changePassword(a.id, 'not the password', 'another fine password'))).to.be.instanceOf(InvalidInput);
        await t.core.accounts.changePassword(a.id, PASSWORD, 'another fine password', 's2');
        expect((await t.core.store.listSessions(a.id)).map((s) => s.id)).to.deep.equal(['s2']);
        expect(await t.core.accounts.authenticate('ann@example.test', PASSWORD, 'web')).to.equal(null);
        expect(await t.core.accounts.authenticate('ann@example.test', 'another fine password', 'web')).to.not.equal(null);
        // the operator's reset ends every session
        await t.core.accounts.setPassword(a.id, 'a third fine password');
        expect(await t.core.store.listSessions(a.id)).to.deep.equal([]);
      });

      it('destroys an account with everything of it, but not while it administers a group with members', async () => {
        const ann = await t.account('ann');
        const bob = await t.account('bob');
        const g = await t.core.groups.create('Team', ann.id);
        await t.core.groups.addMember(g.id, bob.id);
        const docs = (await t.core.store.findCollectionByRole(ann.spaceId, 'files', 'documents'))!;
        const blob = await t.core.store.blobs.write(new TextEncoder().encode('my file'));
        await t.core.store.putItem({ collectionId: docs.id, name: 'f.txt', blobId: blob.id, size: 7, contentType: 'text/plain', quotaLimit: 5000 });
        const refused = await rejection(t.core.accounts.destroy(ann.id));
        expect(refused.message).to.equal('ann@example.test administers the group Team, which has other members; transfer it first (bureau group transfer "Team" ADDRESS)');
        expect(await t.core.store.blobs.exists(blob.id)).to.equal(true);
        await t.core.groups.transfer(g.id, bob.id);
        await t.core.accounts.destroy(ann.id);
        expect(await t.core.store.getAccountByAddress('ann@example.test')).to.equal(null);
        expect(await t.core.store.getSpace(ann.spaceId)).to.equal(null);
        expect((await t.core.groups.members(g.id)).map((m) => m.accountId)).to.deep.equal([bob.id]);
        await t.core.store.collectGarbage(0);
        expect(await t.core.store.blobs.exists(blob.id)).to.equal(false);
      });
    });

    describe('plans', () => {
      it('are copied from the settings into the store, and an account can move between them', async () => {
        expect((await t.core.plans.list()).map((p) => `${p.name}:${p.maxGroups}:${p.features.join('+')}`)).to.deep.equal(['big:5:clients', 'small:2:']);
        const a = await t.account('ann');
        expect(await t.core.plans.allows(a, 'clients')).to.equal(false);
        const moved = await t.core.accounts.setPlan(a.id, 'big');
        expect(await t.core.plans.allows(moved, 'clients')).to.equal(true);
        expect(await rejection(t.core.accounts.setPlan(a.id, 'gold'))).to.be.instanceOf(NotFound);
      });
    });

    describe('groups', () => {
      it('limits the groups an account administers and the members of a group by the administrator\'s plan', async () => {
        const ann = await t.account('ann');
        await t.core.groups.create('One', ann.id);
        const two = await t.core.groups.create('Two', ann.id);
        const third = await rejection(t.core.groups.create('Three', ann.id));
        expect(third).to.be.instanceOf(LimitReached);
        expect(third.message).to.equal('the plan allows administering 2 group(s), and that many are administered already');
        expect((await t.core.groups.list()).map((g) => g.name)).to.deep.equal(['One', 'Two']);
        const [b, c, d] = [await t.account('bob'), await t.account('carl'), await t.account('dave')];
        await t.core.groups.addMember(two.id, b.id);
        await t.core.groups.addMember(two.id, c.id);
        const full = await rejection(t.core.groups.addMember(two.id, d.id));
        expect(full).to.be.instanceOf(LimitReached);
        expect(full.message).to.equal('the group Two has 3 members, the most its administrator\'s plan allows');
        await t.core.accounts.setPlan(ann.id, 'big');
        await t.core.groups.addMember(two.id, d.id);
        expect(await t.core.groups.members(two.id)).to.have.length(4);
      });

      it('refuses duplicate names, bad names, double membership, and a successor who is not a member', async () => {
        const ann = await t.account('ann');
        const bob = await t.account('bob');
        const g = await t.core.groups.create('Team', ann.id);
        expect(await rejection(t.core.groups.create('TEAM', bob.id))).to.be.instanceOf(Conflict);
        expect(await rejection(t.core.groups.create('a/b', bob.id))).to.be.instanceOf(InvalidInput);
        expect(await rejection(t.core.groups.create('..', bob.id))).to.be.instanceOf(InvalidInput);
        expect(await rejection(t.core.groups.create('', bob.id))).to.be.instanceOf(InvalidInput);
        expect(await rejection(t.core.groups.transfer(g.id, bob.id))).to.be.instanceOf(Conflict);
        await t.core.groups.addMember(g.id, bob.id);
        expect(await rejection(t.core.groups.addMember(g.id, bob.id))).to.be.instanceOf(Conflict);
        expect(await rejection(t.core.groups.grant(g.id, bob.id, ['admin']))).to.be.instanceOf(InvalidInput);
        expect((await t.core.groups.transfer(g.id, bob.id)).adminId).to.equal(bob.id);
      });

      it('concurrent additions cannot pass the member limit', async () => {
        const ann = await t.account('ann');
        const g = await t.core.groups.create('Team', ann.id);
        const others: Account[] = [];
        for (const n of ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']) others.push(await t.account(n));
        const results = await Promise.allSettled(others.map((o) => t.core.groups.addMember(g.id, o.id)));
        expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(2);
        expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof LimitReached)).to.equal(true);
        expect(await t.core.groups.members(g.id)).to.have.length(3);
      });
    });

    describe('quota', () => {
      it('a group space has the files quota of its administrator\'s plan, shared by every member', async () => {
        const ann = await t.account('ann', 'big');
        const bob = await t.account('bob');
        const g = await t.core.groups.create('Team', ann.id);
        await t.core.groups.addMember(g.id, bob.id);
        expect(await t.core.quota.limit(g.spaceId, 'files')).to.equal(50_000);
        expect(await t.core.quota.limit(bob.spaceId, 'files')).to.equal(5_000);
        const docs = (await t.core.store.findCollectionByRole(g.spaceId, 'files', 'documents'))!;
        const limit = await t.core.quota.limit(g.spaceId, 'files');
        await t.core.store.putItem({ collectionId: docs.id, name: 'a', content: new Uint8Array(30_000), size: 30_000, contentType: 'x', quotaLimit: limit });
        const over = await rejection(t.core.store.putItem({ collectionId: docs.id, name: 'b', content: new Uint8Array(25_000), size: 25_000, contentType: 'x', quotaLimit: limit }));
        expect(over).to.be.instanceOf(QuotaExceeded);
        expect(await t.core.quota.report(g.spaceId)).to.deep.equal([
          { bucket: 'mail', usedBytes: 0, limitBytes: 1_000_000 },
          { bucket: 'files', usedBytes: 30_000, limitBytes: 50_000 },
        ]);
        // the new administrator's plan sets the limit after a transfer
        await t.core.groups.transfer(g.id, bob.id);
        expect(await t.core.quota.limit(g.spaceId, 'files')).to.equal(5_000);
        expect((await t.core.quota.usageByTool(g.spaceId)).files).to.equal(30_000);
      });

      it('concurrent writers cannot jointly exceed a quota', async () => {
        const ann = await t.account('ann');
        const inbox = (await t.core.store.findCollectionByRole(ann.spaceId, 'mail', 'inbox'))!;
        const limit = await t.core.quota.limit(ann.spaceId, 'mail');
        const writes = Array.from({ length: 30 }, () => t.core.store.putItem({
          collectionId: inbox.id, content: new Uint8Array(1_000), size: 1_000, contentType: 'message/rfc822', quotaLimit: limit,
        }));
        const results = await Promise.allSettled(writes);
        expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(10);
        expect(await t.core.store.getUsage(ann.spaceId, 'mail')).to.equal(10_000);
        expect(await t.core.store.listItems(inbox.id)).to.have.length(10);
      });
    });

    describe('domains', () => {
      it('adds a domain owned by an account, lower-cased, once', async () => {
        await t.account('ann');
        const d = await t.core.domains.add('Example.ORG.', 'ann@example.test');
        expect(d.name).to.equal('example.org');
        expect(await rejection(t.core.domains.add('example.org', null))).to.be.instanceOf(Conflict);
        expect(await rejection(t.core.domains.add('-bad-.org', null))).to.be.instanceOf(InvalidInput);
        expect(await rejection(t.core.domains.add('fine.org', 'nobody@example.test'))).to.be.instanceOf(NotFound);
        expect((await rejection(t.core.domains.add('Example.Test', null))).message).to.equal('example.test is the primary domain (BUREAU_DOMAIN); it is always hosted');
        expect(await t.core.domains.isHosted('EXAMPLE.org')).to.equal(true);
        expect(await t.core.domains.isHosted('example.test')).to.equal(true, 'the primary domain is always hosted');
        expect((await t.core.domains.list()).map((x) => x.name)).to.deep.equal(['example.org']);
      });
    });
  });
}
