// The Sharing page over real HTTPS on the real server and store, both
// backends, checked across doors: what is shared through the page is read by
// the co-member's CalDAV/WebDAV requests at the address the page gives, and
// after a change or a withdrawal on the page the co-member's next request (on
// the same connection) is refused. Who may change what is core/acl's word:
// a member, an outsider or a former administrator cannot touch a share.
import { expect } from 'chai';
import { Forbidden } from '../../src/core/errors.ts';
import type { Account, Collection, Group } from '../../src/store/types.ts';
import { startDav, DAV_PASSWORD, files, listing, type DavServer } from '../support/dav.ts';
import type { Backend } from '../support/store.ts';
import { Browser } from './client.ts';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];

function event(uid: string, summary: string): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Bureau tests//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260101T000000Z',
    'DTSTART:20260310T090000Z', 'DTEND:20260310T100000Z', `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

function card(uid: string, fn: string): string {
  return ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, `FN:${fn}`, 'END:VCARD', ''].join('\r\n');
}

/** The rows of the table that follows a heading, as plain text cells. */
function rowsAfter(text: string, heading: string): string[][] {
  const at = text.indexOf(heading);
  if (at < 0) return [];
  const table = /<tbody>([\s\S]*?)<\/tbody>/.exec(text.slice(at));
  if (!table) return [];
  return [...table[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)]
    .map((c) => c[1]!.replace(/<select[\s\S]*?<\/select>/g, '').replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/\s+/g, ' ').trim()));
}

/** The share id of the row of "What I share" whose first cell is `what`. */
function shareIdOf(text: string, what: string): number {
  const rows = [...text.matchAll(/<tr><td>([^<]*)<\/td>[\s\S]*?name="share" value="(\d+)"/g)];
  const row = rows.find((r) => r[1]!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))) === what);
  if (!row) throw new Error(`no share row for ${what}: ${rows.map((r) => r[1]).join(' | ')}`);
  return Number(row[2]);
}

for (const backend of BACKENDS) {
  describe(`web site: sharing page (${backend})`, function () {
    let server: DavServer;
    let ann: Account;
    let bob: Account;
    let carl: Account;
    let team: Group;
    let others: Group;
    let annCal: Collection;
    let annBook: Collection;
    let annDocs: Collection;
    const browser = (): Browser => new Browser(server.port, server.ca);
    const byRole = async (a: Account, tool: 'calendar' | 'contacts' | 'files', role: string): Promise<Collection> =>
      (await server.core.store.findCollectionByRole(a.spaceId, tool, role))!;

    before(async () => {
      server = await startDav(backend);
      ann = await server.account('ann');
      bob = await server.account('bob');
      carl = await server.account('carl');
      team = await server.group('Team', ann, [bob]);
      others = await server.group('Others', carl, [ann]);
      annCal = await byRole(ann, 'calendar', 'default');
      annBook = await byRole(ann, 'contacts', 'default');
      annDocs = await byRole(ann, 'files', 'documents');
      expect((await server.dav('PUT', `/dav/calendars/${ann.address}/calendar/lunch.ics`, { user: ann, body: event('lunch-1', 'Lunch with the board'), headers: { 'content-type': 'text/calendar' } })).status).to.equal(201);
      expect((await server.dav('PUT', `/dav/addressbooks/${ann.address}/contacts/zoe.vcf`, { user: ann, body: card('zoe-1', 'Zoé Martin'), headers: { 'content-type': 'text/vcard' } })).status).to.equal(201);
      expect((await server.dav('PUT', files('Documents', 'plan.txt'), { user: ann, body: 'the plan' })).status).to.equal(201);
    });
    after(async () => server?.stop());

    it('shares through the page; the co-member finds each thing at the address the page gives, with the rights it says', async () => {
      const a = browser();
      await a.login(ann.address, DAV_PASSWORD);
      const empty = await a.get('/sharing');
      expect(empty.status).to.equal(200);
      expect(empty.text).to.include('You share nothing yet.').and.include('<a href="/sharing">Sharing</a>');
      // the form offers her own collections and her group's, not the member directory
      expect(empty.text).to.include(`<option value="${annCal.id}">calendar “Calendar”</option>`);
      expect(empty.text).to.match(/Team \(group\) — folder “Documents”/);
      expect(empty.text).to.not.match(/Members<\/option>/);

      const calShared = await a.submit('/sharing', '/sharing/share', { collection: String(annCal.id), group: String(team.id), rights: 'read' });
      expect(calShared.status).to.equal(302);
      expect(calShared.location).to.equal('/sharing?done=shared');
      expect((await a.submit('/sharing', '/sharing/share', { collection: String(annDocs.id), group: String(team.id), rights: 'read-write' })).location).to.equal('/sharing?done=shared');
      const inbox = (await server.core.store.findCollectionByRole(ann.spaceId, 'mail', 'inbox'))!;
      expect((await a.submit('/sharing', '/sharing/share', { collection: String(inbox.id), group: String(team.id), rights: 'read' })).location).to.equal('/sharing?done=shared');
      // a single card, shared through core (the page lists and manages item shares)
      const zoe = (await server.core.store.getItemByName(annBook.id, 'zoe.vcf'))!;
      await server.core.sharing.share(ann.id, { collectionId: annBook.id, itemId: zoe.id }, team.id, ['read']);

      const mine = await a.get('/sharing?done=shared');
      expect(mine.text).to.include('The share was made.');
      expect(rowsAfter(mine.text, '<h3>Calendars</h3>')).to.deep.equal([['Calendar “Calendar”', 'you', 'Team', 'read', 'Change Withdraw']]);
      expect(rowsAfter(mine.text, '<h3>Address books</h3>')).to.deep.equal([['Contact “Zoé Martin” (zoe.vcf) in the address book “Contacts”', 'you', 'Team', 'read', 'Change Withdraw']]);
      expect(rowsAfter(mine.text, '<h3>Drive</h3>')).to.deep.equal([['Folder “Documents”', 'you', 'Team', 'read and write', 'Change Withdraw']]);
      expect(rowsAfter(mine.text, '<h3>Mail</h3>')).to.deep.equal([['Mailbox “INBOX”', 'you', 'Team', 'read', 'Change Withdraw']]);

      // bob's side: per group, with where to find it
      const b = browser();
      await b.login(bob.address, DAV_PASSWORD);
      const withMe = await b.get('/sharing');
      const rows = rowsAfter(withMe.text, 'Through the group Team');
      const base = `https://localhost:${server.port}`;
      expect(rows).to.deep.equal([
        ['Calendar “Calendar”', ann.address, 'read', `In your calendar app: ${base}/dav/calendars/${bob.address}/shared-${annCal.id}/`],
        ['Contact “Zoé Martin” (zoe.vcf) in the address book “Contacts”', ann.address, 'read', `In your contacts app: ${base}/dav/addressbooks/${bob.address}/shared-${annBook.id}/zoe.vcf`],
        ['Folder “Documents”', ann.address, 'read and write', `On the drive: Shared with me/${ann.address}/Documents/ (${base}/files/Shared%20with%20me/${ann.address}/Documents/)`],
        ['Mailbox “INBOX”', ann.address, 'read', `In your mail app: the folder Shared with me/${ann.address}/INBOX`],
      ]);
      // the mailbox is where the mail doors list it for bob
      expect((await server.core.mail.mailboxes.list(bob.id)).map((m) => m.path)).to.include(`Shared with me/${ann.address}/INBOX`);
      // the addresses work, with the rights said
      const agent = server.agent();
      const calPath = `/dav/calendars/${bob.address}/shared-${annCal.id}/`;
      const got = await server.dav('GET', `${calPath}lunch.ics`, { user: bob, agent });
      expect(got.status).to.equal(200);
      expect(got.text).to.include('SUMMARY:Lunch with the board');
      expect((await server.dav('PUT', `${calPath}new.ics`, { user: bob, agent, body: event('bob-1', 'x'), headers: { 'content-type': 'text/calendar' } })).status).to.equal(403);
      expect((await server.dav('GET', `/dav/addressbooks/${bob.address}/shared-${annBook.id}/zoe.vcf`, { user: bob, agent })).status).to.equal(200);
      const docs = files('Shared with me', ann.address, 'Documents', '');
      expect(listing((await server.dav('PROPFIND', docs, { user: bob, agent, headers: { depth: '1' } })).text, docs)).to.deep.equal(['plan.txt']);
      expect((await server.dav('PUT', files('Shared with me', ann.address, 'Documents', 'from-bob.txt'), { user: bob, agent, body: 'hello' })).status).to.equal(201);
      // carl is in no group with these shares: nothing through Team on his page
      const c = browser();
      await c.login(carl.address, DAV_PASSWORD);
      expect((await c.get('/sharing')).text).to.include('Nothing is shared with your groups yet.');
    });

    it('changes the rights on the page: the co-member\'s next request on the same connection gets the new rights', async () => {
      const a = browser();
      await a.login(ann.address, DAV_PASSWORD);
      const agent = server.agent();
      const calPath = `/dav/calendars/${bob.address}/shared-${annCal.id}/`;
      expect((await server.dav('GET', `${calPath}lunch.ics`, { user: bob, agent })).status).to.equal(200);
      const page = await a.get('/sharing');
      const id = shareIdOf(page.text, 'Calendar “Calendar”');
      const changed = await a.post('/sharing/change', { csrf: Browser.csrf(page), share: String(id), rights: 'freebusy' });
      expect(changed.location).to.equal('/sharing?done=changed');
      expect((await server.core.store.getGrant(id))!.rights).to.deep.equal(['freebusy']);
      expect((await server.dav('GET', `${calPath}lunch.ics`, { user: bob, agent })).status).to.equal(404);
      const b = browser();
      await b.login(bob.address, DAV_PASSWORD);
      const row = rowsAfter((await b.get('/sharing')).text, 'Through the group Team').find((r) => r[0] === 'Calendar “Calendar”');
      expect(row).to.deep.equal(['Calendar “Calendar”', ann.address, 'busy times only', 'Only busy times, seen when scheduling.']);
      // and back to read-write: bob may now write
      expect((await a.submit('/sharing', '/sharing/change', { share: String(id), rights: 'read-write' })).location).to.equal('/sharing?done=changed');
      expect((await server.dav('PUT', `${calPath}bob.ics`, { user: bob, agent, body: event('bob-2', 'Bob was here'), headers: { 'content-type': 'text/calendar' } })).status).to.equal(201);
    });

    it('withdraws on the page: the co-member\'s next CalDAV and WebDAV requests on the same connection are refused', async () => {
      const a = browser();
      await a.login(ann.address, DAV_PASSWORD);
      const agent = server.agent();
      const calPath = `/dav/calendars/${bob.address}/shared-${annCal.id}/`;
      const docs = files('Shared with me', ann.address, 'Documents', '');
      expect((await server.dav('GET', `${calPath}lunch.ics`, { user: bob, agent })).status).to.equal(200);
      expect((await server.dav('PROPFIND', docs, { user: bob, agent, headers: { depth: '0' } })).status).to.equal(207);

      let page = await a.get('/sharing');
      const calId = shareIdOf(page.text, 'Calendar “Calendar”');
      expect((await a.post('/sharing/withdraw', { csrf: Browser.csrf(page), share: String(calId) })).location).to.equal('/sharing?done=withdrawn');
      expect((await server.dav('GET', `${calPath}lunch.ics`, { user: bob, agent })).status).to.equal(404);
      expect((await server.dav('PROPFIND', calPath, { user: bob, agent, headers: { depth: '0' } })).status).to.equal(404);

      page = await a.get('/sharing?done=withdrawn');
      expect(page.text).to.include('The share was withdrawn');
      const docsId = shareIdOf(page.text, 'Folder “Documents”');
      expect((await a.post('/sharing/withdraw', { csrf: Browser.csrf(page), share: String(docsId) })).location).to.equal('/sharing?done=withdrawn');
      expect((await server.dav('PROPFIND', docs, { user: bob, agent, headers: { depth: '0' } })).status).to.equal(404);
      expect((await server.dav('PUT', files('Shared with me', ann.address, 'Documents', 'late.txt'), { user: bob, agent, body: 'x' })).status).to.be.oneOf([403, 404, 409]);
      expect(await server.core.store.getItemByName(annDocs.id, 'late.txt')).to.equal(null);
      // withdrawing it again: not found, nothing else touched
      const again = await a.post('/sharing/withdraw', { csrf: Browser.csrf(page), share: String(docsId) });
      expect(again.status).to.equal(404);
      expect(again.text).to.include('There is no such share of yours');
      expect((await server.core.sharing.ownShares(ann.id)).map((s) => s.tool)).to.deep.equal(['contacts', 'mail']);
    });

    it('lets nobody but the owner or administrator change or withdraw a share; a former administrator loses it', async () => {
      // ann, administrator of Team, shares Team's documents with Others (a group she is in)
      const teamDocs = (await server.core.store.findCollectionByRole(team.spaceId, 'files', 'documents'))!;
      const a = browser();
      await a.login(ann.address, DAV_PASSWORD);
      expect((await a.submit('/sharing', '/sharing/share', { collection: String(teamDocs.id), group: String(others.id), rights: 'read' })).location).to.equal('/sharing?done=shared');
      const page = await a.get('/sharing');
      expect(rowsAfter(page.text, '<h3>Drive</h3>')).to.deep.equal([['Folder “Documents”', 'the group Team', 'Others', 'read', 'Change Withdraw']]);
      const id = shareIdOf(page.text, 'Folder “Documents”');
      const zoeId = shareIdOf(page.text, 'Contact “Zoé Martin” (zoe.vcf) in the address book “Contacts”');
      // carl sees it as shared by the group, in the group Others
      const c = browser();
      await c.login(carl.address, DAV_PASSWORD);
      const carlRows = rowsAfter((await c.get('/sharing')).text, 'Through the group Others');
      expect(carlRows.map((r) => r.slice(0, 3))).to.deep.equal([['Folder “Documents”', 'the group Team', 'read']]);

      // bob (a member of Team) and carl (an outsider) cannot change or withdraw ann's shares
      const b = browser();
      await b.login(bob.address, DAV_PASSWORD);
      for (const [who, share] of [[b, id], [b, zoeId], [c, id], [c, zoeId]] as const) {
        const w = await who.submit('/sharing', '/sharing/withdraw', { share: String(share) });
        expect(w.status).to.equal(404);
        const ch = await who.submit('/sharing', '/sharing/change', { share: String(share), rights: 'read-write' });
        expect(ch.status).to.equal(404);
      }
      expect((await server.core.store.getGrant(id))!.rights).to.deep.equal(['read']);
      expect((await server.core.store.getGrant(zoeId))!.rights).to.deep.equal(['read']);

      // after the administration goes to bob, ann may no longer withdraw it (core/acl), bob may
      await server.core.groups.transfer(team.id, bob.id, ann.id);
      expect((await a.get('/sharing')).text).to.not.include(`name="share" value="${id}"`);
      expect((await a.submit('/sharing', '/sharing/withdraw', { share: String(id) })).status).to.equal(404);
      let err: unknown = null;
      try { await server.core.sharing.withdraw(ann.id, id); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Forbidden);
      expect(await server.core.store.getGrant(id)).to.not.equal(null);
      const bobPage = await b.get('/sharing');
      expect(rowsAfter(bobPage.text, '<h3>Drive</h3>')).to.deep.equal([['Folder “Documents”', 'the group Team', 'Others', 'read', 'Change Withdraw']]);
      // bob is not in Others: he may withdraw, but not re-share with a group he is not in
      const notMember = await b.post('/sharing/change', { csrf: Browser.csrf(bobPage), share: String(id), rights: 'read-write' });
      expect(notMember.status).to.equal(403);
      expect(notMember.text).to.include('One can only share with a group one is a member of.');
      expect((await server.core.store.getGrant(id))!.rights).to.deep.equal(['read']);
      expect((await b.post('/sharing/withdraw', { csrf: Browser.csrf(bobPage), share: String(id) })).location).to.equal('/sharing?done=withdrawn');
      expect(await server.core.store.getGrant(id)).to.equal(null);
      await server.core.groups.transfer(team.id, ann.id, bob.id);
    });

    it('refuses bad sharing forms with a clear message and changes nothing', async () => {
      const a = browser();
      await a.login(ann.address, DAV_PASSWORD);
      const before = (await server.core.sharing.ownShares(ann.id)).map((s) => [s.grant.id, [...s.grant.rights]]);
      const zoeId = Number(before[0]![0]);
      const bobDocs = await byRole(bob, 'files', 'documents');
      const teamDir = (await server.core.store.findCollectionByRole(team.spaceId, 'contacts', 'directory'))!;
      const cases: [string, Record<string, string>, number, string][] = [
        ['/sharing/share', { group: String(team.id), rights: 'read' }, 400, 'Choose the thing to share.'],
        ['/sharing/share', { collection: 'abc', group: String(team.id), rights: 'read' }, 400, 'does not name a thing to share'],
        ['/sharing/share', { collection: String(annCal.id), group: '-1', rights: 'read' }, 400, 'does not name a group'],
        ['/sharing/share', { collection: String(annCal.id), group: String(team.id), rights: 'admin' }, 400, 'is not a choice of rights'],
        ['/sharing/share', { collection: String(annCal.id), group: String(team.id), rights: '' }, 400, 'Choose the rights.'],
        ['/sharing/share', { collection: String(annBook.id), group: String(team.id), rights: 'freebusy' }, 400, 'Busy times only cannot be given on an address book.'],
        ['/sharing/share', { collection: String(annCal.id), group: String(team.id), rights: 'toString' }, 400, 'is not a choice of rights'],
        ['/sharing/share', { collection: String(bobDocs.id), group: String(team.id), rights: 'read' }, 400, 'You can only share your own'],
        ['/sharing/share', { collection: String(teamDir.id), group: String(team.id), rights: 'read' }, 400, 'You can only share your own'],
        ['/sharing/share', { collection: String(annCal.id), group: '999999', rights: 'read' }, 403, 'One can only share with a group one is a member of.'],
        ['/sharing/change', { share: String(zoeId), rights: 'deposit' }, 400, 'Drop files in only cannot be given on a single contact.'],
        ['/sharing/change', { share: '', rights: 'read' }, 400, 'Choose the share.'],
        ['/sharing/change', { share: '1e3', rights: 'read' }, 400, 'does not name a share'],
        ['/sharing/withdraw', { share: '99999999' }, 404, 'There is no such share of yours'],
      ];
      for (const [action, fields, status, message] of cases) {
        const r = await a.submit('/sharing', action, fields);
        expect(r.status, `${action} ${JSON.stringify(fields)}`).to.equal(status);
        expect(r.text, `${action} ${JSON.stringify(fields)}`).to.include(message);
        expect(r.headers['content-type']).to.match(/text\/html/);
      }
      // forged or missing CSRF token
      expect((await a.post('/sharing/withdraw', { share: String(zoeId) })).status).to.equal(403);
      expect((await a.post('/sharing/withdraw', { share: String(zoeId), csrf: 'A'.repeat(43) })).status).to.equal(403);
      // logged out: to the login page, nothing done
      const anon = browser();
      const token = Browser.csrf(await anon.get('/login'));
      expect((await anon.post('/sharing/withdraw', { csrf: token, share: String(zoeId) })).location).to.equal('/login');
      expect((await anon.get('/sharing')).location).to.equal('/login');
      expect((await server.core.sharing.ownShares(ann.id)).map((s) => [s.grant.id, [...s.grant.rights]])).to.deep.equal(before);
      expect(await server.core.store.listGrants([annCal.id, bobDocs.id, teamDir.id])).to.deep.equal([]);
    });
  });
}
