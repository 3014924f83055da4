// litmus, the WebDAV compliance suite (Debian package `litmus`), against the
// drive of the real server: every suite (basic, copymove, props, locks, http)
// through ../shared/verify/webdav-litmus.sh, over HTTPS with the server's CA
// trusted by the system, on each database backend.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DriveSite } from '../support/drive-site.ts';
import { ROOT } from '../support/server.ts';
import { BACKENDS } from '../support/store.ts';
import { clientEnv, describeRun, run } from '../support/trust.ts';

const SCRIPT = resolve(ROOT, '../shared/verify/webdav-litmus.sh');
const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'];
/** litmus 0.13 over HTTPS runs 103 tests (the http suite's expect100 is skipped for TLS). */
const AT_LEAST = 103;

for (const backend of BACKENDS) {
  describe(`e2e: litmus against the WebDAV drive (${backend})`, function () {
    this.timeout(15 * 60_000);
    const site = new DriveSite();
    const user = 'litmus@example.test';
    // no spaces: the script passes the password unquoted
    const pass = `Litmus-${randomBytes(8).toString('hex')}`;

    before(() => site.start(backend, 'bureau-litmus-', user, pass));
    after(() => site.stop());

    it(`passes every suite with no failure and no aborted suite (at least ${AT_LEAST} tests)`, async () => {
      const r = await run('bash', [SCRIPT, site.documentsUrl, user, pass], {
        cwd: site.dir,
        timeoutMs: 12 * 60_000,
        env: clientEnv({ LITMUS_OUT: join(site.dir, 'litmus-out'), LITMUS_SUITE_TIMEOUT: '120' }),
      });
      const lines = r.stdout.trim().split('\n');
      const problems = lines.filter((l) => / FAIL|WARNING:|ABORTED/.test(l));
      const report = `${problems.length ? `${problems.join('\n')}\n` : ''}${describeRun('webdav-litmus.sh', r)}\nserver stderr:\n${site.serverLog(4000)}`;
      expect(r.timedOut, report).to.equal(false);
      const last = /^litmus: (\d+) passed, (\d+) failed$/.exec(lines.at(-1) ?? '');
      expect(last, `the last line is not "litmus: N passed, N failed"\n${report}`).to.not.equal(null);
      expect(Number(last![2]), `litmus failures:\n${report}`).to.equal(0);
      expect(Number(last![1]), report).to.be.at.least(AT_LEAST);
      const extra = lines.find((l) => l.startsWith('litmus-extra:')) ?? '';
      expect(extra, report).to.match(/, 0 aborted-suites$/);
      for (const suite of SUITES) {
        const line = lines.find((l) => l.startsWith(`${suite}:`));
        expect(line, `no summary line for the ${suite} suite\n${report}`).to.be.a('string');
        expect(line, report).to.match(/ 0 failed/);
        expect(line, report).to.not.contain('ABORTED');
      }
      expect(r.code, report).to.equal(0);
    });
  });
}
