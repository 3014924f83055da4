// Settings of the logged-in account: profile and photo, password, idle
// timeout, sessions, usage, and destroying the account. The password checks
// (changing it, destroying the account) count under the login's shared
// throttle: a stolen session cannot guess the password here either.
import type Router from '@koa/router';
import { verifyPassword } from '../../core/passwords.ts';
import { PHOTO_MAX_BYTES } from '../../core/accounts.ts';
import { InvalidInput } from '../../core/errors.ts';
import {
  csrf, PHOTO_UPLOAD_PATH, render, requireAccount, setSessionCookie, throttledPasswordCheck, userError, type Ctx, type Site, type WebState,
} from '../app.ts';
import { csrfField, field, html, type Html } from '../html.ts';
import { size, t, type Lang } from '../i18n.ts';

function notice(l: Lang, done: string): string | null {
  switch (done) {
    case 'profile': return t(l, 'Your profile was saved.');
    case 'password': return t(l, 'Your password was changed; your other sessions were ended.');
    case 'idle': return t(l, 'The idle timeout was saved.');
    case 'session-ended': return t(l, 'The session was ended.');
    case 'sessions-ended': return t(l, 'Your other sessions were ended.');
    case 'photo': return t(l, 'Your photo was saved.');
    case 'photo-removed': return t(l, 'Your photo was removed.');
    default: return null;
  }
}

/** The longest first name, name and organisation, each on its own (the store's limit for each). */
export const PROFILE_FIELD_MAX = 200;
/** The account's display name (first name and name joined) is kept to this many characters. */
const DISPLAY_NAME_MAX = 200;

/** A profile field as typed, trimmed; InvalidInput naming the field as the form labels it. */
function profileField(l: Lang, name: 'firstName' | 'lastName' | 'organisation', value: string): string {
  const v = value.trim();
  const long = [...v].length > PROFILE_FIELD_MAX;
  const control = /[\u0000-\u001f\u007f]/.test(v);
  if (!long && !control) return v;
  const max = PROFILE_FIELD_MAX;
  switch (name) {
    case 'firstName': throw new InvalidInput(name, long ? t(l, 'The first name is longer than {max} characters.', { max })
      : t(l, 'The first name cannot contain control characters such as tabs or line breaks.'));
    case 'lastName': throw new InvalidInput(name, long ? t(l, 'The name is longer than {max} characters.', { max })
      : t(l, 'The name cannot contain control characters such as tabs or line breaks.'));
    case 'organisation': throw new InvalidInput(name, long ? t(l, 'The organisation is longer than {max} characters.', { max })
      : t(l, 'The organisation cannot contain control characters such as tabs or line breaks.'));
  }
}

function mib(l: Lang, bytes: number): string {
  return size(l, bytes);
}

function toolName(l: Lang, tool: string): string {
  switch (tool) {
    case 'mail': return t(l, 'Mail');
    case 'files': return t(l, 'Documents');
    case 'calendar': return t(l, 'Calendars');
    case 'contacts': return t(l, 'Contacts');
    default: return tool;
  }
}

async function settingsPage(site: Site, ctx: Ctx, o: { status?: number; error?: string | null; notice?: string | null } = {}): Promise<void> {
  const l = ctx.state.lang;
  const a = (await site.core.store.getAccount(ctx.state.account!.id))!;
  const token = csrf(ctx);
  const sessions = await site.sessions.list(a.id);
  const usage = await site.core.quota.usageByTool(a.spaceId);
  const report = await site.core.quota.report(a.spaceId);
  const photo = await site.core.accounts.photo(a.id);
  const holdback = site.core.settings.addressHoldbackDays ?? 90;
  const rows = sessions.map((s) => html`<tr><td>${new Date(s.createdAt).toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
<td>${new Date(s.lastSeenAt).toISOString().replace('T', ' ').slice(0, 16)} UTC</td><td>${s.clientAddress}</td><td>${s.userAgent.slice(0, 80)}</td>
<td>${s.id === ctx.state.session!.id ? t(l, 'this one') : html`<form method="post" action="/settings/sessions/end">${csrfField(token)}<input type="hidden" name="id" value="${s.id}"><button type="submit">${t(l, 'End')}</button></form>`}</td></tr>`);
  const body: Html = html`
<h2 id="profile">${t(l, 'Profile')}</h2><p>${t(l, 'What members of your groups see in their directories.')}</p>
<form method="post" action="/settings/profile">${csrfField(token)}
${field('firstName', t(l, 'First name'), { autocomplete: 'given-name', value: a.profile.firstName, required: false, extra: `maxlength="${PROFILE_FIELD_MAX}"` })}
${field('lastName', t(l, 'Name'), { autocomplete: 'family-name', value: a.profile.lastName, required: false, extra: `maxlength="${PROFILE_FIELD_MAX}"` })}
${field('organisation', t(l, 'Organisation'), { autocomplete: 'organization', value: a.profile.organisation, required: false, extra: `maxlength="${PROFILE_FIELD_MAX}"` })}
<p><button type="submit">${t(l, 'Save the profile')}</button></p></form>
<h3 id="photo-heading">${t(l, 'Photo')}</h3>
${photo ? html`<p><img class="photo" src="${PHOTO_UPLOAD_PATH}?v=${photo.updatedAt}" alt="${t(l, 'Your profile photo')}" width="96" height="96"></p>` : html`<p>${t(l, 'No photo yet.')}</p>`}
<form method="post" action="${PHOTO_UPLOAD_PATH}" enctype="multipart/form-data">${csrfField(token)}
<p><label for="photo">${photo ? t(l, 'A new picture') : t(l, 'A picture')}</label>
<input id="photo" name="photo" type="file" accept="image/jpeg,image/png" required aria-describedby="photo-hint">
<small id="photo-hint">${t(l, 'JPEG or PNG, at most {kib} KiB. Members of your groups see it in their directories.', { kib: PHOTO_MAX_BYTES / 1024 })}</small></p>
<p><button type="submit">${t(l, 'Upload the photo')}</button></p></form>
${photo ? html`<form method="post" action="${PHOTO_UPLOAD_PATH}/remove">${csrfField(token)}<p><button type="submit">${t(l, 'Remove the photo')}</button></p></form>` : ''}
<h2 id="password">${t(l, 'Password')}</h2>
<form method="post" action="/settings/password">${csrfField(token)}
<input type="hidden" name="username" value="${a.address}" autocomplete="username">
${field('current', t(l, 'Current password'), { type: 'password', autocomplete: 'current-password' })}
${field('next', t(l, 'New password'), { type: 'password', autocomplete: 'new-password', hint: t(l, 'At least {count} characters. Your other sessions end.', { count: site.core.settings.password.minLength }) })}
<p><button type="submit">${t(l, 'Change the password')}</button></p></form>
<h2 id="idle">${t(l, 'Idle timeout')}</h2>
<form method="post" action="/settings/idle">${csrfField(token)}
${field('minutes', t(l, 'Minutes without activity before a session ends'), { type: 'number', value: String(a.idleTimeoutMinutes), extra: 'min="1" max="1440"' })}
<p><button type="submit">${t(l, 'Save the timeout')}</button></p></form>
<h2 id="sessions">${t(l, 'Sessions')}</h2>
<table><thead><tr><th>${t(l, 'Opened')}</th><th>${t(l, 'Last seen')}</th><th>${t(l, 'From')}</th><th>${t(l, 'Browser')}</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="/settings/sessions/end-others">${csrfField(token)}<p><button type="submit">${t(l, 'End all other sessions')}</button></p></form>
<h2 id="usage">${t(l, 'Plan and usage')}</h2><p>${t(l, 'Plan: {plan}.', { plan: a.plan })}</p>
<table><thead><tr><th>${t(l, 'Tool')}</th><th>${t(l, 'Used')}</th></tr></thead><tbody>
${Object.entries(usage).map(([tool, bytes]) => html`<tr><td>${toolName(l, tool)}</td><td>${mib(l, bytes)}</td></tr>`)}
</tbody></table>
<p>${report.map((r) => html`${r.bucket === 'mail'
    ? t(l, 'Mail: {used} of {limit}.', { used: mib(l, r.usedBytes), limit: mib(l, r.limitBytes) })
    : t(l, 'Documents, calendars and contacts: {used} of {limit}.', { used: mib(l, r.usedBytes), limit: mib(l, r.limitBytes) })} `)}</p>
<h2 id="destroy">${t(l, 'Destroy my account')}</h2>
<p>${t(l, 'Everything goes: mail, calendars, contacts, documents, photo, sessions. This cannot be undone.')}${holdback > 0 ? ` ${t(l, 'The address {address} cannot be taken by a new account for {days} days afterwards.', { address: a.address, days: holdback })}` : ''}</p>
<form method="post" action="/settings/destroy">${csrfField(token)}
${field('password', t(l, 'Password'), { type: 'password', autocomplete: 'current-password' })}
<p><input type="checkbox" id="confirm" name="confirm" value="yes" required><label for="confirm">${t(l, 'Yes, destroy {address} and everything in it', { address: a.address })}</label></p>
<p><button type="submit" class="danger">${t(l, 'Destroy my account')}</button></p></form>`;
  render(ctx, t(l, 'Settings'), body, { status: o.status, error: o.error, notice: o.notice ?? notice(l, String(ctx.query.done ?? '')) });
}

export function accountRoutes(router: Router<WebState>, site: Site): void {
  const guarded = (fn: (ctx: Ctx, accountId: number) => Promise<void>) => async (ctx: Ctx): Promise<void> => {
    const a = requireAccount(ctx);
    if (!a) return;
    try {
      await fn(ctx, a.id);
    } catch (err) {
      const e = userError(err, ctx.state.lang);
      if (!e) throw err;
      await settingsPage(site, ctx, { status: e.status, error: e.message });
    }
  };

  router.get('/settings', guarded(async (ctx) => settingsPage(site, ctx)));

  router.post('/settings/profile', guarded(async (ctx, id) => {
    const l = ctx.state.lang;
    const f = ctx.state.form;
    // the form always sends its three fields (empty ones too): a form without them was not this one
    if (f.firstName === undefined || f.lastName === undefined || f.organisation === undefined) {
      await settingsPage(site, ctx, { status: 400, error: t(l, 'The profile form came without its fields; nothing was changed. Reload the page and send it again.') });
      return;
    }
    const firstName = profileField(l, 'firstName', f.firstName);
    const lastName = profileField(l, 'lastName', f.lastName);
    const organisation = profileField(l, 'organisation', f.organisation);
    const joined = [...`${firstName} ${lastName}`.trim()];
    const name = joined.length > 0 ? joined.slice(0, DISPLAY_NAME_MAX).join('').trim() : ctx.state.account!.name;
    await site.core.accounts.update(id, { name, profile: { firstName, lastName, organisation } });
    ctx.redirect('/settings?done=profile');
  }));

  router.get(PHOTO_UPLOAD_PATH, guarded(async (ctx, id) => {
    const photo = await site.core.accounts.photo(id);
    if (!photo) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.set('content-language', ctx.state.lang);
      ctx.body = t(ctx.state.lang, 'You have no photo.');
      return;
    }
    ctx.type = photo.contentType;
    ctx.set('content-disposition', 'inline');
    ctx.body = Buffer.from(photo.content);
  }));

  router.post(PHOTO_UPLOAD_PATH, guarded(async (ctx, id) => {
    const file = ctx.state.files.photo;
    if (!file || file.data.length === 0) {
      await settingsPage(site, ctx, { status: 400, error: t(ctx.state.lang, 'Choose a picture file (JPEG or PNG) to upload.') });
      return;
    }
    await site.core.accounts.setPhoto(id, file.data);
    ctx.redirect('/settings?done=photo');
  }));

  router.post(`${PHOTO_UPLOAD_PATH}/remove`, guarded(async (ctx, id) => {
    await site.core.accounts.removePhoto(id);
    ctx.redirect('/settings?done=photo-removed');
  }));

  router.post('/settings/password', guarded(async (ctx, id) => {
    const f = ctx.state.form;
    const r = await throttledPasswordCheck(site, ctx, ctx.state.account!.address, t(ctx.state.lang, 'The current password is wrong.'), async () => {
      try {
        await site.core.accounts.changePassword(id, f.current ?? '', f.next ?? '', ctx.state.session!.id);
        return true;
      } catch (err) {
        // a wrong current password is a failed guess; a new password against the policy is not
        if (err instanceof InvalidInput && err.field === 'current-password') return null;
        throw err;
      }
    });
    if ('error' in r) {
      await settingsPage(site, ctx, { status: r.status, error: r.error });
      return;
    }
    ctx.redirect('/settings?done=password');
  }));

  router.post('/settings/idle', guarded(async (ctx, id) => {
    const text = (ctx.state.form.minutes ?? '').trim();
    await site.core.accounts.update(id, { idleTimeoutMinutes: /^\d{1,5}$/.test(text) ? Number(text) : NaN });
    ctx.redirect('/settings?done=idle');
  }));

  router.post('/settings/sessions/end', guarded(async (ctx, id) => {
    const l = ctx.state.lang;
    const sid = (ctx.state.form.id ?? '').trim();
    if (sid === '') {
      await settingsPage(site, ctx, { status: 400, error: t(l, 'Choose the session to end: the form named none.') });
      return;
    }
    if (sid === ctx.state.session!.id || !(await site.sessions.endById(id, sid))) {
      await settingsPage(site, ctx, { status: 404, error: t(l, 'There is no such other session of yours (it may have ended already).') });
      return;
    }
    ctx.redirect('/settings?done=session-ended');
  }));

  router.post('/settings/sessions/end-others', guarded(async (ctx, id) => {
    await site.sessions.endOthers(id, ctx.state.session!.id);
    ctx.redirect('/settings?done=sessions-ended');
  }));

  router.post('/settings/destroy', guarded(async (ctx, id) => {
    const l = ctx.state.lang;
    const f = ctx.state.form;
    const account = (await site.core.store.getAccount(id))!;
    if (f.confirm !== 'yes') {
      await settingsPage(site, ctx, { status: 400, error: t(l, 'Tick the box to confirm that the account is to be destroyed.') });
      return;
    }
    const r = await throttledPasswordCheck(site, ctx, account.address, t(l, 'The password is wrong; nothing was destroyed.'),
      async () => ((await verifyPassword(f.password ?? '', account.passwordHash)) ? true : null));
    if ('error' in r) {
      await settingsPage(site, ctx, { status: r.status, error: r.error });
      return;
    }
    await site.core.accounts.destroy(id);
    setSessionCookie(ctx, null);
    ctx.redirect('/login?done=destroyed');
  }));
}
