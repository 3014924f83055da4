// Time zones of iCalendar objects: which zone a TZID names, and the instant a
// local wall-clock time is in it.
//
// A TZID is resolved, in this order:
//  1. a Windows zone name as Outlook and Exchange write it ("W. Europe
//     Standard Time"), through the table below, to its IANA zone;
//  2. an IANA name the runtime knows ("Europe/Paris", "UTC"), aliases too;
//  3. the X-LIC-LOCATION of the object's VTIMEZONE, when it is an IANA name;
//  4. the object's VTIMEZONE itself, through ical.js (custom names such as
//     "(GMT+01.00) Amsterdam / Berlin" or a Lotus Notes zone).
// IANA zones come from the runtime's ICU data (Intl), which has the history
// of every zone; a VTIMEZONE sent by a client often has only today's rule.
import ICAL from 'ical.js';

/** Windows time-zone names (as in CLDR's windowsZones, territory 001) to IANA zones. */
export const WINDOWS_ZONES: Readonly<Record<string, string>> = {
  'Dateline Standard Time': 'Etc/GMT+12',
  'UTC-11': 'Etc/GMT+11',
  'Aleutian Standard Time': 'America/Adak',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Marquesas Standard Time': 'Pacific/Marquesas',
  'Alaskan Standard Time': 'America/Anchorage',
  'UTC-09': 'Etc/GMT+9',
  'Pacific Standard Time (Mexico)': 'America/Tijuana',
  'UTC-08': 'Etc/GMT+8',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time (Mexico)': 'America/Mazatlan',
  'Mountain Standard Time': 'America/Denver',
  'Yukon Standard Time': 'America/Whitehorse',
  'Central America Standard Time': 'America/Guatemala',
  'Central Standard Time': 'America/Chicago',
  'Easter Island Standard Time': 'Pacific/Easter',
  'Central Standard Time (Mexico)': 'America/Mexico_City',
  'Canada Central Standard Time': 'America/Regina',
  'SA Pacific Standard Time': 'America/Bogota',
  'Eastern Standard Time (Mexico)': 'America/Cancun',
  'Eastern Standard Time': 'America/New_York',
  'Haiti Standard Time': 'America/Port-au-Prince',
  'Cuba Standard Time': 'America/Havana',
  'US Eastern Standard Time': 'America/Indiana/Indianapolis',
  'Turks And Caicos Standard Time': 'America/Grand_Turk',
  'Paraguay Standard Time': 'America/Asuncion',
  'Atlantic Standard Time': 'America/Halifax',
  'Venezuela Standard Time': 'America/Caracas',
  'Central Brazilian Standard Time': 'America/Cuiaba',
  'SA Western Standard Time': 'America/La_Paz',
  'Pacific SA Standard Time': 'America/Santiago',
  'Newfoundland Standard Time': 'America/St_Johns',
  'Tocantins Standard Time': 'America/Araguaina',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'SA Eastern Standard Time': 'America/Cayenne',
  'Argentina Standard Time': 'America/Argentina/Buenos_Aires',
  'Greenland Standard Time': 'America/Nuuk',
  'Montevideo Standard Time': 'America/Montevideo',
  'Magallanes Standard Time': 'America/Punta_Arenas',
  'Saint Pierre Standard Time': 'America/Miquelon',
  'Bahia Standard Time': 'America/Bahia',
  'UTC-02': 'Etc/GMT+2',
  'Mid-Atlantic Standard Time': 'Etc/GMT+2',
  'Azores Standard Time': 'Atlantic/Azores',
  'Cape Verde Standard Time': 'Atlantic/Cape_Verde',
  'UTC': 'Etc/UTC',
  'Coordinated Universal Time': 'Etc/UTC',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'Sao Tome Standard Time': 'Africa/Sao_Tome',
  'Morocco Standard Time': 'Africa/Casablanca',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Romance Standard Time': 'Europe/Paris',
  'Central European Standard Time': 'Europe/Warsaw',
  'W. Central Africa Standard Time': 'Africa/Lagos',
  'Jordan Standard Time': 'Asia/Amman',
  'GTB Standard Time': 'Europe/Bucharest',
  'Middle East Standard Time': 'Asia/Beirut',
  'Egypt Standard Time': 'Africa/Cairo',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'Syria Standard Time': 'Asia/Damascus',
  'West Bank Standard Time': 'Asia/Hebron',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'FLE Standard Time': 'Europe/Kyiv',
  'Israel Standard Time': 'Asia/Jerusalem',
  'South Sudan Standard Time': 'Africa/Juba',
  'Kaliningrad Standard Time': 'Europe/Kaliningrad',
  'Sudan Standard Time': 'Africa/Khartoum',
  'Libya Standard Time': 'Africa/Tripoli',
  'Namibia Standard Time': 'Africa/Windhoek',
  'Arabic Standard Time': 'Asia/Baghdad',
  'Turkey Standard Time': 'Europe/Istanbul',
  'Arab Standard Time': 'Asia/Riyadh',
  'Belarus Standard Time': 'Europe/Minsk',
  'Russian Standard Time': 'Europe/Moscow',
  'E. Africa Standard Time': 'Africa/Nairobi',
  'Volgograd Standard Time': 'Europe/Volgograd',
  'Iran Standard Time': 'Asia/Tehran',
  'Arabian Standard Time': 'Asia/Dubai',
  'Astrakhan Standard Time': 'Europe/Astrakhan',
  'Azerbaijan Standard Time': 'Asia/Baku',
  'Russia Time Zone 3': 'Europe/Samara',
  'Mauritius Standard Time': 'Indian/Mauritius',
  'Saratov Standard Time': 'Europe/Saratov',
  'Georgian Standard Time': 'Asia/Tbilisi',
  'Caucasus Standard Time': 'Asia/Yerevan',
  'Afghanistan Standard Time': 'Asia/Kabul',
  'West Asia Standard Time': 'Asia/Tashkent',
  'Ekaterinburg Standard Time': 'Asia/Yekaterinburg',
  'Pakistan Standard Time': 'Asia/Karachi',
  'Qyzylorda Standard Time': 'Asia/Qyzylorda',
  'India Standard Time': 'Asia/Kolkata',
  'Sri Lanka Standard Time': 'Asia/Colombo',
  'Nepal Standard Time': 'Asia/Kathmandu',
  'Central Asia Standard Time': 'Asia/Almaty',
  'Bangladesh Standard Time': 'Asia/Dhaka',
  'Omsk Standard Time': 'Asia/Omsk',
  'Myanmar Standard Time': 'Asia/Yangon',
  'SE Asia Standard Time': 'Asia/Bangkok',
  'Altai Standard Time': 'Asia/Barnaul',
  'W. Mongolia Standard Time': 'Asia/Hovd',
  'North Asia Standard Time': 'Asia/Krasnoyarsk',
  'N. Central Asia Standard Time': 'Asia/Novosibirsk',
  'Tomsk Standard Time': 'Asia/Tomsk',
  'China Standard Time': 'Asia/Shanghai',
  'North Asia East Standard Time': 'Asia/Irkutsk',
  'Singapore Standard Time': 'Asia/Singapore',
  'Malay Peninsula Standard Time': 'Asia/Kuala_Lumpur',
  'W. Australia Standard Time': 'Australia/Perth',
  'Taipei Standard Time': 'Asia/Taipei',
  'Ulaanbaatar Standard Time': 'Asia/Ulaanbaatar',
  'Aus Central W. Standard Time': 'Australia/Eucla',
  'Transbaikal Standard Time': 'Asia/Chita',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'North Korea Standard Time': 'Asia/Pyongyang',
  'Korea Standard Time': 'Asia/Seoul',
  'Yakutsk Standard Time': 'Asia/Yakutsk',
  'Cen. Australia Standard Time': 'Australia/Adelaide',
  'AUS Central Standard Time': 'Australia/Darwin',
  'E. Australia Standard Time': 'Australia/Brisbane',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'West Pacific Standard Time': 'Pacific/Port_Moresby',
  'Tasmania Standard Time': 'Australia/Hobart',
  'Vladivostok Standard Time': 'Asia/Vladivostok',
  'Lord Howe Standard Time': 'Australia/Lord_Howe',
  'Bougainville Standard Time': 'Pacific/Bougainville',
  'Russia Time Zone 10': 'Asia/Srednekolymsk',
  'Magadan Standard Time': 'Asia/Magadan',
  'Norfolk Standard Time': 'Pacific/Norfolk',
  'Sakhalin Standard Time': 'Asia/Sakhalin',
  'Central Pacific Standard Time': 'Pacific/Guadalcanal',
  'Russia Time Zone 11': 'Asia/Kamchatka',
  'New Zealand Standard Time': 'Pacific/Auckland',
  'UTC+12': 'Etc/GMT-12',
  'Fiji Standard Time': 'Pacific/Fiji',
  'Chatham Islands Standard Time': 'Pacific/Chatham',
  'UTC+13': 'Etc/GMT-13',
  'Tonga Standard Time': 'Pacific/Tongatapu',
  'Samoa Standard Time': 'Pacific/Apia',
  'Line Islands Standard Time': 'Pacific/Kiritimati',
};

const WINDOWS_LOWER = new Map(Object.entries(WINDOWS_ZONES).map(([k, v]) => [k.toLowerCase(), v]));

/** How a local time is tied to the timeline. */
export type Zone =
  | { readonly kind: 'utc' }
  /** no zone: the same wall-clock time wherever one is (all-day dates too) */
  | { readonly kind: 'floating' }
  | { readonly kind: 'iana'; readonly name: string }
  | { readonly kind: 'vtimezone'; readonly tzid: string; readonly tz: ICAL.Timezone };

export const UTC: Zone = Object.freeze({ kind: 'utc' });
export const FLOATING: Zone = Object.freeze({ kind: 'floating' });

/** Wall-clock fields; month is 1-12. */
export interface Local {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The runtime's canonical IANA name, or null when it does not know the zone. */
export function ianaZone(name: string): string | null {
  const n = name.trim();
  if (n === '' || n.length > 64) return null;
  if (formatters.has(n)) return n;
  try {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone: n, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
    });
    formatters.set(n, f);
    return n;
  } catch {
    return null;
  }
}

/** The IANA zone a Windows zone name stands for. */
export function windowsZone(name: string): string | null {
  return WINDOWS_LOWER.get(name.trim().toLowerCase()) ?? null;
}

const offsetCache = new Map<string, Map<number, number>>();
const HOUR = 3_600_000;

/** The offset (ms, local minus UTC) of an IANA zone at an instant. */
function ianaOffset(name: string, t: number): number {
  let cache = offsetCache.get(name);
  if (!cache) offsetCache.set(name, cache = new Map());
  // offsets change on whole quarter hours at the earliest; cache per quarter hour
  const key = Math.floor(t / (HOUR / 4));
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const f = formatters.get(name)!;
  const parts = f.formatToParts(new Date(key * (HOUR / 4)));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? '0');
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value.startsWith('B')) year = 1 - year;
  const wall = wallMs({ year, month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') });
  const off = wall - key * (HOUR / 4);
  if (cache.size > 50_000) cache.clear();
  cache.set(key, off);
  return off;
}

/** Wall-clock fields as if they were UTC, in ms. */
export function wallMs(l: Local): number {
  const d = new Date(Date.UTC(2000, 0, 1, l.hour, l.minute, l.second));
  d.setUTCFullYear(l.year, l.month - 1, l.day);
  return d.getTime();
}

export function localOf(ms: number): Local {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/**
 * The instant of a wall-clock time in a zone (RFC 5545 §3.3.5): a time that
 * occurs twice is the first one; a time skipped by a change is read with the
 * offset before the gap. Floating times are read in `floatingIn` (UTC by default).
 */
export function toInstant(l: Local, zone: Zone, floatingIn: Zone = UTC): number {
  const wall = wallMs(l);
  switch (zone.kind) {
    case 'utc':
      return wall;
    case 'floating':
      return floatingIn.kind === 'floating' ? wall : toInstant(l, floatingIn);
    case 'iana': {
      const before = ianaOffset(zone.name, wall - 14 * HOUR);
      const after = ianaOffset(zone.name, wall + 14 * HOUR);
      const valid = [before, after].filter((o) => ianaOffset(zone.name, wall - o) === o);
      if (valid.length === 0) return wall - before;
      return wall - Math.max(...valid);
    }
    case 'vtimezone': {
      const t = ICAL.Time.fromData({ year: l.year, month: l.month, day: l.day, hour: l.hour, minute: l.minute, second: l.second, isDate: false });
      const off = zone.tz.utcOffset(t);
      return wall - off * 1000;
    }
  }
}

/** The wall-clock time of an instant in a zone (floating: as UTC). */
export function toLocal(t: number, zone: Zone): Local {
  switch (zone.kind) {
    case 'utc':
    case 'floating':
      return localOf(t);
    case 'iana':
      return localOf(t + ianaOffset(zone.name, t));
    case 'vtimezone': {
      // the offset at the local time t + offset, found by two rounds
      let off = 0;
      for (let i = 0; i < 2; i++) {
        const l = localOf(t + off);
        off = zone.tz.utcOffset(ICAL.Time.fromData({ ...l, isDate: false })) * 1000;
      }
      return localOf(t + off);
    }
  }
}

/**
 * The zones an object defines: its VTIMEZONEs by TZID. `resolve` names the
 * zone a TZID stands for, or null when nothing defines it.
 */
export class ZoneResolver {
  private readonly vtimezones = new Map<string, ICAL.Component>();
  private readonly cache = new Map<string, Zone | null>();

  constructor(vtimezones: readonly ICAL.Component[]) {
    for (const c of vtimezones) {
      const id = c.getFirstPropertyValue('tzid');
      if (typeof id === 'string' && id !== '') this.vtimezones.set(id, c);
    }
  }

  resolve(tzid: string): Zone | null {
    if (this.cache.has(tzid)) return this.cache.get(tzid)!;
    const z = this.find(tzid);
    this.cache.set(tzid, z);
    return z;
  }

  private find(tzid: string): Zone | null {
    const win = windowsZone(tzid);
    if (win && ianaZone(win)) return { kind: 'iana', name: win };
    const iana = ianaZone(tzid);
    if (iana) return /^(utc|gmt|etc\/utc|z)$/i.test(iana) ? UTC : { kind: 'iana', name: iana };
    const vt = this.vtimezones.get(tzid);
    if (!vt) return null;
    const loc = vt.getFirstPropertyValue('x-lic-location');
    if (typeof loc === 'string' && ianaZone(loc)) return { kind: 'iana', name: loc };
    if (vt.getAllSubcomponents().filter((s) => s.name === 'standard' || s.name === 'daylight').length === 0) return null;
    return { kind: 'vtimezone', tzid, tz: new ICAL.Timezone({ component: vt, tzid }) };
  }
}

/** A zone named by the caller (a calendar's time zone): an IANA or Windows name. */
export function namedZone(name: string | null | undefined): Zone {
  if (!name) return UTC;
  const win = windowsZone(name);
  if (win && ianaZone(win)) return { kind: 'iana', name: win };
  const iana = ianaZone(name);
  return iana ? { kind: 'iana', name: iana } : UTC;
}

/** Whether ical.js read a DATE-TIME as UTC (a trailing Z). */
export function isUtc(t: ICAL.Time): boolean {
  return t.zone === ICAL.Timezone.utcTimezone || (t.zone as { tzid?: string } | undefined)?.tzid === 'UTC';
}
