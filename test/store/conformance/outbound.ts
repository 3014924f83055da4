// Store conformance: the outbound queue's leases and the outcome of an
// attempt (migrations 005, 011), and the notices of account credential
// changes that end open mail sessions. Run through storeConformance
// (test/store/conformance.ts).
import { expect } from 'chai';
import { openStore } from '../../../src/store/open.ts';
import type { NewOutboundMessage, Store } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { encode, newAccount, next, sleep, useStore } from './support.ts';

function message(domain: string, recipients: readonly string[], at: number): NewOutboundMessage {
  return { accountId: null, sender: 'ann@example.org', recipients, domain, raw: encode(`Subject: ${domain}\r\n\r\nbody\r\n`), nextAttemptAt: at, expiresAt: at + 3_600_000, createdAt: at };
}

/** Collects a store's account notices. */
function hear(store: Store): { heard: (number | null)[]; stop: () => void } {
  const heard: (number | null)[] = [];
  const stop = store.onAccountChange((id) => heard.push(id));
  return { heard, stop };
}

async function until(what: string, test: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function outboundConformance(backend: Backend): void {
  describe('outbound queue: leases and outcomes', () => {
    const s = useStore(backend);

    it('settles a split attempt in place: the refused-for-now recipients stay, counted and due later; the delivered ones are gone', async () => {
      const domain = `split${next()}.example`;
      const t0 = 1_000_000;
      const [id] = await s.store.enqueueOutbound([message(domain, [`a@${domain}`, `b@${domain}`, `c@${domain}`], t0)]);
      const [claimed] = (await s.store.claimOutbound(t0, 100, 60_000, 'host/1/boot')).filter((m) => m.id === id);
      expect(claimed!.recipients).to.deep.equal([`a@${domain}`, `b@${domain}`, `c@${domain}`]);
      // leased: nobody else takes it meanwhile
      expect((await s.store.claimOutbound(t0 + 1, 100, 60_000, 'other/2/boot')).map((m) => m.id)).to.not.include(id);

      await s.store.settleOutbound(id!, { recipients: [`c@${domain}`], nextAttemptAt: t0 + 5_000, error: `<c@${domain}>: 451 greylisted` });
      const [kept] = (await s.store.listOutbound()).filter((m) => m.id === id);
      expect(kept).to.include({ id, attempts: 1, nextAttemptAt: t0 + 5_000, lastError: `<c@${domain}>: 451 greylisted`, createdAt: t0, sender: 'ann@example.org' });
      expect(kept!.recipients).to.deep.equal([`c@${domain}`]);
      expect(Buffer.from(kept!.raw).toString()).to.equal(`Subject: ${domain}\r\n\r\nbody\r\n`);
      // the lease is released: due again at nextAttemptAt, not before
      expect((await s.store.claimOutbound(t0 + 4_999, 100, 60_000, 'host/1/boot')).map((m) => m.id)).to.not.include(id);
      const again = (await s.store.claimOutbound(t0 + 5_000, 100, 60_000, 'host/1/boot')).filter((m) => m.id === id);
      expect(again.map((m) => m.recipients)).to.deep.equal([[`c@${domain}`]]);

      // the last recipient accepted: gone
      await s.store.settleOutbound(id!, null);
      expect((await s.store.listOutbound()).map((m) => m.id)).to.not.include(id);
      // a retry with nobody left is the same as done
      const [other] = await s.store.enqueueOutbound([message(domain, [`d@${domain}`], t0)]);
      await s.store.settleOutbound(other!, { recipients: [], nextAttemptAt: t0 + 1, error: '' });
      expect((await s.store.listOutbound()).map((m) => m.id)).to.not.include(other);
    });

    it('names the holder of each running lease, and frees the leases of the holders it is told are gone, only theirs', async () => {
      const domain = `lease${next()}.example`;
      const now = Date.now();
      const dead = `deadhost/${next()}/boot`;
      const alive = `livehost/${next()}/boot`;
      const ids = await s.store.enqueueOutbound([message(domain, [`x@${domain}`], now - 10), message(domain, [`y@${domain}`], now - 10), message(domain, [`z@${domain}`], now - 5)]);
      const first = await s.store.claimOutbound(now, 2, 600_000, dead);
      const second = await s.store.claimOutbound(now, 1, 600_000, alive);
      expect([...first, ...second].map((m) => m.id).sort()).to.deep.equal([...ids].sort());
      const holders = (await s.store.outboundLeaseHolders(now)).filter((h) => h.holder === dead || h.holder === alive);
      expect(holders).to.deep.equal([{ holder: dead, messages: 2 }, { holder: alive, messages: 1 }].sort((a, b) => a.holder.localeCompare(b.holder)));
      // an expired lease is nobody's any more
      expect((await s.store.outboundLeaseHolders(now + 600_001)).filter((h) => h.holder === dead || h.holder === alive)).to.deep.equal([]);

      expect(await s.store.releaseOutboundLeases([dead, ''])).to.equal(2);
      const retaken = await s.store.claimOutbound(now + 1, 100, 600_000, `new/${next()}/boot`);
      expect(retaken.map((m) => m.id).sort()).to.deep.equal(first.map((m) => m.id).sort());
      // the live holder's message stays with it
      expect(retaken.map((m) => m.id)).to.not.include(second[0]!.id);
      expect((await s.store.outboundLeaseHolders(now + 1)).find((h) => h.holder === alive)).to.deep.equal({ holder: alive, messages: 1 });
      for (const id of ids) await s.store.settleOutbound(id, null);
    });
  });

  describe('account notices (open mail sessions)', () => {
    const s = useStore(backend);

    it('tells of a password or status change, a reset link used and a destroyed account; not of a name change', async () => {
      const a = await newAccount(s.store, 'notice');
      const { heard, stop } = hear(s.store);
      try {
        await s.store.updateAccount(a.id, { name: 'New Name' });
        await s.store.updateAccount(a.id, { passwordHash: a.passwordHash });
        await s.store.updateAccount(a.id, { passwordHash: 'changed-hash' });
        await until('the password change', () => heard.length >= 1);
        await s.store.updateAccount(a.id, { status: 'disabled' });
        await until('the status change', () => heard.length >= 2);
        await s.store.updateAccount(a.id, { status: 'active' });
        await until('the status change back', () => heard.length >= 3);
        const token = `tok-${next()}`;
        await s.store.putPasswordReset({ accountId: a.id, tokenHash: token, expiresAt: Date.now() + 60_000, createdAt: Date.now() });
        expect(await s.store.usePasswordReset(token, Date.now(), 'reset-hash')).to.equal(a.id);
        await until('the reset', () => heard.length >= 4);
        await s.store.deleteAccount(a.id);
        await until('the destruction', () => heard.length >= 5);
        await sleep(300);
        // no notice for the name change nor for the same hash set again; null only for other processes' writes
        expect(heard.filter((id) => id !== null)).to.deep.equal([a.id, a.id, a.id, a.id, a.id]);
      } finally {
        stop();
      }
    });

    it('hears what another process changes (PostgreSQL: the account; SQLite: that something was written)', async () => {
      const a = await newAccount(s.store, 'other-process');
      const { heard, stop } = hear(s.store);
      // a second store on the same database, as the `bureau` command beside the server
      const other = await openStore({ databaseUrl: s.test.db.url, dataDir: s.test.db.dataDir });
      try {
        await other.updateAccount(a.id, { passwordHash: 'set-elsewhere' });
        await until('the other process\'s change', () => heard.length > 0);
        expect(heard[0]).to.equal(backend === 'postgres' ? a.id : null);
      } finally {
        stop();
        await other.close();
      }
    });
  });
}
