// What a REPORT's CALDAV:calendar-data or CARDDAV:address-data element asks
// for (RFC 4791 §9.6, RFC 6352 §10.4), read into core's terms: the
// components and properties to return, CALDAV:expand or
// CALDAV:limit-recurrence-set, CALDAV:limit-freebusy-set, and the media
// type. A media type or version the server does not serve is 403 with
// supported-calendar-data / supported-address-data; a range that is not a
// UTC start before its end, or a comp or prop without a name, is 400 with
// CALDAV:valid-filter (CARDDAV:valid-filter for a card prop without a name).
import type { CompSelection, PropSelection, Range } from '../../../core/calendar/partial.ts';
import type { CardPropSelection } from '../../../core/contacts/partial.ts';
import { DavError } from '../errors.ts';
import { elements, is, type XmlElement } from '../xml.ts';
import { CALDAV, CARDDAV } from './tree.ts';

export interface CalendarDataRequest {
  readonly select?: CompSelection;
  readonly expand?: Range;
  readonly limit?: Range;
  readonly limitFreeBusy?: Range;
}

export interface AddressDataRequest {
  /** absent: the whole card */
  readonly props?: readonly CardPropSelection[];
}

/** iCalendar UTC date-time (20060104T000000Z, or a date) as ms; 400 valid-filter otherwise. */
export function parseUtc(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(s.trim());
  if (!m) throw new DavError(400, `${JSON.stringify(s.slice(0, 40))} is not a UTC date-time`, { ns: CALDAV, name: 'valid-filter' });
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(t);
  // 20240231 or 25:00 are not dates: refused rather than rolled over
  if (mo < 1 || mo > 12 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 60) {
    throw new DavError(400, `${JSON.stringify(s.slice(0, 40))} is not a valid date-time`, { ns: CALDAV, name: 'valid-filter' });
  }
  return t;
}

function range(e: XmlElement): Range {
  const start = parseUtc(e.attributes.start);
  const end = parseUtc(e.attributes.end);
  if (start === undefined || end === undefined || end <= start) {
    throw new DavError(400, `CALDAV:${e.name} needs a start before its end, in UTC`, { ns: CALDAV, name: 'valid-filter' });
  }
  return { start, end };
}

function mediaType(e: XmlElement, type: string, versions: readonly string[], ns: string, precondition: string): void {
  const ct = e.attributes['content-type'];
  const v = e.attributes.version;
  if (ct !== undefined && ct.trim().toLowerCase() !== type) {
    throw new DavError(403, `calendar and address data are served as ${type}, not ${ct.slice(0, 60)}`, { ns, name: precondition });
  }
  if (v !== undefined && !versions.includes(v.trim())) {
    throw new DavError(403, `${type} is served in version ${versions.join(' or ')}, not ${v.slice(0, 20)}`, { ns, name: precondition });
  }
}

function compSelection(e: XmlElement): CompSelection {
  const name = e.attributes.name?.trim();
  if (!name) throw new DavError(400, 'a CALDAV:comp needs a name', { ns: CALDAV, name: 'valid-filter' });
  const kids = elements(e).filter((x) => x.ns === CALDAV);
  const propEls = kids.filter((x) => x.name === 'prop');
  const compEls = kids.filter((x) => x.name === 'comp');
  const allprop = kids.some((x) => x.name === 'allprop');
  const allcomp = kids.some((x) => x.name === 'allcomp');
  // an empty comp element: the whole component (RFC 4791's own example asks for VTIMEZONE so)
  if (propEls.length === 0 && compEls.length === 0 && !allprop && !allcomp) return { name: name.toUpperCase(), props: 'all', comps: 'all' };
  const props: 'all' | PropSelection[] = allprop ? 'all' : propEls.map((p) => {
    const n = p.attributes.name?.trim();
    if (!n) throw new DavError(400, 'a CALDAV:prop needs a name', { ns: CALDAV, name: 'valid-filter' });
    return { name: n.toUpperCase(), novalue: p.attributes.novalue === 'yes' };
  });
  return { name: name.toUpperCase(), props, comps: allcomp ? 'all' : compEls.map(compSelection) };
}

/** The calendar-data element among the asked props, read; {} when none is asked or it asks for the whole object. */
export function calendarDataRequest(asked: readonly XmlElement[]): CalendarDataRequest {
  const data = asked.find((p) => is(p, CALDAV, 'calendar-data'));
  if (!data) return {};
  mediaType(data, 'text/calendar', ['2.0'], CALDAV, 'supported-calendar-data');
  const kids = elements(data).filter((x) => x.ns === CALDAV);
  const comp = kids.find((x) => x.name === 'comp');
  const ex = kids.find((x) => x.name === 'expand');
  const lim = kids.find((x) => x.name === 'limit-recurrence-set');
  const fb = kids.find((x) => x.name === 'limit-freebusy-set');
  if (ex && lim) throw new DavError(400, 'CALDAV:expand and CALDAV:limit-recurrence-set cannot be asked together', { ns: CALDAV, name: 'valid-filter' });
  const select = comp ? compSelection(comp) : undefined;
  if (select && select.name !== 'VCALENDAR') {
    throw new DavError(400, `the outermost CALDAV:comp of calendar-data is VCALENDAR, not ${select.name.slice(0, 40)}`, { ns: CALDAV, name: 'valid-filter' });
  }
  return {
    ...(select && !(select.props === 'all' && select.comps === 'all') ? { select } : {}),
    ...(ex ? { expand: range(ex) } : {}),
    ...(lim ? { limit: range(lim) } : {}),
    ...(fb ? { limitFreeBusy: range(fb) } : {}),
  };
}

/** The address-data element among the asked props, read; {} when none is asked or it asks for the whole card. */
export function addressDataRequest(asked: readonly XmlElement[]): AddressDataRequest {
  const data = asked.find((p) => is(p, CARDDAV, 'address-data'));
  if (!data) return {};
  mediaType(data, 'text/vcard', ['3.0', '4.0'], CARDDAV, 'supported-address-data');
  const kids = elements(data).filter((x) => x.ns === CARDDAV);
  if (kids.some((x) => x.name === 'allprop')) return {};
  const propEls = kids.filter((x) => x.name === 'prop');
  if (propEls.length === 0) return {};
  return {
    props: propEls.map((p) => {
      const n = p.attributes.name?.trim();
      if (!n) throw new DavError(400, 'a CARDDAV:prop needs a name', { ns: CARDDAV, name: 'valid-filter' });
      return { name: n.toUpperCase(), novalue: p.attributes.novalue === 'yes' };
    }),
  };
}
