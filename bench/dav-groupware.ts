// Figures for CalDAV and CardDAV, with Radicale measured in the same run
// (../shared/verify/dav-ref.sh starts it; users alice/alicepw on :15232):
// calendar-query time-range over a calendar of BENCH_EVENTS events (10 %
// weekly series without end), calendar-multiget of 500, sync-collection
// after 100 changes, PROPFIND Depth 1 and addressbook-query over an address
// book of BENCH_CARDS cards. Requests per second, p50 and p99, each request
// kind sent BENCH_CONC at a time. It prints figures and asserts nothing.
// Run with `npm run bench:groupware`; see bench/README.md.
//
// Bureau runs as its own process (`node src/main.ts`) on a fresh PostgreSQL
// (or BENCH_BACKEND=sqlite) database, over HTTPS; Radicale over plain HTTP.
// Bureau is loaded by one PUT per object, BENCH_LOAD_CONC at a time. Radicale
// gets the same bytes written as files into its multifilesystem storage
// (collection-root/alice/COLLECTION/NAME, beside the .Radicale.props its
// MKCALENDAR/MKCOL made): loading it by PUT slows down as the calendar grows
// and stalled near 6,000 events. Its caches are then built by one PROPFIND
// Depth 1 on each collection, unmeasured.
// Bureau's memory while each kind is measured: rss_base_mb when it starts,
// rss_peak_mb sampled every 50 ms, hwm_mb (VmHWM, reset at its start).
// Each figure is a line `BENCH <name> key=value ...`; progress goes to
// stderr with '#'. Everything made is removed, and Bureau and Radicale are
// stopped, at the end, on failure and on Ctrl-C.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDav, type DavServer } from '../test/support/dav.ts';
import { ROOT } from '../test/support/server.ts';
import type { Backend } from '../test/support/store.ts';
import { Cleanups, fmt, hwmResettable, intFromEnv, mulberry32 as prng, percentile, pool as lanes, progress, watchMemory, type MemWindow } from './support.ts';

const EVENTS = intFromEnv('BENCH_EVENTS', 10_000, 10);
const CARDS = intFromEnv('BENCH_CARDS', 10_000, 10);
const CONC = intFromEnv('BENCH_CONC', 4, 1);
const LOAD_CONC = intFromEnv('BENCH_LOAD_CONC', 8, 1);
const SECONDS = intFromEnv('BENCH_SECONDS', 30, 1);
const MULTIGET = Math.min(500, EVENTS);
const CHANGES = Math.min(100, EVENTS);
const BACKEND = (process.env.BENCH_BACKEND ?? 'postgres') as Backend;
const SERVERS = (process.env.BENCH_SERVERS ?? 'bureau,radicale').split(',').map((s) => s.trim()).filter((s) => s === 'bureau' || s === 'radicale');
const DAV_REF = join(resolve(ROOT, process.env.BENCH_VERIFY_DIR ?? '../shared/verify'), 'dav-ref.sh');
const RADICALE = 'http://127.0.0.1:15232';
/** alice's folder in Radicale's storage, as dav-ref.sh configures it (filesystem_folder = $DAV_REF_DIR/radicale/collections) */
const RADICALE_USER_DIR = join(process.env.DAV_REF_DIR ?? '/tmp/dav-harness/ref', 'radicale', 'collections', 'collection-root', 'alice');

/** request kinds: how many of each at most (each also stops after BENCH_SECONDS) */
const COUNTS = {
  'calendar-query': intFromEnv('BENCH_N_QUERY', 200, 1),
  multiget: intFromEnv('BENCH_N_MULTIGET', 100, 1),
  sync: intFromEnv('BENCH_N_SYNC', 300, 1),
  propfind: intFromEnv('BENCH_N_PROPFIND', 30, 1),
  'addressbook-query': intFromEnv('BENCH_N_ABQUERY', 200, 1),
};
type Kind = keyof typeof COUNTS;

// ----- cleanup, whatever happens

const cleanups = new Cleanups();
cleanups.onSignals('cleaning up');

/** fn(i) for i in [0, n), at most `conc` at once, until interrupted. */
const pool = (n: number, conc: number, fn: (i: number) => Promise<void>): Promise<void> => lanes(n, conc, fn, () => cleanups.interrupted);

// ----- one DAV server as the bench sees it

interface Target {
  readonly name: string;
  readonly cal: string;
  readonly book: string;
  /** where the target's objects can be written as files instead of PUT (Radicale's collection folders) */
  readonly files?: { readonly cal: string; readonly book: string };
  /** the server's process, when the bench started it (its memory is then measured) */
  readonly pid?: number;
  send(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
}

function client(origin: string, auth: string, agent: http.Agent): Target['send'] {
  const u = new URL(origin);
  const mod = u.protocol === 'https:' ? https : http;
  return (method, path, body, headers = {}) => new Promise((ok, fail) => {
    const h: Record<string, string | number> = { authorization: auth, host: u.host, ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const req = mod.request({ host: '127.0.0.1', servername: u.hostname, port: u.port, method, path, headers: h, agent, timeout: 300_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', fail);
      res.on('end', () => ok({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 300 s`)));
    req.end(body);
  });
}

const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

// ----- the data: the same bytes for both servers

const YEAR_START = Date.UTC(2025, 0, 1);
const ut = (t: number): string => new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function eventText(i: number, version: number, rnd: () => number): string {
  const start = YEAR_START + Math.floor(rnd() * 365) * 86_400_000 + (8 + Math.floor(rnd() * 10)) * 3_600_000;
  const recurring = i % 10 === 0;
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Bureau//bench//EN', 'BEGIN:VEVENT', `UID:ev-${i}`, 'DTSTAMP:20250101T000000Z',
    `DTSTART:${ut(start)}`, `DTEND:${ut(start + 3_600_000)}`, `SUMMARY:Meeting ${i}${version ? ` (v${version})` : ''}`,
    `LOCATION:Room ${i % 40}`, `DESCRIPTION:Agenda for meeting ${i}: items one\\, two and three.`,
    ...(recurring ? ['RRULE:FREQ=WEEKLY'] : []), 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

function cardText(i: number): string {
  return ['BEGIN:VCARD', 'VERSION:3.0', `UID:card-${i}`, `FN:Person ${i}`, `N:${i};Person;;;`, `ORG:Company ${i % 50}`,
    `EMAIL;TYPE=INTERNET:person${i}@example.org`, `TEL;TYPE=CELL:+33 6 ${String(i).padStart(8, '0')}`, 'END:VCARD', ''].join('\r\n');
}

/** Writes the objects as files into the target's storage, then has it read them all once (its caches), unmeasured. */
async function seedFiles(t: Target, files: { cal: string; book: string }, texts: readonly string[]): Promise<{ events_s: number; cards_s: number }> {
  for (const dir of [files.cal, files.book]) {
    if (!(await stat(join(dir, '.Radicale.props')).catch(() => null))) throw new Error(`${t.name}: ${dir} is not a collection folder (no .Radicale.props)`);
  }
  let t0 = performance.now();
  await pool(EVENTS, LOAD_CONC * 4, async (i) => { await writeFile(join(files.cal, `ev-${i}.ics`), texts[i]!); });
  const events_s = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await pool(CARDS, LOAD_CONC * 4, async (i) => { await writeFile(join(files.book, `card-${i}.vcf`), cardText(i)); });
  const cards_s = (performance.now() - t0) / 1000;
  for (const [path, n] of [[t.cal, EVENTS], [t.book, CARDS]] as const) {
    t0 = performance.now();
    const r = await t.send('PROPFIND', path, `${XML}<D:propfind ${NS}><D:prop><D:getetag/></D:prop></D:propfind>`, { depth: '1', 'content-type': 'application/xml' });
    if (r.status !== 207 || responses(r.text) !== n + 1) throw new Error(`${t.name}: PROPFIND ${path} after seeding: ${r.status}, ${responses(r.text)} responses, not ${n + 1}`);
    progress(`${t.name}: ${n} objects of ${path} read once (its caches) in ${fmt((performance.now() - t0) / 1000)} s`);
  }
  return { events_s, cards_s };
}

async function load(t: Target): Promise<{ events_s: number; cards_s: number; how: string }> {
  const rnd = prng(42);
  const texts = Array.from({ length: EVENTS }, (_, i) => eventText(i, 0, rnd));
  if (t.files) return { ...(await seedFiles(t, t.files, texts)), how: 'files' };
  let t0 = performance.now();
  await pool(EVENTS, LOAD_CONC, async (i) => {
    const r = await t.send('PUT', `${t.cal}ev-${i}.ics`, texts[i]!, { 'content-type': 'text/calendar; charset=utf-8' });
    if (r.status !== 201 && r.status !== 204) throw new Error(`${t.name}: PUT ev-${i}.ics: ${r.status} ${r.text.slice(0, 200)}`);
    if (i % 1000 === 999) progress(`${t.name}: ${i + 1} events`);
  });
  const events_s = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await pool(CARDS, LOAD_CONC, async (i) => {
    const r = await t.send('PUT', `${t.book}card-${i}.vcf`, cardText(i), { 'content-type': 'text/vcard; charset=utf-8' });
    if (r.status !== 201 && r.status !== 204) throw new Error(`${t.name}: PUT card-${i}.vcf: ${r.status} ${r.text.slice(0, 200)}`);
    if (i % 1000 === 999) progress(`${t.name}: ${i + 1} cards`);
  });
  return { events_s, cards_s: (performance.now() - t0) / 1000, how: 'put' };
}

const XML = '<?xml version="1.0" encoding="utf-8"?>';
const NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"';
const responses = (xml: string): number => (xml.match(/<(?:[A-Za-z0-9]+:)?response[\s>]/g) ?? []).length;

/** The request bodies of each kind, for a target (the sync-collection token is the target's own). */
async function requests(t: Target): Promise<Record<Kind, () => { method: string; path: string; body: string; depth: string }>> {
  const rnd = prng(7);
  const week = YEAR_START + 180 * 86_400_000;
  const mgHrefs = Array.from({ length: MULTIGET }, () => `<D:href>${t.cal}ev-${Math.floor(rnd() * EVENTS)}.ics</D:href>`);
  // sync-collection: take a token, change CHANGES events, then ask what changed since
  const first = await t.send('REPORT', t.cal, `${XML}<D:sync-collection ${NS}><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`, { depth: '0', 'content-type': 'application/xml' });
  const token = /<(?:[A-Za-z0-9]+:)?sync-token>([^<]+)</.exec(first.text)?.[1];
  if (first.status !== 207 || !token) throw new Error(`${t.name}: sync-collection gave ${first.status} and no token`);
  const changeRnd = prng(99);
  await pool(CHANGES, LOAD_CONC, async (k) => {
    const i = Math.floor((k * EVENTS) / CHANGES);
    const r = await t.send('PUT', `${t.cal}ev-${i}.ics`, eventText(i, 1, changeRnd), { 'content-type': 'text/calendar; charset=utf-8' });
    if (r.status !== 204 && r.status !== 201) throw new Error(`${t.name}: change ev-${i}: ${r.status}`);
  });
  return {
    'calendar-query': () => ({ method: 'REPORT', path: t.cal, depth: '1',
      body: `${XML}<C:calendar-query ${NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="${ut(week)}" end="${ut(week + 7 * 86_400_000)}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>` }),
    multiget: () => ({ method: 'REPORT', path: t.cal, depth: '1',
      body: `${XML}<C:calendar-multiget ${NS}><D:prop><D:getetag/><C:calendar-data/></D:prop>${mgHrefs.join('')}</C:calendar-multiget>` }),
    sync: () => ({ method: 'REPORT', path: t.cal, depth: '0',
      body: `${XML}<D:sync-collection ${NS}><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>` }),
    propfind: () => ({ method: 'PROPFIND', path: t.book, depth: '1',
      body: `${XML}<D:propfind ${NS}><D:prop><D:getetag/><D:getcontenttype/><D:resourcetype/></D:prop></D:propfind>` }),
    'addressbook-query': () => ({ method: 'REPORT', path: t.book, depth: '1',
      body: `${XML}<CR:addressbook-query ${NS}><D:prop><D:getetag/><CR:address-data/></D:prop><CR:filter><CR:prop-filter name="FN"><CR:text-match match-type="equals">Person ${Math.floor(rnd() * CARDS)}</CR:text-match></CR:prop-filter></CR:filter></CR:addressbook-query>` }),
  };
}

interface Result { rps: number; p50: number; p99: number; n: number; results: number; mem: MemWindow | null }

async function measure(t: Target, kind: Kind, make: () => { method: string; path: string; body: string; depth: string }): Promise<Result> {
  // one request first, unmeasured (caches, JIT)
  const w = make();
  const warm = await t.send(w.method, w.path, w.body, { depth: w.depth, 'content-type': 'application/xml; charset=utf-8' });
  if (warm.status !== 207) throw new Error(`${t.name} ${kind}: ${warm.status} ${warm.text.slice(0, 300)}`);
  const latencies: number[] = [];
  let results = 0;
  const memory = t.pid === undefined ? null : watchMemory(t.pid);
  const deadline = performance.now() + SECONDS * 1000;
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (issued < COUNTS[kind] && performance.now() < deadline && !cleanups.interrupted) {
      issued++;
      const q = make();
      const s = performance.now();
      const r = await t.send(q.method, q.path, q.body, { depth: q.depth, 'content-type': 'application/xml; charset=utf-8' });
      latencies.push(performance.now() - s);
      if (r.status !== 207) throw new Error(`${t.name} ${kind}: ${r.status} ${r.text.slice(0, 300)}`);
      results += responses(r.text);
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  const mem = memory ? memory() : null;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / wall, p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length, results: Math.round(results / Math.max(1, latencies.length)), mem };
}

async function bureau(): Promise<Target> {
  progress(`starting Bureau (${BACKEND}, its own process)`);
  const s: DavServer = await startDav(BACKEND, { spawn: true });
  cleanups.add('bureau', () => s.stop());
  const a = await s.account('bench');
  const agent = new https.Agent({ ca: s.ca, keepAlive: true, maxSockets: Math.max(CONC, LOAD_CONC) });
  cleanups.add('bureau agent', () => agent.destroy());
  return { name: 'bureau', pid: s.child?.child.pid, cal: `/dav/calendars/${a.address}/calendar/`, book: `/dav/addressbooks/${a.address}/contacts/`, send: client(s.origin, basic(a.address, 'correct-horse-battery'), agent) };
}

async function radicale(): Promise<Target> {
  progress('starting Radicale (dav-ref.sh start radicale)');
  const started = spawnSync('bash', [DAV_REF, 'start', 'radicale'], { encoding: 'utf8', timeout: 600_000 });
  cleanups.add('radicale', () => { spawnSync('bash', [DAV_REF, 'stop', 'radicale'], { stdio: 'ignore', timeout: 60_000 }); });
  if (started.status !== 0) throw new Error(`dav-ref.sh start radicale: ${started.stderr || started.stdout}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(CONC, LOAD_CONC) });
  cleanups.add('radicale agent', () => agent.destroy());
  const send = client(RADICALE, basic('alice', 'alicepw'), agent);
  const id = randomBytes(4).toString('hex');
  const t: Target = {
    name: 'radicale', cal: `/alice/bench-cal-${id}/`, book: `/alice/bench-book-${id}/`, send,
    files: { cal: join(RADICALE_USER_DIR, `bench-cal-${id}`), book: join(RADICALE_USER_DIR, `bench-book-${id}`) },
  };
  await send('PROPFIND', '/alice/', undefined, { depth: '0' }); // makes the principal collection
  cleanups.add('radicale collections', async () => { await send('DELETE', t.cal); await send('DELETE', t.book); });
  const mkcal = await send('MKCALENDAR', t.cal, `${XML}<C:mkcalendar ${NS}><D:set><D:prop><D:displayname>bench</D:displayname></D:prop></D:set></C:mkcalendar>`, { 'content-type': 'application/xml' });
  const mkbook = await send('MKCOL', t.book, `${XML}<D:mkcol ${NS}><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`, { 'content-type': 'application/xml' });
  if (mkcal.status !== 201 || mkbook.status !== 201) throw new Error(`Radicale: MKCALENDAR ${mkcal.status}, MKCOL ${mkbook.status}`);
  return t;
}

async function main(): Promise<void> {
  progress(`events=${EVENTS} cards=${CARDS} conc=${CONC} load_conc=${LOAD_CONC} seconds=${SECONDS} backend=${BACKEND}`);
  const results = new Map<string, Result>();
  for (const name of SERVERS) {
    const t = name === 'bureau' ? await bureau() : await radicale();
    const l = await load(t);
    console.log(`BENCH groupware.load.${name} events=${EVENTS} events_per_s=${fmt(EVENTS / l.events_s)} cards=${CARDS} cards_per_s=${fmt(CARDS / l.cards_s)} how=${l.how}`);
    const reqs = await requests(t);
    for (const kind of Object.keys(COUNTS) as Kind[]) {
      progress(`${name}: ${kind}`);
      const r = await measure(t, kind, reqs[kind]);
      results.set(`${kind}.${name}`, r);
      const mem = r.mem ? ` rss_base_mb=${fmt(r.mem.baseMb)} rss_peak_mb=${fmt(r.mem.peakMb)} hwm_mb=${fmt(r.mem.hwmMb)}` : '';
      console.log(`BENCH groupware.${kind}.${name} rps=${fmt(r.rps)} p50_ms=${fmt(r.p50)} p99_ms=${fmt(r.p99)} n=${r.n} responses=${r.results}${mem}`);
    }
    // this server's data and process go before the next one is measured
    await cleanups.runAll();
  }
  if (!hwmResettable()) console.log('# NOTE: VmHWM could not be reset here; hwm_mb is the peak since the process started');
  for (const kind of Object.keys(COUNTS) as Kind[]) {
    const b = results.get(`${kind}.bureau`);
    const r = results.get(`${kind}.radicale`);
    if (b && r) console.log(`BENCH groupware.${kind}.ratio bureau_over_radicale_rps=${fmt(b.rps / r.rps)} p50=${fmt(b.p50 / r.p50)} p99=${fmt(b.p99 / r.p99)}`);
  }
}

main().then(() => cleanups.runAll(), async (err) => {
  console.log(`BENCH groupware error=${JSON.stringify(String((err as Error)?.message ?? err))}`);
  await cleanups.runAll();
  process.exitCode = 1;
});
