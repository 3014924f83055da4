// Sign-up: a new account waits as 'pending' (it logs in nowhere) until the
// link sent to an existing e-mail address outside Bureau is opened. The link
// is single-use and expires; an expired sign-up is removed and its address
// freed. Sign-ups and resends are limited per client address. The message
// leaves through the outbound queue like any other mail.
import { createHash, randomBytes } from 'node:crypto';
import type { Account } from '../store/types.ts';
import { normaliseAddress } from './accounts.ts';
import { HourlyLimit } from './client-limit.ts';
import { Conflict, InvalidInput } from './errors.ts';
import type { Core } from './index.ts';
import { verifyPassword } from './passwords.ts';
import { activationMail, plainMessage, type MailLang } from './site-mail.ts';

export interface SignupSettings {
  /** how long an activation link works */
  readonly linkLifetimeMs: number;
  /** sign-ups plus resends allowed per client address and hour */
  readonly perClientPerHour: number;
  /** where the link points: https://host[:port] */
  readonly baseUrl: string;
  /** envelope sender and From of the message */
  readonly from: string;
}

/** Hands a message to the outbound queue. */
export type SendMail = (sender: string, recipients: readonly string[], raw: Uint8Array) => Promise<void>;

export interface NewSignup {
  readonly address: string;
  readonly password: string;
  readonly contactEmail: string;
  readonly name?: string;
  readonly clientAddress: string;
  /** the language of the activation message (default English) */
  readonly lang?: MailLang;
}

const tokenHash = (token: string): string => createHash('sha256').update(token).digest('base64url');

export class Signups {
  private readonly core: Core;
  private readonly settings: SignupSettings;
  private readonly send: SendMail;
  private readonly now: () => number;
  private readonly limiter: HourlyLimit;

  constructor(core: Core, settings: SignupSettings, send: SendMail, now: () => number = Date.now) {
    this.core = core;
    this.settings = settings;
    this.send = send;
    this.now = now;
    this.limiter = new HourlyLimit(core.store, 'signup', settings.perClientPerHour, now);
  }

  /** Counts one sign-up or resend of a client; LimitReached past the hourly limit. */
  private limit(clientAddress: string): Promise<void> {
    return this.limiter.take(clientAddress, 'too many sign-ups from your network in the last hour; try again later');
  }

  async start(input: NewSignup): Promise<Account> {
    const address = normaliseAddress(input.address);
    const contact = normaliseAddress(input.contactEmail.trim() === '' ? ' ' : input.contactEmail);
    if (contact === address) throw new InvalidInput('contact', 'the contact address must be one you already read, not the new one');
    if (await this.core.domains.isHosted(contact.split('@')[1]!)) {
      throw new InvalidInput('contact', 'the contact address must be outside this server, at a mailbox you already read');
    }
    this.core.accounts.checkPassword(input.password);
    await this.sweep();
    await this.limit(input.clientAddress);
    const account = await this.core.accounts.create({ address, password: input.password, name: input.name ?? '', status: 'pending' });
    try {
      await this.issue(account, contact, input.lang ?? 'en');
    } catch (err) {
      await this.core.accounts.destroy(account.id).catch(() => undefined);
      throw err;
    }
    return account;
  }

  /** A new link (the old one stops working) to the contact address, given again or as first given. */
  async resend(address: string, password: string, contactEmail: string, clientAddress: string, lang: MailLang = 'en'): Promise<void> {
    await this.limit(clientAddress);
    let account: Account | null = null;
    try {
      account = await this.core.store.getAccountByAddress(normaliseAddress(address));
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
    }
    const ok = account !== null && account.status === 'pending' && (await verifyPassword(password, account.passwordHash));
    if (!ok || !account) throw new InvalidInput('address', 'no sign-up waits for activation with this address and password');
    const current = await this.core.store.getAccountContact(account.id);
    const contact = contactEmail.trim() === '' ? current?.email ?? '' : normaliseAddress(contactEmail);
    if (contact === '' || (await this.core.domains.isHosted(contact.split('@')[1]!))) {
      throw new InvalidInput('contact', 'the contact address must be outside this server, at a mailbox you already read');
    }
    await this.issue(account, contact, lang);
  }

  private async issue(account: Account, contact: string, lang: MailLang): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = now + this.settings.linkLifetimeMs;
    await this.core.store.putAccountContact({
      accountId: account.id, email: contact, confirmedAt: null, tokenHash: tokenHash(token), tokenExpiresAt: expiresAt, createdAt: now,
    });
    const link = `${this.settings.baseUrl}/activate?token=${token}`;
    const hours = Math.round(this.settings.linkLifetimeMs / 3_600_000);
    const mail = activationMail(lang, { address: account.address, baseUrl: this.settings.baseUrl, link, hours });
    await this.send(this.settings.from, [contact], plainMessage(this.settings.from, contact, mail.subject, mail.lines, now, lang));
  }

  /** Uses a link: the activated account, or null when the link is unknown, used or expired. */
  async activate(token: string): Promise<Account | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const id = await this.core.store.confirmAccountContact(tokenHash(token), this.now());
    return id === null ? null : this.core.accounts.get(id);
  }

  /** Removes pending accounts whose link expired, freeing their addresses; how many went. */
  async sweep(): Promise<number> {
    let n = 0;
    for (const id of await this.core.store.listExpiredSignups(this.now())) {
      try {
        await this.core.accounts.destroy(id);
        n++;
      } catch (err) {
        if (!(err instanceof Conflict)) throw err;
      }
    }
    return n;
  }
}
