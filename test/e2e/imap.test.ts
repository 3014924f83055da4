// The IMAP door of the real server (`node src/main.ts`): its listener lines,
// LOGINDISABLED on 143 until STARTTLS, TLS on 993 with the generated CA, an
// account made with the `bureau` command; UIDVALIDITY, UIDNEXT and MODSEQ
// across a restart; and, on PostgreSQL, two server processes on one database
// where an IDLE session of one hears an APPEND made through the other.
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { ALL_PORTS_OFF, bureauCommand, freePort, spawnBureau, stop, waitFor, type Spawned } from '../support/server.ts';
import { BACKENDS, makeTestDatabase } from '../support/store.ts';

const PASS = 'e2e imap password';

/** `bureau user add` with the password on standard input. */
async function addUser(env: NodeJS.ProcessEnv, address: string): Promise<void> {
  await bureauCommand(env, ['user', 'add', address, '--plan', 'standard'], `${PASS}\n`);
}

/** The first lines a plain connection gets for CAPABILITY. */
function plainCapability(port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('c1 CAPABILITY\r\nc2 LOGIN a b\r\nc3 LOGOUT\r\n'));
    let text = '';
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    socket.on('close', () => ok(text));
    socket.on('error', fail);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

describe('e2e: the IMAP door of the running server', function () {
  this.timeout(90_000);
  let dir: string;
  const running: Spawned[] = [];
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'bureau-e2e-imap-')); });
  afterEach(async () => {
    for (const s of running.splice(0)) await stop(s, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (env: NodeJS.ProcessEnv): Promise<Spawned> => {
    const s = spawnBureau(env);
    running.push(s);
    await waitFor(s, 'ready:');
    return s;
  };

  it('prints its listeners; 143 refuses login before STARTTLS; 993 serves TLS; uid state survives a restart', async () => {
    const [imap, imaps] = [await freePort(), await freePort()];
    const env = {
      ...ALL_PORTS_OFF, BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'),
      BUREAU_IMAP_PORT: String(imap), BUREAU_IMAPS_PORT: String(imaps), BUREAU_DOMAIN: 'example.test',
    };
    const first = await start(env);
    expect(first.stdout()).to.contain(`listening: imap 127.0.0.1:${imap}\n`);
    expect(first.stdout()).to.contain(`listening: imaps 127.0.0.1:${imaps}\n`);
    await addUser(env, 'ann@example.test');
    const plain = await plainCapability(imap);
    expect(plain).to.match(/\* CAPABILITY .*STARTTLS/).and.match(/LOGINDISABLED/).and.match(/c2 (BAD|NO)/);
    const ca = await readFile(join(dir, 'certs', 'ca.pem'), 'utf8');
    const client = (): ImapFlow => new ImapFlow({ host: 'localhost', port: imaps, secure: true, auth: { user: 'ann@example.test', pass: PASS }, logger: false, tls: { ca: [ca] } });
    const c = client();
    await c.connect();
    for (let i = 0; i < 3; i++) await c.append('INBOX', `Subject: before restart ${i}\r\n\r\nbody\r\n`);
    await c.messageFlagsAdd({ all: true }, ['\\Seen'], {}).catch(() => undefined);
    const before = await c.status('INBOX', { uidValidity: true, uidNext: true, highestModseq: true, messages: true });
    await c.logout();
    expect(await stop(first, 'SIGTERM')).to.equal(0);
    await start(env);
    const d = client();
    await d.connect();
    const after = await d.status('INBOX', { uidValidity: true, uidNext: true, highestModseq: true, messages: true });
    expect(after).to.deep.equal(before);
    const r = await d.append('INBOX', 'Subject: after restart\r\n\r\nbody\r\n');
    expect(r && r.uid).to.equal(Number((before as { uidNext: number }).uidNext));
    expect(r && r.uidValidity).to.equal((before as { uidValidity: bigint }).uidValidity);
    await d.logout();
  });

  (BACKENDS.includes('postgres') ? it : it.skip)('two server processes on one PostgreSQL database: IDLE in one hears an APPEND made through the other within a second', async () => {
    const db = await makeTestDatabase('postgres');
    try {
      const common = {
        ...ALL_PORTS_OFF, BUREAU_DATABASE_URL: db.url, BUREAU_DATA_DIR: db.dataDir, BUREAU_CERTS_DIR: join(dir, 'certs'), BUREAU_DOMAIN: 'example.test',
      };
      const [p1, p2] = [await freePort(), await freePort()];
      await start({ ...common, BUREAU_IMAPS_PORT: String(p1) });
      await start({ ...common, BUREAU_IMAPS_PORT: String(p2) });
      await addUser(common, 'bob@example.test');
      const ca = await readFile(join(dir, 'certs', 'ca.pem'), 'utf8');
      const client = (port: number): ImapFlow => new ImapFlow({ host: 'localhost', port, secure: true, auth: { user: 'bob@example.test', pass: PASS }, logger: false, tls: { ca: [ca] } });
      const watcher = client(p1);
      const writer = client(p2);
      await watcher.connect();
      await writer.connect();
      const lock = await watcher.getMailboxLock('INBOX');
      let heard = 0;
      const exists = new Promise<void>((ok) => watcher.on('exists', () => { heard = Date.now(); ok(); }));
      void watcher.idle();
      await new Promise((r) => setTimeout(r, 200));
      const sent = Date.now();
      await writer.append('INBOX', 'Subject: across processes\r\n\r\nbody\r\n');
      await Promise.race([exists, new Promise((_, no) => setTimeout(() => no(new Error('no EXISTS within 2 s')), 2000))]);
      expect(heard - sent).to.be.below(1000);
      lock.release();
      await watcher.logout();
      await writer.logout();
    } finally {
      for (const s of running.splice(0)) await stop(s, 'SIGTERM');
      await db.cleanup();
    }
  });
});
