// Figures for the web site under load (issue 6): the login page (GET /login,
// a first visit: no cookie, so each answer makes a pre-session cookie and
// its CSRF token) and an authenticated settings page (GET /settings with a
// session cookie: the session is resolved and touched, the account, its
// sessions and its usage read), measured with autocannon — requests per
// second, p50 and p99 — and the cost of one login: POST /login end to end
// (time per login one at a time, and logins per second two at a time) beside
// the argon2id verification alone, in this process, for comparison.
//
// There is no reference server for a web site of our own, so the same run
// measures a trivial route, GET /site.css (a constant string through the
// same Koa stack, TLS and headers), and prints every page as a ratio of it.
// It prints figures and asserts nothing. Run with `npm run bench:web`; see
// bench/README.md.
//
// Bureau runs as its own process (`node src/main.ts`) on a fresh SQLite
// database (BENCH_BACKEND=postgres for PostgreSQL), over HTTPS on loopback;
// autocannon runs in this process, so client and server share the machine's
// cores (the ratios are read with that in mind). Each figure is a line
// `BENCH web.<name> key=value ...`; progress goes to stderr with '#'.
// Bureau is stopped by its pid and its data removed at the end, on failure
// and on Ctrl-C.
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { verifyPassword } from '../src/core/passwords.ts';
import { startDav, DAV_PASSWORD, type DavServer } from '../test/support/dav.ts';
import type { Backend } from '../test/support/store.ts';
import { Cleanups, fixed as fmt, intFromEnv, percentile, pool, progress } from './support.ts';

const SECONDS = intFromEnv('BENCH_SECONDS', 10, 1);
const CONNECTIONS = intFromEnv('BENCH_CONNECTIONS', 10, 1);
const LOGINS = intFromEnv('BENCH_LOGINS', 40, 2);
const LOGIN_CONC = intFromEnv('BENCH_LOGIN_CONC', 2, 1);
const SINGLE = intFromEnv('BENCH_SINGLE', 300, 10);
const REPS = intFromEnv('BENCH_REPS', 3, 1);
const BACKEND = (process.env.BENCH_BACKEND ?? 'sqlite') as Backend;
if (BACKEND !== 'sqlite' && BACKEND !== 'postgres') throw new Error(`BENCH_BACKEND must be sqlite or postgres, not ${JSON.stringify(BACKEND)}`);

/** a / b, or 'n/a' when b is 0 (autocannon's latencies are whole milliseconds) */
function ratio(a: number, b: number): string {
  return b > 0 && Number.isFinite(a) ? fmt(a / b) : 'n/a';
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly setCookies: readonly string[];
}

function send(server: DavServer, agent: Agent, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { host: `localhost:${server.port}`, ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const req = request({ host: '127.0.0.1', servername: 'localhost', port: server.port, method, path, headers: h, agent, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), setCookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
    req.end(body);
  });
}

function cookieOf(a: Answer, name: string): string {
  const c = a.setCookies.find((x) => x.startsWith(`${name}=`));
  if (!c) throw new Error(`no ${name} cookie in the answer (status ${a.status})`);
  return c.split(';')[0]!.slice(name.length + 1);
}

interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly n: number;
  readonly bad: number;
}

/** autocannon against one path for BENCH_SECONDS with BENCH_CONNECTIONS keep-alive connections. */
async function load(server: DavServer, path: string, headers: Record<string, string> = {}): Promise<Load> {
  // one unmeasured request warms the route
  await autocannon({ url: `https://127.0.0.1:${server.port}${path}`, servername: 'localhost', connections: 1, amount: 20, headers: { host: `localhost:${server.port}`, ...headers } });
  const r = await autocannon({
    url: `https://127.0.0.1:${server.port}${path}`, servername: 'localhost', connections: CONNECTIONS, duration: SECONDS, timeout: 30,
    headers: { host: `localhost:${server.port}`, ...headers },
  });
  const ok = r['2xx'];
  return { rps: ok / r.duration, p50: r.latency.p50, p99: r.latency.p99, n: ok, bad: r.non2xx + r.errors + r.timeouts };
}

/** Times `fn` `count` times, `conc` at a time: per-call latencies (ms) and calls per second. */
async function timed(count: number, conc: number, fn: () => Promise<void>): Promise<{ perSecond: number; p50: number; p99: number; mean: number }> {
  const latencies: number[] = [];
  const t0 = performance.now();
  await pool(count, conc, async () => {
    const s = performance.now();
    await fn();
    latencies.push(performance.now() - s);
  });
  const wall = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / wall, p50: percentile(latencies, 50), p99: percentile(latencies, 99), mean: latencies.reduce((a, b) => a + b, 0) / latencies.length };
}

async function main(): Promise<void> {
  progress(`seconds=${SECONDS} reps=${REPS} connections=${CONNECTIONS} single=${SINGLE} logins=${LOGINS} login_conc=${LOGIN_CONC} backend=${BACKEND}`);
  progress(`starting Bureau (${BACKEND}, its own process)`);
  const server = await startDav(BACKEND, { spawn: true });
  const forget = cleanups.add('Bureau', () => server.stop());
  const agent = new Agent({ ca: server.ca, keepAlive: true, maxSockets: Math.max(LOGIN_CONC, 2) });
  try {
    const account = await server.account('bench');
    // a visitor's pre-session cookie and the token bound to it, for POST /login
    const first = await send(server, agent, 'GET', '/login', {});
    const pre = cookieOf(first, 'bureau_pre');
    const csrf = /name="csrf" value="([^"]+)"/.exec(first.text)?.[1];
    if (!csrf) throw new Error('no CSRF token on /login');
    const loginBody = new URLSearchParams({ csrf, address: account.address, password: DAV_PASSWORD }).toString();
    const loginHeaders = { cookie: `bureau_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' };
    const login = async (): Promise<string> => {
      const r = await send(server, agent, 'POST', '/login', loginHeaders, loginBody);
      if (r.status !== 302) throw new Error(`POST /login answered ${r.status}: ${r.text.slice(0, 200)}`);
      return cookieOf(r, 'bureau_session');
    };
    const session = await login();
    const settings = await send(server, agent, 'GET', '/settings', { cookie: `bureau_session=${session}` });
    if (settings.status !== 200 || !settings.text.includes('<h1>Settings</h1>')) throw new Error(`GET /settings with the session answered ${settings.status}`);

    const pages: [string, string, Record<string, string>][] = [
      ['site-css', '/site.css', {}],
      ['login-page', '/login', {}],
      ['settings-page', '/settings', { cookie: `bureau_session=${session}` }],
    ];
    // every route warmed first, so that the first one measured does not pay for the JIT
    for (const [, path, headers] of pages) {
      progress(`warming GET ${path}`);
      await autocannon({ url: `https://127.0.0.1:${server.port}${path}`, servername: 'localhost', connections: CONNECTIONS, duration: Math.max(1, Math.ceil(SECONDS / 3)), headers: { host: `localhost:${server.port}`, ...headers } });
    }
    // BENCH_REPS rounds, the pages in turn within each; the round with the median rate is reported
    const rounds = new Map<string, Load[]>(pages.map(([name]) => [name, []]));
    for (let rep = 1; rep <= REPS; rep++) {
      for (const [name, path, headers] of pages) {
        progress(`round ${rep}/${REPS}: GET ${path}, ${CONNECTIONS} connections for ${SECONDS} s`);
        rounds.get(name)!.push(await load(server, path, headers));
      }
    }
    const results = new Map<string, Load>();
    for (const [name] of pages) {
      const sorted = rounds.get(name)!.sort((x, y) => x.rps - y.rps);
      const r = sorted[Math.floor((sorted.length - 1) / 2)]!;
      results.set(name, r);
      console.log(`BENCH web.${name} rps=${fmt(r.rps)} p50_ms=${fmt(r.p50)} p99_ms=${fmt(r.p99)} n=${r.n} not_2xx=${sorted.reduce((t, x) => t + x.bad, 0)} rounds_rps=${sorted.map((x) => fmt(x.rps)).join('/')}`);
    }
    const css = results.get('site-css')!;
    for (const name of ['login-page', 'settings-page']) {
      const r = results.get(name)!;
      console.log(`BENCH web.${name}.ratio over_site_css_rps=${ratio(r.rps, css.rps)} p50=${ratio(r.p50, css.p50)} p99=${ratio(r.p99, css.p99)}`);
    }
    // one request at a time on one keep-alive connection, the pages taken in turn (so that
    // the machine's noise falls on each alike): the time of one page, to the microsecond
    progress(`GET each page in turn, one at a time, ${SINGLE} times`);
    const times = new Map<string, number[]>(pages.map(([name]) => [name, []]));
    for (let i = 0; i < SINGLE; i++) {
      for (const [name, path, headers] of pages) {
        const t0 = performance.now();
        const r = await send(server, agent, 'GET', path, headers);
        times.get(name)!.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}`);
      }
    }
    const single = new Map<string, { p50: number; p99: number }>();
    for (const [name] of pages) {
      const sorted = times.get(name)!.sort((x, y) => x - y);
      const t = { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
      single.set(name, t);
      console.log(`BENCH web.${name}.single p50_ms=${fmt(t.p50)} p99_ms=${fmt(t.p99)} n=${SINGLE}`);
    }
    const cssOne = single.get('site-css')!;
    for (const name of ['login-page', 'settings-page']) {
      const t = single.get(name)!;
      console.log(`BENCH web.${name}.single.ratio over_site_css_p50=${ratio(t.p50, cssOne.p50)} p99=${ratio(t.p99, cssOne.p99)}`);
    }

    // a login end to end and the argon2id verification alone (in this process), taken in turn so
    // that the machine's noise falls on both alike: one at a time, then LOGIN_CONC at a time
    progress(`POST /login and argon2id verify in turn: ${LOGINS} of each one at a time, then ${LOGIN_CONC} at a time (${REPS} rounds)`);
    const hash = (await server.core.store.getAccount(account.id))!.passwordHash;
    if (!(await verifyPassword(DAV_PASSWORD, hash))) throw new Error('the stored hash does not verify');
    const verify = async (): Promise<void> => { await verifyPassword(DAV_PASSWORD, hash); };
    await login();
    const loginMs: number[] = [];
    const verifyMs: number[] = [];
    for (let i = 0; i < LOGINS; i++) {
      let t0 = performance.now();
      await login();
      loginMs.push(performance.now() - t0);
      t0 = performance.now();
      await verify();
      verifyMs.push(performance.now() - t0);
    }
    const summary = (xs: number[]): { mean: number; p50: number; p99: number; perSecond: number } => {
      const sorted = [...xs].sort((x, y) => x - y);
      const mean = xs.reduce((t, x) => t + x, 0) / xs.length;
      return { mean, p50: percentile(sorted, 50), p99: percentile(sorted, 99), perSecond: 1000 / mean };
    };
    const one = summary(loginMs);
    const v1 = summary(verifyMs);
    const twoRounds: Awaited<ReturnType<typeof timed>>[] = [];
    const v2Rounds: Awaited<ReturnType<typeof timed>>[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      twoRounds.push(await timed(LOGINS, LOGIN_CONC, async () => { await login(); }));
      v2Rounds.push(await timed(LOGINS, LOGIN_CONC, verify));
    }
    const median = <T extends { perSecond: number }>(xs: T[]): T => [...xs].sort((x, y) => x.perSecond - y.perSecond)[Math.floor((xs.length - 1) / 2)]!;
    const two = median(twoRounds);
    const v2 = median(v2Rounds);
    console.log(`BENCH web.login.sequential ms_per_login=${fmt(one.mean)} p50_ms=${fmt(one.p50)} p99_ms=${fmt(one.p99)} logins_per_s=${fmt(one.perSecond)} n=${LOGINS}`);
    console.log(`BENCH web.login.concurrent conc=${LOGIN_CONC} logins_per_s=${fmt(two.perSecond)} p50_ms=${fmt(two.p50)} p99_ms=${fmt(two.p99)} n=${LOGINS} rounds_per_s=${twoRounds.map((r) => fmt(r.perSecond)).join('/')}`);
    console.log(`BENCH web.argon2id.sequential ms_per_verify=${fmt(v1.mean)} p50_ms=${fmt(v1.p50)} p99_ms=${fmt(v1.p99)} verifies_per_s=${fmt(v1.perSecond)} n=${LOGINS}`);
    console.log(`BENCH web.argon2id.concurrent conc=${LOGIN_CONC} verifies_per_s=${fmt(v2.perSecond)} p50_ms=${fmt(v2.p50)} p99_ms=${fmt(v2.p99)} n=${LOGINS} rounds_per_s=${v2Rounds.map((r) => fmt(r.perSecond)).join('/')}`);
    console.log(`BENCH web.login.ratio login_over_argon2id_p50=${ratio(one.p50, v1.p50)} login_minus_argon2id_p50_ms=${fmt(one.p50 - v1.p50)} concurrent_logins_over_verifies=${ratio(two.perSecond, v2.perSecond)}`);
    console.log(`BENCH web.login.over_site_css_single p50=${ratio(one.p50, cssOne.p50)}`);
  } finally {
    agent.destroy();
    forget();
    await server.stop();
  }
}

const cleanups = new Cleanups();
cleanups.onSignals('stopping Bureau');
main().then(() => undefined, (err) => {
  console.log(`BENCH web error=${JSON.stringify(String((err as Error)?.message ?? err))}`);
  process.exitCode = 1;
});
