// Figures for the foundation: the store on SQLite and PostgreSQL, the ACL
// decision (pure and loaded from a store), and argon2id. It prints figures and
// asserts nothing. Run with `npm run bench`; see bench/README.md for the knobs.
//
// Every line of a figure reads `BENCH <name> key=value ...`; a summary table
// follows at the end. Progress goes to stderr, prefixed with '#'.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { Access } from '../src/core/access.ts';
import { authorize, type GrantRef, type GroupRole, type Principal, type Resource } from '../src/core/acl.ts';
import { ACCOUNT_COLLECTIONS } from '../src/core/defaults.ts';
import { ARGON2_PARAMETERS, hashPassword, verifyPassword } from '../src/core/passwords.ts';
import { openStore } from '../src/store/open.ts';
import type { NewCollectionInSpace, Plan, Right, Store, Tool } from '../src/store/types.ts';
import { makeTestDatabase, PG_ADMIN_URL, type Backend } from '../test/support/store.ts';
import { Cleanups, fmt, intFromEnv, mulberry32, percentile, progress } from './support.ts';

// ----- knobs

function backendsFromEnv(name: string, fallback: string): Backend[] {
  return (process.env[name] ?? fallback).split(',').map((s) => s.trim())
    .filter((s): s is Backend => s === 'sqlite' || s === 'postgres');
}

const ITEMS = intFromEnv('BENCH_ITEMS', 100_000, 1_000);
const WRITERS = intFromEnv('BENCH_WRITERS', 8, 1);
/** inserts made by the concurrent writers, in each concurrent scenario */
const CONCURRENT_ITEMS = intFromEnv('BENCH_CONCURRENT_ITEMS', Math.max(1_000, Math.floor(ITEMS / 10)), WRITERS);
const READS = intFromEnv('BENCH_READS', 20_000, 100);
const DECISIONS = intFromEnv('BENCH_DECISIONS', 1_000_000, 10_000);
const HASHES = intFromEnv('BENCH_HASHES', 30, 3);
const STORE_BACKENDS = backendsFromEnv('BENCH_BACKENDS', 'sqlite,postgres');
const ACCESS_BACKENDS = backendsFromEnv('BENCH_ACCESS_BACKENDS', 'sqlite,postgres');

const PAGE = 1_000;
const LIST_REPEATS = 3;
const CHANGES_FULL_REPEATS = 3;
const CHANGES_TAIL_REPEATS = 5_000;
const CHANGES_TAIL_BACK = 10;

// ----- figures

interface Figure {
  readonly name: string;
  readonly opsPerS: number | null;
  readonly fields: Record<string, string | number>;
}

const figures: Figure[] = [];
let failures = 0;

function report(name: string, fields: Record<string, string | number>): void {
  const opsPerS = typeof fields.ops_per_s === 'number' ? fields.ops_per_s : null;
  const shown = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, k === 'ops_per_s' && typeof v === 'number' ? Math.round(v) : v]));
  figures.push({ name, opsPerS, fields: shown });
  console.log(`BENCH ${name} ${Object.entries(shown).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
}

function latencyFields(samples: Float64Array | number[]): Record<string, number> {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    mean_ms: sum / sorted.length,
    p50_ms: percentile(sorted, 50),
    p95_ms: percentile(sorted, 95),
    p99_ms: percentile(sorted, 99),
  };
}

// ----- databases, cleaned up whatever happens

const cleanups = new Cleanups();
cleanups.onSignals('removing the bench databases and folders');

async function withStore<T>(backend: Backend, fn: (store: Store, analyze: () => Promise<void>) => Promise<T>): Promise<T> {
  const db = await makeTestDatabase(backend);
  let store: Store | null = null;
  let done = false;
  const cleanup = async (): Promise<void> => {
    if (done) return;
    done = true;
    const s = store;
    store = null;
    if (s) await s.close().catch((err: unknown) => progress(`closing the ${backend} store failed: ${String(err)}`));
    await db.cleanup();
  };
  const forget = cleanups.add(`the ${backend} database`, cleanup);
  try {
    store = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
    return await fn(store, () => analyze(backend, db.url));
  } finally {
    forget();
    await cleanup();
  }
}

/**
 * PostgreSQL plans by its table statistics, which autovacuum refreshes only
 * now and then: a table filled a moment ago may be planned as if it were
 * small. A server that has run a while has them; the bench asks for them.
 */
async function analyze(backend: Backend, url: string): Promise<void> {
  if (backend !== 'postgres') return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/**
 * Lets the event loop turn. SQLite answers without I/O, so a loop of awaited
 * store calls never yields to it on its own, and a SIGINT would wait for the
 * loop's end. Stops the work once interrupted.
 */
async function pause(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (cleanups.interrupted) throw new Error('interrupted');
}

const BENCH_PLAN: Plan = {
  name: 'bench', mailBytes: 1e12, filesBytes: 1e12, maxGroups: 1_000, maxGroupMembers: 10_000, features: [], paid: false,
};

async function newAccount(store: Store, address: string, collections: readonly NewCollectionInSpace[]) {
  return store.createAccount({ address, name: address, passwordHash: 'x', plan: BENCH_PLAN.name, status: 'active', collections });
}

// ----- 1. the store

const encoder = new TextEncoder();

/** A vCard of exactly 200 bytes. */
function vcard(i: number): Uint8Array {
  const head = `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:bench-${String(i).padStart(8, '0')}\r\nFN:Person ${i}\r\nEMAIL:person${i}@example.test\r\nNOTE:`;
  const tail = '\r\nEND:VCARD\r\n';
  const pad = Math.max(0, 200 - head.length - tail.length);
  return encoder.encode(head + 'x'.repeat(pad) + tail);
}

async function insertChain(store: Store, collectionId: number, prefix: string, count: number, latencies: number[] | null): Promise<void> {
  for (let i = 0; i < count; i++) {
    if ((i & 255) === 255) await pause();
    const content = vcard(i);
    const t = performance.now();
    await store.putItem({
      collectionId, name: `${prefix}-${i}.vcf`, content, size: content.byteLength, contentType: 'text/vcard; charset=utf-8',
      meta: { uid: `bench-${prefix}-${i}` }, quotaLimit: null,
    });
    latencies?.push(performance.now() - t);
  }
}

async function benchStore(backend: Backend): Promise<void> {
  const tag = `store.${backend}`;
  await withStore(backend, async (store, analyze) => {
    await store.putPlan(BENCH_PLAN);
    const owner = await newAccount(store, 'owner@bench.test', [{ tool: 'contacts', name: 'contacts', role: 'default' }]);
    const coll = (await store.findCollectionByRole(owner.spaceId, 'contacts', 'default'))!;

    // inserts: one durable transaction each, one writer
    progress(`${backend}: inserting ${ITEMS} items, one transaction each`);
    const ids: number[] = [];
    const lat = new Float64Array(ITEMS);
    const step = Math.max(1, Math.floor(ITEMS / 10));
    const t0 = performance.now();
    let tStep = t0;
    for (let i = 0; i < ITEMS; i++) {
      if ((i & 255) === 255) await pause();
      const content = vcard(i);
      const t = performance.now();
      const item = await store.putItem({
        collectionId: coll.id, name: `card-${i}.vcf`, content, size: content.byteLength, contentType: 'text/vcard; charset=utf-8',
        meta: { uid: `bench-${i}` }, quotaLimit: null,
      });
      const now = performance.now();
      lat[i] = now - t;
      ids.push(item.id);
      if ((i + 1) % step === 0) {
        progress(`${backend}: ${i + 1}/${ITEMS} inserted, last ${step} at ${Math.round(step / ((now - tStep) / 1000))}/s`);
        tStep = now;
      }
    }
    const insertS = (performance.now() - t0) / 1000;
    report(`${tag}.insert`, { ops_per_s: ITEMS / insertS, total_s: insertS, n: ITEMS, bytes: 200, ...latencyFields(lat) });

    // listing, in pages and whole
    const listPaged = async (): Promise<{ count: number; pages: number }> => {
      let after = 0;
      let count = 0;
      let pages = 0;
      const maxPages = Math.ceil(ITEMS / PAGE) + 2;
      while (pages < maxPages) {
        if ((pages & 15) === 15) await pause();
        const page = await store.listItems(coll.id, { afterUid: after, limit: PAGE });
        if (page.length === 0) break;
        pages++;
        count += page.length;
        after = page[page.length - 1]!.uid;
      }
      return { count, pages };
    };
    const timePaged = async (name: string, repeats: number): Promise<void> => {
      const t = performance.now();
      let listed = 0;
      let pages = 0;
      for (let r = 0; r < repeats; r++) {
        const x = await listPaged();
        listed += x.count;
        pages += x.pages;
      }
      const s = (performance.now() - t) / 1000;
      report(name, { ops_per_s: listed / s, unit: 'items', pages_per_s: pages / s, page: PAGE, full_list_ms: (s * 1000) / repeats, n: listed / repeats });
    };
    if (backend === 'postgres') {
      // as autovacuum left the statistics after the inserts (it varies from run to run)
      await timePaged(`${tag}.list.paged.before_analyze`, 1);
      await analyze();
    }
    await listPaged(); // warm
    await timePaged(`${tag}.list.paged`, LIST_REPEATS);

    let t = performance.now();
    let listed = 0;
    for (let r = 0; r < LIST_REPEATS; r++) listed += (await store.listItems(coll.id)).length;
    let s = (performance.now() - t) / 1000;
    report(`${tag}.list.whole`, { ops_per_s: listed / s, unit: 'items', full_list_ms: (s * 1000) / LIST_REPEATS, n: listed / LIST_REPEATS });

    // reads by id, random, one at a time
    const rnd = mulberry32(7);
    const readLat = new Float64Array(READS);
    t = performance.now();
    for (let i = 0; i < READS; i++) {
      if ((i & 1023) === 1023) await pause();
      const id = ids[Math.floor(rnd() * ids.length)]!;
      const a = performance.now();
      const item = await store.getItem(id);
      readLat[i] = performance.now() - a;
      if (!item) throw new Error(`item ${id} is missing`);
    }
    s = (performance.now() - t) / 1000;
    report(`${tag}.getItem`, { ops_per_s: READS / s, total_s: s, n: READS, ...latencyFields(readLat) });

    // reads by id, concurrent (PostgreSQL has a pool of 10; SQLite serialises)
    t = performance.now();
    const perReader = Math.floor(READS / WRITERS);
    await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
      const r2 = mulberry32(100 + w);
      for (let i = 0; i < perReader; i++) {
        if ((i & 1023) === 1023) await pause();
        await store.getItem(ids[Math.floor(r2() * ids.length)]!);
      }
    }));
    s = (performance.now() - t) / 1000;
    report(`${tag}.getItem.concurrent${WRITERS}`, { ops_per_s: (perReader * WRITERS) / s, total_s: s, n: perReader * WRITERS });

    // changes since a token
    const first = await store.changesSince(coll.id, 0);
    t = performance.now();
    let rows = 0;
    for (let r = 0; r < CHANGES_FULL_REPEATS; r++) rows += (await store.changesSince(coll.id, 0)).changes.length;
    s = (performance.now() - t) / 1000;
    report(`${tag}.changesSince.zero`, { ops_per_s: CHANGES_FULL_REPEATS / s, call_ms: (s * 1000) / CHANGES_FULL_REPEATS, rows_per_s: rows / s, rows: rows / CHANGES_FULL_REPEATS });

    const token = first.modseq - CHANGES_TAIL_BACK;
    const tailLat = new Float64Array(CHANGES_TAIL_REPEATS);
    let tailRows = 0;
    t = performance.now();
    for (let r = 0; r < CHANGES_TAIL_REPEATS; r++) {
      if ((r & 1023) === 1023) await pause();
      const a = performance.now();
      tailRows += (await store.changesSince(coll.id, token)).changes.length;
      tailLat[r] = performance.now() - a;
    }
    s = (performance.now() - t) / 1000;
    report(`${tag}.changesSince.tail`, { ops_per_s: CHANGES_TAIL_REPEATS / s, rows: tailRows / CHANGES_TAIL_REPEATS, n: CHANGES_TAIL_REPEATS, ...latencyFields(tailLat) });

    // concurrent writers: into the same big collection, then into separate spaces
    const perWriter = Math.floor(CONCURRENT_ITEMS / WRITERS);
    progress(`${backend}: ${WRITERS} concurrent writers into the same collection, ${perWriter} inserts each`);
    let wlat: number[] = [];
    t = performance.now();
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => insertChain(store, coll.id, `same-${w}`, perWriter, wlat)));
    s = (performance.now() - t) / 1000;
    report(`${tag}.insert.concurrent${WRITERS}.same_collection`, { ops_per_s: (perWriter * WRITERS) / s, total_s: s, n: perWriter * WRITERS, ...latencyFields(wlat) });

    const targets: number[] = [];
    for (let w = 0; w < WRITERS; w++) {
      const a = await newAccount(store, `writer${w}@bench.test`, [{ tool: 'contacts', name: 'contacts', role: 'default' }]);
      targets.push((await store.findCollectionByRole(a.spaceId, 'contacts', 'default'))!.id);
    }
    progress(`${backend}: ${WRITERS} concurrent writers into ${WRITERS} spaces, ${perWriter} inserts each`);
    wlat = [];
    t = performance.now();
    await Promise.all(targets.map((id, w) => insertChain(store, id, `own-${w}`, perWriter, wlat)));
    s = (performance.now() - t) / 1000;
    report(`${tag}.insert.concurrent${WRITERS}.separate_spaces`, { ops_per_s: (perWriter * WRITERS) / s, total_s: s, n: perWriter * WRITERS, ...latencyFields(wlat) });

    // the same inserts from one writer, for the ratio
    const single = (await newAccount(store, 'single@bench.test', [{ tool: 'contacts', name: 'contacts', role: 'default' }]));
    const singleColl = (await store.findCollectionByRole(single.spaceId, 'contacts', 'default'))!.id;
    wlat = [];
    t = performance.now();
    await insertChain(store, singleColl, 'single', perWriter * WRITERS, wlat);
    s = (performance.now() - t) / 1000;
    report(`${tag}.insert.sequential.small_collection`, { ops_per_s: (perWriter * WRITERS) / s, total_s: s, n: perWriter * WRITERS, ...latencyFields(wlat) });
  });
}

// ----- 2. authorize

const DECISION_RIGHTS: readonly Right[] = ['read', 'write', 'delete', 'freebusy', 'deposit'];
const TOOL_CYCLE: readonly Tool[] = ['calendar', 'contacts', 'files', 'mail'];
const SHARE_RIGHTS: readonly Right[][] = [['read'], ['read', 'write'], ['read', 'write', 'delete'], ['freebusy'], ['write'], ['read', 'deposit']];

const MY_GROUPS = 50;
const GRANTS = 10_000;
const GRANTED_COLLECTIONS = 2_000;
const GRANTS_PER_COLLECTION = GRANTS / GRANTED_COLLECTIONS;
/** the share of grants that go to the account's own groups */
const MINE_SHARE = 0.1;

function benchAuthorizePure(): void {
  const rnd = mulberry32(42);
  const me = 1;
  // groups 1..50 are the account's: 5 administered, 15 with write+delete, 10 with write, 20 read only
  const groups = new Map<number, GroupRole>();
  for (let g = 1; g <= MY_GROUPS; g++) {
    const rights: Right[] = g <= 5 ? [] : g <= 20 ? ['write', 'delete'] : g <= 30 ? ['write'] : [];
    groups.set(g, { admin: g <= 5, rights: new Set(rights) });
  }
  const coMembers = new Set<number>();
  for (let a = 2; a <= 301; a++) coMembers.add(a);
  const principal: Principal = { accountId: me, active: true, groups, coMembers };

  // 2,000 collections, 5 grants each: spaces of other accounts (70%), of other groups (20%), of the account's groups (10%)
  const resources: Resource[] = [];
  let mineGrants = 0;
  for (let c = 0; c < GRANTED_COLLECTIONS; c++) {
    const k = c % 10;
    const space = k === 0 ? { kind: 'group' as const, groupId: 1 + (c % MY_GROUPS) }
      : k <= 2 ? { kind: 'group' as const, groupId: 51 + Math.floor(rnd() * 2_000) }
        : { kind: 'account' as const, accountId: 2 + Math.floor(rnd() * 1_000) };
    const grants: GrantRef[] = [];
    for (let j = 0; j < GRANTS_PER_COLLECTION; j++) {
      const mine = rnd() < MINE_SHARE;
      if (mine) mineGrants++;
      const groupId = mine ? 1 + Math.floor(rnd() * MY_GROUPS) : 51 + Math.floor(rnd() * 2_000);
      grants.push({ groupId, rights: SHARE_RIGHTS[Math.floor(rnd() * SHARE_RIGHTS.length)]! });
    }
    resources.push({
      kind: 'collection', space, grants,
      collection: { id: 10_000 + c, tool: TOOL_CYCLE[c % TOOL_CYCLE.length]!, role: c % 7 === 0 ? 'dropbox' : null },
    });
  }

  const run = (count: number): { allowed: number; s: number } => {
    const rounds = Math.max(1, Math.floor(count / resources.length));
    let allowed = 0;
    const t = performance.now();
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < resources.length; i++) {
        if (authorize(principal, DECISION_RIGHTS[(i + round) % DECISION_RIGHTS.length]!, resources[i]!).allow) allowed++;
      }
    }
    return { allowed, s: (performance.now() - t) / 1000 };
  };
  run(Math.min(DECISIONS, 100_000)); // warm the JIT
  const n = Math.max(1, Math.floor(DECISIONS / resources.length)) * resources.length;
  const { allowed, s } = run(n);
  report('acl.authorize', {
    ops_per_s: n / s, ns_per_decision: (s * 1e9) / n, n, groups: MY_GROUPS, grants: GRANTS, collections: GRANTED_COLLECTIONS,
    grants_to_my_groups: mineGrants, allowed_share: allowed / n,
  });

  // the worst case: one resource bearing all 10,000 grants, none to the account's groups (scanned twice to deny)
  const all: GrantRef[] = [];
  for (let j = 0; j < GRANTS; j++) all.push({ groupId: 51 + (j % 5_000), rights: ['read', 'write'] });
  const heavy: Resource = { kind: 'collection', space: { kind: 'account', accountId: 999 }, collection: { id: 1, tool: 'files', role: null }, grants: all };
  const heavyN = 20_000;
  for (let i = 0; i < 1_000; i++) authorize(principal, 'read', heavy);
  let denied = 0;
  const t = performance.now();
  for (let i = 0; i < heavyN; i++) if (!authorize(principal, DECISION_RIGHTS[i % DECISION_RIGHTS.length]!, heavy).allow) denied++;
  const hs = (performance.now() - t) / 1000;
  report('acl.authorize.one_resource_10000_grants', { ops_per_s: heavyN / hs, us_per_decision: (hs * 1e6) / heavyN, n: heavyN, denied_share: denied / heavyN });
}

/** The same situation in a real store, decided through core/access.ts with its queries. */
async function benchAccessLoaded(backend: Backend): Promise<void> {
  const tag = `access.${backend}`;
  await withStore(backend, async (store, analyze) => {
    const rnd = mulberry32(4242);
    await store.putPlan(BENCH_PLAN);
    progress(`${backend}: building 1 account in ${MY_GROUPS} groups, ${GRANTS} grants on ${GRANTED_COLLECTIONS} collections`);
    const setupStart = performance.now();
    const me = await newAccount(store, 'me@bench.test', ACCOUNT_COLLECTIONS);
    // 200 other accounts, each with a drop box and 10 files collections to share
    const OTHERS = 200;
    const perOwner = GRANTED_COLLECTIONS / OTHERS;
    const shared: NewCollectionInSpace[] = [
      { tool: 'files', name: 'Drop box', role: 'dropbox' },
      { tool: 'calendar', name: 'calendar', role: 'default' },
      ...Array.from({ length: perOwner }, (_, i) => ({ tool: 'files' as const, name: `Shared ${i}` })),
    ];
    const others: number[] = [];
    const grantable: { collectionId: number; ownerId: number }[] = [];
    for (let i = 0; i < OTHERS; i++) {
      await pause();
      const a = await newAccount(store, `other${i}@bench.test`, shared);
      others.push(a.id);
      for (const c of await store.listCollections(a.spaceId, 'files')) {
        if (c.role !== 'dropbox') grantable.push({ collectionId: c.id, ownerId: a.id });
      }
    }
    // the account's 50 groups: 5 it administers, 45 administered by others with it a member
    const myGroups: number[] = [];
    for (let g = 0; g < MY_GROUPS; g++) {
      const admin = g < 5 ? me.id : others[g]!;
      const group = await store.createGroup({ name: `mine-${g}`, adminId: admin, maxGroups: BENCH_PLAN.maxGroups, collections: [{ tool: 'files', name: 'Documents', role: 'documents' }] });
      if (g >= 5) await store.addMember(group.id, me.id, BENCH_PLAN.maxGroupMembers);
      await store.addMember(group.id, others[(g * 3 + 57) % OTHERS]!, BENCH_PLAN.maxGroupMembers);
      if (g >= 5 && g < 20) await store.setMemberRights(group.id, me.id, ['write', 'delete']);
      else if (g >= 20 && g < 30) await store.setGroupMemberRights(group.id, ['write']);
      myGroups.push(group.id);
    }
    // 150 groups the account is not in
    const otherGroups: number[] = [];
    for (let g = 0; g < 150; g++) {
      const group = await store.createGroup({ name: `other-${g}`, adminId: others[(g + 50) % OTHERS]!, maxGroups: BENCH_PLAN.maxGroups, collections: [] });
      otherGroups.push(group.id);
    }
    const setupS = (performance.now() - setupStart) / 1000;
    progress(`${backend}: accounts and groups made in ${setupS.toFixed(1)} s; granting`);

    // 10,000 grants, 5 per collection to distinct groups, about 10% to the account's groups
    const grantLat: number[] = [];
    let mine = 0;
    const tg = performance.now();
    for (const { collectionId, ownerId } of grantable) {
      const chosen = new Set<number>();
      await pause();
      while (chosen.size < GRANTS_PER_COLLECTION) {
        const isMine = rnd() < MINE_SHARE;
        const g = isMine ? myGroups[Math.floor(rnd() * myGroups.length)]! : otherGroups[Math.floor(rnd() * otherGroups.length)]!;
        if (chosen.has(g)) continue;
        chosen.add(g);
        if (isMine) mine++;
        const a = performance.now();
        await store.putGrant({ collectionId, groupId: g, rights: SHARE_RIGHTS[Math.floor(rnd() * SHARE_RIGHTS.length)]!, grantedBy: ownerId });
        grantLat.push(performance.now() - a);
      }
    }
    const gs = (performance.now() - tg) / 1000;
    report(`${tag}.putGrant`, { ops_per_s: grantLat.length / gs, total_s: gs, n: grantLat.length, to_my_groups: mine, ...latencyFields(grantLat) });

    await analyze();
    const access = new Access(store);

    // the principal alone: 4 queries
    const PRINCIPALS = 2_000;
    for (let i = 0; i < 100; i++) await access.principal(me.id);
    let t = performance.now();
    for (let i = 0; i < PRINCIPALS; i++) {
      if ((i & 255) === 255) await pause();
      await access.principal(me.id);
    }
    let s = (performance.now() - t) / 1000;
    report(`${tag}.loadPrincipal`, { ops_per_s: PRINCIPALS / s, ms_per_call: (s * 1000) / PRINCIPALS, n: PRINCIPALS, groups: MY_GROUPS });

    // a decision on a collection, loaded fresh
    const DECISIONS_LOADED = 5_000;
    const lat = new Float64Array(DECISIONS_LOADED);
    let allowed = 0;
    for (let i = 0; i < 100; i++) await access.onCollection(me.id, 'read', grantable[i]!.collectionId);
    t = performance.now();
    for (let i = 0; i < DECISIONS_LOADED; i++) {
      if ((i & 255) === 255) await pause();
      const c = grantable[(i * 7) % grantable.length]!;
      const a = performance.now();
      if ((await access.onCollection(me.id, DECISION_RIGHTS[i % DECISION_RIGHTS.length]!, c.collectionId)).allow) allowed++;
      lat[i] = performance.now() - a;
    }
    s = (performance.now() - t) / 1000;
    report(`${tag}.onCollection`, { ops_per_s: DECISIONS_LOADED / s, n: DECISIONS_LOADED, allowed_share: allowed / DECISIONS_LOADED, ...latencyFields(lat) });

    // everything the account reaches in files
    const REACH = 50;
    const reach = await access.reachable(me.id, 'files');
    const rawCount = (await store.listReachableCollections(me.id, 'files')).length;
    const reachLat: number[] = [];
    t = performance.now();
    for (let i = 0; i < REACH; i++) {
      await pause();
      const a = performance.now();
      await access.reachable(me.id, 'files');
      reachLat.push(performance.now() - a);
    }
    s = (performance.now() - t) / 1000;
    report(`${tag}.reachable.files`, { ops_per_s: REACH / s, n: REACH, entries: reach.length, candidates: rawCount, ...latencyFields(reachLat) });

    const storeLat: number[] = [];
    t = performance.now();
    for (let i = 0; i < REACH; i++) {
      await pause();
      const a = performance.now();
      await store.listReachableCollections(me.id, 'files');
      storeLat.push(performance.now() - a);
    }
    s = (performance.now() - t) / 1000;
    report(`${tag}.listReachableCollections.files`, { ops_per_s: REACH / s, n: REACH, rows: rawCount, ...latencyFields(storeLat) });
  });
}

// ----- 3. argon2id

async function benchArgon2(): Promise<void> {
  const p = ARGON2_PARAMETERS;
  const params = `m=${p.memory}KiB,t=${p.passes},p=${p.parallelism},tag=${p.tagLength}`;
  const password = 'correct horse battery staple';
  await hashPassword(password); // warm the thread pool
  const hashLat: number[] = [];
  let hash = '';
  for (let i = 0; i < HASHES; i++) {
    const t = performance.now();
    hash = await hashPassword(password);
    hashLat.push(performance.now() - t);
  }
  const h = latencyFields(hashLat);
  report('argon2id.hash', { ops_per_s: 1000 / h.mean_ms!, params, n: HASHES, mean_ms: h.mean_ms!, p95_ms: h.p95_ms!, min_ms: Math.min(...hashLat) });

  const verifyLat: number[] = [];
  for (let i = 0; i < HASHES; i++) {
    const t = performance.now();
    const ok = await verifyPassword(password, hash);
    verifyLat.push(performance.now() - t);
    if (!ok) throw new Error('verifyPassword refused the right password');
  }
  const v = latencyFields(verifyLat);
  report('argon2id.verify', { ops_per_s: 1000 / v.mean_ms!, params, n: HASHES, mean_ms: v.mean_ms!, p95_ms: v.p95_ms!, min_ms: Math.min(...verifyLat) });

  // throughput with as many logins at once as libuv has threads (4 by default)
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const total = Math.max(threads, HASHES - (HASHES % threads));
  const t = performance.now();
  for (let i = 0; i < total; i += threads) await Promise.all(Array.from({ length: threads }, () => verifyPassword(password, hash)));
  const s = (performance.now() - t) / 1000;
  report(`argon2id.verify.concurrent${threads}`, { ops_per_s: total / s, params, n: total });
}

// ----- the machine

async function machine(): Promise<void> {
  const cpus = os.cpus();
  let sqliteVersion = '?';
  try {
    const db = new DatabaseSync(':memory:');
    sqliteVersion = String((db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v);
    db.close();
  } catch { /* not important */ }
  let pgVersion = 'not asked';
  let pgSettings = '';
  if (STORE_BACKENDS.includes('postgres') || ACCESS_BACKENDS.includes('postgres')) {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    try {
      await client.connect();
      pgVersion = String((await client.query('SHOW server_version')).rows[0].server_version);
      const settings: string[] = [];
      for (const name of ['fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers']) {
        settings.push(`${name}=${String((await client.query(`SHOW ${name}`)).rows[0][name])}`);
      }
      pgSettings = settings.join(' ');
    } catch (err) {
      pgVersion = `unreachable (${(err as Error).message})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  console.log(`# Bureau foundation bench, ${new Date().toISOString()}`);
  console.log(`# machine: ${cpus.length} cpu(s), ${cpus[0]?.model ?? 'unknown'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}`);
  console.log(`# node ${process.version}, SQLite ${sqliteVersion}, PostgreSQL ${pgVersion}${pgSettings ? ` (${pgSettings})` : ''}`);
  console.log(`# BENCH_ITEMS=${ITEMS} BENCH_WRITERS=${WRITERS} BENCH_CONCURRENT_ITEMS=${CONCURRENT_ITEMS} BENCH_READS=${READS} BENCH_DECISIONS=${DECISIONS} BENCH_HASHES=${HASHES} BENCH_BACKENDS=${STORE_BACKENDS.join(',')} BENCH_ACCESS_BACKENDS=${ACCESS_BACKENDS.join(',')}`);
}

function summary(totalS: number): void {
  const rows = figures.map((f) => {
    const rest = Object.entries(f.fields).filter(([k]) => k !== 'ops_per_s')
      .filter(([k]) => ['unit', 'total_s', 'n', 'mean_ms', 'p95_ms', 'full_list_ms', 'call_ms', 'ms_per_call', 'ns_per_decision', 'us_per_decision', 'entries', 'rows', 'params'].includes(k))
      .map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
    return [f.name, f.opsPerS === null ? '-' : fmt(Math.round(f.opsPerS)), rest];
  });
  const head = ['figure', 'ops/s', 'details'];
  const w0 = Math.max(head[0]!.length, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(head[1]!.length, ...rows.map((r) => r[1]!.length));
  console.log('');
  console.log(`# summary (${fmt(totalS)} s in all${cleanups.interrupted ? ', interrupted' : ''}${failures > 0 ? `, ${failures} section(s) failed` : ''})`);
  console.log(`${head[0]!.padEnd(w0)}  ${head[1]!.padStart(w1)}  ${head[2]}`);
  console.log(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(7)}`);
  for (const r of rows) console.log(`${r[0]!.padEnd(w0)}  ${r[1]!.padStart(w1)}  ${r[2]}`);
}

async function section(name: string, fn: () => Promise<void>): Promise<void> {
  if (cleanups.interrupted) return;
  try {
    await fn();
  } catch (err) {
    if (cleanups.interrupted) return;
    failures++;
    console.log(`BENCH ${name} error=${JSON.stringify(String((err as Error)?.stack ?? err))}`);
  }
}

async function main(): Promise<void> {
  const start = performance.now();
  await machine();
  await section('argon2id', benchArgon2);
  await section('acl.authorize', async () => benchAuthorizePure());
  for (const backend of ACCESS_BACKENDS) await section(`access.${backend}`, () => benchAccessLoaded(backend));
  for (const backend of STORE_BACKENDS) await section(`store.${backend}`, () => benchStore(backend));
  summary((performance.now() - start) / 1000);
  if (failures > 0) process.exitCode = 1;
}

await main();
