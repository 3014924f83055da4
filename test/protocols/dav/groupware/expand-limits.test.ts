// CalDAV's CALDAV:expand and CALDAV:limit-recurrence-set (RFC 4791 §9.6.5,
// §9.6.6) over real clients' recurring series (Thunderbird, Apple iCal,
// Zimbra) in calendar-query and calendar-multiget, with the exact instances;
// addressbook-query filters on a group's member directory; and the limits:
// 507 with DAV:quota-not-exceeded over a small plan, a body over core's
// max-resource-size, a body over the door's limit. Both backends.
import { expect } from 'chai';
import ICAL from 'ical.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Account, Group } from '../../../../src/store/types.ts';
import { hrefs, prop, startDav, type DavServer } from '../../../support/dav.ts';
import { ROOT } from '../../../support/server.ts';
import { BACKENDS } from '../../../support/store.ts';

const FIXTURES = join(ROOT, '..', 'shared', 'fixtures');
const fixture = (kind: string, name: string): Buffer => readFileSync(join(FIXTURES, kind, name));
const XML = '<?xml version="1.0" encoding="utf-8"?>';
const NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"';
const FILES_LIMIT = 20_000;
const PLANS = { tiny: { mail_bytes: 100_000, files_bytes: FILES_LIMIT, max_groups: 2, max_group_members: 5, features: ['clients'] } };

const unescape = (s: string): string => s.replace(/&#13;/g, '\r').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** The calendar-data of each response of a multistatus, by the href's last segment. */
function dataByName(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)) {
    const name = hrefs(m[1]!)[0]!.split('/').pop()!;
    const data = prop(m[1]!, 'calendar-data');
    if (data !== null) out.set(name, unescape(data));
  }
  return out;
}

/** Each VEVENT of an expanded object as `RECURRENCE-ID DTSTART DTEND SUMMARY-or-STATUS`. */
function instances(text: string): string[] {
  const blocks = text.split(/\r?\n/).join('\n').match(/BEGIN:VEVENT\n[\s\S]*?END:VEVENT\n/g) ?? [];
  return blocks.map((b) => {
    const v = (name: string): string => new RegExp(`^${name}(?:;[^:\\n]*)?:(.*)$`, 'm').exec(b.replace(/BEGIN:VALARM[\s\S]*?END:VALARM\n/g, ''))?.[1] ?? '-';
    return [v('RECURRENCE-ID'), v('DTSTART'), v('DTEND'), v('STATUS')].join(' ');
  });
}

function expectExpanded(text: string): void {
  expect(text).to.match(/^BEGIN:VCALENDAR\r?\n/);
  expect(text).not.to.match(/^(RRULE|RDATE|EXDATE|EXRULE)[;:]/m);
  expect(text).not.to.contain('BEGIN:VTIMEZONE');
  expect(text).not.to.match(/^(DTSTART|DTEND|RECURRENCE-ID);TZID/m);
  // ical.js reads it
  const root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  expect(root.getAllSubcomponents('vevent').length).to.be.greaterThan(0);
}

for (const backend of BACKENDS) {
  describe(`CalDAV expand, directory queries and limits on ${backend}`, function () {
    this.timeout(90_000);
    let s: DavServer;
    let ann: Account;
    let bob: Account;
    let tina: Account;
    let team: Group;
    const cal = (a: Account): string => `/dav/calendars/${a.address}/calendar/`;
    const query = (shape: string, extra = ''): string =>
      `${XML}<C:calendar-query ${NS}><D:prop><D:getetag/><C:calendar-data>${shape}</C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">${extra}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`;
    const range = (start: string, end: string): string => `<C:time-range start="${start}" end="${end}"/>`;

    before(async () => {
      s = await startDav(backend, { plans: PLANS });
      ann = await s.account('ann');
      bob = await s.account('bob');
      tina = await s.account('tina', 'tiny');
      team = await s.group('Team', ann, [bob]);
      for (const [name, file] of [['tb.ics', 'thunderbird-recurring-exdate-cancelled-overrides.ics'], ['apple.ics', 'apple-ical15-recurring-overrides-exdate.ics'], ['zimbra.ics', 'zimbra-rdate-period-exdate-overrides.ics']]) {
        const put = await s.dav('PUT', `${cal(ann)}${name}`, { user: ann, body: fixture('ical', file!), headers: { 'content-type': 'text/calendar' } });
        expect(put.status, `${name}: ${put.text}`).to.equal(201);
      }
    });
    after(async () => { await s?.stop(); });

    it("expands Thunderbird's weekly series in a calendar-query: instances in UTC across DST, EXDATEs left out, a cancelled override kept", async () => {
      const r = await s.dav('REPORT', cal(ann), { user: ann, headers: { depth: '1' }, body: query('<C:expand start="20171001T000000Z" end="20171114T000000Z"/>', range('20171001T000000Z', '20171114T000000Z')) });
      expect(r.status).to.equal(207);
      const data = dataByName(r.text);
      // Apple's and Zimbra's series have instances there too
      expect([...data.keys()].sort()).to.deep.equal(['apple.ics', 'tb.ics', 'zimbra.ics']);
      expectExpanded(data.get('tb.ics')!);
      expect(instances(data.get('tb.ics')!)).to.deep.equal([
        '20171009T183000Z 20171009T183000Z 20171009T193000Z -',
        '20171016T183000Z 20171016T183000Z 20171016T193000Z -',
        // 23 and 30 October are EXDATEs; winter time from 29 October
        '20171106T193000Z 20171106T193000Z 20171106T203000Z -',
        '20171113T193000Z 20171113T193000Z 20171113T203000Z -',
      ]);
      expect(data.get('tb.ics')!).to.match(/^LOCATION:Some place\\, Some where\r?\n/m);
      const spring = await s.dav('REPORT', cal(ann), { user: ann, headers: { depth: '1' }, body: query('<C:expand start="20180319T000000Z" end="20180420T000000Z"/>', range('20180319T000000Z', '20180420T000000Z')) });
      expect(instances(dataByName(spring.text).get('tb.ics')!)).to.deep.equal([
        '20180319T193000Z 20180319T193000Z 20180319T203000Z -',
        '20180326T183000Z 20180326T183000Z 20180326T193000Z CANCELLED',
        // 2, 9 and 16 April are EXDATEs
      ]);
    });

    it("expands Apple iCal's all-day monthly series whose overridden dates are EXDATEs: dates stay dates, each override with its own alarm", async () => {
      const r = await s.dav('REPORT', cal(ann), { user: ann, headers: { depth: '1' }, body: query('<C:expand start="20040201T000000Z" end="20040601T000000Z"/>', range('20040201T000000Z', '20040601T000000Z')) });
      const text = dataByName(r.text).get('apple.ics')!;
      expectExpanded(text);
      expect(instances(text)).to.deep.equal([
        '20040224 20040224 20040225 -',
        '20040324 20040324 20040325 -',
        '20040424 20040424 20040425 -',
        '20040524 20040524 20040525 -',
      ]);
      expect(text).to.match(/^RECURRENCE-ID;VALUE=DATE:20040424\r?\n/m);
      expect(text.match(/TRIGGER:[^\r\n]*/g)).to.deep.equal(['TRIGGER:-PT16H2M', 'TRIGGER:-PT16H46M', 'TRIGGER:-P1D', 'TRIGGER:-P1D']);
    });

    it("expands Zimbra's series of RRULE, RDATEs (a PERIOD among them), EXDATEs and a moved instance, in calendar-multiget", async () => {
      const multiget = (shape: string): Promise<{ text: string; status: number }> => s.dav('REPORT', cal(ann), {
        user: ann, headers: { depth: '1' }, body: `${XML}<C:calendar-multiget ${NS}><D:prop><D:getetag/><C:calendar-data>${shape}</C:calendar-data></D:prop><D:href>${cal(ann)}zimbra.ics</D:href><D:href>${cal(ann)}tb.ics</D:href></C:calendar-multiget>`,
      });
      const r = await multiget('<C:expand start="20121001T000000Z" end="20130101T000000Z"/>');
      expect(r.status).to.equal(207);
      const data = dataByName(r.text);
      expectExpanded(data.get('zimbra.ics')!);
      expect(instances(data.get('zimbra.ics')!)).to.deep.equal([
        '20121002T170000Z 20121002T220000Z 20121002T223000Z CONFIRMED', // the override of the first instance
        '20121106T180000Z 20121106T180000Z 20121106T183000Z CONFIRMED', // the RRULE's first Tuesday (PST)
        '20121105T180000Z 20121107T040000Z 20121107T043000Z CONFIRMED', // the RDATE of 5 November, moved
        '20121110T180000Z 20121110T180000Z 20121110T183000Z CONFIRMED',
        '20121130T180000Z 20121130T180000Z 20121130T183000Z CONFIRMED',
        // 4 December is an EXDATE
      ]);
      expect(data.get('zimbra.ics')!).not.to.contain('X-UNKNOWN');
      // an object with no instance in the range: a VCALENDAR without components
      expect(data.get('tb.ics')!).not.to.contain('BEGIN:VEVENT');
      const later = dataByName((await multiget('<C:expand start="20231120T000000Z" end="20231201T000000Z"/>')).text).get('zimbra.ics')!;
      expect(instances(later)).to.deep.equal([
        '20231123T090000Z 20231123T090000Z 20231123T093000Z CONFIRMED',
        '20231125T090000Z 20231125T090000Z 20231125T123000Z CONFIRMED', // the PERIOD's own end
      ]);

      // limit-recurrence-set: the master and the overrides in the range, byte for byte
      const stored = fixture('ical', 'zimbra-rdate-period-exdate-overrides.ics').toString('utf8');
      const limited = dataByName((await multiget('<C:limit-recurrence-set start="20121101T000000Z" end="20121201T000000Z"/>')).text);
      const z = limited.get('zimbra.ics')!;
      expect(z).to.contain('RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=1TU');
      expect(z).to.contain('RECURRENCE-ID:20121105T180000Z');
      expect(z).not.to.contain('RECURRENCE-ID;TZID=America/Los_Angeles:20121002T100000');
      expect(z.length).to.be.lessThan(stored.length);
      expect(stored.startsWith(z.slice(0, z.indexOf('BEGIN:VEVENT')))).to.equal(true, 'the VTIMEZONE and header are kept');
      const tb = limited.get('tb.ics')!;
      expect(tb).to.contain('RRULE:FREQ=WEEKLY');
      expect(tb).not.to.contain('RECURRENCE-ID');
      // without expand, the object as stored
      expect(dataByName((await multiget('')).text).get('zimbra.ics')).to.equal(stored);
    });

    it('refuses an expand without a start or an end', async () => {
      const r = await s.dav('REPORT', cal(ann), { user: ann, headers: { depth: '1' }, body: query('<C:expand start="20171001T000000Z"/>') });
      expect(r.status).to.equal(400);
    });

    it('answers an addressbook-query on a member directory with only the cards that match', async () => {
      await s.core.accounts.update(bob.id, { name: 'Bob Builder', profile: { organisation: 'Builders Ltd' } });
      const dir = `/dav/addressbooks/${ann.address}/directory-${team.id}/`;
      const q = async (filter: string, limit = ''): Promise<string[]> => {
        const r = await s.dav('REPORT', dir, { user: ann, headers: { depth: '1' }, body: `${XML}<CR:addressbook-query ${NS}><D:prop><D:getetag/><CR:address-data/></D:prop>${filter}${limit}</CR:addressbook-query>` });
        expect(r.status, r.text).to.equal(207);
        return [...r.text.matchAll(/FN:([^&\r]*)/g)].map((m) => m[1]!).sort();
      };
      expect(await q('')).to.deep.equal(['Bob Builder', 'ann']);
      expect(await q('<CR:filter><CR:prop-filter name="FN"><CR:text-match match-type="contains">builder</CR:text-match></CR:prop-filter></CR:filter>')).to.deep.equal(['Bob Builder']);
      expect(await q(`<CR:filter><CR:prop-filter name="EMAIL"><CR:text-match match-type="equals">${ann.address}</CR:text-match></CR:prop-filter></CR:filter>`)).to.deep.equal(['ann']);
      expect(await q('<CR:filter><CR:prop-filter name="ORG"><CR:is-not-defined/></CR:prop-filter></CR:filter>')).to.deep.equal(['ann']);
      expect(await q('<CR:filter test="allof"><CR:prop-filter name="ORG"><CR:text-match>builders</CR:text-match></CR:prop-filter><CR:prop-filter name="FN"><CR:text-match negate-condition="yes">ann</CR:text-match></CR:prop-filter></CR:filter>')).to.deep.equal(['Bob Builder']);
      expect(await q('<CR:filter><CR:prop-filter name="FN"><CR:text-match>nobody</CR:text-match></CR:prop-filter></CR:filter>')).to.deep.equal([]);
      expect(await q('<CR:filter><CR:prop-filter name="EMAIL"><CR:text-match>example.test</CR:text-match></CR:prop-filter></CR:filter>', '<CR:limit><CR:nresults>1</CR:nresults></CR:limit>')).to.have.length(1);
    });

    it('a PUT over the owner\'s quota is 507 with DAV:quota-not-exceeded, and nothing is stored', async () => {
      const used = async (): Promise<number> => s.core.store.getUsage(tina.spaceId, 'files');
      const padded = (uid: string, bytes: number): string =>
        `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDURATION:PT1H\r\nSUMMARY:x\r\nDESCRIPTION:${'x'.repeat(bytes)}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
      expect((await s.dav('PUT', `${cal(tina)}small.ics`, { user: tina, body: padded('small', 1000) })).status).to.equal(201);
      const before = await used();
      const r = await s.dav('PUT', `${cal(tina)}big.ics`, { user: tina, body: padded('big', FILES_LIMIT), headers: { 'content-type': 'text/calendar' } });
      expect(r.status).to.equal(507);
      expect(r.text).to.match(/<D:error xmlns:D="DAV:"><D:quota-not-exceeded/);
      expect((await s.dav('GET', `${cal(tina)}big.ics`, { user: tina })).status).to.equal(404);
      expect(await used()).to.equal(before);
      // a card too
      const vcard = `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:big\r\nFN:Big\r\nNOTE:${'y'.repeat(FILES_LIMIT)}\r\nEND:VCARD\r\n`;
      const c = await s.dav('PUT', `/dav/addressbooks/${tina.address}/contacts/big.vcf`, { user: tina, body: vcard });
      expect(c.status).to.equal(507);
      expect(c.text).to.contain('quota-not-exceeded');
      expect((await s.dav('GET', `/dav/addressbooks/${tina.address}/contacts/big.vcf`, { user: tina })).status).to.equal(404);
      expect(await used()).to.equal(before);
      // replacing the small one by a large one: refused, the old one stays
      const again = await s.dav('PUT', `${cal(tina)}small.ics`, { user: tina, body: padded('small', FILES_LIMIT) });
      expect(again.status).to.equal(507);
      expect((await s.dav('GET', `${cal(tina)}small.ics`, { user: tina })).text).to.equal(padded('small', 1000));
    });

    it("a body over core's max-resource-size is 403 with CALDAV:max-resource-size; over the door's limit 413; nothing stored either way", async () => {
      const big = (n: number): string =>
        `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:huge\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nSUMMARY:x\r\nDESCRIPTION:${'x'.repeat(n)}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
      const r = await s.dav('PUT', `${cal(ann)}huge.ics`, { user: ann, body: big(5 * 1024 * 1024) });
      expect(r.status).to.equal(403);
      expect(r.text).to.contain('max-resource-size');
      expect(r.text).to.contain('urn:ietf:params:xml:ns:caldav');
      const card = await s.dav('PUT', `/dav/addressbooks/${ann.address}/contacts/huge.vcf`, { user: ann, body: `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:huge\r\nFN:H\r\nNOTE:${'y'.repeat(5 * 1024 * 1024)}\r\nEND:VCARD\r\n` });
      expect(card.status).to.equal(403);
      expect(card.text).to.contain('max-resource-size');
      const over = await s.dav('PUT', `${cal(ann)}huge.ics`, { user: ann, body: big(9 * 1024 * 1024) });
      expect(over.status).to.equal(413);
      for (const path of [`${cal(ann)}huge.ics`, `/dav/addressbooks/${ann.address}/contacts/huge.vcf`]) expect((await s.dav('GET', path, { user: ann })).status).to.equal(404);
      // the limit is advertised
      const p = await s.dav('PROPFIND', cal(ann), { user: ann, headers: { depth: '0' }, body: `${XML}<D:propfind ${NS}><D:prop><C:max-resource-size/></D:prop></D:propfind>` });
      expect(Number(prop(p.text, 'max-resource-size'))).to.equal(4 * 1024 * 1024);
    });
  });
}
