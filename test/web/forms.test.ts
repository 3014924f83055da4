// Every error path of the group forms (src/web/pages/groups.ts) and the
// settings forms (src/web/pages/account.ts), over real HTTPS on the real
// server and store, both backends: missing, oversized, malformed and
// duplicated fields, a form over 64 KiB, a forged or missing CSRF token, a
// tampered cookie, a session used after log-out, acting on a group one does
// not administer, an unknown address, the plan's limits, the administrator
// leaving without a successor. Each answer is asserted as a user sees it
// (status, message, an HTML page of the site), and the state after is
// compared with the state before through the store: nothing changed.
import { expect } from 'chai';
import type { Account, Group } from '../../src/store/types.ts';
import { sessionIdOf } from '../../src/core/web-sessions.ts';
import { startDav, DAV_PASSWORD, DOMAIN, type DavServer } from '../support/dav.ts';
import type { Backend } from '../support/store.ts';
import { Browser, type Answer } from './client.ts';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** What the user reads in the page's error box, unescaped. */
function alertOf(a: Answer): string {
  const m = /<p class="error" role="alert">([^<]*)<\/p>|<main><h1>[^<]*<\/h1>\s*<p>([^<]*)<\/p>/.exec(a.text);
  const text = m ? (m[1] ?? m[2] ?? '') : '';
  return text.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

function expectRefused(a: Answer, status: number, message: string | RegExp, what: string): void {
  expect(a.status, `${what}: status (${alertOf(a)})`).to.equal(status);
  expect(a.headers['content-type'], what).to.match(/^text\/html/);
  if (typeof message === 'string') expect(alertOf(a), what).to.include(message);
  else expect(alertOf(a), what).to.match(message);
}

for (const backend of BACKENDS) {
  describe(`web forms: error paths (${backend})`, function () {
    let server: DavServer;
    const browser = (): Browser => new Browser(server.port, server.ca);
    const loggedIn = async (a: Account): Promise<Browser> => {
      const b = browser();
      expect((await b.login(a.address, DAV_PASSWORD)).status).to.equal(302);
      return b;
    };

    /** A group as the store holds it, with its members and their rights: what "nothing changed" compares. */
    const groupState = async (id: number): Promise<unknown> => {
      const g = await server.core.store.getGroup(id);
      const members = await server.core.store.listMembers(id);
      const grants = await server.core.store.listGrantsInSpaces(g ? [g.spaceId] : []);
      return { g, members: members.map((m) => [m.accountId, [...m.rights]]), grants: grants.length };
    };
    /** An account as the settings forms can change it, and its sessions. */
    const accountState = async (id: number): Promise<unknown> => {
      const a = await server.core.store.getAccount(id);
      const sessions = (await server.core.store.listSessions(id)).map((s) => s.id).sort();
      return a && { name: a.name, profile: a.profile, hash: a.passwordHash, idle: a.idleTimeoutMinutes, status: a.status, sessions };
    };

    before(async () => {
      server = await startDav(backend, {
        env: { BUREAU_SMTP_RELAY: 'smtp://127.0.0.1:9' },
        plans: { tiny: { mail_bytes: 1_000_000, files_bytes: 1_000_000, max_groups: 1, max_group_members: 2, features: ['clients'] } },
      });
    });
    after(async () => server?.stop());

    describe('group forms', () => {
      let gina: Account;
      let hugo: Account;
      let ivy: Account;
      let group: Group;
      let path: string;

      before(async () => {
        gina = await server.account('gina', 'tiny');
        hugo = await server.account('hugo');
        ivy = await server.account('ivy');
      });

      it('create: a missing, oversized, malformed or twice-sent name, and the plan\'s group limit', async () => {
        const g = await loggedIn(gina);
        const token = Browser.csrf(await g.get('/groups'));
        const name = 'A group name has 1 to 64 characters.';
        expectRefused(await g.post('/groups', { csrf: token }), 400, name, 'no name');
        expectRefused(await g.post('/groups', { csrf: token, name: '   ' }), 400, name, 'blank name');
        expectRefused(await g.post('/groups', { csrf: token, name: 'x'.repeat(65) }), 400, name, '65 characters');
        expectRefused(await g.post('/groups', { csrf: token, name: 'y'.repeat(5000) }), 400, name, '5000 characters');
        for (const bad of ['a/b', 'a\\b', '..', 'tab\there']) {
          expectRefused(await g.post('/groups', { csrf: token, name: bad }), 400, 'A group name cannot contain', JSON.stringify(bad));
        }
        expectRefused(await g.raw('POST', '/groups', `csrf=${token}&name=One&name=Two`, FORM), 400, 'The field name was sent twice.', 'twice');
        expect(await server.core.store.listGroupsOf(gina.id)).to.deep.equal([]);

        const made = await g.post('/groups', { csrf: token, name: 'Gina team' });
        expect(made.status).to.equal(302);
        path = made.location!.split('?')[0]!;
        group = (await server.core.store.getGroupByName('Gina team'))!;
        expect(path).to.equal(`/groups/${group.id}`);
        // tiny allows administering one group
        expectRefused(await g.post('/groups', { csrf: token, name: 'Second' }), 403, 'The plan allows administering 1 group(s)', 'over the plan');
        // a name another account's group has
        const h = await loggedIn(hugo);
        expectRefused(await h.submit('/groups', '/groups', { name: 'Gina team' }), 409, /Gina team|taken|exists/, 'taken name');
        expect((await server.core.store.listGroupsOf(gina.id)).map((x) => x.name)).to.deep.equal(['Gina team']);
        expect(await server.core.store.listGroupsOf(hugo.id)).to.deep.equal([]);
      });

      it('add: missing, oversized, malformed, unknown and inactive addresses, a member again, and the plan\'s member limit', async () => {
        const g = await loggedIn(gina);
        const token = Browser.csrf(await g.get(path));
        expect((await g.post(`${path}/add`, { csrf: token, member: hugo.address })).location).to.equal(`${path}?done=added`);
        const before = await groupState(group.id);
        const pending = await server.core.accounts.create({ address: `pat@${DOMAIN}`, password: DAV_PASSWORD, name: 'Pat', plan: 'standard', status: 'pending' } as Parameters<typeof server.core.accounts.create>[0]);
        const cases: [Record<string, string>, number, string][] = [
          [{}, 400, 'Give the address of a member.'],
          [{ member: '  ' }, 400, 'Give the address of a member.'],
          [{ member: `${'a'.repeat(300)}@${DOMAIN}` }, 400, 'An address has at most 254 characters.'],
          [{ member: 'not an address' }, 400, '"not an address" is not an address (name@domain).'],
          [{ member: 'ivy' }, 400, '"ivy" is not an address'],
          [{ member: 'a@b@c' }, 400, '"a@b@c" is not an address'],
          [{ member: `nobody@${DOMAIN}` }, 404, `There is no active account nobody@${DOMAIN}.`],
          [{ member: `NOBODY@${DOMAIN}` }, 404, `There is no active account nobody@${DOMAIN}.`],
          [{ member: hugo.address }, 409, 'The account is already a member of Gina team.'],
          [{ member: gina.address }, 409, 'The account is already a member of Gina team.'],
          // tiny allows two members, the administrator included
          [{ member: ivy.address }, 403, 'The group Gina team has 2 members, the most its administrator\'s plan allows.'],
        ];
        if ((await server.core.store.getAccount(pending.id))?.status === 'pending') cases.push([{ member: pending.address }, 404, `There is no active account ${pending.address}.`]);
        for (const [fields, status, message] of cases) {
          const r = await g.post(`${path}/add`, { csrf: token, ...fields });
          expectRefused(r, status, message, `add ${JSON.stringify(fields).slice(0, 80)}`);
          // the page is the group's, ready for the next try
          expect(r.text).to.include('<h1>Group Gina team</h1>');
        }
        expect(await groupState(group.id)).to.deep.equal(before);
      });

      it('grant: missing or malformed rights and a non-member change nothing (a missing choice is not "read only")', async () => {
        const g = await loggedIn(gina);
        const token = Browser.csrf(await g.get(path));
        expect((await g.post(`${path}/grant`, { csrf: token, member: hugo.address, rights: 'write' })).status).to.equal(302);
        expect((await g.post(`${path}/grant`, { csrf: token, member: '*', rights: 'write' })).status).to.equal(302);
        const before = await groupState(group.id);
        const cases: [Record<string, string>, number, string][] = [
          [{ member: hugo.address }, 400, 'Choose the rights: read, write, or write,delete.'],
          [{ member: hugo.address, rights: ' ' }, 400, 'Choose the rights'],
          [{ member: '*' }, 400, 'Choose the rights'],
          [{ member: hugo.address, rights: 'admin' }, 400, '"admin" cannot be granted to members'],
          [{ member: '*', rights: 'write,share' }, 400, '"share" cannot be granted to members'],
          [{ member: hugo.address, rights: 'x'.repeat(3000) }, 400, 'cannot be granted to members'],
          [{ rights: 'write' }, 400, 'Give the address of a member.'],
          [{ member: ivy.address, rights: 'write' }, 404, 'That account is not a member of the group.'],
          [{ member: `nobody@${DOMAIN}`, rights: 'write' }, 404, 'There is no active account'],
        ];
        for (const [fields, status, message] of cases) {
          expectRefused(await g.post(`${path}/grant`, { csrf: token, ...fields }), status, message, `grant ${JSON.stringify(fields).slice(0, 80)}`);
        }
        expect(await groupState(group.id)).to.deep.equal(before);
        expect((await server.core.store.getMembership(group.id, hugo.id))!.rights).to.deep.equal(['write']);
        expect((await server.core.store.getGroup(group.id))!.memberRights).to.deep.equal(['write']);
      });

      it('leave, remove, transfer and delete: the administrator without a successor, non-members and missing confirmations are refused with the reason', async () => {
        const g = await loggedIn(gina);
        const token = Browser.csrf(await g.get(path));
        const before = await groupState(group.id);
        const successor = 'The administrator of Gina team cannot leave it without first naming a successor.';
        expectRefused(await g.post(`${path}/leave`, { csrf: token }), 409, successor, 'admin leaves');
        expectRefused(await g.post(`${path}/remove`, { csrf: token, member: gina.address }), 409, successor, 'admin removes herself');
        expectRefused(await g.post(`${path}/remove`, { csrf: token, member: ivy.address }), 404, 'The account is not a member of Gina team.', 'remove a non-member');
        expectRefused(await g.post(`${path}/remove`, { csrf: token }), 400, 'Give the address of a member.', 'remove nobody');
        expectRefused(await g.post(`${path}/transfer`, { csrf: token }), 400, 'Give the address of a member.', 'transfer to nobody');
        expectRefused(await g.post(`${path}/transfer`, { csrf: token, member: ivy.address }), 404, 'The new administrator must be a member of the group.', 'transfer to a non-member');
        expectRefused(await g.post(`${path}/transfer`, { csrf: token, member: gina.address }), 400, 'That member administers the group already', 'transfer to herself');
        expectRefused(await g.post(`${path}/delete`, { csrf: token }), 400, 'Tick the box to confirm that the group is to be deleted.', 'delete unconfirmed');
        expectRefused(await g.post(`${path}/delete`, { csrf: token, confirm: 'no' }), 400, 'Tick the box', 'delete with confirm=no');
        expectRefused(await g.raw('POST', `${path}/delete`, `csrf=${token}&confirm=yes&confirm=yes`, FORM), 400, 'The field confirm was sent twice.', 'confirm twice');
        expect(await groupState(group.id)).to.deep.equal(before);
        // the page said what to do: transfer first
        expect((await g.get(path)).text).to.include('As its administrator you must first transfer the administration to another member.');
      });

      it('a member who does not administer gets 403, an outsider 404, on every action; nothing changes', async () => {
        const before = await groupState(group.id);
        const h = await loggedIn(hugo);
        const hToken = Browser.csrf(await h.get(path));
        const actions: [string, Record<string, string>][] = [
          ['add', { member: ivy.address }], ['remove', { member: gina.address }], ['grant', { member: hugo.address, rights: 'write,delete' }],
          ['grant', { member: '*', rights: 'write,delete' }], ['transfer', { member: hugo.address }], ['delete', { confirm: 'yes' }],
        ];
        for (const [action, fields] of actions) {
          expectRefused(await h.post(`${path}/${action}`, { csrf: hToken, ...fields }), 403, 'Only the group administrator may do this.', `member ${action}`);
        }
        const i = await loggedIn(ivy);
        expectRefused(await i.get(path), 404, 'There is no such group of yours.', 'outsider GET');
        const iToken = Browser.csrf(await i.get('/groups'));
        for (const [action, fields] of [...actions, ['leave', {}] as [string, Record<string, string>]]) {
          expectRefused(await i.post(`${path}/${action}`, { csrf: iToken, ...fields }), 404, 'There is no such group of yours.', `outsider ${action}`);
        }
        for (const bad of ['abc', '0', '-1', '1e3', '99999999999999999999', `${group.id}.0`]) {
          expect((await i.post(`/groups/${bad}/add`, { csrf: iToken, member: ivy.address })).status, bad).to.equal(404);
          expect((await i.get(`/groups/${bad}`)).status, bad).to.equal(404);
        }
        expect(await groupState(group.id)).to.deep.equal(before);
      });

      it('a forged, missing or foreign CSRF token, a tampered cookie, a session after log-out, a form over 64 KiB: refused, nothing changes', async () => {
        const before = await groupState(group.id);
        const g = await loggedIn(gina);
        const token = Browser.csrf(await g.get(path));
        const expired = 'This form has expired or did not come from this site.';
        expectRefused(await g.post(`${path}/add`, { member: ivy.address }), 403, expired, 'no token');
        expectRefused(await g.post(`${path}/add`, { csrf: '', member: ivy.address }), 403, expired, 'empty token');
        expectRefused(await g.post(`${path}/delete`, { csrf: 'A'.repeat(43), confirm: 'yes' }), 403, expired, 'forged token');
        expectRefused(await g.post(`${path}/delete`, { csrf: token.slice(0, -1), confirm: 'yes' }), 403, expired, 'cut token');
        const other = await loggedIn(gina);
        const foreign = Browser.csrf(await other.get(path));
        expectRefused(await g.post(`${path}/delete`, { csrf: foreign, confirm: 'yes' }), 403, expired, 'another session\'s token');
        // over 64 KiB, and a field sent twice
        expectRefused(await g.raw('POST', `${path}/add`, `csrf=${token}&member=${'a'.repeat(70_000)}`, FORM), 413, 'The form is too large.', '70 KB form');
        expectRefused(await g.raw('POST', `${path}/add`, `csrf=${token}&member=${ivy.address}&member=${hugo.address}`, FORM), 400, 'The field member was sent twice.', 'member twice');
        expectRefused(await g.raw('POST', `${path}/add`, JSON.stringify({ csrf: token, member: ivy.address }), { 'content-type': 'application/json' }), 415, 'This address takes forms only', 'JSON');

        // a tampered session cookie is no session: its page's token does not work, and the pages ask to log in
        const cookie = g.cookies.get('bureau_session')!;
        const tampered = browser();
        tampered.cookies.set('bureau_session', `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`);
        expectRefused(await tampered.post(`${path}/delete`, { csrf: token, confirm: 'yes' }), 403, expired, 'tampered cookie');
        expect((await tampered.get(path)).location).to.equal('/login');

        // after log-out the old cookie and its token are worth nothing
        expect((await g.post('/logout', { csrf: token })).location).to.equal('/login?done=logged-out');
        expect(await server.core.store.getSession(sessionIdOf(cookie))).to.equal(null);
        const replay = browser();
        replay.cookies.set('bureau_session', cookie);
        expectRefused(await replay.post(`${path}/delete`, { csrf: token, confirm: 'yes' }), 403, expired, 'after log-out');
        replay.cookies.set('bureau_session', cookie);
        expect((await replay.get(path)).location).to.equal('/login');
        expect(await groupState(group.id)).to.deep.equal(before);
      });
    });

    describe('settings forms', () => {
      let kate: Account;
      let b: Browser;
      let token: string;

      before(async () => {
        kate = await server.account('kate');
        await server.core.accounts.update(kate.id, { name: 'Kate Ross', profile: { firstName: 'Kate', lastName: 'Ross', organisation: 'Acme' }, idleTimeoutMinutes: 45 });
        b = await loggedIn(kate);
        await loggedIn(kate); // a second session, which the password form would end
        token = Browser.csrf(await b.get('/settings'));
      });

      it('profile and idle timeout: oversized, malformed and twice-sent fields, a form over 64 KiB', async () => {
        const before = await accountState(kate.id);
        // each field is named as the form labels it, with its own limit, and control characters have their own message
        for (const [field, label] of [['firstName', 'first name'], ['lastName', 'name'], ['organisation', 'organisation']] as const) {
          const fields = { firstName: 'Kate', lastName: 'Ross', organisation: 'Acme', [field]: 'x'.repeat(201) };
          expectRefused(await b.post('/settings/profile', { csrf: token, ...fields }), 400, new RegExp(`^The ${label} is longer than 200 characters\\.$`), `long ${field}`);
          const control = { firstName: 'Kate', lastName: 'Ross', organisation: 'Acme', [field]: 'a\u0007b' };
          expectRefused(await b.post('/settings/profile', { csrf: token, ...control }), 400, new RegExp(`^The ${label} cannot contain control characters such as tabs or line breaks\\.$`), `control ${field}`);
        }
        // a form that lacks its fields changes nothing (it would have blanked the profile)
        const incomplete = 'The profile form came without its fields; nothing was changed.';
        expectRefused(await b.post('/settings/profile', { csrf: token }), 400, incomplete, 'no fields');
        expectRefused(await b.post('/settings/profile', { csrf: token, firstName: 'Kate' }), 400, incomplete, 'first name only');
        expectRefused(await b.post('/settings/profile', { csrf: token, firstName: 'Kate', lastName: 'Ross' }), 400, incomplete, 'no organisation');
        expectRefused(await b.raw('POST', '/settings/profile', `csrf=${token}&firstName=A&firstName=B&lastName=&organisation=`, FORM), 400, 'The field firstName was sent twice.', 'twice');
        expectRefused(await b.raw('POST', '/settings/profile', `csrf=${token}&firstName=${'k'.repeat(66_000)}`, FORM), 413, 'The form is too large.', 'over 64 KiB');
        const idle = 'The idle timeout must be a whole number of minutes from 1 to 1440.';
        for (const bad of [undefined, '', ' ', 'abc', '0', '-5', '1441', '99999', '5.5', '1e3', '0x10', '３０']) {
          const fields: Record<string, string> = { csrf: token };
          if (bad !== undefined) fields.minutes = bad;
          expectRefused(await b.post('/settings/idle', fields), 400, idle, `idle ${JSON.stringify(bad)}`);
        }
        expectRefused(await b.raw('POST', '/settings/idle', `csrf=${token}&minutes=5&minutes=6`, FORM), 400, 'The field minutes was sent twice.', 'idle twice');
        expect(await accountState(kate.id)).to.deep.equal(before);
      });

      it('password: a wrong or missing current password, a new one against the policy: nothing changes, no session ends', async () => {
        const before = await accountState(kate.id);
        const cases: [Record<string, string>, string][] = [
          [{ current: 'not-the-password', next: 'a-new-long-password' }, 'The current password is wrong.'],
          [{ next: 'a-new-long-password' }, 'The current password is wrong.'],
          [{ current: DAV_PASSWORD }, 'at least 10'],
          [{ current: DAV_PASSWORD, next: 'short' }, 'at least 10'],
          [{ current: DAV_PASSWORD, next: 'p'.repeat(1025) }, '1024'],
        ];
        for (const [fields, message] of cases) {
          const r = await b.post('/settings/password', { csrf: token, ...fields });
          expect(r.status, JSON.stringify(fields).slice(0, 60)).to.equal(400);
          expect(alertOf(r)).to.include(message);
        }
        expect(await accountState(kate.id)).to.deep.equal(before);
        expect((await server.core.accounts.authenticate(kate.address, DAV_PASSWORD, 'web'))?.id).to.equal(kate.id);
      });

      it('profile: a first name and a name each within the limit are saved even when together they are longer, and empty fields sent on purpose clear the profile', async () => {
        const pia = await server.account('pia');
        const p = await loggedIn(pia);
        const pToken = Browser.csrf(await p.get('/settings'));
        const first = 'F'.repeat(150);
        const last = 'L'.repeat(150);
        const saved = await p.post('/settings/profile', { csrf: pToken, firstName: first, lastName: last, organisation: 'Acme' });
        expect(saved.status, alertOf(saved)).to.equal(302);
        expect(saved.location).to.equal('/settings?done=profile');
        const after = (await server.core.store.getAccount(pia.id))!;
        expect(after.profile).to.include({ firstName: first, lastName: last, organisation: 'Acme' });
        expect(after.name).to.equal(`${first} ${last}`.slice(0, 200));
        const page = await p.get('/settings');
        expect(page.text).to.include(`value="${first}"`).and.include(`value="${last}"`);
        // empty strings are a choice: the profile is cleared, the display name kept
        expect((await p.post('/settings/profile', { csrf: pToken, firstName: '', lastName: '', organisation: '' })).location).to.equal('/settings?done=profile');
        const cleared = (await server.core.store.getAccount(pia.id))!;
        expect(cleared.profile).to.include({ firstName: '', lastName: '', organisation: '' });
        expect(cleared.name).to.equal(after.name);
      });

      it('sessions: a missing, unknown, current or another account\'s session id ends nothing', async () => {
        const before = await accountState(kate.id);
        const leo = await server.account('leo');
        await loggedIn(leo);
        const leoSession = (await server.core.store.listSessions(leo.id))[0]!.id;
        const current = sessionIdOf(b.cookies.get('bureau_session')!);
        // no id at all is a malformed form (400); an id that is not one of the account's other sessions is not found (404)
        for (const id of [undefined, '', '  ']) {
          const fields: Record<string, string> = { csrf: token };
          if (id !== undefined) fields.id = id;
          expectRefused(await b.post('/settings/sessions/end', fields), 400, 'Choose the session to end: the form named none.', `end ${JSON.stringify(id)}`);
        }
        for (const id of ['x'.repeat(5000), current, leoSession]) {
          expectRefused(await b.post('/settings/sessions/end', { csrf: token, id }), 404, 'There is no such other session of yours', `end ${String(id).slice(0, 20)}`);
        }
        expect(await accountState(kate.id)).to.deep.equal(before);
        expect((await server.core.store.listSessions(leo.id)).map((s) => s.id)).to.deep.equal([leoSession]);
      });

      it('destroy: without the password, with a wrong one, without the confirmation, or while administering a group with members: nothing goes', async () => {
        const mia = await server.account('mia');
        const team = await server.group('Mia team', mia, [kate]);
        const m = await loggedIn(mia);
        const mToken = Browser.csrf(await m.get('/settings'));
        const before = await accountState(mia.id);
        expectRefused(await m.post('/settings/destroy', { csrf: mToken, confirm: 'yes' }), 400, 'The password is wrong; nothing was destroyed.', 'no password');
        expectRefused(await m.post('/settings/destroy', { csrf: mToken, password: 'wrong-password', confirm: 'yes' }), 400, 'The password is wrong; nothing was destroyed.', 'wrong password');
        expectRefused(await m.post('/settings/destroy', { csrf: mToken, password: DAV_PASSWORD }), 400, 'Tick the box to confirm that the account is to be destroyed.', 'no confirmation');
        expectRefused(await m.post('/settings/destroy', { csrf: mToken, password: DAV_PASSWORD, confirm: 'no' }), 400, 'Tick the box', 'confirm=no');
        expectRefused(await m.post('/settings/destroy', { csrf: mToken, password: DAV_PASSWORD, confirm: 'yes' }), 409, 'administers the group Mia team, which has other members; transfer it first', 'group with members');
        expect(await accountState(mia.id)).to.deep.equal(before);
        expect((await server.core.store.getGroup(team.id))?.adminId).to.equal(mia.id);
        expect((await server.core.accounts.authenticate(mia.address, DAV_PASSWORD, 'web'))?.id).to.equal(mia.id);
      });

      it('every settings form refuses a forged or missing token, a tampered cookie and a session after log-out, and changes nothing', async () => {
        const nina = await server.account('nina');
        const n = await loggedIn(nina);
        const other = await loggedIn(nina);
        const otherId = sessionIdOf(other.cookies.get('bureau_session')!);
        const nToken = Browser.csrf(await n.get('/settings'));
        const forms: [string, Record<string, string>][] = [
          ['/settings/profile', { firstName: 'Changed', lastName: 'Name', organisation: 'X' }],
          ['/settings/password', { current: DAV_PASSWORD, next: 'a-brand-new-password' }],
          ['/settings/idle', { minutes: '5' }],
          ['/settings/sessions/end', { id: otherId }],
          ['/settings/sessions/end-others', {}],
          ['/settings/destroy', { password: DAV_PASSWORD, confirm: 'yes' }],
        ];
        const before = await accountState(nina.id);
        const expired = 'This form has expired or did not come from this site.';
        const cookie = n.cookies.get('bureau_session')!;
        for (const [action, fields] of forms) {
          expectRefused(await n.post(action, fields), 403, expired, `${action} without token`);
          expectRefused(await n.post(action, { ...fields, csrf: 'A'.repeat(43) }), 403, expired, `${action} forged`);
          expectRefused(await n.post(action, { ...fields, csrf: Browser.csrf(await other.get('/settings')) }), 403, expired, `${action} other session's token`);
          const tampered = browser();
          tampered.cookies.set('bureau_session', cookie.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
          expectRefused(await tampered.post(action, { ...fields, csrf: nToken }), 403, expired, `${action} tampered cookie`);
        }
        expect(await accountState(nina.id)).to.deep.equal(before);
        expect((await n.post('/logout', { csrf: nToken })).location).to.equal('/login?done=logged-out');
        const afterLogout = await accountState(nina.id);
        for (const [action, fields] of forms) {
          const replay = browser();
          replay.cookies.set('bureau_session', cookie);
          expectRefused(await replay.post(action, { ...fields, csrf: nToken }), 403, expired, `${action} after log-out`);
        }
        expect(await accountState(nina.id)).to.deep.equal(afterLogout);
        expect((afterLogout as { sessions: string[] }).sessions).to.deep.equal([otherId]);
        expect((await other.get('/settings')).status).to.equal(200);
      });

      it('password checks of the settings count under the login throttle: a stolen session cannot guess the password', async () => {
        const forgetClient = (): Promise<void> => server.core.throttle.succeed(['ip:127.0.0.1', 'ip:::ffff:127.0.0.1']);
        await forgetClient();
        const olga = await server.account('olga');
        const o = await loggedIn(olga);
        const oToken = Browser.csrf(await o.get('/settings'));
        const before = await accountState(olga.id);
        for (let i = 0; i < 5; i++) {
          expectRefused(await o.post('/settings/password', { csrf: oToken, current: `guess-${i}`, next: 'a-stolen-new-password' }), 400, 'The current password is wrong.', `password guess ${i}`);
          expectRefused(await o.post('/settings/destroy', { csrf: oToken, password: `guess-${i}`, confirm: 'yes' }), 400, 'The password is wrong; nothing was destroyed.', `destroy guess ${i}`);
        }
        // ten failures: now even the right password is not checked, here or at the login
        const blocked = /^Too many failed attempts\. Try again in \d+ minutes\.$/;
        expectRefused(await o.post('/settings/password', { csrf: oToken, current: DAV_PASSWORD, next: 'a-stolen-new-password' }), 429, blocked, 'password blocked');
        expectRefused(await o.post('/settings/destroy', { csrf: oToken, password: DAV_PASSWORD, confirm: 'yes' }), 429, blocked, 'destroy blocked');
        await forgetClient();
        expect((await browser().login(olga.address, DAV_PASSWORD)).status, 'login of the blocked account').to.equal(429);
        expect(await accountState(olga.id)).to.deep.equal(before);
        // a new password against the policy is not a wrong guess
        const pat = await server.account('pat2');
        const q = await loggedIn(pat);
        const qToken = Browser.csrf(await q.get('/settings'));
        for (let i = 0; i < 12; i++) expectRefused(await q.post('/settings/password', { csrf: qToken, current: DAV_PASSWORD, next: 'short' }), 400, 'at least 10', `policy ${i}`);
        expect((await q.post('/settings/password', { csrf: qToken, current: DAV_PASSWORD, next: 'a-brand-new-password' })).location).to.equal('/settings?done=password');
        await forgetClient();
      });
    });
  });
}
