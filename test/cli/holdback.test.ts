// `bureau user add` and the addresses of destroyed accounts, as an operator
// sees it: the real launcher (scripts/bureau.mjs) as a child process on both
// backends. A deleted account's address is refused for address_holdback_days
// with a line that says why and until when; with 0 days it is free at once.
import { join } from 'node:path';
import { expect } from 'chai';
import { openStore } from '../../src/store/open.ts';
import { envWithoutBureau, runBureau, type BureauRun } from '../support/server.ts';
import { BACKENDS, makeTestDatabase, type Backend, type TestDatabase } from '../support/store.ts';

const PASSWORD = 'correct horse battery';

function run(db: TestDatabase, args: readonly string[], extra: Record<string, string> = {}): Promise<BureauRun> {
  const env = {
    ...envWithoutBureau(),
    BUREAU_DATA_DIR: db.dataDir, BUREAU_DATABASE_URL: db.url, BUREAU_CERTS_DIR: join(db.dataDir, 'certs'), BUREAU_DOMAIN: 'example.test', ...extra,
  };
  return runBureau(args, { cwd: db.dataDir, env, input: `${PASSWORD}\n`, timeoutMs: 20_000 });
}

for (const backend of BACKENDS as readonly Backend[]) {
  describe(`bureau user add and held-back addresses (${backend})`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    before(async () => { db = await makeTestDatabase(backend); });
    after(async () => db?.cleanup());

    it('refuses the address of a deleted account, saying until when, and takes it again when the hold is over', async () => {
      expect((await run(db, ['user', 'add', 'ann@example.test'])).stdout).to.equal('created ann@example.test (plan free)\n');
      const before = Date.now();
      expect((await run(db, ['user', 'delete', 'ann@example.test'])).stdout).to.equal('deleted ann@example.test\n');
      const after = Date.now();
      const refused = await run(db, ['user', 'add', 'Ann@Example.test']);
      expect(refused.code).to.equal(1);
      expect(refused.stdout).to.equal('');
      const m = /^bureau: the address ann@example\.test is not available: its account was destroyed and the address is held back until (\d{4}-\d\d-\d\dT\d\d:\d\d)Z \(address_holdback_days\)\n$/.exec(refused.stderr);
      expect(m, refused.stderr).to.not.equal(null);
      const until = Date.parse(`${m![1]}:00Z`);
      expect(until).to.be.within(before + 90 * 86_400_000 - 60_000, after + 90 * 86_400_000);
      const store = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
      try {
        expect(await store.getAccountByAddress('ann@example.test')).to.equal(null);
        // the hold's time passes (a hold is only ever lengthened: here a fresh address stands for it)
        await store.holdAddress('cid@example.test', Date.now() + 300);
      } finally {
        await store.close();
      }
      await new Promise((r) => setTimeout(r, 400));
      expect((await run(db, ['user', 'add', 'cid@example.test'])).stdout).to.equal('created cid@example.test (plan free)\n');
    });

    it('holds nothing with address_holdback_days 0', async () => {
      const zero = { BUREAU_ADDRESS_HOLDBACK_DAYS: '0' };
      expect((await run(db, ['user', 'add', 'bob@example.test'], zero)).code).to.equal(0);
      expect((await run(db, ['user', 'delete', 'bob@example.test'], zero)).code).to.equal(0);
      expect((await run(db, ['user', 'add', 'bob@example.test'], zero)).stdout).to.equal('created bob@example.test (plan free)\n');
    });
  });
}
