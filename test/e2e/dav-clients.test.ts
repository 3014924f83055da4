// Real Debian CalDAV/CardDAV clients against the real server, through
// ../shared/verify/dav-clients.sh: discovery from the base URL, python3-caldav
// (calendars, events, time-range and recurrence searches, modify, delete),
// vdirsyncer two-way sync of a calendar and an address book (collections
// made by extended MKCOL), a second account refused, and rclone and cadaver
// on the drive. The server's CA is trusted system-wide for the run.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAV_PASSWORD, startDav, type DavServer } from '../support/dav.ts';
import { ROOT } from '../support/server.ts';
import { BACKENDS } from '../support/store.ts';
import { clientEnv, describeRun, run, trustCa } from '../support/trust.ts';

const SCRIPT = join(ROOT, '..', 'shared', 'verify', 'dav-clients.sh');

for (const backend of BACKENDS) {
  describe(`CalDAV/CardDAV clients (dav-clients.sh) on ${backend}`, function () {
    this.timeout(900_000);
    let s: DavServer;
    let untrust: (() => Promise<void>) | null = null;
    let dir: string;

    before(async function () {
      if (!existsSync(SCRIPT)) this.skip();
      s = await startDav(backend);
      dir = await mkdtemp(join(tmpdir(), 'bureau-dav-clients-'));
      await writeFile(join(dir, 'ca.pem'), s.ca);
      untrust = await trustCa(join(dir, 'ca.pem'));
    });
    after(async () => {
      await untrust?.();
      await s?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('passes every client check: discovery, python3-caldav, vdirsyncer two-way sync, isolation, rclone and cadaver', async () => {
      const user = await s.account('clients');
      const other = await s.account('other');
      const r = await run('bash', [SCRIPT, s.origin, user.address, DAV_PASSWORD, `${s.origin}/files/Documents/`], {
        timeoutMs: 840_000,
        env: clientEnv({ DAV_OTHER_USER: other.address, DAV_OTHER_PASS: DAV_PASSWORD }),
      });
      const report = describeRun('dav-clients.sh', r) + `\n--- server\n${s.logs.join('\n')}`;
      const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('clients:')).at(-1) ?? '';
      expect(last, report).to.match(/^clients: \d+ passed, 0 failed$/);
      expect(r.code, report).to.equal(0);
    });
  });
}
