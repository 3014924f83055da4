// Web sessions: a random token in the browser's cookie, only its hash in the
// store. A session ends after its account's idle timeout (minutes of no
// request), at log-out, or when the password changes. Protocol-free: the web
// door turns tokens into cookies.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Account, Session } from '../store/types.ts';
import type { Core } from './index.ts';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Last activity is written at most this often per session (the idle check's precision). */
const TOUCH_EVERY_MS = 10_000;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The store's id of a session: a hash of the token, so that a copy of the database opens no session. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A form token bound to a secret the browser holds (its session or pre-session cookie). */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('bureau csrf').digest('base64url');
}

export type Resolved =
  | { readonly ok: true; readonly account: Account; readonly session: Session }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' };

export class WebSessions {
  private readonly core: Core;
  private readonly now: () => number;

  constructor(core: Core, now: () => number = Date.now) {
    this.core = core;
    this.now = now;
  }

  /** Opens a session for an account that just logged in; the token goes to the browser only. */
  async open(accountId: number, userAgent: string, clientAddress: string): Promise<string> {
    const token = newToken();
    const now = this.now();
    await this.core.store.createSession({
      id: sessionIdOf(token), accountId, createdAt: now, lastSeenAt: now,
      userAgent: userAgent.slice(0, 300), clientAddress: clientAddress.slice(0, 100),
    });
    return token;
  }

  /** The session of a token: unknown (never, ended, tampered), expired (idle too long; ended now) or live (touched). */
  async resolve(token: string): Promise<Resolved> {
    if (!TOKEN.test(token)) return { ok: false, reason: 'unknown' };
    const id = sessionIdOf(token);
    const session = await this.core.store.getSession(id);
    if (!session) return { ok: false, reason: 'unknown' };
    const account = await this.core.store.getAccount(session.accountId);
    if (!account || account.status !== 'active') {
      await this.core.store.deleteSession(id);
      return { ok: false, reason: 'unknown' };
    }
    const now = this.now();
    if (now - session.lastSeenAt > account.idleTimeoutMinutes * 60_000) {
      await this.core.store.deleteSession(id);
      return { ok: false, reason: 'expired' };
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await this.core.store.touchSession(id, now);
    return { ok: true, account, session };
  }

  async end(token: string): Promise<void> {
    if (TOKEN.test(token)) await this.core.store.deleteSession(sessionIdOf(token));
  }

  list(accountId: number): Promise<Session[]> {
    return this.core.store.listSessions(accountId);
  }

  /** Ends one of the account's sessions by its id; false when it is not the account's. */
  async endById(accountId: number, id: string): Promise<boolean> {
    const s = await this.core.store.getSession(id);
    if (!s || s.accountId !== accountId) return false;
    await this.core.store.deleteSession(id);
    return true;
  }

  endOthers(accountId: number, exceptId: string): Promise<number> {
    return this.core.store.deleteSessions(accountId, exceptId);
  }
}
