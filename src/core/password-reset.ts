// Password reset by a link sent to the account's confirmed contact address
// (the one its sign-up link was opened from). Asking answers the same way
// whether or not the address exists: the request is counted against the
// client's hourly limit and answered at once; looking the account up, making
// the link and queueing the message happen after the answer, one request
// after the other (a flood makes a queue, not a crowd of queries), so the
// answer's time tells nothing either. The link is single-use and expires; only a hash of
// its token is stored. Using it sets the new password and ends every session
// of the account, in one transaction.
import { createHash, randomBytes } from 'node:crypto';
import type { Account } from '../store/types.ts';
import { normaliseAddress } from './accounts.ts';
import { HourlyLimit } from './client-limit.ts';
import type { Core } from './index.ts';
import { hashPassword } from './passwords.ts';
import type { SendMail } from './signup.ts';
import { plainMessage, resetMail, type MailLang } from './site-mail.ts';

export interface ResetSettings {
  /** how long a reset link works */
  readonly linkLifetimeMs: number;
  /** reset requests allowed per client address and hour */
  readonly perClientPerHour: number;
  /** where the link points: https://host[:port] */
  readonly baseUrl: string;
  /** envelope sender and From of the message */
  readonly from: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Requests waiting to be worked on beyond this are dropped (and logged): the answer was the same anyway. */
const MAX_WAITING = 1000;

/** What the store keeps of a link's token. */
export const resetTokenHash = (token: string): string => createHash('sha256').update(`reset:${token}`).digest('base64url');
const tokenHash = resetTokenHash;

export class PasswordResets {
  private readonly core: Core;
  private readonly settings: ResetSettings;
  private readonly send: SendMail;
  private readonly log: { error(m: string): void };
  private readonly now: () => number;
  private readonly limiter: HourlyLimit;
  /** the requests answered and not yet worked on, in order */
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(core: Core, settings: ResetSettings, send: SendMail, log: { error(m: string): void }, now: () => number = Date.now) {
    this.core = core;
    this.settings = settings;
    this.send = send;
    this.log = log;
    this.now = now;
    this.limiter = new HourlyLimit(core.store, 'reset', settings.perClientPerHour, now);
  }

  /**
   * Asks for a link for the account `address`. Throws only for a malformed
   * address (InvalidInput) or past the client's hourly limit (LimitReached);
   * otherwise returns at once, the same for every address, and the link
   * leaves afterwards when the account is active and has a confirmed contact.
   */
  async request(address: string, clientAddress: string, lang: MailLang = 'en'): Promise<void> {
    const normalised = normaliseAddress(address);
    await this.limiter.take(clientAddress, 'too many password reset requests from your network in the last hour; try again later');
    if (this.waiting >= MAX_WAITING) {
      this.log.error(`password reset for ${normalised}: dropped, ${MAX_WAITING} requests are waiting already`);
      return;
    }
    this.waiting++;
    this.queue = this.queue
      .then(() => this.issue(normalised, lang))
      .catch((err: unknown) => this.log.error(`password reset for ${normalised}: ${(err as Error).stack ?? String(err)}`))
      .finally(() => { this.waiting--; });
  }

  /** Resolves once the requests answered so far have been worked on. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async issue(address: string, lang: MailLang): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    const hash = tokenHash(token);
    const account = await this.core.store.getAccountByAddress(address);
    const contact = account ? await this.core.store.getAccountContact(account.id) : null;
    if (!account || account.status !== 'active' || !contact || contact.confirmedAt === null) return;
    const now = this.now();
    await this.core.store.putPasswordReset({ accountId: account.id, tokenHash: hash, expiresAt: now + this.settings.linkLifetimeMs, createdAt: now });
    const hours = Math.round(this.settings.linkLifetimeMs / 3_600_000);
    const mail = resetMail(lang, { address: account.address, baseUrl: this.settings.baseUrl, link: `${this.settings.baseUrl}/reset/new?token=${token}`, hours });
    await this.send(this.settings.from, [contact.email], plainMessage(this.settings.from, contact.email, mail.subject, mail.lines, now, lang));
  }

  /** The account a link would reset, or null when the link is unknown, used or expired. Uses nothing up. */
  async check(token: string): Promise<Account | null> {
    if (!TOKEN.test(token)) return null;
    const r = await this.core.store.getPasswordReset(tokenHash(token), this.now());
    if (!r) return null;
    const account = await this.core.store.getAccount(r.accountId);
    return account && account.status === 'active' ? account : null;
  }

  /**
   * Uses a link: sets the new password (the policy is checked first:
   * InvalidInput, the link still works) and ends every session of the
   * account. The account, or null when the link is unknown, used or expired
   * (nothing changed).
   */
  async complete(token: string, password: string): Promise<Account | null> {
    if (!(await this.check(token))) return null;
    this.core.accounts.checkPassword(password);
    const id = await this.core.store.usePasswordReset(tokenHash(token), this.now(), await hashPassword(password));
    return id === null ? null : this.core.store.getAccount(id);
  }
}
