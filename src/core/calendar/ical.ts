// Parsing and validating one calendar object resource (RFC 4791 §4.1) with
// ical.js: a VCALENDAR 2.0 holding VEVENTs or VTODOs of one UID (a master
// and its RECURRENCE-ID overrides, in any order), with the VTIMEZONEs they
// use. Anything else is refused with an InvalidCalendarData naming the
// problem and the CalDAV precondition a door reports it under. The bytes
// are never changed: parsing works on a copy with line endings normalised.
import ICAL from 'ical.js';
import { InvalidInput } from '../errors.ts';
import { FLOATING, isUtc, UTC, ZoneResolver, type Local, type Zone } from './zones.ts';

/** The CalDAV precondition (RFC 4791 §5.3.2.1) a refusal falls under. */
export type CalendarPrecondition =
  | 'supported-calendar-data'
  | 'valid-calendar-data'
  | 'valid-calendar-object-resource'
  | 'supported-calendar-component'
  | 'max-resource-size';

export class InvalidCalendarData extends InvalidInput {
  override name = 'InvalidCalendarData';
  readonly precondition: CalendarPrecondition;
  constructor(precondition: CalendarPrecondition, message: string) {
    super('calendar-data', message);
    this.precondition = precondition;
  }
}

export const MAX_CALENDAR_OBJECT_BYTES = 4 * 1024 * 1024;

export type ComponentKind = 'vevent' | 'vtodo';

/** A DATE or DATE-TIME value with the zone it is read in (dates are floating). */
export interface CalTime {
  readonly local: Local;
  readonly isDate: boolean;
  readonly zone: Zone;
}

export interface Period {
  readonly start: CalTime;
  /** end of a PERIOD value, when it has one (else its duration) */
  readonly end: CalTime | null;
  readonly durationSeconds: number | null;
}

/** One VEVENT or VTODO of the object: the master, or an override. */
export interface CalComponent {
  readonly comp: ICAL.Component;
  readonly kind: ComponentKind;
  readonly recurrenceId: CalTime | null;
  readonly start: CalTime | null;
  /** DTEND of a VEVENT, DUE of a VTODO */
  readonly end: CalTime | null;
  readonly duration: ICAL.Duration | null;
  readonly rrules: readonly ICAL.Recur[];
  readonly rdates: readonly (CalTime | Period)[];
  readonly exdates: readonly CalTime[];
  readonly status: string | null;
  readonly transparent: boolean;
  /** Outlook's X-MICROSOFT-CDO-BUSYSTATUS, upper case */
  readonly busyStatus: string | null;
  readonly completed: CalTime | null;
  readonly created: CalTime | null;
}

export interface CalendarObject {
  readonly root: ICAL.Component;
  readonly uid: string;
  readonly kind: ComponentKind;
  readonly master: CalComponent | null;
  readonly overrides: readonly CalComponent[];
  /** every VEVENT/VTODO, in the order of the object */
  readonly components: readonly CalComponent[];
  readonly zones: ZoneResolver;
  /** the zone floating values are best read in when nothing else says: the object's first TZID, else its X-WR-TIMEZONE, else UTC */
  readonly hintZone: Zone;
  readonly method: string | null;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of an object's bytes; refuses what is not UTF-8. */
export function decodeText(bytes: Uint8Array, what: string, refuse: (message: string) => Error): string {
  try {
    return decoder.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw refuse(`the ${what} is not valid UTF-8 text`);
  }
}

/** The text as ical.js reads it: CR LF, lone CR and Apple's CR CR LF all become LF. */
export function forParsing(text: string): string {
  return text.replace(/\r*\n|\r/g, '\n');
}

const bad = (p: CalendarPrecondition, m: string): InvalidCalendarData => new InvalidCalendarData(p, m);

export interface ParseOptions {
  /** fix known client bugs in the parsing copy (an import does; a PUT keeps to the standard) */
  readonly repair?: boolean;
}

/**
 * Exchange writes `DTSTART;TZID="W. Europe Standard Time:20200609T090000"`:
 * the quote swallows the value. Moves the closing quote back before the colon.
 */
export function repairQuotedTzid(text: string): string {
  return text.replace(/^([A-Za-z0-9-]+(?:;[^\r\n"]*)?;TZID=)"([^"\r\n:]*):([0-9]{8}(?:T[0-9]{6}Z?)?)"(\r?)$/gm, '$1"$2":$3$4');
}

export function parseCalendarText(source: string, options: ParseOptions = {}): ICAL.Component {
  let text = forParsing(source);
  if (options.repair) text = repairQuotedTzid(text);
  const first = text.split('\n', 1)[0]!.trim().toUpperCase();
  if (first === 'BEGIN:VCARD') throw bad('supported-calendar-data', 'this is a vCard, not an iCalendar object');
  if (first !== 'BEGIN:VCALENDAR') throw bad('valid-calendar-data', `an iCalendar object starts with BEGIN:VCALENDAR, not ${JSON.stringify(first.slice(0, 40))}`);
  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (err) {
    throw bad('valid-calendar-data', `the iCalendar text cannot be read: ${(err as Error).message}`);
  }
  if (Array.isArray(jcal) && Array.isArray(jcal[0])) {
    throw bad('valid-calendar-object-resource', `the text holds ${jcal.length} VCALENDAR objects; a calendar object resource holds one`);
  }
  const root = new ICAL.Component(jcal as unknown[]);
  if (root.name !== 'vcalendar') throw bad('valid-calendar-data', `an iCalendar object is a VCALENDAR, not a ${root.name.toUpperCase()}`);
  const version = root.getFirstPropertyValue('version');
  if (version === '1.0') {
    throw bad('supported-calendar-data', 'this is a vCalendar 1.0 object (VERSION:1.0); only iCalendar 2.0 is accepted: export the calendar as iCalendar (.ics) instead');
  }
  if (version !== '2.0') throw bad('valid-calendar-data', version === null ? 'the VCALENDAR has no VERSION:2.0' : `iCalendar VERSION ${String(version)} is not supported; only 2.0 is`);
  return root;
}

function textValue(c: ICAL.Component, name: string): string | null {
  const v = c.getFirstPropertyValue(name);
  return v === null || v === undefined ? null : String(v);
}

/** Reads a DATE/DATE-TIME value of a property. */
function calTime(prop: ICAL.Property, value: unknown, zones: ZoneResolver, where: string): CalTime {
  if (!(value instanceof ICAL.Time)) throw bad('valid-calendar-data', `${where} is not a date or a date-time`);
  const local: Local = { year: value.year, month: value.month, day: value.day, hour: value.isDate ? 0 : value.hour, minute: value.isDate ? 0 : value.minute, second: value.isDate ? 0 : value.second };
  if (!Number.isFinite(local.year) || local.year < 1 || local.year > 9999 || local.month < 1 || local.month > 12 || local.day < 1 || local.day > 31) {
    throw bad('valid-calendar-data', `${where} is not a valid date`);
  }
  if (value.isDate) return { local, isDate: true, zone: FLOATING };
  if (isUtc(value)) return { local, isDate: false, zone: UTC };
  const tzid = prop.getParameter('tzid');
  const id = Array.isArray(tzid) ? tzid[0] : tzid;
  if (typeof id === 'string' && id !== '') {
    const zone = zones.resolve(id);
    if (!zone) throw bad('valid-calendar-data', `${where} uses TZID ${JSON.stringify(id)}, which is neither a known time zone nor defined by a VTIMEZONE in the object`);
    return { local, isDate: false, zone };
  }
  return { local, isDate: false, zone: FLOATING };
}

function oneTime(c: ICAL.Component, name: string, zones: ZoneResolver, kind: string): CalTime | null {
  const props = c.getAllProperties(name);
  if (props.length === 0) return null;
  if (props.length > 1) throw bad('valid-calendar-data', `a ${kind} has ${props.length} ${name.toUpperCase()} properties; it may have one`);
  const p = props[0]!;
  return calTime(p, p.getFirstValue(), zones, `${name.toUpperCase()} of a ${kind}`);
}

function readComponent(c: ICAL.Component, zones: ZoneResolver): CalComponent {
  const kind = c.name as ComponentKind;
  const K = kind.toUpperCase();
  const start = oneTime(c, 'dtstart', zones, K);
  const end = oneTime(c, kind === 'vevent' ? 'dtend' : 'due', zones, K);
  const durations = c.getAllProperties('duration');
  if (durations.length > 1) throw bad('valid-calendar-data', `a ${K} has ${durations.length} DURATION properties; it may have one`);
  const duration = durations.length ? durations[0]!.getFirstValue() : null;
  if (duration !== null && !(duration instanceof ICAL.Duration)) throw bad('valid-calendar-data', `the DURATION of a ${K} is not a duration`);
  if (end && duration) throw bad('valid-calendar-data', `a ${K} has both ${kind === 'vevent' ? 'DTEND' : 'DUE'} and DURATION; it may have one of them`);
  if (kind === 'vevent' && !start) throw bad('valid-calendar-data', 'a VEVENT has no DTSTART');
  if (duration && !start) throw bad('valid-calendar-data', `a ${K} has a DURATION but no DTSTART`);
  const rrules: ICAL.Recur[] = [];
  for (const p of c.getAllProperties('rrule')) {
    const r = p.getFirstValue();
    if (!(r instanceof ICAL.Recur) || !r.freq) throw bad('valid-calendar-data', `the RRULE of a ${K} cannot be read`);
    if (!start && !end) throw bad('valid-calendar-data', `a ${K} with an RRULE needs a DTSTART`);
    rrules.push(r);
  }
  const rdates: (CalTime | Period)[] = [];
  for (const p of c.getAllProperties('rdate')) {
    for (const v of p.getValues()) {
      if (v instanceof ICAL.Period) {
        const ps = calTime(p, v.start, zones, `RDATE of a ${K}`);
        const pe = v.end ? calTime(p, v.end, zones, `RDATE of a ${K}`) : null;
        rdates.push({ start: ps, end: pe, durationSeconds: v.duration ? v.duration.toSeconds() : null });
      } else {
        rdates.push(calTime(p, v, zones, `RDATE of a ${K}`));
      }
    }
  }
  const exdates: CalTime[] = [];
  for (const p of c.getAllProperties('exdate')) {
    for (const v of p.getValues()) exdates.push(calTime(p, v, zones, `EXDATE of a ${K}`));
  }
  const status = textValue(c, 'status');
  const busy = textValue(c, 'x-microsoft-cdo-busystatus');
  return {
    comp: c,
    kind,
    recurrenceId: oneTime(c, 'recurrence-id', zones, K),
    start,
    end,
    duration,
    rrules,
    rdates,
    exdates,
    status: status ? status.trim().toUpperCase() : null,
    transparent: (textValue(c, 'transp') ?? '').trim().toUpperCase() === 'TRANSPARENT',
    busyStatus: busy ? busy.trim().toUpperCase() : null,
    completed: safeTime(c, 'completed', zones),
    created: safeTime(c, 'created', zones),
  };
}

function safeTime(c: ICAL.Component, name: string, zones: ZoneResolver): CalTime | null {
  try {
    return oneTime(c, name, zones, c.name.toUpperCase());
  } catch {
    return null;
  }
}

const SUPPORTED = new Set(['vevent', 'vtodo']);

/** The key that tells two RECURRENCE-IDs apart. */
function ridKey(t: CalTime): string {
  const l = t.local;
  return `${l.year}-${l.month}-${l.day}T${l.hour}:${l.minute}:${l.second}/${t.zone.kind === 'iana' ? t.zone.name : t.zone.kind === 'vtimezone' ? t.zone.tzid : t.zone.kind}`;
}

/** Parses and validates the text of one calendar object resource. */
export function parseCalendarObject(source: string, options: ParseOptions = {}): CalendarObject {
  const root = parseCalendarText(source, options);
  const subs = root.getAllSubcomponents();
  const vtimezones = subs.filter((s) => s.name === 'vtimezone');
  const zones = new ZoneResolver(vtimezones);
  const items: ICAL.Component[] = [];
  for (const s of subs) {
    if (s.name === 'vtimezone') continue;
    if (s.name.startsWith('x-')) continue;
    if (!SUPPORTED.has(s.name)) {
      throw bad('supported-calendar-component', `a ${s.name.toUpperCase()} cannot be stored here; a calendar holds VEVENTs and VTODOs`);
    }
    items.push(s);
  }
  if (items.length === 0) throw bad('valid-calendar-object-resource', 'the VCALENDAR holds no VEVENT and no VTODO');
  const uids = new Set<string>();
  for (const c of items) {
    const ps = c.getAllProperties('uid');
    const v = ps.length === 1 ? String(ps[0]!.getFirstValue() ?? '').trim() : '';
    if (ps.length > 1) throw bad('valid-calendar-data', `a ${c.name.toUpperCase()} has ${ps.length} UID properties`);
    if (v === '') throw bad('valid-calendar-object-resource', `a ${c.name.toUpperCase()} has no UID; every VEVENT and VTODO needs one`);
    uids.add(v);
  }
  if (uids.size > 1) {
    const list = [...uids];
    throw bad('valid-calendar-object-resource',
      `the VCALENDAR holds ${list.length} UIDs (${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''}); a calendar object resource holds one UID, with its overrides — store each UID as its own resource`);
  }
  const kinds = new Set(items.map((c) => c.name));
  if (kinds.size > 1) {
    throw bad('valid-calendar-object-resource', 'the VCALENDAR mixes VEVENTs and VTODOs; a calendar object resource holds components of one type (RFC 4791 §4.1)');
  }
  const components = items.map((c) => {
    try {
      return readComponent(c, zones);
    } catch (err) {
      if (err instanceof InvalidCalendarData) throw err;
      throw bad('valid-calendar-data', `the iCalendar text cannot be read: ${(err as Error).message}`);
    }
  });
  const masters = components.filter((c) => c.recurrenceId === null);
  if (masters.length > 1) throw bad('valid-calendar-object-resource', `the object has ${masters.length} ${items[0]!.name.toUpperCase()}s without RECURRENCE-ID; it may have one master`);
  const seen = new Set<string>();
  for (const c of components) {
    if (!c.recurrenceId) continue;
    const k = ridKey(c.recurrenceId);
    if (seen.has(k)) throw bad('valid-calendar-object-resource', 'two overrides have the same RECURRENCE-ID');
    seen.add(k);
  }
  const method = textValue(root, 'method');
  return {
    root,
    uid: [...uids][0]!,
    kind: items[0]!.name as ComponentKind,
    master: masters[0] ?? null,
    overrides: components.filter((c) => c.recurrenceId !== null),
    components,
    zones,
    hintZone: hintZone(components, root, zones),
    method,
  };
}

function hintZone(components: readonly CalComponent[], root: ICAL.Component, zones: ZoneResolver): Zone {
  for (const c of components) {
    for (const t of [c.start, c.end, c.recurrenceId]) {
      if (t && (t.zone.kind === 'iana' || t.zone.kind === 'vtimezone')) return t.zone;
    }
  }
  const wr = textValue(root, 'x-wr-timezone');
  if (wr) {
    const z = zones.resolve(wr.trim());
    if (z) return z;
  }
  return UTC;
}

/** A component's lower-cased text values of a property, for the index and text-match. */
export function propertyTexts(c: ICAL.Component, name: string): string[] {
  const out: string[] = [];
  for (const p of c.getAllProperties(name)) {
    for (const v of p.getValues()) {
      if (v === null || v === undefined) continue;
      out.push(typeof v === 'string' ? v : String(v));
    }
  }
  return out;
}
