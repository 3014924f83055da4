// Occurrences of a calendar object: the master's DTSTART, RRULE and RDATE
// (PERIOD values included) instances less its EXDATEs, each replaced by its
// RECURRENCE-ID override where there is one; overrides of instances the
// master does not produce (Apple iCal EXDATEs the dates it overrides) stand
// as instances of their own. Recurrence runs in the wall-clock time of the
// DTSTART's zone, so a 10:00 meeting stays at 10:00 across DST changes.
// ical.js iterates the rules; UNTIL is compared here, as an instant when it
// is in UTC (ical.js would compare a UTC UNTIL with a zoned DTSTART's wall
// clock).
import ICAL from 'ical.js';
import type { CalComponent, CalendarObject, CalTime, Period } from './ical.ts';
import { isUtc, localOf, toInstant, UTC, wallMs, type Local, type Zone } from './zones.ts';

export const MIN_TIME = -8_640_000_000_000_000;
/** rule steps one expansion may take (about 10 µs each): a minutely rule from years ago stops here */
export const DEFAULT_MAX_STEPS = 50_000;
export const MAX_TIME = 8_640_000_000_000_000;
const DAY = 86_400_000;

export interface Occurrence {
  /** ms since the epoch; for a floating time, read in the expansion's floating zone */
  readonly start: number;
  /** exclusive; start + 1 for an instant (zero duration) */
  readonly end: number;
  readonly floating: boolean;
  /** the component that gives this occurrence its properties */
  readonly component: CalComponent;
  /** the RECURRENCE-ID of this occurrence as an instant (null when the object does not recur) */
  readonly recurrenceId: number | null;
}

export interface ExpandOptions {
  /** occurrences ending at or before this are not returned (iteration still starts at DTSTART) */
  readonly from?: number;
  /** iteration stops at the first instance starting at or after this */
  readonly to?: number;
  /** the zone floating and all-day values are read in */
  readonly floatingIn?: Zone;
  /** keep at most this many occurrences: the latest ones before `to` */
  readonly maxOccurrences?: number;
  /** stop after so many rule steps */
  readonly maxSteps?: number;
  /** stop as soon as an occurrence kept satisfies this */
  readonly stopWhen?: (o: Occurrence) => boolean;
}

export interface Expansion {
  /** in start order */
  readonly occurrences: readonly Occurrence[];
  /** instances were dropped before this instant (maxOccurrences): the range [MIN_TIME, droppedBefore) is not covered */
  readonly droppedBefore: number | null;
  /** iteration stopped here with instances maybe left (at `to`, or at maxSteps): [stoppedAt, MAX_TIME) is not covered */
  readonly stoppedAt: number | null;
  /** whether the recurrence has no end (an RRULE without COUNT or UNTIL) */
  readonly unbounded: boolean;
}

interface Ctx {
  readonly floatingIn: Zone;
  readonly hint: Zone;
}

function instantOf(t: CalTime, ctx: Ctx): number {
  return toInstant(t.local, t.zone, ctx.floatingIn);
}

function addWall(l: Local, ms: number): Local {
  return localOf(wallMs(l) + ms);
}

/** The end of an occurrence starting at local `startLocal` of component `c`. */
function endOf(c: CalComponent, startLocal: Local, startInstant: number, zone: Zone, isDate: boolean, ctx: Ctx, period?: Period): number {
  const exact = (ms: number): number => Math.max(startInstant + ms, startInstant + 1);
  if (period) {
    if (period.end) return Math.max(instantOf(period.end, ctx), startInstant + 1);
    if (period.durationSeconds !== null) return exact(period.durationSeconds * 1000);
  }
  if (c.end && c.start) {
    const sameZone = zoneKey(c.end.zone) === zoneKey(c.start.zone);
    if (sameZone) {
      const wallDur = wallMs(c.end.local) - wallMs(c.start.local);
      if (wallDur <= 0) return startInstant + 1;
      return Math.max(toInstant(addWall(startLocal, wallDur), zone, ctx.floatingIn), startInstant + 1);
    }
    return exact(instantOf(c.end, ctx) - instantOf(c.start, ctx));
  }
  if (c.duration) {
    const d = c.duration;
    if (d.isNegative) return startInstant + 1;
    const nominal = (d.weeks * 7 + d.days) * DAY;
    const timed = ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;
    if (nominal + timed === 0) return startInstant + 1;
    const afterDays = nominal ? toInstant(addWall(startLocal, nominal), zone, ctx.floatingIn) : startInstant;
    return Math.max(afterDays + timed, startInstant + 1);
  }
  if (isDate) return toInstant(addWall(startLocal, DAY), zone, ctx.floatingIn);
  return startInstant + 1;
}

function zoneKey(z: Zone): string {
  return z.kind === 'iana' ? `iana:${z.name}` : z.kind === 'vtimezone' ? `vt:${z.tzid}` : z.kind;
}

/** The single occurrence a non-recurring component (or an override) stands for. */
function ownOccurrence(c: CalComponent, ctx: Ctx, rid: number | null): Occurrence | null {
  if (c.kind === 'vtodo' && !c.start) return todoWithoutStart(c, ctx, rid);
  const base = c.start ?? c.recurrenceId;
  if (!base) return null;
  const start = instantOf(base, ctx);
  const end = c.start ? endOf(c, base.local, start, base.zone, base.isDate, ctx) : start + 1;
  return { start, end, floating: base.zone.kind === 'floating', component: c, recurrenceId: rid };
}

/** RFC 4791 §9.9's table for a VTODO without DTSTART. */
function todoWithoutStart(c: CalComponent, ctx: Ctx, rid: number | null): Occurrence {
  const mk = (start: number, end: number, floating: boolean): Occurrence => ({ start, end, floating, component: c, recurrenceId: rid });
  if (c.end) {
    const due = instantOf(c.end, ctx);
    return mk(due - 1, due, c.end.zone.kind === 'floating');
  }
  if (c.completed && c.created) {
    const a = instantOf(c.created, ctx);
    const b = instantOf(c.completed, ctx);
    return mk(Math.min(a, b), Math.max(a, b) + 1, false);
  }
  if (c.completed) {
    const k = instantOf(c.completed, ctx);
    return mk(k, k + 1, false);
  }
  if (c.created) return mk(instantOf(c.created, ctx), MAX_TIME, false);
  return mk(MIN_TIME, MAX_TIME, false);
}

/** Keys an instance is known by: its instant, and (for all-day matching) its local date. */
function dateKey(l: Local): string {
  return `${l.year}-${l.month}-${l.day}`;
}

function ridInstant(t: CalTime, ctx: Ctx): number {
  // a floating RECURRENCE-ID is read like the master's floating values
  return instantOf(t, ctx);
}

interface Cand {
  readonly local: Local;
  readonly zone: Zone;
  readonly isDate: boolean;
  readonly instant: number;
  readonly period?: Period;
}

/** A stream of rule instances in the master's wall-clock time, UNTIL checked here. */
function ruleStream(rule: ICAL.Recur, start: CalTime, ctx: Ctx): { next(): Cand | null; unbounded: boolean } {
  const data = rule.toJSON() as Record<string, unknown>;
  const until = rule.until;
  delete data.until;
  const stripped = ICAL.Recur.fromData(data as Parameters<typeof ICAL.Recur.fromData>[0]);
  const dt = ICAL.Time.fromData({ ...start.local, isDate: start.isDate });
  const it = stripped.iterator(dt);
  let untilInstant: number | null = null;
  let untilWall: number | null = null;
  if (until) {
    const ul: Local = { year: until.year, month: until.month, day: until.day, hour: until.isDate ? 23 : until.hour, minute: until.isDate ? 59 : until.minute, second: until.isDate ? 59 : until.second };
    const utc = isUtc(until);
    if (utc) untilInstant = wallMs(ul);
    else untilWall = wallMs(ul);
  }
  return {
    unbounded: !until && !rule.count,
    next(): Cand | null {
      const t = it.next();
      if (!t) return null;
      const local: Local = { year: t.year, month: t.month, day: t.day, hour: start.isDate ? 0 : t.hour, minute: start.isDate ? 0 : t.minute, second: start.isDate ? 0 : t.second };
      let instant: number;
      if (start.zone.kind === 'floating') {
        instant = toInstant(local, start.zone, ctx.floatingIn);
        // a UTC UNTIL against floating or all-day values: read them in the object's zone
        if (untilInstant !== null && toInstant(local, ctx.hint) > untilInstant) return null;
      } else {
        instant = toInstant(local, start.zone);
        if (untilInstant !== null && instant > untilInstant) return null;
      }
      if (untilWall !== null && wallMs(local) > untilWall) return null;
      return { local, zone: start.zone, isDate: start.isDate, instant };
    },
  };
}

/**
 * Expands the object. Iteration always starts at DTSTART; `to` and
 * `maxSteps` bound it; `maxOccurrences` keeps the latest instances.
 */
export function expand(obj: CalendarObject, options: ExpandOptions = {}): Expansion {
  const ctx: Ctx = { floatingIn: options.floatingIn ?? UTC, hint: obj.hintZone };
  const from = options.from ?? MIN_TIME;
  const to = options.to ?? MAX_TIME;
  const maxOcc = options.maxOccurrences ?? Number.POSITIVE_INFINITY;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const master = obj.master;
  const recurring = master !== null && (master.rrules.length > 0 || master.rdates.length > 0);

  if (!master || !recurring) {
    const out: Occurrence[] = [];
    for (const c of obj.components) {
      const rid = c.recurrenceId ? ridInstant(c.recurrenceId, ctx) : null;
      const o = ownOccurrence(c, ctx, rid);
      if (o && o.end > from && o.start < to) out.push(o);
    }
    out.sort((a, b) => a.start - b.start);
    return { occurrences: out, droppedBefore: null, stoppedAt: null, unbounded: false };
  }

  const base = master.start ?? master.end!;
  const isDate = base.isDate;
  const exInstants = new Set<number>();
  const exDates = new Set<string>();
  for (const x of master.exdates) {
    exInstants.add(instantOf(x, ctx));
    if (x.isDate || isDate) exDates.add(dateKey(x.local));
  }
  const overrides = new Map<number, CalComponent>();
  const overrideDates = new Map<string, CalComponent>();
  for (const o of obj.overrides) {
    overrides.set(ridInstant(o.recurrenceId!, ctx), o);
    if (o.recurrenceId!.isDate || isDate) overrideDates.set(dateKey(o.recurrenceId!.local), o);
  }
  const used = new Set<CalComponent>();

  // sources: DTSTART, each RRULE, the RDATEs; merged in instant order
  const streams: { next(): Cand | null; unbounded: boolean }[] = [];
  const first: Cand = { local: base.local, zone: base.zone, isDate, instant: instantOf(base, ctx) };
  const rdates: Cand[] = master.rdates.map((r) => {
    const t = 'start' in r ? r.start : r;
    return { local: t.local, zone: t.zone, isDate: t.isDate, instant: instantOf(t, ctx), ...('start' in r ? { period: r } : {}) };
  }).sort((a, b) => a.instant - b.instant);
  let ri = 0;
  streams.push({ unbounded: false, next: () => (ri < rdates.length ? rdates[ri++]! : null) });
  let firstDone = false;
  streams.push({ unbounded: false, next: () => (firstDone ? null : (firstDone = true, first)) });
  for (const rule of master.rrules) streams.push(ruleStream(rule, base, ctx));
  const unbounded = streams.some((s) => s.unbounded);

  const heads: (Cand | null)[] = streams.map((s) => s.next());
  let steps = 0;
  let stoppedAt: number | null = null;
  let droppedBefore: number | null = null;
  const kept: Occurrence[] = [];
  let lastInstant = Number.NEGATIVE_INFINITY;
  const drop = (): void => {
    const cut = kept.length - maxOcc;
    if (cut <= 0) return;
    const removed = kept.splice(0, cut);
    droppedBefore = Math.max(droppedBefore ?? MIN_TIME, removed[removed.length - 1]!.end);
  };
  for (;;) {
    let bi = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (bi < 0 || h.instant < heads[bi]!.instant)) bi = i;
    }
    if (bi < 0) break;
    const cand = heads[bi]!;
    if (cand.instant >= to) {
      stoppedAt = to;
      break;
    }
    if (++steps > maxSteps) {
      stoppedAt = Math.max(cand.instant, from);
      break;
    }
    heads[bi] = streams[bi]!.next();
    if (cand.instant === lastInstant) continue; // the same instance from two sources
    lastInstant = cand.instant;
    if (exInstants.has(cand.instant) || (exDates.size > 0 && exDates.has(dateKey(cand.local)))) continue;
    const ov = overrides.get(cand.instant) ?? (overrideDates.size > 0 ? overrideDates.get(dateKey(cand.local)) : undefined);
    let occ: Occurrence | null;
    if (ov) {
      used.add(ov);
      occ = ownOccurrence(ov, ctx, cand.instant);
    } else if (master.kind === 'vtodo' && !master.start) {
      occ = { start: cand.instant - 1, end: cand.instant, floating: cand.zone.kind === 'floating', component: master, recurrenceId: cand.instant };
    } else {
      occ = {
        start: cand.instant,
        end: endOf(master, cand.local, cand.instant, cand.zone, cand.isDate, ctx, cand.period),
        floating: cand.zone.kind === 'floating',
        component: master,
        recurrenceId: cand.instant,
      };
    }
    if (!occ || occ.end <= from || occ.start >= to) continue;
    kept.push(occ);
    if (options.stopWhen?.(occ)) break;
    if (kept.length > maxOcc * 2) drop();
  }
  drop();
  if (stoppedAt !== null && heads.every((h) => h === null)) stoppedAt = null;
  // overrides of instances the master does not produce (or beyond where iteration stopped)
  for (const ov of obj.overrides) {
    if (used.has(ov)) continue;
    const rid = ridInstant(ov.recurrenceId!, ctx);
    const occ = ownOccurrence(ov, ctx, rid);
    if (occ && occ.end > from && occ.start < to) kept.push(occ);
  }
  kept.sort((a, b) => a.start - b.start);
  return { occurrences: kept, droppedBefore, stoppedAt, unbounded };
}

/** RFC 4791 §9.9: whether an occurrence [start, end) overlaps the range [start, end). */
export function overlaps(o: { start: number; end: number }, range: { start: number; end: number }): boolean {
  return o.start < range.end && o.end > range.start;
}
