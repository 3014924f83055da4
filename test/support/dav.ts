// The real server's DAV door for tests, over real HTTPS sockets: a server
// started in this process (`startServer`, as `npm start` does) or spawned as
// a child process (to measure its memory), on a fresh database of either
// backend; accounts made through the core; and `dav(method, path, …)`, one
// request that answers status, headers and body. The generated CA is made
// once per test run and trusted through the `ca` option, never globally.
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openCore } from '../../src/boot.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Core } from '../../src/core/index.ts';
import { createLogger } from '../../src/server/log.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import type { Account, Group } from '../../src/store/types.ts';
import { ALL_PORTS_OFF, freePort, ROOT, spawnBureau, stop, waitFor, type Spawned } from './server.ts';
import { makeTestDatabase, type Backend, type TestDatabase } from './store.ts';

export const DOMAIN = 'example.test';
/** every test account's password (no spaces, so that litmus can take it on its command line) */
export const DAV_PASSWORD = 'correct-horse-battery';

/** Plans as the config file writes them (BUREAU_CONFIG), merged over config/default.json's. */
export type PlanConfig = Record<string, {
  mail_bytes: number; files_bytes: number; max_groups: number; max_group_members: number; features: string[]; paid?: boolean;
}>;

export interface DavServerOptions {
  /** BUREAU_* variables beyond the ones the helper sets */
  readonly env?: NodeJS.ProcessEnv;
  /** extra plans, written to a BUREAU_CONFIG file */
  readonly plans?: PlanConfig;
  /** start it as a child process (`node src/main.ts`) instead of in this process */
  readonly spawn?: boolean;
}

export type Body = string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface DavRequest {
  /** who logs in (an account, or an address); omitted: no Authorization header */
  readonly user?: Account | string | null;
  readonly password?: string;
  readonly headers?: Record<string, string | number>;
  readonly body?: Body;
  /** a keep-alive agent of the caller's, to prove "the next request on the same connection" */
  readonly agent?: Agent;
}

export interface DavResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** the body as UTF-8 */
  readonly text: string;
}

export interface DavServer {
  readonly backend: Backend;
  readonly port: number;
  /** https://localhost:PORT, what the certificate names and Destination headers use */
  readonly origin: string;
  readonly ca: Buffer;
  readonly dataDir: string;
  /** the server's core (in-process), or a second core on the same database (spawned) */
  readonly core: Core;
  /** the child process, when spawned */
  readonly child: Spawned | null;
  /** warnings and errors the server logged (in-process only) */
  readonly logs: string[];
  /** every answer of status 400 or more seen by `dav`, to check what errors look like */
  readonly errors: { method: string; path: string; status: number; type: string }[];
  /** an active account NAME@example.test with DAV_PASSWORD, on `plan` (default: standard, which has `clients`) */
  account(name: string, plan?: string): Promise<Account>;
  /** a group made by `admin`, with `members` added */
  group(name: string, admin: Account, members?: readonly Account[]): Promise<Group>;
  dav(method: string, path: string, options?: DavRequest): Promise<DavResponse>;
  /** a keep-alive agent trusting the server's CA */
  agent(): Agent;
  /** every blob file (and temporary file) on disk, relative to the blob folder */
  blobFiles(): Promise<string[]>;
  stop(): Promise<void>;
}

let sharedCerts: Promise<string> | null = null;
/** One CA and server certificate for the whole run: making them costs an RSA key generation. */
function certsDir(): Promise<string> {
  sharedCerts ??= mkdtemp(join(tmpdir(), 'bureau-dav-certs-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return sharedCerts;
}

/** A URL path under the drive from plain segments: files('Drop box', 'a b.txt') → /files/Drop%20box/a%20b.txt; a last '' makes a folder path. */
export function files(...segments: string[]): string {
  return `/files/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** The hrefs of a multistatus answer, decoded. */
export function hrefs(xml: string): string[] {
  return [...xml.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => decodeURIComponent(m[1]!.replace(/&amp;/g, '&')));
}

/** The names a Depth 1 PROPFIND lists inside `path` (the folder itself left out), sorted. */
export function listing(xml: string, path: string): string[] {
  const self = decodeURIComponent(path).replace(/\/$/, '');
  const responses = [...xml.matchAll(/<D:response><D:href>([^<]*)<\/D:href>/g)].map((m) => decodeURIComponent(m[1]!.replace(/&amp;/g, '&')));
  return responses.map((h) => h.replace(/\/$/, '')).filter((h) => h !== self).map((h) => h.slice(h.lastIndexOf('/') + 1)).sort();
}

/** The text inside the first element with that local name (any prefix), or null. */
export function prop(xml: string, local: string): string | null {
  const m = new RegExp(`<(?:[A-Za-z][\\w.-]*:)?${local}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[A-Za-z][\\w.-]*:)?${local}>`).exec(xml);
  return m ? m[1]! : null;
}

export function basic(address: string, password: string): string {
  return `Basic ${Buffer.from(`${address}:${password}`).toString('base64')}`;
}

export async function startDav(backend: Backend, options: DavServerOptions = {}): Promise<DavServer> {
  const db: TestDatabase = await makeTestDatabase(backend);
  const certs = await certsDir();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...ALL_PORTS_OFF,
    BUREAU_DATA_DIR: db.dataDir,
    BUREAU_DATABASE_URL: db.url,
    BUREAU_CERTS_DIR: certs,
    BUREAU_HTTPS_PORT: String(port),
    BUREAU_BIND: '127.0.0.1',
    BUREAU_DOMAIN: DOMAIN,
    BUREAU_HOSTNAME: 'localhost',
    BUREAU_LOG_LEVEL: 'warn',
    BUREAU_SHUTDOWN_GRACE_SECONDS: '1',
    ...options.env,
  };
  if (options.plans) {
    const file = join(db.dataDir, 'plans.json');
    await writeFile(file, JSON.stringify({ plans: options.plans }));
    env.BUREAU_CONFIG = file;
  }
  const config = loadConfig({ env, cwd: ROOT });
  const logs: string[] = [];
  let running: RunningServer | null = null;
  let child: Spawned | null = null;
  let core: Core;
  try {
    if (options.spawn) {
      child = spawnBureau(env);
      await waitFor(child, 'ready:', 60_000);
      core = await openCore(config);
    } else {
      running = await startServer(config, createLogger('warn', (line) => logs.push(line)));
      core = running.core;
    }
  } catch (err) {
    if (child) await stop(child, 'SIGKILL');
    await db.cleanup();
    throw err;
  }
  const ca = await readFile(join(certs, 'ca.pem'));
  const origin = `https://localhost:${port}`;
  const errors: DavServer['errors'] = [];
  const agents: Agent[] = [];
  const makeAgent = (): Agent => {
    const a = new Agent({ ca, keepAlive: true, maxSockets: 16 });
    agents.push(a);
    return a;
  };
  const defaultAgent = makeAgent();

  const dav = (method: string, path: string, o: DavRequest = {}): Promise<DavResponse> => new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { host: `localhost:${port}`, ...o.headers };
    if (o.user) {
      const address = typeof o.user === 'string' ? o.user : o.user.address;
      headers.authorization = basic(address, o.password ?? DAV_PASSWORD);
    }
    const body = o.body;
    if ((typeof body === 'string' || body instanceof Uint8Array) && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
      headers['content-length'] = Buffer.byteLength(body);
    }
    let answered = false;
    const req = request({
      host: '127.0.0.1', servername: 'localhost', port, method, path, headers, agent: o.agent ?? defaultAgent, timeout: 60_000,
    }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        if (status >= 400) errors.push({ method, path, status, type: String(res.headers['content-type'] ?? '') });
        resolve({ status, headers: res.headers, body: buf, text: buf.toString('utf8') });
      });
    });
    // once the answer has come (e.g. a 507 that closes the connection while the body is still being sent), a broken pipe is expected
    req.on('error', (err) => { if (!answered) reject(err); });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
    if (body === undefined) req.end();
    else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
    else {
      const source = body instanceof Readable ? body : Readable.from(body);
      source.on('error', (err) => req.destroy(err));
      req.on('close', () => source.destroy());
      source.pipe(req);
    }
  });

  return {
    backend, port, origin, ca, dataDir: db.dataDir, core, child, logs, errors,
    account: (name, plan = 'standard') => core.accounts.create({ address: `${name}@${DOMAIN}`, password: DAV_PASSWORD, name, plan }),
    group: async (name, admin, members = []) => {
      const g = await core.groups.create(name, admin.id);
      for (const m of members) await core.groups.addMember(g.id, m.id, admin.id);
      return g;
    },
    dav,
    agent: makeAgent,
    blobFiles: async () => {
      const root = join(db.dataDir, 'blobs');
      const out: string[] = [];
      const walk = async (dir: string, rel: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(join(dir, e.name), `${rel}${e.name}/`);
          else out.push(`${rel}${e.name}`);
        }
      };
      await walk(root, '');
      return out.sort();
    },
    stop: async () => {
      for (const a of agents) a.destroy();
      if (running) await running.stop();
      if (child) {
        await core.store.close();
        await stop(child);
      }
      await db.cleanup();
    },
  };
}
