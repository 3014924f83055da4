// Who may do what over CalDAV/CardDAV, decided by core/acl and seen through
// the door: owner, co-member without a grant, member with a read share, with
// a write share, the group's administrator, a removed member and an outsider,
// against a personal calendar, the group calendar, a shared event, a shared
// contact, the member directory and free/busy. Both backends.
import { expect } from 'chai';
import type { Account } from '../../../../src/store/types.ts';
import { startDav, type DavServer } from '../../../support/dav.ts';
import { BACKENDS } from '../../../support/store.ts';

const event = (uid: string): string => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20300101T100000Z\r\nDURATION:PT1H\r\nSUMMARY:s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
const card = (uid: string): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${uid}\r\nN:${uid};;;;\r\nEND:VCARD\r\n`;

type Role = 'owner' | 'member' | 'reader' | 'writer' | 'admin' | 'removed' | 'outsider';
const ROLES: Role[] = ['owner', 'member', 'reader', 'writer', 'admin', 'removed', 'outsider'];

for (const backend of BACKENDS) {
  describe(`CalDAV/CardDAV access matrix on ${backend}`, function () {
    this.timeout(120_000);
    let s: DavServer;
    const who = {} as Record<Role, Account>;

    before(async () => {
      s = await startDav(backend);
      for (const r of ROLES) who[r] = await s.account(r);
      // admin runs "Team"; the owner, member, reader, writer and removed are members; the owner shares through two other groups
      const team = await s.group('Team', who.admin, [who.owner, who.member, who.reader, who.writer, who.removed]);
      const readers = await s.group('Readers', who.owner, [who.reader]);
      const writers = await s.group('Writers', who.owner, [who.writer]);
      const own = (tool: 'calendar' | 'contacts') => s.core.store.listCollections(who.owner.spaceId, tool).then((l) => l.find((c) => c.role === 'default')!);
      const cal = await own('calendar');
      const book = await own('contacts');
      await s.core.calendar.put(who.owner.id, cal.id, 'private.ics', new TextEncoder().encode(event('private')));
      const sharedEv = await s.core.calendar.put(who.owner.id, cal.id, 'shared.ics', new TextEncoder().encode(event('shared')));
      const sharedCard = await s.core.contacts.put(who.owner.id, book.id, 'shared.vcf', new TextEncoder().encode(card('shared')));
      await s.core.sharing.share(who.owner.id, { collectionId: cal.id, itemId: sharedEv.item.id }, readers.id, ['read']);
      await s.core.sharing.share(who.owner.id, { collectionId: cal.id, itemId: sharedEv.item.id }, writers.id, ['read', 'write']);
      await s.core.sharing.share(who.owner.id, { collectionId: book.id, itemId: sharedCard.item.id }, readers.id, ['read']);
      await s.core.sharing.share(who.owner.id, { collectionId: book.id, itemId: sharedCard.item.id }, writers.id, ['read', 'write']);
      const groupCal = (await s.core.store.listCollections(team.spaceId, 'calendar')).find((c) => c.role === 'default')!;
      await s.core.calendar.put(who.admin.id, groupCal.id, 'g.ics', new TextEncoder().encode(event('g')));
      await s.core.groups.removeMember(team.id, who.removed.id, who.admin.id);
    });
    after(async () => { await s?.stop(); });

    /** The segment under which `a` reaches the owner's collection or the group's, or null. */
    async function segments(a: Account, home: 'calendars' | 'addressbooks'): Promise<string[]> {
      const r = await s.dav('PROPFIND', `/dav/${home}/${a.address}/`, { user: a, headers: { depth: '1' } });
      return [...r.text.matchAll(/<D:href>[^<]*\/([^/<]+)\/<\/D:href>/g)].map((m) => decodeURIComponent(m[1]!)).filter((x) => x !== a.address);
    }
    async function objectStatus(a: Account, home: 'calendars' | 'addressbooks', pick: (seg: string) => boolean, name: string, method: 'GET' | 'PUT'): Promise<number> {
      const seg = (await segments(a, home)).find(pick);
      if (seg === undefined) return 404; // not reachable at all: not even listed
      const body = method === 'PUT' ? (home === 'calendars' ? event(name.replace(/\.\w+$/, '')) : card(name.replace(/\.\w+$/, ''))) : undefined;
      const path = `/dav/${home}/${a.address}/${seg}/${name}`;
      const cur = method === 'PUT' ? await s.dav('GET', path, { user: a }) : null;
      return (await s.dav(method, path, { user: a, ...(body ? { body } : {}), ...(cur?.headers.etag ? { headers: { 'if-match': String(cur.headers.etag) } } : {}) })).status;
    }

    const own = (r: Role) => (seg: string) => (r === 'owner' ? seg === 'calendar' || seg === 'contacts' : seg.startsWith('shared-'));
    const group = (seg: string) => seg.startsWith('group-');
    const directory = (seg: string) => seg.startsWith('directory-');

    const expected: Record<string, Record<Role, number>> = {
      'read a private event':        { owner: 200, member: 404, reader: 403, writer: 403, admin: 404, removed: 404, outsider: 404 },
      'read the shared event':       { owner: 200, member: 404, reader: 200, writer: 200, admin: 404, removed: 404, outsider: 404 },
      'change the shared event':     { owner: 204, member: 404, reader: 403, writer: 204, admin: 404, removed: 404, outsider: 404 },
      'read the shared contact':     { owner: 200, member: 404, reader: 200, writer: 200, admin: 404, removed: 404, outsider: 404 },
      'change the shared contact':   { owner: 204, member: 404, reader: 403, writer: 204, admin: 404, removed: 404, outsider: 404 },
      'read the group calendar':     { owner: 200, member: 200, reader: 200, writer: 200, admin: 200, removed: 404, outsider: 404 },
      'write the group calendar':    { owner: 403, member: 403, reader: 403, writer: 403, admin: 204, removed: 404, outsider: 404 },
      'read the member directory':   { owner: 200, member: 200, reader: 200, writer: 200, admin: 200, removed: 404, outsider: 404 },
      "ask the owner's busy times":  { owner: 200, member: 200, reader: 200, writer: 200, admin: 200, removed: 403, outsider: 403 },
    };

    it('gives every role exactly its rights on every kind of resource, on the next request', async () => {
      const got: Record<string, Record<string, number>> = {};
      for (const r of ROLES) {
        const a = who[r];
        const row = (k: string, v: number): void => { (got[k] ??= {})[r] = v; };
        row('read a private event', await objectStatus(a, 'calendars', own(r), 'private.ics', 'GET'));
        row('read the shared event', await objectStatus(a, 'calendars', own(r), 'shared.ics', 'GET'));
        row('change the shared event', await objectStatus(a, 'calendars', own(r), 'shared.ics', 'PUT'));
        row('read the shared contact', await objectStatus(a, 'addressbooks', own(r), 'shared.vcf', 'GET'));
        row('change the shared contact', await objectStatus(a, 'addressbooks', own(r), 'shared.vcf', 'PUT'));
        row('read the group calendar', await objectStatus(a, 'calendars', group, 'g.ics', 'GET'));
        row('write the group calendar', await objectStatus(a, 'calendars', group, 'g.ics', 'PUT'));
        const dirSeg = (await segments(a, 'addressbooks')).find(directory);
        let dir = 404;
        if (dirSeg) {
          const p = await s.dav('PROPFIND', `/dav/addressbooks/${a.address}/${dirSeg}/`, { user: a, headers: { depth: '1' } });
          dir = p.status === 207 && p.text.includes('.vcf') ? 200 : p.status;
        }
        row('read the member directory', dir);
        const fb = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20300101T000000Z\r\nDTEND:20300102T000000Z\r\nATTENDEE:mailto:${who.owner.address}\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n`;
        const f = await s.dav('POST', `/dav/outbox/${a.address}/`, { user: a, body: fb, headers: { 'content-type': 'text/calendar' } });
        row("ask the owner's busy times", f.status === 200 && f.text.includes('2.0;Success') ? (f.text.includes('SUMMARY') ? 500 : 200) : f.text.includes('3.8') ? 403 : f.status);
      }
      expect(got).to.deep.equal(expected);
    });
  });
}
