// A PROPFIND Depth 1 of a collection bigger than one page of the core's
// listing (500 rows): 1,200 files in a drive folder, 1,200 cards in an
// address book and 1,200 events in a calendar, each made through the core.
// The real server over real HTTPS lists every entry exactly once, in the
// order of the whole listing (the drive's sub-folders first, then every
// object in the order it was made, which is not the order of its name), and
// the core's pages are at most 500 long and add up to that listing. An
// account that reaches only three cards, one on each page, sees those three.
import { expect } from 'chai';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { Account, Collection, Item } from '../../../src/store/types.ts';
import { files, startDav, type DavServer } from '../../support/dav.ts';
import { BACKENDS } from '../../support/store.ts';

const COUNT = 1_200;
const NAMED = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>';
/** names made in descending order, so that the order they were made in is not the order of their names */
const nameAt = (i: number, ext: string): string => `n-${String(COUNT - i).padStart(5, '0')}.${ext}`;
const card = (i: number): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-${i}\r\nFN:Person ${i}\r\nN:${i};Person;;;\r\nEND:VCARD\r\n`;
const event = (i: number): string =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:event-${i}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDURATION:PT1H\r\nSUMMARY:Event ${i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The hrefs of a multistatus, read with a real namespace-aware parser, in the order they were sent. */
function responseHrefs(xml: string): string[] {
  const parser = new SaxesParser({ xmlns: true });
  const out: string[] = [];
  let depth = 0;
  let text = '';
  parser.on('opentag', (t: SaxesTagNS) => {
    text = '';
    if (t.uri === 'DAV:' && t.local === 'response') depth = 1;
  });
  parser.on('text', (t: string) => { text += t; });
  parser.on('closetag', (t: SaxesTagNS) => {
    if (t.uri === 'DAV:' && t.local === 'href' && depth === 1) { out.push(decodeURIComponent(text)); depth = 2; }
  });
  parser.on('error', (e: Error) => { throw e; });
  parser.write(xml).close();
  return out;
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const p of pages) out.push(p);
  return out;
}

for (const backend of BACKENDS) {
  describe(`PROPFIND of more than one page of a listing on ${backend}`, function () {
    this.timeout(300_000);
    let s: DavServer;
    let ann: Account;
    let bob: Account;
    let book: Collection;
    let cal: Collection;
    const folder = files('Documents', 'paged', '');
    const fileNames: string[] = [];
    const cardNames: string[] = [];
    const eventNames: string[] = [];
    const sharedCards: Item[] = [];

    before(async () => {
      s = await startDav(backend);
      ann = await s.account('ann');
      bob = await s.account('bob');
      const readers = await s.group('Readers', ann, [bob]);
      expect((await s.dav('MKCOL', folder, { user: ann })).status).to.equal(201);
      const view = await s.core.files.view(ann);
      for (const sub of ['zeta', 'alpha']) await s.core.files.mkdir(await view.resolve(['Documents', 'paged', sub]));
      const own = async (tool: 'calendar' | 'contacts'): Promise<Collection> =>
        (await s.core.store.listCollections(ann.spaceId, tool)).find((c) => c.role === 'default')!;
      book = await own('contacts');
      cal = await own('calendar');
      for (let i = 0; i < COUNT; i++) {
        const name = nameAt(i, 'txt');
        const target = await view.resolve(['Documents', 'paged', name]);
        if (target.kind !== 'missing') throw new Error(`${name} is already there`);
        await s.core.files.write(target, once(encode(`file ${i}\n`)), { contentType: 'text/plain' });
        fileNames.push(name);
        const c = await s.core.contacts.put(ann.id, book.id, nameAt(i, 'vcf'), encode(card(i)));
        cardNames.push(nameAt(i, 'vcf'));
        // one shared card on each page of 500
        if (i === 3 || i === 777 || i === 1_199) {
          await s.core.sharing.share(ann.id, { collectionId: book.id, itemId: c.item.id }, readers.id, ['read']);
          sharedCards.push(c.item);
        }
        await s.core.calendar.put(ann.id, cal.id, nameAt(i, 'ics'), encode(event(i)));
        eventNames.push(nameAt(i, 'ics'));
      }
    });
    after(async () => { await s?.stop(); });

    it('the drive folder: its sub-folders, then every file once in the order made, in pages of at most 500', async () => {
      const r = await s.dav('PROPFIND', folder, { user: ann, headers: { depth: '1', 'content-type': 'application/xml' }, body: NAMED });
      expect(r.status).to.equal(207);
      const got = responseHrefs(r.text);
      const base = '/files/Documents/paged/';
      expect(got).to.deep.equal([base, `${base}alpha/`, `${base}zeta/`, ...fileNames.map((n) => base + n)]);
      // the pages the core gives: the sub-folders, then 500, 500, 200 files; together the whole listing
      const view = await s.core.files.view(ann);
      const entry = await view.resolve(['Documents', 'paged']);
      const pages = await collect(view.childPages(entry));
      expect(pages.map((p) => p.length)).to.deep.equal([2, 500, 500, 200]);
      expect(pages.flat().map((e) => e.name)).to.deep.equal((await view.children(entry)).map((e) => e.name));
      expect(pages.flat().map((e) => e.name)).to.deep.equal(['alpha', 'zeta', ...fileNames]);
    });

    it('the address book: every card once in the order made, as the whole listing gives them', async () => {
      const path = `/dav/addressbooks/${ann.address}/contacts/`;
      const r = await s.dav('PROPFIND', path, { user: ann, headers: { depth: '1' }, body: NAMED });
      expect(r.status).to.equal(207);
      const got = responseHrefs(r.text);
      expect(got).to.deep.equal([path, ...cardNames.map((n) => path + n)]);
      const whole = (await s.core.contacts.list(ann.id, book.id)).map((i) => i.name);
      expect(got.slice(1).map((h) => h.slice(path.length))).to.deep.equal(whole);
      const pages = await collect(s.core.contacts.listPages(ann.id, book.id));
      expect(pages.map((p) => p.length)).to.deep.equal([500, 500, 200]);
      expect(pages.flat().map((i) => i.name)).to.deep.equal(whole);
    });

    it('the calendar: every event once in the order made, as the whole listing gives them', async () => {
      const path = `/dav/calendars/${ann.address}/calendar/`;
      const r = await s.dav('PROPFIND', path, { user: ann, headers: { depth: '1' }, body: NAMED });
      expect(r.status).to.equal(207);
      const got = responseHrefs(r.text);
      expect(got).to.deep.equal([path, ...eventNames.map((n) => path + n)]);
      const whole = (await s.core.calendar.list(ann.id, cal.id)).map((i) => i.name);
      expect(got.slice(1).map((h) => h.slice(path.length))).to.deep.equal(whole);
      const pages = await collect(s.core.calendar.listPages(ann.id, cal.id, 499));
      expect(pages.map((p) => p.length)).to.deep.equal([499, 499, 202]);
      expect(pages.flat().map((i) => i.name)).to.deep.equal(whole);
    });

    it('an account that may read three cards, one on each page, is listed those three in order', async () => {
      const path = `/dav/addressbooks/${bob.address}/shared-${book.id}/`;
      const r = await s.dav('PROPFIND', path, { user: bob, headers: { depth: '1' }, body: NAMED });
      expect(r.status).to.equal(207);
      expect(responseHrefs(r.text)).to.deep.equal([path, ...sharedCards.map((i) => path + i.name!)]);
      const pages = await collect(s.core.contacts.listPages(bob.id, book.id));
      expect(pages.map((p) => p.map((i) => i.name))).to.deep.equal(sharedCards.map((i) => [i.name]));
      expect(pages.flat().map((i) => i.name)).to.deep.equal((await s.core.contacts.list(bob.id, book.id)).map((i) => i.name));
    });
  });
}
