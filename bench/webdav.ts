// Figures for the WebDAV drive, with Apache httpd mod_dav and nginx dav measured
// in the same run (../shared/verify/dav-ref.sh starts them): PUT and GET of a big
// file (MB/s) with each server's memory during them, the creation of many small
// files, and PROPFIND Depth 1 on a folder holding them. It prints figures and
// asserts nothing. Run with `npm run bench:webdav`; see bench/README.md.
//
// Bureau serves DAV over HTTPS only and the references over plain HTTP, so the
// run adds `nginx-tls`: a second nginx with dav-ref.sh's very configuration plus
// TLS (Bureau's own certificate), serving the same folder. nginx-tls / nginx is
// the cost of TLS on this machine; Bureau / nginx-tls compares like with like.
//
// Every line of a figure reads `BENCH <name> key=value ...`; a summary table and
// the ratios follow. Progress goes to stderr, prefixed with '#'. Everything it
// starts is stopped by its pid, and its temporary folder removed, at the end,
// on failure and on Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { ALL_PORTS_OFF, bureauCommand, freePort, ROOT, spawnBureau, stop, waitFor, type Spawned } from '../test/support/server.ts';
import { Cleanups, fmt, hwmResettable, intFromEnv, median, percentile, progress, readStatusKb, treePids, watchMemory, type MemWindow } from './support.ts';

// ----- knobs

const ALL_SERVERS = ['bureau', 'apache', 'nginx', 'nginx-tls'] as const;
type ServerName = (typeof ALL_SERVERS)[number];

const BIG_MB = intFromEnv('BENCH_BIG_MB', 1024, 1);
const FILES = intFromEnv('BENCH_FILES', 10_000, 10);
const REPS = intFromEnv('BENCH_REPS', 3, 1);
const PROPFIND_N = intFromEnv('BENCH_PROPFIND_N', 30, 5);
const PROPFIND_CONC = intFromEnv('BENCH_PROPFIND_CONC', 4, 1);
const PROPFIND_SECONDS = intFromEnv('BENCH_PROPFIND_SECONDS', 180, 10);
const SEED_CONC = intFromEnv('BENCH_SEED_CONC', 8, 1);
const SERVERS: ServerName[] = (process.env.BENCH_SERVERS ?? ALL_SERVERS.join(',')).split(',').map((s) => s.trim())
  .filter((s): s is ServerName => (ALL_SERVERS as readonly string[]).includes(s));
/** parts of dav-bench.sh to run on Bureau and Apache too ('' = none; e.g. "files" or "files large") */
const DAV_BENCH = (process.env.BENCH_DAV_BENCH ?? '').trim();
const VERIFY_DIR = resolve(ROOT, process.env.BENCH_VERIFY_DIR ?? '../shared/verify');
const DAV_REF = join(VERIFY_DIR, 'dav-ref.sh');

const MIB = 1024 * 1024;
const BIG_BYTES = BIG_MB * MIB;
const SMALL_BYTES = 1024;
/** seconds a big transfer may take before curl gives up (10 MB/s at worst, at least 2 minutes) */
const BIG_TIMEOUT_S = Math.max(120, Math.ceil(BIG_BYTES / 10e6));

// ----- figures

interface Figure {
  readonly name: string;
  readonly value: number | null;
  readonly unit: string;
  readonly fields: Record<string, string | number>;
}

const figures: Figure[] = [];
let failures = 0;

/** `unit` names the main field (MBps, rps, rate_per_s...), shown first and in the table. */
function report(name: string, unit: string, fields: Record<string, string | number>): void {
  const main = fields[unit];
  figures.push({ name, value: typeof main === 'number' ? main : null, unit, fields });
  console.log(`BENCH ${name} ${Object.entries(fields).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
}

function reportError(name: string, err: unknown): void {
  failures++;
  console.log(`BENCH ${name} error=${JSON.stringify(String((err as Error)?.message ?? err))}`);
}

// ----- cleanup, whatever happens

const cleanups = new Cleanups();
const children = new Set<ChildProcess>();

function onCleanup(name: string, fn: () => Promise<void> | void): void {
  cleanups.add(name, fn);
}

async function cleanupAll(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanups.runAll();
}

cleanups.onSignals('stopping the servers and removing the bench folder', cleanupAll);

function checkInterrupted(): void {
  if (cleanups.interrupted) throw new Error('interrupted');
}

const CHILD_ENV: NodeJS.ProcessEnv = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, no_proxy: '*', NO_PROXY: '*' };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[k];
  return env;
})();

/** Runs a command to its end with a time cap; resolves with its output whatever its exit code. */
function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutS: number; onLine?: (line: string) => void }):
Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { env: opts.env ?? CHILD_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      const s = d.toString();
      out += s;
      if (opts.onLine) {
        partial += s;
        const lines = partial.split('\n');
        partial = lines.pop()!;
        for (const l of lines) opts.onLine(l);
      }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutS * 1000);
    child.once('error', (e) => { clearTimeout(timer); children.delete(child); fail(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (opts.onLine && partial) opts.onLine(partial);
      ok({ code: code ?? signal ?? -1, stdout: out, stderr: err });
    });
    child.stdin.end(opts.input ?? '');
  });
}

function readPidFile(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function killAndWait(pid: number, first: NodeJS.Signals, then: NodeJS.Signals): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, first);
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, then);
}

// ----- the servers

interface Target {
  readonly name: ServerName;
  /** the writable collection, ending in '/' */
  readonly base: string;
  readonly user: string;
  readonly pass: string;
  /** CA file to trust, for HTTPS */
  readonly ca: string | null;
  readonly agent: http.Agent;
  /** the process whose tree is the server */
  readonly pid: () => number | null;
  /** where a reference server keeps a file PUT at `name` (to fsync it); null for Bureau, which fsyncs itself */
  readonly stored: ((name: string) => string) | null;
  /** the PROPFIND folder is another target's (nginx-tls serves nginx's folder) */
  readonly seededBy: ServerName | null;
}

const auth = (t: Target): string => `Basic ${Buffer.from(`${t.user}:${t.pass}`).toString('base64')}`;

interface Reply { status: number; body: Buffer; ms: number }

function request(t: Target, method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<Reply> {
  const u = new URL(url, t.base);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((ok, fail) => {
    const start = performance.now();
    const req = mod.request(u, {
      method, agent: t.agent, timeout: 300_000,
      headers: { authorization: auth(t), 'content-length': String(body?.byteLength ?? 0), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - start }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${u.pathname}: no answer within 300 s`)));
    req.on('error', fail);
    req.end(body);
  });
}

function curlArgs(t: Target): string[] {
  return ['-sS', '--http1.1', '-u', `${t.user}:${t.pass}`, ...(t.ca ? ['--cacert', t.ca] : []), '-H', 'Expect:'];
}

interface Transfer { code: string; bytes: number; secs: number }

async function curlTransfer(t: Target, extra: readonly string[]): Promise<Transfer> {
  const r = await run('curl', [...curlArgs(t), '--max-time', String(BIG_TIMEOUT_S), '-o', '/dev/null',
    '-w', '%{http_code} %{size_upload} %{size_download} %{time_total}', ...extra], { timeoutS: BIG_TIMEOUT_S + 10 });
  const [code = '000', up = '0', down = '0', secs = '0'] = r.stdout.trim().split(/\s+/);
  if (r.code !== 0) throw new Error(`curl exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  return { code, bytes: Math.max(Number(up), Number(down)), secs: Number(secs) };
}

/** One GET piped into sha256, never held in memory. */
async function curlDigest(t: Target, url: string): Promise<{ bytes: number; sha256: string }> {
  return new Promise((ok, fail) => {
    const child = spawn('curl', [...curlArgs(t), '--max-time', String(BIG_TIMEOUT_S), '--fail', url], { env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const hash = createHash('sha256');
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (d: Buffer) => { bytes += d.byteLength; hash.update(d); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('error', fail);
    child.once('close', (code) => {
      children.delete(child);
      if (code !== 0) fail(new Error(`curl exited ${code}: ${err.trim().slice(0, 300)}`));
      else ok({ bytes, sha256: hash.digest('hex') });
    });
  });
}

/** fsyncs a file a reference server wrote (Bureau fsyncs before it answers a PUT; Apache and nginx do not). */
async function fsyncFile(path: string): Promise<number> {
  const t = performance.now();
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return (performance.now() - t) / 1000;
}

// ----- the machine

function cpuBusyPercent(): Promise<number> {
  const read = (): number[] => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const a = read();
  return new Promise((ok) => setTimeout(() => {
    const b = read();
    const idle = (x: number[]): number => (x[3] ?? 0) + (x[4] ?? 0);
    const total = (x: number[]): number => x.slice(0, 8).reduce((s, v) => s + v, 0);
    const d = total(b) - total(a);
    ok(d > 0 ? Math.round((100 * (d - (idle(b) - idle(a)))) / d) : 0);
  }, 1000));
}

function versionOf(cmd: string, args: string[], pattern: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  const m = pattern.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  return m?.[1] ?? '?';
}

function loadavg(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

async function tlsParams(host: string, port: number, ca: string): Promise<string> {
  return new Promise((ok) => {
    const s = tls.connect({ host, port, ca: readFileSync(ca), servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () => {
      const c = s.getCipher();
      ok(`${s.getProtocol() ?? '?'} ${c.standardName ?? c.name}`);
      s.end();
    });
    s.once('error', (e) => ok(`error: ${e.message}`));
    s.setTimeout(10_000, () => { s.destroy(); ok('timeout'); });
  });
}

// ----- setup

const agents: http.Agent[] = [];
onCleanup('the client connections', () => { for (const a of agents) a.destroy(); });

function agentFor(ca: string | null): http.Agent {
  const a = ca ? new https.Agent({ keepAlive: true, maxSockets: 16, ca: readFileSync(ca) }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
  agents.push(a);
  return a;
}

const WORK = mkdtempSync(join(os.tmpdir(), 'bureau-bench-webdav-'));
// the reference servers run as www-data and must reach their folders below it
chmodSync(WORK, 0o755);
onCleanup('the bench folder', () => rmSync(WORK, { recursive: true, force: true }));
const REF_DIR = join(WORK, 'ref');
const SRC = join(WORK, 'big.bin');

async function writeSource(): Promise<string> {
  // real data on disk, not a sparse file: a random MiB, its first 8 bytes the MiB's index
  const block = randomBytes(MIB);
  const hash = createHash('sha256');
  const fh = await open(SRC, 'w', 0o644);
  try {
    for (let i = 0; i < BIG_MB; i++) {
      block.writeBigUInt64BE(BigInt(i), 0);
      hash.update(block);
      let off = 0;
      while (off < MIB) off += (await fh.write(block, off, MIB - off)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

interface BureauUp { spawned: Spawned; port: number; certsDir: string }

async function startBureau(): Promise<BureauUp> {
  const dir = join(WORK, 'bureau');
  const env: NodeJS.ProcessEnv = {
    ...ALL_PORTS_OFF, BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'), BUREAU_DOMAIN: 'example.test',
  };
  await bureauCommand(env, ['user', 'add', BUREAU_USER, '--plan', 'pro'], `${BUREAU_PASS}\n`, 60_000);
  const port = await freePort();
  const spawned = spawnBureau({ ...env, BUREAU_HTTPS_PORT: String(port) });
  onCleanup('Bureau', async () => { await stop(spawned); });
  await waitFor(spawned, 'ready:', 60_000);
  return { spawned, port, certsDir: join(dir, 'certs') };
}

const BUREAU_USER = 'ann@example.test';
const BUREAU_PASS = randomBytes(12).toString('hex');
const REF_USER = 'alice';
const REF_PASS = 'alicepw';

interface RefsUp { apachePort: number; nginxPort: number; env: NodeJS.ProcessEnv }

async function startRefs(which: readonly ('apache' | 'nginx')[]): Promise<RefsUp> {
  const apachePort = await freePort();
  const nginxPort = await freePort();
  const env = { ...CHILD_ENV, DAV_REF_DIR: REF_DIR, APACHE_PORT: String(apachePort), NGINX_PORT: String(nginxPort) };
  onCleanup('the reference servers', async () => {
    const r = await run('bash', [DAV_REF, 'stop', ...which], { env, timeoutS: 60 });
    progress(`dav-ref.sh stop: ${r.stdout.trim().replace(/\n/g, '; ')}`);
  });
  const r = await run('bash', [DAV_REF, 'start', ...which], { env, timeoutS: 900 });
  progress(`dav-ref.sh start: ${r.stdout.trim().replace(/\n/g, '; ')}`);
  if (r.code !== 0) throw new Error(`dav-ref.sh start failed (${r.code}): ${r.stderr.trim().slice(0, 500)}`);
  return { apachePort, nginxPort, env };
}

/**
 * A second nginx: dav-ref.sh's configuration with `listen ... ssl` and a
 * certificate, its own pid, log and temporary folders, the same DAV folder.
 */
async function startNginxTls(cert: string, key: string): Promise<number> {
  const dir = join(WORK, 'nginx-tls');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  chmodSync(dir, 0o755);
  const www = spawnSync('id', ['-u', 'www-data'], { encoding: 'utf8' });
  const wwwGid = spawnSync('id', ['-g', 'www-data'], { encoding: 'utf8' });
  chownSync(join(dir, 'tmp'), Number(www.stdout.trim()), Number(wwwGid.stdout.trim()));
  const port = await freePort();
  let conf = readFileSync(join(REF_DIR, 'nginx', 'nginx.conf'), 'utf8');
  const swap = (re: RegExp, to: string): void => {
    if (!re.test(conf)) throw new Error(`nginx-tls: dav-ref.sh's nginx.conf has no ${re}`);
    conf = conf.replace(re, to);
  };
  swap(/^pid .*;$/m, `pid ${dir}/nginx.pid;`);
  swap(/^error_log .*;$/m, `error_log ${dir}/error.log warn;`);
  swap(/listen 127\.0\.0\.1:\d+;/, `listen 127.0.0.1:${port} ssl;\n    ssl_certificate ${cert};\n    ssl_certificate_key ${key};\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:SSL:1m;`);
  swap(/^(\s*)(client_body|proxy|fastcgi|uwsgi|scgi)_temp_path \S+;$/gm, `$1$2_temp_path ${dir}/tmp/$2;`);
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const pidFile = join(dir, 'nginx.pid');
  onCleanup('nginx-tls', async () => {
    const pid = readPidFile(pidFile);
    if (pid !== null) await killAndWait(pid, 'SIGQUIT', 'SIGTERM');
  });
  const r = await run('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { timeoutS: 30 });
  if (r.code !== 0) throw new Error(`nginx-tls did not start: ${r.stderr.trim().slice(0, 300)}`);
  for (let i = 0; i < 50 && readPidFile(pidFile) === null; i++) await new Promise((ok) => setTimeout(ok, 100));
  return port;
}

/** A certificate for nginx-tls when Bureau is not in the run. */
function selfSigned(): { cert: string; key: string } {
  const dir = join(WORK, 'selfsigned');
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}

// ----- 1. big file: PUT and GET, memory

interface BigAcc { put: number[]; putDurable: number[]; get: number[]; putMem: MemWindow[]; getMem: MemWindow[]; putCode: string; getCode: string; verified: string }

async function bigRound(t: Target, rep: number, acc: BigAcc, sourceSha: string): Promise<void> {
  const name = `big-${t.name}-${rep}.bin`;
  const url = new URL(name, t.base).href;
  // PUT
  let done = watchMemory(t.pid());
  let x: Transfer;
  try {
    x = await curlTransfer(t, ['-T', SRC, url]);
  } finally {
    acc.putMem.push(done());
  }
  acc.putCode = x.code;
  if (!/^20[014]$/.test(x.code)) throw new Error(`PUT ${name} answered ${x.code}`);
  if (x.bytes !== BIG_BYTES) throw new Error(`PUT ${name} sent ${x.bytes} bytes, not ${BIG_BYTES}`);
  acc.put.push(BIG_BYTES / x.secs / 1e6);
  const syncS = t.stored ? await fsyncFile(t.stored(name)) : 0;
  acc.putDurable.push(BIG_BYTES / (x.secs + syncS) / 1e6);
  checkInterrupted();
  // GET
  done = watchMemory(t.pid());
  try {
    x = await curlTransfer(t, [url]);
  } finally {
    acc.getMem.push(done());
  }
  acc.getCode = x.code;
  if (x.code !== '200') throw new Error(`GET ${name} answered ${x.code}`);
  if (x.bytes !== BIG_BYTES) throw new Error(`GET ${name} brought ${x.bytes} bytes, not ${BIG_BYTES}`);
  acc.get.push(BIG_BYTES / x.secs / 1e6);
  // once: what came back is what went in
  if (rep === 0) {
    const d = await curlDigest(t, url);
    acc.verified = d.bytes === BIG_BYTES && d.sha256 === sourceSha ? 'ok' : `MISMATCH(${d.bytes}B,${d.sha256.slice(0, 12)})`;
    if (acc.verified !== 'ok') progress(`${t.name}: GET brought back ${d.bytes} bytes, sha256 ${d.sha256}; expected ${BIG_BYTES}, ${sourceSha}`);
  }
  const del = await request(t, 'DELETE', url, {});
  if (del.status >= 300) progress(`${t.name}: DELETE ${name} answered ${del.status}`);
}

const memMax = (ws: readonly MemWindow[], k: keyof MemWindow): number => Math.max(...ws.map((w) => w[k]));

async function benchBig(targets: readonly Target[], sourceSha: string): Promise<void> {
  const accs = new Map<ServerName, BigAcc>();
  const failed = new Set<ServerName>();
  for (const t of targets) accs.set(t.name, { put: [], putDurable: [], get: [], putMem: [], getMem: [], putCode: '', getCode: '', verified: 'not done' });
  // the servers take turns in each round, so that a noisy neighbour weighs on all of them alike
  for (let rep = 0; rep < REPS; rep++) {
    for (const t of targets) {
      if (failed.has(t.name)) continue;
      checkInterrupted();
      progress(`big file: ${t.name}, round ${rep + 1}/${REPS} (loadavg ${loadavg()})`);
      try {
        await bigRound(t, rep, accs.get(t.name)!, sourceSha);
      } catch (err) {
        if (cleanups.interrupted) throw err;
        failed.add(t.name);
        reportError(`webdav.${t.name}.big-${BIG_MB}MiB`, err);
      }
    }
  }
  for (const t of targets) {
    const a = accs.get(t.name)!;
    if (a.put.length === 0) continue;
    const fsynced = t.stored ? 'by the bench after the answer' : 'by the server before it answers';
    report(`webdav.${t.name}.PUT-${BIG_MB}MiB`, 'MBps', {
      MBps: median(a.put), runs: a.put.map((v) => fmt(v)).join('/'), durable_MBps: median(a.putDurable),
      rss_base_mb: a.putMem[0]!.baseMb, rss_peak_mb: memMax(a.putMem, 'peakMb'), hwm_mb: memMax(a.putMem, 'hwmMb'), http: a.putCode,
      fsync: fsynced.replace(/ /g, '_'),
    });
    if (a.get.length === 0) continue;
    report(`webdav.${t.name}.GET-${BIG_MB}MiB`, 'MBps', {
      MBps: median(a.get), runs: a.get.map((v) => fmt(v)).join('/'),
      rss_base_mb: a.getMem[0]!.baseMb, rss_peak_mb: memMax(a.getMem, 'peakMb'), hwm_mb: memMax(a.getMem, 'hwmMb'), http: a.getCode,
      sha256: a.verified,
    });
  }
}

// ----- 2. many small files: PUT them, then PROPFIND Depth 1

const FOLDER = 'bench-many/';
const PF_NAMED = Buffer.from('<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:getlastmodified/><D:getcontentlength/><D:resourcetype/><D:getcontenttype/><D:getetag/></D:prop></D:propfind>\n');
const PF_ALLPROP = Buffer.from('<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>\n');

function smallFile(i: number): Buffer {
  const head = `file ${i} of the WebDAV bench\n`;
  return Buffer.from(head + 'x'.repeat(SMALL_BYTES - head.length - 1) + '\n');
}

async function seed(t: Target): Promise<void> {
  const folder = new URL(FOLDER, t.base).href;
  const mk = await request(t, 'MKCOL', folder, {});
  if (mk.status !== 201) throw new Error(`MKCOL ${FOLDER} answered ${mk.status}`);
  let next = 0;
  let errors = 0;
  let firstError = '';
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: SEED_CONC }, async () => {
    while (next < FILES && !cleanups.interrupted) {
      const i = next++;
      const r = await request(t, 'PUT', `${folder}f${String(i).padStart(5, '0')}.txt`, { 'content-type': 'text/plain' }, smallFile(i));
      lat.push(r.ms);
      if (r.status !== 201 && r.status !== 204) {
        errors++;
        if (!firstError) firstError = `${r.status} ${r.body.toString().slice(0, 200)}`;
      }
    }
  }));
  checkInterrupted();
  const s = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  report(`webdav.${t.name}.seed-PUT-${FILES}x1KiB`, 'rate_per_s', {
    rate_per_s: FILES / s, secs: s, conc: SEED_CONC, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), errors,
  });
  if (errors > 0) throw new Error(`${errors} PUTs failed, the first: ${firstError}`);
}

const countResponses = (body: Buffer): number => (body.toString('utf8').match(/<([A-Za-z0-9_]+:)?response[\s>]/g) ?? []).length;

interface PfAcc { lat: number[]; bytes: number; responses: number; mem: () => MemWindow }

/** PROPFIND Depth 1, one request at a time, the servers taking turns request by request. */
async function propfindSerial(targets: readonly Target[], label: string, body: Buffer, n: number): Promise<void> {
  const accs = new Map<ServerName, PfAcc>();
  const failed = new Set<ServerName>();
  const headers = { depth: '1', 'content-type': 'application/xml; charset=utf-8' };
  for (const t of targets) {
    try {
      // warm up (and check the answer)
      const r = await request(t, 'PROPFIND', new URL(FOLDER, t.base).href, headers, body);
      if (r.status !== 207) throw new Error(`PROPFIND answered ${r.status}: ${r.body.toString().slice(0, 200)}`);
      const responses = countResponses(r.body);
      if (responses !== FILES + 1) progress(`WARNING ${t.name}: PROPFIND Depth 1 gave ${responses} responses, not ${FILES + 1}`);
      await request(t, 'PROPFIND', new URL(FOLDER, t.base).href, headers, body);
      accs.set(t.name, { lat: [], bytes: r.body.byteLength, responses, mem: watchMemory(t.pid()) });
    } catch (err) {
      failed.add(t.name);
      reportError(`webdav.${t.name}.PROPFIND-d1-${FILES}-${label}.c1`, err);
    }
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    checkInterrupted();
    if (i >= 5 && (performance.now() - t0) / 1000 > PROPFIND_SECONDS) {
      progress(`PROPFIND ${label}: stopped after ${i} rounds (BENCH_PROPFIND_SECONDS=${PROPFIND_SECONDS})`);
      break;
    }
    for (const t of targets) {
      const a = accs.get(t.name);
      if (!a || failed.has(t.name)) continue;
      try {
        const r = await request(t, 'PROPFIND', new URL(FOLDER, t.base).href, headers, body);
        if (r.status !== 207) throw new Error(`PROPFIND answered ${r.status}`);
        a.lat.push(r.ms);
      } catch (err) {
        failed.add(t.name);
        reportError(`webdav.${t.name}.PROPFIND-d1-${FILES}-${label}.c1`, err);
      }
    }
  }
  for (const t of targets) {
    const a = accs.get(t.name);
    if (!a) continue;
    const m = a.mem();
    if (failed.has(t.name) || a.lat.length === 0) continue;
    const sorted = [...a.lat].sort((x, y) => x - y);
    const total = a.lat.reduce((s, v) => s + v, 0) / 1000;
    report(`webdav.${t.name}.PROPFIND-d1-${FILES}-${label}.c1`, 'rps', {
      rps: a.lat.length / total, p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), max_ms: sorted.at(-1)!, n: a.lat.length,
      responses: a.responses, body_kb: a.bytes / 1024, rss_peak_mb: m.peakMb, hwm_mb: m.hwmMb,
    });
  }
}

/** PROPFIND Depth 1 from `conc` clients at once, one server at a time. */
async function propfindConcurrent(t: Target, label: string, body: Buffer, n: number, conc: number): Promise<void> {
  const headers = { depth: '1', 'content-type': 'application/xml; charset=utf-8' };
  const lat: number[] = [];
  let next = 0;
  const done = watchMemory(t.pid());
  const t0 = performance.now();
  let mem: MemWindow;
  try {
    await Promise.all(Array.from({ length: conc }, async () => {
      while (next < n && !cleanups.interrupted && (next < conc * 2 || (performance.now() - t0) / 1000 < PROPFIND_SECONDS)) {
        next++;
        const r = await request(t, 'PROPFIND', new URL(FOLDER, t.base).href, headers, body);
        if (r.status !== 207) throw new Error(`PROPFIND answered ${r.status}`);
        lat.push(r.ms);
      }
    }));
  } finally {
    mem = done();
  }
  checkInterrupted();
  const s = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  report(`webdav.${t.name}.PROPFIND-d1-${FILES}-${label}.c${conc}`, 'rps', {
    rps: lat.length / s, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), n: lat.length, rss_peak_mb: mem.peakMb, hwm_mb: mem.hwmMb,
  });
}

async function benchPropfind(targets: readonly Target[]): Promise<void> {
  const ready: Target[] = [];
  for (const t of targets) {
    if (t.seededBy !== null) continue;
    checkInterrupted();
    progress(`seeding ${FILES} files of 1 KiB into ${t.name} (${SEED_CONC} at once; loadavg ${loadavg()})`);
    try {
      await seed(t);
      ready.push(t);
    } catch (err) {
      if (cleanups.interrupted) throw err;
      reportError(`webdav.${t.name}.seed-PUT-${FILES}x1KiB`, err);
    }
  }
  const seeded = new Set(ready.map((t) => t.name));
  const on = targets.filter((t) => seeded.has(t.seededBy ?? t.name));
  progress(`PROPFIND Depth 1 (named properties), one at a time, ${PROPFIND_N} rounds (loadavg ${loadavg()})`);
  await propfindSerial(on, 'named', PF_NAMED, PROPFIND_N);
  progress(`PROPFIND Depth 1 (allprop), one at a time, ${PROPFIND_N} rounds (loadavg ${loadavg()})`);
  await propfindSerial(on, 'allprop', PF_ALLPROP, PROPFIND_N);
  for (const t of on) {
    checkInterrupted();
    progress(`PROPFIND Depth 1 (named), ${PROPFIND_CONC} at once: ${t.name} (loadavg ${loadavg()})`);
    try {
      await propfindConcurrent(t, 'named', PF_NAMED, PROPFIND_N, PROPFIND_CONC);
    } catch (err) {
      if (cleanups.interrupted) throw err;
      reportError(`webdav.${t.name}.PROPFIND-d1-${FILES}-named.c${PROPFIND_CONC}`, err);
    }
  }
}

// ----- 3. optional: dav-bench.sh on Bureau and Apache

async function benchDavBench(targets: readonly Target[]): Promise<void> {
  for (const t of targets) {
    if (t.name !== 'bureau' && t.name !== 'apache') continue;
    checkInterrupted();
    progress(`dav-bench.sh BENCH="${DAV_BENCH}" on ${t.name} (about 1 to 2 minutes; loadavg ${loadavg()})`);
    const env: NodeJS.ProcessEnv = { ...CHILD_ENV, BENCH: DAV_BENCH };
    // its python seeder ignores REQUESTS_CA_BUNDLE (trust_env=False): Bureau's CA is trusted
    // system-wide for the run, and untrusted right after; wrk does not check certificates
    const untrust = t.ca ? await trustSystemWide(t.ca) : null;
    const r = await run('bash', [join(VERIFY_DIR, 'dav-bench.sh'), t.base, t.user, t.pass], {
      env, timeoutS: 960,
      onLine: (line) => {
        const m = /^BENCH (\S+) (.*)$/.exec(line);
        if (!m) {
          if (line.startsWith('#') || line.startsWith('SKIP')) progress(`dav-bench ${t.name}: ${line.replace(/^# ?/, '')}`);
          return;
        }
        const fields: Record<string, string | number> = {};
        for (const kv of m[2]!.replace(/\(runs: ([^)]*)\)/, 'runs=$1').split(/\s+/)) {
          const i = kv.indexOf('=');
          if (i > 0) {
            const v = kv.slice(i + 1);
            fields[kv.slice(0, i)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
          }
        }
        const unit = 'MBps' in fields && !('rps' in fields) ? 'MBps' : 'rps' in fields ? 'rps' : 'rate_per_s' in fields ? 'rate_per_s' : 'median_ms';
        report(`davbench.${t.name}.${m[1]}`, unit, fields);
      },
    });
    if (untrust) await untrust();
    if (r.code !== 0) reportError(`davbench.${t.name}`, new Error(`dav-bench.sh exited ${r.code}: ${r.stderr.trim().slice(-300)}`));
  }
}

/** Adds a CA to the system's trust store (update-ca-certificates); the returned function takes it out again. */
async function trustSystemWide(ca: string): Promise<() => Promise<void>> {
  const file = `/usr/local/share/ca-certificates/bureau-bench-webdav-${randomBytes(6).toString('hex')}.crt`;
  let undone = false;
  const undo = async (): Promise<void> => {
    if (undone) return;
    undone = true;
    rmSync(file, { force: true });
    const r = await run('update-ca-certificates', [], { timeoutS: 120 });
    if (r.code !== 0) progress(`update-ca-certificates (removing ${file}) failed: ${r.stderr.trim()}`);
  };
  onCleanup('the CA trusted system-wide', undo);
  writeFileSync(file, readFileSync(ca));
  const r = await run('update-ca-certificates', [], { timeoutS: 120 });
  if (r.code !== 0) throw new Error(`update-ca-certificates failed: ${r.stderr.trim()}`);
  return undo;
}

// ----- summary and ratios

function value(name: string): number | null {
  return figures.find((f) => f.name === name)?.value ?? null;
}

function ratios(): void {
  const kinds: [string, string][] = [
    ['PUT', `PUT-${BIG_MB}MiB`], ['GET', `GET-${BIG_MB}MiB`], ['seed', `seed-PUT-${FILES}x1KiB`],
    ['PROPFIND.named.c1', `PROPFIND-d1-${FILES}-named.c1`], ['PROPFIND.allprop.c1', `PROPFIND-d1-${FILES}-allprop.c1`],
    [`PROPFIND.named.c${PROPFIND_CONC}`, `PROPFIND-d1-${FILES}-named.c${PROPFIND_CONC}`],
  ];
  const pairs: [ServerName, ServerName][] = [['bureau', 'apache'], ['bureau', 'nginx'], ['bureau', 'nginx-tls'], ['nginx-tls', 'nginx']];
  for (const [kind, suffix] of kinds) {
    const fields: Record<string, string | number> = {};
    for (const [a, b] of pairs) {
      const va = value(`webdav.${a}.${suffix}`);
      const vb = value(`webdav.${b}.${suffix}`);
      if (va !== null && vb !== null && vb > 0) fields[`${a}/${b}`] = va / vb;
    }
    if (Object.keys(fields).length > 0) {
      figures.push({ name: `webdav.ratio.${kind}`, value: null, unit: '', fields });
      console.log(`BENCH webdav.ratio.${kind} ${Object.entries(fields).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
    }
  }
  // durable PUT: Bureau fsyncs before it answers, the references do not
  const durable: Record<string, string | number> = {};
  const bureauPut = value(`webdav.bureau.PUT-${BIG_MB}MiB`);
  for (const ref of ['apache', 'nginx', 'nginx-tls'] as const) {
    const f = figures.find((x) => x.name === `webdav.${ref}.PUT-${BIG_MB}MiB`);
    const d = f?.fields.durable_MBps;
    if (bureauPut !== null && typeof d === 'number' && d > 0) durable[`bureau/${ref}`] = bureauPut / d;
  }
  if (Object.keys(durable).length > 0) {
    figures.push({ name: 'webdav.ratio.PUT.durable', value: null, unit: '', fields: durable });
    console.log(`BENCH webdav.ratio.PUT.durable ${Object.entries(durable).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
  }
}

function summary(totalS: number): void {
  const keep = ['start_mb', 'processes', 'runs', 'durable_MBps', 'rss_base_mb', 'rss_peak_mb', 'hwm_mb', 'sha256', 'p50_ms', 'p99_ms', 'n', 'responses', 'body_kb', 'secs', 'errors', 'c', 'median_ms'];
  const rows = figures.map((f) => {
    const rest = Object.entries(f.fields).filter(([k]) => k !== f.unit && (f.unit === '' || keep.includes(k))).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
    return [f.name, f.value === null ? '' : fmt(f.value), f.unit, rest];
  });
  const head = ['figure', 'value', 'unit', 'details'];
  const w = [0, 1, 2].map((i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length)));
  console.log('');
  console.log(`# summary (${fmt(totalS)} s in all${cleanups.interrupted ? ', interrupted' : ''}${failures > 0 ? `, ${failures} failure(s)` : ''})`);
  console.log(`${head[0]!.padEnd(w[0]!)}  ${head[1]!.padStart(w[1]!)}  ${head[2]!.padEnd(w[2]!)}  ${head[3]}`);
  console.log(`${'-'.repeat(w[0]!)}  ${'-'.repeat(w[1]!)}  ${'-'.repeat(w[2]!)}  -------`);
  for (const r of rows) console.log(`${r[0]!.padEnd(w[0]!)}  ${r[1]!.padStart(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}`);
}

// ----- main

async function main(): Promise<void> {
  const start = performance.now();
  const cpus = os.cpus();
  const busy = await cpuBusyPercent();
  console.log(`# Bureau WebDAV bench, ${new Date().toISOString()}`);
  console.log(`# machine: ${cpus.length} cpu(s), ${cpus[0]?.model ?? 'unknown'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}; cpu busy before start ${busy}%, loadavg ${loadavg()}`);
  console.log(`# node ${process.version}, ${versionOf('/usr/sbin/apache2', ['-v'], /Server version: (\S+)/)}, ${versionOf('/usr/sbin/nginx', ['-v'], /version: (\S+)/)}, curl ${versionOf('curl', ['--version'], /^curl (\S+)/)}`);
  console.log(`# BENCH_BIG_MB=${BIG_MB} BENCH_FILES=${FILES} BENCH_REPS=${REPS} BENCH_PROPFIND_N=${PROPFIND_N} BENCH_PROPFIND_CONC=${PROPFIND_CONC} BENCH_SEED_CONC=${SEED_CONC} BENCH_SERVERS=${SERVERS.join(',')} BENCH_DAV_BENCH=${JSON.stringify(DAV_BENCH)} folder=${WORK}`);
  if (busy > 25) console.log(`# WARNING: the host was already ${busy}% busy before the bench; figures will be low and noisy`);

  progress(`writing the ${BIG_MB} MiB source file`);
  const sourceSha = await writeSource();
  const targets: Target[] = [];

  let bureau: BureauUp | null = null;
  if (SERVERS.includes('bureau')) {
    progress('starting Bureau');
    try {
      bureau = await startBureau();
      const ca = join(bureau.certsDir, 'ca.pem');
      const pid = bureau.spawned.child.pid ?? null;
      targets.push({
        name: 'bureau', base: `https://127.0.0.1:${bureau.port}/files/Documents/`, user: BUREAU_USER, pass: BUREAU_PASS, ca,
        agent: agentFor(ca), pid: () => pid, stored: null, seededBy: null,
      });
      console.log(`# bureau: https://127.0.0.1:${bureau.port}/files/Documents/ pid ${pid}, SQLite store, TLS ${await tlsParams('127.0.0.1', bureau.port, ca)}`);
    } catch (err) {
      reportError('webdav.bureau.start', err);
    }
  }
  const refs = SERVERS.filter((s): s is 'apache' | 'nginx' => s === 'apache' || s === 'nginx');
  if (SERVERS.includes('nginx-tls') && !refs.includes('nginx')) refs.push('nginx');
  if (refs.length > 0) {
    progress(`starting ${refs.join(' and ')} (dav-ref.sh)`);
    const up = await startRefs(refs);
    if (SERVERS.includes('apache')) {
      targets.push({
        name: 'apache', base: `http://127.0.0.1:${up.apachePort}/dav/`, user: REF_USER, pass: REF_PASS, ca: null,
        agent: agentFor(null), pid: () => readPidFile(join(REF_DIR, 'apache/run/httpd.pid')),
        stored: (name) => join(REF_DIR, 'apache/dav', name), seededBy: null,
      });
      console.log(`# apache: http://127.0.0.1:${up.apachePort}/dav/ pid ${readPidFile(join(REF_DIR, 'apache/run/httpd.pid'))} (mpm_event, plain HTTP)`);
    }
    if (SERVERS.includes('nginx')) {
      targets.push({
        name: 'nginx', base: `http://127.0.0.1:${up.nginxPort}/dav/`, user: REF_USER, pass: REF_PASS, ca: null,
        agent: agentFor(null), pid: () => readPidFile(join(REF_DIR, 'nginx/nginx.pid')),
        stored: (name) => join(REF_DIR, 'nginx/dav', name), seededBy: null,
      });
      console.log(`# nginx: http://127.0.0.1:${up.nginxPort}/dav/ pid ${readPidFile(join(REF_DIR, 'nginx/nginx.pid'))} (plain HTTP)`);
    }
    if (SERVERS.includes('nginx-tls')) {
      try {
        const certs = bureau ? { cert: join(bureau.certsDir, 'server.pem'), key: join(bureau.certsDir, 'server-key.pem'), ca: join(bureau.certsDir, 'ca.pem') }
          : { ...selfSigned(), ca: '' };
        const ca = certs.ca || certs.cert;
        const port = await startNginxTls(certs.cert, certs.key);
        const pidFile = join(WORK, 'nginx-tls/nginx.pid');
        targets.push({
          name: 'nginx-tls', base: `https://127.0.0.1:${port}/dav/`, user: REF_USER, pass: REF_PASS, ca,
          agent: agentFor(ca), pid: () => readPidFile(pidFile),
          stored: (name) => join(REF_DIR, 'nginx/dav', name), seededBy: SERVERS.includes('nginx') ? 'nginx' : null,
        });
        console.log(`# nginx-tls: https://127.0.0.1:${port}/dav/ pid ${readPidFile(pidFile)} (dav-ref.sh's nginx.conf + TLS with ${bureau ? "Bureau's" : 'a self-signed'} certificate, same folder as nginx), TLS ${await tlsParams('127.0.0.1', port, ca)}`);
      } catch (err) {
        reportError('webdav.nginx-tls.start', err);
      }
    }
  }
  if (!hwmResettable()) console.log('# NOTE: VmHWM could not be reset here; hwm_mb is the peak since the process started');
  console.log('# clients: curl --http1.1 for the big file (to /dev/null; one more GET piped into sha256), Node.js http(s) with keep-alive for the rest');

  const rssOf = (t: Target): number => {
    const pid = t.pid();
    return pid === null ? NaN : treePids(pid).reduce((kb, p) => kb + (readStatusKb(p)?.rss ?? 0), 0) / 1024;
  };
  const rssStart = new Map(targets.map((t) => [t.name, rssOf(t)]));
  checkInterrupted();
  await benchBig(targets, sourceSha);
  // the source is no longer needed: give its space back now
  rmSync(SRC, { force: true });
  checkInterrupted();
  await benchPropfind(targets);
  if (DAV_BENCH) {
    checkInterrupted();
    await benchDavBench(targets);
  }
  for (const t of targets) {
    const procs = t.pid() === null ? 0 : treePids(t.pid()!).length;
    report(`webdav.${t.name}.rss`, 'end_mb', { end_mb: rssOf(t), start_mb: rssStart.get(t.name) ?? NaN, processes: procs });
  }
  ratios();
  if (!hwmResettable()) console.log('# NOTE: VmHWM could not be reset here; hwm_mb is the peak since the process started');
  summary((performance.now() - start) / 1000);
  if (bureau) {
    // what Bureau logged, one line per distinct message (stack traces left out)
    const counts = new Map<string, number>();
    for (const line of bureau.spawned.stderr().split('\n')) {
      if (line.trim() === '' || /^\s/.test(line)) continue;
      const text = line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, '').replace(/\/tmp\/bureau-bench-webdav-\w+/g, '$BENCH').slice(0, 240);
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    for (const [text, n] of counts) console.log(`# Bureau logged ${n}x: ${text}`);
  }
}

try {
  await main();
} catch (err) {
  if (!cleanups.interrupted) reportError('webdav', err);
} finally {
  if (!cleanups.interrupted) await cleanupAll();
}
if (failures > 0) process.exitCode = 1;
if (!existsSync(WORK)) progress(`removed ${WORK}`);
