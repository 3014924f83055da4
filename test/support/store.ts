// Real stores for tests: a fresh SQLite file, or a fresh PostgreSQL database on
// the machine's server (127.0.0.1:5432, user postgres), each with its own data
// folder; `cleanup` drops and removes what was made.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/types.ts';

export type Backend = 'sqlite' | 'postgres';

/** Backends the suites run on: both, unless BUREAU_TEST_BACKENDS names fewer (e.g. `sqlite`). */
export const BACKENDS: readonly Backend[] = (process.env.BUREAU_TEST_BACKENDS ?? 'sqlite,postgres')
  .split(',').map((s) => s.trim()).filter((s): s is Backend => s === 'sqlite' || s === 'postgres');

export const PG_ADMIN_URL = process.env.BUREAU_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let counter = 0;

export interface TestDatabase {
  readonly url: string;
  readonly dataDir: string;
  cleanup(): Promise<void>;
}

/** A fresh, empty database and data folder of the backend. */
export async function makeTestDatabase(backend: Backend): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bureau-test-'));
  if (backend === 'sqlite') {
    return {
      url: `sqlite:${join(dataDir, 'bureau.sqlite')}`,
      dataDir,
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `bureau_test_${process.pid}_${Date.now()}_${counter++}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    cleanup: async () => {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestStore {
  readonly store: Store;
  readonly db: TestDatabase;
  cleanup(): Promise<void>;
}

export async function openTestStore(backend: Backend): Promise<TestStore> {
  const db = await makeTestDatabase(backend);
  const store = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
  return {
    store,
    db,
    cleanup: async () => {
      await store.close();
      await db.cleanup();
    },
  };
}
