// Rate counters (migration 012): one row per key, the events of the window
// that began with the key's first event. Counting is one UPSERT ... RETURNING
// per call, atomic on both backends (SQLite: one writer at a time; PostgreSQL:
// the row lock of ON CONFLICT DO UPDATE, the second writer re-reading the row
// the first committed), so concurrent processes never count the same event
// slot twice and never lose one.
import type { RateCount } from '../types.ts';
import type { Row, SqlDriver, SqlValue } from './driver.ts';

function toCount(r: Row): RateCount {
  return { key: String(r.key), hits: Number(r.hits), windowEnds: Number(r.window_ends) };
}

/** The keys once each, sorted: PostgreSQL then locks the rows of one statement in one order, so two statements cannot deadlock. */
const distinct = (keys: readonly string[]): string[] => [...new Set(keys)].sort();

export class SqlRateCounts {
  private readonly db: SqlDriver;
  constructor(db: SqlDriver) {
    this.db = db;
  }

  async count(keys: readonly string[], now: number, windowMs: number): Promise<RateCount[]> {
    const ks = distinct(keys);
    if (ks.length === 0) return [];
    const params: SqlValue[] = [now, now + windowMs, ...ks];
    const rows = ks.map((_, i) => `($${i + 3}, 1, CAST($2 AS BIGINT))`).join(', ');
    const found = await this.db.all(
      `INSERT INTO rate_counts (key, hits, window_ends) VALUES ${rows}
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN rate_counts.window_ends <= CAST($1 AS BIGINT) THEN 1 ELSE rate_counts.hits + 1 END,
         window_ends = CASE WHEN rate_counts.window_ends <= CAST($1 AS BIGINT) THEN excluded.window_ends ELSE rate_counts.window_ends END
       RETURNING key, hits, window_ends`, params);
    const byKey = new Map(found.map((r) => [String(r.key), toCount(r)]));
    return keys.map((k) => byKey.get(k)!);
  }

  async read(keys: readonly string[], now: number): Promise<RateCount[]> {
    const ks = distinct(keys);
    if (ks.length === 0) return [];
    const list = ks.map((_, i) => `$${i + 2}`).join(', ');
    const rows = await this.db.all(`SELECT key, hits, window_ends FROM rate_counts WHERE key IN (${list}) AND window_ends > $1`, [now, ...ks]);
    return rows.map(toCount);
  }

  async clear(keys: readonly string[]): Promise<void> {
    const ks = distinct(keys);
    if (ks.length === 0) return;
    await this.db.run(`DELETE FROM rate_counts WHERE key IN (${ks.map((_, i) => `$${i + 1}`).join(', ')})`, ks);
  }

  async sweep(now: number): Promise<number> {
    return (await this.db.run('DELETE FROM rate_counts WHERE window_ends <= $1', [now])).changes;
  }
}
