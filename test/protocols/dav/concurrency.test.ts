// Several clients at once on the drive: writers of one file without
// conditions all succeed and the last one wins (as with Apache and nginx);
// conditional writers still get 412; a PROPFIND of a big folder streams.
import { expect } from 'chai';
import { BACKENDS } from '../../support/store.ts';
import { files, hrefs, startDav, type DavServer } from '../../support/dav.ts';

for (const backend of BACKENDS) {
  describe(`dav: concurrent clients on ${backend}`, function () {
    this.timeout(60_000);
    let server: DavServer;
    before(async () => { server = await startDav(backend); });
    after(async () => server.stop());

    it('16 unconditional PUTs of one file all succeed; the file holds one of the bodies whole', async () => {
      const ann = await server.account('conc');
      const path = files('Documents', 'shared.bin');
      expect((await server.dav('PUT', path, { user: ann, body: 'first' })).status).to.equal(201);
      const bodies = Array.from({ length: 16 }, (_, i) => `body number ${i} `.repeat(200));
      const answers = await Promise.all(bodies.map((body) => server.dav('PUT', path, { user: ann, body })));
      expect(answers.map((a) => a.status)).to.deep.equal(bodies.map(() => 204));
      const now = (await server.dav('GET', path, { user: ann })).text;
      expect(bodies).to.include(now);
    });

    it('concurrent creations of a new name all succeed, and one file remains', async () => {
      const ann = await server.account('conc2');
      const path = files('Documents', 'new.txt');
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => server.dav('PUT', path, { user: ann, body: `v${i}` })));
      expect(answers.every((a) => a.status === 201 || a.status === 204)).to.equal(true, answers.map((a) => a.status).join(','));
      const list = await server.dav('PROPFIND', files('Documents', ''), { user: ann, headers: { depth: '1' } });
      expect(hrefs(list.text).filter((h) => h.endsWith('/new.txt'))).to.have.length(1);
    });

    it('conditional writers racing on one etag: exactly one wins, the others get 412', async () => {
      const ann = await server.account('conc3');
      const path = files('Documents', 'cond.txt');
      const made = await server.dav('PUT', path, { user: ann, body: 'v0' });
      const etag = String(made.headers.etag);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => server.dav('PUT', path, { user: ann, body: `v${i + 1}`, headers: { 'if-match': etag } })));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 204)).to.have.length(1);
      expect(statuses.filter((s) => s === 412)).to.have.length(7);
    });

    it('a PROPFIND Depth 1 of 2,000 files answers every entry, with each file\'s lock state', async () => {
      const ann = await server.account('many');
      await server.dav('MKCOL', files('Documents', 'many', ''), { user: ann });
      for (let i = 0; i < 2000; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => server.dav('PUT', files('Documents', 'many', `f${i + j}.txt`), { user: ann, body: 'x' })));
      }
      const locked = await server.dav('LOCK', files('Documents', 'many', 'f7.txt'), {
        user: ann, body: '<?xml version="1.0"?><lockinfo xmlns="DAV:"><lockscope><exclusive/></lockscope><locktype><write/></locktype></lockinfo>',
      });
      expect(locked.status).to.equal(200);
      const list = await server.dav('PROPFIND', files('Documents', 'many', ''), { user: ann, headers: { depth: '1' } });
      expect(list.status).to.equal(207);
      expect(list.text.match(/<D:response>/g)).to.have.length(2001);
      expect(list.text.match(/<D:activelock>/g)).to.have.length(1);
    });
  });
}
