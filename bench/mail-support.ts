// What the mail benchmarks share: a minimal IMAP line client (plain or TLS),
// a minimal SMTP sender, Bureau started as its own process (the real server,
// src/main.ts, on a throwaway data folder), the throwaway Dovecot of
// ../shared/verify/dovecot-ref.sh with its delivery agent, and the memory of
// a set of processes read from /proc.
import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ALL_PORTS_OFF, bureauCommand, freePort, ROOT, spawnBureau, stop, waitFor } from '../test/support/server.ts';

export const VERIFY = resolve(ROOT, '../shared/verify');

export const log = (m: string): void => { process.stderr.write(`${m}\n`); };

/** Prints one `BENCH <prefix>.<server>.<name> k=v ...` line. */
export function figure(prefix: string, server: string, name: string, values: Record<string, number | string>): string {
  const text = Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 100) / 100 : v}`).join(' ');
  process.stdout.write(`BENCH ${prefix}.${server}.${name} ${text}\n`);
  return text;
}

export function run(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((ok, fail) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 },
      (err, out, errOut) => (err ? fail(new Error(`${cmd} ${args.join(' ')}: ${errOut || err.message}`)) : ok(out)));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LineOptions {
  /** TLS from the first byte; `ca` to trust (unset: any certificate, for a reference server's self-signed one) */
  readonly tls?: { readonly ca?: string };
  /** the loopback address to connect from (Dovecot limits connections per user and address) */
  readonly localAddress?: string;
}

/** A minimal IMAP client: one command at a time, its whole answer, literals included; untagged lines in between are kept for `waitFor`. */
export class Line {
  private readonly socket: Socket;
  private chunks: Buffer[] = [];
  private size = 0;
  private wake: (() => void) | null = null;
  private seq = 0;
  private closed = false;
  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.size += d.length;
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }
  static open(port: number, options: LineOptions = {}): Promise<Line> {
    return new Promise((ok, fail) => {
      const local = options.localAddress ? { localAddress: options.localAddress } : {};
      const s = options.tls
        ? tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ...(options.tls.ca ? { ca: options.tls.ca } : { rejectUnauthorized: false }), ...local }, () => ok(new Line(s)))
        : connect({ host: '127.0.0.1', port, ...local }, () => ok(new Line(s)));
      s.once('error', fail);
    });
  }
  /** A session opened, its greeting read, logged in. */
  static async login(port: number, user: string, password: string, options: LineOptions = {}): Promise<Line> {
    const line = await Line.open(port, options);
    await line.greeting();
    await line.command(`LOGIN "${user}" "${password}"`);
    return line;
  }
  /** Resolves with everything received so far once its tail passes the test. */
  async until(test: (tail: string) => boolean, timeoutMs = 120_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tail = this.chunks.length > 0 ? Buffer.concat(this.chunks.slice(-3)).subarray(-4000).toString('latin1') : '';
      if (test(tail)) {
        const all = Buffer.concat(this.chunks, this.size);
        this.chunks = [];
        this.size = 0;
        return all;
      }
      if (this.closed) throw new Error(`the server closed the connection; last: ${tail.slice(-200).trim()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer in ${timeoutMs} ms; last: ${tail.slice(-200).trim()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => { clearTimeout(t); r(); };
      });
      this.wake = null;
    }
  }
  greeting(): Promise<Buffer> {
    return this.until((t) => /\* OK[^\r]*\r\n$/.test(t));
  }
  /** Sends a command; resolves with its answer and the time it took, in ms. */
  async command(text: string): Promise<{ ms: number; answer: Buffer }> {
    const tag = `bz${++this.seq}q`;
    const t0 = performance.now();
    this.socket.write(`${tag} ${text}\r\n`);
    const answer = await this.until((t) => new RegExp(`\\r\\n${tag} (OK|NO|BAD)[^\\r]*\\r\\n$|^${tag} (OK|NO|BAD)[^\\r]*\\r\\n$`).test(t));
    const ms = performance.now() - t0;
    const status = answer.subarray(-4000).toString('latin1');
    if (!new RegExp(`${tag} OK`).test(status)) throw new Error(`${text.slice(0, 60)}: ${status.trim().slice(-300)}`);
    return { ms, answer };
  }
  /** Calls `fn` with everything received from now on, as it comes (beside the answers `until` and `command` wait for). */
  watch(fn: (text: string) => void): void {
    this.socket.on('data', (d: Buffer) => fn(d.toString('latin1')));
  }
  /** Forgets what was received and not yet waited for (what `watch` handles needs no keeping). */
  forget(): void {
    this.chunks = [];
    this.size = 0;
  }
  /** Sends a line as it is (IDLE's DONE, a literal's bytes). */
  send(data: string | Buffer): void {
    this.socket.write(data);
  }
  close(): void {
    this.socket.destroy();
  }
}

/** A minimal SMTP sender on one connection: EHLO once, then messages one after another. */
export class SmtpSender {
  private readonly socket: Socket;
  private buffer = '';
  private wake: (() => void) | null = null;
  private closed = false;
  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }
  static async open(port: number, helo = 'sender.example.org'): Promise<SmtpSender> {
    const socket = await new Promise<Socket>((ok, fail) => {
      const s = connect({ host: '127.0.0.1', port }, () => ok(s));
      s.once('error', fail);
    });
    const sender = new SmtpSender(socket);
    await sender.reply(220);
    sender.socket.write(`EHLO ${helo}\r\n`);
    await sender.reply(250);
    return sender;
  }
  /** The next complete reply (its last line has a space after the code); fails unless its code is `expected`. */
  private async reply(expected: number, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3}) [^\n]*\n/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m[0].length);
        if (Number(m[1]) !== expected) throw new Error(`SMTP: expected ${expected}, got ${m[0].trim()}`);
        return m[0];
      }
      if (this.closed) throw new Error(`SMTP: the server closed the connection (${this.buffer.trim()})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SMTP: no reply in ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => { clearTimeout(t); r(); };
      });
      this.wake = null;
    }
  }
  /** Sends one message (dot-stuffed here); resolves when the server accepted it. `sent` is called when its last byte was written. */
  async send(from: string, to: string, message: Buffer, sent?: () => void): Promise<void> {
    this.socket.write(`MAIL FROM:<${from}>\r\n`);
    await this.reply(250);
    this.socket.write(`RCPT TO:<${to}>\r\n`);
    await this.reply(250);
    this.socket.write('DATA\r\n');
    await this.reply(354);
    const body = message.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
    sent?.();
    await this.reply(250);
  }
  async close(): Promise<void> {
    this.socket.write('QUIT\r\n');
    await this.reply(221).catch(() => undefined);
    this.socket.destroy();
  }
}

/** Memory of processes from /proc: resident (RSS) and proportional (PSS: shared pages divided among their users), in bytes. */
export async function memoryOf(pids: readonly number[]): Promise<{ rss: number; pss: number; processes: number }> {
  let rss = 0;
  let pss = 0;
  let processes = 0;
  for (const pid of pids) {
    try {
      const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
      processes++;
    } catch {
      // the process ended meanwhile
    }
  }
  return { rss, pss, processes };
}

/** The process and all its descendants. */
export async function processTree(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      (parents.get(ppid) ?? parents.set(ppid, []).get(ppid)!).push(Number(name));
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    out.push(pid);
    for (const c of parents.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

export interface BureauProcess {
  readonly pid: number;
  readonly dir: string;
  readonly imapPort: number;
  readonly imapsPort: number;
  readonly smtpPort: number;
  readonly ca: string;
  addUser(address: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real server (src/main.ts) in a process of its own, on SQLite in a
 * throwaway folder, listening on loopback: IMAP, IMAPS and MX on free ports,
 * the web and submission turned off. DNS: a stub in the server's process
 * answers every name with "no such name" at once (as a warm local cache
 * would for the senders' domains), so that no query leaves the machine;
 * BENCH_DNS=system uses the system resolver instead.
 */
export async function startBureau(): Promise<BureauProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-bureau-'));
  const [imapPort, imapsPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...ALL_PORTS_OFF, BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'),
    BUREAU_HOSTNAME: 'localhost', BUREAU_DOMAIN: 'example.test', BUREAU_LOG_LEVEL: 'warn',
    BUREAU_IMAP_PORT: String(imapPort), BUREAU_IMAPS_PORT: String(imapsPort), BUREAU_SMTP_PORT: String(smtpPort),
    BUREAU_DEFAULT_PLAN: 'standard', BUREAU_SHUTDOWN_GRACE_SECONDS: '2',
  };
  const dnsStub = process.env.BENCH_DNS === 'system' ? [] : ['--import', join(ROOT, 'bench/mail-dns-stub.ts')];
  const server = spawnBureau(env, [...dnsStub, 'src/main.ts']);
  const end = async (): Promise<void> => {
    await stop(server);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(server, 'ready:', 60_000);
  } catch (err) {
    await end();
    throw new Error(`Bureau did not start: ${(err as Error).message}`);
  }
  const ca = await readFile(join(dir, 'certs', 'ca.pem'), 'utf8');
  return {
    pid: server.child.pid!, dir, imapPort, imapsPort, smtpPort, ca,
    addUser: async (address, password) => {
      await bureauCommand(env, ['user', 'add', address, '--plan', 'standard'], `${password}\n`);
    },
    stop: end,
  };
}

export interface DovecotReference {
  readonly imapPort: number;
  readonly imapsPort: number;
  readonly password: string;
  readonly maildirOf: (user: string) => string;
  /** the master process and its children */
  pids(): Promise<number[]>;
  /** Dovecot's delivery agent (what an MTA's mailbox_command runs), one process per message */
  deliver(user: string, message: Buffer): Promise<void>;
  stop(): Promise<void>;
}

/** ../shared/verify/dovecot-ref.sh's Dovecot (high-performance mode unless DOVECOT_REF_PERF=0); needs root and dovecot-imapd. */
export async function startDovecot(): Promise<DovecotReference> {
  const script = join(VERIFY, 'dovecot-ref.sh');
  const env = { DOVECOT_REF_PERF: process.env.DOVECOT_REF_PERF ?? '1' };
  // Dovecot's master keeps the pipes of whoever started it: the script's output goes to a file
  const startLog = join(tmpdir(), `bench-dovecot-start-${process.pid}.log`);
  await run('bash', ['-c', 'bash "$0" start > "$1" 2>&1', script, startLog], { env }).catch(async (err: Error) => {
    throw new Error(`${err.message} ${await readFile(startLog, 'utf8').catch(() => '')}`);
  });
  await rm(startLog, { force: true });
  const dir = process.env.DOVECOT_REF_DIR ?? '/tmp/dovecot-ref';
  const conf = join(dir, 'dovecot.conf');
  const master = Number((await readFile(join(dir, 'run', 'master.pid'), 'utf8')).trim());
  return {
    imapPort: Number(process.env.DOVECOT_REF_IMAP_PORT ?? 10143),
    imapsPort: Number(process.env.DOVECOT_REF_IMAPS_PORT ?? 10993),
    password: process.env.DOVECOT_REF_PASS ?? 'pass1234word',
    maildirOf: (user) => join(dir, 'mail', user, 'Maildir'),
    pids: () => processTree(master),
    deliver: async (user, message) => {
      await run('/usr/lib/dovecot/dovecot-lda', ['-c', conf, '-d', user, '-f', 'sender@example.org'], { input: message.toString('latin1').replace(/\r\n/g, '\n') });
    },
    stop: async () => {
      await run('bash', ['-c', 'bash "$0" stop --purge > /dev/null 2>&1', script], { env }).catch((e: Error) => log(e.message));
    },
  };
}

/** Makes a Maildir for a Dovecot user (owned by the mail user) so that files can be put in it. */
export async function makeMaildir(maildir: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'nobody'])).trim());
  const gid = Number((await run('id', ['-g', 'nobody'])).trim());
  for (const d of [resolve(maildir, '..'), maildir, join(maildir, 'cur'), join(maildir, 'new'), join(maildir, 'tmp')]) {
    await mkdir(d, { recursive: true });
    await chown(d, uid, gid);
  }
  return { uid, gid };
}

/** gen-mbox.py's messages: `count` distinct ones made from its 1,000, each with a Message-ID of its own (CRLF line ends). */
export async function corpus(dir: string, count: number, tag = 'bench'): Promise<(i: number) => Buffer> {
  const mbox = join(dir, 'corpus.mbox');
  await run('/usr/bin/python3', [join(VERIFY, 'gen-mbox.py'), mbox, '1000', '7']);
  const templates = (await readFile(mbox)).toString('latin1').split(/^From [^\n]*\n/m).filter((m) => m.length > 0).map((m) => m.replace(/\r?\n/g, '\r\n'));
  return (i: number) => Buffer.from(templates[i % templates.length]!.replace(/^Message-ID: <[^>]*>/m, `Message-ID: <${tag}.${i}.${count}@example.org>`), 'latin1');
}

export { writeFile, chown };
