// Local recipients, for both listeners: the answer to RCPT TO for an address
// here (unknown, disabled, or a mailbox too full for the announced size, each
// refused for that recipient alone), and delivery at DATA to the recipients
// accepted, telling which could not take the message after all.
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { Core } from '../../core/index.ts';
import { NotFound, QuotaExceeded } from '../../core/errors.ts';
import { smtpError } from './common.ts';

const accepted = new WeakMap<object, Map<string, number>>();

/**
 * The local recipients accepted in the session's current transaction, address
 * to account. Kept with the envelope, which smtp-server replaces at each new
 * transaction (MAIL FROM, RSET): the session object itself lives on, and what
 * hangs on it would deliver the next message to the previous one's recipients.
 */
export function acceptedLocal(session: SMTPServerSession): Map<string, number> {
  let map = accepted.get(session.envelope);
  if (!map) {
    map = new Map();
    accepted.set(session.envelope, map);
  }
  return map;
}

/** The size the client announced with MAIL FROM (SIZE=, RFC 1870), 0 when none. */
export function announcedSize(mailFrom: SMTPServerAddress | false | undefined): number {
  const args = mailFrom ? (mailFrom.args as Record<string, string> | false) : false;
  const size = Number(args ? args.SIZE ?? 0 : 0);
  return Number.isSafeInteger(size) && size > 0 ? size : 0;
}

/**
 * The account that receives mail for `address` at a hosted domain; throws the
 * SMTP error for this recipient alone: 550 5.1.1 unknown, 550 5.2.1 disabled,
 * 452 4.2.2 when the mailbox cannot take `announcedBytes` (at least one byte:
 * a mailbox at its limit takes nothing).
 */
export async function localRecipient(core: Core, address: SMTPServerAddress, announcedBytes: number): Promise<number> {
  const rcpt = address.address.toLowerCase();
  let account;
  try {
    account = await core.accounts.byAddress(rcpt);
  } catch (err) {
    if (err instanceof NotFound) throw smtpError(550, `5.1.1 <${address.address}>: No such user here`);
    throw err;
  }
  if (account.status !== 'active') throw smtpError(550, `5.2.1 <${address.address}>: Mailbox disabled`);
  const quota = await core.mail.quotaOfRoot(account.id, '');
  if (quota.usedBytes + Math.max(1, announcedBytes) > quota.limitBytes) {
    throw smtpError(452, `4.2.2 <${address.address}>: Mailbox full, try again later`);
  }
  return account.id;
}

export interface LocalOutcome {
  readonly delivered: readonly string[];
  /** over quota by the time the message came (after RCPT was accepted) */
  readonly full: readonly string[];
  /** any other failure, with its reason */
  readonly failed: readonly { readonly address: string; readonly reason: string }[];
}

/** Delivers to each accepted local recipient's INBOX in turn; never throws for one recipient. */
export async function deliverLocal(core: Core, recipients: ReadonlyMap<string, number>, raw: Uint8Array): Promise<LocalOutcome> {
  const delivered: string[] = [];
  const full: string[] = [];
  const failed: { address: string; reason: string }[] = [];
  for (const [address, accountId] of recipients) {
    try {
      await core.mail.messages.deliver(accountId, raw);
      delivered.push(address);
    } catch (err) {
      if (err instanceof QuotaExceeded) full.push(address);
      else failed.push({ address, reason: (err as Error).message });
    }
  }
  return { delivered, full, failed };
}
