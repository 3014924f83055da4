// What the login throttle costs now that its counts are in the store: a
// failed login's throttle work (one read of the two keys, one UPSERT counting
// both), a successful login's (one read, no write), on SQLite and PostgreSQL,
// one at a time and 8 at once; beside them the argon2id verify every login
// pays anyway, and the in-memory throttle of before (src/core/throttle.ts at
// the commit given by BENCH_BEFORE, read from git) measured in the same run.
//
//   node_modules/.bin/node --disable-warning=ExperimentalWarning bench/login-throttle.ts
//
// Prints `BENCH <name> key=value ...` lines; asserts nothing. Every database
// and data folder it makes is dropped or removed at the end.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { hashPassword, verifyPassword } from '../src/core/passwords.ts';
import { loginKeys, Throttle } from '../src/core/throttle.ts';
import { openTestStore, type Backend } from '../test/support/store.ts';
import { ascending, percentile, pool } from './support.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2_000);
const CONCURRENCY = 8;
const HASHES = Number(process.env.BENCH_HASHES ?? 20);
const BEFORE = process.env.BENCH_BEFORE ?? '6f94fd3';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'sqlite,postgres').split(',').filter((b): b is Backend => b === 'sqlite' || b === 'postgres');

interface Guarding { guard<T>(keys: readonly string[], attempt: () => Promise<T | null>): Promise<T | null> }

function report(name: string, perOpMs: number[], extra: Record<string, string | number> = {}): void {
  const sorted = ascending(perOpMs);
  const total = perOpMs.reduce((a, b) => a + b, 0);
  const p = (q: number): string => percentile(sorted, q).toFixed(3);
  const fields = { n: perOpMs.length, mean_ms: (total / perOpMs.length).toFixed(3), p50_ms: p(50), p99_ms: p(99), ...extra };
  console.log(`BENCH ${name} ${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

/** ROUNDS attempts one after another, each from its own client address for its own account: none is blocked, each failure is counted. */
async function sequential(t: Guarding, label: string, outcome: 'fail' | 'succeed'): Promise<void> {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    const keys = loginKeys(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `${outcome}${i}@example.org`);
    const t0 = performance.now();
    await t.guard(keys, async () => (outcome === 'fail' ? null : { id: 1 }));
    times.push(performance.now() - t0);
  }
  report(`${label}.${outcome}`, times, { per_s: Math.round(ROUNDS / ((performance.now() - started) / 1000)) });
}

async function concurrent(t: Guarding, label: string): Promise<void> {
  const times: number[] = [];
  const started = performance.now();
  await pool(ROUNDS, CONCURRENCY, async (i) => {
    const keys = loginKeys(`172.16.${(i >> 8) & 255}.${i & 255}`, `concurrent${i}@example.org`);
    const t0 = performance.now();
    await t.guard(keys, async () => null);
    times.push(performance.now() - t0);
  });
  report(`${label}.fail.concurrent${CONCURRENCY}`, times, { per_s: Math.round(ROUNDS / ((performance.now() - started) / 1000)) });
}

async function main(): Promise<void> {
  // the reference of scale: one argon2id verify, which every password check pays
  const hash = await hashPassword('a password to check');
  const verifies: number[] = [];
  for (let i = 0; i < HASHES; i++) {
    const t0 = performance.now();
    await verifyPassword('a wrong password', hash);
    verifies.push(performance.now() - t0);
  }
  report('argon2id.verify', verifies, { per_s: (1000 / (verifies.reduce((a, b) => a + b, 0) / HASHES)).toFixed(1) });

  // before: the in-memory throttle, as it was at BENCH_BEFORE
  const dir = await mkdtemp(join(tmpdir(), 'bureau-bench-throttle-'));
  try {
    const source = execFileSync('git', ['show', `${BEFORE}:src/core/throttle.ts`], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' });
    const file = join(dir, 'throttle-before.ts');
    await writeFile(file, source);
    const old = (await import(pathToFileURL(file).href)) as { Throttle: new () => Guarding };
    await sequential(new old.Throttle(), 'throttle.memory', 'fail');
    await sequential(new old.Throttle(), 'throttle.memory', 'succeed');
    await concurrent(new old.Throttle(), 'throttle.memory');
  } catch (err) {
    console.log(`BENCH throttle.memory skipped=${JSON.stringify((err as Error).message.split('\n')[0])}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  for (const backend of BACKENDS) {
    const { store, cleanup } = await openTestStore(backend);
    try {
      await sequential(new Throttle(store), `throttle.${backend}`, 'fail');
      await sequential(new Throttle(store), `throttle.${backend}`, 'succeed');
      await concurrent(new Throttle(store), `throttle.${backend}`);
    } finally {
      await cleanup();
    }
  }
}

await main();
