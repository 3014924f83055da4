// The whole server (startServer, what `npm start` runs) inside the test
// process, on SQLite or PostgreSQL, on loopback and free ports, with settings
// the validator would not take (a queue lifetime of seconds, retries a
// fraction of a second apart) so that the queue's timers can be watched in a
// test; a relay (smtp-server, optionally offering STARTTLS with a certificate
// of its own) that records every attempt; a raw SMTP conversation; imapflow
// readers. Used by the smtp*.test.ts and imap-imaplib.test.ts files.
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Core } from '../../src/core/index.ts';
import { createLogger } from '../../src/server/log.ts';
import { startServer, type RunningServer } from '../../src/server/start.ts';
import { loadOrCreateCertificates } from '../../src/tls/certificates.ts';
import { makeTestDatabase, type Backend, type TestDatabase } from '../support/store.ts';
import { freePort } from '../support/server.ts';

export const PASS = 'mail site password';
/** a plan with clients and 20,000 bytes of mail, to fill in a test */
export const TINY_MAIL_BYTES = 20_000;

export async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A message of exactly `bytes` bytes (at least 100). */
export function messageOf(bytes: number, subject: string, from = 'filler@elsewhere.example'): Buffer {
  const head = `From: ${from}\r\nTo: someone@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@test>\r\n\r\n`;
  let body = '';
  while (head.length + body.length + 78 <= bytes) body += `${'x'.repeat(76)}\r\n`;
  body += 'y'.repeat(bytes - head.length - body.length);
  const out = Buffer.from(head + body);
  expect(out.length).to.equal(bytes);
  return out;
}

export interface SiteOptions {
  readonly backend: Backend;
  /** `smtp://127.0.0.1:PORT` of a relay; unset: none (nothing is queued in such tests) */
  readonly relayPort?: number;
  /** seconds before the first retry (fractions allowed here) */
  readonly retrySeconds?: number;
  /** lifetime of queued mail, in seconds */
  readonly queueSeconds?: number;
  readonly domain?: string;
  /** further BUREAU_* settings, read and checked as the server reads them */
  readonly env?: Readonly<Record<string, string>>;
}

/** One installation: database, data and certs folders, settings; started, stopped and started again. */
export class MailSite {
  readonly options: SiteOptions;
  readonly logs: string[] = [];
  db!: TestDatabase;
  config!: Config;
  ports!: { smtp: number; sub: number; subs: number; imaps: number };
  ca = '';
  private running: RunningServer | null = null;

  constructor(options: SiteOptions) {
    this.options = options;
  }

  get core(): Core {
    if (!this.running) throw new Error('the site is not running');
    return this.running.core;
  }

  get server(): RunningServer {
    if (!this.running) throw new Error('the site is not running');
    return this.running;
  }

  /** The environment a `bureau` command needs to work on this installation. */
  get env(): Record<string, string> {
    return this.envVars;
  }

  private envVars: Record<string, string> = {};

  async start(): Promise<void> {
    if (!this.db) {
      this.db = await makeTestDatabase(this.options.backend);
      this.ports = { smtp: await freePort(), sub: await freePort(), subs: await freePort(), imaps: await freePort() };
      const plans = join(this.db.dataDir, 'plans.json');
      await writeFile(plans, JSON.stringify({
        plans: { tiny: { mail_bytes: TINY_MAIL_BYTES, files_bytes: 0, max_groups: 0, max_group_members: 1, features: ['clients'], paid: false } },
      }));
      this.envVars = {
        BUREAU_CONFIG: plans, BUREAU_DATA_DIR: this.db.dataDir, BUREAU_DATABASE_URL: this.db.url, BUREAU_CERTS_DIR: join(this.db.dataDir, 'certs'),
        BUREAU_DOMAIN: this.options.domain ?? 'example.test', BUREAU_HOSTNAME: 'localhost', BUREAU_BIND: '127.0.0.1',
        BUREAU_IMAP_PORT: '0', BUREAU_IMAPS_PORT: String(this.ports.imaps), BUREAU_SMTP_PORT: String(this.ports.smtp),
        BUREAU_SUBMISSION_PORT: String(this.ports.sub), BUREAU_SUBMISSIONS_PORT: String(this.ports.subs),
        BUREAU_HTTPS_PORT: '0', BUREAU_HTTP_PORT: '0', BUREAU_SHUTDOWN_GRACE_SECONDS: '1', BUREAU_LOG_LEVEL: 'info',
        ...(this.options.relayPort ? { BUREAU_SMTP_RELAY: `smtp://127.0.0.1:${this.options.relayPort}` } : {}),
        ...this.options.env,
      };
      const loaded = loadConfig({ env: this.envVars, cwd: this.db.dataDir });
      this.config = {
        ...loaded,
        smtp: {
          ...loaded.smtp,
          retrySeconds: this.options.retrySeconds ?? loaded.smtp.retrySeconds,
          queueHours: this.options.queueSeconds === undefined ? loaded.smtp.queueHours : this.options.queueSeconds / 3600,
        },
      };
    }
    this.running = await startServer(this.config, createLogger('info', (line) => this.logs.push(line)));
    this.ca = await readFile(join(this.db.dataDir, 'certs', 'ca.pem'), 'utf8');
  }

  async stop(): Promise<void> {
    const r = this.running;
    this.running = null;
    await r?.stop();
  }

  async restart(between: () => void | Promise<void> = () => undefined): Promise<void> {
    await this.stop();
    await between();
    await this.start();
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await this.db?.cleanup();
  }

  async account(address: string, plan = 'standard'): Promise<number> {
    return (await this.core.accounts.create({ address, password: PASS, plan })).id;
  }

  async imap<T>(address: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    const c = new ImapFlow({ host: 'localhost', port: this.ports.imaps, secure: true, auth: { user: address, pass: PASS }, logger: false, tls: { ca: [this.ca] } });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  }

  /** The raw bytes of every message in the account's INBOX, in UID order. */
  inbox(address: string): Promise<string[]> {
    return this.imap(address, async (c) => {
      const lock = await c.getMailboxLock('INBOX');
      const out: string[] = [];
      try {
        if ((c.mailbox as { exists: number }).exists > 0) for await (const m of c.fetch('1:*', { source: true })) out.push(m.source!.toString('latin1'));
      } finally {
        lock.release();
      }
      return out;
    });
  }

  /** Messages in the INBOX and the account's mail usage, as an IMAP client sees them. */
  mailState(address: string): Promise<{ messages: number; usedBytes: number }> {
    return this.imap(address, async (c) => {
      const status = await c.status('INBOX', { messages: true });
      const quota = await c.getQuota('INBOX');
      return { messages: status ? status.messages ?? -1 : -1, usedBytes: quota && quota.storage ? quota.storage.usage ?? -1 : -1 };
    });
  }
}

export interface RelayAttempt {
  readonly at: number;
  readonly from: string;
  readonly to: string;
  readonly answer: number;
}

export interface RelayMessage {
  readonly at: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Buffer;
  /** the session was encrypted (STARTTLS) when DATA came */
  readonly secure: boolean;
  readonly tlsVersion: string;
}

/**
 * A relay that answers each recipient as `answer` says (250, or an SMTP
 * error code with its text), and records every recipient attempt and every
 * message; with `tls`, it offers STARTTLS.
 */
export class Relay {
  readonly attempts: RelayAttempt[] = [];
  readonly messages: RelayMessage[] = [];
  answer: (to: string) => { code: number; text: string } | null = () => null;
  port = 0;
  private server: SMTPServer | null = null;
  private certsDir = '';

  async start(port: number, tls = false): Promise<void> {
    this.port = port;
    const options: SMTPServerOptions = {
      authOptional: true, disabledCommands: tls ? ['AUTH'] : ['STARTTLS', 'AUTH'], logger: false, hideSTARTTLS: !tls,
      onRcptTo: (a, session, cb) => {
        const refusal = this.answer(a.address);
        this.attempts.push({ at: Date.now(), from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: a.address, answer: refusal?.code ?? 250 });
        if (refusal) return cb(Object.assign(new Error(refusal.text), { responseCode: refusal.code }));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const tlsOptions = (session as unknown as { tlsOptions?: { version?: string } | false }).tlsOptions;
          this.messages.push({
            at: Date.now(), from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks), secure: session.secure,
            tlsVersion: tlsOptions ? tlsOptions.version ?? '' : '',
          });
          cb();
        });
      },
    };
    if (tls) {
      // a certificate of the relay's own, from a CA Bureau does not know
      this.certsDir = await mkdtemp(join(tmpdir(), 'bureau-relay-certs-'));
      const material = await loadOrCreateCertificates({ certsDir: this.certsDir, hostname: 'relay.test', tlsCert: null, tlsKey: null });
      Object.assign(options, { key: material.key, cert: material.cert });
    }
    this.server = new SMTPServer(options);
    await new Promise<void>((ok) => this.server!.listen(port, '127.0.0.1', () => ok()));
  }

  to(address: string): RelayMessage[] {
    return this.messages.filter((m) => m.to.includes(address));
  }

  attemptsFor(address: string): RelayAttempt[] {
    return this.attempts.filter((a) => a.to === address);
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((ok) => this.server!.close(() => ok()));
    if (this.certsDir) await rm(this.certsDir, { recursive: true, force: true });
  }
}

/** A line-by-line SMTP conversation on a raw socket: each call sends a line and resolves with the whole reply. */
export class Talk {
  private buf = '';
  private waiting: ((reply: string) => void) | null = null;
  socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }
  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', (d: Buffer) => { this.buf += d.toString('latin1'); this.check(); });
    socket.on('error', () => undefined);
  }
  private check(): void {
    const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(this.buf);
    if (m && this.waiting) {
      const reply = this.buf;
      this.buf = '';
      const w = this.waiting;
      this.waiting = null;
      w(reply);
    }
  }
  reply(timeoutMs = 10_000): Promise<string> {
    return new Promise((ok) => {
      const timer = setTimeout(() => { this.waiting = null; ok(`TIMEOUT ${this.buf}`); }, timeoutMs);
      this.waiting = (r) => { clearTimeout(timer); ok(r); };
      this.check();
    });
  }
  send(line: string, timeoutMs?: number): Promise<string> {
    const r = this.reply(timeoutMs);
    this.socket.write(`${line}\r\n`);
    return r;
  }
  /** DATA, the message (dot-stuffed), the final dot; the answer to the dot. */
  async data(raw: Buffer): Promise<string> {
    expect(await this.send('DATA')).to.match(/^354/);
    const text = raw.toString('latin1').replace(/\r\n\./g, '\r\n..').replace(/^\./, '..');
    this.socket.write(Buffer.from(text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1'));
    return this.send('.');
  }
  static async open(port: number, tls = false): Promise<Talk> {
    const socket = tls ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : netConnect({ host: '127.0.0.1', port });
    const t = new Talk(socket);
    expect(await t.reply()).to.match(/^220 /);
    return t;
  }
  /** STARTTLS, then the conversation goes on over TLS on the same connection. */
  async starttls(): Promise<void> {
    expect(await this.send('STARTTLS')).to.match(/^220 /);
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false });
    this.socket.removeAllListeners('data');
    await new Promise<void>((ok, fail) => { secure.once('secureConnect', () => ok()); secure.once('error', fail); });
    this.attach(secure);
  }
  /** EHLO and AUTH PLAIN on a TLS connection (465). */
  static async login(port: number, address: string): Promise<Talk> {
    const t = await Talk.open(port, true);
    expect(await t.send('EHLO client.example')).to.match(/^250/);
    expect(await t.send(`AUTH PLAIN ${Buffer.from(`\0${address}\0${PASS}`).toString('base64')}`)).to.match(/^235 /);
    return t;
  }
  close(): void {
    this.socket.destroy();
  }
}
