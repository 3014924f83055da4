// PostgreSQL going away under an open store: the operator is warned (an idle
// connection of the pool, the change listener), the store goes on serving on
// new connections; and a store closed before its database is dropped says
// nothing, since nothing was lost.
import { expect } from 'chai';
import pg from 'pg';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';
import { BACKENDS, makeTestDatabase, PG_ADMIN_URL, type TestDatabase } from '../support/store.ts';

/** The warnings the process emits while `fn` runs, and a moment after. */
async function warningsDuring(fn: () => Promise<void>, settleMs = 500): Promise<string[]> {
  const seen: string[] = [];
  const record = (w: Error): void => { seen.push(w.message); };
  process.on('warning', record);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    process.off('warning', record);
  }
  return seen;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const databaseOf = (url: string): string => new URL(url).pathname.slice(1);

if (BACKENDS.includes('postgres')) {
  describe('PostgreSQL connections lost and closed', function () {
    this.timeout(30_000);
    let db: TestDatabase;
    let store: Store | null = null;

    beforeEach(async () => {
      db = await makeTestDatabase('postgres');
      store = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
    });
    afterEach(async () => {
      await store?.close();
      store = null;
      await db.cleanup();
    });

    it('warns when the server ends its connections, and serves again on new ones', async () => {
      await store!.putPlan({ name: 'p', mailBytes: 1, filesBytes: 1, maxGroups: 0, maxGroupMembers: 1, features: [], paid: false });
      const warnings = await warningsDuring(async () => {
        const ended = await admin(async (c) => (await c.query<{ n: number }>(
          'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [databaseOf(db.url)],
        )).rows[0]!.n);
        expect(ended, 'connections of the store ended by the server').to.be.at.least(2);
      });
      expect(warnings.some((w) => /^PostgreSQL connection lost: terminating connection due to administrator command/.test(w)), warnings.join('\n')).to.equal(true);
      expect(warnings.some((w) => /^PostgreSQL change listener lost: /.test(w)), warnings.join('\n')).to.equal(true);
      expect((await store!.listPlans()).map((p) => p.name)).to.include('p');
    });

    it('says nothing when the store is closed before its database is dropped', async () => {
      // a race (the connections told to end, not yet gone, when the drop comes): tried a few times
      for (let round = 0; round < 5; round++) {
        const other = await makeTestDatabase('postgres');
        const s = await openStore({ databaseUrl: other.url, dataDir: other.dataDir });
        let closed = false;
        try {
          // several connections in the pool, as a busy store has
          await Promise.all(Array.from({ length: 8 }, (_, i) =>
            s.putPlan({ name: `p${i}`, mailBytes: 1, filesBytes: 1, maxGroups: 0, maxGroupMembers: 1, features: [], paid: false })));
          // the drop follows the close at once, on a connection opened before it
          const warnings = await warningsDuring(() => admin(async (c) => {
            await s.close();
            closed = true;
            await c.query(`DROP DATABASE ${databaseOf(other.url)} WITH (FORCE)`);
          }), 200);
          expect(warnings, `round ${round}`).to.deep.equal([]);
        } finally {
          if (!closed) await s.close();
          await other.cleanup();
        }
      }
    });
  });
}
