// Partial retrieval of calendar data (RFC 4791 §9.6.1–§9.6.4, §9.6.7): the
// components and properties a CALDAV:calendar-data element names, cut from
// the object's text with every kept line byte for byte; and
// CALDAV:limit-freebusy-set, which keeps only the FREEBUSY periods of a
// VFREEBUSY that overlap a range.
//
// A comp names a component (case-insensitive); its props are 'all'
// (CALDAV:allprop) or the listed ones, its sub-components 'all'
// (CALDAV:allcomp) or the listed ones. An empty comp element asks for the
// whole component (as the RFC's own example asks for VTIMEZONE). Names
// that match nothing in the object select nothing: unknown names are
// ignored, never an error. A prop with novalue keeps its name and
// parameters and drops its value.
import { blocksOf, contentLines, isBlock, lineEnd, nameOf, rawOf, valueStart, type Block, type RawLine } from './lines.ts';

export interface PropSelection {
  /** upper case */
  readonly name: string;
  readonly novalue: boolean;
}

export interface CompSelection {
  /** upper case */
  readonly name: string;
  readonly props: 'all' | readonly PropSelection[];
  readonly comps: 'all' | readonly CompSelection[];
}

export interface Range {
  readonly start: number;
  readonly end: number;
}

/** The whole component: all its properties and sub-components. */
export const WHOLE = (name: string): CompSelection => ({ name: name.toUpperCase(), props: 'all', comps: 'all' });

/** The text with only what `root` (a VCALENDAR selection) names; the text as it is when its root is no VCALENDAR. */
export function selectCalendarData(text: string, root: CompSelection): string {
  const lines = contentLines(text);
  const eol = lineEnd(lines);
  const cal = blocksOf(lines).find((b) => b.name === 'VCALENDAR');
  if (!cal || root.name !== 'VCALENDAR' || (root.props === 'all' && root.comps === 'all')) return text;
  return selectBlock(cal, root, eol);
}

function selectBlock(block: Block, sel: CompSelection, eol: string): string {
  if (sel.props === 'all' && sel.comps === 'all') return withEol(rawOf(block), eol);
  let out = withEol(block.begin.raw, eol);
  for (const x of block.body) {
    if (isBlock(x)) {
      if (sel.comps === 'all') {
        out += withEol(rawOf(x), eol);
        continue;
      }
      const s = sel.comps.find((c) => c.name === x.name);
      if (s) out += selectBlock(x, s, eol);
      continue;
    }
    if (sel.props === 'all') {
      out += withEol(x.raw, eol);
      continue;
    }
    const name = nameOf(x.logical);
    const p = sel.props.find((q) => q.name === name);
    if (p) out += p.novalue ? noValue(x, eol) : withEol(x.raw, eol);
  }
  return out + withEol(block.end?.raw ?? `END:${block.name}`, eol);
}

/** The line's name and parameters and a trailing colon, without its value (RFC 4791 §9.6.4 novalue). */
export function noValue(line: RawLine, eol: string): string {
  const at = valueStart(line.logical);
  return `${at < 0 ? line.logical : line.logical.slice(0, at)}${eol}`;
}

/**
 * The text with each VFREEBUSY's FREEBUSY properties limited to the
 * periods that overlap the range (CALDAV:limit-freebusy-set); a FREEBUSY
 * left with no period goes. Other lines are kept byte for byte, and so is a
 * FREEBUSY all of whose periods overlap. Calendars here hold VEVENTs and
 * VTODOs, so this changes only objects that carry a VFREEBUSY.
 */
export function limitFreeBusy(text: string, range: Range): string {
  if (!/BEGIN:VFREEBUSY/i.test(text)) return text;
  const lines = contentLines(text);
  const eol = lineEnd(lines);
  const cal = blocksOf(lines).find((b) => b.name === 'VCALENDAR');
  if (!cal) return text;
  const walk = (b: Block, inFreeBusy: boolean): string => {
    let out = withEol(b.begin.raw, eol);
    for (const x of b.body) {
      if (isBlock(x)) out += walk(x, x.name === 'VFREEBUSY');
      else if (inFreeBusy && nameOf(x.logical) === 'FREEBUSY') out += limitedFreeBusyLine(x, range, eol);
      else out += withEol(x.raw, eol);
    }
    return out + withEol(b.end?.raw ?? `END:${b.name}`, eol);
  };
  return walk(cal, false);
}

function limitedFreeBusyLine(line: RawLine, range: Range, eol: string): string {
  const at = valueStart(line.logical);
  if (at < 0) return withEol(line.raw, eol);
  const periods = line.logical.slice(at).split(',');
  const kept = periods.filter((p) => {
    const span = periodSpan(p.trim());
    // a period that cannot be read is kept rather than lost
    return span === null || (span.start < range.end && span.end > range.start);
  });
  if (kept.length === periods.length) return withEol(line.raw, eol);
  if (kept.length === 0) return '';
  return `${line.logical.slice(0, at)}${kept.join(',')}${eol}`;
}

/** A FREEBUSY period (UTC start, then a UTC end or a duration), as ms. */
function periodSpan(p: string): Range | null {
  const [a, b] = p.split('/');
  const start = utc(a);
  if (start === null || b === undefined) return null;
  const end = utc(b) ?? (start + (durationMs(b) ?? NaN));
  return Number.isFinite(end) ? { start, end } : null;
}

function utc(s: string | undefined): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : null;
}

function durationMs(s: string): number | null {
  const m = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(s);
  if (!m || s.endsWith('P') || s.endsWith('T')) return null;
  const [w, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0));
  const ms = ((((w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + se!) * 1000;
  return m[1] === '-' ? -ms : ms;
}

function withEol(s: string, eol: string): string {
  return s === '' || /[\r\n]$/.test(s) ? s : s + eol;
}
