// Ports 587 (STARTTLS) and 465 (TLS): mail from the accounts' own programs.
// AUTH PLAIN and LOGIN only once the connection is encrypted, failures
// throttled by the core; the envelope sender and the From header must be the
// account's address; each recipient is answered at RCPT (unknown, mailbox
// full, over the account's hourly rate: refused alone), so that DATA goes to
// the accepted ones only and a client's retry addresses only the refused;
// local recipients get the message at once, the others through the outbound
// queue. Once the account's password changes (or the account is disabled or
// destroyed), each further MAIL, RCPT or DATA of a session logged in before
// is answered 421 with the reason, and the connection closed.
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Core } from '../../core/index.ts';
import { isGroup, parseAddressList } from '../../core/mail/addresses.ts';
import { parseMessage } from '../../core/mail/mime.ts';
import { buildDsn } from '../../core/outbound/dsn.ts';
import type { Outbound } from '../../core/outbound/queue.ts';
import { RateLimit } from '../../core/rate-limit.ts';
import { loginKeys } from '../../core/throttle.ts';
import { isSmtpError, receiveData, rfc2822Date, smtpError } from './common.ts';
import { acceptedLocal, announcedSize, deliverLocal, localRecipient } from './recipients.ts';

type Cb = (err?: Error | null) => void;

export interface SubmissionContext {
  readonly core: Core;
  readonly hostname: string;
  readonly maxBytes: number;
  readonly outbound: Outbound;
  /** recipients per account per hour */
  readonly ratePerHour: number;
  /** the window of that rate; default an hour (tests shorten it) */
  readonly rateWindowMs?: number;
  readonly log: { debug(m: string): void; warn(m: string): void };
}

interface BureauUser { id: number; address: string; passwordHash: string }
type SubSession = SMTPServerSession & { user?: BureauUser | undefined };

/** "40 seconds", "12 minutes": how long until the rate limit lets the account send again. */
function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

export function submissionHandlers(ctx: SubmissionContext) {
  const { core } = ctx;
  // counted in the store: every process on the database shares an account's rate
  const rate = new RateLimit(core.store, 'send', { limit: ctx.ratePerHour, windowMs: ctx.rateWindowMs ?? 3_600_000 });
  const user = (session: SubSession): BureauUser => session.user as BureauUser;
  /**
   * A session logged in with a password that has changed since (or as an
   * account since disabled or destroyed) goes no further: 421 with the
   * reason, which closes the connection.
   */
  const stillValid = async (session: SubSession): Promise<void> => {
    const me = user(session);
    const reason = await core.accounts.credentials.check(me.id, me.passwordHash);
    if (reason !== null) throw smtpError(421, `4.7.0 ${reason}`);
  };
  return {
    async onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): Promise<void> {
      try {
        const username = auth.username ?? '';
        const keys = loginKeys(session.remoteAddress, username);
        if (await core.throttle.blockedFor(keys) > 0) {
          return callback(smtpError(454, '4.7.0 Too many failed logins; try again later'));
        }
        const account = await core.throttle.guard(keys, () => core.accounts.authenticate(username, auth.password ?? '', 'smtp'));
        if (!account) return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
        if (!(await core.plans.allows(account, 'clients'))) {
          return callback(smtpError(535, `5.7.8 The plan of ${account.address} does not include mail programs (IMAP, SMTP): use the web site, or ask for a plan with clients`));
        }
        callback(null, { user: { id: account.id, address: account.address, passwordHash: account.passwordHash } });
      } catch (err) {
        ctx.log.warn(`smtp: authentication failed with an error: ${(err as Error).message}`);
        callback(smtpError(454, '4.7.0 Temporary authentication failure'));
      }
    },

    async onMailFrom(address: SMTPServerAddress, session: SubSession, callback: Cb): Promise<void> {
      if (!session.user) return callback(smtpError(530, '5.7.0 Authentication required'));
      try {
        await stillValid(session);
      } catch (err) {
        if (isSmtpError(err)) return callback(err);
        ctx.log.warn(`smtp: account check failed: ${(err as Error).message}`);
        return callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
      }
      if (address.address.toLowerCase() !== user(session).address) {
        return callback(smtpError(553, `5.7.1 <${address.address}>: Sender address rejected: not owned by ${user(session).address}`));
      }
      callback();
    },

    async onRcptTo(address: SMTPServerAddress, session: SubSession, callback: Cb): Promise<void> {
      try {
        const rcpt = address.address.toLowerCase();
        const domain = rcpt.split('@')[1] ?? '';
        if (!domain) return callback(smtpError(553, `5.1.3 <${address.address}>: Bad recipient address syntax`));
        await stillValid(session);
        // a local recipient that cannot take the message is refused here, alone:
        // the others are accepted, and a client's retry addresses only the refused ones
        const local = (await core.domains.isHosted(domain)) ? await localRecipient(core, address, announcedSize(session.envelope.mailFrom)) : null;
        const wait = await rate.take([String(user(session).id)]);
        if (wait > 0) {
          return callback(smtpError(451, `4.7.1 Sending rate limit reached: ${user(session).address} may send to ${ctx.ratePerHour} recipients an hour; try again in ${waitText(wait)}`));
        }
        if (local !== null) acceptedLocal(session).set(rcpt, local);
        callback();
      } catch (err) {
        if (isSmtpError(err)) return callback(err);
        ctx.log.warn(`smtp: recipient check failed: ${(err as Error).message}`);
        callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
      }
    },

    async onData(stream: SMTPServerDataStream, session: SubSession, callback: Cb): Promise<void> {
      const raw = await receiveData(stream, ctx.maxBytes, callback);
      if (raw === null) return;
      try {
        await stillValid(session);
        const me = user(session);
        const from = parseMessage(raw).headers.filter((h) => h.name === 'from').flatMap((h) => parseAddressList(h.value));
        const addresses = from.flatMap((e) => (isGroup(e) ? e.members : [e])).map((a) => `${a.mailbox ?? ''}@${a.host ?? ''}`.toLowerCase());
        if (addresses.length === 0 || addresses.some((a) => a !== me.address)) {
          return callback(smtpError(553, `5.7.1 From: header rejected: it must be ${me.address}`));
        }
        const received = `Received: from ${session.hostNameAppearsAs || 'unknown'} ([${session.remoteAddress}])\r\n\tby ${ctx.hostname} (Bureau) with ${session.secure ? 'ESMTPSA' : 'ESMTPA'} id ${session.id}\r\n\t(authenticated as ${me.address});\r\n\t${rfc2822Date()}\r\n`;
        const full = Buffer.concat([Buffer.from(received), raw]);
        const local = acceptedLocal(session);
        const remote = session.envelope.rcptTo.map((r) => r.address).filter((a) => !local.has(a.toLowerCase()));
        // the queue first: when it cannot take the message, nothing has been done and the client may try again
        if (remote.length > 0) await ctx.outbound.enqueue(me.id, me.address, remote, full);
        const outcome = await deliverLocal(core, local, Buffer.concat([Buffer.from(`Return-Path: <${me.address}>\r\n`), full]));
        for (const f of outcome.failed) ctx.log.warn(`smtp: delivery to ${f.address} failed: ${f.reason}`);
        if (remote.length === 0 && outcome.delivered.length === 0) {
          return callback(outcome.failed.length === 0
            ? smtpError(452, `4.2.2 ${outcome.full.map((a) => `<${a}>`).join(', ')}: Mailbox full, try again later`)
            : smtpError(451, '4.3.0 Temporary failure, try again later'));
        }
        // some recipients have it: the others (whose mailbox filled up since RCPT) are told in a notice, not by refusing all
        const notDelivered = [
          ...outcome.full.map((address) => ({ address, status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full' })),
          ...outcome.failed.map((f) => ({ address: f.address, status: '5.3.0', diagnostic: '554 5.3.0 The message could not be stored' })),
        ];
        if (notDelivered.length > 0) {
          const dsn = buildDsn({ hostname: ctx.hostname, to: me.address, original: raw, arrivalDate: Date.now(), failed: notDelivered });
          await core.mail.messages.deliver(me.id, dsn).catch((err: unknown) => {
            ctx.log.warn(`smtp: the delivery notice for ${me.address} could not be stored: ${(err as Error).message}`);
          });
        }
        callback();
      } catch (err) {
        if (isSmtpError(err)) return callback(err);
        ctx.log.warn(`smtp: submission failed: ${(err as Error).message}`);
        callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
      }
    },
  };
}
