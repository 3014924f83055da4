// Port 25: mail from the world for accounts here. Only hosted domains and
// existing recipients are accepted (nothing is ever relayed); SPF, DKIM,
// DMARC and ARC are checked with mailauth, their verdict prepended as
// Authentication-Results; the message goes to each recipient's INBOX.
import { promises as dns } from 'node:dns';
import { authenticate } from 'mailauth';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Core } from '../../core/index.ts';
import { buildDsn } from '../../core/outbound/dsn.ts';
import type { Outbound } from '../../core/outbound/queue.ts';
import { isSmtpError, receiveData, rfc2822Date, smtpError } from './common.ts';
import { SMTP_LIMITS } from './limits.ts';
import { acceptedLocal, announcedSize, deliverLocal, localRecipient } from './recipients.ts';

type Cb = (err?: Error | null) => void;

export interface MxContext {
  readonly core: Core;
  readonly hostname: string;
  readonly maxBytes: number;
  readonly outbound: Outbound;
  readonly log: { debug(m: string): void; warn(m: string): void };
  /** DNS for mailauth; default: the system resolver, bounded in time */
  readonly resolver?: (name: string, rr: string) => Promise<unknown>;
}

const dnsResolver = new dns.Resolver({ timeout: SMTP_LIMITS.dnsMs, tries: 1 });
function boundedResolve(name: string, rr: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    dnsResolver.resolve(name, rr as 'TXT'),
    new Promise((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' })), SMTP_LIMITS.dnsMs * 2); }),
  ]).finally(() => clearTimeout(timer));
}

export function mxHandlers(ctx: MxContext) {
  const { core } = ctx;
  return {
    async onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: Cb): Promise<void> {
      try {
        const rcpt = address.address.toLowerCase();
        const domain = rcpt.split('@')[1] ?? '';
        if (!domain || !(await core.domains.isHosted(domain))) {
          return callback(smtpError(554, `5.7.1 <${address.address}>: Relay access denied; this server only accepts mail for its own domains`));
        }
        const accountId = await localRecipient(core, address, announcedSize(session.envelope.mailFrom));
        acceptedLocal(session).set(rcpt, accountId);
        callback();
      } catch (err) {
        if (isSmtpError(err)) return callback(err);
        ctx.log.warn(`smtp: recipient check failed: ${(err as Error).message}`);
        callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
      }
    },

    async onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: Cb): Promise<void> {
      const raw = await receiveData(stream, ctx.maxBytes, callback);
      if (raw === null) return;
      try {
        const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const headers = await authenticity(ctx, raw, session, sender);
        const received = `Received: from ${session.hostNameAppearsAs || 'unknown'} ([${session.remoteAddress}])\r\n\tby ${ctx.hostname} (Bureau) with ${session.secure ? 'ESMTPS' : 'ESMTP'} id ${session.id};\r\n\t${rfc2822Date()}\r\n`;
        const full = Buffer.concat([Buffer.from(`Return-Path: <${sender}>\r\n${headers}${received}`), raw]);
        const outcome = await deliverLocal(core, acceptedLocal(session), full);
        for (const f of outcome.failed) ctx.log.warn(`smtp: delivery to ${f.address} failed: ${f.reason}`);
        if (outcome.delivered.length === 0) {
          // nothing kept: the whole message is refused for now, and the sender's server tries again
          return callback(outcome.failed.length === 0
            ? smtpError(452, '4.2.2 Mailbox full, try again later')
            : smtpError(451, '4.3.0 Temporary failure, try again later'));
        }
        const notDelivered = [
          ...outcome.full.map((address) => ({ address, status: '5.2.2', diagnostic: '552 5.2.2 Mailbox full' })),
          ...outcome.failed.map((f) => ({ address: f.address, status: '5.3.0', diagnostic: '554 5.3.0 The message could not be stored' })),
        ];
        if (notDelivered.length > 0 && sender) {
          // some recipients got it: the others are told to the sender, who must not send it again to all
          const dsn = buildDsn({ hostname: ctx.hostname, to: sender, original: raw, arrivalDate: Date.now(), failed: notDelivered });
          await ctx.outbound.enqueue(null, '', [sender], dsn).catch((err: unknown) => {
            ctx.log.warn(`smtp: the delivery notice for ${sender} could not be queued: ${(err as Error).message}`);
          });
        }
        callback();
      } catch (err) {
        ctx.log.warn(`smtp: delivery failed: ${(err as Error).message}`);
        callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
      }
    },
  };
}

/** Received-SPF and Authentication-Results for the message, never waiting long on DNS. */
async function authenticity(ctx: MxContext, raw: Buffer, session: SMTPServerSession, sender: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      authenticate(raw, {
        ip: session.remoteAddress.replace(/^::ffff:/, ''),
        helo: session.hostNameAppearsAs,
        sender,
        mta: ctx.hostname,
        resolver: (ctx.resolver ?? boundedResolve) as never,
        disableBimi: true,
      }),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timed out')), SMTP_LIMITS.authenticityMs); }),
    ]);
    return (result.headers ?? '').replace(/\r?\n/g, '\r\n');
  } catch (err) {
    ctx.log.debug(`smtp: authenticity checks failed: ${(err as Error).message}`);
    return `Authentication-Results: ${ctx.hostname}; spf=temperror; dkim=temperror; dmarc=temperror\r\n`;
  } finally {
    clearTimeout(timer);
  }
}
