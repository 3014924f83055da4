// The web site in French over real HTTPS on the real server and store, both
// backends: the language chosen by Accept-Language, by ?lang= (remembered in a
// cookie) and back; the pages a French reader reaches carry no English
// sentence of the site's catalogue; form errors, the core's refusals, the
// settings page and the activation and reset mails in French; English stays
// the default.
import { expect } from 'chai';
import { FR } from '../../src/web/lang/fr.ts';
import { startDav, DAV_PASSWORD, DOMAIN, type DavServer } from '../support/dav.ts';
import type { Backend } from '../support/store.ts';
import { Browser, type Answer } from './client.ts';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const FRENCH = { 'accept-language': 'fr-FR,fr;q=0.9' };

/** The text a reader sees: tags dropped, entities decoded, spaces joined. */
function visible(a: Answer): string {
  return a.text.replace(/<[^>]*>/g, ' ').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

/** What the user reads in the page's error box. */
function alertOf(a: Answer): string {
  const m = /<p class="error" role="alert">([^<]*)<\/p>|<main><h1>[^<]*<\/h1>\s*<p>([^<]*)<\/p>/.exec(a.text);
  return (m ? (m[1] ?? m[2] ?? '') : '').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

/**
 * The English sentences of the catalogue a French page must not show: the
 * longest fixed piece (between placeholders, outside markup) of each key
 * whose French differs, when that piece is long enough to be a sentence of
 * its own (not a word French shares, such as "Documents").
 */
const ENGLISH = Object.entries(FR).filter(([en, fr]) => en !== fr).flatMap(([en]) => {
  const pieces = en.replace(/<[^>]*>/g, '\u0000').split(/\{\w+\}|\u0000/).map((p) => p.trim());
  const longest = pieces.sort((a, b) => b.length - a.length)[0] ?? '';
  return longest.length >= 8 && / /.test(longest) ? [longest] : [];
});

function expectFrench(a: Answer, what: string): void {
  expect(a.headers['content-type'], what).to.match(/^text\/html/);
  expect(a.text, what).to.include('<html lang="fr">');
  expect(a.headers['content-language'], what).to.equal('fr');
  const text = visible(a);
  const english = ENGLISH.filter((s) => text.includes(s));
  expect(english, `${what}: English left on the page`).to.deep.equal([]);
}

/** The Subject of a raw message, its RFC 2047 encoded words decoded. */
function subjectOf(raw: string): string {
  const header = raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]/g, ' ');
  const line = header.split('\r\n').find((l) => l.startsWith('Subject: '))!.slice(9);
  return line.replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/gi, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8')).trim();
}

for (const backend of BACKENDS) {
  describe(`web site in French (${backend})`, function () {
    let server: DavServer;
    const browser = (): Browser => new Browser(server.port, server.ca);
    /** A browser that chose French (its cookie, as ?lang=fr leaves it). */
    const french = (): Browser => {
      const b = browser();
      b.cookies.set('bureau_lang', 'fr');
      return b;
    };
    const loggedIn = async (b: Browser, address: string): Promise<Browser> => {
      expect((await b.login(address, DAV_PASSWORD)).status).to.equal(302);
      return b;
    };

    async function mailTo(to: string, count: number): Promise<string> {
      for (let i = 0; i < 200; i++) {
        const msgs = (await server.core.store.listOutbound()).filter((m) => m.recipients.includes(to)).map((m) => m.raw.toString('utf8'));
        if (msgs.length >= count) return msgs[count - 1]!;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no message number ${count} for ${to}`);
    }

    before(async () => {
      server = await startDav(backend, { env: { BUREAU_SMTP_RELAY: 'smtp://127.0.0.1:9', BUREAU_SIGNUPS_PER_HOUR: '50' } });
    });
    after(async () => server?.stop());

    it('answers Accept-Language: fr with the login page in French', async () => {
      const page = await browser().raw('GET', '/login', undefined, FRENCH);
      expect(page.status).to.equal(200);
      expectFrench(page, '/login');
      expect(page.headers.vary).to.match(/Accept-Language/).and.match(/Cookie/);
      const text = visible(page);
      expect(text).to.include('Se connecter').and.include('Mot de passe').and.include('Mot de passe oublié ?').and.include('Aide');
      for (const english of ['Log in', 'Password', 'Forgot your password?', 'No account yet?', 'Sign up', 'Home', 'Help']) {
        expect(text, english).to.not.include(english);
      }
      // the autocomplete tokens and field names a program reads stay as they are
      expect(page.text).to.include('name="address"').and.include('autocomplete="username"').and.include('autocomplete="current-password"');
      // the language switch: each language in its own name and language, to this same page
      expect(page.text).to.include('<a href="/login?lang=en" lang="en" hreflang="en">English</a>');
      expect(page.text).to.include('<a href="/login?lang=fr" lang="fr" hreflang="fr" aria-current="true">Français</a>');
      // no cookie is set by mere negotiation
      expect(String(page.headers['set-cookie'] ?? '')).to.not.include('bureau_lang');
    });

    it('keeps English for other languages and for no Accept-Language at all', async () => {
      const headers: Record<string, string>[] = [{}, { 'accept-language': 'de-DE,de;q=0.9' }, { 'accept-language': 'en-GB,en;q=0.9,fr;q=0.8' }];
      for (const header of headers) {
        const page = await browser().raw('GET', '/login', undefined, header);
        expect(page.text).to.include('<html lang="en">');
        expect(page.headers['content-language']).to.equal('en');
        expect(visible(page)).to.include('Forgot your password?');
        // the check of the French pages would catch these English ones
        expect(ENGLISH.filter((s) => visible(page).includes(s))).to.include.members(['Forgot your password?', 'No account yet?']);
      }
      expect(ENGLISH.length, 'English sentences looked for').to.be.greaterThan(150);
    });

    it('?lang=fr sets a cookie that keeps the site French; ?lang=en goes back', async () => {
      const b = browser();
      const chosen = await b.raw('GET', '/signup?lang=fr', undefined, { 'accept-language': 'en-US,en;q=0.9' });
      expectFrench(chosen, '/signup?lang=fr');
      const cookie = (chosen.headers['set-cookie'] ?? []).find((c) => c.startsWith('bureau_lang='))!;
      expect(cookie).to.match(/^bureau_lang=fr;/).and.match(/httponly/i).and.match(/secure/i).and.match(/samesite=lax/i).and.match(/path=\//);
      const expires = Date.parse(/expires=([^;]+)/i.exec(cookie)![1]!);
      expect(expires - Date.now()).to.be.greaterThan(364 * 86_400_000).and.lessThan(366 * 86_400_000);
      expect(b.cookies.get('bureau_lang')).to.equal('fr');
      // later pages, without Accept-Language or even asking for English, stay French
      expectFrench(await b.get('/'), '/ after the choice');
      expectFrench(await b.raw('GET', '/reset', undefined, { 'accept-language': 'en' }), '/reset with Accept-Language en');
      // the switch keeps the rest of the query
      const activate = await b.get('/activate?token=abc');
      expect(activate.text).to.include('href="/activate?token=abc&#38;lang=en"');
      const back = await b.get('/login?lang=en');
      expect(back.text).to.include('<html lang="en">');
      expect(b.cookies.get('bureau_lang')).to.equal('en');
      const after = await b.raw('GET', '/login', undefined, FRENCH);
      expect(after.text, 'the cookie outranks Accept-Language').to.include('<html lang="en">');
      // a language the site does not have is ignored
      const unknown = await b.get('/login?lang=de');
      expect(unknown.text).to.include('<html lang="en">');
      expect(b.cookies.get('bureau_lang')).to.equal('en');
    });

    it('shows no English on the pages a French reader reaches, logged out and in', async () => {
      const visitor = french();
      for (const path of ['/', '/login', '/login?timeout=1', '/login?done=activated', '/signup', '/signup/resend', '/reset', '/activate?token=x', '/reset/new?token=x', '/help', '/help/mail', '/help/calendars', '/help/drive', '/help/apple', '/nowhere']) {
        expectFrench(await visitor.get(path), path);
      }
      const zoe = await server.account('zoe');
      const yan = await server.account('yan');
      const team = await server.group('Équipe', zoe, [yan]);
      const cal = (await server.core.store.listCollections(zoe.spaceId)).find((c) => c.tool === 'calendar')!;
      await server.core.sharing.share(zoe.id, { collectionId: cal.id }, team.id, ['read']);
      const z = await loggedIn(french(), zoe.address);
      for (const path of ['/', '/settings', '/settings?done=profile', '/groups', `/groups/${team.id}`, '/groups?done=created', '/sharing', '/sharing?done=shared', '/help', '/help/apple']) {
        expectFrench(await z.get(path), path);
      }
      const y = await loggedIn(french(), yan.address);
      for (const path of ['/sharing', `/groups/${team.id}`]) expectFrench(await y.get(path), `${path} (member)`);
      // the same pages in English show many of the sentences looked for
      const englishSettings = visible(await z.get('/settings?lang=en'));
      expect(ENGLISH.filter((s) => englishSettings.includes(s)).length).to.be.greaterThan(20);
      await z.get('/settings?lang=fr');
      const settings = visible(await z.get('/settings'));
      expect(settings).to.include('Paramètres').and.include('Profil').and.include('Mot de passe actuel').and.include('Déconnexion').and.include('Détruire mon compte');
      for (const english of ['Settings', 'Save the profile', 'Log out', 'Current password', 'Destroy my account', 'Idle timeout']) expect(settings).to.not.include(english);
      expect(visible(await z.get('/sharing'))).to.include('Agenda « Calendar »').and.include('Partagé avec moi');
    });

    it('says form errors and the core\'s refusals in French', async () => {
      const login = await french().login(`nobody@${DOMAIN}`, 'wrong-password!');
      expect(login.status).to.equal(401);
      expectFrench(login, 'wrong login');
      expect(alertOf(login)).to.equal('L’adresse ou le mot de passe est faux, ou le compte n’est pas encore activé.');

      const vic = await server.account('vic');
      const v = await loggedIn(french(), vic.address);
      const token = Browser.csrf(await v.get('/groups'));
      const empty = await v.post('/groups', { csrf: token, name: '' });
      expect(empty.status).to.equal(400);
      expectFrench(empty, 'empty group name');
      expect(alertOf(empty)).to.equal('Un nom de groupe a de 1 à 64 caractères.');
      const bad = await v.post('/groups', { csrf: token, name: 'a/b' });
      expect(alertOf(bad)).to.equal('Un nom de groupe ne peut contenir ni / ni \\ ni caractère de contrôle, ni être . ou ..');
      const made = await v.post('/groups', { csrf: token, name: 'Vic team' });
      const path = made.location!.split('?')[0]!;
      const taken = await v.post('/groups', { csrf: token, name: 'Vic team' });
      expect(taken.status).to.equal(409);
      expect(alertOf(taken)).to.equal('Un groupe nommé Vic team existe déjà.');
      const notAddress = await v.post(`${path}/add`, { csrf: token, member: 'ivy' });
      expect(notAddress.status).to.equal(400);
      expectFrench(notAddress, 'add a non-address');
      expect(alertOf(notAddress)).to.equal('"ivy" n’est pas une adresse (nom@domaine).');
      const nobody = await v.post(`${path}/add`, { csrf: token, member: `nobody@${DOMAIN}` });
      expect(alertOf(nobody)).to.equal(`Il n’y a pas de compte actif nobody@${DOMAIN}.`);
      const leave = await v.post(`${path}/leave`, { csrf: token });
      expect(leave.status).to.equal(409);
      expect(alertOf(leave)).to.equal('L’administrateur de Vic team ne peut pas le quitter sans avoir d’abord nommé un successeur.');

      const settingsToken = Browser.csrf(await v.get('/settings'));
      const wrong = await v.post('/settings/password', { csrf: settingsToken, current: 'not-it', next: 'a-long-new-password' });
      expect(wrong.status).to.equal(400);
      expectFrench(wrong, 'wrong current password');
      expect(alertOf(wrong)).to.equal('Le mot de passe actuel est faux.');
      const short = await v.post('/settings/password', { csrf: settingsToken, current: DAV_PASSWORD, next: 'short' });
      expect(alertOf(short)).to.equal('Le mot de passe est trop court : il faut au moins 10 caractères.');
      const long = await v.post('/settings/profile', { csrf: settingsToken, firstName: 'x'.repeat(201), lastName: '', organisation: '' });
      expect(alertOf(long)).to.equal('Le prénom dépasse 200 caractères.');
      const idle = await v.post('/settings/idle', { csrf: settingsToken, minutes: '0' });
      expect(alertOf(idle)).to.equal('Le délai d’inactivité doit être un nombre entier de minutes, de 1 à 1440.');
      const forged = await v.post('/settings/idle', { csrf: 'A'.repeat(43), minutes: '5' });
      expect(forged.status).to.equal(403);
      expectFrench(forged, 'forged token');
      expect(alertOf(forged)).to.match(/^Ce formulaire a expiré/);

      const signup = await french().submit('/signup', '/signup', { name: '', local: 'vic', domain: DOMAIN, password: 'a-long-password', contact: 'vic@elsewhere.test' });
      expect(signup.status).to.equal(409);
      expect(alertOf(signup)).to.equal(`L’adresse vic@${DOMAIN} est déjà prise.`);
      await server.core.throttle.succeed(['ip:127.0.0.1', 'ip:::ffff:127.0.0.1']);
    });

    it('sends the activation and reset mails in the language of the request', async () => {
      const b = french();
      const r = await b.submit('/signup', '/signup', { name: 'Léa', local: 'lea', domain: DOMAIN, password: 'a-long-password', contact: 'lea@elsewhere.test' });
      expect(r.status).to.equal(200);
      expectFrench(r, 'sign-up done');
      expect(visible(r)).to.include('Nous avons envoyé un lien d’activation à lea@elsewhere.test');
      const mail = await mailTo('lea@elsewhere.test', 1);
      expect(subjectOf(mail)).to.equal(`Activez votre compte lea@${DOMAIN}`);
      expect(mail).to.match(/\r\nContent-Language: fr\r\n/);
      const body = mail.split('\r\n\r\n').slice(1).join('\r\n\r\n');
      expect(body).to.include('Bonjour,').and.include('Pour activer le compte, ouvrez ce lien :').and.include('Si vous n’avez rien demandé');
      expect(body).to.not.include('Hello').and.not.include('open this link');
      const token = /\/activate\?token=([A-Za-z0-9_-]{43})/.exec(body)![1]!;
      const page = await b.get(`/activate?token=${token}`);
      expect((await b.post('/activate', { csrf: Browser.csrf(page), token })).location).to.equal('/login?done=activated');
      expect(visible(await b.get('/login?done=activated'))).to.include('Votre compte est actif. Vous pouvez vous connecter.');

      // the reset mail, asked in French: a non-ASCII subject in RFC 2047 encoded words
      const reset = await french().submit('/reset', '/reset', { address: `lea@${DOMAIN}` });
      expectFrench(reset, 'reset asked');
      const resetMail = await mailTo('lea@elsewhere.test', 2);
      expect(resetMail).to.match(/\r\nSubject: =\?UTF-8\?B\?/);
      expect(subjectOf(resetMail)).to.equal(`Réinitialisation du mot de passe de lea@${DOMAIN}`);
      expect(resetMail).to.include('Pour choisir un nouveau mot de passe, ouvrez ce lien :');

      // the same from an English request stays English
      await browser().submit('/reset', '/reset', { address: `lea@${DOMAIN}` });
      const english = await mailTo('lea@elsewhere.test', 3);
      expect(subjectOf(english)).to.equal(`Reset the password of lea@${DOMAIN}`);
      expect(english).to.include('To choose a new password, open this link:').and.match(/\r\nContent-Language: en\r\n/);
    });
  });
}
