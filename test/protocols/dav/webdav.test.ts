// The drive's WebDAV behaviour and its answers to hostile input, through the
// real server over real HTTPS sockets: path tricks, names Windows cannot
// hold, Depth infinity, XML bombs, oversized bodies, the RFC 4918 statuses of
// PUT, MKCOL, COPY, MOVE, LOCK and UNLOCK, quotas (RFC 4331) before and while
// a body streams and under concurrency, ranges and conditional requests,
// authentication, macOS metadata, Windows' properties; a 200 MiB PUT in a
// spawned server whose memory is measured. Every error is the protocol's own,
// never an HTML page, and nothing outside the account is read or touched.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Account } from '../../../src/store/types.ts';
import { basic, DAV_PASSWORD, files, listing, prop, startDav, type DavResponse, type DavServer } from '../../support/dav.ts';
import { BACKENDS } from '../../support/store.ts';

const XML = '<?xml version="1.0" encoding="utf-8"?>';
const PROPFIND_QUOTA = `${XML}<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`;
const LOCKINFO = (scope: 'exclusive' | 'shared'): string =>
  `${XML}<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>tests</D:owner></D:lockinfo>`;

const LIMIT = 100_000;
const PLANS = {
  tiny: { mail_bytes: 100_000, files_bytes: LIMIT, max_groups: 2, max_group_members: 5, features: ['clients'] },
};

/** A body of `total` bytes sent in small chunks with pauses, with no Content-Length (chunked). */
async function* trickle(total: number, chunk = 8192): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < total; sent += chunk) {
    yield Buffer.alloc(Math.min(chunk, total - sent), 0x61);
    await sleep(1);
  }
}

const statusOf = (r: DavResponse): number => r.status;

for (const backend of BACKENDS) {
  describe(`WebDAV behaviour and hostile input on ${backend}`, function () {
    this.timeout(60_000);
    let s: DavServer;
    let ann: Account, bob: Account, tina: Account, fred: Account;

    const as = (who: Account) => (method: string, path: string, o: Parameters<DavServer['dav']>[2] = {}) => s.dav(method, path, { user: who, ...o });
    const usage = async (who: Account): Promise<number> => s.core.store.getUsage(who.spaceId, 'files');
    const quotaOf = async (who: Account, path: string): Promise<{ available: number; used: number }> => {
      const r = await s.dav('PROPFIND', path, { user: who, headers: { depth: '0' }, body: PROPFIND_QUOTA });
      expect(r.status).to.equal(207);
      return { available: Number(prop(r.text, 'quota-available-bytes')), used: Number(prop(r.text, 'quota-used-bytes')) };
    };

    before(async () => {
      s = await startDav(backend, { plans: PLANS });
      ann = await s.account('ann');
      bob = await s.account('bob');
      tina = await s.account('tina', 'tiny');
      fred = await s.account('fred', 'free');
      expect((await as(ann)('PUT', files('Documents', 'a.txt'), { body: 'ann\'s a' })).status).to.equal(201);
      expect((await as(bob)('PUT', files('Documents', 'secret.txt'), { body: 'bob\'s secret' })).status).to.equal(201);
    });
    after(async () => s?.stop());
    afterEach(function () {
      // the server stays well: no request of the test ended in an unexpected failure
      const failures = s.logs.filter((l) => / warn dav /.test(l));
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });

    describe('path tricks', () => {
      const TRICKS = [
        '/files/Documents/../Documents/a.txt',
        '/files/Documents/./a.txt',
        '/files/Documents/%2e%2e/Documents/a.txt',
        '/files/Documents/%2E%2E/',
        '/files/Documents/.%2e/Documents/a.txt',
        '/files/Documents/..%2f..%2fDocuments%2fa.txt',
        '/files/Documents/a%2fb.txt',
        '/files/Documents/a%5cb.txt',
        '/files/Documents/a%00.txt',
        '/files/Documents/a.txt%00.jpg',
        '/files/Documents/%c0%ae%c0%ae/a.txt',
        '/files/Documents/%c0%af',
        '/files/Documents/%e0%80%ae%e0%80%ae/a.txt',
        '/files/Documents/%ff.txt',
        '/files/Documents/%',
        '/files/Documents/a.txt#fragment',
        '/files/Documents/%23/a.txt#x',
        '/files/Documents//a.txt',
        '/files/../files/Documents/a.txt',
        '/files/Shared%20with%20me/bob@example.test/../../Documents/secret.txt',
        '/files/Drop%20boxes/bob@example.test/%2e%2e/%2e%2e/Documents/secret.txt',
        '/files/Documents/..%5c..%5cbob',
      ];

      it('every trick is refused (400 or 404) whatever the method, and nothing of ann\'s or bob\'s is read or changed', async () => {
        const snapshot = async () => ({
          blobs: await s.blobFiles(),
          ann: listing((await as(ann)('PROPFIND', files('Documents', ''), { headers: { depth: '1' } })).text, files('Documents', '')),
          bob: listing((await as(bob)('PROPFIND', files('Documents', ''), { headers: { depth: '1' } })).text, files('Documents', '')),
          bobSecret: (await as(bob)('GET', files('Documents', 'secret.txt'))).text,
          annA: (await as(ann)('GET', files('Documents', 'a.txt'))).text,
          usage: [await usage(ann), await usage(bob)],
        });
        const before = await snapshot();
        expect(before.bob).to.deep.equal(['secret.txt']);
        const seen: Record<string, number[]> = {};
        for (const path of TRICKS) {
          const answers: number[] = [];
          for (const method of ['GET', 'PUT', 'DELETE', 'PROPFIND', 'MKCOL', 'PROPPATCH', 'LOCK']) {
            const body = method === 'PUT' ? 'overwritten by a trick'
              : method === 'PROPPATCH' ? `${XML}<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:y xmlns:x="urn:x">1</x:y></D:prop></D:set></D:propertyupdate>`
                : method === 'LOCK' ? LOCKINFO('exclusive') : undefined;
            const r = await as(ann)(method, path, { headers: { depth: '0' }, ...(body ? { body } : {}) });
            answers.push(r.status);
            expect(r.text, `${method} ${path}`).to.not.contain('bob\'s secret').and.not.contain('ann\'s a');
          }
          seen[path] = answers;
        }
        // the request line of these is refused before any folder is looked at
        for (const [path, answers] of Object.entries(seen)) {
          for (const a of answers) expect([400, 404], `${path}: ${answers.join(' ')}`).to.include(a);
        }
        expect(seen['/files/Documents/%2e%2e/Documents/a.txt']).to.deep.equal([400, 400, 400, 400, 400, 400, 400]);
        expect(seen['/files/Documents/a%00.txt']).to.deep.equal([400, 400, 400, 400, 400, 400, 400]);
        expect(seen['/files/Documents/%c0%ae%c0%ae/a.txt']).to.deep.equal([400, 400, 400, 400, 400, 400, 400]);
        expect(seen['/files/Documents/a.txt#fragment']).to.deep.equal([400, 400, 400, 400, 400, 400, 400]);
        expect(await snapshot()).to.deep.equal(before);
      });

      it('a Destination with a trick, on another host, or outside the drive moves nothing', async () => {
        const before = await s.blobFiles();
        const move = (destination: string) => as(ann)('MOVE', files('Documents', 'a.txt'), { headers: { destination } });
        for (const d of [
          `${s.origin}/files/Documents/../Drop%20box/a.txt`,
          `${s.origin}/files/Documents/%2e%2e/Groups/a.txt`,
          `${s.origin}/files/Documents/x%2fy.txt`,
          `${s.origin}/files/Documents/x%00.txt`,
          '/files/Documents/%c0%ae%c0%ae/a.txt',
          '/files/Documents/a2.txt#x',
        ]) expect((await move(d)).status, d).to.equal(400);
        expect((await move('https://elsewhere.example/files/Documents/b.txt')).status).to.equal(502);
        expect((await move('https://local host:1/files/Documents/b.txt')).status).to.equal(400);
        expect((await move(`${s.origin}/etc/passwd`)).status).to.equal(404);
        expect((await move(`${s.origin}/files/Documents/bob/../../../etc`)).status).to.equal(400);
        // into bob's space: not a folder ann reaches
        expect((await move(files('Shared with me', 'bob@example.test', 'a.txt'))).status).to.equal(409);
        expect((await as(ann)('GET', files('Documents', 'a.txt'))).text).to.equal('ann\'s a');
        expect(await s.blobFiles()).to.deep.equal(before);
      });
    });

    describe('names Windows cannot hold', () => {
      it('PUT, MKCOL, COPY and MOVE to such a name answer 400 and make nothing', async () => {
        const before = await s.blobFiles();
        const bad = ['a:b', 'con.txt', 'CON', 'aux', 'nul.tar.gz', 'com1', 'lpt9.txt', 'trailing.', 'trailing ', 'a<b', 'a>b', 'a"b', 'a|b', 'a?b', 'a*b', 'tab\there', 'x'.repeat(256)];
        for (const name of bad) {
          expect((await as(ann)('PUT', files('Documents', name), { body: 'x' })).status, `PUT ${JSON.stringify(name)}`).to.equal(400);
          expect((await as(ann)('MKCOL', files('Documents', name))).status, `MKCOL ${JSON.stringify(name)}`).to.equal(400);
          for (const method of ['COPY', 'MOVE']) {
            const r = await as(ann)(method, files('Documents', 'a.txt'), { headers: { destination: `${s.origin}${files('Documents', name)}` } });
            expect(r.status, `${method} to ${JSON.stringify(name)}`).to.equal(400);
          }
        }
        // unencoded in the request line too
        expect((await as(ann)('PUT', '/files/Documents/a:b', { body: 'x' })).status).to.equal(400);
        const names = listing((await as(ann)('PROPFIND', files('Documents', ''), { headers: { depth: '1' } })).text, files('Documents', ''));
        expect(names).to.deep.equal(['a.txt']);
        expect(await s.blobFiles()).to.deep.equal(before);
        // what is allowed stays allowed
        expect((await as(ann)('PUT', files('Documents', 'Ünïcödé – ok (1).txt'), { body: 'x' })).status).to.equal(201);
        expect((await as(ann)('DELETE', files('Documents', 'Ünïcödé – ok (1).txt'))).status).to.equal(204);
      });
    });

    describe('PROPFIND depth and XML', () => {
      it('Depth: infinity is refused with 403 and DAV:propfind-finite-depth; a Depth that is not 0, 1 or infinity is 400', async () => {
        const r = await as(ann)('PROPFIND', files('Documents', ''), { headers: { depth: 'infinity' } });
        expect(r.status).to.equal(403);
        expect(r.headers['content-type']).to.match(/^application\/xml/);
        expect(r.text).to.match(/<D:error xmlns:D="DAV:"><D:propfind-finite-depth>/);
        const none = await as(ann)('PROPFIND', files('Documents', ''));
        expect(none.status).to.equal(403, 'no Depth header means infinity (RFC 4918 9.1)');
        expect((await as(ann)('PROPFIND', files('Documents', ''), { headers: { depth: '2' } })).status).to.equal(400);
      });

      const BOMBS: Record<string, string> = {
        'a DOCTYPE': `${XML}<!DOCTYPE propfind><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
        'an external entity': `${XML}<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&xxe;</D:displayname></D:prop></D:propfind>`,
        'a parameter entity': `${XML}<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
        'billion laughs': `${XML}<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]><D:propfind xmlns:D="DAV:"><D:prop><x:a xmlns:x="urn:x">&lol9;</x:a></D:prop></D:propfind>`,
        'an undeclared entity': `${XML}<D:propfind xmlns:D="DAV:"><D:prop><x:a xmlns:x="urn:x">&lol9;</x:a></D:prop></D:propfind>`,
        'deep nesting': `${XML}<D:propfind xmlns:D="DAV:"><D:prop>${'<x:a xmlns:x="urn:x">'.repeat(5000)}${'</x:a>'.repeat(5000)}</D:prop></D:propfind>`,
        'malformed XML': `${XML}<D:propfind xmlns:D="DAV:"><D:prop>`,
        'an unbound prefix': `${XML}<D:propfind><D:allprop/></D:propfind>`,
      };
      for (const [what, body] of Object.entries(BOMBS)) {
        it(`XML with ${what} is 400 to PROPFIND, PROPPATCH and LOCK, and the server goes on serving`, async () => {
          for (const method of ['PROPFIND', 'PROPPATCH', 'LOCK']) {
            const started = Date.now();
            const r = await as(ann)(method, files('Documents', 'a.txt'), { headers: { depth: '0' }, body });
            expect(r.status, method).to.equal(400);
            expect(r.text).to.not.match(/root:|lollol/);
            expect(Date.now() - started).to.be.below(2000);
          }
          const ok = await as(ann)('PROPFIND', files('Documents', 'a.txt'), { headers: { depth: '0' } });
          expect(ok.status).to.equal(207);
          expect(ok.text).to.not.contain('lol');
          expect(await s.core.store.listLocks([(await s.core.store.findCollectionByRole(ann.spaceId, 'files', 'documents'))!.id])).to.deep.equal([]);
        });
      }

      it('an XML body over 1 MiB is 413, announced or chunked, and the server goes on serving', async () => {
        const big = `${XML}<D:propfind xmlns:D="DAV:"><D:prop>${'<D:displayname/>'.repeat(70_000)}</D:prop></D:propfind>`;
        expect(Buffer.byteLength(big)).to.be.above(1_048_576);
        expect((await as(ann)('PROPFIND', files('Documents', ''), { headers: { depth: '0' }, body: big })).status).to.equal(413);
        const chunked = await as(ann)('PROPPATCH', files('Documents', 'a.txt'), { body: trickle(2_000_000, 65_536) });
        expect(chunked.status).to.equal(413);
        expect((await as(ann)('PROPFIND', files('Documents', ''), { headers: { depth: '0' } })).status).to.equal(207);
      });
    });

    describe('RFC 4918 statuses', () => {
      before(async () => {
        expect((await as(ann)('MKCOL', files('Documents', 'dir'))).status).to.equal(201);
        expect((await as(ann)('MKCOL', files('Documents', 'dir', 'sub'))).status).to.equal(201);
        expect((await as(ann)('PUT', files('Documents', 'dir', 'f.txt'), { body: 'f' })).status).to.equal(201);
      });

      it('PUT on a collection is 405 (a folder, the drive\'s top, a made-up folder)', async () => {
        for (const path of [files('Documents', 'dir', ''), files('Documents', 'dir'), files('Documents', ''), '/files/', files('Groups', ''), files('Drop boxes', '')]) {
          expect((await as(ann)('PUT', path, { body: 'x' })).status, path).to.equal(405);
        }
        expect((await as(ann)('PROPFIND', files('Documents', 'dir', ''), { headers: { depth: '0' } })).text).to.contain('<D:collection/>');
      });

      it('MKCOL with a missing parent is 409; on something that exists 405; with a body 415', async () => {
        expect((await as(ann)('MKCOL', files('Documents', 'nope', 'sub'))).status).to.equal(409);
        expect((await as(ann)('PUT', files('Documents', 'nope', 'f.txt'), { body: 'x' })).status).to.equal(409);
        expect((await as(ann)('MKCOL', files('Documents', 'dir'))).status).to.equal(405);
        expect((await as(ann)('MKCOL', files('Documents', 'a.txt'))).status).to.equal(405);
        expect((await as(ann)('MKCOL', files('Documents', 'withbody'), { body: '<x/>' })).status).to.equal(415);
        expect((await as(ann)('PROPFIND', files('Documents', 'nope', ''), { headers: { depth: '0' } })).status).to.equal(404);
      });

      it('MOVE or COPY of a folder into itself is 403, and changes nothing', async () => {
        for (const method of ['MOVE', 'COPY']) {
          for (const dest of [files('Documents', 'dir', 'sub', 'x'), files('Documents', 'dir', 'inside'), files('Documents', 'dir', '')]) {
            const r = await as(ann)(method, files('Documents', 'dir', ''), { headers: { destination: `${s.origin}${dest}` } });
            expect(r.status, `${method} → ${dest}`).to.equal(403);
          }
        }
        const inside = await as(ann)('PROPFIND', files('Documents', 'dir', ''), { headers: { depth: '1' } });
        expect(listing(inside.text, files('Documents', 'dir', ''))).to.deep.equal(['f.txt', 'sub']);
      });

      it('COPY or MOVE without a Destination is 400; with Overwrite: F onto a file 412; a bad Overwrite 400', async () => {
        expect((await as(ann)('COPY', files('Documents', 'a.txt'))).status).to.equal(400);
        expect((await as(ann)('MOVE', files('Documents', 'a.txt'))).status).to.equal(400);
        const onto = { destination: `${s.origin}${files('Documents', 'dir', 'f.txt')}` };
        expect((await as(ann)('COPY', files('Documents', 'a.txt'), { headers: { ...onto, overwrite: 'F' } })).status).to.equal(412);
        expect((await as(ann)('COPY', files('Documents', 'a.txt'), { headers: { ...onto, overwrite: 'maybe' } })).status).to.equal(400);
        expect((await as(ann)('GET', files('Documents', 'dir', 'f.txt'))).text).to.equal('f');
        expect((await as(ann)('COPY', files('Documents', 'nothing.txt'), { headers: onto })).status).to.equal(404);
      });

      it('locks: a conflict is 423 (no-conflicting-lock, lock-token-submitted), a wrong token 412, a token elsewhere 409 on UNLOCK', async () => {
        const file = files('Documents', 'dir', 'f.txt');
        const lock = await as(ann)('LOCK', file, { headers: { depth: '0', timeout: 'Second-600' }, body: LOCKINFO('exclusive') });
        expect(lock.status).to.equal(200);
        const token = /^<(.+)>$/.exec(String(lock.headers['lock-token']))![1]!;
        expect(token).to.match(/^opaquelocktoken:/);
        expect(lock.text).to.contain(token);

        const again = await as(ann)('LOCK', file, { headers: { depth: '0' }, body: LOCKINFO('shared') });
        expect(again.status).to.equal(423);
        expect(again.text).to.match(/<D:no-conflicting-lock><D:href>[^<]*f\.txt<\/D:href><\/D:no-conflicting-lock>/);
        const onFolder = await as(ann)('LOCK', files('Documents', 'dir', ''), { headers: { depth: 'infinity' }, body: LOCKINFO('exclusive') });
        expect(onFolder.status).to.equal(423, 'a depth-infinity lock cannot cover a locked file');

        const put = await as(ann)('PUT', file, { body: 'no token' });
        expect(put.status).to.equal(423);
        expect(put.text).to.match(/<D:lock-token-submitted><D:href>[^<]*f\.txt<\/D:href><\/D:lock-token-submitted>/);
        expect((await as(ann)('DELETE', file)).status).to.equal(423);
        expect((await as(ann)('DELETE', files('Documents', 'dir', ''))).status).to.equal(423, 'a folder holding a locked file');
        expect((await as(ann)('MOVE', file, { headers: { destination: `${s.origin}${files('Documents', 'moved.txt')}` } })).status).to.equal(423);
        expect((await as(ann)('PROPPATCH', file, { body: `${XML}<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:y xmlns:x="urn:x">1</x:y></D:prop></D:set></D:propertyupdate>` })).status).to.equal(423);

        expect((await as(ann)('PUT', file, { headers: { if: '(<opaquelocktoken:00000000-0000-0000-0000-000000000000>)' }, body: 'wrong token' })).status).to.equal(412);
        expect((await as(ann)('PUT', file, { headers: { if: '(<urn:uuid:not-a-lock>)' }, body: 'wrong token' })).status).to.equal(412);
        expect((await as(ann)('PUT', file, { headers: { if: `(<${token}> ["wrong-etag"])` }, body: 'wrong etag' })).status).to.equal(412);
        expect((await as(ann)('GET', file)).text).to.equal('f');

        expect((await as(ann)('PUT', files('Documents', 'a2.txt'), { body: 'other' })).status).to.equal(201);
        const elsewhere = await as(ann)('UNLOCK', files('Documents', 'a2.txt'), { headers: { 'lock-token': `<${token}>` } });
        expect(elsewhere.status).to.equal(409);
        expect(elsewhere.text).to.contain('lock-token-matches-request-uri');
        expect((await as(ann)('UNLOCK', file, { headers: { 'lock-token': '<opaquelocktoken:nope>' } })).status).to.equal(409);
        expect((await as(ann)('UNLOCK', file, { headers: { 'lock-token': 'no brackets' } })).status).to.equal(400);
        expect((await as(bob)('UNLOCK', files('Documents', 'secret.txt'), { headers: { 'lock-token': `<${token}>` } })).status).to.equal(409, 'bob\'s file is not covered by ann\'s lock');

        const ok = await as(ann)('PUT', file, { headers: { if: `(<${token}>)` }, body: 'with the token' });
        expect(ok.status).to.equal(204);
        expect((await as(ann)('UNLOCK', file, { headers: { 'lock-token': `<${token}>` } })).status).to.equal(204);
        expect((await as(ann)('PUT', file, { body: 'f' })).status).to.equal(204);
        expect((await as(ann)('DELETE', files('Documents', 'a2.txt'))).status).to.equal(204);
      });

      it('a lock token is its holder\'s alone: another writer who submits it still meets 423', async () => {
        const gina = await s.account('gina');
        const carl = await s.account('carl');
        const team = await s.group('Locks', gina, [carl]);
        await s.core.groups.grant(team.id, carl.id, ['write', 'delete'], gina.id);
        const file = files('Groups', 'Locks', 'doc.txt');
        expect((await as(gina)('PUT', file, { body: 'v1' })).status).to.equal(201);
        const lock = await as(gina)('LOCK', file, { headers: { depth: '0' }, body: LOCKINFO('exclusive') });
        expect(lock.status).to.equal(200);
        const token = String(lock.headers['lock-token']);
        expect((await as(carl)('PUT', file, { headers: { if: `(${token})` }, body: 'carl' })).status).to.equal(423);
        expect((await as(carl)('UNLOCK', file, { headers: { 'lock-token': token } })).status).to.equal(403);
        expect((await as(gina)('PUT', file, { headers: { if: `(${token})` }, body: 'v2' })).status).to.equal(204);
        expect((await as(carl)('GET', file)).text).to.equal('v2');
      });
    });

    describe('quota (RFC 4331), with the tiny plan of 100,000 bytes', () => {
      it('quota-used-bytes and quota-available-bytes follow every write, on the personal and on a group space', async () => {
        const docs = files('Documents', '');
        expect(await quotaOf(tina, docs)).to.deep.equal({ used: 0, available: LIMIT });
        expect((await as(tina)('PUT', files('Documents', 'one.bin'), { body: Buffer.alloc(30_000, 1) })).status).to.equal(201);
        expect(await quotaOf(tina, docs)).to.deep.equal({ used: 30_000, available: LIMIT - 30_000 });
        expect(await quotaOf(tina, files('Documents', 'one.bin'))).to.deep.equal({ used: 30_000, available: LIMIT - 30_000 });
        expect((await as(tina)('PUT', files('Documents', 'one.bin'), { body: Buffer.alloc(10_000, 1) })).status).to.equal(204);
        expect(await quotaOf(tina, docs)).to.deep.equal({ used: 10_000, available: LIMIT - 10_000 }, 'a replaced file counts once');
        expect((await as(tina)('COPY', files('Documents', 'one.bin'), { headers: { destination: `${s.origin}${files('Documents', 'two.bin')}` } })).status).to.equal(201);
        expect(await quotaOf(tina, docs)).to.deep.equal({ used: 20_000, available: LIMIT - 20_000 });
        // a group's quota is its own, from its administrator's plan, shared by its members
        const group = await s.group('Tiny', tina, [bob]);
        await s.core.groups.grant(group.id, 'all', ['write', 'delete'], tina.id);
        const gdocs = files('Groups', 'Tiny', '');
        expect(await quotaOf(tina, gdocs)).to.deep.equal({ used: 0, available: LIMIT });
        expect((await as(bob)('PUT', files('Groups', 'Tiny', 'b.bin'), { body: Buffer.alloc(25_000, 2) })).status).to.equal(201);
        expect(await quotaOf(tina, gdocs)).to.deep.equal({ used: 25_000, available: LIMIT - 25_000 });
        expect(await quotaOf(bob, gdocs)).to.deep.equal({ used: 25_000, available: LIMIT - 25_000 });
        expect(await quotaOf(tina, docs)).to.deep.equal({ used: 20_000, available: LIMIT - 20_000 });
        expect((await as(bob)('PUT', files('Groups', 'Tiny', 'big.bin'), { body: Buffer.alloc(80_000, 2) })).status).to.equal(507, 'bob\'s own plan does not lift the group\'s');
        for (const name of ['one.bin', 'two.bin']) expect((await as(tina)('DELETE', files('Documents', name))).status).to.equal(204);
        expect(await quotaOf(tina, docs)).to.deep.equal({ used: 0, available: LIMIT });
        await s.core.groups.delete(group.id, tina.id);
      });

      it('a PUT over the quota is 507 with DAV:quota-not-exceeded, and leaves no file, no blob, no usage', async () => {
        expect((await as(tina)('PUT', files('Documents', 'base.bin'), { body: Buffer.alloc(60_000, 3) })).status).to.equal(201);
        const blobs = await s.blobFiles();
        const used = await usage(tina);
        expect(used).to.equal(60_000);
        const r = await as(tina)('PUT', files('Documents', 'over.bin'), { body: Buffer.alloc(50_000, 4) });
        expect(r.status).to.equal(507);
        expect(r.headers['content-type']).to.match(/^application\/xml/);
        expect(r.text).to.match(/<D:error xmlns:D="DAV:"><D:quota-not-exceeded>/);
        const over = await as(tina)('PUT', files('Documents', 'base.bin'), { body: Buffer.alloc(100_001, 4) });
        expect(over.status).to.equal(507, 'replacing a file by one larger than the whole quota');
        expect((await as(tina)('GET', files('Documents', 'over.bin'))).status).to.equal(404);
        expect((await as(tina)('GET', files('Documents', 'base.bin'))).body).to.deep.equal(Buffer.alloc(60_000, 3));
        expect(await s.blobFiles()).to.deep.equal(blobs);
        expect(await usage(tina)).to.equal(used);
      });

      it('a chunked PUT that grows past the quota while it streams is 507, and leaves nothing', async () => {
        const blobs = await s.blobFiles();
        const used = await usage(tina);
        const r = await as(tina)('PUT', files('Documents', 'stream.bin'), { body: trickle(300_000) });
        expect(r.status).to.equal(507);
        expect(r.text).to.contain('quota-not-exceeded');
        expect((await as(tina)('GET', files('Documents', 'stream.bin'))).status).to.equal(404);
        expect(await s.blobFiles()).to.deep.equal(blobs, 'no blob, no temporary file');
        expect(await usage(tina)).to.equal(used);
        // a chunked PUT that fits is stored whole
        expect((await as(tina)('PUT', files('Documents', 'fits.bin'), { body: trickle(20_000) })).status).to.equal(201);
        expect((await as(tina)('GET', files('Documents', 'fits.bin'))).body.length).to.equal(20_000);
        expect((await as(tina)('DELETE', files('Documents', 'fits.bin'))).status).to.equal(204);
        expect((await as(tina)('DELETE', files('Documents', 'base.bin'))).status).to.equal(204);
      });

      it('a COPY or MOVE over the quota is 507 and leaves no half copy, and an overwritten destination stays', async () => {
        const kim = await s.account('kim', 'tiny');
        const k = as(kim);
        expect((await k('MKCOL', files('Documents', 'src'))).status).to.equal(201);
        for (const n of ['1', '2']) expect((await k('PUT', files('Documents', 'src', `${n}.bin`), { body: Buffer.alloc(30_000, 1) })).status).to.equal(201);
        expect((await k('PUT', files('Documents', 'small.bin'), { body: Buffer.alloc(10_000, 2) })).status).to.equal(201);
        const blobs = await s.blobFiles();
        const snapshot = async () => listing((await k('PROPFIND', files('Documents', ''), { headers: { depth: '1' } })).text, files('Documents', ''));
        const before = await snapshot();
        expect(before).to.deep.equal(['small.bin', 'src']);
        // 70,000 used; a copy of src/ needs 60,000 more
        const copy = await k('COPY', files('Documents', 'src', ''), { headers: { destination: `${s.origin}${files('Documents', 'copy', '')}` } });
        expect(copy.status).to.equal(507);
        expect(copy.text).to.contain('quota-not-exceeded');
        expect(await snapshot()).to.deep.equal(before, 'no half copy');
        // a copy onto an existing file that would not fit: the file that was there stays (70,000 + 60,000 - 10,000 > 100,000)
        const over = await k('COPY', files('Documents', 'src', ''), { headers: { destination: `${s.origin}${files('Documents', 'small.bin')}` } });
        expect(over.status).to.equal(507);
        expect(await snapshot()).to.deep.equal(before);
        expect((await k('GET', files('Documents', 'small.bin'))).body).to.deep.equal(Buffer.alloc(10_000, 2));
        // moving into a group space (another quota) that is too small
        const group = await s.group('Kims', kim);
        expect((await k('PUT', files('Groups', 'Kims', 'fill.bin'), { body: Buffer.alloc(50_000, 3) })).status).to.equal(201);
        const move = await k('MOVE', files('Documents', 'src', ''), { headers: { destination: `${s.origin}${files('Groups', 'Kims', 'src', '')}` } });
        expect(move.status).to.equal(507);
        expect(listing((await k('PROPFIND', files('Groups', 'Kims', ''), { headers: { depth: '1' } })).text, files('Groups', 'Kims', ''))).to.deep.equal(['fill.bin']);
        expect(listing((await k('PROPFIND', files('Documents', 'src', ''), { headers: { depth: '1' } })).text, files('Documents', 'src', ''))).to.deep.equal(['1.bin', '2.bin']);
        expect(await usage(kim)).to.equal(70_000);
        expect(await s.core.store.getUsage(group.spaceId, 'files')).to.equal(50_000);
        expect((await s.blobFiles()).length).to.equal(blobs.length + 1);
        // what fits is copied whole
        expect((await k('DELETE', files('Documents', 'small.bin'))).status).to.equal(204);
        expect((await k('DELETE', files('Documents', 'src', '2.bin'))).status).to.equal(204);
        expect((await k('COPY', files('Documents', 'src', ''), { headers: { destination: `${s.origin}${files('Documents', 'copy', '')}` } })).status).to.equal(201);
        expect(await usage(kim)).to.equal(60_000);
      });

      it('a PUT its client abandons halfway leaves no file, no blob, no temporary file, no usage', async () => {
        const blobs = await s.blobFiles();
        const used = await usage(bob);
        await new Promise<void>((resolve, reject) => {
          const req = httpsRequest({
            host: '127.0.0.1', servername: 'localhost', port: s.port, method: 'PUT', path: files('Documents', 'half.bin'), ca: s.ca, agent: false,
            headers: { host: `localhost:${s.port}`, authorization: basic(bob.address, DAV_PASSWORD), 'content-length': 50_000 },
          });
          req.on('error', () => resolve()); // the socket we destroy
          req.on('response', (res) => reject(new Error(`an answer (${res.statusCode}) to a body that never came`)));
          req.write(Buffer.alloc(20_000, 5), () => setTimeout(() => req.destroy(), 100));
        });
        // the server notices the abandoned body at once; wait (boundedly) until its temporary file is gone
        for (let i = 0; i < 100 && (await s.blobFiles()).length !== blobs.length; i++) await sleep(20);
        expect(await s.blobFiles()).to.deep.equal(blobs);
        expect(await usage(bob)).to.equal(used);
        expect((await as(bob)('GET', files('Documents', 'half.bin'))).status).to.equal(404);
      });

      it('ten concurrent PUTs that together exceed the quota never take usage above it', async () => {
        const sam = await s.account('sam', 'tiny');
        const before = (await s.blobFiles()).length;
        const size = 15_000;
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.dav('PUT', files('Documents', `c${i}.bin`), {
          user: sam, body: i % 2 === 0 ? Buffer.alloc(size, i) : trickle(size, 5_000),
        })));
        const statuses = results.map(statusOf);
        for (const st of statuses) expect([201, 507]).to.include(st);
        const stored = statuses.filter((st) => st === 201).length;
        expect(stored).to.equal(Math.floor(LIMIT / size));
        const used = await usage(sam);
        expect(used).to.equal(stored * size).and.to.be.at.most(LIMIT);
        expect(await quotaOf(sam, files('Documents', ''))).to.deep.equal({ used, available: LIMIT - used });
        const names = listing((await as(sam)('PROPFIND', files('Documents', ''), { headers: { depth: '1' } })).text, files('Documents', ''));
        expect(names).to.have.length(stored);
        expect((await s.blobFiles()).length).to.equal(before + stored, 'the refused ones left no blob');
      });
    });

    describe('GET, HEAD, ranges and conditions', () => {
      const path = files('Documents', 'range.txt');
      let etag: string;
      before(async () => {
        const r = await as(ann)('PUT', path, { body: 'abcdefghij', headers: { 'content-type': 'text/plain' } });
        expect(r.status).to.equal(201);
        etag = String(r.headers.etag);
      });

      it('a byte range is 206 with Content-Range; a suffix range; an open range; outside the file 416', async () => {
        const cases: [string, number, string, string][] = [
          ['bytes=2-4', 206, 'cde', 'bytes 2-4/10'],
          ['bytes=-3', 206, 'hij', 'bytes 7-9/10'],
          ['bytes=5-', 206, 'fghij', 'bytes 5-9/10'],
          ['bytes=8-100', 206, 'ij', 'bytes 8-9/10'],
          ['bytes=0-0', 206, 'a', 'bytes 0-0/10'],
        ];
        for (const [range, status, body, contentRange] of cases) {
          const r = await as(ann)('GET', path, { headers: { range } });
          expect([r.status, r.text, r.headers['content-range'], r.headers['content-length']], range).to.deep.equal([status, body, contentRange, String(body.length)]);
        }
        for (const range of ['bytes=10-', 'bytes=20-30', 'bytes=-0']) {
          const r = await as(ann)('GET', path, { headers: { range } });
          expect(r.status, range).to.equal(416);
          expect(r.headers['content-range']).to.equal('bytes */10');
        }
        const whole = await as(ann)('GET', path, { headers: { range: 'items=1-2' } });
        expect([whole.status, whole.text]).to.deep.equal([200, 'abcdefghij']);
        expect(whole.headers['accept-ranges']).to.equal('bytes');
        const stale = await as(ann)('GET', path, { headers: { range: 'bytes=0-1', 'if-range': '"stale"' } });
        expect([stale.status, stale.text]).to.deep.equal([200, 'abcdefghij']);
      });

      it('If-None-Match is 304; the ETag changes with every PUT; If-Match guards a PUT; HEAD has the headers and no body', async () => {
        expect(etag).to.match(/^"[^"]+"$/);
        const same = await as(ann)('GET', path, { headers: { 'if-none-match': etag } });
        expect([same.status, same.body.length]).to.deep.equal([304, 0]);
        expect(same.headers.etag).to.equal(etag);
        const head = await as(ann)('HEAD', path);
        expect([head.status, head.body.length, head.headers['content-length'], head.headers.etag, head.headers['content-type']])
          .to.deep.equal([200, 0, '10', etag, 'text/plain']);
        expect(Date.parse(String(head.headers['last-modified']))).to.be.a('number').and.not.NaN;
        const put = await as(ann)('PUT', path, { body: 'ABCDEFGHIJ', headers: { 'if-match': etag } });
        expect(put.status).to.equal(204);
        const next = String(put.headers.etag);
        expect(next).to.not.equal(etag);
        const changed = await as(ann)('GET', path, { headers: { 'if-none-match': etag } });
        expect([changed.status, changed.text, changed.headers.etag]).to.deep.equal([200, 'ABCDEFGHIJ', next]);
        expect((await as(ann)('PUT', path, { body: 'lost update', headers: { 'if-match': etag } })).status).to.equal(412);
        expect((await as(ann)('PUT', path, { body: 'x', headers: { 'if-none-match': '*' } })).status).to.equal(412);
        expect((await as(ann)('GET', path, { headers: { 'if-match': etag } })).status).to.equal(412);
        expect((await as(ann)('GET', path)).text).to.equal('ABCDEFGHIJ');
        const propEtag = prop((await as(ann)('PROPFIND', path, { headers: { depth: '0' } })).text, 'getetag');
        expect(propEtag?.replace(/&quot;/g, '"')).to.equal(next);
        etag = next;
      });

      it('HEAD and GET of a missing file are 404 in plain text', async () => {
        const head = await as(ann)('HEAD', files('Documents', 'missing.txt'));
        expect([head.status, head.body.length]).to.deep.equal([404, 0]);
        const get = await as(ann)('GET', files('Documents', 'missing.txt'));
        expect(get.status).to.equal(404);
        expect(get.headers['content-type']).to.match(/^text\/plain/);
      });
    });

    describe('OPTIONS and authentication', () => {
      it('OPTIONS answers DAV: 1, 2, 3 and MS-Author-Via: DAV without credentials', async () => {
        for (const path of ['/files/', files('Documents', ''), '/files', '*']) {
          const r = await s.dav('OPTIONS', path);
          expect(r.status, path).to.equal(200);
          expect(r.headers.dav).to.equal('1, 2, 3');
          expect(r.headers['ms-author-via']).to.equal('DAV');
          expect(String(r.headers.allow)).to.contain('PROPFIND').and.contain('LOCK');
        }
      });

      it('no credentials, a wrong password, an unknown account or a malformed header is 401 with WWW-Authenticate: Basic', async () => {
        const tries: Record<string, Record<string, string>> = {
          'no credentials': {},
          'a wrong password': { authorization: basic(ann.address, 'wrong-password-here') },
          'an unknown account': { authorization: basic('nobody@example.test', DAV_PASSWORD) },
          'no colon': { authorization: `Basic ${Buffer.from('ann@example.test').toString('base64')}` },
          'not base64': { authorization: 'Basic !!!' },
          'another scheme': { authorization: 'Bearer abc' },
        };
        for (const [what, headers] of Object.entries(tries)) {
          for (const method of ['PROPFIND', 'GET', 'PUT']) {
            const r = await s.dav(method, files('Documents', 'a.txt'), { headers: { depth: '0', ...headers }, ...(method === 'PUT' ? { body: 'x' } : {}) });
            expect(r.status, `${what}, ${method}`).to.equal(401);
            expect(String(r.headers['www-authenticate'])).to.match(/^Basic realm="Bureau"/);
          }
        }
        expect((await as(ann)('GET', files('Documents', 'a.txt'))).text).to.equal('ann\'s a');
      });

      it('a plan without the clients feature is 403, with the right password', async () => {
        const r = await as(fred)('PROPFIND', files('Documents', ''), { headers: { depth: '0' } });
        expect(r.status).to.equal(403);
        expect(r.text).to.contain('free');
        expect((await as(fred)('PUT', files('Documents', 'x.txt'), { body: 'x' })).status).to.equal(403);
        expect(await usage(fred)).to.equal(0);
      });
    });

    describe('macOS metadata and Windows properties', () => {
      it('with the default (keep), ._x and .DS_Store are kept like any file', async () => {
        for (const name of ['._report.docx', '.DS_Store']) {
          expect((await as(ann)('PUT', files('Documents', name), { body: 'mac' })).status, name).to.equal(201);
          expect((await as(ann)('GET', files('Documents', name))).text).to.equal('mac');
          expect((await as(ann)('DELETE', files('Documents', name))).status).to.equal(204);
        }
      });

      it('Win32 properties set by PROPPATCH are read back by PROPFIND, on a file and on a folder', async () => {
        const values = {
          Win32CreationTime: 'Thu, 26 Nov 2026 10:00:00 GMT',
          Win32LastAccessTime: 'Thu, 26 Nov 2026 10:01:00 GMT',
          Win32LastModifiedTime: 'Thu, 26 Nov 2026 10:02:00 GMT',
          Win32FileAttributes: '00000020',
        };
        const set = `${XML}<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>${Object.entries(values).map(([k, v]) => `<Z:${k}>${v}</Z:${k}>`).join('')}</D:prop></D:set></D:propertyupdate>`;
        const ask = `${XML}<D:propfind xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:prop>${Object.keys(values).map((k) => `<Z:${k}/>`).join('')}</D:prop></D:propfind>`;
        for (const path of [files('Documents', 'a.txt'), files('Documents', 'dir', '')]) {
          const r = await as(ann)('PROPPATCH', path, { body: set });
          expect(r.status, path).to.equal(207);
          expect(r.text.match(/HTTP\/1\.1 200 OK/g)).to.have.length(1);
          expect(r.text).to.not.match(/HTTP\/1\.1 (403|409|424)/);
          const back = await as(ann)('PROPFIND', path, { headers: { depth: '0' }, body: ask });
          expect(back.status).to.equal(207);
          for (const [k, v] of Object.entries(values)) {
            expect(back.text, k).to.contain(`<${k} xmlns="urn:schemas-microsoft-com:">${v}</${k}>`);
          }
          expect(back.text).to.not.contain('404 Not Found');
        }
        // and a file keeps them when its content is replaced
        expect((await as(ann)('PUT', files('Documents', 'a.txt'), { body: 'ann\'s a' })).status).to.equal(204);
        const kept = await as(ann)('PROPFIND', files('Documents', 'a.txt'), { headers: { depth: '0' }, body: ask });
        expect(kept.text).to.contain('<Win32FileAttributes xmlns="urn:schemas-microsoft-com:">00000020</Win32FileAttributes>');
      });
    });

    describe('errors', () => {
      it('no error of this whole suite came as an HTML page, and every one said what it is', async () => {
        expect(s.errors.length).to.be.above(100);
        const html = s.errors.filter((e) => /html/i.test(e.type));
        expect(html, JSON.stringify(html.slice(0, 5))).to.deep.equal([]);
        const untyped = s.errors.filter((e) => e.method !== 'HEAD' && !/^(text\/plain|application\/xml)/.test(e.type));
        expect(untyped, JSON.stringify(untyped.slice(0, 5))).to.deep.equal([]);
        // and the server still serves
        expect((await as(ann)('GET', files('Documents', 'a.txt'))).status).to.equal(200);
      });
    });
  });

  describe(`WebDAV settings on ${backend}: Depth infinity on, macOS metadata refused`, function () {
    this.timeout(60_000);
    let s: DavServer;
    let ann: Account;
    before(async () => {
      s = await startDav(backend, { env: { BUREAU_DAV_DEPTH_INFINITY: 'on', BUREAU_FILES_MACOS_METADATA: 'refuse' } });
      ann = await s.account('ann');
    });
    after(async () => s?.stop());

    it('PROPFIND Depth: infinity lists the whole tree', async () => {
      expect((await s.dav('MKCOL', files('Documents', 'x'), { user: ann })).status).to.equal(201);
      expect((await s.dav('MKCOL', files('Documents', 'x', 'y'), { user: ann })).status).to.equal(201);
      expect((await s.dav('PUT', files('Documents', 'x', 'y', 'z.txt'), { user: ann, body: 'z' })).status).to.equal(201);
      const r = await s.dav('PROPFIND', files('Documents', ''), { user: ann, headers: { depth: 'infinity' } });
      expect(r.status).to.equal(207);
      const hrefs = [...r.text.matchAll(/<D:response><D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]);
      expect(hrefs).to.deep.equal(['/files/Documents/', '/files/Documents/x/', '/files/Documents/x/y/', '/files/Documents/x/y/z.txt']);
    });

    it('._x and .DS_Store are refused with 403, by PUT, MKCOL, COPY and MOVE', async () => {
      expect((await s.dav('PUT', files('Documents', 'plain.txt'), { user: ann, body: 'p' })).status).to.equal(201);
      const before = await s.blobFiles();
      for (const name of ['._plain.txt', '.DS_Store', '._']) {
        const put = await s.dav('PUT', files('Documents', name), { user: ann, body: 'mac' });
        expect(put.status, name).to.equal(403);
        expect(put.headers['content-type']).to.match(/^text\/plain/);
        expect((await s.dav('MKCOL', files('Documents', name), { user: ann })).status).to.equal(403);
        for (const method of ['COPY', 'MOVE']) {
          const r = await s.dav(method, files('Documents', 'plain.txt'), { user: ann, headers: { destination: `${s.origin}${files('Documents', name)}` } });
          expect(r.status, `${method} ${name}`).to.equal(403);
        }
      }
      expect(listing((await s.dav('PROPFIND', files('Documents', ''), { user: ann, headers: { depth: '1' } })).text, files('Documents', ''))).to.deep.equal(['plain.txt', 'x']);
      expect(await s.blobFiles()).to.deep.equal(before);
      expect((await s.dav('PUT', files('Documents', 'a._b'), { user: ann, body: 'not metadata' })).status).to.equal(201);
    });
  });
}

describe('WebDAV: a 200 MiB PUT streamed through a spawned server', function () {
  this.timeout(120_000);
  const SIZE = 200 * 1024 * 1024;
  let s: DavServer;
  let ann: Account;
  before(async () => {
    s = await startDav(BACKENDS[0] ?? 'sqlite', { spawn: true });
    ann = await s.account('ann');
  });
  after(async () => s?.stop());

  /** The server's peak resident set size so far, in bytes (Linux /proc). */
  const peak = async (): Promise<number> => {
    const status = await readFile(`/proc/${s.child!.child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
  };

  it('is stored while the server\'s memory stays far below its size, and comes back byte-identical', async () => {
    // Warm up with 64 MiB first: the heap's young generation and TLS buffers
    // grow to their working size once (some 50 MiB, whatever the file's size),
    // so that the growth measured after is what the big file itself costs.
    const warm = Buffer.alloc(64 << 20, 7);
    expect((await s.dav('PUT', files('Documents', 'warm.bin'), { user: ann, body: warm })).status).to.equal(201);
    expect((await s.dav('GET', files('Documents', 'warm.bin'), { user: ann })).body.equals(warm)).to.equal(true);
    const before = await peak();
    const sent = createHash('sha256');
    const block = randomBytes(1 << 20);
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < SIZE / block.length; i++) {
        const chunk = Buffer.from(block);
        chunk.writeUInt32BE(i, 0); // every MiB differs
        sent.update(chunk);
        yield chunk;
      }
    }
    const put = await s.dav('PUT', files('Documents', 'big.bin'), { user: ann, body: body(), headers: { 'content-length': SIZE, 'content-type': 'application/octet-stream' } });
    expect(put.status).to.equal(201);
    const expected = sent.digest('hex');
    // the GET is hashed as it streams, never held whole here either
    const got = await new Promise<{ status: number; sha: string; length: number }>((resolve, reject) => {
      void (async () => {
        const { request } = await import('node:https');
        const req = request({
          host: '127.0.0.1', servername: 'localhost', port: s.port, path: files('Documents', 'big.bin'), ca: s.ca,
          headers: { authorization: basic(ann.address, DAV_PASSWORD), host: `localhost:${s.port}` },
        }, (res) => {
          const h = createHash('sha256');
          let length = 0;
          res.on('data', (d: Buffer) => { h.update(d); length += d.length; });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, sha: h.digest('hex'), length }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      })();
    });
    expect(got).to.deep.equal({ status: 200, sha: expected, length: SIZE });
    const after = await peak();
    const growth = after - before;
    // held whole, the file alone would add 200 MiB; streamed, the peak barely moves
    expect(growth, `peak grew by ${(growth / 2 ** 20).toFixed(1)} MiB (from ${(before / 2 ** 20).toFixed(1)} MiB)`).to.be.below(40 * 2 ** 20);
    const item = await s.core.store.getItemByName((await s.core.store.findCollectionByRole(ann.spaceId, 'files', 'documents'))!.id, 'big.bin');
    expect(item?.size).to.equal(SIZE);
    expect(item?.meta.sha256).to.equal(expected);
  });
});
