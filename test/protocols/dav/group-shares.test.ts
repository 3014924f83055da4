// What a group shares with another group, seen by the other group's members
// through the real server over HTTPS, on both store backends: on the drive
// under `Shared with me/GROUP (group)/`, in the calendar and address-book
// homes as `shared-ID` named "GROUP (group)'s …", with the rights the share
// gives (core/acl), gone on the next request once the share is withdrawn or
// the member leaves; never listed twice for a member of both groups, never
// seen by an outsider.
//
// The people:
//   gina  administrator of Alpha, member of Beta (so she may share Alpha's data with Beta)
//   bea   administrator of Beta
//   mia   member of Beta only: the receiving member
//   leo   member of Beta only, who leaves it
//   dan   member of Alpha and of Beta
//   oscar outsider: in no group with anyone
import { expect } from 'chai';
import type { Account, Group } from '../../../src/store/types.ts';
import { files, hrefs, listing, prop, startDav, type DavResponse, type DavServer } from '../../support/dav.ts';
import { BACKENDS } from '../../support/store.ts';

const XML = '<?xml version="1.0" encoding="utf-8"?>';
const FOLDER = 'Alpha (group)';
const SHARED = (...rest: string[]): string => files('Shared with me', FOLDER, ...rest);
const event = (uid: string, summary: string): string =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDURATION:PT1H\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
const card = (uid: string, fn: string): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${fn}\r\nN:${fn};;;;\r\nEND:VCARD\r\n`;
const HOME_PROPS = `${XML}<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:current-user-privilege-set/></D:prop></D:propfind>`;

/** Each response of a multistatus: its href (decoded) and its XML. */
function responses(xml: string): { href: string; xml: string }[] {
  return [...xml.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)].map((m) => ({ href: hrefs(m[1]!)[0]!, xml: m[1]! }));
}

for (const backend of BACKENDS) {
  describe(`A group's shares with another group, on ${backend}`, function () {
    this.timeout(60_000);
    let s: DavServer;
    let gina: Account, bea: Account, mia: Account, leo: Account, dan: Account, oscar: Account;
    let alpha: Group, beta: Group;
    const ok = async (p: Promise<DavResponse>, status: number): Promise<DavResponse> => {
      const r = await p;
      expect(r.status, r.text).to.equal(status);
      return r;
    };
    const depth1 = (who: Account, path: string): Promise<DavResponse> => s.dav('PROPFIND', path, { user: who, headers: { depth: '1' } });

    before(async () => {
      s = await startDav(backend);
      gina = await s.account('gina');
      bea = await s.account('bea');
      mia = await s.account('mia');
      leo = await s.account('leo');
      dan = await s.account('dan');
      oscar = await s.account('oscar');
      alpha = await s.group('Alpha', gina, [dan]);
      beta = await s.group('Beta', bea, [gina, mia, leo, dan]);
      // Alpha's documents, made by its administrator through the drive
      await ok(s.dav('MKCOL', files('Groups', 'Alpha', 'Reports'), { user: gina }), 201);
      await ok(s.dav('PUT', files('Groups', 'Alpha', 'Reports', 'q1.txt'), { user: gina, body: 'first quarter' }), 201);
      await ok(s.dav('PUT', files('Groups', 'Alpha', 'notes.txt'), { user: gina, body: 'notes v1' }), 201);
      await ok(s.dav('PUT', files('Groups', 'Alpha', 'plan.txt'), { user: gina, body: 'the plan' }), 201);
    });
    after(async () => { await s?.stop(); });

    /** Shares Alpha's documents folder (read) and notes.txt (write) with Beta, as Alpha's administrator. */
    async function shareDocuments(): Promise<{ folder: number; file: number }> {
      const store = s.core.store;
      const docs = (await store.findCollectionByRole(alpha.spaceId, 'files', 'documents'))!;
      const notes = (await store.getItemByName(docs.id, 'notes.txt'))!;
      const folder = await s.core.sharing.share(gina.id, { collectionId: docs.id }, beta.id, ['read']);
      const file = await s.core.sharing.share(gina.id, { collectionId: docs.id, itemId: notes.id }, beta.id, ['read', 'write']);
      return { folder: folder.id, file: file.id };
    }

    it('shows a member of the other group `Shared with me/Alpha (group)/`, readable, writable only where the share says', async () => {
      const shares = await shareDocuments();
      try {
        const top = await ok(depth1(mia, files('Shared with me', '')), 207);
        expect(listing(top.text, files('Shared with me', ''))).to.deep.equal([FOLDER]);
        const inside = await ok(depth1(mia, SHARED('')), 207);
        expect(listing(inside.text, SHARED(''))).to.deep.equal(['Documents']);
        const docs = await ok(depth1(mia, SHARED('Documents', '')), 207);
        expect(listing(docs.text, SHARED('Documents', ''))).to.deep.equal(['Reports', 'notes.txt', 'plan.txt']);
        expect((await ok(s.dav('GET', SHARED('Documents', 'plan.txt'), { user: mia }), 200)).text).to.equal('the plan');
        expect((await ok(s.dav('GET', SHARED('Documents', 'Reports', 'q1.txt'), { user: mia }), 200)).text).to.equal('first quarter');
        // the folder is shared to read: nothing new in it, nothing changed, nothing removed
        await ok(s.dav('PUT', SHARED('Documents', 'from-mia.txt'), { user: mia, body: 'x' }), 403);
        await ok(s.dav('PUT', SHARED('Documents', 'plan.txt'), { user: mia, body: 'changed' }), 403);
        await ok(s.dav('MKCOL', SHARED('Documents', 'Mine'), { user: mia }), 403);
        await ok(s.dav('DELETE', SHARED('Documents', 'plan.txt'), { user: mia }), 403);
        expect((await s.dav('GET', files('Groups', 'Alpha', 'plan.txt'), { user: gina })).text).to.equal('the plan');
        // notes.txt is shared to write: the change is Alpha's file, seen by its administrator
        await ok(s.dav('PUT', SHARED('Documents', 'notes.txt'), { user: mia, body: 'notes v2, by mia' }), 204);
        expect((await s.dav('GET', files('Groups', 'Alpha', 'notes.txt'), { user: gina })).text).to.equal('notes v2, by mia');

        // the web site's Sharing page points at the same place
        const where = (await s.core.sharing.sharedWithMe(mia.id)).filter((l) => l.tool === 'files').map((l) => l.where);
        expect(where).to.deep.include({ kind: 'drive', segments: ['Shared with me', FOLDER, 'Documents'], folder: true });
      } finally {
        await s.core.sharing.withdraw(gina.id, shares.folder);
        await s.core.sharing.withdraw(gina.id, shares.file);
      }
    });

    it('shows a file shared alone by its name, and ends each share on the next request once withdrawn', async () => {
      const shares = await shareDocuments();
      const agent = s.agent();
      expect((await s.dav('GET', SHARED('Documents', 'plan.txt'), { user: mia, agent })).status).to.equal(200);
      await s.core.sharing.withdraw(gina.id, shares.folder);
      // the folder share is gone; the file shared alone stays, at the top of the group's folder
      expect((await s.dav('GET', SHARED('Documents', 'plan.txt'), { user: mia, agent })).status).to.equal(404);
      const left = await ok(s.dav('PROPFIND', SHARED(''), { user: mia, agent, headers: { depth: '1' } }), 207);
      expect(listing(left.text, SHARED(''))).to.deep.equal(['notes.txt']);
      expect((await ok(s.dav('GET', SHARED('notes.txt'), { user: mia, agent }), 200)).text).to.equal('notes v2, by mia');
      await ok(s.dav('PUT', SHARED('notes.txt'), { user: mia, agent, body: 'notes v3, by mia' }), 204);
      expect((await s.dav('GET', files('Groups', 'Alpha', 'notes.txt'), { user: gina })).text).to.equal('notes v3, by mia');
      await s.core.sharing.withdraw(gina.id, shares.file);
      expect((await s.dav('GET', SHARED('notes.txt'), { user: mia, agent })).status).to.equal(404);
      expect((await s.dav('PUT', SHARED('notes.txt'), { user: mia, agent, body: 'late' })).status).to.be.oneOf([403, 404, 409]);
      expect((await s.dav('PROPFIND', SHARED(''), { user: mia, agent, headers: { depth: '0' } })).status).to.equal(404);
      const top = await ok(s.dav('PROPFIND', files('Shared with me', ''), { user: mia, agent, headers: { depth: '1' } }), 207);
      expect(listing(top.text, files('Shared with me', ''))).to.deep.equal([]);
      expect((await s.dav('GET', files('Groups', 'Alpha', 'notes.txt'), { user: gina })).text).to.equal('notes v3, by mia', 'what she wrote stays');
    });

    it('ends the shares for a member who leaves the receiving group, on the next request', async () => {
      const shares = await shareDocuments();
      const agent = s.agent();
      try {
        expect((await s.dav('GET', SHARED('Documents', 'plan.txt'), { user: leo, agent })).status).to.equal(200);
        await s.core.groups.removeMember(beta.id, leo.id, leo.id);
        expect((await s.dav('GET', SHARED('Documents', 'plan.txt'), { user: leo, agent })).status).to.equal(404);
        expect((await s.dav('PUT', SHARED('Documents', 'notes.txt'), { user: leo, agent, body: 'late' })).status).to.equal(409);
        expect((await s.dav('PROPFIND', SHARED(''), { user: leo, agent, headers: { depth: '0' } })).status).to.equal(404);
        const top = await ok(s.dav('PROPFIND', files('Shared with me', ''), { user: leo, agent, headers: { depth: '1' } }), 207);
        expect(listing(top.text, files('Shared with me', ''))).to.deep.equal([]);
        // mia, still in Beta, keeps it
        expect((await s.dav('GET', SHARED('Documents', 'plan.txt'), { user: mia })).status).to.equal(200);
      } finally {
        await s.core.sharing.withdraw(gina.id, shares.folder);
        await s.core.sharing.withdraw(gina.id, shares.file);
      }
    });

    it('lists nothing twice for a member of both groups, who keeps the share\'s rights under Groups/Alpha/; an outsider sees nothing', async () => {
      const shares = await shareDocuments();
      try {
        const top = await ok(depth1(dan, files('Shared with me', '')), 207);
        expect(listing(top.text, files('Shared with me', ''))).to.deep.equal([]);
        await ok(s.dav('PROPFIND', SHARED(''), { user: dan, headers: { depth: '0' } }), 404);
        const groups = await ok(depth1(dan, files('Groups', '')), 207);
        expect(listing(groups.text, files('Groups', ''))).to.deep.equal(['Alpha', 'Beta']);
        // a plain member of Alpha reads it; the write share given to Beta counts there too
        await ok(s.dav('PUT', files('Groups', 'Alpha', 'plan.txt'), { user: dan, body: 'x' }), 403);
        await ok(s.dav('PUT', files('Groups', 'Alpha', 'notes.txt'), { user: dan, body: 'notes v4, by dan' }), 204);
        expect((await s.dav('GET', files('Groups', 'Alpha', 'notes.txt'), { user: gina })).text).to.equal('notes v4, by dan');

        const outsider = await ok(depth1(oscar, files('Shared with me', '')), 207);
        expect(listing(outsider.text, files('Shared with me', ''))).to.deep.equal([]);
        await ok(s.dav('GET', SHARED('Documents', 'plan.txt'), { user: oscar }), 404);
        await ok(s.dav('PUT', SHARED('Documents', 'notes.txt'), { user: oscar, body: 'x' }), 409);
        // the group's own administrator reaches it under Groups/ only
        const own = await ok(depth1(gina, files('Shared with me', '')), 207);
        expect(listing(own.text, files('Shared with me', ''))).to.deep.equal([]);
      } finally {
        await s.core.sharing.withdraw(gina.id, shares.folder);
        await s.core.sharing.withdraw(gina.id, shares.file);
      }
    });

    it('puts an account\'s shares and a group\'s side by side, each in its own folder', async () => {
      const shares = await shareDocuments();
      const beaDocs = (await s.core.store.findCollectionByRole(bea.spaceId, 'files', 'documents'))!;
      await ok(s.dav('PUT', files('Documents', 'agenda.txt'), { user: bea, body: 'agenda' }), 201);
      const agenda = (await s.core.store.getItemByName(beaDocs.id, 'agenda.txt'))!;
      const beaShare = await s.core.sharing.share(bea.id, { collectionId: beaDocs.id, itemId: agenda.id }, beta.id, ['read']);
      try {
        const top = await ok(depth1(mia, files('Shared with me', '')), 207);
        expect(listing(top.text, files('Shared with me', ''))).to.deep.equal([FOLDER, bea.address].sort());
        expect((await ok(s.dav('GET', files('Shared with me', bea.address, 'agenda.txt'), { user: mia }), 200)).text).to.equal('agenda');
        expect((await ok(s.dav('GET', SHARED('Documents', 'plan.txt'), { user: mia }), 200)).text).to.equal('the plan');
        // a group's folder is named exactly; an address in any case, as before
        await ok(s.dav('GET', files('Shared with me', 'alpha (group)', 'Documents', 'plan.txt'), { user: mia }), 404);
        await ok(s.dav('GET', files('Shared with me', bea.address.toUpperCase(), 'agenda.txt'), { user: mia }), 200);
        await ok(s.dav('GET', files('Shared with me', 'Alpha', 'Documents', 'plan.txt'), { user: mia }), 404);
      } finally {
        await s.core.sharing.withdraw(bea.id, beaShare.id);
        await s.core.sharing.withdraw(gina.id, shares.folder);
        await s.core.sharing.withdraw(gina.id, shares.file);
      }
    });

    it('lists Alpha\'s calendar (read) and address book (write) in a Beta member\'s homes as "Alpha (group)\'s …", per the grant', async () => {
      const store = s.core.store;
      const cal = (await store.findCollectionByRole(alpha.spaceId, 'calendar', 'default'))!;
      const book = (await store.findCollectionByRole(alpha.spaceId, 'contacts', 'default'))!;
      const groupCal = `/dav/calendars/${gina.address}/group-${cal.id}/`;
      await ok(s.dav('PUT', `${groupCal}standup.ics`, { user: gina, body: event('standup', 'Alpha stand-up'), headers: { 'content-type': 'text/calendar' } }), 201);
      const calShare = await s.core.sharing.share(gina.id, { collectionId: cal.id }, beta.id, ['read']);
      const bookShare = await s.core.sharing.share(gina.id, { collectionId: book.id }, beta.id, ['read', 'write']);
      try {
        const calHome = `/dav/calendars/${mia.address}/`;
        const home = await ok(s.dav('PROPFIND', calHome, { user: mia, headers: { depth: '1' }, body: HOME_PROPS }), 207);
        const listed = responses(home.text).find((r) => r.href === `${calHome}shared-${cal.id}/`);
        expect(listed, home.text).to.not.equal(undefined);
        expect(prop(listed!.xml, 'displayname')).to.equal('Alpha (group)&apos;s Calendar'.replace('&apos;', "'"));
        expect(listed!.xml).to.contain('<D:read/>').and.not.contain('<D:write/>');
        const ev = await ok(s.dav('GET', `${calHome}shared-${cal.id}/standup.ics`, { user: mia }), 200);
        expect(ev.text).to.contain('SUMMARY:Alpha stand-up');
        await ok(s.dav('PUT', `${calHome}shared-${cal.id}/mia.ics`, { user: mia, body: event('mia', 'by mia'), headers: { 'content-type': 'text/calendar' } }), 403);

        const bookHome = `/dav/addressbooks/${mia.address}/`;
        const books = await ok(s.dav('PROPFIND', bookHome, { user: mia, headers: { depth: '1' }, body: HOME_PROPS }), 207);
        const sharedBook = responses(books.text).find((r) => r.href === `${bookHome}shared-${book.id}/`);
        expect(sharedBook, books.text).to.not.equal(undefined);
        expect(prop(sharedBook!.xml, 'displayname')).to.equal('Alpha (group)&apos;s Contacts'.replace('&apos;', "'"));
        expect(sharedBook!.xml).to.contain('<D:write/>');
        await ok(s.dav('PUT', `${bookHome}shared-${book.id}/zoe.vcf`, { user: mia, body: card('zoe', 'Zoé Martin'), headers: { 'content-type': 'text/vcard' } }), 201);
        const cardAsAdmin = await ok(s.dav('GET', `/dav/addressbooks/${gina.address}/group-${book.id}/zoe.vcf`, { user: gina }), 200);
        expect(cardAsAdmin.text).to.contain('FN:Zoé Martin');

        // dan, in both groups, has each once, as Alpha's group collection
        const danHome = await ok(s.dav('PROPFIND', `/dav/calendars/${dan.address}/`, { user: dan, headers: { depth: '1' }, body: HOME_PROPS }), 207);
        const danHrefs = responses(danHome.text).map((r) => r.href);
        expect(danHrefs).to.include(`/dav/calendars/${dan.address}/group-${cal.id}/`);
        expect(danHrefs).to.not.include(`/dav/calendars/${dan.address}/shared-${cal.id}/`);
        // oscar sees none of it, and cannot name it
        const oscarHome = await ok(s.dav('PROPFIND', `/dav/calendars/${oscar.address}/`, { user: oscar, headers: { depth: '1' }, body: HOME_PROPS }), 207);
        expect(responses(oscarHome.text).map((r) => r.href).filter((h) => h.includes(`-${cal.id}/`))).to.deep.equal([]);
        await ok(s.dav('GET', `/dav/calendars/${oscar.address}/shared-${cal.id}/standup.ics`, { user: oscar }), 404);

        // withdrawn: gone from the home on the next request
        await s.core.sharing.withdraw(gina.id, calShare.id);
        const after = await ok(s.dav('PROPFIND', calHome, { user: mia, headers: { depth: '1' }, body: HOME_PROPS }), 207);
        expect(responses(after.text).map((r) => r.href)).to.not.include(`${calHome}shared-${cal.id}/`);
        await ok(s.dav('GET', `${calHome}shared-${cal.id}/standup.ics`, { user: mia }), 404);
      } finally {
        if (await store.getGrant(calShare.id)) await s.core.sharing.withdraw(gina.id, calShare.id);
        await s.core.sharing.withdraw(gina.id, bookShare.id);
      }
    });
  });
}
