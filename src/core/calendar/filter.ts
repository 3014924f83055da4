// calendar-query filters (RFC 4791 §9.7): a comp-filter tree rooted at
// VCALENDAR, with time-range, prop-filter, param-filter, text-match and
// is-not-defined; and the simpler {component, timeRange, textMatch} form.
// `narrowing` turns the parts the item index can answer into an ItemQuery
// (a superset of the answer); `matches` decides exactly on a parsed object.
import ICAL from 'ical.js';
import type { ItemQuery } from '../../store/types.ts';
import { expand, MAX_TIME, MIN_TIME, overlaps, type Occurrence } from './expand.ts';
import type { CalComponent, CalendarObject } from './ical.ts';
import { RANGE_BEYOND, RANGE_EVENT, TEXT_FIELDS } from './indexing.ts';
import { isUtc, toInstant, UTC, type Zone } from './zones.ts';

/** ms since the epoch; a missing end is open */
export interface TimeRange {
  readonly start?: number;
  readonly end?: number;
}

export type Collation = 'i;ascii-casemap' | 'i;octet' | 'i;unicode-casemap';

export interface TextMatch {
  readonly text: string;
  /** default i;ascii-casemap */
  readonly collation?: Collation;
  readonly negate?: boolean;
  /** CardDAV's match-type; CalDAV always means contains */
  readonly matchType?: 'equals' | 'contains' | 'starts-with' | 'ends-with';
}

export interface ParamFilter {
  readonly name: string;
  readonly isNotDefined?: boolean;
  readonly textMatch?: TextMatch;
}

export interface PropFilter {
  readonly name: string;
  readonly isNotDefined?: boolean;
  readonly timeRange?: TimeRange;
  readonly textMatch?: TextMatch;
  readonly params?: readonly ParamFilter[];
}

export interface CompFilter {
  /** a component name (VCALENDAR at the root, VEVENT, VTODO, VALARM…); '*' is VEVENT or VTODO */
  readonly name: string;
  readonly isNotDefined?: boolean;
  readonly timeRange?: TimeRange;
  readonly props?: readonly PropFilter[];
  readonly comps?: readonly CompFilter[];
}

export interface CalendarQuery {
  readonly component?: 'vevent' | 'vtodo';
  readonly timeRange?: TimeRange;
  /** a text-match on one property of the VEVENT/VTODO, e.g. { prop: 'summary', text: 'meeting' } */
  readonly textMatch?: TextMatch & { readonly prop: string };
  /** the whole RFC 4791 filter (its root is the VCALENDAR comp-filter); takes the place of the three above */
  readonly filter?: CompFilter;
  /** the zone floating and all-day times are read in (an IANA or Windows name); default: the calendar's, else UTC */
  readonly timezone?: string;
}

export function toFilter(q: CalendarQuery): CompFilter {
  if (q.filter) return q.filter;
  const inner: CompFilter = {
    name: q.component ?? '*',
    ...(q.timeRange ? { timeRange: q.timeRange } : {}),
    ...(q.textMatch ? { props: [{ name: q.textMatch.prop, textMatch: q.textMatch }] } : {}),
  };
  return { name: 'VCALENDAR', comps: [inner] };
}

const rangeOf = (t: TimeRange): { start: number; end: number } => ({ start: t.start ?? MIN_TIME, end: t.end ?? MAX_TIME });

/** What the index can say about a filter: a superset query, and whether its answer is exact for items not flagged for expansion. */
export function narrowing(filter: CompFilter): { query: ItemQuery; exact: boolean } {
  const terms: ItemQuery[] = [];
  let exact = filter.name.toUpperCase() === 'VCALENDAR' && !filter.isNotDefined && !filter.timeRange && !(filter.props?.length);
  if (filter.name.toUpperCase() !== 'VCALENDAR' || filter.isNotDefined) return { query: { uids: [] }, exact: true };
  for (const cf of filter.comps ?? []) {
    const name = cf.name.toLowerCase();
    if (cf.isNotDefined) {
      exact = false;
      continue;
    }
    if (name === 'vevent' || name === 'vtodo') terms.push({ field: 'component', equals: name });
    else if (name !== '*') {
      exact = false;
      continue;
    }
    if (cf.timeRange) {
      const r = rangeOf(cf.timeRange);
      terms.push({ or: [{ range: RANGE_EVENT, overlaps: r }, { range: RANGE_BEYOND, overlaps: r }] });
    }
    if (cf.comps?.length) exact = false;
    for (const pf of cf.props ?? []) {
      exact = false;
      const field = pf.name.toLowerCase();
      if (pf.textMatch && !pf.textMatch.negate && !pf.isNotDefined && (TEXT_FIELDS as readonly string[]).includes(field)) {
        terms.push({ field, contains: pf.textMatch.text.toLowerCase() });
      }
    }
  }
  if (filter.comps && filter.comps.length > 1) exact = false;
  return { query: terms.length === 0 ? { all: true } : terms.length === 1 ? terms[0]! : { and: terms }, exact };
}

/** Items whose index answer is not final: floating times, or spans the index does not cover. */
export function needsExpansion(filter: CompFilter): ItemQuery | null {
  const ranges = (filter.comps ?? []).filter((c) => c.timeRange).map((c) => rangeOf(c.timeRange!));
  if (ranges.length === 0) return null;
  return { or: [{ field: 'floating', equals: 'yes' }, ...ranges.map((r) => ({ range: RANGE_BEYOND, overlaps: r }))] };
}

export function textMatches(values: readonly string[], tm: TextMatch): boolean {
  const fold = tm.collation === 'i;octet'
    ? (s: string) => s
    : tm.collation === 'i;unicode-casemap'
      ? (s: string) => s.normalize('NFKD').toLowerCase()
      : (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const needle = fold(tm.text);
  const type = tm.matchType ?? 'contains';
  const hit = values.some((v) => {
    const h = fold(v);
    if (type === 'equals') return h === needle;
    if (type === 'starts-with') return h.startsWith(needle);
    if (type === 'ends-with') return h.endsWith(needle);
    return h.includes(needle);
  });
  return tm.negate ? !hit : hit;
}

interface MatchCtx {
  readonly obj: CalendarObject;
  readonly floatingIn: Zone;
  readonly byComp: Map<ICAL.Component, CalComponent>;
}

/** Whether the object matches the filter, exactly. */
export function matches(obj: CalendarObject, filter: CompFilter, floatingIn: Zone = UTC): boolean {
  if (filter.name.toUpperCase() !== 'VCALENDAR') return false;
  if (filter.isNotDefined) return false;
  const ctx: MatchCtx = { obj, floatingIn, byComp: new Map(obj.components.map((c) => [c.comp, c])) };
  return compMatches(ctx, obj.root, filter);
}

function childrenNamed(c: ICAL.Component, name: string): ICAL.Component[] {
  const n = name.toLowerCase();
  return c.getAllSubcomponents().filter((s) => (n === '*' ? s.name === 'vevent' || s.name === 'vtodo' : s.name === n));
}

function compMatches(ctx: MatchCtx, c: ICAL.Component, f: CompFilter): boolean {
  if (f.timeRange && !timeRangeMatches(ctx, c, rangeOf(f.timeRange))) return false;
  for (const pf of f.props ?? []) if (!propMatches(ctx, c, pf)) return false;
  for (const cf of f.comps ?? []) {
    const kids = childrenNamed(c, cf.name);
    if (cf.isNotDefined) {
      if (kids.length > 0) return false;
      continue;
    }
    if (!kids.some((k) => compMatches(ctx, k, cf))) return false;
  }
  return true;
}

function occurrencesOf(ctx: MatchCtx, comp: CalComponent, range: { start: number; end: number }, pick?: (o: { start: number; end: number }) => boolean): { start: number; end: number }[] {
  const want = (o: Occurrence): boolean => o.component === comp && (pick ? pick(o) : overlaps(o, range));
  const x = expand(ctx.obj, { from: range.start, to: range.end, floatingIn: ctx.floatingIn, stopWhen: want });
  const found = x.occurrences.filter(want);
  // a rule too dense to expand up to the range (a minutely one from years ago): counted as a match rather than lost
  if (found.length === 0 && comp === ctx.obj.master && x.stoppedAt !== null && x.stoppedAt < range.end) return [{ start: range.start, end: range.end }];
  return found;
}

function timeRangeMatches(ctx: MatchCtx, c: ICAL.Component, range: { start: number; end: number }): boolean {
  const own = ctx.byComp.get(c);
  if (own) return occurrencesOf(ctx, own, range).some((o) => overlaps(o, range));
  if (c.name === 'valarm' && c.parent) {
    const parent = ctx.byComp.get(c.parent);
    if (!parent) return false;
    return alarmMatches(ctx, c, parent, range);
  }
  return true;
}

/** A VALARM overlaps when one of its trigger instants is in the range (RFC 4791 §9.9). */
function alarmMatches(ctx: MatchCtx, alarm: ICAL.Component, parent: CalComponent, range: { start: number; end: number }): boolean {
  const prop = alarm.getFirstProperty('trigger');
  if (!prop) return false;
  const v = prop.getFirstValue();
  if (v instanceof ICAL.Time) {
    const t = toInstant({ year: v.year, month: v.month, day: v.day, hour: v.hour, minute: v.minute, second: v.second }, isUtc(v) ? UTC : ctx.floatingIn);
    return t >= range.start && t < range.end;
  }
  if (!(v instanceof ICAL.Duration)) return false;
  const offset = v.toSeconds() * 1000;
  const related = String(prop.getParameter('related') ?? 'START').toUpperCase();
  const widened = { start: range.start === MIN_TIME ? MIN_TIME : range.start - offset - 366 * 86_400_000, end: range.end === MAX_TIME ? MAX_TIME : range.end - offset + 366 * 86_400_000 };
  const fires = (o: { start: number; end: number }): boolean => {
    const t = (related === 'END' ? o.end : o.start) + offset;
    return t >= range.start && t < range.end;
  };
  return occurrencesOf(ctx, parent, widened, fires).length > 0;
}

function propValues(p: ICAL.Property): string[] {
  return p.getValues().filter((v) => v !== null && v !== undefined).map((v) => (typeof v === 'string' ? v : String(v)));
}

function propMatches(ctx: MatchCtx, c: ICAL.Component, pf: PropFilter): boolean {
  const props = c.getAllProperties(pf.name.toLowerCase());
  if (pf.isNotDefined) return props.length === 0;
  if (props.length === 0) return false;
  return props.some((p) => {
    if (pf.timeRange) {
      const r = rangeOf(pf.timeRange);
      const inRange = p.getValues().some((v) => {
        if (!(v instanceof ICAL.Time)) return false;
        const t = toInstant({ year: v.year, month: v.month, day: v.day, hour: v.hour, minute: v.minute, second: v.second }, isUtc(v) ? UTC : ctx.floatingIn);
        return t >= r.start && t < r.end;
      });
      if (!inRange) return false;
    }
    if (pf.textMatch && !textMatches(propValues(p), pf.textMatch)) return false;
    for (const pa of pf.params ?? []) {
      const raw = p.getParameter(pa.name.toLowerCase());
      const values = raw === undefined || raw === null ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
      if (pa.isNotDefined) {
        if (values.length > 0) return false;
        continue;
      }
      if (values.length === 0) return false;
      if (pa.textMatch && !textMatches(values, pa.textMatch)) return false;
    }
    return true;
  });
}
