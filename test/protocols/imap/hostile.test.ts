// Hostile and broken input at the IMAP door: each answered with IMAP's own
// error while other sessions keep working, and nothing stored is lost or
// changed. Malformed and unknown commands, oversized literals and lines,
// floods, a client stalling mid-command, STARTTLS injection, broken MIME and
// 8-bit headers kept as received and still fetchable.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { connect as tlsConnect } from 'node:tls';
import { fixture } from '../../core/mail/fixtures.ts';
import { BACKENDS } from '../../support/store.ts';
import { startTestImap, type RawClient, type TestImap } from './support.ts';

const backend = BACKENDS[0] ?? 'sqlite';

describe(`imap door under hostile input (${backend})`, function () {
  this.timeout(30_000);
  let s: TestImap;
  let bystander: RawClient;
  before(async () => {
    s = await startTestImap(backend);
    const b = await s.account();
    bystander = await s.raw({ secure: true });
    await bystander.login(b.address);
    await bystander.command('SELECT INBOX');
  });
  after(() => s.stop());
  /** Another session is served normally. */
  const othersFine = async (): Promise<void> => {
    expect(await bystander.command('NOOP', 2000)).to.match(/OK/);
  };

  it('loads no native add-on (dtrace-provider and the like stay unloaded)', () => {
    const require = createRequire(import.meta.url);
    const loaded = Object.keys(require.cache);
    expect(loaded.filter((k) => k.endsWith('.node'))).to.deep.equal([]);
    expect(loaded.filter((k) => /dtrace-provider|restify|cbor-extract|msgpackr-extract|mongodb/.test(k))).to.deep.equal([]);
  });

  it('malformed and unknown commands get BAD; the session and everyone else go on', async () => {
    const a = await s.account();
    const r = await s.raw({ secure: true });
    await r.until(/^\* OK/);
    r.write('\r\n');
    expect(await r.command('FROBNICATE')).to.match(/t1 BAD Unknown command/);
    r.write('onlyatag\r\n');
    await r.until(/BAD/);
    await r.login(a.address);
    expect(await r.command('SELECT')).to.match(/BAD/);
    expect(await r.command('FETCH 1:* (FLAGS')).to.match(/BAD/);
    expect(await r.command('SELECT INBOX')).to.match(/OK/);
    expect(await r.command('FETCH x:y FLAGS')).to.match(/BAD/);
    expect(await r.command('STORE 1 +FLAGS (\\Bogus)')).to.match(/BAD|NO/);
    expect(await r.command('UID SEARCH (((((((((((((((((((((((((((((((((((((((ALL)))))))))))))))))))))))))))))))))))))))')).to.match(/OK|BAD|NO/);
    r.write(Buffer.from([0x74, 0x39, 0x20, 0x00, 0xff, 0xfe, 0x0d, 0x0a]));
    await r.until(/BAD/);
    expect(await r.command('NOOP')).to.match(/OK/);
    await othersFine();
  });

  it('literals over the limits are refused before they are sent; over-long lines and commands end with IMAP errors', async () => {
    const a = await s.account();
    const r = await s.raw({ secure: true });
    await r.login(a.address);
    expect(await r.command('APPEND INBOX {999999999999}')).to.match(/NO \[TOOBIG\]/);
    expect(await r.command('LOGIN {5000}')).to.match(/NO|BAD/);
    // a command made of many small literals
    r.write('t90 UID SEARCH');
    for (let i = 0; i < 1_200; i++) {
      r.write(` TEXT {1000}\r\n`);
      const answer = await r.until(/\+ Go ahead\r\n|t90 BAD[^\r]*\r\n/);
      if (/t90 BAD/.test(answer)) break;
      r.write('x'.repeat(1000));
    }
    expect(await r.command('NOOP')).to.match(/OK/);
    const long = await s.raw({ secure: true });
    await long.login(a.address);
    long.write(`t1 NOOP ${'a'.repeat(200_000)}`);
    expect(await long.until(/\* BYE The line is longer/)).to.contain('BYE');
    await new Promise((res) => setTimeout(res, 200));
    expect(long.closed).to.equal(true);
    await othersFine();
  });

  it('a flood of bad commands ends the session with BYE; a flood of good ones is answered in full', async () => {
    const a = await s.account();
    const bad = await s.raw({ secure: true });
    await bad.until(/^\* OK/);
    bad.write('x NONSENSE\r\n'.repeat(80));
    expect(await bad.until(/\* BYE Too many protocol errors/)).to.contain('BYE');
    const good = await s.raw({ secure: true });
    await good.login(a.address);
    let text = '';
    for (let i = 0; i < 2_000; i++) text += `n${i} NOOP\r\n`;
    good.write(text);
    expect(await good.until(/n1999 OK[^\r]*\r\n/, 20_000)).to.contain('n1999 OK');
    await othersFine();
  });

  it('a client stalling in the middle of a command holds up nobody; nothing half-sent is stored', async () => {
    const a = await s.account();
    const stall = await s.raw({ secure: true });
    await stall.login(a.address);
    await stall.command('SELECT INBOX');
    stall.write('t50 APPEND INBOX {100}\r\n');
    await stall.until(/\+ Go ahead/);
    stall.write('Subject: half');
    const half = await s.raw({ secure: true });
    await half.login(a.address);
    half.write('t7 SEL');
    const other = await s.client(a);
    await other.append('INBOX', 'Subject: whole\r\n\r\nwhole\r\n');
    expect(await other.status('INBOX', { messages: true })).to.include({ messages: 1 });
    stall.close();
    half.close();
    await new Promise((res) => setTimeout(res, 100));
    expect(await other.status('INBOX', { messages: true })).to.include({ messages: 1 });
    await other.logout();
    await othersFine();
  });

  it('commands pipelined behind STARTTLS in the same packet are not run in plain text', async () => {
    const a = await s.account();
    const r = await s.raw();
    await r.until(/^\* OK/);
    r.write(`s1 STARTTLS\r\ns2 LOGIN ${a.address} "correct horse battery"\r\ns3 CAPABILITY\r\n`);
    const answer = await r.until(/s1 OK[^\r]*\r\n/);
    expect(answer).to.not.match(/s2|s3/);
    await new Promise((res) => setTimeout(res, 100));
    // the connection is now waiting for a TLS handshake: the injected commands ran neither before nor after it
    const secured = await new Promise<string>((resolve, reject) => {
      const t = tlsConnect({ socket: r.socket, servername: 'localhost', ca: [s.tls.cert] }, () => {
        let got = '';
        t.on('data', (d: Buffer) => { got += d.toString('latin1'); if (/u1 OK/.test(got)) resolve(got); });
        t.write('u1 NOOP\r\n');
      });
      t.on('error', reject);
    });
    expect(secured).to.not.match(/s2|s3/);
  });

  it('broken MIME and 8-bit headers are kept as received and still fetchable, with a readable structure and envelope', async () => {
    const a = await s.account();
    const junk = Buffer.concat([
      Buffer.from('Subject: \xe9t\xe9 \xc3\xa9t\xc3\xa9\r\nFrom: "M\xfcller" <m@example.org>\r\nContent-Type: multipart/mixed; boundary="unterminated\r\n\r\n', 'latin1'),
      Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 0x80, 0x81]),
      Buffer.from('\r\n--unterminated\r\nContent-Type: text/plain; charset=unknown-8bit\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n'),
    ]);
    const samples = [junk, fixture('missing-final-boundary.eml'), fixture('broken-empty-rfc822-double-close-delimiter.eml'),
      fixture('netscape-8bit-latin1-from-header.eml'), fixture('windows-1252-encoded-word-and-8bit-subject.eml')];
    const c = await s.client(a);
    for (const raw of samples) await c.append('INBOX', raw);
    const lock = await c.getMailboxLock('INBOX');
    for (const [i, raw] of samples.entries()) {
      const m = await c.fetchOne(String(i + 1), { source: true, bodyStructure: true, envelope: true });
      expect(m && Buffer.compare(m.source!, raw)).to.equal(0);
      expect(m && m.bodyStructure!.type).to.be.a('string');
    }
    const first = await c.fetchOne('1', { envelope: true });
    expect(first && first.envelope!.from![0]!.name).to.equal('Müller');
    lock.release();
    await c.logout();
    // without UTF8=ACCEPT the 8-bit header reaches the client as encoded words, never as raw bytes
    const r = await s.raw({ secure: true });
    await r.login(a.address);
    await r.command('SELECT INBOX');
    const env = await r.command('FETCH 4 (ENVELOPE)');
    expect(env).to.contain('=?UTF-8?B?').and.not.match(/[\x80-\xff]/);
    await othersFine();
  });
});

describe(`imap door: failed logins are throttled (${backend})`, function () {
  this.timeout(30_000);
  let s: TestImap;
  before(async () => { s = await startTestImap(backend); });
  after(() => s.stop());

  it('after ten failures for an address, the next login is refused without trying the password, and says why', async () => {
    const target = await s.account();
    const r = await s.raw({ secure: true });
    await r.until(/^\* OK/);
    for (let i = 0; i < 10; i++) expect(await r.command(`LOGIN ${target.address} "wrong password ${i}"`)).to.match(/NO \[AUTHENTICATIONFAILED\]/);
    expect(await r.command(`LOGIN ${target.address} "correct horse battery"`)).to.match(/NO \[UNAVAILABLE\] Too many failed logins/);
    const token = Buffer.from(`\0${target.address}\0correct horse battery`).toString('base64');
    expect(await r.command(`AUTHENTICATE PLAIN ${token}`)).to.match(/NO \[UNAVAILABLE\]/);
  });
});
