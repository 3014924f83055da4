// The outbound queue across a crash, on both backends: the real server as a
// child process sends through a relay that stalls in the middle of DATA; the
// server is killed (SIGKILL) while the attempt is under way, started again,
// and the message reaches the relay once, within seconds (the lease of the
// dead process is freed at start, not waited out for 10 minutes), and leaves
// the queue.
import { expect } from 'chai';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { openStore } from '../../src/store/open.ts';
import { ALL_PORTS_OFF, bureauCommand, freePort, spawnBureau, stop, waitFor, type Spawned } from '../support/server.ts';
import { BACKENDS, makeTestDatabase, type TestDatabase } from '../support/store.ts';
import { until } from './mail-site.ts';

const PASS = 'outbound crash password';

/** A relay whose first DATA never gets an answer; later ones are accepted and recorded. */
class StallingRelay {
  stalled = 0;
  readonly delivered: { to: string[]; raw: string }[] = [];
  port = 0;
  private server: SMTPServer | null = null;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], hideSTARTTLS: true, logger: false,
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        if (this.stalled === 0) {
          this.stalled++;
          return; // never answered: the sender waits until it dies
        }
        stream.on('end', () => {
          this.delivered.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
          cb();
        });
      },
    });
    await new Promise<void>((ok) => this.server!.listen(this.port, '127.0.0.1', () => ok()));
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((ok) => this.server!.close(() => ok()));
  }
}

for (const backend of BACKENDS) {
  describe(`e2e: the outbound queue after a crash mid-attempt (${backend})`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    let env: NodeJS.ProcessEnv;
    let server: Spawned | null = null;
    const relay = new StallingRelay();
    let subs = 0;

    before(async () => {
      await relay.start();
      db = await makeTestDatabase(backend);
      subs = await freePort();
      env = {
        ...ALL_PORTS_OFF, BUREAU_DATA_DIR: db.dataDir, BUREAU_DATABASE_URL: db.url, BUREAU_CERTS_DIR: join(db.dataDir, 'certs'),
        BUREAU_DOMAIN: 'example.test', BUREAU_HOSTNAME: 'localhost', BUREAU_SUBMISSIONS_PORT: String(subs),
        BUREAU_SMTP_RELAY: `smtp://127.0.0.1:${relay.port}`, BUREAU_SHUTDOWN_GRACE_SECONDS: '1', BUREAU_LOG_LEVEL: 'info',
      };
      await bureauCommand(env, ['user', 'add', 'ann@example.test', '--plan', 'standard'], `${PASS}\n`, 30_000);
    });
    after(async function () {
      if (server) {
        if (this.currentTest?.state === 'failed') console.log(server.stdout(), server.stderr());
        await stop(server);
      }
      await relay.stop();
      await db?.cleanup();
    });

    it('delivers the message once, promptly, after the server is killed during the attempt and started again', async () => {
      server = spawnBureau(env);
      await waitFor(server, 'ready:');
      const client = nodemailer.createTransport({
        host: '127.0.0.1', port: subs, secure: true, auth: { user: 'ann@example.test', pass: PASS }, tls: { rejectUnauthorized: false },
      });
      await client.sendMail({ from: 'ann@example.test', to: ['one@far.example', 'two@far.example'], subject: 'across a crash', text: 'hello' });
      client.close();
      await until('the attempt stalled at the relay', () => relay.stalled === 1);
      // the attempt is under way, its lease held: the process dies without a word
      const killed = server;
      expect(await stop(killed, 'SIGKILL')).to.equal('SIGKILL');

      server = spawnBureau(env);
      await waitFor(server, 'ready:');
      const restarted = Date.now();
      await until('the message at the relay', () => relay.delivered.length > 0, 15_000);
      expect(Date.now() - restarted).to.be.below(10_000);
      expect(server.stdout() + server.stderr()).to.match(/1 message\(s\) left leased by a stopped server/);
      // once, to both recipients, and nothing left in the queue
      await new Promise((r) => setTimeout(r, 1_000));
      expect(relay.delivered).to.have.length(1);
      expect(relay.delivered[0]!.to.sort()).to.deep.equal(['one@far.example', 'two@far.example']);
      expect(relay.delivered[0]!.raw).to.match(/Subject: across a crash/);
      const store = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
      try {
        await until('the queue empty', async () => (await store.listOutbound()).length === 0, 5_000);
      } finally {
        await store.close();
      }
    });
  });
}
