// Sessions of mail programs that stay open (IMAP, IDLE included; SMTP
// submission) were opened with a password: when that password changes (web
// settings, a reset link, `bureau user passwd`), or the account is disabled
// or destroyed, they must end as the web sessions do. A door registers each
// logged-in session with the password hash it was verified against; the store
// tells of every change of an account's credentials (in every process on
// PostgreSQL; on SQLite, the writes of another process are seen as "something
// changed", and every watched account is read again), and the sessions whose
// hash is no longer the account's are told why they end.
import type { Account, Store } from '../store/types.ts';

/** Why a session logged in with a password may not go on; null: it may. */
export function credentialsGone(account: Account | null, passwordHash: string): string | null {
  if (!account) return 'This account was closed.';
  if (account.status !== 'active') return 'This account was disabled.';
  if (account.passwordHash !== passwordHash) return 'The password of this account was changed; log in again.';
  return null;
}

interface Watched {
  readonly passwordHash: string;
  readonly end: (reason: string) => void;
}

export class CredentialWatch {
  private readonly store: Store;
  /** account id → its open sessions */
  private readonly sessions = new Map<number, Set<Watched>>();
  private unsubscribe: (() => void) | null = null;
  /** accounts to read again (null: all of them), gathered while a check runs */
  private pending: Set<number> | null | undefined;
  private checking = false;

  constructor(store: Store) {
    this.store = store;
  }

  /**
   * Watches one session logged in as the account with that password hash;
   * `end` is called once, with the reason, when it must end. Returns what
   * stops the watch (when the session closes).
   */
  watch(accountId: number, passwordHash: string, end: (reason: string) => void): () => void {
    if (!this.unsubscribe) this.unsubscribe = this.store.onAccountChange((id) => this.changed(id));
    const entry: Watched = { passwordHash, end };
    let set = this.sessions.get(accountId);
    if (!set) {
      set = new Set();
      this.sessions.set(accountId, set);
    }
    set.add(entry);
    return () => this.forget(accountId, entry);
  }

  /**
   * `watch`, then the account read once more: a change that landed between
   * the door's password check and the watch (whose notice came before anyone
   * listened) is seen as well. Resolves to what stops the watch, or to why
   * the session may not begin (the watch is stopped then, `end` not called).
   */
  async watchChecked(accountId: number, passwordHash: string, end: (reason: string) => void): Promise<{ stop: () => void; refused: null } | { stop: null; refused: string }> {
    const stop = this.watch(accountId, passwordHash, end);
    let reason: string | null;
    try {
      reason = await this.check(accountId, passwordHash);
    } catch (err) {
      stop();
      throw err;
    }
    if (reason === null) return { stop, refused: null };
    stop();
    return { stop: null, refused: reason };
  }

  /** For doors that can ask at each command (SMTP): why the session must end, or null. */
  async check(accountId: number, passwordHash: string): Promise<string | null> {
    return credentialsGone(await this.store.getAccount(accountId), passwordHash);
  }

  /** Stops listening (the server is stopping); sessions are not ended. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.sessions.clear();
  }

  private forget(accountId: number, entry: Watched): void {
    const set = this.sessions.get(accountId);
    if (!set) return;
    set.delete(entry);
    if (set.size === 0) this.sessions.delete(accountId);
    if (this.sessions.size === 0 && this.unsubscribe) {
      this.unsubscribe();
      this.unsubscribe = null;
    }
  }

  private changed(accountId: number | null): void {
    if (accountId !== null && !this.sessions.has(accountId)) return;
    // one check at a time; what is heard meanwhile is gathered for the next
    if (accountId === null) this.pending = null;
    else if (this.pending !== null) (this.pending ??= new Set()).add(accountId);
    if (!this.checking) void this.run();
  }

  private async run(): Promise<void> {
    this.checking = true;
    try {
      while (this.pending !== undefined) {
        const ids = this.pending === null ? [...this.sessions.keys()] : [...this.pending];
        this.pending = undefined;
        for (const id of ids) await this.checkAccount(id);
      }
    } finally {
      this.checking = false;
    }
  }

  private async checkAccount(accountId: number): Promise<void> {
    const set = this.sessions.get(accountId);
    if (!set || set.size === 0) return;
    let account: Account | null;
    try {
      account = await this.store.getAccount(accountId);
    } catch {
      // the store is unreachable for now: the next change heard checks again
      return;
    }
    for (const entry of [...set]) {
      const reason = credentialsGone(account, entry.passwordHash);
      if (reason === null) continue;
      this.forget(accountId, entry);
      try {
        entry.end(reason);
      } catch {
        // a session already gone
      }
    }
  }
}
