// Free/busy (RFC 4791 §7.10, RFC 5545 §3.6.4): busy periods only. An
// occurrence of a VEVENT counts unless it is TRANSP:TRANSPARENT, STATUS:
// CANCELLED, or marked free by Outlook (X-MICROSOFT-CDO-BUSYSTATUS:FREE);
// STATUS:TENTATIVE (or Outlook's TENTATIVE) makes it BUSY-TENTATIVE. Nothing
// else of an event ever leaves: no summary, location, description,
// attendee, organizer or UID.
import type { Occurrence } from './expand.ts';

export type BusyType = 'BUSY' | 'BUSY-TENTATIVE';

export interface BusyPeriod {
  readonly start: number;
  readonly end: number;
  readonly type: BusyType;
}

/** The busy type of an occurrence, or null when it leaves the time free. */
export function busyTypeOf(o: Occurrence): BusyType | null {
  const c = o.component;
  if (c.kind !== 'vevent') return null;
  if (c.status === 'CANCELLED') return null;
  if (c.transparent) return null;
  if (c.busyStatus === 'FREE') return null;
  if (c.status === 'TENTATIVE' || (c.status === null && c.busyStatus === 'TENTATIVE')) return 'BUSY-TENTATIVE';
  return 'BUSY';
}

/** Clips periods to the range and joins the overlapping ones; where BUSY and BUSY-TENTATIVE overlap, BUSY wins. */
export function mergeBusy(periods: readonly BusyPeriod[], range: { start: number; end: number }): BusyPeriod[] {
  const clip = (p: BusyPeriod): BusyPeriod | null => {
    const start = Math.max(p.start, range.start);
    const end = Math.min(p.end, range.end);
    return end > start ? { start, end, type: p.type } : null;
  };
  const join = (list: BusyPeriod[]): BusyPeriod[] => {
    list.sort((a, b) => a.start - b.start);
    const out: BusyPeriod[] = [];
    for (const p of list) {
      const last = out[out.length - 1];
      if (last && p.start <= last.end) out[out.length - 1] = { ...last, end: Math.max(last.end, p.end) };
      else out.push(p);
    }
    return out;
  };
  const clipped = periods.map(clip).filter((p): p is BusyPeriod => p !== null);
  const busy = join(clipped.filter((p) => p.type === 'BUSY'));
  // tentative time not covered by busy time
  const tentative: BusyPeriod[] = [];
  for (const t of join(clipped.filter((p) => p.type === 'BUSY-TENTATIVE'))) {
    let cursor = t.start;
    for (const b of busy) {
      if (b.end <= cursor || b.start >= t.end) continue;
      if (b.start > cursor) tentative.push({ start: cursor, end: b.start, type: 'BUSY-TENTATIVE' });
      cursor = Math.max(cursor, b.end);
    }
    if (cursor < t.end) tentative.push({ start: cursor, end: t.end, type: 'BUSY-TENTATIVE' });
  }
  return [...busy, ...tentative].sort((a, b) => a.start - b.start || a.type.localeCompare(b.type));
}

/** 20180326T183000Z */
export function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export interface FreeBusyExtras {
  /** METHOD of the VCALENDAR (REPLY for a scheduling answer, RFC 6638) */
  readonly method?: string;
  readonly uid?: string;
  /** calendar user addresses (mailto:…) for a scheduling answer */
  readonly organizer?: string;
  readonly attendee?: string;
}

/** A VCALENDAR holding one VFREEBUSY for the range, CRLF line ends. */
export function formatFreeBusy(periods: readonly BusyPeriod[], range: { start: number; end: number }, now: number, extras: FreeBusyExtras = {}): string {
  const clean = (v: string): string => v.replace(/[\r\n]/g, '');
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Bureau//Calendar//EN', 'CALSCALE:GREGORIAN'];
  if (extras.method) lines.push(`METHOD:${clean(extras.method)}`);
  lines.push('BEGIN:VFREEBUSY');
  if (extras.uid) lines.push(`UID:${clean(extras.uid)}`);
  lines.push(`DTSTAMP:${utcStamp(now)}`, `DTSTART:${utcStamp(range.start)}`, `DTEND:${utcStamp(range.end)}`);
  if (extras.organizer) lines.push(`ORGANIZER:${clean(extras.organizer)}`);
  if (extras.attendee) lines.push(`ATTENDEE:${clean(extras.attendee)}`);
  for (const p of periods) lines.push(`FREEBUSY;FBTYPE=${p.type}:${utcStamp(p.start)}/${utcStamp(p.end)}`);
  lines.push('END:VFREEBUSY', 'END:VCALENDAR');
  return lines.map((l) => `${l}\r\n`).join('');
}
