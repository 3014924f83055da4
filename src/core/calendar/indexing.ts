// The item index of a calendar object (Store.searchItems answers from it):
//  fields  ical-uid, component (vevent|vtodo), summary, location,
//          description, categories, status, transp, organizer, attendee
//          (lower case, for text-match), recurrence (none|bounded|unbounded),
//          floating (yes when some time is floating or all-day);
//  ranges  'event': every occurrence from the object's start up to a horizon
//          (now + 5 years), at most `maxOccurrences` of them (the latest ones
//          are kept when a series has more); overlapping ones merged;
//          floating times widened by the world's offsets (UTC-12..UTC+14);
//          'event-beyond': the spans the index does not cover (after the
//          horizon for a series that goes on, before the kept occurrences
//          for one that had too many), where a query expands the object.
import type { ItemIndex } from '../../store/types.ts';
import { expand, MAX_TIME, MIN_TIME } from './expand.ts';
import { propertyTexts, type CalendarObject } from './ical.ts';

export const RANGE_EVENT = 'event';
export const RANGE_BEYOND = 'event-beyond';

/** rule steps indexing may take; what lies past them is left to query time */
const INDEX_MAX_STEPS = 20_000;

export interface IndexSettings {
  /** the instant the horizon is counted from (ms) */
  readonly now: number;
  /** how far ahead of now occurrences are indexed, in years */
  readonly horizonYears: number;
  /** the most occurrences indexed for one object */
  readonly maxOccurrences: number;
}

const HOUR = 3_600_000;
/** a floating time happens somewhere between UTC-12 and UTC+14 */
const FLOAT_BEFORE = 14 * HOUR;
const FLOAT_AFTER = 12 * HOUR;

export const TEXT_FIELDS = ['summary', 'location', 'description', 'categories', 'status', 'transp', 'organizer', 'attendee', 'class', 'priority'] as const;

export function horizonOf(settings: IndexSettings): number {
  const d = new Date(settings.now);
  d.setUTCFullYear(d.getUTCFullYear() + settings.horizonYears);
  return d.getTime();
}

export function calendarIndex(obj: CalendarObject, settings: IndexSettings): ItemIndex {
  const fields: Record<string, string[]> = {
    'ical-uid': [obj.uid],
    component: [obj.kind],
  };
  for (const name of TEXT_FIELDS) {
    const values = new Set<string>();
    for (const c of obj.components) for (const v of propertyTexts(c.comp, name)) if (v.trim() !== '') values.add(v.toLowerCase());
    if (values.size) fields[name] = [...values];
  }
  const x = expand(obj, { to: horizonOf(settings), maxOccurrences: settings.maxOccurrences, maxSteps: INDEX_MAX_STEPS });
  const recurring = obj.master !== null && (obj.master.rrules.length > 0 || obj.master.rdates.length > 0);
  fields.recurrence = [!recurring ? 'none' : x.unbounded ? 'unbounded' : 'bounded'];
  const spans: { start: number; end: number }[] = [];
  let floating = false;
  for (const o of x.occurrences) {
    if (o.floating) floating = true;
    spans.push(o.floating
      ? { start: Math.max(MIN_TIME, o.start - FLOAT_BEFORE), end: Math.min(MAX_TIME, o.end + FLOAT_AFTER) }
      : { start: o.start, end: o.end });
  }
  if (floating || obj.components.some((c) => c.start?.zone.kind === 'floating')) floating = true;
  if (floating) fields.floating = ['yes'];
  const ranges: { kind: string; start: number; end: number }[] = merge(spans).map((s) => ({ kind: RANGE_EVENT, ...s }));
  if (x.droppedBefore !== null) ranges.push({ kind: RANGE_BEYOND, start: MIN_TIME, end: x.droppedBefore });
  if (x.stoppedAt !== null) ranges.push({ kind: RANGE_BEYOND, start: Math.max(MIN_TIME, x.stoppedAt - (floating ? FLOAT_BEFORE : 0)), end: MAX_TIME });
  return { fields, ranges };
}

/** Sorted spans with the overlapping and touching ones joined. */
function merge(spans: { start: number; end: number }[]): { start: number; end: number }[] {
  spans.sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}
