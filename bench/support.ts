// What every benchmark shares: knobs read from the environment, progress on
// stderr, numbers formatted for `BENCH` lines, nearest-rank percentiles, a
// deterministic generator, work spread over a few lanes, and the clean-up of
// what a run made (at its end, on failure, and on Ctrl-C). Bureau as a child
// process, free ports and test databases come from ../test/support.

/** An integer knob: `fallback` when unset or empty; underscores allowed (100_000); at least `min`, else a clear error. */
export function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min}, not ${JSON.stringify(raw)}`);
  return n;
}

/** A progress line on stderr, prefixed with '#'. */
export function progress(message: string): void {
  process.stderr.write(`# ${message}\n`);
}

/** A figure's value: integers as they are, others to three significant digits or so (1234, 12.3, 1.23, 0.123). */
export function fmt(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return fixed(v);
}

/** Like `fmt`, integers included (5 -> "5.00"): for values that are whole only by chance (autocannon's milliseconds). */
export function fixed(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** Nearest-rank percentile (p in 0..100) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** A sorted copy of the values, smallest first. */
export const ascending = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** The nearest-rank median of values in any order. */
export const median = (xs: readonly number[]): number => percentile(ascending(xs), 50);

/** A small deterministic generator (mulberry32), so that every run, and every server, gets the same numbers. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fn(i) for i in [0, n), at most `lanes` at once; a lane takes no new i once `stopped()` says so. */
export async function pool(n: number, lanes: number, fn: (i: number) => Promise<void>, stopped: () => boolean = () => false): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(lanes, n) }, async () => {
    while (next < n && !stopped()) await fn(next++);
  }));
}

/**
 * What a run made and must undo, undone last first: at its end, on failure,
 * and on SIGINT/SIGTERM (then the process exits with 130). A step that fails
 * is reported and the others still run.
 */
export class Cleanups {
  private readonly steps: { readonly name: string; readonly fn: () => Promise<unknown> | unknown }[] = [];
  /** set once a signal came: long loops look at it to stop early */
  interrupted = false;

  /** Adds a step; the function returned takes it back (when the caller undid it itself). */
  add(name: string, fn: () => Promise<unknown> | unknown): () => void {
    const step = { name, fn };
    this.steps.push(step);
    return () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
    };
  }

  /** Runs every step, last added first, and forgets them. */
  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const c = this.steps.pop()!;
      try {
        await c.fn();
      } catch (err) {
        progress(`cleanup ${c.name} failed: ${String((err as Error)?.message ?? err)}`);
      }
    }
  }

  /** On SIGINT or SIGTERM: says `${signal}: ${what}`, runs `all` (every step, unless given), exits with 130. */
  onSignals(what: string, all: () => Promise<void> = () => this.runAll()): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (this.interrupted) return;
        this.interrupted = true;
        progress(`${signal}: ${what}`);
        void all().finally(() => process.exit(130));
      });
    }
  }
}
