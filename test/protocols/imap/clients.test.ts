// Real Debian IMAP clients against Bureau's IMAP door, through
// ../shared/verify/imap-clients.sh: curl (capabilities, list, append, search
// by Message-ID, byte-identical fetch, examine), neomutt opening INBOX, and
// mbsync syncing a mailbox of 1,000 realistic messages both ways (plain
// listener with login allowed before TLS, as the script's neomutt check
// needs; STARTTLS; and TLS on the second listener, mbsync checking the
// certificate's name). The clients come from Debian (isync, neomutt, curl);
// .ci/run installs them. One backend: the door is the same on both, and the
// protocol suites already run on each.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_SETTINGS } from '../../support/core.ts';
import { BACKENDS } from '../../support/store.ts';
import { startTestImap, type TestImap } from './support.ts';

const VERIFY = resolve(import.meta.dirname, '../../../../shared/verify');
const TOOLS = ['curl', 'mbsync', 'neomutt', 'openssl', 'script', 'timeout'];
const PASS = 'CorrectHorseBattery1';

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeout = 240_000): Promise<{ code: number; out: string }> {
  return new Promise((ok) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      ok({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const missing = async (): Promise<string[]> => {
  const out: string[] = [];
  for (const t of TOOLS) if ((await run('sh', ['-c', `command -v ${t}`])).code !== 0) out.push(t);
  if ((await run('test', ['-x', '/usr/bin/python3'])).code !== 0) out.push('/usr/bin/python3');
  return out;
};

describe('imap door with real clients (curl, neomutt, mbsync)', function () {
  this.timeout(300_000);
  let s: TestImap;
  let dir: string;
  let address: string;

  before(async function () {
    const absent = await missing();
    if (absent.length > 0) {
      console.warn(`    skipped: ${absent.join(', ')} not installed (apt-get install isync neomutt curl; .ci/run does)`);
      this.skip();
    }
    s = await startTestImap(BACKENDS[0] ?? 'sqlite', {
      allowPlainLogin: true,
      settings: { ...TEST_SETTINGS, plans: [...TEST_SETTINGS.plans, { name: 'clients', mailBytes: 200_000_000, filesBytes: 1_000, maxGroups: 1, maxGroupMembers: 2, features: ['clients'], paid: true }] },
    });
    const account = await s.t.core.accounts.create({ address: 'sync@example.test', password: PASS, plan: 'clients' });
    address = account.address;
    // a mailbox of 1,000 realistic messages (threads, HTML, attachments, non-ASCII headers)
    dir = await mkdtemp(join(tmpdir(), 'bureau-imap-clients-'));
    const mbox = join(dir, 'load.mbox');
    const gen = await run('/usr/bin/python3', [join(VERIFY, 'gen-mbox.py'), mbox, '1000', '11']);
    expect(gen.code, gen.out).to.equal(0);
    const messages = (await readFile(mbox)).toString('latin1').split(/^From [^\n]*\n/m).filter((m) => m.length > 0);
    expect(messages).to.have.length(1000);
    for (const m of messages) await s.t.core.mail.messages.deliver(account.id, Buffer.from(m, 'latin1'));
  });
  after(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const script = (tls: string, port: number): Promise<{ code: number; out: string }> =>
    run('bash', [join(VERIFY, 'imap-clients.sh'), 'localhost', String(port), address, PASS], { TLS: tls, CMD_TIMEOUT: '60' });

  it('plain port: curl, neomutt and mbsync (also over STARTTLS) pass every check on 1,000 messages', async () => {
    const r = await script('none', s.port);
    expect(r.out, r.out).to.match(/: 14 passed, 0 failed, 0 skipped/);
    expect(r.out).to.match(/PASS mbsync-full-sync \(1001 messages/);
    expect(r.code, r.out).to.equal(0);
  });

  it('TLS port: curl and mbsync, mbsync checking the certificate for localhost', async () => {
    const r = await script('imaps', s.tlsPort);
    expect(r.out, r.out).to.match(/: 11 passed, 0 failed, 1 skipped/);
    expect(r.code, r.out).to.equal(0);
  });
});
