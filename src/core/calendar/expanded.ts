// Calendar data as CALDAV:expand and CALDAV:limit-recurrence-set ask for it
// (RFC 4791 §9.6.5, §9.6.6). Expanded: one component per instance that
// overlaps the range, its DTSTART/DTEND (DUE) and RECURRENCE-ID in UTC
// (all-day values stay dates), no RRULE, RDATE, EXDATE or EXRULE, no
// VTIMEZONE; an override gives its instance's properties. Every other
// property and sub-component (VALARM…) keeps the bytes it was sent with.
// Limited: the object as stored, less the overrides outside the range.
import { expand, overlaps } from './expand.ts';
import { parseCalendarObject, type CalComponent, type CalendarObject } from './ical.ts';
import { blocksOf, contentLines, isBlock, lineEnd, nameOf, rawOf, type Block, type RawLine } from './lines.ts';
import { toInstant, toLocal, type Zone } from './zones.ts';

export interface Range {
  readonly start: number;
  readonly end: number;
}

/** Instances expanded at most per object (as core's occurrences). */
const MAX_EXPANDED = 10_000;

const DROPPED = new Set(['DTSTART', 'DTEND', 'DUE', 'RRULE', 'RDATE', 'EXDATE', 'EXRULE', 'RECURRENCE-ID']);

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function utcText(t: number): string {
  const d = new Date(t);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

/** `NAME:20240102T100000Z`, or `NAME;VALUE=DATE:20240102` for an all-day value (its date where floating values are read). */
function timeLine(name: string, t: number, isDate: boolean, floatingIn: Zone, eol: string): string {
  if (!isDate) return `${name}:${utcText(t)}${eol}`;
  const l = toLocal(t, floatingIn);
  return `${name};VALUE=DATE:${pad(l.year, 4)}${pad(l.month)}${pad(l.day)}${eol}`;
}

interface Parsed {
  readonly obj: CalendarObject;
  readonly cal: Block;
  readonly eol: string;
  /** the raw block of each component of obj.components */
  readonly blockOf: Map<CalComponent, Block>;
}

function parse(text: string): Parsed {
  const obj = parseCalendarObject(text, { repair: true });
  const lines = contentLines(text);
  const cal = blocksOf(lines).find((b) => b.name === 'VCALENDAR');
  if (!cal) throw new Error('no VCALENDAR');
  const comps = cal.body.filter((x): x is Block => isBlock(x) && (x.name === 'VEVENT' || x.name === 'VTODO'));
  if (comps.length !== obj.components.length) throw new Error('the components do not line up');
  return { obj, cal, eol: lineEnd(lines), blockOf: new Map(obj.components.map((c, i) => [c, comps[i]!])) };
}

/** The object's text expanded over the range (CALDAV:expand), the floating and all-day values read in `floatingIn`. */
export function expandedText(text: string, range: Range, floatingIn: Zone): string {
  const { obj, cal, eol, blockOf } = parse(text);
  const master = obj.master;
  const masterIsDate = master?.start?.isDate ?? false;
  const x = expand(obj, { from: range.start, to: range.end, floatingIn, maxOccurrences: MAX_EXPANDED });
  const header = cal.body.filter((l): l is RawLine => !isBlock(l)).map((l) => withEol(l.raw, eol)).join('');
  const parts: string[] = [];
  for (const o of x.occurrences) {
    if (!overlaps(o, range)) continue;
    const c = o.component;
    const block = blockOf.get(c)!;
    const isDate = c.start?.isDate ?? false;
    const had = new Set(block.body.filter((l): l is RawLine => !isBlock(l)).map((l) => nameOf(l.logical)));
    let head = withEol(block.begin.raw, eol);
    if (o.recurrenceId !== null) head += timeLine('RECURRENCE-ID', o.recurrenceId, c.recurrenceId?.isDate ?? masterIsDate, floatingIn, eol);
    if (c.start) head += timeLine('DTSTART', o.start, isDate, floatingIn, eol);
    if (c.kind === 'vevent' && (had.has('DTEND') || had.has('DURATION'))) head += timeLine('DTEND', o.end, isDate, floatingIn, eol);
    if (c.kind === 'vtodo' && had.has('DUE')) head += timeLine('DUE', o.end, isDate, floatingIn, eol);
    const body = block.body.map((l) => {
      if (isBlock(l)) return withEol(rawOf(l), eol);
      const n = nameOf(l.logical);
      // a VEVENT's DURATION became its DTEND; a VTODO keeps its DURATION
      if (DROPPED.has(n) || (n === 'DURATION' && c.kind === 'vevent')) return '';
      return withEol(l.raw, eol);
    }).join('');
    parts.push(head + body + withEol(block.end?.raw ?? `END:${block.name}`, eol));
  }
  return withEol(cal.begin.raw, eol) + header + parts.join('') + withEol(cal.end?.raw ?? 'END:VCALENDAR', eol);
}

/** The object's text with only the overrides that matter in the range (CALDAV:limit-recurrence-set): the master and everything else stay byte for byte. */
export function limitedText(text: string, range: Range, floatingIn: Zone): string {
  const { obj, cal, blockOf } = parse(text);
  if (!obj.master || obj.overrides.length === 0) return text;
  const x = expand(obj, { from: range.start, to: range.end, floatingIn, maxOccurrences: MAX_EXPANDED });
  const inRange = new Set(x.occurrences.filter((o) => overlaps(o, range)).map((o) => o.component));
  const dropped = new Set<Block>();
  for (const ov of obj.overrides) {
    const rid = toInstant(ov.recurrenceId!.local, ov.recurrenceId!.zone, floatingIn);
    if (inRange.has(ov) || (rid >= range.start && rid < range.end)) continue;
    dropped.add(blockOf.get(ov)!);
  }
  if (dropped.size === 0) return text;
  return cal.begin.raw + cal.body.map((l) => (isBlock(l) ? (dropped.has(l) ? '' : rawOf(l)) : l.raw)).join('') + (cal.end?.raw ?? '');
}

function withEol(s: string, eol: string): string {
  return /[\r\n]$/.test(s) ? s : s + eol;
}
