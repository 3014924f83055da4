// Throttling of authentication failures, for every door (SMTP, IMAP, the web):
// failures are counted per key (a client address, an account address) over a
// sliding window; a key with too many is refused without checking the
// password until the window has moved on. In the memory of this process:
// behind a load balancer each process counts its own.

export interface ThrottleSettings {
  /** failures allowed per key within the window */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** keys remembered at most; the oldest goes first when full */
  readonly maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { maxFailures: 10, windowMs: 15 * 60_000, maxKeys: 100_000 };

export class Throttle {
  private readonly failures = new Map<string, number[]>();
  private readonly settings: ThrottleSettings;

  constructor(settings: ThrottleSettings = DEFAULT_THROTTLE) {
    this.settings = settings;
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const kept = list.filter((t) => now - t < this.settings.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== list.length) this.failures.set(key, kept);
    return kept;
  }

  /** Milliseconds until one of the keys may try again; 0 when none is blocked. */
  blockedFor(keys: readonly string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const list = this.recent(key, now);
      if (list.length >= this.settings.maxFailures) {
        wait = Math.max(wait, list[list.length - this.settings.maxFailures]! + this.settings.windowMs - now);
      }
    }
    return wait;
  }

  /** Counts one failure against each key. */
  fail(keys: readonly string[], now = Date.now()): void {
    for (const key of keys) {
      const list = this.recent(key, now);
      list.push(now);
      if (list.length > this.settings.maxFailures) list.splice(0, list.length - this.settings.maxFailures);
      this.failures.delete(key);
      this.failures.set(key, list);
      if (this.failures.size > this.settings.maxKeys) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /**
   * One login attempt under the throttle: refused (null) without calling
   * `attempt` while a key is blocked; a null answer counts as a failure, an
   * account clears the account's count.
   */
  async guard<T>(keys: readonly string[], attempt: () => Promise<T | null>): Promise<T | null> {
    if (this.blockedFor(keys) > 0) return null;
    const result = await attempt();
    if (result === null) this.fail(keys);
    else this.succeed(keys.filter((k) => k.startsWith('account:')));
    return result;
  }

  /** A success forgets the failures of the account key (not of the client address). */
  succeed(keys: readonly string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}

/** The keys of one login attempt: the client's address and the account's. */
export function loginKeys(clientAddress: string, account: string): string[] {
  return [`ip:${clientAddress}`, `account:${account.trim().toLowerCase()}`];
}
