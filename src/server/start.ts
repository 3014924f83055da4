// Starting the whole server from a validated configuration: data folder,
// store and core, certificates, listeners. Each step that fails stops the
// start with one line naming its cause, and what was begun is undone.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { access, constants, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCore } from '../boot.ts';
import type { Config } from '../config/schema.ts';
import type { Core } from '../core/index.ts';
import { loadOrCreateCertificates, type TlsMaterial } from '../tls/certificates.ts';
import { davHandler } from '../protocols/dav/index.ts';
import { groupwareHandler } from '../protocols/dav/groupware/index.ts';
import { startImap } from '../protocols/imap/listen.ts';
import { startSmtp } from '../protocols/smtp/listen.ts';
import { redirectHandler } from '../web/site.ts';
import { webSite } from '../web/app.ts';
import { Outbound } from '../core/outbound/queue.ts';
import { httpsRouter } from './https.ts';
import { listen, type Listener } from './listeners.ts';
import type { Logger } from './log.ts';

const GARBAGE_INTERVAL_MS = 3_600_000;

export class StartError extends Error {
  override name = 'StartError';
}

export interface RunningServer {
  readonly core: Core;
  readonly tls: TlsMaterial;
  readonly listeners: readonly Listener[];
  stop(): Promise<void>;
}

/** Makes sure the data folder exists and can be written; returns whether it was made now. */
async function prepareDataDir(dir: string): Promise<boolean> {
  let made = false;
  try {
    await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StartError(`data folder ${dir} cannot be written: ${(err as NodeJS.ErrnoException).code}`);
    }
    made = true;
  }
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const probe = join(dir, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (err) {
    throw new StartError(`data folder ${dir} cannot be written: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return made;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const madeDataDir = await prepareDataDir(config.dataDir);
  let core: Core | null = null;
  const listeners: Listener[] = [];
  try {
    core = await openCore(config);
    const tls = await loadOrCreateCertificates({
      certsDir: config.certsDir, hostname: config.hostname, tlsCert: config.tlsCert, tlsKey: config.tlsKey,
    });
    if (tls.generated) log.info(`made TLS certificates in ${config.certsDir}`);
    // the one outbound queue: mail submitted by clients and the web site's own messages
    const outbound = new Outbound(core, {
      relay: config.smtpRelay, hostname: config.hostname,
      retryBaseMs: config.smtp.retrySeconds * 1000, maxDelayMs: Math.max(config.smtp.retrySeconds * 1000, 6 * 3_600_000),
      expireMs: config.smtp.queueHours * 3_600_000, pollMs: Math.min(60_000, config.smtp.retrySeconds * 1000),
      timeoutMs: 30_000, log,
    });
    const web = webSite(core, {
      baseUrl: `https://${config.hostname}${config.ports.https === 443 ? '' : `:${config.ports.https}`}`,
      signupLinkHours: config.web.signupLinkHours, signupsPerHour: config.web.signupsPerHour,
      resetLinkHours: config.web.resetLinkHours, resetsPerHour: config.web.resetsPerHour,
      // the local CA goes into the Apple profile; an operator's own certificate has none
      caCertificate: tls.caPath ? await readFile(tls.caPath, 'utf8') : null,
      from: `noreply@${config.domain}`, send: (sender, recipients, raw) => outbound.enqueue(null, sender, recipients, raw), log,
      clients: { hostname: config.hostname, https: config.ports.https, imap: config.ports.imap, imaps: config.ports.imaps, submission: config.ports.submission, submissions: config.ports.submissions },
    });
    if (config.ports.https !== 0) {
      const files = davHandler(core, { mount: '/files/', depthInfinity: config.dav.depthInfinity }, log);
      const server = createHttpsServer({ cert: tls.cert, key: tls.key }, httpsRouter({ files, groupware: groupwareHandler(core, log), site: web.handler }));
      server.headersTimeout = 30_000;
      server.requestTimeout = 300_000;
      listeners.push(await listen(server, 'https', config.bind, config.ports.https));
    }
    if (config.ports.http !== 0) {
      const server = createHttpServer(redirectHandler(config.hostname, config.ports.https));
      listeners.push(await listen(server, 'http', config.bind, config.ports.http));
    }
    listeners.push(...await startImap({ core, tls, bind: config.bind, port: config.ports.imap, tlsPort: config.ports.imaps, hostname: config.hostname, log }));
    listeners.push(...await startSmtp({ core, tls, bind: config.bind, hostname: config.hostname, port: config.ports.smtp, submissionPort: config.ports.submission, submissionsPort: config.ports.submissions, maxBytes: config.smtp.maxBytes, relay: config.smtpRelay, ratePerHour: config.smtp.ratePerHour, retryBaseSeconds: config.smtp.retrySeconds, expireHours: config.smtp.queueHours, log, outbound }));
    outbound.start();
    const running = core;
    // Hourly: blob files of writes that never committed, expired sign-ups, the
    // login throttle's and rate limits' ended counts. The timer also keeps
    // the process alive when every listener is turned off.
    const collector = setInterval(() => {
      running.store.collectGarbage().catch((err: unknown) => log.warn(`blob collection failed: ${(err as Error).message}`));
      web.site.signups.sweep().catch((err: unknown) => log.warn(`removing expired sign-ups failed: ${(err as Error).message}`));
      running.store.sweepRate(Date.now()).catch((err: unknown) => log.warn(`removing ended rate counts failed: ${(err as Error).message}`));
    }, GARBAGE_INTERVAL_MS);
    let stopping: Promise<void> | null = null;
    return {
      core: running,
      tls,
      listeners,
      stop: () => {
        stopping ??= (async () => {
          clearInterval(collector);
          await Promise.all(listeners.map((l) => l.close(config.shutdownGraceSeconds * 1000)));
          // password reset requests already answered still get their mail queued
          await web.site.resets.settled();
          await outbound.stop(config.shutdownGraceSeconds * 1000);
          await running.store.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close(0)));
    await core?.store.close().catch(() => undefined);
    if (madeDataDir) await rm(config.dataDir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}
