// Throttling of authentication failures, for every door (SMTP, IMAP, the web):
// failures are counted per key (a client address, an account address) in a
// window that begins with the key's first failure; a key with too many is
// refused without checking the password until its window ends. The counts are
// in the store (core/rate-limit.ts): every process on the database shares
// them and a restart keeps them. Checking reads; only a failure writes (and a
// success of an account that had failures, which clears them).
import type { Store } from '../store/types.ts';
import { RateLimit } from './rate-limit.ts';

export interface ThrottleSettings {
  /** failures allowed per key within the window */
  readonly maxFailures: number;
  readonly windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { maxFailures: 10, windowMs: 15 * 60_000 };

export class Throttle {
  private readonly failures: RateLimit;

  constructor(store: Store, settings: ThrottleSettings = DEFAULT_THROTTLE, now: () => number = Date.now) {
    this.failures = new RateLimit(store, 'login', { limit: settings.maxFailures, windowMs: settings.windowMs }, now);
  }

  /** Milliseconds until one of the keys may try again; 0 when none is blocked. */
  blockedFor(keys: readonly string[]): Promise<number> {
    return this.failures.blockedFor(keys);
  }

  /** Counts one failure against each key. */
  fail(keys: readonly string[]): Promise<void> {
    return this.failures.count(keys);
  }

  /**
   * One login attempt under the throttle: refused (null) without calling
   * `attempt` while a key is blocked; a null answer counts as a failure, an
   * account clears the account's count (a write only when there is one).
   */
  async guard<T>(keys: readonly string[], attempt: () => Promise<T | null>): Promise<T | null> {
    const counts = await this.failures.counts(keys);
    if (this.failures.blockedIn(counts) > 0) return null;
    const result = await attempt();
    if (result === null) await this.fail(keys);
    else {
      const counted = keys.filter((k) => k.startsWith('account:') && counts.has(k));
      if (counted.length > 0) await this.succeed(counted);
    }
    return result;
  }

  /** A success forgets the failures of the keys given (the callers give the account key, not the client address). */
  succeed(keys: readonly string[]): Promise<void> {
    return this.failures.clear(keys);
  }
}

/** The keys of one login attempt: the client's address and the account's. */
export function loginKeys(clientAddress: string, account: string): string[] {
  return [`ip:${clientAddress}`, `account:${account.trim().toLowerCase()}`];
}
