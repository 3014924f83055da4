// Pictures of the web site for the README: starts the real server in a
// throwaway folder (HTTPS only, on a free loopback port), makes two accounts
// and a group with the `bureau` command line, and has Debian's Chromium
// (driven by playwright-core) photograph the pages into docs/pages/.
//
//   node scripts/screenshots.ts            (npm run screenshots)
//
// The certificate is the server's own fresh CA, which this browser is told to
// accept; the tests (test/e2e/web-browser.test.ts) check certificates for real.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { ALL_PORTS_OFF, bureauCommand, freePort, ROOT, spawnBureau, stop, waitFor } from '../test/support/server.ts';

const OUT = resolve(ROOT, 'docs/pages');
const CHROMIUM = '/usr/bin/chromium';
const DOMAIN = 'example.org';
const PASSWORD = 'a-long-screenshot-password';

async function shoot(page: Page, origin: string, path: string, name: string): Promise<void> {
  await page.goto(origin + path);
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  console.log(`docs/pages/${name}.png  ${path}`);
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  const dir = await mkdtemp(join(tmpdir(), 'bureau-shots-'));
  const port = await freePort();
  const origin = `https://localhost:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, BUREAU_BIND: '127.0.0.1', ...ALL_PORTS_OFF, BUREAU_HTTPS_PORT: String(port),
    BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'),
    BUREAU_DOMAIN: DOMAIN, BUREAU_HOSTNAME: 'localhost', BUREAU_LOG_LEVEL: 'warn',
    BUREAU_SMTP_RELAY: 'smtp://127.0.0.1:9', BUREAU_SHUTDOWN_GRACE_SECONDS: '1',
  };
  const server = spawnBureau(env);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu'] });
  try {
    await waitFor(server, 'ready:', 60_000);
    await bureauCommand(env, ['user', 'add', `ann@${DOMAIN}`, '--plan', 'standard', '--name', 'Ann Lee'], `${PASSWORD}\n`, 60_000);
    await bureauCommand(env, ['user', 'add', `bob@${DOMAIN}`, '--plan', 'standard', '--name', 'Bob Martin'], `${PASSWORD}\n`, 60_000);
    await bureauCommand(env, ['group', 'create', 'Team', '--admin', `ann@${DOMAIN}`], '', 60_000);
    await bureauCommand(env, ['group', 'add', 'Team', `bob@${DOMAIN}`], '', 60_000);
    await mkdir(OUT, { recursive: true });

    for (const lang of ['en', 'fr'] as const) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 960, height: 640 }, locale: lang === 'fr' ? 'fr-FR' : 'en-GB' });
      const page = await context.newPage();
      const suffix = lang === 'en' ? '' : '.fr';
      await shoot(page, origin, `/login?lang=${lang}`, `login${suffix}`);
      if (lang === 'en') await shoot(page, origin, '/signup', 'signup');
      await page.goto(`${origin}/login`);
      await page.locator('#address').fill(`ann@${DOMAIN}`);
      await page.locator('#password').fill(PASSWORD);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('form[action="/login"] button[type="submit"]').click()]);
      await shoot(page, origin, '/settings', `settings${suffix}`);
      if (lang === 'en') {
        await shoot(page, origin, '/groups', 'groups');
        await page.goto(`${origin}/groups`);
        const team = page.locator('a', { hasText: 'Team' }).first();
        const href = await team.getAttribute('href');
        if (href) await shoot(page, origin, href, 'group');
        await page.goto(`${origin}/sharing`);
        await Promise.all([page.waitForLoadState('load'), page.locator('form[action="/sharing/share"] button[type="submit"]').click()]);
        await shoot(page, origin, '/sharing', 'sharing');
        await shoot(page, origin, '/help', 'help');
      }
      await context.close();
    }
  } finally {
    await browser.close().catch(() => undefined);
    await stop(server);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`screenshots: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
