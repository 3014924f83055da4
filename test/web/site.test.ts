// The web site over real HTTPS on the real server and store, both backends:
// sessions (login, throttle, cookie, rotation, idle timeout, log-out), CSRF
// and bad forms, sign-up with its activation link, settings, groups.
import { expect } from 'chai';
import { startDav, DAV_PASSWORD, DOMAIN, type DavServer } from '../support/dav.ts';
import type { Backend } from '../support/store.ts';
import { sessionIdOf } from '../../src/core/web-sessions.ts';
import { Browser } from './client.ts';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];

for (const backend of BACKENDS) {
  describe(`web site (${backend})`, function () {
    let server: DavServer;
    const browser = (): Browser => new Browser(server.port, server.ca);

    before(async () => {
      server = await startDav(backend, { env: { BUREAU_SMTP_RELAY: 'smtp://127.0.0.1:9', BUREAU_SIGNUPS_PER_HOUR: '5' } });
    });
    after(async () => server?.stop());

    describe('pages and headers', () => {
      it('serves the front page with security headers and its own 404 page', async () => {
        const b = browser();
        const home = await b.get('/');
        expect(home.status).to.equal(200);
        expect(home.headers['content-security-policy']).to.match(/default-src 'none'/).and.not.match(/unsafe-inline|script-src/);
        expect(home.headers['x-frame-options']).to.equal('DENY');
        expect(home.text).to.not.match(/<script|style=/);
        const missing = await b.get('/nowhere');
        expect(missing.status).to.equal(404);
        expect(missing.headers['content-type']).to.match(/text\/html/);
        expect(missing.text).to.include('There is no page at this address.');
        expect((await b.raw('PUT', '/login', 'x')).status).to.equal(405);
      });

      it('labels every field with the standard autocomplete tokens', async () => {
        const login = await browser().get('/login');
        expect(login.text).to.match(/<label for="address">/).and.match(/autocomplete="username"/).and.match(/autocomplete="current-password"/);
        const signup = await browser().get('/signup');
        expect(signup.text).to.match(/autocomplete="new-password"/).and.match(/autocomplete="email"/);
      });
    });

    describe('sessions', () => {
      it('logs in with a HttpOnly, Secure, SameSite=Lax cookie rotated at each login, and records activity', async () => {
        const ann = await server.account('ann');
        const b = browser();
        const first = await b.login(ann.address, DAV_PASSWORD);
        expect(first.status).to.equal(302);
        const cookie = (first.headers['set-cookie'] ?? []).find((c) => c.startsWith('bureau_session='))!;
        expect(cookie).to.match(/httponly/i).and.match(/secure/i).and.match(/samesite=lax/i);
        const token1 = b.cookies.get('bureau_session')!;
        expect((await b.get('/settings')).status).to.equal(200);
        await b.login(ann.address, DAV_PASSWORD);
        const token2 = b.cookies.get('bureau_session')!;
        expect(token2).to.not.equal(token1);
        expect(await server.core.store.getSession(sessionIdOf(token1))).to.equal(null);
        expect((await server.core.accounts.get(ann.id)).lastActivityAt).to.be.a('number');
      });

      it('refuses a wrong password and an unknown address with the same message, and throttles', async () => {
        await server.account('bob');
        const b = browser();
        const wrong = await b.login(`bob@${DOMAIN}`, 'wrong-password!');
        const unknown = await b.login(`nobody@${DOMAIN}`, 'wrong-password!');
        expect(wrong.status).to.equal(401);
        expect(unknown.status).to.equal(401);
        const msg = 'The address or the password is wrong, or the account is not activated yet.';
        expect(wrong.text).to.include(msg);
        expect(unknown.text).to.include(msg);
        expect(b.cookies.has('bureau_session')).to.equal(false);
        for (let i = 0; i < 9; i++) await b.login(`bob@${DOMAIN}`, 'wrong-password!');
        const blocked = await b.login(`bob@${DOMAIN}`, DAV_PASSWORD);
        expect(blocked.status).to.equal(429);
        expect(blocked.text).to.include('Too many failed attempts');
        await server.core.throttle.succeed([`ip:127.0.0.1`, `ip:::ffff:127.0.0.1`]);
      });

      it('keeps several sessions at once, ends them at log-out, and refuses a session used after log-out', async () => {
        const carl = await server.account('carl');
        const one = browser();
        const two = browser();
        await one.login(carl.address, DAV_PASSWORD);
        await two.login(carl.address, DAV_PASSWORD);
        expect((await server.core.store.listSessions(carl.id)).length).to.equal(2);
        const token = one.cookies.get('bureau_session')!;
        const out = await one.submit('/settings', '/logout', {});
        expect(out.location).to.equal('/login?done=logged-out');
        expect((await two.get('/settings')).status).to.equal(200);
        const replay = browser();
        replay.cookies.set('bureau_session', token);
        const r = await replay.get('/settings');
        expect(r.status).to.equal(302);
        expect(r.location).to.equal('/login');
      });

      it('ends an idle session after the account\'s timeout with "Session timeout. Please log in again."', async () => {
        const dora = await server.account('dora');
        const b = browser();
        await b.login(dora.address, DAV_PASSWORD);
        const set = await b.submit('/settings', '/settings/idle', { minutes: '1' });
        expect(set.location).to.equal('/settings?done=idle');
        // the session was last seen two minutes ago
        const id = sessionIdOf(b.cookies.get('bureau_session')!);
        await server.core.store.touchSession(id, 0);
        await server.core.store.touchSession(id, Date.now() - 120_000).catch(() => undefined);
        const s = await server.core.store.getSession(id);
        if (s!.lastSeenAt > Date.now() - 60_000) {
          // touchSession only moves forward on some backends: recreate it backdated
          await server.core.store.deleteSession(id);
          await server.core.store.createSession({ ...s!, lastSeenAt: Date.now() - 120_000 });
        }
        const r = await b.get('/settings');
        expect(r.location).to.equal('/login?timeout=1');
        const page = await b.get('/login?timeout=1');
        expect(page.text).to.include('Session timeout. Please log in again.');
        expect(await server.core.store.getSession(id)).to.equal(null);
      });

      it('ignores tampered cookies', async () => {
        const b = browser();
        b.cookies.set('bureau_session', 'x'.repeat(43));
        expect((await b.get('/settings')).location).to.equal('/login');
        b.cookies.set('bureau_session', '"><script>');
        expect((await b.get('/')).status).to.equal(200);
      });
    });

    describe('forms', () => {
      it('refuses a missing or forged CSRF token and changes nothing', async () => {
        const eve = await server.account('eve');
        const b = browser();
        await b.login(eve.address, DAV_PASSWORD);
        const none = await b.post('/settings/idle', { minutes: '5' });
        expect(none.status).to.equal(403);
        expect(none.text).to.include('This form has expired');
        const forged = await b.post('/settings/idle', { minutes: '5', csrf: 'A'.repeat(43) });
        expect(forged.status).to.equal(403);
        // a token of another browser's session does not work either
        const other = browser();
        await other.login(eve.address, DAV_PASSWORD);
        const stolen = Browser.csrf(await other.get('/settings'));
        expect((await b.post('/settings/idle', { minutes: '5', csrf: stolen })).status).to.equal(403);
        expect((await server.core.accounts.get(eve.id)).idleTimeoutMinutes).to.equal(30);
      });

      it('refuses oversized, non-form and duplicated fields', async () => {
        const b = browser();
        const token = Browser.csrf(await b.get('/login'));
        const big = await b.raw('POST', '/login', `csrf=${token}&address=${'a'.repeat(70_000)}`, { 'content-type': 'application/x-www-form-urlencoded' });
        expect(big.status).to.equal(413);
        const json = await b.raw('POST', '/login', '{}', { 'content-type': 'application/json' });
        expect(json.status).to.equal(415);
        const twice = await b.raw('POST', '/login', `csrf=${token}&address=a&address=b`, { 'content-type': 'application/x-www-form-urlencoded' });
        expect(twice.status).to.equal(400);
      });
    });

    describe('sign-up', () => {
      async function lastLink(to: string): Promise<string> {
        const msgs = (await server.core.store.listOutbound()).filter((m) => m.recipients.includes(to));
        const raw = msgs[msgs.length - 1]!.raw.toString('utf8');
        return /\/activate\?token=([A-Za-z0-9_-]{43})/.exec(raw)![1]!;
      }

      it('creates a pending account that logs in nowhere until the single-use link is used', async () => {
        const b = browser();
        b.userAgent = 'signup-1';
        const r = await b.submit('/signup', '/signup', { name: 'Fay Doe', local: 'fay', domain: DOMAIN, password: 'a-long-password', contact: 'fay@elsewhere.test' });
        expect(r.status).to.equal(200);
        expect(r.text).to.include('spam');
        const fay = await server.core.accounts.byAddress(`fay@${DOMAIN}`);
        expect(fay.status).to.equal('pending');
        expect((await b.login(fay.address, 'a-long-password')).status).to.equal(401);
        const token = await lastLink('fay@elsewhere.test');
        const page = await b.get(`/activate?token=${token}`);
        expect(page.status).to.equal(200);
        expect((await server.core.accounts.get(fay.id)).status).to.equal('pending');
        const done = await b.post('/activate', { csrf: Browser.csrf(page), token });
        expect(done.location).to.equal('/login?done=activated');
        expect((await server.core.accounts.get(fay.id)).status).to.equal('active');
        const replay = await b.post('/activate', { csrf: Browser.csrf(page), token });
        expect(replay.status).to.equal(410);
        expect((await b.login(fay.address, 'a-long-password')).status).to.equal(302);
      });

      it('says why a sign-up is refused: taken address, bad password, bad contact, unknown domain', async () => {
        await server.account('gil');
        const b = browser();
        const base = { name: '', local: 'gil', domain: DOMAIN, password: 'a-long-password', contact: 'gil@elsewhere.test' };
        expect((await b.submit('/signup', '/signup', base)).status).to.equal(409);
        const short = await b.submit('/signup', '/signup', { ...base, local: 'gil2', password: 'short' });
        expect(short.status).to.equal(400);
        expect(short.text).to.include('too short');
        expect((await b.submit('/signup', '/signup', { ...base, local: 'gil2', contact: `x@${DOMAIN}` })).status).to.equal(400);
        expect((await b.submit('/signup', '/signup', { ...base, local: 'gil2', domain: 'other.test' })).status).to.equal(400);
        expect((await server.core.store.getAccountByAddress(`gil2@${DOMAIN}`))).to.equal(null);
      });

      it('resends a new link (the old one stops working), removes expired sign-ups and limits sign-ups per client', async () => {
        const b = browser();
        await b.submit('/signup', '/signup', { name: '', local: 'hal', domain: DOMAIN, password: 'a-long-password', contact: 'hal@wrong.test' });
        const old = await lastLink('hal@wrong.test');
        const wrongPw = await b.submit('/signup/resend', '/signup/resend', { address: `hal@${DOMAIN}`, password: 'not-the-password', contact: '' });
        expect(wrongPw.status).to.equal(400);
        const again = await b.submit('/signup/resend', '/signup/resend', { address: `hal@${DOMAIN}`, password: 'a-long-password', contact: 'hal@right.test' });
        expect(again.status).to.equal(200);
        const fresh = await lastLink('hal@right.test');
        const page = await b.get('/activate');
        expect((await b.post('/activate', { csrf: Browser.csrf(page), token: old })).status).to.equal(410);
        // the limit of 5 an hour per client: fay's, gil's, hal's and both resends were counted already
        const limited = await b.submit('/signup', '/signup', { name: '', local: 'ida', domain: DOMAIN, password: 'a-long-password', contact: 'ida@elsewhere.test' });
        expect(limited.status).to.equal(429);
        // expiry: the link's time passes, the sweep removes the account and frees the address
        const hal = await server.core.accounts.byAddress(`hal@${DOMAIN}`);
        const c = (await server.core.store.getAccountContact(hal.id))!;
        await server.core.store.putAccountContact({ ...c, tokenExpiresAt: Date.now() - 1 });
        expect((await b.post('/activate', { csrf: Browser.csrf(page), token: fresh })).status).to.equal(410);
        const { webSite } = await import('../../src/web/app.ts');
        const { site } = webSite(server.core, { baseUrl: 'https://localhost', signupLinkHours: 48, signupsPerHour: 5, from: `noreply@${DOMAIN}`, send: async () => undefined, log: console });
        expect(await site.signups.sweep()).to.equal(1);
        expect(await server.core.store.getAccountByAddress(`hal@${DOMAIN}`)).to.equal(null);
      });
    });

    describe('settings', () => {
      it('changes the password (current one asked, policy enforced, other sessions ended)', async () => {
        const jo = await server.account('jo');
        const a = browser();
        const other = browser();
        await a.login(jo.address, DAV_PASSWORD);
        await other.login(jo.address, DAV_PASSWORD);
        const wrong = await a.submit('/settings', '/settings/password', { current: 'nope-nope-nope', next: 'a-new-long-password' });
        expect(wrong.status).to.equal(400);
        expect(wrong.text).to.include('The current password is wrong.');
        const weak = await a.submit('/settings', '/settings/password', { current: DAV_PASSWORD, next: 'short' });
        expect(weak.status).to.equal(400);
        const ok = await a.submit('/settings', '/settings/password', { current: DAV_PASSWORD, next: 'a-new-long-password' });
        expect(ok.location).to.equal('/settings?done=password');
        expect((await a.get('/settings')).status).to.equal(200);
        expect((await other.get('/settings')).location).to.equal('/login');
      });

      it('saves the profile and the idle timeout, refusing bad values', async () => {
        const kim = await server.account('kim');
        const b = browser();
        await b.login(kim.address, DAV_PASSWORD);
        await b.submit('/settings', '/settings/profile', { firstName: 'Kim', lastName: 'Lee', organisation: 'Acme <b>' });
        const k = await server.core.accounts.get(kim.id);
        expect(k.profile.organisation).to.equal('Acme <b>');
        expect(k.name).to.equal('Kim Lee');
        expect((await b.get('/settings')).text).to.include('Acme &#60;b&#62;');
        for (const bad of ['0', '1441', 'abc', '']) {
          expect((await b.submit('/settings', '/settings/idle', { minutes: bad })).status).to.equal(400);
        }
        expect((await b.submit('/settings', '/settings/profile', { firstName: 'x'.repeat(201), lastName: '', organisation: '' })).status).to.equal(400);
      });

      it('lists sessions and ends one or all others, never another account\'s', async () => {
        const lu = await server.account('lu');
        const a = browser();
        const b = browser();
        const c = browser();
        await a.login(lu.address, DAV_PASSWORD);
        await b.login(lu.address, DAV_PASSWORD);
        await c.login(lu.address, DAV_PASSWORD);
        const page = await a.get('/settings');
        expect(page.text.match(/name="id"/g)!.length).to.equal(2);
        expect(page.text).to.include('this one');
        const bid = sessionIdOf(b.cookies.get('bureau_session')!);
        expect((await a.post('/settings/sessions/end', { csrf: Browser.csrf(page), id: bid })).location).to.equal('/settings?done=session-ended');
        expect((await b.get('/settings')).location).to.equal('/login');
        const mo = await server.account('mo');
        const m = browser();
        await m.login(mo.address, DAV_PASSWORD);
        const cid = sessionIdOf(c.cookies.get('bureau_session')!);
        expect((await m.submit('/settings', '/settings/sessions/end', { id: cid })).status).to.equal(404);
        expect((await c.get('/settings')).status).to.equal(200);
        await a.submit('/settings', '/settings/sessions/end-others', {});
        expect((await c.get('/settings')).location).to.equal('/login');
        expect((await a.get('/settings')).status).to.equal(200);
      });

      it('destroys the account only with the password and the confirmation', async () => {
        const ned = await server.account('ned');
        const b = browser();
        await b.login(ned.address, DAV_PASSWORD);
        expect((await b.submit('/settings', '/settings/destroy', { password: DAV_PASSWORD })).status).to.equal(400);
        expect((await b.submit('/settings', '/settings/destroy', { password: 'wrong-wrong', confirm: 'yes' })).status).to.equal(400);
        expect(await server.core.store.getAccount(ned.id)).to.not.equal(null);
        const done = await b.submit('/settings', '/settings/destroy', { password: DAV_PASSWORD, confirm: 'yes' });
        expect(done.location).to.equal('/login?done=destroyed');
        expect(await server.core.store.getAccount(ned.id)).to.equal(null);
        expect(await server.core.store.listSessions(ned.id)).to.deep.equal([]);
      });
    });

    describe('groups', () => {
      it('creates a group, adds and removes members, grants, transfers, leaves and deletes', async () => {
        const olga = await server.account('olga');
        const pia = await server.account('pia');
        const quinn = await server.account('quinn');
        const o = browser();
        const p = browser();
        await o.login(olga.address, DAV_PASSWORD);
        await p.login(pia.address, DAV_PASSWORD);
        const made = await o.submit('/groups', '/groups', { name: 'Choir' });
        const path = made.location!.split('?')[0]!;
        const gid = Number(path.split('/')[2]);
        expect((await o.submit(path, `${path}/add`, { member: pia.address })).location).to.equal(`${path}?done=added`);
        expect((await o.submit(path, `${path}/add`, { member: `nobody@${DOMAIN}` })).status).to.equal(404);
        expect((await o.submit(path, `${path}/add`, { member: quinn.address })).status).to.equal(302);
        // a member cannot administer
        expect((await p.submit(path, `${path}/add`, { member: olga.address })).status).to.equal(403);
        expect((await o.submit(path, `${path}/grant`, { member: pia.address, rights: 'write' })).status).to.equal(302);
        expect((await server.core.store.getMembership(gid, pia.id))!.rights).to.deep.equal(['write']);
        expect((await o.submit(path, `${path}/grant`, { member: '*', rights: 'write,delete' })).status).to.equal(302);
        expect((await o.submit(path, `${path}/grant`, { member: '*', rights: 'admin' })).status).to.equal(400);
        expect((await o.submit(path, `${path}/remove`, { member: quinn.address })).status).to.equal(302);
        expect(await server.core.store.getMembership(gid, quinn.id)).to.equal(null);
        const refused = await o.submit(path, `${path}/leave`, {});
        expect(refused.status).to.equal(409);
        expect(refused.text).to.include('without first naming a successor');
        expect((await o.submit(path, `${path}/transfer`, { member: quinn.address })).status).to.equal(404);
        expect((await o.submit(path, `${path}/transfer`, { member: pia.address })).status).to.equal(302);
        expect((await o.submit(path, `${path}/leave`, {})).location).to.equal('/groups?done=left');
        expect((await o.get(path)).status).to.equal(404);
        expect((await p.submit(path, `${path}/delete`, {})).status).to.equal(400);
        expect((await p.submit(path, `${path}/delete`, { confirm: 'yes' })).location).to.equal('/groups?done=deleted');
        expect(await server.core.store.getGroup(gid)).to.equal(null);
      });

      it('refuses a bad group name and shows nothing of others\' groups', async () => {
        const rey = await server.account('rey');
        const b = browser();
        await b.login(rey.address, DAV_PASSWORD);
        expect((await b.submit('/groups', '/groups', { name: 'a/b' })).status).to.equal(400);
        expect((await b.get('/groups/999999')).status).to.equal(404);
        expect((await b.get('/groups/abc')).status).to.equal(404);
      });
    });
  });
}
