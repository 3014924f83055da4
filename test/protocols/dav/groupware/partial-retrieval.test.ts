// Partial retrieval over real REPORTs (RFC 4791 §9.6, RFC 6352 §10.4):
// CALDAV:comp / prop / allprop / allcomp / novalue, limit-freebusy-set and
// expand combined with a selection; CARDDAV:address-data prop with vCard
// groups, novalue and 2.1 soft line breaks; and the bad requests (unknown
// names ignored, malformed ranges 400 valid-filter, unserved media types
// 403), after which the server keeps serving. What comes back is compared
// line for line with the bytes that were PUT. Both backends.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Account } from '../../../../src/store/types.ts';
import { hrefs, prop, startDav, type DavServer } from '../../../support/dav.ts';
import { ROOT } from '../../../support/server.ts';
import { BACKENDS } from '../../../support/store.ts';

const FIXTURES = join(ROOT, '..', 'shared', 'fixtures');
const fixture = (kind: string, name: string): string => readFileSync(join(FIXTURES, kind, name), 'utf8');
const XML = '<?xml version="1.0" encoding="utf-8"?>';
const NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"';

const unescape = (s: string): string => s.replace(/&#13;/g, '\r').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** The data element of each response, by the href's last segment. */
function dataByName(xml: string, element: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)) {
    const name = hrefs(m[1]!)[0]!.split('/').pop()!;
    const data = prop(m[1]!, element);
    if (data !== null) out.set(name, unescape(data));
  }
  return out;
}

/** The physical lines of a text, line ends dropped. */
const linesOf = (text: string): string[] => text.split(/\r*\n/).filter((l) => l !== '');

/** The logical lines' names (BEGIN:X and END:X kept whole), in order. */
function shape(text: string): string[] {
  return linesOf(text).filter((l) => !/^[ \t]/.test(l)).map((l) => (/^(BEGIN|END):/.test(l) ? l : /^[^;:]+/.exec(l)![0]));
}

const EVENT = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Bureau test//partial//EN',
  'CALSCALE:GREGORIAN',
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:STANDARD',
  'DTSTART:19701025T030000',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'BEGIN:DAYLIGHT',
  'DTSTART:19700329T020000',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'END:VTIMEZONE',
  'BEGIN:VEVENT',
  'UID:partial-1@example.test',
  'DTSTAMP:20240101T000000Z',
  'DTSTART;TZID=Europe/Berlin:20240311T090000',
  'DTEND;TZID=Europe/Berlin:20240311T100000',
  'RRULE:FREQ=DAILY;COUNT=5',
  'SUMMARY:Stand-up',
  'LOCATION:Room 4',
  'DESCRIPTION;LANGUAGE=en:A long description that is folded over more than one physical line be',
  ' cause it is long',
  'ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.test',
  'BEGIN:VALARM',
  'ACTION:DISPLAY',
  'TRIGGER:-PT10M',
  'DESCRIPTION:Reminder',
  'END:VALARM',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:partial-1@example.test',
  'DTSTAMP:20240101T000000Z',
  'RECURRENCE-ID;TZID=Europe/Berlin:20240313T090000',
  'DTSTART;TZID=Europe/Berlin:20240313T110000',
  'DTEND;TZID=Europe/Berlin:20240313T120000',
  'SUMMARY:Stand-up (moved)',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

for (const backend of BACKENDS) {
  describe(`CalDAV/CardDAV partial retrieval on ${backend}`, function () {
    this.timeout(90_000);
    let s: DavServer;
    let ann: Account;
    const cal = (): string => `/dav/calendars/${ann.address}/calendar/`;
    const book = (): string => `/dav/addressbooks/${ann.address}/contacts/`;
    const tb = fixture('ical', 'thunderbird-recurring-exdate-cancelled-overrides.ics');
    // (an address book needs a UID in each card: one is added after VERSION, in the card's own line ends)
    const apple = fixture('vcard', 'apple-ios5-photo-itemgroups.vcf').replace(/VERSION:3\.0(\r*\n)/, 'VERSION:3.0$1UID:apple-ios5$1');
    // the fourth card of Android's export: vCard 2.1 quoted-printable with soft line breaks
    const android = fixture('vcard', 'android-vcard21-multi-qp-utf8.vcf').match(/BEGIN:VCARD[\s\S]*?END:VCARD\r?\n/g)![3]!
      .replace(/VERSION:2\.1(\r?\n)/, 'VERSION:2.1$1UID:android-4$1');

    const multiget = (data: string, names = ['event.ics', 'tb.ics']): Promise<{ status: number; text: string }> => s.dav('REPORT', cal(), {
      user: ann, headers: { depth: '1' },
      body: `${XML}<C:calendar-multiget ${NS}><D:prop><D:getetag/>${data}</D:prop>${names.map((n) => `<D:href>${cal()}${n}</D:href>`).join('')}</C:calendar-multiget>`,
    });
    const cards = (data: string, names = ['apple.vcf', 'android.vcf']): Promise<{ status: number; text: string }> => s.dav('REPORT', book(), {
      user: ann, headers: { depth: '1' },
      body: `${XML}<CR:addressbook-multiget ${NS}><D:prop><D:getetag/>${data}</D:prop>${names.map((n) => `<D:href>${book()}${n}</D:href>`).join('')}</CR:addressbook-multiget>`,
    });
    const calData = async (data: string): Promise<Map<string, string>> => {
      const r = await multiget(data);
      expect(r.status, r.text).to.equal(207);
      return dataByName(r.text, 'calendar-data');
    };
    const cardData = async (data: string): Promise<Map<string, string>> => {
      const r = await cards(data);
      expect(r.status, r.text).to.equal(207);
      return dataByName(r.text, 'address-data');
    };
    /** every physical line of `part` is a line of `whole`, in the same order */
    const linesKept = (part: string, whole: string): void => {
      const all = linesOf(whole);
      let at = 0;
      for (const l of linesOf(part)) {
        const i = all.indexOf(l, at);
        expect(i, `${JSON.stringify(l)} is a line of the stored object, in order`).to.be.at.least(0);
        at = i + 1;
      }
    };

    before(async () => {
      s = await startDav(backend);
      ann = await s.account('ann');
      for (const [path, body] of [[`${cal()}event.ics`, EVENT], [`${cal()}tb.ics`, tb], [`${book()}apple.vcf`, apple], [`${book()}android.vcf`, android]] as const) {
        const put = await s.dav('PUT', path, { user: ann, body });
        expect(put.status, `${path}: ${put.text}`).to.equal(201);
      }
    });
    after(async () => { await s?.stop(); });

    it('advertises the media types it serves calendar and address data in', async () => {
      const propfind = (path: string, props: string): Promise<{ status: number; text: string }> => s.dav('PROPFIND', path, {
        user: ann, headers: { depth: '0' }, body: `${XML}<D:propfind ${NS}><D:prop>${props}</D:prop></D:propfind>`,
      });
      const c = await propfind(cal(), '<C:supported-calendar-data/><D:supported-report-set/>');
      expect(c.status).to.equal(207);
      expect(prop(c.text, 'supported-calendar-data')).to.match(/^<calendar-data xmlns="urn:ietf:params:xml:ns:caldav" content-type="text\/calendar" version="2\.0"\/>$/);
      for (const report of ['calendar-query', 'calendar-multiget', 'free-busy-query', 'sync-collection']) expect(c.text).to.contain(`<${report} xmlns=`);
      const b = await propfind(book(), '<CR:supported-address-data/>');
      expect(b.status).to.equal(207);
      expect(prop(b.text, 'supported-address-data')).to.equal('<address-data-type xmlns="urn:ietf:params:xml:ns:carddav" content-type="text/vcard" version="3.0"/><address-data-type xmlns="urn:ietf:params:xml:ns:carddav" content-type="text/vcard" version="4.0"/>');
    });

    it('returns only the components and properties a calendar-data comp names, each line as stored', async () => {
      const data = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/><C:prop name="DESCRIPTION"/></C:comp></C:comp></C:calendar-data>');
      const event = data.get('event.ics')!;
      expect(shape(event)).to.deep.equal([
        'BEGIN:VCALENDAR', 'VERSION',
        'BEGIN:VEVENT', 'UID', 'DTSTART', 'SUMMARY', 'DESCRIPTION', 'END:VEVENT',
        'BEGIN:VEVENT', 'UID', 'DTSTART', 'SUMMARY', 'END:VEVENT',
        'END:VCALENDAR',
      ]);
      // the folded DESCRIPTION and the CRLF line ends as they were sent
      expect(event).to.contain('DESCRIPTION;LANGUAGE=en:A long description that is folded over more than one physical line be\r\n cause it is long\r\n');
      linesKept(event, EVENT);
      // the VALARM inside the VEVENT was not named: it goes
      expect(event).not.to.contain('VALARM');
      const thunderbird = data.get('tb.ics')!;
      expect(shape(thunderbird).filter((l) => l === 'BEGIN:VEVENT')).to.have.length(tb.match(/BEGIN:VEVENT/g)!.length);
      expect(thunderbird).not.to.match(/^(RRULE|EXDATE|LOCATION|PRODID)/m);
      expect(thunderbird).not.to.contain('\r', 'Thunderbird\'s LF line ends are kept');
      linesKept(thunderbird, tb);
    });

    it('an empty comp is the whole component; allprop and allcomp take everything below them', async () => {
      const data = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VTIMEZONE"/><C:comp name="VEVENT"><C:prop name="UID"/></C:comp></C:comp></C:calendar-data>');
      const event = data.get('event.ics')!;
      const zone = EVENT.slice(EVENT.indexOf('BEGIN:VTIMEZONE'), EVENT.indexOf('END:VTIMEZONE') + 'END:VTIMEZONE\r\n'.length);
      expect(event).to.contain(zone);
      expect(event.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bureau test//partial//EN\r\nCALSCALE:GREGORIAN\r\n')).to.equal(true);
      expect(shape(event.slice(event.indexOf('BEGIN:VEVENT')))).to.deep.equal(['BEGIN:VEVENT', 'UID', 'END:VEVENT', 'BEGIN:VEVENT', 'UID', 'END:VEVENT', 'END:VCALENDAR']);

      const all = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp></C:calendar-data>');
      expect(all.get('event.ics')).to.equal(EVENT);
      expect(all.get('tb.ics')).to.equal(tb);
      const events = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:allprop/><C:allcomp/></C:comp></C:comp></C:calendar-data>');
      expect(events.get('event.ics')).to.equal(EVENT.replace(zone, ''));
      // a comp with only sub-components asked has no properties of its own
      const bare = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:allprop/></C:comp></C:comp></C:calendar-data>');
      expect(bare.get('event.ics')!.startsWith('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:partial-1@example.test\r\n')).to.equal(true);
      expect(bare.get('event.ics')).not.to.contain('BEGIN:VALARM');
    });

    it('a prop with novalue="yes" comes back with its name and parameters and no value', async () => {
      const data = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="UID"/><C:prop name="ATTENDEE" novalue="yes"/><C:prop name="DESCRIPTION" novalue="yes"/></C:comp></C:comp></C:calendar-data>');
      const event = data.get('event.ics')!;
      expect(event).to.contain('ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:\r\n');
      expect(event).to.contain('DESCRIPTION;LANGUAGE=en:\r\n');
      expect(event).not.to.contain('mailto:bob');
      expect(event).not.to.contain('folded');
    });

    it('names that match nothing select nothing and are no error', async () => {
      const data = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="X-NOTHING"/><C:comp name="VJOURNAL"><C:allprop/></C:comp><C:comp name="X-UNKNOWN-COMP"/><C:comp name="vevent"><C:prop name="summary"/><C:prop name="X-NOPE"/><C:comp name="VALARM"><C:prop name="TRIGGER"/></C:comp></C:comp></C:comp></C:calendar-data>');
      expect(data.get('event.ics')).to.equal([
        'BEGIN:VCALENDAR',
        'BEGIN:VEVENT', 'SUMMARY:Stand-up', 'BEGIN:VALARM', 'TRIGGER:-PT10M', 'END:VALARM', 'END:VEVENT',
        'BEGIN:VEVENT', 'SUMMARY:Stand-up (moved)', 'END:VEVENT',
        'END:VCALENDAR', '',
      ].join('\r\n'));
    });

    it('applies a selection after expand, in a calendar-query', async () => {
      const r = await s.dav('REPORT', cal(), {
        user: ann, headers: { depth: '1' },
        body: `${XML}<C:calendar-query ${NS}><D:prop><C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="RECURRENCE-ID"/><C:prop name="DTSTART"/><C:prop name="SUMMARY"/></C:comp></C:comp><C:expand start="20240312T000000Z" end="20240314T000000Z"/></C:calendar-data></D:prop>`
          + '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240312T000000Z" end="20240314T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>',
      });
      expect(r.status, r.text).to.equal(207);
      expect(dataByName(r.text, 'calendar-data').get('event.ics')).to.equal([
        'BEGIN:VCALENDAR',
        'BEGIN:VEVENT', 'RECURRENCE-ID:20240312T080000Z', 'DTSTART:20240312T080000Z', 'SUMMARY:Stand-up', 'END:VEVENT',
        'BEGIN:VEVENT', 'RECURRENCE-ID:20240313T080000Z', 'DTSTART:20240313T100000Z', 'SUMMARY:Stand-up (moved)', 'END:VEVENT',
        'END:VCALENDAR', '',
      ].join('\r\n'));
    });

    it('takes limit-freebusy-set (it leaves events as they are) and limit-recurrence-set with a selection', async () => {
      const data = await calData('<C:calendar-data><C:limit-freebusy-set start="20240301T000000Z" end="20240401T000000Z"/></C:calendar-data>');
      expect(data.get('event.ics')).to.equal(EVENT);
      expect(data.get('tb.ics')).to.equal(tb);
      const limited = await calData('<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="RECURRENCE-ID"/><C:prop name="RRULE"/></C:comp></C:comp><C:limit-recurrence-set start="20240311T000000Z" end="20240312T000000Z"/></C:calendar-data>');
      // the override of 13 March is outside the range: only the master, with its rule
      expect(limited.get('event.ics')).to.equal('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=DAILY;COUNT=5\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
    });

    it('returns only the vCard properties address-data names, with VERSION and UID, groups matched as RFC 6352 says', async () => {
      const data = await cardData('<CR:address-data><CR:prop name="FN"/><CR:prop name="EMAIL"/><CR:prop name="item2.TEL"/></CR:address-data>');
      const card = data.get('apple.vcf')!;
      expect(card).to.equal([
        'BEGIN:VCARD', 'VERSION:3.0', 'UID:apple-ios5', 'FN:Mr. John Richter James Doe Sr.', 'item1.EMAIL;type=INTERNET;type=pref:john.doe@ibm.com', 'item2.TEL:905-222-1234', 'END:VCARD', '',
      ].join('\r\r\n'));
      expect(card).not.to.contain('PHOTO');
      // TEL without a group was not asked: item2.TEL only
      expect(card.match(/TEL/g)).to.have.length(1);
      const twoOne = data.get('android.vcf')!;
      // the 2.1 card: its FN with the quoted-printable soft break, byte for byte
      const fn = /FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:[^\n]*=\r?\n[^\n]*\n/.exec(android)![0];
      const eol = /END:VCARD(\r?\n)/.exec(android)![1]!;
      expect(twoOne).to.equal(`BEGIN:VCARD${eol}VERSION:2.1${eol}UID:android-4${eol}${fn}END:VCARD${eol}`);
      // without props, or with allprop: the card as stored
      expect((await cardData('<CR:address-data/>')).get('apple.vcf')).to.equal(apple);
      expect((await cardData('<CR:address-data><CR:allprop/></CR:address-data>')).get('android.vcf')).to.equal(android);
    });

    it('address-data novalue, and a selection in addressbook-query and sync-collection', async () => {
      const nov = await cardData('<CR:address-data><CR:prop name="TEL" novalue="yes"/></CR:address-data>');
      expect(linesOf(nov.get('apple.vcf')!).filter((l) => /TEL/.test(l))).to.deep.equal([
        'TEL;type=CELL;type=VOICE;type=pref:', 'TEL;type=HOME;type=VOICE:', 'TEL;type=WORK;type=VOICE:', 'TEL;type=HOME;type=FAX:', 'TEL;type=WORK;type=FAX:', 'TEL;type=PAGER:', 'item2.TEL:',
      ]);
      const q = await s.dav('REPORT', book(), {
        user: ann, headers: { depth: '1' },
        body: `${XML}<CR:addressbook-query ${NS}><D:prop><CR:address-data><CR:prop name="NICKNAME"/></CR:address-data></D:prop><CR:filter><CR:prop-filter name="ORG"><CR:text-match>IBM</CR:text-match></CR:prop-filter></CR:filter></CR:addressbook-query>`,
      });
      expect(q.status, q.text).to.equal(207);
      expect([...dataByName(q.text, 'address-data').entries()]).to.deep.equal([['apple.vcf', 'BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nUID:apple-ios5\r\r\nNICKNAME:Johny\r\r\nEND:VCARD\r\r\n']]);
      const sync = await s.dav('REPORT', book(), {
        user: ann, headers: { depth: '1' },
        body: `${XML}<D:sync-collection ${NS}><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/><CR:address-data><CR:prop name="N"/></CR:address-data></D:prop></D:sync-collection>`,
      });
      expect(sync.status, sync.text).to.equal(207);
      const synced = dataByName(sync.text, 'address-data');
      expect(shape(synced.get('apple.vcf')!)).to.deep.equal(['BEGIN:VCARD', 'VERSION', 'UID', 'N', 'END:VCARD']);
      // the 2.1 N with its quoted-printable soft break, whole
      const n = /^N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:[^\n]*=\r?\n[^\n]*\n/m.exec(android)![0];
      const eol = /END:VCARD(\r?\n)/.exec(android)![1]!;
      expect(synced.get('android.vcf')).to.equal(`BEGIN:VCARD${eol}VERSION:2.1${eol}UID:android-4${eol}${n}END:VCARD${eol}`);
    });

    it('refuses malformed ranges with 400 CALDAV:valid-filter and unserved media types with 403; the server keeps serving', async () => {
      const bad400 = [
        '<C:calendar-data><C:expand start="20240314T000000Z" end="20240312T000000Z"/></C:calendar-data>',
        '<C:calendar-data><C:limit-recurrence-set start="2024-03-12" end="20240314T000000Z"/></C:calendar-data>',
        '<C:calendar-data><C:limit-freebusy-set start="20240231T000000Z" end="20240314T000000Z"/></C:calendar-data>',
        '<C:calendar-data><C:limit-freebusy-set end="20240314T000000Z"/></C:calendar-data>',
        '<C:calendar-data><C:expand start="20240312T000000Z" end="20240314T000000Z"/><C:limit-recurrence-set start="20240312T000000Z" end="20240314T000000Z"/></C:calendar-data>',
        '<C:calendar-data><C:comp name="VEVENT"><C:allprop/></C:comp></C:calendar-data>',
        '<C:calendar-data><C:comp name="VCALENDAR"><C:comp><C:allprop/></C:comp></C:comp></C:calendar-data>',
        '<C:calendar-data><C:comp name="VCALENDAR"><C:prop/></C:comp></C:calendar-data>',
      ];
      for (const body of bad400) {
        const r = await multiget(body);
        expect(r.status, body).to.equal(400);
        expect(r.text, body).to.match(/<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:valid-filter>/);
      }
      const badFilter = await s.dav('REPORT', cal(), {
        user: ann, headers: { depth: '1' },
        body: `${XML}<C:calendar-query ${NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240399T000000Z" end="20240401T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
      });
      expect(badFilter.status).to.equal(400);
      expect(badFilter.text).to.contain('valid-filter');
      const backwards = await s.dav('REPORT', cal(), {
        user: ann, headers: { depth: '1' },
        body: `${XML}<C:calendar-query ${NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240401T000000Z" end="20240301T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
      });
      expect(backwards.status).to.equal(400);
      expect(backwards.text).to.contain('valid-filter');

      for (const body of ['<C:calendar-data content-type="application/calendar+json"/>', '<C:calendar-data content-type="text/calendar" version="1.0"/>']) {
        const r = await multiget(body);
        expect(r.status, body).to.equal(403);
        expect(r.text).to.match(/xmlns:C="urn:ietf:params:xml:ns:caldav"><C:supported-calendar-data>/);
      }
      for (const body of ['<CR:address-data content-type="application/vcard+json"/>', '<CR:address-data content-type="text/vcard" version="2.1"/>']) {
        const r = await cards(body);
        expect(r.status, body).to.equal(403);
        expect(r.text).to.match(/xmlns:C="urn:ietf:params:xml:ns:carddav"><C:supported-address-data>/);
      }
      const noName = await cards('<CR:address-data><CR:prop/></CR:address-data>');
      expect(noName.status).to.equal(400);
      expect(noName.text).to.contain('valid-filter');
      // what the clients send (DAVx5 names the type and 4.0; Apple the defaults) is served
      expect((await cardData('<CR:address-data content-type="text/vcard" version="4.0"/>')).get('apple.vcf')).to.equal(apple);
      expect((await calData('<C:calendar-data content-type="text/calendar" version="2.0"/>')).get('event.ics')).to.equal(EVENT);
      // still serving, and nothing changed
      const get = await s.dav('GET', `${cal()}event.ics`, { user: ann });
      expect(get.status).to.equal(200);
      expect(get.text).to.equal(EVENT);
    });
  });
}
