// Sharing a single event, contact or file from the Sharing page, over real
// HTTPS on the real server and store, both backends: the picker leads to the
// listing of a collection's items (paged by 100, searched through the item
// index or by the start of a file name), a share made there shows in "What I
// share", and the co-member reads that one item through its door (CalDAV,
// CardDAV, WebDAV) and not its siblings. Hostile forms get a clear message
// and status, and share nothing.
import { expect } from 'chai';
import type { Account, Collection, Group, Item } from '../../src/store/types.ts';
import { startDav, DAV_PASSWORD, files, listing, type DavServer } from '../support/dav.ts';
import type { Backend } from '../support/store.ts';
import { Browser } from './client.ts';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];

function event(uid: string, summary: string, start = '20260310T090000Z'): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Bureau tests//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260101T000000Z',
    `DTSTART:${start}`, 'DURATION:PT1H', `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

function card(uid: string, fn: string): string {
  return ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, `FN:${fn}`, 'END:VCARD', ''].join('\r\n');
}

const decode = (s: string): string => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

/** The rows of the first table after `heading`, as plain-text cells (menus left out, buttons kept). */
function rowsAfter(text: string, heading: string): string[][] {
  const at = text.indexOf(heading);
  if (at < 0) return [];
  const table = /<tbody>([\s\S]*?)<\/tbody>/.exec(text.slice(at));
  if (!table) return [];
  return [...table[1]!.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)]
    .map((c) => decode(c[1]!.replace(/<select[\s\S]*?<\/select>/g, '').replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim()));
}

/** The listing's rows: the table of the items page. */
const itemRows = (text: string): string[][] => rowsAfter(text, '<table>');

/** The href of the link with that rel, decoded, or null. */
function link(text: string, rel: 'next' | 'prev'): string | null {
  const m = new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(text);
  return m ? decode(m[1]!) : null;
}

for (const backend of BACKENDS) {
  describe(`web site: sharing a single item (${backend})`, function () {
    let server: DavServer;
    let ann: Account;
    let bob: Account;
    let carl: Account;
    let eve: Account;
    let team: Group;
    let solo: Group;
    let annCal: Collection;
    let annBook: Collection;
    let annDocs: Collection;
    let bobCal: Collection;
    const item = async (c: Collection, name: string): Promise<Item> => (await server.core.store.getItemByName(c.id, name))!;
    const byRole = async (a: Account, tool: 'calendar' | 'contacts' | 'files', role: string): Promise<Collection> =>
      (await server.core.store.findCollectionByRole(a.spaceId, tool, role))!;
    const login = async (a: Account): Promise<Browser> => {
      const b = new Browser(server.port, server.ca);
      await b.login(a.address, DAV_PASSWORD);
      return b;
    };
    const put = async (a: Account, path: string, body: string, type?: string): Promise<void> => {
      const r = await server.dav('PUT', path, { user: a, body, headers: type ? { 'content-type': type } : {} });
      expect(r.status, `PUT ${path}`).to.equal(201);
    };

    before(async () => {
      server = await startDav(backend);
      ann = await server.account('ann');
      bob = await server.account('bob');
      carl = await server.account('carl');
      eve = await server.account('eve');
      team = await server.group('Team', ann, [bob]);
      solo = await server.group('Solo', carl, []);
      annCal = await byRole(ann, 'calendar', 'default');
      annBook = await byRole(ann, 'contacts', 'default');
      annDocs = await byRole(ann, 'files', 'documents');
      bobCal = await byRole(bob, 'calendar', 'default');
      await put(ann, `/dav/calendars/${ann.address}/calendar/lunch.ics`, event('lunch-1', 'Lunch with the board'), 'text/calendar');
      await put(ann, `/dav/calendars/${ann.address}/calendar/dinner.ics`, event('dinner-1', 'Dinner', '20260311T190000Z'), 'text/calendar');
      await put(ann, `/dav/addressbooks/${ann.address}/contacts/zoe.vcf`, card('zoe-1', 'Zoé Martin'), 'text/vcard');
      await put(ann, `/dav/addressbooks/${ann.address}/contacts/yves.vcf`, card('yves-1', 'Yves Durand'), 'text/vcard');
      await put(ann, files('Documents', 'plan.txt'), 'the plan');
      await put(ann, files('Documents', 'notes.txt'), 'private notes');
      await put(ann, files('Documents', 'Plan B.txt'), 'the other plan');
      await put(bob, `/dav/calendars/${bob.address}/calendar/bob.ics`, event('bob-1', 'Bob alone'), 'text/calendar');
    });
    after(async () => server?.stop());

    it('shares one event from the page: it shows in "What I share", the co-member reads it over CalDAV and not its sibling', async () => {
      const a = await login(ann);
      const sharing = await a.get('/sharing');
      expect(sharing.status).to.equal(200);
      // the picker: her calendars, address books and folders, not her mailboxes
      const picker = /<select id="items-of"[\s\S]*?<\/select>/.exec(sharing.text)![0];
      expect(picker).to.include(`<option value="${annCal.id}">calendar “Calendar”</option>`)
        .and.include(`<option value="${annBook.id}">address book “Contacts”</option>`).and.include(`<option value="${annDocs.id}">folder “Documents”</option>`);
      expect(picker).to.not.include('mailbox');

      const page = await a.get(`/sharing/items?collection=${annCal.id}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('Find events by their summary').and.include('Items 1 to 2 of 2, in the order they were added.');
      expect(itemRows(page.text)).to.deep.equal([
        ['Lunch with the board lunch.ics', '2026-03-10 09:00 UTC', 'not shared', 'Share'],
        ['Dinner dinner.ics', '2026-03-11 19:00 UTC', 'not shared', 'Share'],
      ]);
      const lunch = await item(annCal, 'lunch.ics');
      const shared = await a.post('/sharing/items/share', { csrf: Browser.csrf(page), collection: String(annCal.id), item: String(lunch.id), group: String(team.id), rights: 'read' });
      expect(shared.status).to.equal(302);
      expect(shared.location).to.equal(`/sharing/items?collection=${annCal.id}&done=shared#item-${lunch.id}`);
      const after = await a.get(shared.location!.replace(/#.*/, ''));
      expect(after.text).to.include('The share was made; it is listed under “What I share” on the Sharing page.');
      expect(itemRows(after.text).map((r) => r[2])).to.deep.equal(['Team (read)', 'not shared']);
      const mine = await a.get('/sharing');
      expect(rowsAfter(mine.text, '<h3>Calendars</h3>')).to.deep.equal([['Event “Lunch with the board” (lunch.ics) in the calendar “Calendar”', 'you', 'Team', 'read', 'Change Withdraw']]);

      // bob, in Team: the event where the page says, read only; its sibling is not there
      const b = await login(bob);
      const base = `https://localhost:${server.port}`;
      const where = rowsAfter((await b.get('/sharing')).text, 'Through the group Team');
      expect(where).to.deep.equal([['Event “Lunch with the board” (lunch.ics) in the calendar “Calendar”', ann.address, 'read',
        `In your calendar app: ${base}/dav/calendars/${bob.address}/shared-${annCal.id}/lunch.ics`]]);
      const calPath = `/dav/calendars/${bob.address}/shared-${annCal.id}/`;
      const got = await server.dav('GET', `${calPath}lunch.ics`, { user: bob });
      expect(got.status).to.equal(200);
      expect(got.text).to.include('SUMMARY:Lunch with the board');
      expect((await server.dav('GET', `${calPath}dinner.ics`, { user: bob })).status).to.be.oneOf([403, 404]);
      expect((await server.dav('PUT', `${calPath}lunch.ics`, { user: bob, body: event('lunch-1', 'Changed'), headers: { 'content-type': 'text/calendar' } })).status).to.equal(403);
      // carl is in no group with it
      expect((await server.dav('GET', `/dav/calendars/${carl.address}/shared-${annCal.id}/lunch.ics`, { user: carl })).status).to.be.oneOf([403, 404]);
    });

    it('shares one contact (read and write) over CardDAV and one file over WebDAV, not their siblings', async () => {
      const a = await login(ann);
      const zoe = await item(annBook, 'zoe.vcf');
      const book = await a.get(`/sharing/items?collection=${annBook.id}`);
      expect(itemRows(book.text)).to.deep.equal([['Zoé Martin zoe.vcf', 'not shared', 'Share'], ['Yves Durand yves.vcf', 'not shared', 'Share']]);
      const r1 = await a.post('/sharing/items/share', { csrf: Browser.csrf(book), collection: String(annBook.id), item: String(zoe.id), group: String(team.id), rights: 'read-write' });
      expect(r1.location).to.equal(`/sharing/items?collection=${annBook.id}&done=shared#item-${zoe.id}`);

      const plan = await item(annDocs, 'plan.txt');
      const docs = await a.get(`/sharing/items?collection=${annDocs.id}`);
      expect(itemRows(docs.text)).to.deep.equal([['plan.txt', '8 bytes', 'not shared', 'Share'], ['notes.txt', '13 bytes', 'not shared', 'Share'], ['Plan B.txt', '14 bytes', 'not shared', 'Share']]);
      const r2 = await a.post('/sharing/items/share', { csrf: Browser.csrf(docs), collection: String(annDocs.id), item: String(plan.id), group: String(team.id), rights: 'read' });
      expect(r2.location).to.equal(`/sharing/items?collection=${annDocs.id}&done=shared#item-${plan.id}`);

      const mine = await a.get('/sharing');
      expect(rowsAfter(mine.text, '<h3>Address books</h3>')).to.deep.equal([['Contact “Zoé Martin” (zoe.vcf) in the address book “Contacts”', 'you', 'Team', 'read and write', 'Change Withdraw']]);
      expect(rowsAfter(mine.text, '<h3>Drive</h3>')).to.deep.equal([['File “plan.txt” in the folder “Documents”', 'you', 'Team', 'read', 'Change Withdraw']]);

      // CardDAV: zoe read and written, yves not there
      const bookPath = `/dav/addressbooks/${bob.address}/shared-${annBook.id}/`;
      expect((await server.dav('GET', `${bookPath}zoe.vcf`, { user: bob })).text).to.include('FN:Zoé Martin');
      expect((await server.dav('GET', `${bookPath}yves.vcf`, { user: bob })).status).to.be.oneOf([403, 404]);
      const changed = await server.dav('PUT', `${bookPath}zoe.vcf`, { user: bob, body: card('zoe-1', 'Zoé Martin-Leroy'), headers: { 'content-type': 'text/vcard' } });
      expect(changed.status).to.be.oneOf([200, 204]);
      expect(new TextDecoder().decode(await server.core.store.readItemContent(await item(annBook, 'zoe.vcf')))).to.include('FN:Zoé Martin-Leroy');

      // WebDAV: Shared with me/ADDRESS/plan.txt, and nothing else of her documents
      const b = await login(bob);
      const where = rowsAfter((await b.get('/sharing')).text, 'Through the group Team').find((r) => r[0] === 'File “plan.txt” in the folder “Documents”');
      expect(where?.[3]).to.equal(`On the drive: Shared with me/${ann.address}/plan.txt (https://localhost:${server.port}/files/Shared%20with%20me/${ann.address}/plan.txt)`);
      const got = await server.dav('GET', files('Shared with me', ann.address, 'plan.txt'), { user: bob });
      expect(got.status).to.equal(200);
      expect(got.text).to.equal('the plan');
      expect((await server.dav('GET', files('Shared with me', ann.address, 'notes.txt'), { user: bob })).status).to.be.oneOf([403, 404]);
      const folder = files('Shared with me', ann.address, '');
      expect(listing((await server.dav('PROPFIND', folder, { user: bob, headers: { depth: '1' } })).text, folder)).to.deep.equal(['plan.txt']);
      expect((await server.dav('PUT', files('Shared with me', ann.address, 'plan.txt'), { user: bob, body: 'overwritten' })).status).to.be.oneOf([403, 405]);
    });

    it('pages a calendar of 250 events by 100 and finds them through the index; files by the start of their name', async () => {
      const cal = await byRole(eve, 'calendar', 'default');
      for (let i = 1; i <= 250; i++) {
        const n = String(i).padStart(3, '0');
        const summary = i % 10 === 0 ? `Budget review ${n}` : `Meeting ${n}`;
        await server.core.calendar.put(eve.id, cal.id, `e${n}.ics`, new TextEncoder().encode(event(`e-${n}`, summary, `2026${String(1 + (i % 12)).padStart(2, '0')}01T080000Z`)));
      }
      const e = await login(eve);
      const first = await e.get(`/sharing/items?collection=${cal.id}`);
      expect(first.status).to.equal(200);
      // eve is in no group: the listing says so and offers no form
      expect(first.text).to.include('You are in no group yet').and.not.include('action="/sharing/items/share"');
      expect(first.text).to.include('Items 1 to 100 of 250, in the order they were added.').and.include('Page 1 of 3');
      let rows = itemRows(first.text);
      expect(rows).to.have.length(100);
      expect(rows[0]!.slice(0, 2)).to.deep.equal(['Meeting 001 e001.ics', '2026-02-01 08:00 UTC']);
      expect(rows[99]![0]).to.equal('Budget review 100 e100.ics');
      expect(link(first.text, 'prev')).to.equal(null);
      const second = await e.get(link(first.text, 'next')!);
      expect(link(first.text, 'next')).to.equal(`/sharing/items?collection=${cal.id}&page=2`);
      expect(itemRows(second.text)[0]![0]).to.equal('Meeting 101 e101.ics');
      const third = await e.get(link(second.text, 'next')!);
      expect(third.text).to.include('Items 201 to 250 of 250');
      rows = itemRows(third.text);
      expect(rows).to.have.length(50);
      expect(rows[49]![0]).to.equal('Budget review 250 e250.ics');
      expect(link(third.text, 'next')).to.equal(null);
      expect(link(third.text, 'prev')).to.equal(`/sharing/items?collection=${cal.id}&page=2`);
      // past the last page: the last one; a page that is not a number: the first
      expect(itemRows((await e.get(`/sharing/items?collection=${cal.id}&page=99`)).text)[0]![0]).to.equal('Meeting 201 e201.ics');
      expect(itemRows((await e.get(`/sharing/items?collection=${cal.id}&page=-2`)).text)[0]![0]).to.equal('Meeting 001 e001.ics');

      // search: the summary, whatever its case, through the index
      const budget = await e.get(`/sharing/items?collection=${cal.id}&q=${encodeURIComponent('BUDGET')}`);
      expect(budget.text).to.include('Items 1 to 25 of the 25 matching “BUDGET”.').and.not.include('rel="next"');
      expect(itemRows(budget.text).map((r) => r[0])).to.deep.equal(Array.from({ length: 25 }, (_, i) => `Budget review ${String((i + 1) * 10).padStart(3, '0')} e${String((i + 1) * 10).padStart(3, '0')}.ics`));
      expect(itemRows((await e.get(`/sharing/items?collection=${cal.id}&q=review+01`)).text).map((r) => r[0])).to.deep.equal(['Budget review 010 e010.ics']);
      const meetings = await e.get(`/sharing/items?collection=${cal.id}&q=meeting`);
      expect(meetings.text).to.include('Items 1 to 100 of the 225 matching “meeting”.');
      expect(link(meetings.text, 'next')).to.equal(`/sharing/items?collection=${cal.id}&q=meeting&page=2`);
      const none = await e.get(`/sharing/items?collection=${cal.id}&q=${encodeURIComponent('<b>nothing</b>')}`);
      expect(none.status).to.equal(200);
      expect(none.text).to.include('Nothing matches “&#60;b&#62;nothing&#60;/b&#62;”.').and.not.include('<b>nothing');

      // contacts by name, files by the beginning of the name (as typed, in lower case, or capitalised)
      const a = await login(ann);
      expect(itemRows((await a.get(`/sharing/items?collection=${annBook.id}&q=zo`)).text).map((r) => r[0])).to.deep.equal(['Zoé Martin-Leroy zoe.vcf']);
      expect(itemRows((await a.get(`/sharing/items?collection=${annDocs.id}&q=plan`)).text).map((r) => r[0])).to.deep.equal(['plan.txt', 'Plan B.txt']);
      expect(itemRows((await a.get(`/sharing/items?collection=${annDocs.id}&q=Plan+B`)).text).map((r) => r[0])).to.deep.equal(['Plan B.txt']);
      expect(itemRows((await a.get(`/sharing/items?collection=${annDocs.id}&q=lan`)).text)).to.deep.equal([]);
      // a share made from a searched page comes back to it
      const b2 = await item(annDocs, 'Plan B.txt');
      const from = await a.get(`/sharing/items?collection=${annDocs.id}&q=Plan+B`);
      const r = await a.post('/sharing/items/share', { csrf: Browser.csrf(from), collection: String(annDocs.id), item: String(b2.id), group: String(team.id), rights: 'read', q: 'Plan B', page: '1' });
      expect(r.location).to.equal(`/sharing/items?collection=${annDocs.id}&q=Plan+B&done=shared#item-${b2.id}`);
      // and in French
      const fr = await a.get(`/sharing/items?collection=${annDocs.id}&q=plan&lang=fr`);
      expect(fr.text).to.include('Chercher des fichiers par le début de leur nom').and.include('Éléments 1 à 2 sur les 2 qui correspondent à « plan ».');
      await a.get('/sharing?lang=en');
    });

    it('refuses hostile item forms with a clear message and status, and shares nothing', async () => {
      const a = await login(ann);
      const grantsBefore = (await server.core.store.listItemGrants(annCal.id)).length;
      const before = await server.core.store.listGrantsInSpaces([ann.spaceId, bob.spaceId]);
      const lunch = await item(annCal, 'lunch.ics');
      const dinner = await item(annCal, 'dinner.ics');
      const zoe = await item(annBook, 'zoe.vcf');
      const bobs = await item(bobCal, 'bob.ics');
      const inbox = (await server.core.store.findCollectionByRole(ann.spaceId, 'mail', 'inbox'))!;
      const gets: [string, number, string][] = [
        ['/sharing/items', 400, 'Choose the thing to share.'],
        ['/sharing/items?collection=abc', 400, 'does not name a thing to share'],
        [`/sharing/items?collection=${bobCal.id}`, 404, `There is no calendar, address book or folder ${bobCal.id} of yours to share from.`],
        ['/sharing/items?collection=999999999', 404, 'There is no calendar, address book or folder 999999999 of yours to share from.'],
        [`/sharing/items?collection=${inbox.id}`, 400, 'Single messages are not shared one by one; share the whole mailbox.'],
      ];
      for (const [path, status, message] of gets) {
        const r = await a.get(path);
        expect(r.status, path).to.equal(status);
        expect(decode(r.text), path).to.include(message);
      }
      const base = { collection: String(annCal.id), item: String(dinner.id), group: String(team.id), rights: 'read' };
      const posts: [Record<string, string>, number, string][] = [
        [{ ...base, collection: '' }, 400, 'Choose the thing to share.'],
        [{ ...base, item: '' }, 400, 'Choose the event, contact or file to share.'],
        [{ ...base, item: '1; DROP' }, 400, 'does not name an event, contact or file'],
        [{ ...base, group: '' }, 400, 'Choose the group.'],
        [{ ...base, rights: '' }, 400, 'Choose the rights.'],
        [{ ...base, rights: 'freebusy' }, 400, 'Busy times only cannot be given on a single event.'],
        [{ ...base, rights: 'deposit' }, 400, 'Drop files in only cannot be given on a single event.'],
        [{ ...base, rights: 'admin' }, 400, 'is not a choice of rights'],
        // an item of another of her collections, another account's item, an item that does not exist
        [{ ...base, item: String(zoe.id) }, 404, `Item ${zoe.id} is not in collection ${annCal.id}.`],
        [{ ...base, item: String(bobs.id) }, 404, `Item ${bobs.id} is not in collection ${annCal.id}.`],
        [{ ...base, item: '999999999' }, 404, `Item 999999999 is not in collection ${annCal.id}.`],
        // another account's collection (with its own item), a foreign or unknown collection, a mailbox
        [{ ...base, collection: String(bobCal.id), item: String(bobs.id) }, 404, `There is no calendar, address book or folder ${bobCal.id} of yours to share from.`],
        [{ ...base, collection: '999999999' }, 404, 'There is no calendar, address book or folder 999999999 of yours to share from.'],
        [{ ...base, collection: String(inbox.id) }, 400, 'Single messages are not shared one by one'],
        // a group she is not in, a group that does not exist
        [{ ...base, group: String(solo.id) }, 403, 'One can only share with a group one is a member of.'],
        [{ ...base, group: '999999999' }, 403, 'One can only share with a group one is a member of.'],
      ];
      for (const [fields, status, message] of posts) {
        const r = await a.submit(`/sharing/items?collection=${annCal.id}`, '/sharing/items/share', fields);
        expect(r.status, JSON.stringify(fields)).to.equal(status);
        expect(decode(r.text), JSON.stringify(fields)).to.include(message);
        expect(r.headers['content-type']).to.match(/text\/html/);
      }
      // bob, a member of Team, may not share ann's event, even with Team
      const b = await login(bob);
      const bobTry = await b.submit('/sharing', '/sharing/items/share', { ...base, item: String(lunch.id) });
      expect(bobTry.status).to.equal(404);
      expect((await b.get(`/sharing/items?collection=${annCal.id}`)).status).to.equal(404);
      // no CSRF token, a forged one; logged out
      expect((await a.post('/sharing/items/share', base)).status).to.equal(403);
      expect((await a.post('/sharing/items/share', { ...base, csrf: 'A'.repeat(43) })).status).to.equal(403);
      const anon = new Browser(server.port, server.ca);
      expect((await anon.get(`/sharing/items?collection=${annCal.id}`)).location).to.equal('/login');
      expect((await anon.post('/sharing/items/share', { ...base, csrf: Browser.csrf(await anon.get('/login')) })).location).to.equal('/login');
      // nothing was shared
      expect((await server.core.store.listItemGrants(annCal.id)).length).to.equal(grantsBefore);
      expect(await server.core.store.listGrantsInSpaces([ann.spaceId, bob.spaceId])).to.deep.equal(before);
      expect((await server.dav('GET', `/dav/calendars/${bob.address}/shared-${annCal.id}/dinner.ics`, { user: bob })).status).to.be.oneOf([403, 404]);
    });
  });
}
