// A limit of events per key and window, counted in the store so that every
// process on the database shares it and a restart keeps it. A window begins
// with a key's first event and lasts `windowMs`; within it the key may have
// `limit` events, the ones past it are refused until the window ends, then
// the next event begins a new window. Counting is one atomic statement per
// call (the store's countRate), so processes taking at once never let more
// than `limit` through; reading is one indexed query that writes nothing.
import type { RateCount, Store } from '../store/types.ts';

export interface RateSettings {
  /** events allowed per key within a window */
  readonly limit: number;
  readonly windowMs: number;
}

export class RateLimit {
  private readonly store: Store;
  private readonly prefix: string;
  readonly settings: RateSettings;
  private readonly now: () => number;

  /** `name` keeps this limit's keys apart from the other limits' in the one table */
  constructor(store: Store, name: string, settings: RateSettings, now: () => number = Date.now) {
    if (!(settings.limit >= 1) || !(settings.windowMs >= 1)) throw new Error(`rate limit ${name}: the limit and the window must be at least 1 (got ${settings.limit}, ${settings.windowMs} ms)`);
    this.store = store;
    this.prefix = `${name}:`;
    this.settings = settings;
    this.now = now;
  }

  private stored(keys: readonly string[]): string[] {
    return keys.map((k) => this.prefix + k);
  }

  /** Milliseconds until the fullest of these counts lets an event through again; 0 when none is at the limit. */
  private waitOf(counts: Iterable<RateCount>, now: number, over: (hits: number) => boolean): number {
    let wait = 0;
    for (const c of counts) if (over(c.hits)) wait = Math.max(wait, c.windowEnds - now);
    return wait;
  }

  /** The live counts of those keys, by key (keys without one are left out). Reads only. */
  async counts(keys: readonly string[]): Promise<Map<string, RateCount>> {
    const found = await this.store.readRate(this.stored(keys), this.now());
    return new Map(found.map((c) => [c.key.slice(this.prefix.length), { ...c, key: c.key.slice(this.prefix.length) }]));
  }

  /** Milliseconds until every one of the keys may have an event again; 0 when none is at the limit. Reads only. */
  async blockedFor(keys: readonly string[]): Promise<number> {
    return this.blockedIn(await this.counts(keys));
  }

  /** What blockedFor answers, from counts already read. */
  blockedIn(counts: ReadonlyMap<string, RateCount>): number {
    return this.waitOf(counts.values(), this.now(), (hits) => hits >= this.settings.limit);
  }

  /** Counts one event against each key, whatever the counts. */
  async count(keys: readonly string[]): Promise<void> {
    await this.store.countRate(this.stored(keys), this.now(), this.settings.windowMs);
  }

  /**
   * Takes one event for each key: 0 when every key is still within its limit
   * with it, else the milliseconds until the key's window ends (the event is
   * refused; counting it past the limit changes nothing).
   */
  async take(keys: readonly string[]): Promise<number> {
    const now = this.now();
    const counts = await this.store.countRate(this.stored(keys), now, this.settings.windowMs);
    return this.waitOf(counts, now, (hits) => hits > this.settings.limit);
  }

  /** Forgets the counts of those keys. */
  async clear(keys: readonly string[]): Promise<void> {
    await this.store.clearRate(this.stored(keys));
  }
}
