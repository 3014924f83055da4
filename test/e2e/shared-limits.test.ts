// The login throttle and the sending rate are counted in the database: two
// server processes (`node src/main.ts`) on one database share them, and a
// restart keeps them. Failed IMAP logins spread over both processes block the
// account (and the client) after the one shared limit, on both; the blocked
// process, restarted, still refuses. Recipients sent through both processes'
// submission ports count against the account's one hourly rate. On PostgreSQL
// (the scale-out set-up) and on SQLite, where two processes may open one data
// folder (each sees the other's writes through the database file).
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import nodemailer from 'nodemailer';
import { ALL_PORTS_OFF, bureauCommand as bureau, freePort, spawnBureau, stop, waitFor, type Spawned } from '../support/server.ts';
import { BACKENDS, makeTestDatabase, type TestDatabase } from '../support/store.ts';

const PASS = 'shared limits password';

/** One IMAP LOGIN over TLS: the tagged answer's line. */
function imapLogin(port: number, ca: string, user: string, pass: string): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: [ca], servername: 'localhost' });
    let text = '';
    let sent = false;
    const timer = setTimeout(() => { socket.destroy(); fail(new Error(`no answer to LOGIN within 20 s: ${text}`)); }, 20_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!sent && text.includes('\r\n')) {
        sent = true;
        socket.write(`a1 LOGIN ${user} "${pass}"\r\n`);
      }
      const answer = /^a1 .*$/m.exec(text);
      if (answer) {
        clearTimeout(timer);
        socket.end('a2 LOGOUT\r\n');
        ok(answer[0].trim());
      }
    });
    socket.on('error', (err) => { clearTimeout(timer); fail(err); });
  });
}

const WRONG = /^a1 NO \[AUTHENTICATIONFAILED\]/;
const BLOCKED = /^a1 NO \[UNAVAILABLE\] Too many failed logins/;

for (const backend of BACKENDS) {
  describe(`e2e: login throttle and sending rate shared by two processes on one database (${backend})`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    const running: Spawned[] = [];
    let ca = '';
    const ports = { a: { imaps: 0, subs: 0 }, b: { imaps: 0, subs: 0 } };
    let shared: NodeJS.ProcessEnv;

    const envOf = (p: { imaps: number; subs: number }): NodeJS.ProcessEnv => ({ ...shared, BUREAU_IMAPS_PORT: String(p.imaps), BUREAU_SUBMISSIONS_PORT: String(p.subs) });
    const start = async (p: { imaps: number; subs: number }): Promise<Spawned> => {
      const s = spawnBureau(envOf(p));
      running.push(s);
      await waitFor(s, 'ready:');
      return s;
    };

    before(async () => {
      db = await makeTestDatabase(backend);
      for (const p of [ports.a, ports.b]) [p.imaps, p.subs] = [await freePort(), await freePort()];
      shared = {
        ...ALL_PORTS_OFF, BUREAU_DATA_DIR: db.dataDir, BUREAU_DATABASE_URL: db.url, BUREAU_CERTS_DIR: join(db.dataDir, 'certs'),
        BUREAU_DOMAIN: 'example.test', BUREAU_SUBMISSION_RATE_PER_HOUR: '3',
      };
      await start(ports.a);
      await start(ports.b);
      ca = await readFile(join(db.dataDir, 'certs', 'ca.pem'), 'utf8');
      for (const who of ['ann', 'bob', 'cat', 'dan']) await bureau(shared, ['user', 'add', `${who}@example.test`, '--plan', 'standard'], `${PASS}\n`);
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed') for (const s of running) console.log(s.stdout(), s.stderr());
    });
    after(async () => {
      for (const s of running.splice(0)) await stop(s);
      await db?.cleanup();
    });

    // first: the IMAP test leaves this client's address blocked for logins
    it('submission: the recipients an account sends to through both processes count against its one hourly rate', async () => {
      const send = async (port: number, to: string[], subject: string): Promise<{ accepted: string[]; refusals: string[] }> => {
        const client = nodemailer.createTransport({ host: '127.0.0.1', port, secure: true, auth: { user: 'cat@example.test', pass: PASS }, tls: { ca: [ca], servername: 'localhost' } });
        try {
          const info = await client.sendMail({ from: 'cat@example.test', to, subject, text: 'x' });
          const errors = (info as unknown as { rejectedErrors?: { response: string }[] }).rejectedErrors ?? [];
          return { accepted: info.accepted as string[], refusals: errors.map((e) => e.response) };
        } catch (err) {
          return { accepted: [], refusals: [(err as { response?: string }).response ?? String(err)] };
        } finally {
          client.close();
        }
      };
      const first = await send(ports.b.subs, ['ann@example.test', 'bob@example.test'], 'through b');
      expect(first).to.deep.equal({ accepted: ['ann@example.test', 'bob@example.test'], refusals: [] });
      const second = await send(ports.a.subs, ['dan@example.test', 'bob@example.test'], 'through a');
      expect(second.accepted).to.deep.equal(['dan@example.test']);
      expect(second.refusals).to.have.length(1);
      expect(second.refusals[0]).to.match(/^451 4\.7\.1 Sending rate limit reached: cat@example\.test may send to 3 recipients an hour; try again in (59|60) minutes$/);
      const third = await send(ports.b.subs, ['ann@example.test'], 'through b again');
      expect(third.accepted).to.deep.equal([]);
      expect(third.refusals[0]).to.match(/^451 4\.7\.1 Sending rate limit reached/);
    });

    it('IMAP: ten failures spread over both processes block the account on both; a restart does not forget them', async () => {
      // the password works on both to begin with
      expect(await imapLogin(ports.a.imaps, ca, 'ann@example.test', PASS)).to.match(/^a1 OK/);
      expect(await imapLogin(ports.b.imaps, ca, 'ann@example.test', PASS)).to.match(/^a1 OK/);
      // 5 wrong passwords on each: each process alone has seen only half the limit
      for (let i = 0; i < 10; i++) {
        expect(await imapLogin(i % 2 === 0 ? ports.a.imaps : ports.b.imaps, ca, 'ann@example.test', `wrong ${i}`), `failure ${i}`).to.match(WRONG);
      }
      // the right password is refused on both now, without being tried
      expect(await imapLogin(ports.a.imaps, ca, 'ann@example.test', PASS)).to.match(BLOCKED);
      expect(await imapLogin(ports.b.imaps, ca, 'ann@example.test', PASS)).to.match(BLOCKED);
      // a restart of the first process keeps the count
      await stop(running.shift()!);
      await start(ports.a);
      expect(await imapLogin(ports.a.imaps, ca, 'ann@example.test', PASS)).to.match(BLOCKED);
      // another account from the same client is blocked as well (the client's address reached the limit too)
      expect(await imapLogin(ports.b.imaps, ca, 'bob@example.test', PASS)).to.match(BLOCKED);
    });
  });
}
