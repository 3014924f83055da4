// Pages for everyone: the front page, log in and out, sign-up, activation,
// password reset.
import type Router from '@koa/router';
import { InvalidInput } from '../../core/errors.ts';
import { loginKeys } from '../../core/throttle.ts';
import { clientAddress, csrf as csrfOf, render, setSessionCookie, tryLogin, userError, type Ctx, type Site, type WebState } from '../app.ts';
import { csrfField, field, html, type Html } from '../html.ts';
import { t, th, type Lang } from '../i18n.ts';

function notice(lang: Lang, done: string): string | null {
  switch (done) {
    case 'logged-out': return t(lang, 'You are logged out.');
    case 'activated': return t(lang, 'Your account is active. You can log in now.');
    case 'destroyed': return t(lang, 'Your account and everything in it have been destroyed.');
    case 'password-changed': return t(lang, 'Your password was changed. Please log in again.');
    case 'password-reset': return t(lang, 'Your new password is set and every session of the account was ended. You can log in now.');
    default: return null;
  }
}

function loginForm(ctx: Ctx, address = ''): Html {
  const l = ctx.state.lang;
  return html`<form method="post" action="/login">${csrfField(csrfOf(ctx))}
${field('address', t(l, 'Address'), { type: 'email', autocomplete: 'username', value: address })}
${field('password', t(l, 'Password'), { type: 'password', autocomplete: 'current-password' })}
<p><button type="submit">${t(l, 'Log in')}</button></p></form>
<p><a href="/reset">${t(l, 'Forgot your password?')}</a></p>
<p>${th(l, 'No account yet? <a href="/signup">Sign up</a>.')}</p>`;
}

function resetRequestForm(ctx: Ctx, address = ''): Html {
  const l = ctx.state.lang;
  return html`<p>${t(l, 'Give the address of your account. If it has a confirmed e-mail address (the one its activation link went to), a link to choose a new password is sent there.')}</p>
<form method="post" action="/reset">${csrfField(csrfOf(ctx))}
${field('address', t(l, 'Address of your account'), { type: 'email', autocomplete: 'username', value: address })}
<p><button type="submit">${t(l, 'Send me a link')}</button></p></form>`;
}

function newPasswordForm(ctx: Ctx, site: Site, token: string, address: string): Html {
  const l = ctx.state.lang;
  return html`<form method="post" action="/reset/new">${csrfField(csrfOf(ctx))}
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="username" value="${address}" autocomplete="username">
<p>${t(l, 'A new password for {address}. Every open session of the account ends.', { address })}</p>
${field('password', t(l, 'New password'), { type: 'password', autocomplete: 'new-password', hint: t(l, 'At least {count} characters.', { count: site.core.settings.password.minLength }) })}
<p><button type="submit">${t(l, 'Set the new password')}</button></p></form>`;
}

const resetLinkDead = (l: Lang): Html => html`<p>${th(l, 'This link has expired, was used already, or was not copied whole. Nothing was changed. <a href="/reset">Ask for a new link</a>.')}</p>`;


async function hostedDomains(site: Site): Promise<string[]> {
  const others = (await site.core.domains.list()).map((d) => d.name).filter((d) => d !== site.core.settings.domain);
  return [site.core.settings.domain, ...others.sort()];
}

const whenNoMail = (l: Lang): Html => html`<h2>${t(l, 'The message does not arrive?')}</h2>
<ul><li>${t(l, 'Look in the spam or junk folder of that mailbox.')}</li>
<li>${t(l, 'Mail can take a few minutes; wait a little before asking again.')}</li>
<li>${th(l, 'If you mistyped the address, <a href="/signup/resend">send the link again</a> to the right one.')}</li></ul>`;

function signupForm(ctx: Ctx, site: Site, domains: string[], v: Record<string, string>): Html {
  const l = ctx.state.lang;
  const options = domains.map((d) => html`<option value="${d}"${v.domain === d ? html` selected` : ''}>@${d}</option>`);
  return html`<form method="post" action="/signup">${csrfField(csrfOf(ctx))}
${field('name', t(l, 'Your name'), { autocomplete: 'name', value: v.name ?? '', required: false })}
<p><label for="local">${t(l, 'New address')}</label>
<input id="local" name="local" autocomplete="username" required value="${v.local ?? ''}" aria-describedby="local-hint">
<label for="domain">${t(l, 'Domain')}</label><select id="domain" name="domain">${options}</select>
<small id="local-hint">${t(l, 'The part before the @, for example ann.smith.')}</small></p>
${field('password', t(l, 'Password'), { type: 'password', autocomplete: 'new-password', hint: t(l, 'At least {count} characters.', { count: site.core.settings.password.minLength }) })}
${field('contact', t(l, 'An e-mail address you already read'), { type: 'email', autocomplete: 'email', value: v.contact ?? '', hint: t(l, 'We send the activation link there.') })}
<p><button type="submit">${t(l, 'Sign up')}</button></p></form>`;
}

function resendForm(ctx: Ctx, v: Record<string, string>): Html {
  const l = ctx.state.lang;
  return html`<p>${t(l, 'Give the address you signed up for and its password; the link goes again to your e-mail address, or to a corrected one.')}</p>
<form method="post" action="/signup/resend">${csrfField(csrfOf(ctx))}
${field('address', t(l, 'New address'), { type: 'email', autocomplete: 'username', value: v.address ?? '' })}
${field('password', t(l, 'Password'), { type: 'password', autocomplete: 'current-password' })}
${field('contact', t(l, 'Send to (leave empty for the address given at sign-up)'), { type: 'email', autocomplete: 'email', value: v.contact ?? '', required: false })}
<p><button type="submit">${t(l, 'Send the link again')}</button></p></form>`;
}

export function publicRoutes(router: Router<WebState>, site: Site): void {
  router.get('/', (ctx) => {
    const l = ctx.state.lang;
    const a = ctx.state.account;
    if (a) {
      render(ctx, 'Bureau', html`<p>${t(l, 'Welcome, {name}. Your mail, calendars, contacts and documents for {address}.', { name: a.name, address: a.address })}</p>
<ul><li>${th(l, '<a href="/settings">Settings</a>: password, sessions, profile, usage')}</li><li><a href="/groups">${t(l, 'Groups')}</a></li><li><a href="/sharing">${t(l, 'Sharing')}</a></li><li><a href="/help">${t(l, 'Setting up your programs')}</a></li></ul>`);
      return;
    }
    render(ctx, 'Bureau', html`<p>${t(l, 'Mail, calendars, contacts and documents for {domain}, in the programs you already use.', { domain: site.core.settings.domain })}</p>
<p>${th(l, '<a href="/login">Log in</a> or <a href="/signup">sign up</a>.')}</p>`);
  });

  router.get('/login', (ctx) => {
    if (ctx.state.account) return ctx.redirect('/');
    const l = ctx.state.lang;
    const timeout = ctx.query.timeout === '1' || ctx.state.expired;
    render(ctx, t(l, 'Log in'), loginForm(ctx), { error: timeout ? t(l, 'Session timeout. Please log in again.') : null, notice: notice(l, String(ctx.query.done ?? '')) });
  });

  router.post('/login', async (ctx) => {
    const f = ctx.state.form;
    const address = (f.address ?? '').slice(0, 320);
    const r = await tryLogin(site, ctx, address, f.password ?? '');
    if ('error' in r) {
      render(ctx, t(ctx.state.lang, 'Log in'), loginForm(ctx, address), { status: r.status, error: r.error });
      return;
    }
    // a new session, a new token: whatever cookie came in is not reused
    if (ctx.state.session) await site.core.store.deleteSession(ctx.state.session.id);
    const token = await site.sessions.open(r.account.id, ctx.get('user-agent'), clientAddress(ctx));
    setSessionCookie(ctx, token);
    ctx.redirect('/');
  });

  router.post('/logout', async (ctx) => {
    if (ctx.state.session) await site.core.store.deleteSession(ctx.state.session.id);
    setSessionCookie(ctx, null);
    ctx.redirect('/login?done=logged-out');
  });

  router.get('/signup', async (ctx) => {
    render(ctx, t(ctx.state.lang, 'Sign up'), signupForm(ctx, site, await hostedDomains(site), {}));
  });

  router.post('/signup', async (ctx) => {
    const l = ctx.state.lang;
    const f = ctx.state.form;
    const domains = await hostedDomains(site);
    const v = { name: f.name ?? '', local: (f.local ?? '').trim(), domain: f.domain ?? '', contact: f.contact ?? '' };
    try {
      if (!domains.includes(v.domain)) throw new InvalidInput('domain', t(l, 'choose one of the domains offered'));
      await site.signups.start({
        address: `${v.local}@${v.domain}`, password: f.password ?? '', contactEmail: v.contact, name: v.name.slice(0, 300), clientAddress: clientAddress(ctx), lang: l,
      });
    } catch (err) {
      const e = userError(err, l);
      if (!e) throw err;
      render(ctx, t(l, 'Sign up'), signupForm(ctx, site, domains, v), { status: e.status, error: e.message });
      return;
    }
    render(ctx, t(l, 'Check your mail'), html`<p>${t(l, 'We sent an activation link to {contact}. Open it within {hours} hours to activate {address}; until then the account cannot be used.', { contact: v.contact, hours: site.settings.signupLinkHours, address: `${v.local}@${v.domain}` })}</p>${whenNoMail(l)}`);
  });

  router.get('/signup/resend', (ctx) => {
    render(ctx, t(ctx.state.lang, 'Send the activation link again'), resendForm(ctx, {}));
  });

  router.post('/signup/resend', async (ctx) => {
    const l = ctx.state.lang;
    const f = ctx.state.form;
    const v = { address: (f.address ?? '').slice(0, 320), contact: (f.contact ?? '').slice(0, 320) };
    try {
      await site.signups.resend(v.address, f.password ?? '', v.contact, clientAddress(ctx), l);
    } catch (err) {
      const e = userError(err, l);
      if (!e) throw err;
      render(ctx, t(l, 'Send the activation link again'), resendForm(ctx, v), { status: e.status, error: e.message });
      return;
    }
    render(ctx, t(l, 'Check your mail'), html`<p>${t(l, 'A new activation link is on its way; the previous one no longer works.')}</p>${whenNoMail(l)}`);
  });

  // opening the link shows a button: a mail scanner that fetches links activates nothing
  router.get('/activate', (ctx) => {
    const l = ctx.state.lang;
    const token = String(ctx.query.token ?? '');
    render(ctx, t(l, 'Activate your account'), html`<form method="post" action="/activate">${csrfField(csrfOf(ctx))}
<input type="hidden" name="token" value="${token}"><p><button type="submit">${t(l, 'Activate my account')}</button></p></form>`);
  });

  router.post('/activate', async (ctx) => {
    const l = ctx.state.lang;
    const account = await site.signups.activate(ctx.state.form.token ?? '');
    if (!account) {
      render(ctx, t(l, 'Activate your account'), html`<p>${th(l, 'This link has expired or was used already. <a href="/signup/resend">Send a new link</a>, or <a href="/login">log in</a> if your account is active.')}</p>`, { status: 410, error: t(l, 'This activation link does not work (any more).') });
      return;
    }
    ctx.redirect('/login?done=activated');
  });

  router.get('/reset', (ctx) => {
    render(ctx, t(ctx.state.lang, 'Forgot your password?'), resetRequestForm(ctx));
  });

  router.post('/reset', async (ctx) => {
    const l = ctx.state.lang;
    const address = (ctx.state.form.address ?? '').slice(0, 320);
    try {
      if (address.trim() === '') throw new InvalidInput('address', t(l, 'give the address of your account'));
      await site.resets.request(address, clientAddress(ctx), l);
    } catch (err) {
      const e = userError(err, l);
      if (!e) throw err;
      render(ctx, t(l, 'Forgot your password?'), resetRequestForm(ctx, address), { status: e.status, error: e.message });
      return;
    }
    // the same answer for every address: whether it exists is not told
    const hours = site.settings.resetLinkHours ?? 2;
    const vars = { address: address.trim().toLowerCase(), hours };
    render(ctx, t(l, 'Check your mail'), html`<p>${hours === 1
      ? t(l, 'If {address} is an account here with a confirmed e-mail address, a link to choose a new password is on its way to that address. It works once, within {hours} hour.', vars)
      : t(l, 'If {address} is an account here with a confirmed e-mail address, a link to choose a new password is on its way to that address. It works once, within {hours} hours.', vars)}</p>
<h2>${t(l, 'The message does not arrive?')}</h2>
<ul><li>${t(l, 'Look in the spam or junk folder of the mailbox your activation link went to.')}</li>
<li>${t(l, 'Mail can take a few minutes; wait a little before asking again.')}</li>
<li>${t(l, 'A new request replaces the previous link.')}</li></ul>`);
  });

  // opening the link shows a form: a mail scanner that fetches links changes nothing
  router.get('/reset/new', async (ctx) => {
    const l = ctx.state.lang;
    const token = String(ctx.query.token ?? '');
    const account = await site.resets.check(token);
    if (!account) {
      render(ctx, t(l, 'Choose a new password'), resetLinkDead(l), { status: 410, error: t(l, 'This password reset link does not work (any more).') });
      return;
    }
    render(ctx, t(l, 'Choose a new password'), newPasswordForm(ctx, site, token, account.address));
  });

  router.post('/reset/new', async (ctx) => {
    const l = ctx.state.lang;
    const f = ctx.state.form;
    const token = f.token ?? '';
    let done;
    try {
      done = await site.resets.complete(token, f.password ?? '');
    } catch (err) {
      const e = userError(err, l);
      if (!e) throw err;
      const account = await site.resets.check(token);
      render(ctx, t(l, 'Choose a new password'), account ? newPasswordForm(ctx, site, token, account.address) : resetLinkDead(l), { status: e.status, error: e.message });
      return;
    }
    if (!done) {
      render(ctx, t(l, 'Choose a new password'), resetLinkDead(l), { status: 410, error: t(l, 'This password reset link does not work (any more).') });
      return;
    }
    // this browser's session, if any, ended with all the others
    if (ctx.state.session) setSessionCookie(ctx, null);
    // whoever read the mail may log in at once, even if others' failed tries blocked the account
    await site.core.throttle.succeed(loginKeys(clientAddress(ctx), done.address).filter((k) => k.startsWith('account:')));
    ctx.redirect('/login?done=password-reset');
  });
}
