// Address books and member directories through the core service, on a real
// store of each backend, with real cards from Apple, Google, Outlook,
// Android and Nextcloud (../shared/fixtures/vcard).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UidConflict } from '../../../src/core/calendar/calendars.ts';
import { InvalidAddressData, parseVCardText, vcardTexts } from '../../../src/core/contacts/vcard.ts';
import { Forbidden, NotFound, PreconditionFailed, QuotaExceeded } from '../../../src/core/errors.ts';
import type { Account, Collection, Group } from '../../../src/store/types.ts';
import { makeTestCore, names, rejection, type TestCore } from '../../support/core.ts';
import { BACKENDS } from '../../support/store.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/vcard');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const crlf = (s: string): Uint8Array => new TextEncoder().encode(s.replace(/\n/g, '\r\n'));

/** Cards with a UID, as a CardDAV client PUTs them. */
const WITH_UID: Record<string, string> = {
  'apple-addressbook-group-kind.vcf': 'uid3',
  'nextcloud-sabre-vcard30-escaped-semicolons.vcf': 'ad612c16-fe12-4ec5-abf6-49998ee5ab88',
};

/** Exports without UID (and how many cards each holds): refused on PUT (RFC 6352 §5.1), taken by import. */
const WITHOUT_UID: Record<string, number> = {
  'android-vcard21-multi-qp-utf8.vcf': 6,
  'apple-ios5-photo-itemgroups.vcf': 1,
  'google-contacts-export.vcf': 1,
  'outlook-2003-vcard21-qp-key.vcf': 1,
  'outlook-2007-vcard21-qp.vcf': 1,
  'vcard40-rfc6350-properties.vcf': 1,
};


for (const backend of BACKENDS) {
  describe(`core/contacts on ${backend}`, function () {
    let t: TestCore;
    let ann: Account;
    let bob: Account;
    let carl: Account;
    let group: Group;
    let book: Collection;

    beforeEach(async () => {
      t = await makeTestCore(backend);
      ann = await t.account('ann', 'big');
      bob = await t.account('bob');
      carl = await t.account('carl');
      group = await t.core.groups.create('team', ann.id);
      await t.core.groups.addMember(group.id, bob.id);
      book = (await t.core.store.findCollectionByRole(ann.spaceId, 'contacts', 'default'))!;
    });
    afterEach(async () => t.cleanup());

    const put = (name: string, bytes: Uint8Array, who = ann.id) => t.core.contacts.put(who, book.id, name, bytes);

    it('stores cards with a UID byte for byte, indexed for addressbook-query', async () => {
      for (const [file, uid] of Object.entries(WITH_UID)) {
        const bytes = fixture(file);
        const { item } = await put(file, bytes);
        const back = await t.core.contacts.get(ann.id, book.id, file);
        expect(Buffer.from(back.content).equals(Buffer.from(bytes)), file).to.equal(true);
        expect((await t.core.store.getItemIndex(item.id)).fields!['vcard-uid']).to.deep.equal([uid]);
      }
      const apple = await t.core.contacts.findByUid(book.id, 'uid3');
      expect(apple!.meta).to.deep.include({ kind: 'group', version: '3.0' }); // X-ADDRESSBOOKSERVER-KIND:group
      expect((await t.core.store.getItemIndex((await t.core.contacts.findByUid(book.id, 'ad612c16-fe12-4ec5-abf6-49998ee5ab88'))!.id)).fields!.tel)
        .to.include('205246;;,;'); // TEL:205246\;\;\,\;
    });

    for (const [file, count] of Object.entries(WITHOUT_UID)) {
      it(`refuses ${file} on PUT (no UID), and imports its ${count} card(s), each byte for byte with one UID line added`, async () => {
        const bytes = fixture(file);
        const err = await rejection(put('x.vcf', bytes));
        expect(err).to.be.instanceOf(InvalidAddressData);
        expect((err as InvalidAddressData).precondition).to.equal('valid-address-data');
        expect(err.message).to.equal(count > 1
          ? `the text holds ${count} vCards; an address object resource holds one`
          : 'the vCard has no UID; every vCard in an address book needs one (RFC 6352 §5.1)');
        expect(await t.core.contacts.list(ann.id, book.id)).to.deep.equal([]);

        const outcome = await t.core.contacts.import(ann.id, book.id, bytes);
        expect(outcome.map((o) => o.status)).to.deep.equal(Array(count).fill('created'));
        const byName = new Map((await t.core.contacts.list(ann.id, book.id)).map((i) => [i.name!, i]));
        let rebuilt = '';
        for (const o of outcome) {
          if (o.status === 'refused') throw new Error(o.reason);
          expect(o.uidAdded).to.equal(true);
          const stored = str(await t.core.store.readItemContent(byName.get(o.name)!));
          const uidLine = new RegExp(`UID:${o.uid}\\r*\\n`); // with the line end of the VERSION line before it
          expect(stored).to.match(uidLine);
          rebuilt += stored.replace(uidLine, '');
          expect(parseVCardText(stored).uid).to.equal(o.uid);
        }
        expect(rebuilt).to.equal(str(bytes));
      });
    }

    it('decodes vCard 2.1 quoted-printable values (soft breaks, UTF-8) for queries, and answers addressbook-query', async () => {
      await t.core.contacts.import(ann.id, book.id, fixture('android-vcard21-multi-qp-utf8.vcf'));
      await t.core.contacts.import(ann.id, book.id, fixture('outlook-2007-vcard21-qp.vcf'));
      await t.core.contacts.import(ann.id, book.id, fixture('google-contacts-export.vcf'));
      await put('nc.vcf', fixture('nextcloud-sabre-vcard30-escaped-semicolons.vcf'));
      await put('group.vcf', fixture('apple-addressbook-group-kind.vcf'));
      const q = async (props: object[], test?: 'anyof' | 'allof') => {
        const items = await t.core.contacts.query(ann.id, book.id, { props: props as never, ...(test ? { test } : {}) });
        const out: string[] = [];
        for (const i of items) out.push(vcardTexts(parseVCardText(str(await t.core.store.readItemContent(i))).card, 'fn')[0] ?? `(no FN: ${i.name})`);
        return out.sort();
      };
      // Android: FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91=20… with a soft break mid-value
      expect(await q([{ name: 'FN', textMatches: [{ text: 'ñ ñ ñ ñ ñ ñ ñ ñ ñ ñ ñ', collation: 'i;unicode-casemap' }] }])).to.deep.equal(['Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ']);
      expect(await q([{ name: 'FN', textMatches: [{ text: 'Ñ Ñ Ñ Ñ', matchType: 'starts-with' }] }])).to.have.length(3); // not ÑÑÑÑ
      // Outlook 2007: a QP NOTE over four lines
      expect(await q([{ name: 'NOTE', textMatches: [{ text: 'I assume it encodes this text' }] }])).to.deep.equal(['Mr. Michael Angstadt Jr.']);
      expect(await q([{ name: 'EMAIL', textMatches: [{ text: 'WORKEMAIL@' }] }])).to.deep.equal(['VCard Test']);
      expect(await q([{ name: 'EMAIL', textMatches: [{ text: 'WORKEMAIL@', collation: 'i;octet' }] }])).to.deep.equal([]);
      expect(await q([{ name: 'EMAIL', textMatches: [{ text: 'home@gmx.de', matchType: 'equals' }] }])).to.deep.equal(['First Last NextCloud']);
      expect(await q([{ name: 'EMAIL', textMatches: [{ text: 'home@gmx', matchType: 'equals' }] }])).to.deep.equal([]);
      expect(await q([{ name: 'TEL', textMatches: [{ text: '205246' }] }])).to.deep.equal(['First Last NextCloud']);
      expect(await q([{ name: 'NICKNAME', textMatches: [{ text: 'hugo' }] }, { name: 'NICKNAME', textMatches: [{ text: 'thenick' }] }])).to.deep.equal(['First Last NextCloud', 'VCard Test']);
      expect(await q([{ name: 'NICKNAME', textMatches: [{ text: 'hugo' }] }, { name: 'ORG', textMatches: [{ text: 'firma' }] }], 'allof')).to.deep.equal(['First Last NextCloud']);
      expect(await q([{ name: 'NICKNAME', textMatches: [{ text: 'hugo' }] }, { name: 'ORG', textMatches: [{ text: 'thecompany' }] }], 'allof')).to.deep.equal([]);
      expect(await q([{ name: 'X-ADDRESSBOOKSERVER-KIND', textMatches: [{ text: 'group', matchType: 'equals' }] }])).to.deep.equal(['Shared Group']);
      expect(await q([{ name: 'EMAIL', isNotDefined: true }, { name: 'FN' }], 'allof')).to.deep.equal(['Shared Group', 'Ñ Ñ Ñ Ñ Ñ ', 'Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ Ñ']); // QP =20 at the end
      expect(await q([{ name: 'TEL', params: [{ name: 'TYPE', textMatch: { text: 'fax' } }] }])).to.deep.equal(['First Last NextCloud', 'Mr. Michael Angstadt Jr.', 'VCard Test', 'Ñ Ñ Ñ Ñ ']);
      expect(await t.core.contacts.query(ann.id, book.id, {})).to.have.length(10);
      expect(await t.core.contacts.query(ann.id, book.id, {}, 3)).to.have.length(3);
    });

    it('refuses a UID another card has, invalid vCards, and what rights and quota forbid; nothing is stored', async () => {
      const bytes = fixture('apple-addressbook-group-kind.vcf');
      await put('a.vcf', bytes);
      const dup = await rejection(put('b.vcf', bytes));
      expect(dup).to.be.instanceOf(UidConflict);
      expect(dup.message).to.equal('the UID uid3 is already used by a.vcf in this address book');
      const cases: [string, string, string][] = [
        ['garbage', 'hello', 'a vCard starts with BEGIN:VCARD, not "HELLO"'],
        ['calendar', 'BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n', 'this is an iCalendar object, not a vCard'],
        ['no version', 'BEGIN:VCARD\nUID:v\nFN:x\nEND:VCARD\n', 'the vCard has no VERSION'],
        ['version 5', 'BEGIN:VCARD\nVERSION:5.0\nUID:v\nFN:x\nEND:VCARD\n', 'vCard version "5.0" is not supported; 3.0 and 4.0 are (and 2.1)'],
        ['no end', 'BEGIN:VCARD\nVERSION:3.0\nUID:v\nFN:x\n', 'the vCard has no END:VCARD'],
        ['trailing', 'BEGIN:VCARD\nVERSION:3.0\nUID:v\nFN:x\nEND:VCARD\nFN:y\n', 'there is text outside BEGIN:VCARD … END:VCARD'],
        ['bad line', 'BEGIN:VCARD\nVERSION:3.0\nUID:v\nFN x\nEND:VCARD\n', 'the vCard cannot be read: invalid line (no token ";" or ":") "FN x"'],
      ];
      for (const [label, body, message] of cases) {
        const err = await rejection(put(`${label.replace(/ /g, '-')}.vcf`, crlf(body)));
        expect(err, label).to.be.instanceOf(InvalidAddressData);
        expect(err.message, label).to.equal(message);
      }
      expect(names(await t.core.contacts.list(ann.id, book.id))).to.deep.equal(['a.vcf']);
      // rights: bob is a co-member, not a reader of ann's address book
      expect(await rejection(t.core.contacts.get(bob.id, book.id, 'a.vcf'))).to.be.instanceOf(Forbidden);
      expect(await rejection(put('c.vcf', fixture('nextcloud-sabre-vcard30-escaped-semicolons.vcf'), bob.id))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.contacts.delete(bob.id, book.id, 'a.vcf'))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.contacts.put(ann.id, book.id, 'a.vcf', bytes, { ifMatch: '"x"' }))).to.be.instanceOf(PreconditionFailed);
      expect(await rejection(t.core.contacts.get(ann.id, book.id, 'zzz.vcf'))).to.be.instanceOf(NotFound);
      // bob's small plan: 5,000 bytes; the iPhone card with its photo is 46 KB
      const bobBook = (await t.core.store.findCollectionByRole(bob.spaceId, 'contacts', 'default'))!;
      const photo = str(fixture('apple-ios5-photo-itemgroups.vcf')).replace('VERSION:3.0\r\r\n', 'VERSION:3.0\r\r\nUID:photo\r\r\n');
      expect(await rejection(t.core.contacts.put(bob.id, bobBook.id, 'p.vcf', new TextEncoder().encode(photo)))).to.be.instanceOf(QuotaExceeded);
      expect(await t.core.store.getUsage(bob.spaceId, 'files')).to.equal(0);
      // ann's big plan takes it, byte for byte (its lines end in CR CR LF)
      await t.core.contacts.put(ann.id, book.id, 'p.vcf', new TextEncoder().encode(photo));
      expect(str((await t.core.contacts.get(ann.id, book.id, 'p.vcf')).content)).to.equal(photo);
      await t.core.contacts.delete(ann.id, book.id, 'a.vcf');
      expect(names(await t.core.contacts.list(ann.id, book.id))).to.deep.equal(['p.vcf']);
    });

    it("serves a group's member directory to members only, following profile changes and departures", async () => {
      await t.core.accounts.update(bob.id, { profile: { firstName: 'Bob', lastName: 'Martin', organisation: 'Acme; R&D', photo: 'data:image/png;base64,iVBORw0KGgo=' } });
      const dir = await t.core.contacts.directory(ann.id, group.id);
      expect(dir.cards.map((c) => c.accountId).sort()).to.deep.equal([ann.id, bob.id].sort());
      const bobCard = dir.cards.find((c) => c.accountId === bob.id)!;
      const v = parseVCardText(bobCard.text);
      expect(v.version).to.equal('4.0');
      expect(v.uid).to.equal(bobCard.uid);
      expect(bobCard.uid).to.match(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(vcardTexts(v.card, 'fn')).to.deep.equal(['bob']);
      expect(vcardTexts(v.card, 'n')).to.deep.equal(['Martin;Bob;;;']);
      expect(vcardTexts(v.card, 'org')).to.deep.equal(['Acme; R&D']);
      expect(vcardTexts(v.card, 'email')).to.deep.equal(['bob@example.test']);
      expect(vcardTexts(v.card, 'photo')).to.deep.equal(['data:image/png;base64,iVBORw0KGgo=']);
      expect(bobCard.text).to.match(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
      expect(bobCard.text.split('\r\n').every((l) => Buffer.byteLength(l) <= 75)).to.equal(true);
      // bob sees the same directory; carl, an outsider, does not
      const asBob = await t.core.contacts.directory(bob.id, group.id);
      expect(asBob.ctag).to.equal(dir.ctag);
      expect(await rejection(t.core.contacts.directory(carl.id, group.id))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.contacts.directoryCard(carl.id, group.id, bobCard.name))).to.be.instanceOf(Forbidden);
      // a profile change changes the card and its ETag, not its UID or name
      await t.core.accounts.update(bob.id, { profile: { organisation: 'Globex' } });
      const after = (await t.core.contacts.directory(ann.id, group.id)).cards.find((c) => c.accountId === bob.id)!;
      expect(after.uid).to.equal(bobCard.uid);
      expect(after.name).to.equal(bobCard.name);
      expect(after.etag).to.not.equal(bobCard.etag);
      expect(vcardTexts(parseVCardText(after.text).card, 'org')).to.deep.equal(['Globex']);
      expect((await t.core.contacts.directoryCard(ann.id, group.id, bobCard.name)).text).to.equal(after.text);
      const annCard = dir.cards.find((c) => c.accountId === ann.id)!;
      expect((await t.core.contacts.directory(ann.id, group.id)).cards.find((c) => c.accountId === ann.id)!.etag).to.equal(annCard.etag);
      // bob leaves: his card goes, and the directory is closed to him
      await t.core.groups.leave(group.id, bob.id);
      const gone = await t.core.contacts.directory(ann.id, group.id);
      expect(gone.cards.map((c) => c.accountId)).to.deep.equal([ann.id]);
      expect(gone.ctag).to.not.equal(dir.ctag);
      expect(await rejection(t.core.contacts.directoryCard(ann.id, group.id, bobCard.name))).to.be.instanceOf(NotFound);
      expect(await rejection(t.core.contacts.directory(bob.id, group.id))).to.be.instanceOf(Forbidden);
    });

    it('stores the directory as a read-only address book of the group space, kept in step through the change log', async () => {
      const dir = (await t.core.store.findCollectionByRole(group.spaceId, 'contacts', 'directory'))!;
      expect(dir).to.not.equal(null);
      const stored = async (): Promise<string[]> => names(await t.core.store.listItems(dir.id, { afterUid: 0, limit: 100 }));
      expect(await stored()).to.deep.equal([`member-${ann.id}.vcf`, `member-${bob.id}.vcf`].sort());
      expect((await t.core.contacts.directory(ann.id, group.id)).cards.map((c) => c.name).sort()).to.deep.equal(await stored());
      // its cards count against no quota (kept by the server, never refused)
      expect(await t.core.store.getUsage(group.spaceId, 'files')).to.equal(0);
      // nobody writes it, not even the administrator
      const x = crlf('BEGIN:VCARD\nVERSION:4.0\nUID:x\nFN:X\nEND:VCARD\n');
      expect(await rejection(t.core.contacts.put(ann.id, dir.id, 'x.vcf', x))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.contacts.put(ann.id, dir.id, `member-${bob.id}.vcf`, x))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.contacts.delete(ann.id, dir.id, `member-${bob.id}.vcf`))).to.be.instanceOf(Forbidden);
      expect(await rejection(t.core.contacts.delete(bob.id, dir.id, `member-${ann.id}.vcf`))).to.be.instanceOf(Forbidden);
      const modseq = async (): Promise<number> => (await t.core.store.getCollection(dir.id))!.modseq;
      // a new member's card goes in; a profile change rewrites the card in every directory
      const m0 = await modseq();
      await t.core.groups.addMember(group.id, carl.id);
      const bobBefore = (await t.core.contacts.directoryCard(ann.id, group.id, `member-${bob.id}.vcf`)).etag;
      await t.core.accounts.update(bob.id, { name: 'Bob Martin' });
      const bobAfter = await t.core.contacts.directoryCard(ann.id, group.id, `member-${bob.id}.vcf`);
      expect(bobAfter.etag).to.not.equal(bobBefore);
      expect(vcardTexts(parseVCardText(bobAfter.text).card, 'fn')).to.deep.equal(['Bob Martin']);
      const c1 = await t.core.store.changesSince(dir.id, m0);
      expect(c1.changes.map((c) => [c.name, c.op]).sort()).to.deep.equal([[`member-${bob.id}.vcf`, 'put'], [`member-${carl.id}.vcf`, 'put']].sort());
      // an unchanged profile writes nothing; neither does a transfer
      const m1 = await modseq();
      await t.core.accounts.update(bob.id, { name: 'Bob Martin' });
      await t.core.groups.transfer(group.id, bob.id, ann.id);
      expect(await modseq()).to.equal(m1);
      // bob (now the administrator) hands back and leaves: a tombstone for his card
      await t.core.groups.transfer(group.id, ann.id, bob.id);
      await t.core.groups.leave(group.id, bob.id);
      const c2 = await t.core.store.changesSince(dir.id, m1);
      expect(c2.changes.map((c) => [c.name, c.op])).to.deep.equal([[`member-${bob.id}.vcf`, 'delete']]);
      expect(await stored()).to.deep.equal([`member-${ann.id}.vcf`, `member-${carl.id}.vcf`].sort());
      // a destroyed account's card goes too
      const m2 = await modseq();
      await t.core.accounts.destroy(carl.id);
      const c3 = await t.core.store.changesSince(dir.id, m2);
      expect(c3.changes.map((c) => [c.name, c.op])).to.deep.equal([[`member-${carl.id}.vcf`, 'delete']]);
      expect(await stored()).to.deep.equal([`member-${ann.id}.vcf`]);
    });

    it('gives a group made before stored directories its directory on first access, with every member', async () => {
      const dir = (await t.core.store.findCollectionByRole(group.spaceId, 'contacts', 'directory'))!;
      await t.core.store.deleteCollection(dir.id);
      expect(await t.core.store.getUsage(group.spaceId, 'files')).to.equal(0);
      expect(await t.core.store.findCollectionByRole(group.spaceId, 'contacts', 'directory')).to.equal(null);
      const d = await t.core.contacts.directory(bob.id, group.id);
      expect(d.cards.map((c) => c.accountId).sort()).to.deep.equal([ann.id, bob.id].sort());
      const again = (await t.core.store.findCollectionByRole(group.spaceId, 'contacts', 'directory'))!;
      expect(again.id).to.not.equal(dir.id);
      expect((await t.core.contacts.directory(ann.id, group.id)).ctag).to.equal(d.ctag);
    });
  });
}
