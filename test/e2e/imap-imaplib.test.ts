// Python's imaplib (Debian's /usr/bin/python3) against IMAPS of the whole
// server, on both backends: a short script run as a child process logs in
// (certificate checked against the server's CA), selects INBOX, searches,
// fetches a message whole, sets a flag, logs out. ../shared/verify/
// imap-clients.sh drives curl, neomutt and mbsync, not imaplib.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKENDS } from '../support/store.ts';
import { MailSite, PASS } from './mail-site.ts';

const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import hashlib, imaplib, ssl, sys
host, port, user, password, cafile = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=cafile)
m = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx, timeout=30)
print('CAPABILITY', ' '.join(m.capabilities))
print('LOGIN', m.login(user, password)[0])
typ, data = m.select('INBOX')
print('SELECT', typ, data[0].decode())
typ, data = m.search(None, 'SUBJECT', '"imaplib probe"')
ids = data[0].split()
print('SEARCH', typ, ' '.join(i.decode() for i in ids))
typ, data = m.fetch(ids[0], '(RFC822)')
print('FETCH', typ, hashlib.sha256(data[0][1]).hexdigest())
typ, data = m.store(ids[0], '+FLAGS', '(\\Flagged)')
print('STORE', typ, data[0].decode())
typ, data = m.uid('SEARCH', None, 'FLAGGED')
print('FLAGGED', typ, data[0].decode())
print('LOGOUT', m.logout()[0])
`;

function python(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 40_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', fail);
    child.on('close', (status) => ok({ status, stdout, stderr }));
  });
}

for (const backend of BACKENDS) {
  describe(`e2e: python imaplib over IMAPS (${backend})`, function () {
    this.timeout(60_000);
    let site: MailSite;

    before(async function () {
      if (!existsSync(PYTHON)) this.skip();
      site = new MailSite({ backend });
      await site.start();
      await site.account('ann@example.test');
    });
    after(async () => {
      await site?.cleanup();
    });

    it('logs in, selects, searches, fetches the bytes as stored, flags and logs out', async () => {
      const id = (await site.core.accounts.byAddress('ann@example.test')).id;
      await site.core.mail.messages.deliver(id, Buffer.from('From: a@elsewhere.example\r\nSubject: something else\r\n\r\nnot this one\r\n'));
      const probe = Buffer.from('From: b@elsewhere.example\r\nSubject: imaplib probe\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nÉtat: ça marche.\r\n', 'utf8');
      await site.core.mail.messages.deliver(id, probe);
      const script = join(site.db.dataDir, 'probe.py');
      await writeFile(script, SCRIPT);
      const ca = join(site.db.dataDir, 'certs', 'ca.pem');
      // asynchronously: the server answering it runs in this process
      const run = await python([script, 'localhost', String(site.ports.imaps), 'ann@example.test', PASS, ca]);
      expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
      const lines = Object.fromEntries(run.stdout.trim().split('\n').map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]));
      expect(lines.CAPABILITY).to.match(/\bIMAP4REV1\b/).and.match(/\bAUTH=PLAIN\b/);
      expect(lines.LOGIN).to.equal('OK');
      expect(lines.SELECT).to.equal('OK 2');
      expect(lines.SEARCH).to.equal('OK 2');
      expect(lines.FETCH).to.equal(`OK ${createHash('sha256').update(probe).digest('hex')}`);
      expect(lines.STORE).to.match(/^OK 2 \(.*\\Flagged.*\)$/);
      expect(lines.FLAGGED).to.equal('OK 2');
      expect(lines.LOGOUT).to.equal('BYE');
      // another client sees the flag
      const flags = await site.imap('ann@example.test', async (c) => {
        const lock = await c.getMailboxLock('INBOX');
        try {
          const m = await c.fetchOne('2', { flags: true });
          return m ? m.flags : undefined;
        } finally {
          lock.release();
        }
      });
      expect([...(flags ?? [])]).to.include('\\Flagged');
    });
  });
}
