// The CalDAV/CardDAV door end to end through the real server over HTTPS:
// tsdav (discovery from /.well-known, calendars and address books of every
// kind, objects, multiget, time-range over a recurring series, sync), real
// clients' objects kept byte for byte, Apple's collection properties,
// collections made and deleted, free/busy, and hostile input. Both backends.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDAVClient } from 'tsdav';
import type { Account, Group } from '../../../../src/store/types.ts';
import { DAV_PASSWORD, hrefs, prop, startDav, type DavServer } from '../../../support/dav.ts';
import { ROOT } from '../../../support/server.ts';
import { BACKENDS } from '../../../support/store.ts';
import { trustingFetch } from './fetch.ts';

const FIXTURES = join(ROOT, '..', 'shared', 'fixtures');
const fixture = (kind: string, name: string): Buffer => readFileSync(join(FIXTURES, kind, name));
const XML = '<?xml version="1.0" encoding="utf-8"?>';
const NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav"';

const event = (uid: string, summary: string, start = '20240102T100000Z', extra = ''): string =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:${start}\r\nDURATION:PT1H\r\nSUMMARY:${summary}\r\n${extra}END:VEVENT\r\nEND:VCALENDAR\r\n`;
const card = (uid: string, fn: string): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${fn}\r\nN:${fn};;;;\r\nEMAIL:${uid}@example.org\r\nEND:VCARD\r\n`;

for (const backend of BACKENDS) {
  describe(`CalDAV and CardDAV on ${backend}`, function () {
    this.timeout(60_000);
    let s: DavServer;
    let ann: Account;
    let bob: Account;
    let eve: Account;
    let team: Group;
    const cal = (a: Account, seg = 'calendar'): string => `/dav/calendars/${a.address}/${seg}/`;
    const book = (a: Account, seg = 'contacts'): string => `/dav/addressbooks/${a.address}/${seg}/`;
    const client = (a: Account, type: 'caldav' | 'carddav') => createDAVClient({
      serverUrl: `${s.origin}/.well-known/${type}`, credentials: { username: a.address, password: DAV_PASSWORD },
      authMethod: 'Basic', defaultAccountType: type, fetch: trustingFetch(s.ca),
    });

    before(async () => {
      s = await startDav(backend);
      ann = await s.account('ann');
      bob = await s.account('bob');
      eve = await s.account('eve');
      team = await s.group('Team', ann, [bob]);
    });
    after(async () => { await s?.stop(); });

    it('leads from /.well-known to the principal and its homes (RFC 6764), and says what it speaks', async () => {
      for (const w of ['caldav', 'carddav']) {
        const r = await s.dav('GET', `/.well-known/${w}`, { user: ann });
        expect(r.status).to.equal(301);
        expect(r.headers.location).to.equal('/dav/');
        // a PROPFIND there (or on the server's root) is answered in place: a redirect would lose its body
        for (const path of [`/.well-known/${w}`, '/']) {
          const p = await s.dav('PROPFIND', path, { user: ann, headers: { depth: '0' }, body: `${XML}<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>` });
          expect(p.status).to.equal(207);
          expect(prop(p.text, 'current-user-principal')).to.contain('/dav/principals/ann@example.test/');
        }
      }
      const root = await s.dav('PROPFIND', '/dav/', { user: ann, headers: { depth: '0' }, body: `${XML}<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>` });
      expect(root.status).to.equal(207);
      expect(prop(root.text, 'current-user-principal')).to.contain('/dav/principals/ann@example.test/');
      const p = await s.dav('PROPFIND', '/dav/principals/ann@example.test/', { user: ann, headers: { depth: '0' }, body: `${XML}<D:propfind ${NS}><D:prop><D:displayname/><C:calendar-home-set/><CR:addressbook-home-set/><C:calendar-user-address-set/><C:schedule-outbox-URL/><D:principal-URL/></D:prop></D:propfind>` });
      expect(p.status).to.equal(207);
      expect(prop(p.text, 'calendar-home-set')).to.contain('/dav/calendars/ann@example.test/');
      expect(prop(p.text, 'addressbook-home-set')).to.contain('/dav/addressbooks/ann@example.test/');
      expect(prop(p.text, 'calendar-user-address-set')).to.contain('mailto:ann@example.test');
      expect(prop(p.text, 'schedule-outbox-URL')).to.contain('/dav/outbox/ann@example.test/');
      const o = await s.dav('OPTIONS', '/dav/', {});
      expect(String(o.headers.dav)).to.match(/calendar-access/).and.match(/addressbook/).and.match(/extended-mkcol/);
      expect((await s.dav('PROPFIND', '/dav/principals/bob@example.test/', { user: ann, headers: { depth: '0' } })).status).to.equal(403);
      expect((await s.dav('PROPFIND', '/dav/calendars/bob@example.test/', { user: ann, headers: { depth: '0' } })).status).to.equal(404);
      expect((await s.dav('PROPFIND', '/dav/', { headers: { depth: '0' } })).status).to.equal(401);
    });

    it('lists with tsdav every calendar and address book the account reaches, saying whose each is', async () => {
      const c = await client(bob, 'caldav');
      const cals = await c.fetchCalendars();
      expect(cals.map((x) => x.displayName)).to.deep.equal(['Calendar', 'Team (group)']);
      expect(cals.every((x) => typeof x.syncToken === 'string' && x.ctag !== undefined)).to.equal(true);
      const d = await client(bob, 'carddav');
      const books = await d.fetchAddressBooks();
      expect(books.map((x) => x.displayName)).to.deep.equal(['Contacts', 'Team (group)', 'Team members (directory)']);
      const dir = books.find((b) => String(b.url).includes('/directory-'))!;
      const cards = await d.fetchVCards({ addressBook: dir });
      expect(cards.map((x) => /FN:([^\r\n]*)/.exec(String(x.data))?.[1]).sort()).to.deep.equal(['ann', 'bob']);
      // the directory is read-only
      expect((await s.dav('PUT', `${new URL(String(dir.url)).pathname}x.vcf`, { user: bob, body: card('x', 'X') })).status).to.equal(403);
    });

    it('syncs a member directory like any address book: a profile change is a changed card, a departure a 404 tombstone; nobody writes it', async () => {
      const gil = await s.account('gil');
      const hal = await s.account('hal');
      const crew = await s.group('Crew', gil, [hal]);
      const dir = book(gil, `directory-${crew.id}`);
      const gilCard = `member-${gil.id}.vcf`;
      const halCard = `member-${hal.id}.vcf`;
      const body = (t: string): string => `${XML}<D:sync-collection xmlns:D="DAV:"><D:sync-token>${t}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
      const responses = (xml: string): Map<string, string> => new Map(xml.split('<D:response>').slice(1).map((r) => [hrefs(r)[0]!.split('/').pop()!, r]));
      const sync = async (t: string): Promise<{ token: string; by: Map<string, string> }> => {
        const r = await s.dav('REPORT', dir, { user: gil, body: body(t) });
        expect(r.status).to.equal(207);
        return { token: prop(r.text, 'sync-token')!, by: responses(r.text) };
      };
      const first = await sync('');
      expect([...first.by.keys()].sort()).to.deep.equal([gilCard, halCard].sort());
      const halEtag = prop(first.by.get(halCard)!, 'getetag');
      expect(halEtag).to.be.a('string');
      expect((await sync(first.token)).by.size).to.equal(0);
      // a profile change: only hal's card, with a new ETag
      await s.core.accounts.update(hal.id, { profile: { organisation: 'Globex' } });
      const changed = await sync(first.token);
      expect([...changed.by.keys()]).to.deep.equal([halCard]);
      expect(prop(changed.by.get(halCard)!, 'getetag')).to.not.equal(halEtag);
      const got = await s.dav('GET', `${dir}${halCard}`, { user: gil });
      expect(got.status).to.equal(200);
      expect(got.text).to.contain('ORG:Globex');
      // nobody writes it: neither the administrator nor a member, nor may it be deleted
      for (const who of [gil, hal]) {
        const mine = book(who, `directory-${crew.id}`);
        expect((await s.dav('PUT', `${mine}x.vcf`, { user: who, body: card('x', 'X') })).status).to.equal(403);
        expect((await s.dav('PUT', `${mine}${gilCard}`, { user: who, body: card('x', 'X') })).status).to.equal(403);
        expect((await s.dav('DELETE', `${mine}${halCard}`, { user: who })).status).to.equal(403);
        expect((await s.dav('DELETE', mine, { user: who })).status).to.equal(403);
      }
      expect((await sync(changed.token)).by.size).to.equal(0);
      // hal leaves: the next sync has a 404 for his card, and nothing else
      await s.core.groups.leave(crew.id, hal.id);
      const gone = await sync(changed.token);
      expect([...gone.by.keys()]).to.deep.equal([halCard]);
      expect(gone.by.get(halCard)).to.match(/<D:status>HTTP\/1.1 404/);
      expect((await s.dav('GET', `${dir}${halCard}`, { user: gil })).status).to.equal(404);
      expect((await s.dav('PROPFIND', book(hal, `directory-${crew.id}`), { user: hal, headers: { depth: '0' } })).status).to.equal(404);
    });

    it('creates, updates, fetches and deletes events and cards with tsdav; multiget; sync-collection reports changes and tombstones', async () => {
      const c = await client(ann, 'caldav');
      const [calendar] = await c.fetchCalendars();
      const made = await c.createCalendarObject({ calendar: calendar!, filename: 'one.ics', iCalString: event('one', 'First') });
      expect(made.status).to.equal(201);
      await c.createCalendarObject({ calendar: calendar!, filename: 'two.ics', iCalString: event('two', 'Second') });
      const sync0 = await c.syncCollection({ url: String(calendar!.url), props: { 'd:getetag': {} }, syncLevel: 1, syncToken: '' });
      const token = String((sync0 as unknown as { raw?: { multistatus?: { syncToken?: string } } })?.raw?.multistatus?.syncToken ?? '');
      const first = await c.fetchCalendarObjects({ calendar: calendar!, objectUrls: [`${calendar!.url}one.ics`] });
      expect(first).to.have.length(1);
      const upd = await c.updateCalendarObject({ calendarObject: { url: first[0]!.url, etag: first[0]!.etag!, data: event('one', 'First, moved') } });
      expect(upd.status).to.equal(204);
      const stale = await c.updateCalendarObject({ calendarObject: { url: first[0]!.url, etag: first[0]!.etag!, data: event('one', 'lost update') } });
      expect(stale.status).to.equal(412);
      const multi = await c.calendarMultiGet({ url: String(calendar!.url), props: { 'd:getetag': {}, 'c:calendar-data': {} }, objectUrls: [`${new URL(String(calendar!.url)).pathname}one.ics`, `${new URL(String(calendar!.url)).pathname}two.ics`], depth: '1' });
      expect(multi.map((m) => String(m.props?.calendarData?._cdata ?? m.props?.calendarData)).join('\n')).to.contain('First, moved').and.contain('Second');
      const del = await c.deleteCalendarObject({ calendarObject: { url: `${calendar!.url}two.ics`, etag: '' } });
      expect(del.status).to.equal(204);
      // sync from the first token: one change, one tombstone
      const path = new URL(String(calendar!.url)).pathname;
      const body = (t: string): string => `${XML}<D:sync-collection xmlns:D="DAV:"><D:sync-token>${t}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;
      let firstToken = token;
      if (!firstToken) {
        const r = await s.dav('REPORT', path, { user: ann, body: body('') });
        firstToken = prop(r.text, 'sync-token')!;
      }
      const r0 = await s.dav('REPORT', path, { user: ann, body: body('') });
      expect(r0.status).to.equal(207);
      const now = prop(r0.text, 'sync-token')!;
      const since = await s.dav('REPORT', path, { user: ann, body: body(now) });
      expect(hrefs(since.text)).to.deep.equal([]);
      await s.dav('PUT', `${path}three.ics`, { user: ann, body: event('three', 'Third') });
      await s.dav('DELETE', `${path}one.ics`, { user: ann });
      const changed = await s.dav('REPORT', path, { user: ann, body: body(now) });
      expect(changed.status).to.equal(207);
      expect(changed.text).to.match(/three\.ics<\/D:href><D:propstat>/);
      expect(changed.text).to.match(/one\.ics<\/D:href><D:status>HTTP\/1.1 404/);
      const bad = await s.dav('REPORT', path, { user: ann, body: body('http://bureau.invalid/sync/c999/1') });
      expect(bad.status).to.equal(403);
      expect(bad.text).to.contain('valid-sync-token');
      // cards
      const d = await client(ann, 'carddav');
      const [contacts] = await d.fetchAddressBooks();
      expect((await d.createVCard({ addressBook: contacts!, filename: 'c1.vcf', vCardString: card('c1', 'Carl') })).status).to.equal(201);
      const got = await d.fetchVCards({ addressBook: contacts! });
      expect(got.map((g) => String(g.data).trim())).to.deep.equal([card('c1', 'Carl').trim()]); // tsdav trims the text
      expect((await s.dav('GET', `${new URL(String(contacts!.url)).pathname}c1.vcf`, { user: ann })).text).to.equal(card('c1', 'Carl'));
      const q = await s.dav('REPORT', new URL(String(contacts!.url)).pathname, { user: ann, headers: { depth: '1' }, body: `${XML}<CR:addressbook-query ${NS}><D:prop><D:getetag/></D:prop><CR:filter><CR:prop-filter name="FN"><CR:text-match match-type="contains">car</CR:text-match></CR:prop-filter></CR:filter></CR:addressbook-query>` });
      expect(hrefs(q.text).map((h) => h.split('/').pop())).to.deep.equal(['c1.vcf']);
      expect((await d.deleteVCard({ vCard: { url: `${contacts!.url}c1.vcf`, etag: '' } })).status).to.equal(204);
    });

    it("answers a time-range query over Thunderbird's recurring series (EXDATEs, overrides, time zones)", async () => {
      const path = cal(ann);
      expect((await s.dav('PUT', `${path}tb.ics`, { user: ann, body: fixture('ical', 'thunderbird-recurring-exdate-cancelled-overrides.ics'), headers: { 'content-type': 'text/calendar' } })).status).to.equal(201);
      const c = await client(ann, 'caldav');
      const [calendar] = await c.fetchCalendars();
      const names = async (start: string, end: string): Promise<string[]> =>
        (await c.fetchCalendarObjects({ calendar: calendar!, timeRange: { start, end } })).map((o) => String(o.url).split('/').pop()!).sort();
      expect(await names('2017-10-09T18:30:00Z', '2017-10-09T19:30:00Z')).to.deep.equal(['tb.ics']);
      expect(await names('2017-10-23T00:00:00Z', '2017-10-24T00:00:00Z')).to.deep.equal([]); // EXDATE
      expect(await names('2018-04-23T18:00:00Z', '2018-04-23T19:00:00Z')).to.deep.equal(['tb.ics']);
      expect(await names('2018-06-19T00:00:00Z', '2019-01-01T00:00:00Z')).to.deep.equal([]); // after UNTIL
      // text-match
      const tm = await s.dav('REPORT', path, { user: ann, headers: { depth: '1' }, body: `${XML}<C:calendar-query ${NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>third</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>` });
      expect(hrefs(tm.text).map((h) => h.split('/').pop())).to.deep.equal(['three.ics']);
    });

    it('stores real clients\' objects byte for byte: Outlook with Windows zones, Google, vCard 3.0 with a base64 PHOTO, an Apple group card', async () => {
      const objects: [string, string, Buffer][] = [
        [cal(ann), 'outlook.ics', fixture('ical', 'outlook-2010-meeting-request-windows-tz.ics')],
        [cal(ann), 'google.ics', fixture('ical', 'google-calendar-override-before-master.ics')],
        // the exported file has no UID; the iPhone adds one when it syncs (RFC 6352 §5.1)
        [book(ann), 'photo.vcf', Buffer.from(fixture('vcard', 'apple-ios5-photo-itemgroups.vcf').toString('latin1').replace('VERSION:3.0\r\r\n', 'VERSION:3.0\r\r\nUID:photo\r\r\n'), 'latin1')],
        [book(ann), 'group.vcf', fixture('vcard', 'apple-addressbook-group-kind.vcf')],
      ];
      for (const [path, name, bytes] of objects) {
        const put = await s.dav('PUT', `${path}${name}`, { user: ann, body: bytes, headers: { 'if-none-match': '*' } });
        expect(put.status, `${name}: ${put.text}`).to.equal(201);
        const get = await s.dav('GET', `${path}${name}`, { user: ann });
        expect(get.status).to.equal(200);
        expect(get.body.equals(bytes), name).to.equal(true);
        expect(get.headers.etag).to.equal(put.headers.etag);
        const again = await s.dav('PUT', `${path}${name}`, { user: ann, body: bytes, headers: { 'if-none-match': '*' } });
        expect(again.status).to.equal(412);
      }
      // the multiget answer holds the bytes too (CR kept as &#13;)
      const noUid = await s.dav('PUT', `${book(ann)}nouid.vcf`, { user: ann, body: fixture('vcard', 'apple-ios5-photo-itemgroups.vcf') });
      expect(noUid.status).to.equal(403);
      expect(noUid.text).to.contain('valid-address-data');
      const mg = await s.dav('REPORT', book(ann), { user: ann, body: `${XML}<CR:addressbook-multiget ${NS}><D:prop><D:getetag/><CR:address-data/></D:prop><D:href>${book(ann)}photo.vcf</D:href><D:href>${book(ann)}missing.vcf</D:href></CR:addressbook-multiget>` });
      expect(mg.status).to.equal(207);
      expect(mg.text).to.contain('PHOTO');
      expect(mg.text).to.match(/missing\.vcf<\/D:href><D:status>HTTP\/1.1 404/);
    });

    it("keeps Apple's calendar-color and calendar-order, a description and a time zone (PROPPATCH), and makes calendars and address books (MKCALENDAR, extended MKCOL)", async () => {
      const pp = await s.dav('PROPPATCH', cal(ann), { user: ann, body: `${XML}<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><A:calendar-color symbolic-color="custom">#FF2968FF</A:calendar-color><A:calendar-order>3</A:calendar-order><C:calendar-description>Mine</C:calendar-description><D:displayname>Ann's days</D:displayname></D:prop></D:set></D:propertyupdate>` });
      expect(pp.status).to.equal(207);
      expect(pp.text).to.contain('200 OK').and.not.contain('403');
      const pf = await s.dav('PROPFIND', cal(ann), { user: ann, headers: { depth: '0' }, body: `${XML}<D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:prop><A:calendar-color/><A:calendar-order/><C:calendar-description/><D:displayname/><CS:getctag/><D:sync-token/><C:supported-calendar-component-set/><D:current-user-privilege-set/><D:resourcetype/><D:supported-report-set/></D:prop></D:propfind>` });
      expect(prop(pf.text, 'calendar-color')).to.equal('#FF2968FF');
      expect(prop(pf.text, 'calendar-order')).to.equal('3');
      expect(prop(pf.text, 'calendar-description')).to.equal('Mine');
      expect(prop(pf.text, 'displayname')).to.equal('Ann&apos;s days'.replace('&apos;', "'"));
      expect(pf.text).to.contain('<comp xmlns="urn:ietf:params:xml:ns:caldav" name="VEVENT"/>');
      expect(pf.text).to.contain('calendar-multiget').and.contain('sync-collection');
      // a protected property is refused, nothing else applied
      const bad = await s.dav('PROPPATCH', cal(ann), { user: ann, body: `${XML}<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>X</D:displayname><D:sync-token>x</D:sync-token></D:prop></D:set></D:propertyupdate>` });
      expect(bad.text).to.contain('403').and.contain('424');
      // a member cannot change the group calendar
      const groupSeg = (await (await client(bob, 'caldav')).fetchCalendars()).map((c) => String(c.url).split('/').at(-2)!).find((x) => x.startsWith('group-'))!;
      const denied = await s.dav('PROPPATCH', cal(bob, groupSeg), { user: bob, body: `${XML}<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>X</D:displayname></D:prop></D:set></D:propertyupdate>` });
      expect(denied.text).to.contain('403');
      // MKCALENDAR, and vdirsyncer's extended MKCOL at home + name without a slash
      const mk = await s.dav('MKCALENDAR', `/dav/calendars/${ann.address}/work/`, { user: ann, body: `${XML}<C:mkcalendar ${NS}><D:set><D:prop><D:displayname>Work</D:displayname><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>` });
      expect(mk.status).to.equal(201);
      const ev = await s.dav('PUT', `/dav/calendars/${ann.address}/work/e.ics`, { user: ann, body: event('e', 'not a task') });
      expect(ev.status === 201 || ev.status === 403).to.equal(true);
      const col = await s.dav('MKCOL', `/dav/addressbooks/${ann.address}/friends`, { user: ann, body: `${XML}<D:mkcol ${NS}><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>Friends</D:displayname></D:prop></D:set></D:mkcol>` });
      expect(col.status).to.equal(201);
      const wrong = await s.dav('MKCOL', `/dav/calendars/${ann.address}/wrong`, { user: ann, body: `${XML}<D:mkcol ${NS}><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>` });
      expect(wrong.status).to.equal(207);
      expect(wrong.text).to.contain('valid-resourcetype');
      expect((await s.dav('MKCALENDAR', `/dav/calendars/${ann.address}/work/`, { user: ann })).status).to.equal(405);
      expect((await s.dav('MKCALENDAR', `/dav/calendars/${ann.address}/group-1/`, { user: ann })).status).to.equal(403);
      const books = await (await client(ann, 'carddav')).fetchAddressBooks();
      expect(books.map((b) => b.displayName)).to.include('Friends');
      // deletions: own yes, default no, group only by its admin
      expect((await s.dav('DELETE', `/dav/calendars/${ann.address}/work/`, { user: ann })).status).to.equal(204);
      expect((await s.dav('DELETE', cal(ann), { user: ann })).status).to.equal(403);
      expect((await s.dav('DELETE', cal(bob, groupSeg), { user: bob })).status).to.equal(403);
    });

    it('gives co-members busy periods only (outbox POST and free-busy-query), and outsiders nothing', async () => {
      await s.dav('PUT', `${cal(bob)}secret.ics`, { user: bob, body: event('secret', 'Secret meeting', '20300101T100000Z', 'LOCATION:Room 1\r\nDESCRIPTION:private\r\n') });
      const request = (to: Account): string => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20300101T000000Z\r\nDTEND:20300102T000000Z\r\nORGANIZER:mailto:${ann.address}\r\nATTENDEE:mailto:${to.address}\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n`;
      const r = await s.dav('POST', `/dav/outbox/${ann.address}/`, { user: ann, body: request(bob), headers: { 'content-type': 'text/calendar' } });
      expect(r.status).to.equal(200);
      expect(r.text).to.contain('2.0;Success').and.contain('FREEBUSY').and.contain('20300101T100000Z');
      expect(r.text).to.not.contain('Secret').and.not.contain('Room 1').and.not.contain('private');
      const out = await s.dav('POST', `/dav/outbox/${eve.address}/`, { user: eve, body: request(bob), headers: { 'content-type': 'text/calendar' } });
      expect(out.text).to.contain('3.8').and.not.contain('FREEBUSY');
      expect((await s.dav('POST', `/dav/outbox/${bob.address}/`, { user: ann, body: request(bob) })).status).to.equal(403);
      const groupSeg = (await (await client(bob, 'caldav')).fetchCalendars()).map((c) => String(c.url).split('/').at(-2)!).find((x) => x.startsWith('group-'))!;
      const fbq = await s.dav('REPORT', cal(bob, groupSeg), { user: bob, body: `${XML}<C:free-busy-query ${NS}><C:time-range start="20300101T000000Z" end="20300102T000000Z"/></C:free-busy-query>` });
      expect(fbq.status).to.equal(200);
      expect(fbq.headers['content-type']).to.match(/text\/calendar/);
      expect(fbq.text).to.contain('VFREEBUSY');
    });

    it('refuses hostile and invalid input with the DAV error, storing nothing', async () => {
      const before = await s.dav('PROPFIND', cal(ann), { user: ann, headers: { depth: '1' } });
      const doctype = await s.dav('PROPFIND', cal(ann), { user: ann, headers: { depth: '0' }, body: `${XML}<!DOCTYPE x [<!ENTITY a "aaaa">]><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&a;</D:displayname></D:prop></D:propfind>` });
      expect(doctype.status).to.equal(400);
      const ext = await s.dav('REPORT', cal(ann), { user: ann, body: `${XML}<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><C:calendar-query ${NS}>&e;</C:calendar-query>` });
      expect(ext.status).to.equal(400);
      const invalid = await s.dav('PUT', `${cal(ann)}bad.ics`, { user: ann, body: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:no uid, no end\r\n' });
      expect(invalid.status).to.equal(403);
      expect(invalid.text).to.contain('urn:ietf:params:xml:ns:caldav').and.match(/valid-calendar-(data|object-resource)|supported-calendar-data/);
      const badCard = await s.dav('PUT', `${book(ann)}bad.vcf`, { user: ann, body: 'BEGIN:VCARD\r\nFN:x\r\n' });
      expect(badCard.status).to.equal(403);
      expect(badCard.text).to.contain('urn:ietf:params:xml:ns:carddav');
      await s.dav('PUT', `${cal(ann)}u1.ics`, { user: ann, body: event('same-uid', 'one') });
      const dup = await s.dav('PUT', `${cal(ann)}u2.ics`, { user: ann, body: event('same-uid', 'two') });
      expect(dup.status).to.equal(403);
      expect(dup.text).to.contain('no-uid-conflict').and.contain('u1.ics');
      const big = await s.dav('REPORT', cal(ann), { user: ann, body: `${XML}<D:x xmlns:D="DAV:">${'a'.repeat(1_100_000)}</D:x>` });
      expect(big.status).to.equal(413);
      const unknown = await s.dav('REPORT', cal(ann), { user: ann, body: `${XML}<D:expand-property xmlns:D="DAV:"/>` });
      expect(unknown.status).to.equal(403);
      expect(unknown.text).to.contain('supported-report');
      const cardReport = await s.dav('REPORT', book(ann), { user: ann, body: `${XML}<C:calendar-query ${NS}/>` });
      expect(cardReport.status).to.equal(403);
      expect((await s.dav('GET', `${cal(ann)}bad.ics`, { user: ann })).status).to.equal(404);
      expect((await s.dav('GET', `${cal(ann)}u2.ics`, { user: ann })).status).to.equal(404);
      const after = await s.dav('PROPFIND', cal(ann), { user: ann, headers: { depth: '1' } });
      expect(hrefs(after.text).length).to.equal(hrefs(before.text).length + 1); // u1.ics only
      expect(s.logs.filter((l) => /dav /.test(l))).to.deep.equal([]);
    });

    it('follows group membership and shares on the next request', async () => {
      const carl = await s.account('carl');
      await s.core.groups.addMember(team.id, carl.id, ann.id);
      const c = await client(carl, 'caldav');
      expect((await c.fetchCalendars()).map((x) => x.displayName)).to.include('Team (group)');
      // ann shares her calendar with the team: carl sees it as ann's
      const annCal = (await s.core.store.listCollections(ann.spaceId, 'calendar')).find((x) => x.role === 'default')!;
      const grant = await s.core.sharing.share(ann.id, { collectionId: annCal.id }, team.id, ['read']);
      const shared = (await c.fetchCalendars()).find((x) => String(x.url).includes('/shared-'));
      expect(shared?.displayName).to.equal("ann's Ann's days");
      const sharedPath = new URL(String(shared!.url)).pathname;
      expect((await s.dav('GET', `${sharedPath}u1.ics`, { user: carl })).status).to.equal(200);
      expect((await s.dav('PUT', `${sharedPath}new.ics`, { user: carl, body: event('carl-new', 'x') })).status).to.equal(403);
      await s.core.sharing.withdraw(ann.id, grant.id);
      expect((await s.dav('GET', `${sharedPath}u1.ics`, { user: carl })).status).to.equal(404);
      await s.core.groups.removeMember(team.id, carl.id, ann.id);
      expect((await c.fetchCalendars()).map((x) => x.displayName)).to.deep.equal(['Calendar']);
    });
  });
}
