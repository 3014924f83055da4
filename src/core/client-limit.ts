// How many times a client address may do something (sign up, ask for a
// password reset) within an hour: counted in the store (core/rate-limit.ts),
// shared by every process on the database and kept across restarts. The hour
// begins with the client's first attempt.
import type { Store } from '../store/types.ts';
import { LimitReached } from './errors.ts';
import { RateLimit } from './rate-limit.ts';

const HOUR_MS = 3_600_000;

export class HourlyLimit {
  private readonly limit: RateLimit;

  /** `name` keeps this limit's counts apart from the others' ('signup', 'reset') */
  constructor(store: Store, name: string, perHour: number, now: () => number = Date.now) {
    this.limit = new RateLimit(store, name, { limit: perHour, windowMs: HOUR_MS }, now);
  }

  /** Counts one attempt of the client; LimitReached with `message` past the hourly limit (that attempt is refused). */
  async take(client: string, message: string): Promise<void> {
    if (await this.limit.take([client]) > 0) throw new LimitReached(message, this.limit.settings.limit);
  }
}
