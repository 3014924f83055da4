// What every benchmark shares: knobs read from the environment, progress on
// stderr, numbers formatted for `BENCH` lines, nearest-rank percentiles, a
// deterministic generator, work spread over a few lanes, and the clean-up of
// what a run made (at its end, on failure, and on Ctrl-C). Bureau as a child
// process, free ports and test databases come from ../test/support. And the
// memory of a server's process tree, from /proc (Linux).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

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

// ----- memory of a process tree, from /proc


export function readStatusKb(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(s);
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(s);
    if (!rss || !hwm) return null; // a zombie, or a kernel thread
    return { rss: Number(rss[1]), hwm: Number(hwm[1]) };
  } catch {
    return null;
  }
}

/** The process and all its descendants (threads are not processes: they share its RSS). */
export function treePids(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    const pid = out[i]!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(/\s+/)) out.push(Number(k));
      } catch { /* the thread ended */ }
    }
  }
  return out;
}

let resettable = true;

/** Whether every reset of VmHWM worked (else hwm_mb is the peak since the process started). */
export const hwmResettable = (): boolean => resettable;

/** Resets the peak RSS (VmHWM) of every process of the tree (Linux >= 4.0, root or owner). */
function resetHwm(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      resettable = false;
    }
  }
}

export interface MemWindow {
  /** sum of VmRSS of the tree when the window opened */
  readonly baseMb: number;
  /** highest sum of VmRSS sampled every 50 ms */
  readonly peakMb: number;
  /** sum of VmHWM of the tree when the window closed (reset when it opened) */
  readonly hwmMb: number;
}

/** Watches a server's memory between start() and the returned stop(). */
export function watchMemory(rootPid: number | null): () => MemWindow {
  if (rootPid === null) return () => ({ baseMb: NaN, peakMb: NaN, hwmMb: NaN });
  let pids = treePids(rootPid);
  resetHwm(pids);
  const sum = (): number => {
    let kb = 0;
    for (const p of pids) kb += readStatusKb(p)?.rss ?? 0;
    return kb;
  };
  const base = sum();
  let peak = base;
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks % 10 === 0) {
      const before = new Set(pids);
      pids = treePids(rootPid);
      const fresh = pids.filter((p) => !before.has(p));
      if (fresh.length > 0) resetHwm(fresh);
    }
    peak = Math.max(peak, sum());
  }, 50);
  return () => {
    clearInterval(timer);
    pids = treePids(rootPid);
    const now = sum();
    peak = Math.max(peak, now);
    let hwm = 0;
    for (const p of pids) hwm += readStatusKb(p)?.hwm ?? 0;
    return { baseMb: base / 1024, peakMb: peak / 1024, hwmMb: hwm / 1024 };
  };
}
