// The web site in a real browser: Playwright (playwright-core, no downloaded
// browsers) driving Debian's Chromium against the spawned server, over HTTPS
// with the server's generated CA trusted through an NSS database in a
// throwaway HOME (~/.pki/nssdb, certutil from libnss3-tools) — certificate
// errors are NOT ignored. The activation mail goes through the outbound queue
// to ../shared/verify/smtp-sink.sh and is read from its maildir.
//
// sign-up → activation mail → activation → log in → idle timeout 1 minute →
// a real wait → "Session timeout. Please log in again." → log in → create a
// group → add a member (made with the `bureau` CLI) → grant write → upload a
// profile photo (the browser's own multipart form) → log out → "Forgot your
// password?" → the reset mail → a new password → log in with it.
// Fields are found by their labels, which proves the forms are labelled.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ALL_PORTS_OFF, bureauCommand, freePort, ROOT, spawnBureau, stop, waitFor, type Spawned } from '../support/server.ts';
import { clientEnv, run } from '../support/trust.ts';
import { png } from '../web/images.ts';

const CHROMIUM = '/usr/bin/chromium';
const SINK = resolve(ROOT, '../shared/verify/smtp-sink.sh');
const DOMAIN = 'example.test';
const PASSWORD = 'a-long-browser-password';

describe('web site in a real browser (Chromium)', function () {
  this.timeout(300_000);
  let dir: string;
  let home: string;
  let sinkDir: string;
  let sinkPort: number;
  let sinkStarted = false;
  let server: Spawned | null = null;
  let env: NodeJS.ProcessEnv;
  let origin: string;
  let browser: Browser | null = null;
  let context: BrowserContext | null = null;
  let page: Page | null = null;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    for (const tool of ['/usr/bin/certutil', SINK]) if (!existsSync(tool)) throw new Error(`${tool} is missing (libnss3-tools, ../shared/verify)`);
    dir = await mkdtemp(join(tmpdir(), 'bureau-browser-'));
    home = join(dir, 'home');
    await mkdir(join(home, '.pki', 'nssdb'), { recursive: true });

    // the SMTP sink, on a free port
    sinkPort = await freePort();
    sinkDir = await mkdtemp('/tmp/bureau-browser-sink-');
    const sinkEnv = clientEnv({ SMTP_SINK_PORT: String(sinkPort), SMTP_SINK_DIR: sinkDir });
    const started = await run('bash', [SINK, 'start'], { timeoutMs: 60_000, env: sinkEnv });
    if (started.code !== 0) throw new Error(`smtp-sink.sh start failed: ${started.stdout}${started.stderr}`);
    sinkStarted = true;

    // the real server
    const port = await freePort();
    origin = `https://localhost:${port}`;
    env = {
      ...ALL_PORTS_OFF,
      BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'),
      BUREAU_HTTPS_PORT: String(port), BUREAU_DOMAIN: DOMAIN, BUREAU_HOSTNAME: 'localhost',
      BUREAU_SMTP_RELAY: `smtp://127.0.0.1:${sinkPort}`, BUREAU_SMTP_RETRY_SECONDS: '2',
      BUREAU_LOG_LEVEL: 'warn', BUREAU_SHUTDOWN_GRACE_SECONDS: '1',
    };
    server = spawnBureau(env);
    await waitFor(server, 'ready:', 60_000);

    // Chromium trusts the server's CA through the NSS database of its HOME
    const db = `sql:${join(home, '.pki', 'nssdb')}`;
    const made = await run('certutil', ['-N', '-d', db, '--empty-password'], { timeoutMs: 30_000 });
    if (made.code !== 0) throw new Error(`certutil -N: ${made.stderr}`);
    const added = await run('certutil', ['-A', '-d', db, '-n', 'bureau-test-ca', '-t', 'C,,', '-i', join(dir, 'certs', 'ca.pem')], { timeoutMs: 30_000 });
    if (added.code !== 0) throw new Error(`certutil -A: ${added.stderr}`);

    // the second account, made with the command line
    await bureauCommand({ ...clientEnv(), ...env }, ['user', 'add', `bob@${DOMAIN}`, '--plan', 'standard', '--name', 'Bob Member'], `${PASSWORD}\n`, 60_000);

    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu', '--no-first-run', '--disable-sync'],
      env: clientEnv({ HOME: home }),
    });
    context = await browser.newContext({ ignoreHTTPSErrors: false });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      const shots = join(dir, 'screenshots');
      await mkdir(shots, { recursive: true });
      const file = join(shots, `${Date.now()}.png`);
      try {
        await page.screenshot({ path: file, fullPage: true });
        console.log(`      screenshot of the failure: ${file} (url ${page.url()})`);
      } catch (err) {
        console.log(`      no screenshot: ${(err as Error).message}`);
      }
    }
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    if (server) await stop(server);
    if (sinkStarted) await run('bash', [SINK, 'stop'], { timeoutMs: 30_000, env: clientEnv({ SMTP_SINK_PORT: String(sinkPort), SMTP_SINK_DIR: sinkDir }) });
    if (sinkDir) await rm(sinkDir, { recursive: true, force: true });
    // the temp dir stays when a test failed, for its screenshot
    if (dir && !existsSync(join(dir, 'screenshots'))) await rm(dir, { recursive: true, force: true });
  });

  /** The activation link of the first mail the sink holds for `to`. */
  async function activationLink(to: string): Promise<string> {
    return mailedLink(to, 'activate');
  }

  /** The first link to /PATH?token=… in the mails the sink holds for `to`. */
  async function mailedLink(to: string, path: string): Promise<string> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      for (const sub of ['new', 'cur']) {
        const folder = join(sinkDir, 'maildir', sub);
        for (const name of existsSync(folder) ? await readdir(folder) : []) {
          const text = (await readFile(join(folder, name), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
          if (!text.toLowerCase().includes(to.toLowerCase())) continue;
          const m = new RegExp(`https://[^\\s"<>]+/${path}\\?token=[A-Za-z0-9_-]+`).exec(text);
          if (m) return m[0];
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`no mail with a /${path} link for ${to} in ${sinkDir}/maildir within 60 s; server: ${server?.stderr()}`);
  }

  async function logIn(p: Page, address: string, password = PASSWORD): Promise<void> {
    await p.getByLabel('Address', { exact: true }).fill(address);
    await p.getByLabel('Password', { exact: true }).fill(password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.waitForURL(`${origin}/`);
  }

  it('signs up, activates by mail, times out, logs in again, manages a group and logs out', async () => {
    const p = page!;
    const address = `ann@${DOMAIN}`;

    // sign-up, the forms found by label and autocomplete token
    await p.goto(`${origin}/signup`);
    await p.getByLabel('Your name').fill('Ann Browser');
    await p.getByLabel('New address').fill('ann');
    await p.getByLabel('Domain').selectOption(DOMAIN);
    const password = p.locator('input[autocomplete="new-password"]');
    expect(await password.getAttribute('id')).to.equal('password');
    await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await p.locator('input[autocomplete="email"]').fill('ann.outside@elsewhere.test');
    await p.getByRole('button', { name: 'Sign up' }).click();
    await p.getByText('The message does not arrive?').waitFor();

    // the link from the mail the sink caught
    const link = await activationLink('ann.outside@elsewhere.test');
    expect(link.startsWith(`${origin}/activate?token=`)).to.equal(true);
    await p.goto(link);
    await p.getByRole('button', { name: 'Activate my account' }).click();
    await p.waitForURL(/\/login\?done=activated$/);
    await p.getByText('Your account is active. You can log in now.').waitFor();

    // log in; the username field carries its token
    expect(await p.locator('input[autocomplete="username"]').getAttribute('id')).to.equal('address');
    await logIn(p, address);
    await p.getByText('Welcome, Ann Browser').waitFor();

    // the idle timeout at one minute, then a real wait
    await p.goto(`${origin}/settings`);
    await p.getByLabel('Minutes without activity before a session ends').fill('1');
    await p.getByRole('button', { name: 'Save the timeout' }).click();
    await p.waitForURL(/\/settings\?done=idle$/);
    await new Promise((r) => setTimeout(r, 65_000));
    await p.goto(`${origin}/groups`);
    await p.waitForURL(/\/login\?timeout=1$/);
    await p.getByText('Session timeout. Please log in again.').waitFor();

    // log in again, then a group with a member who may write
    await logIn(p, address);
    await p.goto(`${origin}/groups`);
    await p.getByLabel('Name of the group').fill('Browser team');
    await p.getByRole('button', { name: 'Create the group' }).click();
    await p.waitForURL(/\/groups\/\d+/);
    await p.getByLabel('Address of the member').fill(`bob@${DOMAIN}`);
    await p.getByRole('button', { name: 'Add', exact: true }).click();
    const rights = p.getByLabel(`Rights of bob@${DOMAIN}`);
    await rights.waitFor();
    await rights.selectOption('write');
    await p.locator('form', { has: rights }).getByRole('button', { name: 'Save' }).click();
    await p.waitForLoadState();
    const row = p.locator('tr', { hasText: `bob@${DOMAIN}` });
    expect(await row.locator('td').nth(2).textContent()).to.equal('read, write');
    expect(await p.getByLabel(`Rights of bob@${DOMAIN}`).inputValue()).to.equal('write');

    // a profile photo, sent as the browser writes a multipart form, shown back (CSP img-src 'self')
    await p.goto(`${origin}/settings`);
    await p.getByLabel('A picture').setInputFiles({ name: 'ann.png', mimeType: 'image/png', buffer: png(16, 16) });
    await p.getByRole('button', { name: 'Upload the photo' }).click();
    await p.waitForURL(/\/settings\?done=photo$/);
    const photo = p.getByRole('img', { name: 'Your profile photo' });
    await photo.waitFor();
    expect(await photo.evaluate((img) => {
      const i = img as unknown as { complete: boolean; naturalWidth: number };
      return i.complete && i.naturalWidth;
    })).to.equal(16);

    // log out
    await p.getByRole('button', { name: 'Log out' }).click();
    await p.waitForURL(/\/login\?done=logged-out$/);
    await p.getByText('You are logged out.').waitFor();
    await p.goto(`${origin}/settings`);
    await p.waitForURL(/\/login$/);

    // forgot the password: a link by mail to the confirmed address, a new password, then log in with it
    await p.getByRole('link', { name: 'Forgot your password?' }).click();
    await p.getByLabel('Address of your account').fill(address);
    await p.getByRole('button', { name: 'Send me a link' }).click();
    await p.getByText('a link to choose a new password is on its way').waitFor();
    const reset = await mailedLink('ann.outside@elsewhere.test', 'reset/new');
    expect(reset.startsWith(`${origin}/reset/new?token=`)).to.equal(true);
    await p.goto(reset);
    await p.getByLabel('New password').fill('a-newer-browser-password');
    await p.getByRole('button', { name: 'Set the new password' }).click();
    await p.waitForURL(/\/login\?done=password-reset$/);
    await logIn(p, address, 'a-newer-browser-password');
    await p.getByText('Welcome, Ann Browser').waitFor();
  });
});
