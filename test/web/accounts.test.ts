// Account care on the web site over real HTTPS on the real server and store,
// both backends: password reset by a link to the confirmed contact address
// (no enumeration, single use, expiry, sessions ended, rate limit), the
// address of a destroyed account held back from sign-up, destruction leaving
// nothing of the account, and the profile photo (multipart upload, checks,
// the member directory's PHOTO, removal).
import { expect } from 'chai';
import { resetTokenHash } from '../../src/core/password-reset.ts';
import { startDav, DAV_PASSWORD, DOMAIN, files, type DavServer } from '../support/dav.ts';
import type { Backend } from '../support/store.ts';
import { Browser, type Answer } from './client.ts';
import { png } from './images.ts';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const RESETS_PER_HOUR = 12;
const SAME_ANSWER = 'a link to choose a new password is on its way to that address';

/** The start of a JPEG (SOI, a JFIF APP0 segment) and its end (EOI): what the server tells a JPEG by. */
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
const GIF = Buffer.from('474946383961010001000000002c00000000010001000002024401003b', 'hex');

/** Unfolds a vCard and returns the value of its PHOTO line, or null. */
function photoOf(card: string): string | null {
  const line = card.replace(/\r\n[ \t]/g, '').split('\r\n').find((l) => l.startsWith('PHOTO'));
  return line ? line.slice(line.indexOf(':') + 1) : null;
}

for (const backend of BACKENDS) {
  describe(`web site accounts (${backend})`, function () {
    let server: DavServer;
    const browser = (): Browser => new Browser(server.port, server.ca);

    before(async () => {
      server = await startDav(backend, {
        env: { BUREAU_SMTP_RELAY: 'smtp://127.0.0.1:9', BUREAU_SIGNUPS_PER_HOUR: '100', BUREAU_RESETS_PER_HOUR: String(RESETS_PER_HOUR), BUREAU_RESET_LINK_HOURS: '3' },
      });
    });
    after(async () => server?.stop());

    /** The messages queued for `to`, oldest first. */
    async function mailTo(to: string): Promise<string[]> {
      return (await server.core.store.listOutbound()).filter((m) => m.recipients.includes(to)).map((m) => m.raw.toString('utf8'));
    }

    /** Waits (bounded) until `to` has `count` messages; the last one. */
    async function nthMail(to: string, count: number): Promise<string> {
      for (let i = 0; i < 200; i++) {
        const msgs = await mailTo(to);
        if (msgs.length >= count) return msgs[count - 1]!;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no message number ${count} for ${to}`);
    }

    const resetLink = (raw: string): string => /\/reset\/new\?token=([A-Za-z0-9_-]{43})/.exec(raw)![1]!;

    /** An account made by the web sign-up and activated through its mailed link: it has a confirmed contact address. */
    async function signedUp(local: string, contact: string): Promise<{ id: number; address: string }> {
      const b = browser();
      const r = await b.submit('/signup', '/signup', { name: '', local, domain: DOMAIN, password: 'the-first-password', contact });
      expect(r.status, r.text).to.equal(200);
      const token = /\/activate\?token=([A-Za-z0-9_-]{43})/.exec(await nthMail(contact, 1))![1]!;
      const page = await b.get(`/activate?token=${token}`);
      expect((await b.post('/activate', { csrf: Browser.csrf(page), token })).location).to.equal('/login?done=activated');
      const a = await server.core.accounts.byAddress(`${local}@${DOMAIN}`);
      return { id: a.id, address: a.address };
    }

    describe('password reset', () => {
      it('is offered on the login page, with a labelled address field', async () => {
        const login = await browser().get('/login');
        expect(login.text).to.include('<a href="/reset">Forgot your password?</a>');
        const form = await browser().get('/reset');
        expect(form.status).to.equal(200);
        expect(form.text).to.match(/<label for="address">/).and.match(/autocomplete="username"/).and.include('action="/reset"');
      });

      it('sends a single-use link to the confirmed address; the new password works, the old one and every session end', async () => {
        const fay = await signedUp('fay', 'fay@elsewhere.test');
        const one = browser();
        const two = browser();
        expect((await one.login(fay.address, 'the-first-password')).status).to.equal(302);
        expect((await two.login(fay.address, 'the-first-password')).status).to.equal(302);
        const ask = await browser().submit('/reset', '/reset', { address: fay.address.toUpperCase() });
        expect(ask.status).to.equal(200);
        expect(ask.text).to.include(SAME_ANSWER).and.include('within 3 hours');
        const mail = await nthMail('fay@elsewhere.test', 2);
        expect(mail).to.match(/^Subject: Reset the password of fay@example\.test$/m).and.include('works once, for 3 hours');
        const token = resetLink(mail);
        // opening the link changes nothing (a mail scanner may open it)
        const b = browser();
        const page = await b.get(`/reset/new?token=${token}`);
        expect(page.status).to.equal(200);
        expect(page.text).to.include(fay.address).and.match(/autocomplete="new-password"/);
        expect((await one.get('/settings')).status).to.equal(200);
        // the policy is enforced and the link still works after a refusal
        const weak = await b.post('/reset/new', { csrf: Browser.csrf(page), token, password: 'short' });
        expect(weak.status).to.equal(400);
        expect(weak.text).to.include('too short').and.include('name="token"');
        const done = await b.post('/reset/new', { csrf: Browser.csrf(page), token, password: 'the-reset-password' });
        expect(done.location).to.equal('/login?done=password-reset');
        expect((await b.get('/login?done=password-reset')).text).to.include('Your new password is set');
        // every session of the account ended: a session used after the reset lands on the login page
        expect((await one.get('/settings')).location).to.equal('/login');
        expect((await two.get('/settings')).location).to.equal('/login');
        expect(await server.core.store.listSessions(fay.id)).to.deep.equal([]);
        expect((await browser().login(fay.address, 'the-first-password')).status).to.equal(401);
        expect((await browser().login(fay.address, 'the-reset-password')).status).to.equal(302);
        // replayed: a clear page, nothing changed
        const replay = await b.post('/reset/new', { csrf: Browser.csrf(page), token, password: 'a-third-password' });
        expect(replay.status).to.equal(410);
        expect(replay.text).to.include('This password reset link does not work').and.include('Nothing was changed');
        expect((await b.get(`/reset/new?token=${token}`)).status).to.equal(410);
        expect((await browser().login(fay.address, 'the-reset-password')).status).to.equal(302);
        // only the hash of the link was kept, and it is gone once used
        expect(await server.core.store.getPasswordReset(token, Date.now())).to.equal(null);
        expect(await server.core.store.getPasswordReset(resetTokenHash(token), Date.now())).to.equal(null);
      });

      it('answers the same whether the address exists, is pending, has no confirmed address, or is unknown; mails only the real one', async () => {
        const gil = await signedUp('gil', 'gil@elsewhere.test');
        const pending = browser();
        await pending.submit('/signup', '/signup', { name: '', local: 'pen', domain: DOMAIN, password: 'the-first-password', contact: 'pen@elsewhere.test' });
        const bare = await server.account('bare'); // made by the operator: no contact address
        const answers: Answer[] = [];
        for (const address of [`nobody@${DOMAIN}`, `pen@${DOMAIN}`, bare.address, gil.address]) {
          answers.push(await browser().submit('/reset', '/reset', { address }));
        }
        const shape = (a: Answer): string => a.text.replace(/If \S+ is an account/, 'If X is an account');
        for (const a of answers) {
          expect(a.status).to.equal(200);
          expect(shape(a)).to.equal(shape(answers[0]!));
        }
        // requests are worked on in order: once gil's link is out, the others were handled
        resetLink(await nthMail('gil@elsewhere.test', 2));
        expect(await mailTo('pen@elsewhere.test')).to.have.length(1); // its activation link only
        const all = await server.core.store.listOutbound();
        expect(all.filter((m) => /\/reset\/new\?token=/.test(m.raw.toString('utf8'))).map((m) => m.recipients)).to.not.deep.include([`nobody@${DOMAIN}`]);
        expect(all.some((m) => m.recipients.includes(bare.address))).to.equal(false);
      });

      it('lets the owner in at once after a reset, even when failed tries had blocked the account', async () => {
        const ivy = await signedUp('ivy', 'ivy@elsewhere.test');
        const attacker = browser();
        // the tries come from this machine, as the other tests' do: the client address's count is forgotten, the account's kept
        const forgetClient = (): Promise<void> => server.core.throttle.succeed(['ip:127.0.0.1', 'ip:::ffff:127.0.0.1']);
        await forgetClient();
        for (let i = 0; i < 10; i++) expect((await attacker.login(ivy.address, 'guessing-wrong')).status).to.equal(401);
        await forgetClient();
        const blocked = await browser().login(ivy.address, 'the-first-password');
        expect(blocked.status).to.equal(429);
        await browser().submit('/reset', '/reset', { address: ivy.address });
        const token = resetLink(await nthMail('ivy@elsewhere.test', 2));
        const b = browser();
        const page = await b.get(`/reset/new?token=${token}`);
        expect((await b.post('/reset/new', { csrf: Browser.csrf(page), token, password: 'ivy-new-password' })).location).to.equal('/login?done=password-reset');
        expect((await browser().login(ivy.address, 'ivy-new-password')).status).to.equal(302);
      });

      it('refuses expired, tampered, malformed and missing links with a clear page, changing nothing', async () => {
        const hal = await signedUp('hal', 'hal@elsewhere.test');
        await browser().submit('/reset', '/reset', { address: hal.address });
        const token = resetLink(await nthMail('hal@elsewhere.test', 2));
        const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
        const b = browser();
        const form = await b.get('/reset');
        for (const bad of [tampered, 'abc', '', `${token}x`]) {
          expect((await b.get(`/reset/new?token=${encodeURIComponent(bad)}`)).status).to.equal(410);
          const r = await b.post('/reset/new', { csrf: Browser.csrf(form), token: bad, password: 'a-new-long-password' });
          expect(r.status).to.equal(410);
          expect(r.text).to.include('Ask for a new link');
        }
        // the real link, once its time has passed
        const kept = (await server.core.store.getPasswordReset(resetTokenHash(token), Date.now()))!;
        expect(kept.expiresAt - kept.createdAt).to.equal(3 * 3_600_000);
        await server.core.store.putPasswordReset({ ...kept, expiresAt: Date.now() - 1, createdAt: Date.now() - 10 });
        expect((await b.get(`/reset/new?token=${token}`)).status).to.equal(410);
        expect((await b.post('/reset/new', { csrf: Browser.csrf(form), token, password: 'a-new-long-password' })).status).to.equal(410);
        expect((await browser().login(hal.address, 'the-first-password')).status).to.equal(302);
        expect((await browser().login(hal.address, 'a-new-long-password')).status).to.equal(401);
      });

      it('checks the CSRF token, refuses a missing or malformed address, and limits requests per client', async () => {
        const ida = await signedUp('ida', 'ida@elsewhere.test');
        const b = browser();
        expect((await b.post('/reset', { address: ida.address })).status).to.equal(403);
        expect((await b.post('/reset', { address: ida.address, csrf: 'A'.repeat(43) })).status).to.equal(403);
        expect((await b.post('/reset/new', { token: 'x', password: 'a-new-long-password' })).status).to.equal(403);
        const empty = await b.submit('/reset', '/reset', { address: '' });
        expect(empty.status).to.equal(400);
        expect(empty.text).to.include('Give the address of your account');
        expect((await b.submit('/reset', '/reset', { address: 'not an address' })).status).to.equal(400);
        const big = await b.raw('POST', '/reset', `csrf=${Browser.csrf(await b.get('/reset'))}&address=${'a'.repeat(70_000)}`, { 'content-type': 'application/x-www-form-urlencoded' });
        expect(big.status).to.equal(413);
        // the hourly limit of this client (some requests were counted by the tests above)
        let last: Answer | null = null;
        for (let i = 0; i <= RESETS_PER_HOUR && last?.status !== 429; i++) last = await b.submit('/reset', '/reset', { address: `nobody${i}@${DOMAIN}` });
        expect(last!.status).to.equal(429);
        expect(last!.text).to.include('Too many password reset requests');
        const refused = await b.submit('/reset', '/reset', { address: ida.address });
        expect(refused.status).to.equal(429);
        await new Promise((r) => setTimeout(r, 200));
        expect(await mailTo('ida@elsewhere.test')).to.have.length(1); // the activation link only
      });
    });

    describe('destroying an account', () => {
      it('holds the address back from sign-up without saying why, and leaves nothing of the account', async () => {
        const jo = await signedUp('jo', 'jo@elsewhere.test');
        const admin = await server.account('jo-admin');
        const group = await server.group('Jo team', admin, [await server.core.accounts.get(jo.id)]);
        const b = browser();
        const other = browser();
        await b.login(jo.address, 'the-first-password');
        await other.login(jo.address, 'the-first-password');
        expect((await b.upload('/settings/photo', { csrf: Browser.csrf(await b.get('/settings')) }, { photo: { filename: 'me.png', type: 'image/png', data: png(4, 4) } })).location).to.equal('/settings?done=photo');
        await server.core.accounts.setPlan(jo.id, 'standard'); // a plan with access by programs
        const put = await server.dav('PUT', files('Documents', 'notes.txt'), { user: jo.address, password: 'the-first-password', body: 'x'.repeat(20_000) });
        expect(put.status).to.equal(201);
        const jAccount = await server.core.accounts.get(jo.id);
        const docs = (await server.core.store.findCollection(jAccount.spaceId, 'files', null, 'Documents'))!;
        const blobId = (await server.core.store.getItemByName(docs.id, 'notes.txt'))!.blobId!;
        expect(blobId).to.be.a('string');
        // an outstanding reset link (this client's reset requests were used up above)
        const resetToken = 'R'.repeat(43);
        await server.core.store.putPasswordReset({ accountId: jo.id, tokenHash: resetTokenHash(resetToken), expiresAt: Date.now() + 60_000, createdAt: Date.now() });
        expect((await browser().get(`/reset/new?token=${resetToken}`)).status).to.equal(200);
        const directory = (await server.core.contacts.addressBook((await server.core.store.findCollectionByRole(group.spaceId, 'contacts', 'directory'))!.id));
        expect(await server.core.store.getItemByName(directory.id, `member-${jo.id}.vcf`)).to.not.equal(null);
        const page = await b.get('/settings');
        expect(page.text).to.include('cannot be taken by a new account for 90 days');

        const done = await b.post('/settings/destroy', { csrf: Browser.csrf(page), password: 'the-first-password', confirm: 'yes' });
        expect(done.location).to.equal('/login?done=destroyed');

        // nothing of the account remains
        expect(await server.core.store.getAccount(jo.id)).to.equal(null);
        expect(await server.core.store.getAccountByAddress(jo.address)).to.equal(null);
        expect(await server.core.store.getSpace(jAccount.spaceId)).to.equal(null);
        expect(await server.core.store.getCollection(docs.id)).to.equal(null);
        expect(await server.core.store.listSessions(jo.id)).to.deep.equal([]);
        expect((await other.get('/settings')).location).to.equal('/login');
        expect(await server.core.store.getAccountPhoto(jo.id)).to.equal(null);
        expect(await server.core.store.getAccountContact(jo.id)).to.equal(null);
        expect(await server.core.store.getPasswordReset(resetTokenHash(resetToken), Date.now())).to.equal(null);
        expect(await server.core.store.getMembership(group.id, jo.id)).to.equal(null);
        expect(await server.core.store.getItemByName(directory.id, `member-${jo.id}.vcf`)).to.equal(null);
        let onDisk = true;
        for (let i = 0; i < 100 && onDisk; i++) {
          onDisk = (await server.blobFiles()).some((f) => f.includes(blobId));
          if (onDisk) await new Promise((r) => setTimeout(r, 20));
        }
        expect(onDisk, 'the blob file of the destroyed account\'s document').to.equal(false);
        expect((await b.get(`/reset/new?token=${resetToken}`)).status).to.equal(410);

        // the address is held back: sign-up says only that it is not available
        const held = await server.core.store.addressHeldUntil(jo.address, Date.now());
        expect(held).to.be.within(Date.now() + 89.9 * 86_400_000, Date.now() + 90 * 86_400_000);
        const again = await browser().submit('/signup', '/signup', { name: '', local: 'jo', domain: DOMAIN, password: 'a-long-password', contact: 'jo2@elsewhere.test' });
        expect(again.status).to.equal(409);
        expect(again.text).to.include('The address jo@example.test is not available.');
        expect(again.text).to.not.match(/destroy|held|days/i);
        expect(await server.core.store.getAccountByAddress(jo.address)).to.equal(null);
        // after the period the address is free again
        expect(await server.core.store.addressHeldUntil(jo.address, held!)).to.equal(null);
      });

      it('frees a held address once its time has passed, and never holds a sign-up that was not activated', async () => {
        const address = `kay@${DOMAIN}`;
        await server.core.store.holdAddress(address, Date.now() + 400);
        const form = { name: '', local: 'kay', domain: DOMAIN, password: 'a-long-password', contact: 'kay@elsewhere.test' };
        expect((await browser().submit('/signup', '/signup', form)).status).to.equal(409);
        await new Promise((r) => setTimeout(r, 500));
        expect((await browser().submit('/signup', '/signup', form)).status).to.equal(200);
        const kay = await server.core.accounts.byAddress(address);
        expect(kay.status).to.equal('pending');
        await server.core.accounts.destroy(kay.id);
        expect(await server.core.store.addressHeldUntil(address, Date.now())).to.equal(null);
        expect((await browser().submit('/signup', '/signup', form)).status).to.equal(200);
      });
    });

    describe('profile photo', () => {
      async function settingsOf(b: Browser): Promise<Answer> {
        return b.get('/settings');
      }

      it('uploads a PNG, shows it, serves it to its owner only, puts it in the group directories, and removes it', async () => {
        const lea = await server.account('lea');
        const max = await server.account('max');
        const group = await server.group('Photo club', lea, [max]);
        const b = browser();
        await b.login(lea.address, DAV_PASSWORD);
        const before = await settingsOf(b);
        expect(before.text).to.include('No photo yet.').and.include('enctype="multipart/form-data"').and.include('accept="image/jpeg,image/png"');
        const picture = png(8, 8);
        const up = await b.upload('/settings/photo', { csrf: Browser.csrf(before) }, { photo: { filename: 'lea.png', type: 'image/png', data: picture } });
        expect(up.location).to.equal('/settings?done=photo');
        const after = await b.get(up.location!);
        expect(after.text).to.include('Your photo was saved.').and.match(/<img class="photo" src="\/settings\/photo\?v=\d+" alt="Your profile photo"/);
        const served = await b.rawBytes('GET', '/settings/photo');
        expect(served.status).to.equal(200);
        expect(served.headers['content-type']).to.equal('image/png');
        expect(served.headers['x-content-type-options']).to.equal('nosniff');
        expect((await browser().get('/settings/photo')).location).to.equal('/login');
        // in the member directory, as co-members' programs read it (CardDAV)
        const card = await server.dav('GET', `/dav/addressbooks/${max.address}/directory-${group.id}/member-${lea.id}.vcf`, { user: max, password: DAV_PASSWORD });
        expect(card.status).to.equal(200);
        expect(photoOf(card.text)).to.equal(`data:image/png;base64,${picture.toString('base64')}`);
        // a JPEG replaces it
        await b.upload('/settings/photo', { csrf: Browser.csrf(after) }, { photo: { filename: 'lea.jpg', type: 'image/jpeg', data: JPEG } });
        const jpeg = (await server.core.store.getAccountPhoto(lea.id))!;
        expect(jpeg.contentType).to.equal('image/jpeg');
        expect(Buffer.from(jpeg.content).equals(JPEG)).to.equal(true);
        const card2 = await server.dav('GET', `/dav/addressbooks/${max.address}/directory-${group.id}/member-${lea.id}.vcf`, { user: max, password: DAV_PASSWORD });
        expect(photoOf(card2.text)).to.equal(`data:image/jpeg;base64,${JPEG.toString('base64')}`);
        // removed
        const page = await settingsOf(b);
        expect(page.text).to.include('action="/settings/photo/remove"');
        expect((await b.post('/settings/photo/remove', { csrf: Browser.csrf(page) })).location).to.equal('/settings?done=photo-removed');
        expect((await b.get('/settings/photo')).status).to.equal(404);
        expect((await settingsOf(b)).text).to.include('No photo yet.');
        const card3 = await server.dav('GET', `/dav/addressbooks/${max.address}/directory-${group.id}/member-${lea.id}.vcf`, { user: max, password: DAV_PASSWORD });
        expect(photoOf(card3.text)).to.equal(null);
        expect(card3.text).to.include('FN:');
      });

      it('refuses other types, oversized, empty, missing, malformed and forged uploads with a clear message, changing nothing', async () => {
        const ned = await server.account('ned');
        const b = browser();
        await b.login(ned.address, DAV_PASSWORD);
        const token = Browser.csrf(await settingsOf(b));
        const first = png(2, 2);
        await b.upload('/settings/photo', { csrf: token }, { photo: { filename: 'a.png', type: 'image/png', data: first } });
        const unchanged = async (): Promise<void> => {
          const p = (await server.core.store.getAccountPhoto(ned.id))!;
          expect(Buffer.from(p.content).equals(first)).to.equal(true);
        };
        const send = (data: Buffer, type = 'image/png', csrf = token): Promise<Answer> => b.upload('/settings/photo', { csrf }, { photo: { filename: 'x.png', type, data } });

        const gif = await send(GIF, 'image/png');
        expect(gif.status).to.equal(400);
        expect(gif.text).to.include('The picture must be a JPEG or PNG file.');
        expect((await send(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml')).status).to.equal(400);
        // over 256 KiB: within the reader's bound the core says so, beyond it the reader does
        const justOver = await send(png(2, 2, 256 * 1024));
        expect(justOver.status).to.equal(400);
        expect(justOver.text).to.include('larger than 256 KiB');
        const huge = await send(png(2, 2, 400 * 1024));
        expect(huge.status).to.equal(413);
        expect(huge.text).to.include('larger than 256 KiB');
        const empty = await send(Buffer.alloc(0));
        expect(empty.status).to.equal(400);
        expect(empty.text).to.include('Choose a picture file');
        const missing = await b.upload('/settings/photo', { csrf: token }, {});
        expect(missing.status).to.equal(400);
        expect(missing.text).to.include('Choose a picture file');
        await unchanged();

        // the CSRF token is checked in the multipart form too
        expect((await b.upload('/settings/photo', {}, { photo: { filename: 'x.png', type: 'image/png', data: png(3, 3) } })).status).to.equal(403);
        expect((await send(png(3, 3), 'image/png', 'A'.repeat(43))).status).to.equal(403);
        const stranger = browser();
        expect((await stranger.upload('/settings/photo', { csrf: Browser.csrf(await stranger.get('/login')) }, { photo: { filename: 'x.png', type: 'image/png', data: png(3, 3) } })).location).to.equal('/login');
        // not multipart, no boundary, unclosed, a field twice, too many parts
        expect((await b.post('/settings/photo', { csrf: token })).status).to.equal(415);
        expect((await b.rawBytes('POST', '/settings/photo', Buffer.from('x'), { 'content-type': 'multipart/form-data' })).status).to.equal(400);
        const unclosed = Buffer.from(`--XyZ\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${token}\r\n--XyZ\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\n\r\n`);
        const r1 = await b.rawBytes('POST', '/settings/photo', Buffer.concat([unclosed, first]), { 'content-type': 'multipart/form-data; boundary=XyZ' });
        expect(r1.status).to.equal(400);
        expect(r1.text).to.include('not well formed');
        const twice = Buffer.from(`--XyZ\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${token}\r\n--XyZ\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${token}\r\n--XyZ--\r\n`);
        expect((await b.rawBytes('POST', '/settings/photo', twice, { 'content-type': 'multipart/form-data; boundary=XyZ' })).status).to.equal(400);
        const many = Buffer.from(`${Array.from({ length: 25 }, (_, i) => `--XyZ\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`).join('')}--XyZ--\r\n`);
        expect((await b.rawBytes('POST', '/settings/photo', many, { 'content-type': 'multipart/form-data; boundary=XyZ' })).status).to.equal(400);
        // other forms stay urlencoded only
        expect((await b.upload('/settings/idle', { csrf: token, minutes: '5' }, {})).status).to.equal(415);
        await unchanged();
        // the server keeps serving
        expect((await b.get('/settings')).status).to.equal(200);
      });
    });
  });
}
