// Calendars through the core service, on a real store of each backend, with
// real files from Outlook, Exchange, Google, Apple, Thunderbird, Zimbra…
// (../shared/fixtures/ical). Expected instants are worked out by hand from
// the files (see the comments).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidCalendarData } from '../../../src/core/calendar/ical.ts';
import { Calendars, UidConflict } from '../../../src/core/calendar/calendars.ts';
import { Forbidden, InvalidInput, NotFound, PreconditionFailed, QuotaExceeded } from '../../../src/core/errors.ts';
import type { Account, Collection } from '../../../src/store/types.ts';
import { makeTestCore, names, rejection, type TestCore } from '../../support/core.ts';
import { BACKENDS } from '../../support/store.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/ical');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const text = (s: string): Uint8Array => new TextEncoder().encode(s.replace(/\n/g, '\r\n'));
const T = (iso: string): number => Date.parse(iso);

/** The fixtures that hold one UID (with its overrides): a CalDAV client can PUT each as it is. */
const SINGLE: Record<string, string> = {
  'apple-ical15-recurring-overrides-exdate.ics': 'D9182220',
  'apple-ios-structured-location.ics': 'af64eb20-7d10-4482-8b22-921f7656390a',
  'exchange-2010-w-europe-allday-recurrence-id.ics': '040000008200E00074C5B7101A82E0080000000062FD14411601D70100000000000000001000000052EAF66D5C3BC6458198F47BAE50996F',
  'google-calendar-override-before-master.ics': '6m2q7kb2l02798oagemrcgm6pk@google.com',
  'obm-meeting-request-many-attendees.ics': 'f1514f44bf39311568d640727cff54e819573448d09d2e5677987ff29caa01a9e047feb2aab16e43439a608f28671ab7c10e754ce92be513f8e04ae9ff15e65a9819cf285a6962bc',
  'outlook-2007-published-wkhr-windows-tz.ics': '7WBi8EjfdkCM+BY+z9tdhA==',
  'outlook-2007-tab-folded-lines.ics': '040000008200E00074C5B7101A82E00800000000900AD080B5F2C901000000000000000010000000B29680BF9E5DC246B5EDDE228038E71F',
  'outlook-2010-meeting-request-windows-tz.ics': '040000009200E00074C5B7101A82E00800000000C0383BE68041CE0100000000000000001000000070D00A2F625AC34BB6542DE0D19E67E1',
  'sogo-geo-escaped-semicolon.ics': 'A-Unique-ID',
  'thunderbird-recurring-exdate-cancelled-overrides.ics': '812dae9d-4114-45c1-ba5b-4ee34756ab47',
  'zimbra-rdate-period-exdate-overrides.ics': '623c13c0-6c2b-45d6-a12b-c33ad61c4868',
};

/** Whole-calendar exports: several UIDs in one file, and how many objects each becomes. */
const MULTI: Record<string, number> = {
  'apple-calendar-macos-valarm-allday.ics': 5,
  'exchange-2010-many-windows-vtimezones.ics': 4,
  'google-calendar-export-allday.ics': 3,
  'sunbird-vtodo-list.ics': 45,
};


for (const backend of BACKENDS) {
  describe(`core/calendar on ${backend}`, function () {
    let t: TestCore;
    let ann: Account;
    let bob: Account;
    let carl: Account;
    let cal: Collection;

    beforeEach(async () => {
      t = await makeTestCore(backend);
      ann = await t.account('ann', 'big');
      bob = await t.account('bob');
      carl = await t.account('carl');
      const group = await t.core.groups.create('team', ann.id);
      await t.core.groups.addMember(group.id, bob.id);
      cal = (await t.core.store.findCollectionByRole(ann.spaceId, 'calendar', 'default'))!;
    });
    afterEach(async () => t.cleanup());

    const put = (name: string, bytes: Uint8Array, who = ann.id) => t.core.calendar.put(who, cal.id, name, bytes);
    const query = async (start: string, end: string, extra: object = {}) =>
      names(await t.core.calendar.query(ann.id, cal.id, { timeRange: { start: T(start), end: T(end) }, ...extra }));

    it('stores every single-object fixture byte for byte, indexed by its UID', async () => {
      for (const [file, uid] of Object.entries(SINGLE)) {
        const bytes = fixture(file);
        const { item, created } = await put(file, bytes);
        expect(created, file).to.equal(true);
        const back = await t.core.calendar.get(ann.id, cal.id, file);
        expect(Buffer.from(back.content).equals(Buffer.from(bytes)), `${file} comes back byte for byte`).to.equal(true);
        expect(back.item.etag).to.equal(item.etag);
        expect((await t.core.store.getItemIndex(item.id)).fields!['ical-uid']).to.deep.equal([uid]);
        expect(await t.core.calendar.findByUid(cal.id, uid).then((i) => i?.name)).to.equal(file);
      }
      expect(names(await t.core.calendar.list(ann.id, cal.id))).to.deep.equal(Object.keys(SINGLE).sort());
    });

    for (const [file, count] of Object.entries(MULTI)) {
      it(`refuses ${file} as one object (several UIDs), and imports it as ${count} objects whose lines are the file's own`, async () => {
        const bytes = fixture(file);
        const err = await rejection(put('all.ics', bytes));
        expect(err).to.be.instanceOf(InvalidCalendarData);
        if (file.startsWith('exchange')) {
          // Exchange's quote that swallows a DTSTART value is refused on a PUT, repaired on an import
          expect((err as InvalidCalendarData).precondition).to.equal('valid-calendar-data');
          expect(err.message).to.equal(`the iCalendar text cannot be read: Missing parameter value in 'DTSTART;TZID="W. Europe Standard Time:20200609T090000"'`);
        } else {
          expect((err as InvalidCalendarData).precondition).to.equal('valid-calendar-object-resource');
          expect(err.message).to.match(new RegExp(`^the VCALENDAR holds ${count} UIDs \\(.*\\); a calendar object resource holds one UID, with its overrides — store each UID as its own resource$`));
        }
        expect(await t.core.calendar.list(ann.id, cal.id)).to.deep.equal([]);

        const outcome = await t.core.calendar.import(ann.id, cal.id, bytes);
        expect(outcome.filter((o) => o.status === 'created'), JSON.stringify(outcome.filter((o) => o.status === 'refused'))).to.have.length(count);
        const source = new TextDecoder().decode(bytes);
        const sourceLines = new Set(source.split('\n'));
        const items = await t.core.calendar.list(ann.id, cal.id);
        expect(items).to.have.length(count);
        for (const item of items) {
          const piece = new TextDecoder().decode(await t.core.store.readItemContent(item));
          for (const line of piece.split('\n')) {
            if (line === '' || line.startsWith('DTSTART;TZID="W. Europe Standard Time":20200609T090000')) continue;
            expect(sourceLines.has(line), `${JSON.stringify(line)} is a line of ${file}`).to.equal(true);
          }
          expect(piece).to.not.match(/^METHOD:/m);
        }
        // importing again replaces each object instead of doubling it
        const again = await t.core.calendar.import(ann.id, cal.id, bytes);
        expect(again.every((o) => o.status === 'updated')).to.equal(true);
        expect(await t.core.calendar.list(ann.id, cal.id)).to.have.length(count);
      });
    }

    it('refuses the vCalendar 1.0 file with a message that says what to do, and stores nothing', async () => {
      const err = await rejection(put('old.vcs', fixture('vcal10-event-and-todo.vcs')));
      expect(err).to.be.instanceOf(InvalidInput);
      expect((err as InvalidCalendarData).precondition).to.equal('supported-calendar-data');
      expect(err.message).to.equal('this is a vCalendar 1.0 object (VERSION:1.0); only iCalendar 2.0 is accepted: export the calendar as iCalendar (.ics) instead');
      expect(await t.core.store.getUsage(ann.spaceId, 'files')).to.equal(0);
    });

    it("answers time ranges over Thunderbird's weekly series with EXDATEs and cancelled overrides", async () => {
      // Mondays 20:30 Europe/Paris from 2017-10-09 to 2018-06-18; EXDATEs in UTC; 2018-03-26 and 2018-04-30 cancelled
      await put('tb.ics', fixture('thunderbird-recurring-exdate-cancelled-overrides.ics'));
      await put('other.ics', text('BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:other\nDTSTAMP:20180101T000000Z\nDTSTART:20180402T120000Z\nDTEND:20180402T130000Z\nSUMMARY:Lunch\nEND:VEVENT\nEND:VCALENDAR\n'));
      expect(await query('2017-10-09T18:30:00Z', '2017-10-09T19:30:00Z')).to.deep.equal(['tb.ics']); // 20:30 CEST
      expect(await query('2017-10-09T19:30:00Z', '2017-10-09T20:00:00Z')).to.deep.equal([]); // ends 21:30 CEST
      expect(await query('2017-10-23T00:00:00Z', '2017-10-24T00:00:00Z')).to.deep.equal([]); // EXDATE 20171023T183000Z
      expect(await query('2017-11-06T19:30:00Z', '2017-11-06T19:31:00Z')).to.deep.equal(['tb.ics']); // 20:30 CET
      expect(await query('2017-11-06T18:30:00Z', '2017-11-06T19:30:00Z')).to.deep.equal([]); // not at the summer time any more
      expect(await query('2018-04-02T00:00:00Z', '2018-04-03T00:00:00Z')).to.deep.equal(['other.ics']); // EXDATE; only the lunch
      expect(await query('2018-04-09T00:00:00Z', '2018-04-17T00:00:00Z')).to.deep.equal([]); // two EXDATEs
      expect(await query('2018-04-23T18:00:00Z', '2018-04-23T19:00:00Z')).to.deep.equal(['tb.ics']);
      // a cancelled override is still a component of the object at that time (RFC 4791 §9.9)…
      expect(await query('2018-03-26T18:00:00Z', '2018-03-26T19:00:00Z')).to.deep.equal(['tb.ics']);
      // …but nobody is busy then
      const fb = await t.core.calendar.freeBusy(ann.id, { collectionIds: [cal.id] }, { start: T('2018-03-19T00:00:00Z'), end: T('2018-05-01T00:00:00Z') });
      expect(fb.periods.map((p) => `${new Date(p.start).toISOString()} ${new Date(p.end).toISOString()} ${p.type}`)).to.deep.equal([
        '2018-03-19T19:30:00.000Z 2018-03-19T20:30:00.000Z BUSY',
        '2018-04-02T12:00:00.000Z 2018-04-02T13:00:00.000Z BUSY',
        '2018-04-23T18:30:00.000Z 2018-04-23T19:30:00.000Z BUSY',
      ]);
      expect(await query('2018-06-18T18:30:00Z', '2018-06-18T19:30:00Z')).to.deep.equal(['tb.ics']); // the last one
      expect(await query('2018-06-19T00:00:00Z', '2019-01-01T00:00:00Z')).to.deep.equal([]); // UNTIL 20180623T183000Z
      const occ = await t.core.calendar.occurrences(ann.id, cal.id, 'tb.ics', {});
      expect(occ).to.have.length(28); // 37 Mondays, less 9 EXDATEs; the 2 cancelled ones are instances
      expect(occ.filter((o) => o.status === 'CANCELLED').map((o) => new Date(o.start).toISOString())).to.deep.equal(['2018-03-26T18:30:00.000Z', '2018-04-30T18:30:00.000Z']);
    });

    it("answers time ranges over Zimbra's RRULE + RDATE (PERIOD) + EXDATE series with TZID and UTC overrides", async () => {
      // monthly on the 1st Tuesday, 10:00 America/Los_Angeles, from 2012-10-02, no end
      await put('z.ics', fixture('zimbra-rdate-period-exdate-overrides.ics'));
      expect(await query('2012-10-02T17:00:00Z', '2012-10-02T17:30:00Z')).to.deep.equal([]); // moved by the override…
      expect(await query('2012-10-02T22:00:00Z', '2012-10-02T22:30:00Z')).to.deep.equal(['z.ics']); // …to 15:00 PDT
      expect(await query('2012-11-05T18:00:00Z', '2012-11-05T18:30:00Z')).to.deep.equal([]); // RDATE moved by RECURRENCE-ID in UTC…
      expect(await query('2012-11-07T04:00:00Z', '2012-11-07T04:30:00Z')).to.deep.equal(['z.ics']); // …to 20:00 PST on the 6th
      expect(await query('2012-11-10T18:00:00Z', '2012-11-10T18:30:00Z')).to.deep.equal(['z.ics']); // RDATE list
      expect(await query('2012-12-04T00:00:00Z', '2012-12-05T00:00:00Z')).to.deep.equal([]); // EXDATE
      expect(await query('2013-02-05T00:00:00Z', '2013-02-06T00:00:00Z')).to.deep.equal([]); // EXDATE
      expect(await query('2013-03-05T18:00:00Z', '2013-03-05T18:01:00Z')).to.deep.equal(['z.ics']); // PST
      expect(await query('2013-05-07T17:00:00Z', '2013-05-07T17:01:00Z')).to.deep.equal(['z.ics']); // PDT
      expect(await query('2023-11-25T12:00:00Z', '2023-11-25T12:30:00Z')).to.deep.equal(['z.ics']); // RDATE PERIOD 09:00Z/12:30Z
      expect(await query('2023-11-25T12:30:00Z', '2023-11-25T13:00:00Z')).to.deep.equal([]);
      expect(await query('2023-11-23T09:00:00Z', '2023-11-23T09:30:00Z')).to.deep.equal(['z.ics']); // RDATE in UTC
    });

    it('reads all-day values as floating, in the calendar zone or the one the query names', async () => {
      // Exchange: all-day Wednesdays and Fridays; the Friday 2021-04-09 moved to Saturday 2021-04-10
      await put('away.ics', fixture('exchange-2010-w-europe-allday-recurrence-id.ics'));
      expect(await query('2021-04-09T00:00:00Z', '2021-04-10T00:00:00Z')).to.deep.equal([]);
      expect(await query('2021-04-10T00:00:00Z', '2021-04-11T00:00:00Z')).to.deep.equal(['away.ics']);
      expect(await query('2021-04-07T00:00:00Z', '2021-04-07T00:00:01Z')).to.deep.equal(['away.ics']);
      // UNTIL=20210701T220000Z is midnight in Berlin: Friday 2021-07-02 is the last one
      expect(await query('2021-07-02T00:00:00Z', '2021-07-03T00:00:00Z')).to.deep.equal(['away.ics']);
      expect(await query('2021-07-03T00:00:00Z', '2021-12-31T00:00:00Z')).to.deep.equal([]);
      // in Auckland (UTC+12) Saturday 2021-04-10 is 2021-04-09T12:00Z to 2021-04-10T12:00Z
      expect(await query('2021-04-09T12:00:00Z', '2021-04-09T13:00:00Z', { timezone: 'Pacific/Auckland' })).to.deep.equal(['away.ics']);
      expect(await query('2021-04-10T12:00:00Z', '2021-04-10T13:00:00Z', { timezone: 'Pacific/Auckland' })).to.deep.equal([]);
      await t.core.store.updateCollection(cal.id, { props: { timezone: 'Pacific/Auckland' } });
      expect(await query('2021-04-09T12:00:00Z', '2021-04-09T13:00:00Z')).to.deep.equal(['away.ics']);
    });

    it('finds an unbounded series beyond the indexed horizon, and overrides placed before their master', async () => {
      // Apple iCal 1.5: monthly on the 24th (all day) since 2004, no end; indexed up to now + 5 years
      await put('amex.ics', fixture('apple-ical15-recurring-overrides-exdate.ics'));
      await put('google.ics', fixture('google-calendar-override-before-master.ics'));
      const index = await t.core.store.getItemIndex((await t.core.calendar.findByUid(cal.id, 'D9182220'))!.id);
      expect(index.fields!.recurrence).to.deep.equal(['unbounded']);
      expect(index.ranges!.some((r) => r.kind === 'event-beyond')).to.equal(true);
      expect(await query('2004-02-24T12:00:00Z', '2004-02-24T13:00:00Z')).to.deep.equal(['amex.ics']); // EXDATEd, but overridden
      expect(await query('2045-06-24T12:00:00Z', '2045-06-24T13:00:00Z')).to.deep.equal(['amex.ics']);
      expect(await query('2045-06-25T12:00:00Z', '2045-06-25T13:00:00Z')).to.deep.equal([]);
      // Google: daily 14:00 Europe/Kiev 2016-08-25..28 (UNTIL in UTC = the last one exactly), the 26th overridden
      expect(await query('2016-08-26T11:00:00Z', '2016-08-26T12:00:00Z')).to.deep.equal(['google.ics']);
      expect(await query('2016-08-28T11:00:00Z', '2016-08-28T11:30:00Z')).to.deep.equal(['google.ics']);
      expect(await query('2016-08-29T00:00:00Z', '2016-09-23T00:00:00Z')).to.deep.equal([]); // (amex is on the 24th)
    });

    it('indexes the latest occurrences of a long series within the cap, and expands the rest at query time', async () => {
      // a small index: one year ahead of 2021-01-01, at most 10 occurrences per object
      const small = new Calendars(t.core.store, t.core.quota, t.core.access, { horizonYears: 1, maxOccurrences: 10, now: () => T('2021-01-01T00:00:00Z') });
      const daily = text('BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:daily\nDTSTART:20200101T090000Z\nDTEND:20200101T100000Z\nRRULE:FREQ=DAILY\nEXDATE:20200601T090000Z\nEND:VEVENT\nEND:VCALENDAR\n');
      const five = text('BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:five\nDTSTART:20200101T120000Z\nDURATION:PT30M\nRRULE:FREQ=WEEKLY;COUNT=5\nEND:VEVENT\nEND:VCALENDAR\n');
      const { item } = await small.put(ann.id, cal.id, 'daily.ics', daily);
      const { item: item5 } = await small.put(ann.id, cal.id, 'five.ics', five);
      const ranges = (await t.core.store.getItemIndex(item.id)).ranges!;
      expect(ranges.filter((r) => r.kind === 'event').map((r) => new Date(r.start).toISOString())).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => `2021-12-${String(22 + i)}T09:00:00.000Z`));
      expect(ranges.filter((r) => r.kind === 'event-beyond').map((r) => [r.start, new Date(r.end).toISOString()])).to.deep.equal([
        [-8_640_000_000_000_000, '2021-12-21T10:00:00.000Z'], [T('2022-01-01T00:00:00Z'), new Date(8_640_000_000_000_000).toISOString()],
      ]);
      expect((await t.core.store.getItemIndex(item5.id)).ranges!.map((r) => r.kind)).to.deep.equal(Array(5).fill('event'));
      const q = async (start: string, end: string) => names(await small.query(ann.id, cal.id, { timeRange: { start: T(start), end: T(end) } }));
      expect(await q('2020-05-31T09:30:00Z', '2020-05-31T09:45:00Z')).to.deep.equal(['daily.ics']); // before the kept ones
      expect(await q('2020-06-01T00:00:00Z', '2020-06-01T23:59:00Z')).to.deep.equal([]); // EXDATE, found by expanding
      expect(await q('2020-01-29T12:00:00Z', '2020-01-29T12:10:00Z')).to.deep.equal(['five.ics']); // the 5th and last
      expect(await q('2020-02-05T12:00:00Z', '2020-02-05T12:10:00Z')).to.deep.equal([]);
      expect(await q('2021-12-25T09:59:00Z', '2021-12-25T10:00:00Z')).to.deep.equal(['daily.ics']);
      expect(await q('2021-12-25T10:00:00Z', '2021-12-26T09:00:00Z')).to.deep.equal([]); // DTEND is exclusive, so is the range end
      expect(await q('2033-05-05T09:00:00Z', '2033-05-05T09:01:00Z')).to.deep.equal(['daily.ics']); // past the horizon
      expect(await q('2033-05-05T12:00:00Z', '2033-05-05T13:00:00Z')).to.deep.equal([]);
    });

    it('puts Windows-zone events at the right UTC instants, with or without their VTIMEZONE', async () => {
      await put('outlook.ics', fixture('outlook-2010-meeting-request-windows-tz.ics'));
      const [o] = await t.core.calendar.occurrences(ann.id, cal.id, 'outlook.ics', {});
      // "Eastern Standard Time" 2013-06-10 12:00-13:00 is EDT (UTC-4)
      expect([new Date(o!.start).toISOString(), new Date(o!.end).toISOString()]).to.deep.equal(['2013-06-10T16:00:00.000Z', '2013-06-10T17:00:00.000Z']);
      await t.core.calendar.import(ann.id, cal.id, fixture('exchange-2010-many-windows-vtimezones.ics'));
      const at = async (summary: string): Promise<string[]> => {
        const [item] = await t.core.calendar.query(ann.id, cal.id, { textMatch: { prop: 'summary', text: summary, collation: 'i;octet' } });
        expect(item, summary).to.not.equal(undefined);
        const occ = await t.core.calendar.occurrences(ann.id, cal.id, item!.name!, {});
        return occ.slice(0, 2).map((x) => new Date(x.start).toISOString());
      };
      expect(await at('test')).to.deep.equal(['2020-09-10T07:00:00.000Z']); // W. Europe, CEST
      expect(await at('Not the actual summary 1')).to.deep.equal(['2020-09-15T15:30:00.000Z']); // Pacific, PDT
      // the TZID whose quote swallowed the value, repaired on import: Tuesday 2020-06-09 09:00 CEST, then Wednesday
      expect(await at("Log Yesterday's Jira time")).to.deep.equal(['2020-06-09T07:00:00.000Z', '2020-06-10T07:00:00.000Z']);
      // no VTIMEZONE: the name alone is enough
      await put('nozone.ics', text('BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:nozone\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=W. Europe Standard Time:20240115T100000\nDTEND;TZID=W. Europe Standard Time:20240115T110000\nRRULE:FREQ=MONTHLY;COUNT=7\nEND:VEVENT\nEND:VCALENDAR\n'));
      const occ = await t.core.calendar.occurrences(ann.id, cal.id, 'nozone.ics', {});
      expect(occ.map((x) => new Date(x.start).toISOString())).to.deep.equal([
        '2024-01-15T09:00:00.000Z', '2024-02-15T09:00:00.000Z', '2024-03-15T09:00:00.000Z', '2024-04-15T08:00:00.000Z',
        '2024-05-15T08:00:00.000Z', '2024-06-15T08:00:00.000Z', '2024-07-15T08:00:00.000Z',
      ]);
    });

    it('matches text case-insensitively by default and exactly with i;octet, and takes RFC 4791 filters', async () => {
      await put('tb.ics', fixture('thunderbird-recurring-exdate-cancelled-overrides.ics'));
      await put('obm.ics', fixture('obm-meeting-request-many-attendees.ics'));
      const tm = async (prop: string, s: string, extra: object = {}) =>
        names(await t.core.calendar.query(ann.id, cal.id, { textMatch: { prop, text: s, ...extra } }));
      expect(await tm('summary', 'BALBOA')).to.deep.equal(['tb.ics']);
      expect(await tm('summary', 'balboa', { collation: 'i;octet' })).to.deep.equal([]);
      expect(await tm('summary', 'Balboa', { collation: 'i;octet' })).to.deep.equal(['tb.ics']);
      expect(await tm('location', 'place, some')).to.deep.equal(['tb.ics']); // LOCATION:Some place\, Some where
      expect(await tm('summary', 'sprint', { negate: true })).to.deep.equal(['tb.ics']);
      // OBM: a VEVENT with an ATTENDEE whose CUTYPE is RESOURCE, and no RRULE
      const filter = {
        name: 'VCALENDAR',
        comps: [{ name: 'VEVENT', props: [{ name: 'ATTENDEE', params: [{ name: 'CUTYPE', textMatch: { text: 'RESOURCE' } }] }, { name: 'RRULE', isNotDefined: true }] }],
      };
      expect(names(await t.core.calendar.query(ann.id, cal.id, { filter }))).to.deep.equal(['obm.ics']);
      expect(names(await t.core.calendar.query(ann.id, cal.id, { component: 'vtodo' }))).to.deep.equal([]);
      expect(names(await t.core.calendar.query(ann.id, cal.id, { component: 'vevent' }))).to.deep.equal(['obm.ics', 'tb.ics']);
    });

    it('finds VTODOs of the Sunbird list by component, DUE and COMPLETED', async () => {
      await t.core.calendar.import(ann.id, cal.id, fixture('sunbird-vtodo-list.ics'));
      const todos = await t.core.calendar.query(ann.id, cal.id, { component: 'vtodo' });
      expect(todos).to.have.length(31);
      expect(await t.core.calendar.query(ann.id, cal.id, { component: 'vevent' })).to.have.length(14);
      const open = await t.core.calendar.query(ann.id, cal.id, { filter: { name: 'VCALENDAR', comps: [{ name: 'VTODO', props: [{ name: 'COMPLETED', isNotDefined: true }] }] } });
      const done = await t.core.calendar.query(ann.id, cal.id, { filter: { name: 'VCALENDAR', comps: [{ name: 'VTODO', props: [{ name: 'COMPLETED' }] }] } });
      expect(open.length + done.length).to.equal(31);
      expect(done.length).to.be.greaterThan(0);
      expect(open.length).to.be.greaterThan(0);
    });

    it('refuses a UID another object of the calendar has, and keeps only the first', async () => {
      const bytes = fixture('google-calendar-override-before-master.ics');
      await put('a.ics', bytes);
      const err = await rejection(put('b.ics', bytes));
      expect(err).to.be.instanceOf(UidConflict);
      expect((err as UidConflict).existingName).to.equal('a.ics');
      expect(err.message).to.equal('the UID 6m2q7kb2l02798oagemrcgm6pk@google.com is already used by a.ics in this calendar');
      expect(names(await t.core.calendar.list(ann.id, cal.id))).to.deep.equal(['a.ics']);
      const again = await put('a.ics', bytes);
      expect(again.created).to.equal(false);
      // the same UID in another calendar is fine
      const group = (await t.core.groups.listOf(ann.id))[0]!;
      const groupCal = (await t.core.store.findCollectionByRole(group.spaceId, 'calendar', 'default'))!;
      expect((await t.core.calendar.put(ann.id, groupCal.id, 'b.ics', bytes)).created).to.equal(true);
    });

    it('refuses invalid iCalendar with a reason, and stores nothing', async () => {
      const cases: [string, string, string][] = [
        ['garbage', 'hello', 'valid-calendar-data'],
        ['vcard', 'BEGIN:VCARD\nVERSION:3.0\nFN:x\nEND:VCARD\n', 'supported-calendar-data'],
        ['broken', 'BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\nDTSTART:2024\nEND:VEVENT\nEND:VCALENDAR\n', 'valid-calendar-data'],
        ['journal', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VJOURNAL\nUID:j\nDTSTAMP:20240101T000000Z\nEND:VJOURNAL\nEND:VCALENDAR\n', 'supported-calendar-component'],
        ['empty', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nEND:VCALENDAR\n', 'valid-calendar-object-resource'],
        ['no uid', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nDTSTART:20240101T100000Z\nEND:VEVENT\nEND:VCALENDAR\n', 'valid-calendar-object-resource'],
        ['mixed', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:m\nDTSTART:20240101T100000Z\nEND:VEVENT\nBEGIN:VTODO\nUID:m\nEND:VTODO\nEND:VCALENDAR\n', 'valid-calendar-object-resource'],
        ['no dtstart', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:n\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n', 'valid-calendar-data'],
        ['two masters', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:d\nDTSTART:20240101T100000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:d\nDTSTART:20240102T100000Z\nEND:VEVENT\nEND:VCALENDAR\n', 'valid-calendar-object-resource'],
        ['unknown zone', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:z\nDTSTART;TZID=Mars/Olympus:20240101T100000\nEND:VEVENT\nEND:VCALENDAR\n', 'valid-calendar-data'],
        ['dtend and duration', 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:e\nDTSTART:20240101T100000Z\nDTEND:20240101T110000Z\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n', 'valid-calendar-data'],
      ];
      for (const [label, body, precondition] of cases) {
        const err = await rejection(put(`${label.replace(/ /g, '-')}.ics`, text(body)));
        expect(err, label).to.be.instanceOf(InvalidCalendarData);
        expect((err as InvalidCalendarData).precondition, `${label}: ${err.message}`).to.equal(precondition);
      }
      const notUtf8 = await rejection(put('latin1.ics', new Uint8Array([...text('BEGIN:VCALENDAR\nSUMMARY:caf'), 0xe9, 0x0d, 0x0a])));
      expect(notUtf8.message).to.equal('the calendar object is not valid UTF-8 text');
      expect((await rejection(put('x/y.ics', fixture('sogo-geo-escaped-semicolon.ics')))).message).to.equal('"x/y.ics" cannot be the name of a calendar object');
      expect(await t.core.calendar.list(ann.id, cal.id)).to.deep.equal([]);
      expect(await t.core.store.getUsage(ann.spaceId, 'files')).to.equal(0);
    });

    it('checks rights, preconditions and quota', async () => {
      const bytes = fixture('sogo-geo-escaped-semicolon.ics');
      expect(await rejection(put('x.ics', bytes, bob.id))).to.be.instanceOf(Forbidden);
      const { item } = await put('x.ics', bytes);
      expect(await rejection(t.core.calendar.get(bob.id, cal.id, 'x.ics'))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.calendar.get(ann.id, cal.id, 'nope.ics'))).to.be.instanceOf(NotFound);
      expect(await rejection(t.core.calendar.put(ann.id, cal.id, 'x.ics', bytes, { ifNoneMatch: true }))).to.be.instanceOf(PreconditionFailed);
      expect(await rejection(t.core.calendar.put(ann.id, cal.id, 'x.ics', bytes, { ifMatch: '"other"' }))).to.be.instanceOf(PreconditionFailed);
      expect(await rejection(t.core.calendar.put(ann.id, cal.id, 'y.ics', bytes, { ifMatch: item.etag }))).to.be.instanceOf(PreconditionFailed);
      expect(await rejection(t.core.calendar.delete(bob.id, cal.id, 'x.ics'))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.calendar.delete(ann.id, cal.id, 'x.ics', { ifMatch: '"other"' }))).to.be.instanceOf(PreconditionFailed);
      await t.core.calendar.delete(ann.id, cal.id, 'x.ics', { ifMatch: item.etag });
      expect(await t.core.calendar.list(ann.id, cal.id)).to.deep.equal([]);
      // the group calendar: the administrator writes, a member reads
      const group = (await t.core.groups.listOf(ann.id))[0]!;
      const groupCal = (await t.core.store.findCollectionByRole(group.spaceId, 'calendar', 'default'))!;
      await t.core.calendar.put(ann.id, groupCal.id, 'g.ics', bytes);
      expect(Buffer.from((await t.core.calendar.get(bob.id, groupCal.id, 'g.ics')).content).equals(Buffer.from(bytes))).to.equal(true);
      expect(await rejection(t.core.calendar.put(bob.id, groupCal.id, 'h.ics', fixture('google-calendar-override-before-master.ics')))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.calendar.get(carl.id, groupCal.id, 'g.ics'))).to.be.instanceOf(Forbidden);
      // bob's small plan has 5,000 bytes of documents
      const bobCal = (await t.core.store.findCollectionByRole(bob.spaceId, 'calendar', 'default'))!;
      const big = text(`BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:big\nDTSTART:20240101T100000Z\nDESCRIPTION:${'x'.repeat(6000)}\nEND:VEVENT\nEND:VCALENDAR\n`);
      expect(await rejection(t.core.calendar.put(bob.id, bobCal.id, 'big.ics', big))).to.be.instanceOf(QuotaExceeded);
      expect(await t.core.calendar.list(bob.id, bobCal.id)).to.deep.equal([]);
      expect(await t.core.store.getUsage(bob.spaceId, 'files')).to.equal(0);
    });

    it('gives co-members busy periods only, and outsiders nothing', async () => {
      await put('outlook.ics', fixture('outlook-2010-meeting-request-windows-tz.ics')); // 2013-06-10, Outlook's TENTATIVE
      await put('obm.ics', fixture('obm-meeting-request-many-attendees.ics')); // 2017-01-11 09:00Z, 1h30
      await put('ios.ics', fixture('apple-ios-structured-location.ics')); // 2026-05-22 10:30-10:40 Vienna
      await put('tab.ics', fixture('outlook-2007-tab-folded-lines.ics')); // TRANSPARENT
      const range = { start: T('2013-01-01T00:00:00Z'), end: T('2027-01-01T00:00:00Z') };
      const fb = await t.core.calendar.freeBusy(bob.id, { accountId: ann.id }, range);
      expect(fb.periods.map((p) => `${new Date(p.start).toISOString()}/${new Date(p.end).toISOString()} ${p.type}`)).to.deep.equal([
        '2013-06-10T16:00:00.000Z/2013-06-10T17:00:00.000Z BUSY-TENTATIVE',
        '2017-01-11T09:00:00.000Z/2017-01-11T10:30:00.000Z BUSY',
        '2026-05-22T08:30:00.000Z/2026-05-22T08:40:00.000Z BUSY',
      ]);
      expect(fb.text).to.include('BEGIN:VFREEBUSY\r\n');
      expect(fb.text).to.include('FREEBUSY;FBTYPE=BUSY-TENTATIVE:20130610T160000Z/20130610T170000Z\r\n');
      expect(fb.text).to.include('FREEBUSY;FBTYPE=BUSY:20170111T090000Z/20170111T103000Z\r\n');
      expect(fb.text).to.not.match(/^(SUMMARY|LOCATION|DESCRIPTION|ATTENDEE|ORGANIZER|UID|X-)/m);
      for (const secret of ['Team Meeting', 'Auditorium', 'Sprint', 'Hangout', 'linagora', 'Linz', 'example.com']) expect(fb.text).to.not.include(secret);
      expect(fb.text.split('\r\n').filter((l) => l !== '').map((l) => l.split(/[:;]/)[0])).to.deep.equal([
        'BEGIN', 'VERSION', 'PRODID', 'CALSCALE', 'BEGIN', 'DTSTAMP', 'DTSTART', 'DTEND', 'FREEBUSY', 'FREEBUSY', 'FREEBUSY', 'END', 'END',
      ]);
      const outsider = await rejection(t.core.calendar.freeBusy(carl.id, { accountId: ann.id }, range));
      expect(outsider).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.calendar.freeBusy(carl.id, { collectionIds: [cal.id] }, range))).to.be.instanceOf(Forbidden);
      // free/busy is not read: bob cannot read the events themselves
      expect(await t.core.calendar.query(bob.id, cal.id, {})).to.deep.equal([]);
      expect(await rejection(t.core.calendar.get(bob.id, cal.id, 'obm.ics'))).to.be.instanceOf(Forbidden);
      // leaving the group ends it
      const group = (await t.core.groups.listOf(ann.id))[0]!;
      await t.core.groups.leave(group.id, bob.id);
      expect(await rejection(t.core.calendar.freeBusy(bob.id, { accountId: ann.id }, range))).to.be.instanceOf(Forbidden);
    });
  });
}
