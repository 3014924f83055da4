// A PROPFIND Depth 1 of a folder of 10,000 files through the real server over
// real HTTPS: the answer comes streamed (chunked, no Content-Length) and a
// real XML parser (saxes, namespace-aware) reads all of it: 10,001 responses,
// each href once, names that need escaping or percent-encoding intact, each
// file's length right, with named properties and with allprop. A client that
// stops reading in the middle of such an answer and goes away leaves the
// server serving, with nothing logged.
import { expect } from 'chai';
import { request as httpsRequest } from 'node:https';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { Account } from '../../../src/store/types.ts';
import { basic, DAV_PASSWORD, files, startDav, type DavServer } from '../../support/dav.ts';
import { BACKENDS } from '../../support/store.ts';

const XML = '<?xml version="1.0" encoding="utf-8"?>';
const NAMED = `${XML}<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:getcontentlength/><D:getetag/><D:resourcetype/></D:prop></D:propfind>`;
const ALLPROP = `${XML}<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`;
const COUNT = 10_000;
/** every 500th file gets a name that must be escaped in XML or percent-encoded in its href */
const nameOf = (i: number): string => (i % 500 === 0 ? `R&D <${i}> "café" ${i}.txt` : `file-${String(i).padStart(5, '0')}.txt`);

interface Entry { href: string; displayname: string | null; length: string | null; etag: string | null; statuses: string[] }

/** Reads a multistatus with a real parser; throws on anything that is not well-formed. */
function parseMultistatus(xml: string): Entry[] {
  const parser = new SaxesParser({ xmlns: true });
  const entries: Entry[] = [];
  let current: Entry | null = null;
  let text = '';
  parser.on('opentag', (t: SaxesTagNS) => {
    text = '';
    if (t.uri === 'DAV:' && t.local === 'response') current = { href: '', displayname: null, length: null, etag: null, statuses: [] };
  });
  parser.on('text', (t: string) => { text += t; });
  parser.on('closetag', (t: SaxesTagNS) => {
    if (!current || t.uri !== 'DAV:') return;
    if (t.local === 'href') current.href = text;
    else if (t.local === 'displayname') current.displayname = text;
    else if (t.local === 'getcontentlength') current.length = text;
    else if (t.local === 'getetag') current.etag = text;
    else if (t.local === 'status') current.statuses.push(text);
    else if (t.local === 'response') { entries.push(current); current = null; }
  });
  parser.on('error', (e: Error) => { throw e; });
  parser.write(xml).close();
  return entries;
}

for (const backend of BACKENDS) {
  describe(`PROPFIND of 10,000 entries, streamed, on ${backend}`, function () {
    this.timeout(180_000);
    let s: DavServer;
    let ann: Account;
    const folder = files('Documents', 'big', '');

    before(async () => {
      s = await startDav(backend);
      ann = await s.account('ann');
      expect((await s.dav('MKCOL', folder, { user: ann })).status).to.equal(201);
      const entry = await (await s.core.files.view(ann)).resolve(['Documents', 'big']);
      if (entry.kind !== 'collection') throw new Error('Documents/big is not a collection');
      // the files go straight into the store (10,000 PUTs would take minutes on PostgreSQL); the listing is what is tested
      for (let i = 0; i < COUNT; i++) {
        const content = Buffer.from(`file ${i}\n`.repeat(1 + (i % 3)));
        await s.core.store.putItem({ collectionId: entry.collection.id, name: nameOf(i), content, size: content.length, contentType: 'text/plain', quotaLimit: null });
      }
    });
    after(async () => { await s?.stop(); });

    for (const [kind, body] of [['named properties', NAMED], ['allprop', ALLPROP]] as const) {
      it(`with ${kind}: chunked, well-formed, every entry once with its name and length`, async () => {
        const r = await s.dav('PROPFIND', folder, { user: ann, headers: { depth: '1', 'content-type': 'application/xml' }, body });
        expect(r.status).to.equal(207);
        expect(r.headers['content-length']).to.equal(undefined);
        expect(r.headers['transfer-encoding']).to.equal('chunked');
        const entries = parseMultistatus(r.text);
        expect(entries).to.have.length(COUNT + 1);
        expect(entries[0]!.href).to.equal('/files/Documents/big/');
        const byName = new Map(entries.slice(1).map((e) => [decodeURIComponent(e.href.slice('/files/Documents/big/'.length)), e]));
        expect(byName.size).to.equal(COUNT);
        for (let i = 0; i < COUNT; i++) {
          const e = byName.get(nameOf(i));
          expect(e, nameOf(i)).to.not.equal(undefined);
          expect(e!.displayname).to.equal(nameOf(i));
          expect(e!.length).to.equal(String(`file ${i}\n`.length * (1 + (i % 3))));
          expect(e!.etag).to.match(/^"[^"]+"$/);
          expect(e!.statuses[0]).to.equal('HTTP/1.1 200 OK');
        }
        expect(byName.get(nameOf(500))!.href).to.equal('/files/Documents/big/R&D%20%3C500%3E%20%22caf%C3%A9%22%20500.txt');
      });
    }

    it('a client that stops reading and goes away leaves the server serving, with nothing logged', async () => {
      const logged = s.logs.length;
      await new Promise<void>((ok, fail) => {
        const req = httpsRequest({
          host: '127.0.0.1', servername: 'localhost', port: s.port, method: 'PROPFIND', path: folder, ca: s.ca,
          headers: { host: `localhost:${s.port}`, authorization: basic(ann.address, DAV_PASSWORD), depth: '1', 'content-type': 'application/xml', 'content-length': Buffer.byteLength(ALLPROP) },
        }, (res) => {
          expect(res.statusCode).to.equal(207);
          // read one chunk, then stop reading: the server fills the socket and waits for it to drain
          res.once('data', () => {
            res.pause();
            setTimeout(() => { req.destroy(); ok(); }, 500);
          });
        });
        req.on('error', (e) => { if (!req.destroyed) fail(e); });
        req.end(ALLPROP);
      });
      await new Promise((r) => setTimeout(r, 500));
      const r = await s.dav('PROPFIND', folder, { user: ann, headers: { depth: '0' }, body: NAMED });
      expect(r.status).to.equal(207);
      expect(parseMultistatus(r.text)).to.have.length(1);
      expect(s.logs.slice(logged)).to.deep.equal([]);
    });
  });
}
