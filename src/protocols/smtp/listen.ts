// The SMTP door's listeners: 25 (MX, STARTTLS offered), 587 (submission,
// STARTTLS, no AUTH before it) and 465 (submission over TLS), all with
// Bureau's certificate, and the outbound queue's worker, which runs while
// any of them does. Port 0 turns a listener off.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Core } from '../../core/index.ts';
import { Outbound } from '../../core/outbound/queue.ts';
import { SMTP_LIMITS } from './limits.ts';
import { mxHandlers } from './mx.ts';
import { submissionHandlers } from './submission.ts';

export interface SmtpListener {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  close(graceMs: number): Promise<void>;
}

export interface SmtpLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface SmtpSettings {
  readonly core: Core;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly bind: string;
  readonly hostname: string;
  /** MX; 0: off */
  readonly port: number;
  /** submission with STARTTLS; 0: off */
  readonly submissionPort: number;
  /** submission over TLS; 0: off */
  readonly submissionsPort: number;
  readonly maxBytes: number;
  readonly relay: string | null;
  readonly ratePerHour: number;
  /** the window of that rate; default an hour (tests shorten it) */
  readonly rateWindowMs?: number;
  readonly retryBaseSeconds: number;
  readonly expireHours: number;
  readonly log: SmtpLog;
  /** the server's one outbound queue, started and stopped by its owner; unset: the SMTP door makes and runs its own */
  readonly outbound?: Outbound;
}

async function open(settings: SmtpSettings, protocol: string, port: number, options: SMTPServerOptions): Promise<SmtpListener> {
  const server = new SMTPServer({
    name: settings.hostname,
    banner: 'Bureau ESMTP',
    key: settings.tls.key,
    cert: settings.tls.cert,
    minVersion: 'TLSv1.2',
    size: settings.maxBytes,
    maxCommandLength: SMTP_LIMITS.commandBytes,
    maxRecipients: SMTP_LIMITS.recipients,
    maxClients: SMTP_LIMITS.clients,
    socketTimeout: SMTP_LIMITS.socketTimeoutMs,
    disableReverseLookup: true,
    logger: false,
    ...options,
  } as SMTPServerOptions);
  server.on('error', (err: Error) => settings.log.debug(`smtp: ${err.message}`));
  const net = (server as unknown as { server: import('node:net').Server }).server;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(new Error(`cannot listen on ${settings.bind}:${port} (${protocol}): ${err.code ?? err.message}`));
    net.once('error', onError);
    net.once('listening', () => {
      net.off('error', onError);
      resolve();
    });
    server.listen(port, settings.bind);
  });
  const address = net.address();
  return {
    protocol,
    address: settings.bind,
    port: typeof address === 'object' && address ? address.port : port,
    close: (graceMs) => new Promise<void>((done) => {
      (server as unknown as { options: { closeTimeout: number } }).options.closeTimeout = Math.max(500, graceMs);
      server.close(() => done());
    }),
  };
}

/** Starts the SMTP listeners that are not turned off and the outbound worker; a listener that cannot start stops those already started. */
export async function startSmtp(settings: SmtpSettings): Promise<SmtpListener[]> {
  const owned = !settings.outbound;
  const outbound = settings.outbound ?? new Outbound(settings.core, {
    relay: settings.relay, hostname: settings.hostname,
    retryBaseMs: settings.retryBaseSeconds * 1000, maxDelayMs: Math.max(settings.retryBaseSeconds * 1000, 6 * 3_600_000),
    expireMs: settings.expireHours * 3_600_000, pollMs: Math.min(60_000, settings.retryBaseSeconds * 1000),
    timeoutMs: 30_000, log: settings.log,
  });
  const common = { core: settings.core, hostname: settings.hostname, maxBytes: settings.maxBytes, outbound, log: settings.log };
  const mx = mxHandlers(common);
  const sub = submissionHandlers({ ...common, ratePerHour: settings.ratePerHour, ...(settings.rateWindowMs ? { rateWindowMs: settings.rateWindowMs } : {}) });
  const listeners: SmtpListener[] = [];
  try {
    if (settings.port !== 0) {
      listeners.push(await open(settings, 'smtp', settings.port, {
        secure: false, authOptional: true, disabledCommands: ['AUTH'], onRcptTo: mx.onRcptTo, onData: mx.onData,
      } as SMTPServerOptions));
    }
    const submission = {
      authMethods: ['PLAIN', 'LOGIN'], allowInsecureAuth: false, authOptional: false,
      maxAllowedUnauthenticatedCommands: SMTP_LIMITS.unauthenticatedCommands,
      onAuth: sub.onAuth, onMailFrom: sub.onMailFrom, onRcptTo: sub.onRcptTo, onData: sub.onData,
    };
    if (settings.submissionPort !== 0) listeners.push(await open(settings, 'submission', settings.submissionPort, { ...submission, secure: false } as SMTPServerOptions));
    if (settings.submissionsPort !== 0) listeners.push(await open(settings, 'submissions', settings.submissionsPort, { ...submission, secure: true } as SMTPServerOptions));
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close(0)));
    throw err;
  }
  if (listeners.length === 0) return [];
  if (owned) outbound.start();
  let remaining = listeners.length;
  return listeners.map((l) => ({
    ...l,
    close: async (graceMs: number) => {
      await l.close(graceMs);
      if (--remaining === 0 && owned) await outbound.stop(graceMs);
    },
  }));
}
