// The IMAP door for tests: Bureau's own listeners (startImap) on loopback and
// free ports, on a real core and store, with the certificates Bureau makes;
// a raw line client for what no library would send; imapflow for the rest.
import { ImapFlow } from 'imapflow';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { startImap, type ImapListener } from '../../../src/protocols/imap/listen.ts';
import { loadOrCreateCertificates, type TlsMaterial } from '../../../src/tls/certificates.ts';
import type { Account } from '../../../src/store/types.ts';
import type { CoreSettings } from '../../../src/core/index.ts';
import { makeTestCore, PASSWORD, TEST_SETTINGS, type TestCore } from '../../support/core.ts';
import { freePort } from '../../support/server.ts';
import type { Backend } from '../../support/store.ts';

export { PASSWORD };

export interface TestImap {
  readonly t: TestCore;
  readonly tls: TlsMaterial;
  readonly port: number;
  readonly tlsPort: number;
  readonly warnings: string[];
  account(plan?: string): Promise<Account>;
  client(account: Account, options?: { secure?: boolean; compress?: boolean }): Promise<ImapFlow>;
  raw(options?: { secure?: boolean }): Promise<RawClient>;
  stop(): Promise<void>;
}

let seq = 0;

/** Starts the IMAP door on a fresh store of the backend. */
export async function startTestImap(backend: Backend, options: { allowPlainLogin?: boolean; settings?: CoreSettings } = {}): Promise<TestImap> {
  const t = await makeTestCore(backend, options.settings ?? TEST_SETTINGS);
  const certsDir = await mkdtemp(join(tmpdir(), 'bureau-imap-certs-'));
  const tls = await loadOrCreateCertificates({ certsDir, hostname: 'localhost', tlsCert: null, tlsKey: null });
  const warnings: string[] = [];
  const log = { debug: (): void => undefined, warn: (m: string): void => { warnings.push(m); } };
  const listeners: ImapListener[] = await startImap({
    core: t.core, tls, bind: '127.0.0.1', port: await freePort(), tlsPort: await freePort(), hostname: 'localhost', log,
    allowPlainLogin: options.allowPlainLogin === true,
  });
  const port = listeners.find((l) => l.protocol === 'imap')!.port;
  const tlsPort = listeners.find((l) => l.protocol === 'imaps')!.port;
  const clients: ImapFlow[] = [];
  const raws: RawClient[] = [];
  return {
    t, tls, port, tlsPort, warnings,
    account: (plan = 'big') => t.account(`imap${++seq}x${process.pid}`, plan),
    async client(account, o = {}) {
      const c = new ImapFlow({
        host: 'localhost', port: o.secure === false ? port : tlsPort, secure: o.secure !== false, doSTARTTLS: o.secure === false ? true : undefined,
        auth: { user: account.address, pass: PASSWORD }, logger: false, tls: { ca: [tls.cert] }, disableCompression: o.compress === false,
      });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
      return c;
    },
    async raw(o = {}) {
      const r = await RawClient.open(o.secure ? tlsPort : port, o.secure ? tls.cert : null);
      raws.push(r);
      return r;
    },
    async stop() {
      for (const c of clients) c.close();
      for (const r of raws) r.close();
      await Promise.all(listeners.map((l) => l.close(100)));
      await t.cleanup();
      await rm(certsDir, { recursive: true, force: true });
    },
  };
}

/** A line-level IMAP client: sends what it is told, collects what comes back. */
export class RawClient {
  readonly socket: Socket;
  private buffer = '';
  private waiters: (() => void)[] = [];
  closed = false;
  private tagSeq = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('binary');
    socket.setNoDelay(true);
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, ca: string | null): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket: Socket = ca
        ? tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: [ca] }, () => resolve(new RawClient(socket)))
        : netConnect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Waits until the received text matches; returns all received text so far and clears it. */
  async until(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.buffer)) {
      if (this.closed) throw new Error(`connection closed before ${pattern}; got: ${this.buffer.slice(-500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${pattern} within ${timeoutMs} ms; got: ${this.buffer.slice(-500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const out = this.buffer;
    this.buffer = '';
    return out;
  }

  /** All received text not yet returned by `until`, cleared. */
  take(): string {
    const out = this.buffer;
    this.buffer = '';
    return out;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'binary') : data);
  }

  /** Sends a tagged command and waits for its tagged completion; returns the whole answer. */
  async command(text: string, timeoutMs = 5000): Promise<string> {
    const tag = `t${++this.tagSeq}`;
    this.write(`${tag} ${text}\r\n`);
    return this.until(new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`), timeoutMs);
  }

  async login(address: string): Promise<void> {
    const r = await this.command(`LOGIN "${address}" "${PASSWORD}"`);
    if (!/ OK /.test(r)) throw new Error(`login failed: ${r}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Waits (boundedly) until `check` holds. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
