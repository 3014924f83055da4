// How many times a client address may do something (sign up, ask for a
// password reset) within the last hour: counted in memory per process, the
// oldest client forgotten first when too many are remembered.
import { LimitReached } from './errors.ts';

const HOUR_MS = 3_600_000;
const MAX_CLIENTS = 100_000;

export class HourlyLimit {
  private readonly perHour: number;
  private readonly now: () => number;
  private readonly attempts = new Map<string, number[]>();

  constructor(perHour: number, now: () => number = Date.now) {
    this.perHour = perHour;
    this.now = now;
  }

  /** Counts one attempt of the client; LimitReached with `message` past the hourly limit (that attempt is not counted). */
  take(client: string, message: string): void {
    const now = this.now();
    const recent = (this.attempts.get(client) ?? []).filter((t) => now - t < HOUR_MS);
    if (recent.length >= this.perHour) throw new LimitReached(message, this.perHour);
    recent.push(now);
    this.attempts.delete(client);
    this.attempts.set(client, recent);
    if (this.attempts.size > MAX_CLIENTS) this.attempts.delete(this.attempts.keys().next().value!);
  }
}
