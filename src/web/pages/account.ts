// Settings of the logged-in account: profile and photo, password, idle
// timeout, sessions, usage, and destroying the account.
import type Router from '@koa/router';
import { verifyPassword } from '../../core/passwords.ts';
import { PHOTO_MAX_BYTES } from '../../core/accounts.ts';
import { csrf, PHOTO_UPLOAD_PATH, render, requireAccount, setSessionCookie, userError, type Ctx, type Site, type WebState } from '../app.ts';
import { csrfField, field, html, type Html } from '../html.ts';

const NOTICES: Record<string, string> = {
  profile: 'Your profile was saved.',
  password: 'Your password was changed; your other sessions were ended.',
  idle: 'The idle timeout was saved.',
  'session-ended': 'The session was ended.',
  'sessions-ended': 'Your other sessions were ended.',
  photo: 'Your photo was saved.',
  'photo-removed': 'Your photo was removed.',
};

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(bytes < 10_485_760 ? 1 : 0)} MiB`;
}

async function settingsPage(site: Site, ctx: Ctx, o: { status?: number; error?: string | null; notice?: string | null } = {}): Promise<void> {
  const a = (await site.core.store.getAccount(ctx.state.account!.id))!;
  const token = csrf(ctx);
  const sessions = await site.sessions.list(a.id);
  const usage = await site.core.quota.usageByTool(a.spaceId);
  const report = await site.core.quota.report(a.spaceId);
  const photo = await site.core.accounts.photo(a.id);
  const rows = sessions.map((s) => html`<tr><td>${new Date(s.createdAt).toISOString().replace('T', ' ').slice(0, 16)} UTC</td>
<td>${new Date(s.lastSeenAt).toISOString().replace('T', ' ').slice(0, 16)} UTC</td><td>${s.clientAddress}</td><td>${s.userAgent.slice(0, 80)}</td>
<td>${s.id === ctx.state.session!.id ? 'this one' : html`<form method="post" action="/settings/sessions/end">${csrfField(token)}<input type="hidden" name="id" value="${s.id}"><button type="submit">End</button></form>`}</td></tr>`);
  const body: Html = html`
<h2 id="profile">Profile</h2><p>What members of your groups see in their directories.</p>
<form method="post" action="/settings/profile">${csrfField(token)}
${field('firstName', 'First name', { autocomplete: 'given-name', value: a.profile.firstName, required: false })}
${field('lastName', 'Name', { autocomplete: 'family-name', value: a.profile.lastName, required: false })}
${field('organisation', 'Organisation', { autocomplete: 'organization', value: a.profile.organisation, required: false })}
<p><button type="submit">Save the profile</button></p></form>
<h3 id="photo-heading">Photo</h3>
${photo ? html`<p><img class="photo" src="${PHOTO_UPLOAD_PATH}?v=${photo.updatedAt}" alt="Your profile photo" width="96" height="96"></p>` : html`<p>No photo yet.</p>`}
<form method="post" action="${PHOTO_UPLOAD_PATH}" enctype="multipart/form-data">${csrfField(token)}
<p><label for="photo">${photo ? 'A new picture' : 'A picture'}</label>
<input id="photo" name="photo" type="file" accept="image/jpeg,image/png" required aria-describedby="photo-hint">
<small id="photo-hint">JPEG or PNG, at most ${PHOTO_MAX_BYTES / 1024} KiB. Members of your groups see it in their directories.</small></p>
<p><button type="submit">Upload the photo</button></p></form>
${photo ? html`<form method="post" action="${PHOTO_UPLOAD_PATH}/remove">${csrfField(token)}<p><button type="submit">Remove the photo</button></p></form>` : ''}
<h2 id="password">Password</h2>
<form method="post" action="/settings/password">${csrfField(token)}
<input type="hidden" name="username" value="${a.address}" autocomplete="username">
${field('current', 'Current password', { type: 'password', autocomplete: 'current-password' })}
${field('next', 'New password', { type: 'password', autocomplete: 'new-password', hint: `At least ${site.core.settings.password.minLength} characters. Your other sessions end.` })}
<p><button type="submit">Change the password</button></p></form>
<h2 id="idle">Idle timeout</h2>
<form method="post" action="/settings/idle">${csrfField(token)}
${field('minutes', 'Minutes without activity before a session ends', { type: 'number', value: String(a.idleTimeoutMinutes), extra: 'min="1" max="1440"' })}
<p><button type="submit">Save the timeout</button></p></form>
<h2 id="sessions">Sessions</h2>
<table><thead><tr><th>Opened</th><th>Last seen</th><th>From</th><th>Browser</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="/settings/sessions/end-others">${csrfField(token)}<p><button type="submit">End all other sessions</button></p></form>
<h2 id="usage">Plan and usage</h2><p>Plan: ${a.plan}.</p>
<table><thead><tr><th>Tool</th><th>Used</th></tr></thead><tbody>
${Object.entries(usage).map(([tool, bytes]) => html`<tr><td>${tool}</td><td>${mib(bytes)}</td></tr>`)}
</tbody></table>
<p>${report.map((r) => html`${r.bucket === 'mail' ? 'Mail' : 'Documents, calendars and contacts'}: ${mib(r.usedBytes)} of ${mib(r.limitBytes)}. `)}</p>
<h2 id="destroy">Destroy my account</h2>
<p>Everything goes: mail, calendars, contacts, documents, photo, sessions. This cannot be undone.${(site.core.settings.addressHoldbackDays ?? 90) > 0 ? ` The address ${a.address} cannot be taken by a new account for ${site.core.settings.addressHoldbackDays ?? 90} days afterwards.` : ''}</p>
<form method="post" action="/settings/destroy">${csrfField(token)}
${field('password', 'Password', { type: 'password', autocomplete: 'current-password' })}
<p><input type="checkbox" id="confirm" name="confirm" value="yes" required><label for="confirm">Yes, destroy ${a.address} and everything in it</label></p>
<p><button type="submit" class="danger">Destroy my account</button></p></form>`;
  render(ctx, 'Settings', body, { status: o.status, error: o.error, notice: o.notice ?? NOTICES[String(ctx.query.done ?? '')] ?? null });
}

export function accountRoutes(router: Router<WebState>, site: Site): void {
  const guarded = (fn: (ctx: Ctx, accountId: number) => Promise<void>) => async (ctx: Ctx): Promise<void> => {
    const a = requireAccount(ctx);
    if (!a) return;
    try {
      await fn(ctx, a.id);
    } catch (err) {
      const e = userError(err);
      if (!e) throw err;
      await settingsPage(site, ctx, { status: e.status, error: e.message });
    }
  };

  router.get('/settings', guarded(async (ctx) => settingsPage(site, ctx)));

  router.post('/settings/profile', guarded(async (ctx, id) => {
    const f = ctx.state.form;
    const firstName = (f.firstName ?? '').trim();
    const lastName = (f.lastName ?? '').trim();
    const name = `${firstName} ${lastName}`.trim() || ctx.state.account!.name;
    await site.core.accounts.update(id, { name, profile: { firstName, lastName, organisation: (f.organisation ?? '').trim() } });
    ctx.redirect('/settings?done=profile');
  }));

  router.get(PHOTO_UPLOAD_PATH, guarded(async (ctx, id) => {
    const photo = await site.core.accounts.photo(id);
    if (!photo) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'You have no photo.';
      return;
    }
    ctx.type = photo.contentType;
    ctx.set('content-disposition', 'inline');
    ctx.body = Buffer.from(photo.content);
  }));

  router.post(PHOTO_UPLOAD_PATH, guarded(async (ctx, id) => {
    const file = ctx.state.files.photo;
    if (!file || file.data.length === 0) {
      await settingsPage(site, ctx, { status: 400, error: 'Choose a picture file (JPEG or PNG) to upload.' });
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
    await site.core.accounts.changePassword(id, f.current ?? '', f.next ?? '', ctx.state.session!.id);
    ctx.redirect('/settings?done=password');
  }));

  router.post('/settings/idle', guarded(async (ctx, id) => {
    const text = (ctx.state.form.minutes ?? '').trim();
    await site.core.accounts.update(id, { idleTimeoutMinutes: /^\d{1,5}$/.test(text) ? Number(text) : NaN });
    ctx.redirect('/settings?done=idle');
  }));

  router.post('/settings/sessions/end', guarded(async (ctx, id) => {
    const sid = ctx.state.form.id ?? '';
    if (sid === ctx.state.session!.id || !(await site.sessions.endById(id, sid))) {
      await settingsPage(site, ctx, { status: 404, error: 'There is no such other session of yours (it may have ended already).' });
      return;
    }
    ctx.redirect('/settings?done=session-ended');
  }));

  router.post('/settings/sessions/end-others', guarded(async (ctx, id) => {
    await site.sessions.endOthers(id, ctx.state.session!.id);
    ctx.redirect('/settings?done=sessions-ended');
  }));

  router.post('/settings/destroy', guarded(async (ctx, id) => {
    const f = ctx.state.form;
    const account = (await site.core.store.getAccount(id))!;
    if (f.confirm !== 'yes') {
      await settingsPage(site, ctx, { status: 400, error: 'Tick the box to confirm that the account is to be destroyed.' });
      return;
    }
    if (!(await verifyPassword(f.password ?? '', account.passwordHash))) {
      await settingsPage(site, ctx, { status: 400, error: 'The password is wrong; nothing was destroyed.' });
      return;
    }
    await site.core.accounts.destroy(id);
    setSessionCookie(ctx, null);
    ctx.redirect('/login?done=destroyed');
  }));
}
