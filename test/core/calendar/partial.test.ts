// Partial calendar data (core/calendar/partial.ts) on its own: the
// CALDAV:limit-freebusy-set cut of a VFREEBUSY (which a calendar here never
// stores, so no REPORT can show it) and selections on a real Outlook file.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { limitFreeBusy, selectCalendarData, WHOLE } from '../../../src/core/calendar/partial.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/ical');
const T = (iso: string): number => Date.parse(iso);

const FREEBUSY = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  'BEGIN:VFREEBUSY',
  'UID:fb-1',
  'DTSTART:20240301T000000Z',
  'DTEND:20240401T000000Z',
  'FREEBUSY:20240301T090000Z/20240301T100000Z,20240315T090000Z/PT1H',
  'FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240320T090000Z/20240320T100000Z',
  'FREEBUSY:20240310T235000Z/PT20M,20240312T090000Z/20240312T093000Z',
  'END:VFREEBUSY',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('partial calendar data (core)', () => {
  it('limit-freebusy-set keeps only the periods that overlap the range, and drops a FREEBUSY left empty', () => {
    const out = limitFreeBusy(FREEBUSY, { start: T('2024-03-11T00:00:00Z'), end: T('2024-03-16T00:00:00Z') });
    expect(out).to.equal([
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VFREEBUSY', 'UID:fb-1', 'DTSTART:20240301T000000Z', 'DTEND:20240401T000000Z',
      'FREEBUSY:20240315T090000Z/PT1H',
      // a duration that reaches into the range counts
      'FREEBUSY:20240310T235000Z/PT20M,20240312T090000Z/20240312T093000Z',
      'END:VFREEBUSY', 'END:VCALENDAR', '',
    ].join('\r\n'));
    // a range covering everything changes nothing
    expect(limitFreeBusy(FREEBUSY, { start: T('2024-01-01T00:00:00Z'), end: T('2025-01-01T00:00:00Z') })).to.equal(FREEBUSY);
  });

  it('leaves text without a VFREEBUSY as it is', () => {
    const outlook = readFileSync(join(FIXTURES, 'outlook-2010-meeting-request-windows-tz.ics'), 'utf8');
    expect(limitFreeBusy(outlook, { start: 0, end: T('2030-01-01T00:00:00Z') })).to.equal(outlook);
  });

  it('selects components and properties of an Outlook meeting, lines as they were', () => {
    const outlook = readFileSync(join(FIXTURES, 'outlook-2010-meeting-request-windows-tz.ics'), 'utf8');
    const out = selectCalendarData(outlook, {
      name: 'VCALENDAR', props: [{ name: 'VERSION', novalue: false }],
      comps: [WHOLE('VTIMEZONE'), { name: 'VEVENT', props: [{ name: 'UID', novalue: false }, { name: 'ATTENDEE', novalue: true }], comps: [] }],
    });
    const zone = /BEGIN:VTIMEZONE[\s\S]*?END:VTIMEZONE\r?\n/.exec(outlook)![0];
    expect(out).to.contain(zone);
    expect(out).to.match(/^BEGIN:VCALENDAR\r?\nVERSION:2\.0\r?\nBEGIN:VTIMEZONE/);
    const uid = /^UID:.*(?:\r?\n[ \t].*)*\r?\n/m.exec(outlook)![0];
    expect(out).to.contain(uid);
    const attendees = out.split(/\r?\n/).filter((l) => l.startsWith('ATTENDEE'));
    expect(attendees.length).to.equal((outlook.match(/^ATTENDEE/gm) ?? []).length);
    for (const a of attendees) expect(a.endsWith(':')).to.equal(true, a);
    expect(out.replace(zone, '')).not.to.match(/^(SUMMARY|DTSTART|ORGANIZER|METHOD|PRODID)/m);
    // the whole VCALENDAR: the text itself
    expect(selectCalendarData(outlook, WHOLE('VCALENDAR'))).to.equal(outlook);
  });
});
