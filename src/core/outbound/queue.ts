// The outbound queue: messages submitted for other domains wait in the store
// (so a restart loses nothing) until one background worker delivers them,
// through the relay (BUREAU_SMTP_RELAY) or to the domain's MX hosts, with
// STARTTLS whenever offered. Temporary failures are retried with growing
// delays until the message expires; a permanent failure or the expiry sends
// a delivery status notification (RFC 3464) to the sender's INBOX.
//
// An attempt's outcome is written in one statement (settleOutbound): the
// message leaves the queue, or stays for the recipients refused for now
// only, so that no crash re-sends to recipients that accepted it nor loses
// the others. A message is leased while it is tried, in the name of this boot
// of this process (host/pid/boot id); a server starting again frees at once
// the leases of its earlier boots and of dead processes of its host, while
// those of processes it cannot see (other hosts on PostgreSQL) run out.
import { randomUUID } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { hostname } from 'node:os';
import nodemailer from 'nodemailer';
import type { Core } from '../index.ts';
import type { OutboundMessage } from '../../store/types.ts';
import { buildDsn, type FailedRecipient } from './dsn.ts';

export interface OutboundSettings {
  /** `smtp://host:port` (or smtps://); null: delivery to each domain's MX */
  readonly relay: string | null;
  /** the name in EHLO and in notifications */
  readonly hostname: string;
  /** the delay before the first retry; each further one doubles, up to `maxDelayMs` */
  readonly retryBaseMs: number;
  readonly maxDelayMs: number;
  /** how long a message is tried before it is given up */
  readonly expireMs: number;
  /** how often the worker looks for due messages when nothing wakes it */
  readonly pollMs: number;
  /** SMTP connection, greeting and socket timeouts */
  readonly timeoutMs: number;
  /** MX lookup; default: the system resolver, bounded in time */
  readonly resolveMx?: (domain: string) => Promise<{ exchange: string; priority: number }[]>;
  readonly log: { debug(m: string): void; info(m: string): void; warn(m: string): void };
}

const BATCH = 10;
const LEASE_MS = 10 * 60_000;

/** The lease holders of this process that are running (several queues may run in one process, e.g. in tests). */
const running = new Set<string>();

/**
 * Whether the holder of a lease is known to be gone: a holder of this host
 * whose process has ended, or an earlier boot of this process (same pid, not
 * running). Holders of other hosts cannot be seen: their leases run out.
 */
export function holderGone(holder: string, host = hostname(), alive = processAlive): boolean {
  const m = /^(.*)\/(\d+)\/([^/]+)$/.exec(holder);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return !running.has(holder);
  return !alive(pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An attempt's outcome for some recipients. */
class DeliveryError extends Error {
  readonly permanent: boolean;
  readonly status: string;
  readonly remoteMta: string | undefined;
  constructor(message: string, permanent: boolean, status: string, remoteMta?: string) {
    super(message);
    this.permanent = permanent;
    this.status = status;
    this.remoteMta = remoteMta;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

const resolver = new dns.Resolver({ timeout: 2000, tries: 2 });
async function systemMx(domain: string): Promise<{ exchange: string; priority: number }[]> {
  try {
    return await withTimeout(resolver.resolveMx(domain), 5000, `MX lookup of ${domain}`);
  } catch (err) {
    // no MX record: the domain itself (RFC 5321 5.1)
    if ((err as NodeJS.ErrnoException).code === 'ENODATA') return [{ exchange: domain, priority: 0 }];
    throw err;
  }
}

function statusOf(err: { responseCode?: number; response?: string }): string {
  const m = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(err.response ?? '');
  if (m) return m[1]!;
  return (err.responseCode ?? 400) >= 500 ? '5.0.0' : '4.0.0';
}

export class Outbound {
  private readonly core: Core;
  private readonly settings: OutboundSettings;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  /** who holds the leases this queue takes: host/pid/boot */
  readonly holder = `${hostname()}/${process.pid}/${randomUUID()}`;

  constructor(core: Core, settings: OutboundSettings) {
    this.core = core;
    this.settings = settings;
  }

  /** Queues a message for remote recipients, DKIM-signed when the sender's domain is hosted here. */
  async enqueue(accountId: number | null, sender: string, recipients: readonly string[], raw: Uint8Array): Promise<void> {
    const senderDomain = sender.split('@')[1]?.toLowerCase() ?? '';
    let bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (senderDomain && (await this.core.domains.isHosted(senderDomain))) {
      const signature = await this.core.dkim.signature(senderDomain, bytes).catch((err: unknown) => {
        this.settings.log.warn(`smtp: DKIM signing for ${senderDomain} failed: ${(err as Error).message}`);
        return '';
      });
      if (signature) bytes = Buffer.concat([Buffer.from(signature.replace(/\r?\n/g, '\r\n')), bytes]);
    }
    const byDomain = new Map<string, string[]>();
    for (const r of recipients) {
      const d = r.split('@')[1]!.toLowerCase();
      byDomain.set(d, [...(byDomain.get(d) ?? []), r]);
    }
    const now = Date.now();
    await this.core.store.enqueueOutbound([...byDomain].map(([domain, rcpts]) => ({
      accountId, sender, recipients: rcpts, domain, raw: bytes, nextAttemptAt: now, expiresAt: now + this.settings.expireMs,
    })));
    this.wake();
  }

  /** Starts the one worker loop. */
  start(): void {
    if (this.running) return;
    this.stopped = false;
    running.add(this.holder);
    this.running = this.releaseGone().then(() => this.loop());
  }

  /** Frees the messages whose lease holder is known to be gone (see holderGone): due again at once. */
  async releaseGone(): Promise<number> {
    try {
      const gone = (await this.core.store.outboundLeaseHolders(Date.now())).filter((h) => holderGone(h.holder)).map((h) => h.holder);
      if (gone.length === 0) return 0;
      const released = await this.core.store.releaseOutboundLeases(gone);
      this.settings.log.info(`smtp: outbound queue: ${released} message(s) left leased by a stopped server (${gone.join(', ')}) are due again`);
      return released;
    } catch (err) {
      this.settings.log.warn(`smtp: outbound queue: the leases of stopped servers could not be released: ${(err as Error).message}`);
      return 0;
    }
  }

  /** Stops the worker; waits at most `graceMs` for an attempt under way (its lease makes it due again later). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.wake();
    if (this.running) await withTimeout(this.running, Math.max(graceMs, 100), 'outbound worker').catch(() => undefined);
    this.running = null;
    running.delete(this.holder);
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      try {
        await this.runOnce();
      } catch (err) {
        this.settings.log.warn(`smtp: outbound queue: ${(err as Error).message}`);
      }
      if (this.stopped || this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.pollMs);
        this.wakeUp = () => { clearTimeout(timer); resolve(); };
      });
      this.wakeUp = null;
    }
  }

  /** Tries every due message once; returns how many were tried. */
  async runOnce(): Promise<number> {
    let tried = 0;
    while (!this.stopped) {
      const due = await this.core.store.claimOutbound(Date.now(), BATCH, LEASE_MS, this.holder);
      if (due.length === 0) break;
      await Promise.all(due.map((m) => this.attempt(m)));
      tried += due.length;
    }
    return tried;
  }

  private async attempt(m: OutboundMessage): Promise<void> {
    let rejected: FailedRecipient[];
    try {
      rejected = await this.send(m);
    } catch (err) {
      await this.failed(m, err);
      return;
    }
    const permanent = rejected.filter((r) => r.status.startsWith('5'));
    const temporary = rejected.filter((r) => !r.status.startsWith('5'));
    const next = this.nextAttempt(m);
    const expired = temporary.length > 0 && next >= m.expiresAt;
    // the outcome first, in one statement: the recipients refused for now stay
    // queued (with the attempts made so far), the others are done with; then
    // the notices, so that a crash in between costs a notice, never a copy
    await this.core.store.settleOutbound(m.id, temporary.length > 0 && !expired
      ? { recipients: temporary.map((t) => t.address), nextAttemptAt: next, error: temporary.map((t) => `<${t.address}>: ${t.diagnostic}`).join('; ') }
      : null);
    if (permanent.length > 0) await this.bounce(m, permanent, false);
    if (expired) await this.bounce(m, temporary, true);
    this.settings.log.debug(`smtp: outbound ${m.id} to ${m.domain}: delivered to ${m.recipients.length - rejected.length} of ${m.recipients.length}`);
  }

  /** The whole attempt failed: tried again later, or (refused for good, or too old) given up with a notice. */
  private async failed(m: OutboundMessage, err: unknown): Promise<void> {
    const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, false, '4.4.1');
    const next = this.nextAttempt(m);
    if (e.permanent || next >= m.expiresAt) {
      await this.core.store.settleOutbound(m.id, null);
      await this.bounce(m, m.recipients.map((address) => ({ address, status: e.permanent ? e.status : '4.4.7', diagnostic: e.message, ...(e.remoteMta ? { remoteMta: e.remoteMta } : {}) })), !e.permanent);
      this.settings.log.info(`smtp: outbound ${m.id} to ${m.domain} ${e.permanent ? 'refused' : 'expired'}: ${e.message}`);
    } else {
      await this.core.store.deferOutbound(m.id, next, e.message);
      this.settings.log.debug(`smtp: outbound ${m.id} to ${m.domain} deferred: ${e.message}`);
    }
  }

  private nextAttempt(m: OutboundMessage): number {
    return Date.now() + Math.min(this.settings.maxDelayMs, this.settings.retryBaseMs * 2 ** Math.min(m.attempts, 30));
  }

  /** Sends to the relay or the MX hosts in turn; returns the recipients refused while others were accepted. */
  private async send(m: OutboundMessage): Promise<FailedRecipient[]> {
    const targets: { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } }[] = [];
    if (this.settings.relay) {
      const u = new URL(this.settings.relay);
      targets.push({
        host: u.hostname, port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 25)), secure: u.protocol === 'smtps:',
        ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
      });
    } else {
      let mx: { exchange: string; priority: number }[];
      try {
        mx = await (this.settings.resolveMx ?? systemMx)(m.domain);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new DeliveryError(`no mail server found for ${m.domain} (${code ?? (err as Error).message})`, false, '4.4.3');
      }
      if (mx.length === 1 && mx[0]!.exchange === '') throw new DeliveryError(`${m.domain} accepts no mail (null MX)`, true, '5.1.10');
      for (const r of [...mx].sort((a, b) => a.priority - b.priority).slice(0, 5)) targets.push({ host: r.exchange, port: 25, secure: false });
    }
    let last: DeliveryError | null = null;
    for (const t of targets) {
      const transport = nodemailer.createTransport({
        host: t.host, port: t.port, secure: t.secure, name: this.settings.hostname,
        ...(t.auth ? { auth: t.auth } : {}),
        // opportunistic TLS: STARTTLS whenever offered, certificates not required to verify
        tls: { rejectUnauthorized: false, minVersion: 'TLSv1.2' },
        connectionTimeout: this.settings.timeoutMs, greetingTimeout: this.settings.timeoutMs, socketTimeout: this.settings.timeoutMs * 4,
      });
      try {
        const info = await transport.sendMail({ envelope: { from: m.sender, to: [...m.recipients] }, raw: m.raw });
        const errs = (info as { rejectedErrors?: { recipient?: string; responseCode?: number; response?: string }[] }).rejectedErrors ?? [];
        return (info.rejected as string[]).map((address) => {
          const e = errs.find((x) => x.recipient === address) ?? {};
          return { address, status: statusOf(e), diagnostic: e.response ?? 'refused', remoteMta: t.host };
        });
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message: string };
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
        last = new DeliveryError(e.response ?? e.message, permanent, statusOf(e), t.host);
        if (permanent) throw last;
      } finally {
        transport.close();
      }
    }
    throw last ?? new DeliveryError(`no mail server for ${m.domain}`, false, '4.4.3');
  }

  /** A delivery status notification into the sender's INBOX (the sender is an account here). */
  private async bounce(m: OutboundMessage, failed: readonly FailedRecipient[], expired: boolean): Promise<void> {
    if (m.sender === '' || m.accountId === null) return;
    const dsn = buildDsn({ hostname: this.settings.hostname, to: m.sender, original: m.raw, arrivalDate: m.createdAt, failed, expired });
    try {
      await this.core.mail.messages.deliver(m.accountId, dsn);
    } catch (err) {
      this.settings.log.warn(`smtp: the delivery notice for ${m.sender} could not be stored: ${(err as Error).message}`);
    }
  }
}
