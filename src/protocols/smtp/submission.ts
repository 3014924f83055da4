// Ports 587 (STARTTLS) and 465 (TLS): mail from the accounts' own programs.
// AUTH PLAIN and LOGIN only once the connection is encrypted, failures
// throttled by the core; the envelope sender and the From header must be the
// account's address; local recipients get the message at once, the others
// through the outbound queue; each account may send to so many recipients
// an hour.
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Core } from '../../core/index.ts';
import { NotFound, QuotaExceeded } from '../../core/errors.ts';
import { isGroup, parseAddressList } from '../../core/mail/addresses.ts';
import { parseMessage } from '../../core/mail/mime.ts';
import type { Outbound } from '../../core/outbound/queue.ts';
import { loginKeys, Throttle } from '../../core/throttle.ts';
import { receiveData, rfc2822Date, smtpError } from './common.ts';

type Cb = (err?: Error | null) => void;

export interface SubmissionContext {
  readonly core: Core;
  readonly hostname: string;
  readonly maxBytes: number;
  readonly outbound: Outbound;
  /** recipients per account per hour */
  readonly ratePerHour: number;
  readonly log: { debug(m: string): void; warn(m: string): void };
}

interface BureauUser { id: number; address: string }
type SubSession = SMTPServerSession & { user?: BureauUser | undefined };

export function submissionHandlers(ctx: SubmissionContext) {
  const { core } = ctx;
  const rate = new Throttle({ maxFailures: ctx.ratePerHour, windowMs: 3_600_000, maxKeys: 100_000 });
  const user = (session: SubSession): BureauUser => session.user as BureauUser;
  return {
    async onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): Promise<void> {
      try {
        const username = auth.username ?? '';
        const keys = loginKeys(session.remoteAddress, username);
        if (core.throttle.blockedFor(keys) > 0) {
          return callback(smtpError(454, '4.7.0 Too many failed logins; try again later'));
        }
        const account = await core.throttle.guard(keys, () => core.accounts.authenticate(username, auth.password ?? '', 'smtp'));
        if (!account) return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
        if (!(await core.plans.allows(account, 'clients'))) {
          return callback(smtpError(535, `5.7.8 The plan of ${account.address} does not include mail programs (IMAP, SMTP): use the web site, or ask for a plan with clients`));
        }
        callback(null, { user: { id: account.id, address: account.address } });
      } catch (err) {
        ctx.log.warn(`smtp: authentication failed with an error: ${(err as Error).message}`);
        callback(smtpError(454, '4.7.0 Temporary authentication failure'));
      }
    },

    onMailFrom(address: SMTPServerAddress, session: SubSession, callback: Cb): void {
      if (!session.user) return callback(smtpError(530, '5.7.0 Authentication required'));
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
        if (await core.domains.isHosted(domain)) {
          try {
            await core.accounts.byAddress(rcpt);
          } catch (err) {
            if (err instanceof NotFound) return callback(smtpError(550, `5.1.1 <${address.address}>: No such user here`));
            throw err;
          }
        }
        const key = `send:${user(session).id}`;
        if (rate.blockedFor([key]) > 0) {
          return callback(smtpError(451, `4.7.1 Sending rate limit reached (${ctx.ratePerHour} recipients an hour); try again later`));
        }
        rate.fail([key]);
        callback();
      } catch (err) {
        ctx.log.warn(`smtp: recipient check failed: ${(err as Error).message}`);
        callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
      }
    },

    async onData(stream: SMTPServerDataStream, session: SubSession, callback: Cb): Promise<void> {
      const raw = await receiveData(stream, ctx.maxBytes, callback);
      if (raw === null) return;
      try {
        const me = user(session);
        const from = parseMessage(raw).headers.filter((h) => h.name === 'from').flatMap((h) => parseAddressList(h.value));
        const addresses = from.flatMap((e) => (isGroup(e) ? e.members : [e])).map((a) => `${a.mailbox ?? ''}@${a.host ?? ''}`.toLowerCase());
        if (addresses.length === 0 || addresses.some((a) => a !== me.address)) {
          return callback(smtpError(553, `5.7.1 From: header rejected: it must be ${me.address}`));
        }
        const received = `Received: from ${session.hostNameAppearsAs || 'unknown'} ([${session.remoteAddress}])\r\n\tby ${ctx.hostname} (Bureau) with ${session.secure ? 'ESMTPSA' : 'ESMTPA'} id ${session.id}\r\n\t(authenticated as ${me.address});\r\n\t${rfc2822Date()}\r\n`;
        const full = Buffer.concat([Buffer.from(received), raw]);
        const remote: string[] = [];
        const full2 = Buffer.concat([Buffer.from(`Return-Path: <${me.address}>\r\n`), full]);
        for (const r of session.envelope.rcptTo) {
          const rcpt = r.address.toLowerCase();
          if (!(await core.domains.isHosted(rcpt.split('@')[1]!))) {
            remote.push(r.address);
            continue;
          }
          const account = await core.accounts.byAddress(rcpt);
          try {
            await core.mail.messages.deliver(account.id, full2);
          } catch (err) {
            if (!(err instanceof QuotaExceeded)) throw err;
            return callback(smtpError(452, `4.2.2 <${r.address}>: Mailbox full, try again later`));
          }
        }
        if (remote.length > 0) await ctx.outbound.enqueue(me.id, me.address, remote, full);
        callback();
      } catch (err) {
        ctx.log.warn(`smtp: submission failed: ${(err as Error).message}`);
        callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
      }
    },
  };
}
