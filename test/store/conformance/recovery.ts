// Store conformance: password reset links, held-back addresses and profile
// photos (migration 007). Run through storeConformance (test/store/conformance.ts).
import { expect } from 'chai';
import { NotFound } from '../../../src/store/errors.ts';
import type { Backend } from '../../support/store.ts';
import { next, newAccount, rejects, useStore } from './support.ts';

export function recoveryConformance(backend: Backend): void {
  describe('password resets', () => {
    const s = useStore(backend);

    it('keeps one outstanding link per account, found by its hash until it expires', async () => {
      const a = await newAccount(s.store, 'reset');
      const hash1 = `h1-${next()}`;
      await s.store.putPasswordReset({ accountId: a.id, tokenHash: hash1, expiresAt: 2_000, createdAt: 1_000 });
      expect(await s.store.getPasswordReset(hash1, 1_500)).to.deep.equal({ accountId: a.id, tokenHash: hash1, expiresAt: 2_000, createdAt: 1_000 });
      expect(await s.store.getPasswordReset(hash1, 2_000)).to.equal(null);
      expect(await s.store.getPasswordReset('unknown', 1_500)).to.equal(null);
      // a new link replaces the old one
      const hash2 = `h2-${next()}`;
      await s.store.putPasswordReset({ accountId: a.id, tokenHash: hash2, expiresAt: 3_000, createdAt: 1_100 });
      expect(await s.store.getPasswordReset(hash1, 1_500)).to.equal(null);
      expect((await s.store.getPasswordReset(hash2, 1_500))?.accountId).to.equal(a.id);
      await rejects(s.store.putPasswordReset({ accountId: 999_999_999, tokenHash: `x-${next()}`, expiresAt: 3_000, createdAt: 1 }), NotFound);
    });

    it('uses a link once: the password hash is set and every session of the account ends, others\' stay', async () => {
      const a = await newAccount(s.store, 'reset-use');
      const b = await newAccount(s.store, 'reset-other');
      const now = Date.now();
      for (const [id, owner] of [[`sa-${next()}`, a.id], [`sa-${next()}`, a.id], [`sb-${next()}`, b.id]] as const) {
        await s.store.createSession({ id, accountId: owner, createdAt: now, lastSeenAt: now, userAgent: 'ua', clientAddress: '::1' });
      }
      const hash = `use-${next()}`;
      await s.store.putPasswordReset({ accountId: a.id, tokenHash: hash, expiresAt: now + 60_000, createdAt: now });
      expect(await s.store.usePasswordReset(hash, now + 1, 'new-hash')).to.equal(a.id);
      expect((await s.store.getAccount(a.id))!.passwordHash).to.equal('new-hash');
      expect(await s.store.listSessions(a.id)).to.deep.equal([]);
      expect(await s.store.listSessions(b.id)).to.have.length(1);
      // replayed: nothing changes
      expect(await s.store.usePasswordReset(hash, now + 2, 'other-hash')).to.equal(null);
      expect((await s.store.getAccount(a.id))!.passwordHash).to.equal('new-hash');
    });

    it('refuses an expired link and a link of an account that is not active, changing nothing', async () => {
      const a = await newAccount(s.store, 'reset-expired');
      const hash = `exp-${next()}`;
      await s.store.putPasswordReset({ accountId: a.id, tokenHash: hash, expiresAt: 5_000, createdAt: 1_000 });
      expect(await s.store.usePasswordReset(hash, 5_000, 'late-hash')).to.equal(null);
      expect((await s.store.getAccount(a.id))!.passwordHash).to.equal(a.passwordHash);
      const d = await newAccount(s.store, 'reset-disabled');
      await s.store.updateAccount(d.id, { status: 'disabled' });
      const dh = `dis-${next()}`;
      await s.store.putPasswordReset({ accountId: d.id, tokenHash: dh, expiresAt: Date.now() + 60_000, createdAt: Date.now() });
      expect(await s.store.usePasswordReset(dh, Date.now(), 'x')).to.equal(null);
      expect((await s.store.getAccount(d.id))!.passwordHash).to.equal(d.passwordHash);
    });

    it('forgets the link, the photo and the contact address with the account', async () => {
      const a = await newAccount(s.store, 'reset-gone');
      const hash = `gone-${next()}`;
      await s.store.putPasswordReset({ accountId: a.id, tokenHash: hash, expiresAt: Date.now() + 60_000, createdAt: Date.now() });
      await s.store.putAccountPhoto(a.id, { contentType: 'image/png', content: new Uint8Array([1, 2, 3]) });
      await s.store.putAccountContact({ accountId: a.id, email: 'x@elsewhere.test', confirmedAt: 1, tokenHash: null, tokenExpiresAt: null, createdAt: 1 });
      await s.store.deleteAccount(a.id);
      expect(await s.store.getPasswordReset(hash, Date.now())).to.equal(null);
      expect(await s.store.getAccountPhoto(a.id)).to.equal(null);
      expect(await s.store.getAccountContact(a.id)).to.equal(null);
    });
  });

  describe('held-back addresses', () => {
    const s = useStore(backend);

    it('holds an address (case-insensitively) until a time, the later hold winning, and frees it after', async () => {
      const address = `held${next()}@example.org`;
      const now = Date.now();
      expect(await s.store.addressHeldUntil(address, now)).to.equal(null);
      await s.store.holdAddress(address.toUpperCase(), now + 10_000);
      expect(await s.store.addressHeldUntil(address, now)).to.equal(now + 10_000);
      await s.store.holdAddress(address, now + 5_000);
      expect(await s.store.addressHeldUntil(address, now)).to.equal(now + 10_000);
      await s.store.holdAddress(address, now + 20_000);
      expect(await s.store.addressHeldUntil(address, now + 15_000)).to.equal(now + 20_000);
      expect(await s.store.addressHeldUntil(address, now + 20_000)).to.equal(null);
      expect(await s.store.addressHeldUntil(`other${next()}@example.org`, now)).to.equal(null);
    });
  });

  describe('profile photos', () => {
    const s = useStore(backend);

    it('puts, replaces, reads and deletes an account\'s photo, byte for byte', async () => {
      const a = await newAccount(s.store, 'photo');
      expect(await s.store.getAccountPhoto(a.id)).to.equal(null);
      const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0xff, 0xd9]);
      await s.store.putAccountPhoto(a.id, { contentType: 'image/jpeg', content: jpeg });
      const got = (await s.store.getAccountPhoto(a.id))!;
      expect(got.contentType).to.equal('image/jpeg');
      expect(Buffer.from(got.content).equals(Buffer.from(jpeg))).to.equal(true);
      expect(got.updatedAt).to.be.a('number');
      const png = new Uint8Array(300).fill(7);
      await s.store.putAccountPhoto(a.id, { contentType: 'image/png', content: png });
      const replaced = (await s.store.getAccountPhoto(a.id))!;
      expect(replaced.contentType).to.equal('image/png');
      expect(Buffer.from(replaced.content).equals(Buffer.from(png))).to.equal(true);
      expect(await s.store.deleteAccountPhoto(a.id)).to.equal(true);
      expect(await s.store.deleteAccountPhoto(a.id)).to.equal(false);
      expect(await s.store.getAccountPhoto(a.id)).to.equal(null);
      await rejects(s.store.putAccountPhoto(999_999_999, { contentType: 'image/png', content: png }), NotFound);
    });
  });
}
