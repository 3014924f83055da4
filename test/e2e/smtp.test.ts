// The SMTP door of the real server (`node src/main.ts`): nodemailer through
// submission (587 STARTTLS, 465 TLS) and MX, read back with imapflow; open
// relay, AUTH before STARTTLS, sender spoofing, SIZE, the outbound queue
// through a relay (delivery, DKIM, a temporary failure retried across a
// restart, a permanent one producing a DSN in the sender's INBOX), throttled
// logins, and swaks through ../shared/verify/smtp-check.sh.
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { ALL_PORTS_OFF, bureauCommand as bureau, freePort, ROOT, spawnBureau, stop, waitFor, type Spawned } from '../support/server.ts';
import { Talk } from './mail-site.ts';

const PASS = 'e2e smtp password';
const VERIFY = resolve(ROOT, '../shared/verify');

/** A relay for the queue tests: refuses `bad@` for good (550), `later@` for now (451) while `deferring` is set, keeps the rest. */
class FakeRelay {
  readonly received: { to: string[]; raw: string }[] = [];
  deferring = true;
  server: SMTPServer;
  port = 0;
  constructor() {
    this.server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onRcptTo: (a, _s, cb) => {
        if (a.address.startsWith('bad@')) return cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
        if (a.address.startsWith('later@') && this.deferring) return cb(Object.assign(new Error('4.7.1 greylisted, try later'), { responseCode: 451 }));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => { this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() }); cb(); });
      },
    });
  }
  async start(port: number): Promise<void> {
    this.port = port;
    await new Promise<void>((ok) => this.server.listen(port, '127.0.0.1', () => ok()));
  }
  stop(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('e2e: the SMTP door of the running server', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let ports: { smtp: number; sub: number; subs: number; imaps: number; relay: number };
  let server: Spawned | null = null;
  const relay = new FakeRelay();
  let ca: string;

  const start = async (): Promise<Spawned> => {
    server = spawnBureau(env);
    await waitFor(server, 'ready:');
    return server;
  };
  const inbox = async (address: string): Promise<string[]> => {
    const c = new ImapFlow({ host: 'localhost', port: ports.imaps, secure: true, auth: { user: address, pass: PASS }, logger: false, tls: { ca: [ca] } });
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    const out: string[] = [];
    try {
      if ((c.mailbox as { exists: number }).exists > 0) for await (const m of c.fetch('1:*', { source: true })) out.push(m.source!.toString());
    } finally {
      lock.release();
      await c.logout();
    }
    return out;
  };
  const submitter = (user: string, port = ports.sub, secure = false) => nodemailer.createTransport({
    host: '127.0.0.1', port, secure, requireTLS: !secure, auth: { user, pass: PASS }, tls: { rejectUnauthorized: false },
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bureau-e2e-smtp-'));
    ports = { smtp: await freePort(), sub: await freePort(), subs: await freePort(), imaps: await freePort(), relay: await freePort() };
    await relay.start(ports.relay);
    env = {
      ...ALL_PORTS_OFF, BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'), BUREAU_DOMAIN: 'example.test',
      BUREAU_HOSTNAME: 'localhost', BUREAU_SMTP_PORT: String(ports.smtp), BUREAU_SUBMISSION_PORT: String(ports.sub),
      BUREAU_SUBMISSIONS_PORT: String(ports.subs), BUREAU_IMAPS_PORT: String(ports.imaps),
      BUREAU_SMTP_RELAY: `smtp://127.0.0.1:${ports.relay}`, BUREAU_SMTP_RETRY_SECONDS: '1', BUREAU_SMTP_MAX_BYTES: '2000000',
    };
    const added = await bureau(env, ['domain', 'add', 'second.test']);
    expect(added).to.match(/second\.test\. IN MX 10 localhost\./).and.match(/bureau\._domainkey\.second\.test\. IN TXT "v=DKIM1; k=rsa; p=/)
      .and.match(/_dmarc\.second\.test\. IN TXT "v=DMARC1/).and.match(/IN TXT "v=spf1/);
    for (const a of ['ann@example.test', 'bob@example.test', 'cat@second.test', 'full@example.test']) await bureau(env, ['user', 'add', a, '--plan', 'standard'], `${PASS}\n`);
    await start();
    ca = await readFile(join(dir, 'certs', 'ca.pem'), 'utf8');
  });
  after(async () => {
    if (server) await stop(server, 'SIGKILL');
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints its three listeners', () => {
    const out = server!.stdout();
    expect(out).to.contain(`listening: smtp 127.0.0.1:${ports.smtp}\n`);
    expect(out).to.contain(`listening: submission 127.0.0.1:${ports.sub}\n`);
    expect(out).to.contain(`listening: submissions 127.0.0.1:${ports.subs}\n`);
  });

  it('nodemailer on 587 (STARTTLS) and 465 (TLS): local recipients get the message at once', async () => {
    await submitter('ann@example.test').sendMail({ from: 'ann@example.test', to: 'bob@example.test', subject: 'via 587', text: 'hello bob' });
    await submitter('ann@example.test', ports.subs, true).sendMail({ from: 'Ann <ann@example.test>', to: 'bob@example.test', subject: 'via 465', text: 'hello again' });
    const got = await inbox('bob@example.test');
    expect(got.some((m) => m.includes('Subject: via 587') && m.includes('hello bob'))).to.equal(true);
    expect(got.some((m) => m.includes('Subject: via 465'))).to.equal(true);
  });

  it('MX: nodemailer delivers to a local account, with Authentication-Results; no relaying, unknown users refused', async () => {
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: ports.smtp, secure: false, tls: { rejectUnauthorized: false } });
    await mx.sendMail({ from: 'someone@elsewhere.example', to: 'ann@example.test', subject: 'from the world', text: 'inbound' });
    const got = (await inbox('ann@example.test')).find((m) => m.includes('Subject: from the world'));
    expect(got).to.match(/^Return-Path: <someone@elsewhere\.example>/).and.match(/Authentication-Results: localhost;/);
    const t = await Talk.open(ports.smtp);
    const ehlo = await t.send('EHLO client.example');
    expect(ehlo, ehlo).to.match(/250[- ]SIZE 2000000/);
    expect(await t.send('MAIL FROM:<x@elsewhere.example>')).to.match(/^250/);
    expect(await t.send('RCPT TO:<victim@gmail.com>')).to.match(/^554 5\.7\.1/);
    expect(await t.send('RCPT TO:<nobody@example.test>')).to.match(/^550 5\.1\.1/);
    expect(await t.send('RCPT TO:<"ann@example.test"@gmail.com>')).to.match(/^5\d\d /);
    expect(await t.send('RCPT TO:<ann%example.test@gmail.com>')).to.match(/^554 5\.7\.1/);
    expect(await t.send('AUTH PLAIN AGFubkBleGFtcGxlLnRlc3QAeA==')).to.match(/^5\d\d /);
    t.close();
  });

  it('refuses AUTH before STARTTLS on 587, and spoofed senders after it', async () => {
    const t = await Talk.open(ports.sub);
    const ehlo = await t.send('EHLO client.example');
    expect(ehlo).to.match(/STARTTLS/);
    expect(await t.send(`AUTH PLAIN ${Buffer.from(`\0ann@example.test\0${PASS}`).toString('base64')}`)).to.match(/^538 /);
    expect(await t.send('MAIL FROM:<ann@example.test>')).to.match(/^5\d\d /);
    await t.starttls();
    expect(await t.send('EHLO client.example')).to.match(/AUTH PLAIN LOGIN/);
    expect(await t.send(`AUTH PLAIN ${Buffer.from(`\0ann@example.test\0${PASS}`).toString('base64')}`)).to.match(/^235 /);
    expect(await t.send('MAIL FROM:<bob@example.test>')).to.match(/^553 5\.7\.1/);
    expect(await t.send('MAIL FROM:<ann@example.test>')).to.match(/^250/);
    expect(await t.send('RCPT TO:<bob@example.test>')).to.match(/^250/);
    expect(await t.send('DATA')).to.match(/^354/);
    expect(await t.send('From: bob@example.test\r\nSubject: spoof\r\n\r\nx\r\n.')).to.match(/^553 5\.7\.1/);
    t.close();
    let refused = '';
    await submitter('ann@example.test').sendMail({ from: 'bob@example.test', to: 'bob@example.test', text: 'x' }).catch((e: { response: string }) => { refused = e.response; });
    expect(refused).to.match(/^553 5\.7\.1/);
  });

  it('SIZE is enforced with 552 and the connection goes on', async () => {
    const t = await Talk.open(ports.smtp);
    await t.send('EHLO client.example');
    expect(await t.send('MAIL FROM:<x@elsewhere.example> SIZE=3000000')).to.match(/^552/);
    expect(await t.send('MAIL FROM:<x@elsewhere.example>')).to.match(/^250/);
    expect(await t.send('RCPT TO:<ann@example.test>')).to.match(/^250/);
    expect(await t.send('DATA')).to.match(/^354/);
    const line = 'x'.repeat(998);
    for (let i = 0; i < 2100; i++) t.socket.write(`${line}\r\n`);
    expect(await t.send('.', 20_000)).to.match(/^552 /);
    expect(await t.send('NOOP')).to.match(/^250/);
    t.close();
  });

  it('the queue: delivery through the relay with DKIM, a permanent refusal as a DSN, a temporary one retried across a restart', async () => {
    await submitter('cat@second.test').sendMail({ from: 'cat@second.test', to: ['far@remote.example', 'bad@remote.example', 'later@other.example'], subject: 'outbound', text: 'to the world' });
    await until('the relay got the message', () => relay.received.some((r) => r.to.includes('far@remote.example')));
    const out = relay.received.find((r) => r.to.includes('far@remote.example'))!;
    expect(out.raw).to.match(/^DKIM-Signature: .*d=second\.test/s).and.match(/s=bureau/);
    await until('the DSN in the sender\'s INBOX', async () => (await inbox('cat@second.test')).some((m) => m.includes('multipart/report')));
    const dsn = (await inbox('cat@second.test')).find((m) => m.includes('multipart/report'))!;
    expect(dsn).to.match(/report-type=delivery-status/).and.match(/Final-Recipient: rfc822; bad@remote\.example/).and.match(/Status: 5\.1\.1/).and.match(/Subject: outbound/);
    expect(relay.received.some((r) => r.to.includes('later@other.example'))).to.equal(false);
    // stop while later@ waits in the queue; the relay now accepts; the restarted server delivers it
    expect(await stop(server!, 'SIGTERM')).to.equal(0);
    relay.deferring = false;
    await start();
    await until('the deferred message after the restart', () => relay.received.some((r) => r.to.includes('later@other.example')));
  });

  it('hostile input: over-long lines, command floods and a client stalled mid-DATA leave others served', async () => {
    const stalled = await Talk.open(ports.smtp);
    await stalled.send('EHLO s');
    await stalled.send('MAIL FROM:<s@elsewhere.example>');
    await stalled.send('RCPT TO:<ann@example.test>');
    expect(await stalled.send('DATA')).to.match(/^354/);
    stalled.socket.write('Subject: stall\r\n\r\nhalf a message');
    const long = await Talk.open(ports.smtp);
    expect(await long.send(`EHLO ${'a'.repeat(10_000)}`)).to.match(/^(421|500)/);
    long.close();
    const flood = await Talk.open(ports.sub);
    flood.socket.write('NOOP\r\n'.repeat(5000));
    await new Promise((r) => setTimeout(r, 500));
    flood.close();
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: ports.smtp, secure: false, tls: { rejectUnauthorized: false } });
    await mx.sendMail({ from: 'someone@elsewhere.example', to: 'ann@example.test', subject: 'while others misbehave', text: 'fine' });
    expect((await inbox('ann@example.test')).some((m) => m.includes('while others misbehave'))).to.equal(true);
    stalled.close();
  });

  it('swaks through smtp-check.sh on MX and on submission', function () {
    if (spawnSync('which', ['swaks']).status !== 0) this.skip();
    const mx = spawnSync('bash', [join(VERIFY, 'smtp-check.sh'), '127.0.0.1', String(ports.smtp), 'sender@elsewhere.example', 'ann@example.test'], {
      env: { ...process.env, TO2: 'bob@example.test', CMD_TIMEOUT: '20' }, encoding: 'utf8', timeout: 90_000,
    });
    expect(mx.stdout, mx.stdout).to.match(/SUMMARY .*: \d+ passed, 0 failed/);
    const sub = spawnSync('bash', [join(VERIFY, 'smtp-check.sh'), '127.0.0.1', String(ports.sub), 'ann@example.test', 'bob@example.test'], {
      env: { ...process.env, TO2: 'ann@example.test', CMD_TIMEOUT: '20', AUTH_USER: 'ann@example.test', AUTH_PASS: PASS }, encoding: 'utf8', timeout: 90_000,
    });
    // without AUTH, submission refuses every send (530): only the authenticated one passes
    expect(sub.stdout, sub.stdout).to.match(/PASS ehlo/).and.match(/PASS swaks-auth-plain-tls/).and.match(/FAIL swaks-plain/);
  });
  // last: afterwards this client's address is blocked
  it('throttles logins after repeated bad passwords, per account, even with the right one', async () => {
    {
      const bad = nodemailer.createTransport({ host: '127.0.0.1', port: ports.subs, secure: true, auth: { user: 'full@example.test', pass: 'wrong password' }, tls: { rejectUnauthorized: false } });
      const e = await bad.sendMail({ from: 'full@example.test', to: 'ann@example.test', text: 'x' }).then(() => null, (x: { responseCode: number }) => x);
      expect(e?.responseCode).to.equal(535);
    }
    for (let i = 0; i < 9; i++) {
      const bad = nodemailer.createTransport({ host: '127.0.0.1', port: ports.subs, secure: true, auth: { user: 'full@example.test', pass: 'wrong password' }, tls: { rejectUnauthorized: false } });
      await bad.sendMail({ from: 'full@example.test', to: 'ann@example.test', text: 'x' }).catch(() => undefined);
    }
    const right = await submitter('full@example.test', ports.subs, true).sendMail({ from: 'full@example.test', to: 'ann@example.test', text: 'x' }).then(() => null, (x: { response: string }) => x.response);
    expect(right).to.match(/^454 4\.7\.0/);
  });

});
