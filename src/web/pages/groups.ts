// Groups of the logged-in account: create, members, rights, transfer, leave,
// delete. Every change goes through core/groups with the account as actor,
// so core/acl decides who may do what.
import type Router from '@koa/router';
import { InvalidInput, LimitReached, NotFound } from '../../core/errors.ts';
import { parseMemberRights } from '../../core/groups.ts';
import type { Group } from '../../core/types.ts';
import { csrf, render, requireAccount, userError, type Ctx, type Site, type WebState } from '../app.ts';
import { csrfField, field, html } from '../html.ts';
import { size, t, type Lang } from '../i18n.ts';

/** The longest address a form may name (RFC 5321's 254 characters of a path). */
const ADDRESS_MAX = 254;

/** A core error as this page shows it; a plan's limit is a refusal (403), not a "try again later" (429). */
function groupError(err: unknown, l: Lang): { status: number; message: string } | null {
  const e = userError(err, l);
  if (e && err instanceof LimitReached) return { status: 403, message: `${e.message} ${t(l, 'Ask for a larger plan, or make room first.')}` };
  return e;
}

function notice(l: Lang, done: string): string | null {
  switch (done) {
    case 'created': return t(l, 'The group was created.');
    case 'added': return t(l, 'The member was added.');
    case 'removed': return t(l, 'The member was removed.');
    case 'granted': return t(l, 'The rights were saved.');
    case 'transferred': return t(l, 'The group has a new administrator.');
    case 'left': return t(l, 'You left the group.');
    case 'deleted': return t(l, 'The group was deleted.');
    default: return null;
  }
}

/** The words of a choice of the rights menu (its value stays read, write or write,delete). */
function rightsWords(l: Lang, choice: string): string {
  switch (choice) {
    case 'read': return t(l, 'read');
    case 'write': return t(l, 'write');
    case 'write,delete': return t(l, 'write,delete');
    default: return choice;
  }
}

/** Granted rights in words: read, write, delete. */
function rightList(l: Lang, rights: readonly string[]): string {
  return rights.map((r) => (r === 'read' ? t(l, 'read') : r === 'write' ? t(l, 'write') : r === 'delete' ? t(l, 'delete') : r)).join(', ');
}

async function listPage(site: Site, ctx: Ctx, o: { status?: number; error?: string; name?: string } = {}): Promise<void> {
  const l = ctx.state.lang;
  const a = ctx.state.account!;
  const groups = await site.core.groups.listOf(a.id);
  const token = csrf(ctx);
  render(ctx, t(l, 'Groups'), html`
${groups.length === 0 ? html`<p>${t(l, 'You are in no group yet.')}</p>` : html`<ul>${groups.map((g) => html`<li><a href="/groups/${g.id}">${g.name}</a>${g.adminId === a.id ? ` ${t(l, '(you administer it)')}` : ''}</li>`)}</ul>`}
<h2>${t(l, 'Create a group')}</h2>
<form method="post" action="/groups">${csrfField(token)}
${field('name', t(l, 'Name of the group'), { value: o.name ?? '', extra: 'maxlength="64"' })}
<p><button type="submit">${t(l, 'Create the group')}</button></p></form>`, { status: o.status, error: o.error, notice: notice(l, String(ctx.query.done ?? '')) });
}

/** The option of the rights menu that matches granted rights (read is always there). */
function rightsChoice(rights: readonly string[]): string {
  if (rights.includes('write') && rights.includes('delete')) return 'write,delete';
  return rights.includes('write') ? 'write' : 'read';
}

/** The group, if the account is in it; else NotFound (outsiders learn nothing). */
async function groupOf(site: Site, ctx: Ctx): Promise<Group> {
  const id = /^\d{1,15}$/.test(ctx.params.id ?? '') ? Number(ctx.params.id) : NaN;
  const g = Number.isFinite(id) ? await site.core.store.getGroup(id) : null;
  if (!g || !(await site.core.store.getMembership(g.id, ctx.state.account!.id))) throw new NotFound(t(ctx.state.lang, 'there is no such group of yours'));
  return g;
}

async function groupPage(site: Site, ctx: Ctx, g: Group, o: { status?: number; error?: string } = {}): Promise<void> {
  const l = ctx.state.lang;
  const me = ctx.state.account!;
  const token = csrf(ctx);
  const admin = g.adminId === me.id;
  const members = await site.core.groups.members(g.id);
  const rows = [];
  for (const m of members) {
    const acc = await site.core.store.getAccount(m.accountId);
    if (!acc) continue;
    const rights = m.accountId === g.adminId ? t(l, 'administrator') : rightList(l, ['read', ...new Set([...g.memberRights, ...m.rights])]);
    rows.push(html`<tr><td>${acc.name}</td><td>${acc.address}</td><td>${rights}</td><td>${admin && m.accountId !== me.id ? html`
<form method="post" action="/groups/${g.id}/grant" class="inline">${csrfField(token)}<input type="hidden" name="member" value="${acc.address}">
<label for="rights-${m.accountId}">${t(l, 'Rights of {address}', { address: acc.address })}</label><select id="rights-${m.accountId}" name="rights">
${['read', 'write', 'write,delete'].map((r) => html`<option value="${r}"${rightsChoice(m.rights) === r ? html` selected` : ''}>${rightsWords(l, r)}</option>`)}</select>
<button type="submit">${t(l, 'Save')}</button></form>
<form method="post" action="/groups/${g.id}/remove" class="inline">${csrfField(token)}<input type="hidden" name="member" value="${acc.address}"><button type="submit">${t(l, 'Remove')}</button></form>` : ''}</td></tr>`);
  }
  const adminForms = admin ? html`
<h2>${t(l, 'Add a member')}</h2><form method="post" action="/groups/${g.id}/add">${csrfField(token)}
${field('member', t(l, 'Address of the member'), { type: 'email', autocomplete: 'off' })}<p><button type="submit">${t(l, 'Add')}</button></p></form>
<h2>${t(l, 'Rights of every member')}</h2><form method="post" action="/groups/${g.id}/grant">${csrfField(token)}<input type="hidden" name="member" value="*">
<p><label for="rights-all">${t(l, 'Rights of all members')}</label><select id="rights-all" name="rights">
${['read', 'write', 'write,delete'].map((r) => html`<option value="${r}"${rightsChoice(g.memberRights) === r ? html` selected` : ''}>${rightsWords(l, r)}</option>`)}</select></p>
<p><button type="submit">${t(l, 'Save for everyone')}</button></p></form>
<h2>${t(l, 'Transfer the administration')}</h2><form method="post" action="/groups/${g.id}/transfer">${csrfField(token)}
${field('member', t(l, 'Address of the new administrator (a member)'), { type: 'email', autocomplete: 'off' })}<p><button type="submit">${t(l, 'Transfer')}</button></p></form>
<h2>${t(l, 'Delete the group')}</h2><p>${t(l, 'Its space and everything in it go; members lose what the group gave them.')}</p>
<form method="post" action="/groups/${g.id}/delete">${csrfField(token)}
<p><input type="checkbox" id="confirm" name="confirm" value="yes" required><label for="confirm">${t(l, 'Yes, delete {group}', { group: g.name })}</label></p>
<p><button type="submit" class="danger">${t(l, 'Delete the group')}</button></p></form>` : '';
  const report = await site.core.quota.report(g.spaceId);
  const files = report.find((r) => r.bucket === 'files');
  render(ctx, t(l, 'Group {group}', { group: g.name }), html`
<p>${files ? t(l, 'Documents: {used} of {limit}.', { used: size(l, files.usedBytes), limit: size(l, files.limitBytes) }) : ''}</p>
<table><thead><tr><th>${t(l, 'Name')}</th><th>${t(l, 'Address')}</th><th>${t(l, 'Rights')}</th><th></th></tr></thead><tbody>${rows}</tbody></table>
${adminForms}
<h2>${t(l, 'Leave the group')}</h2>${admin ? html`<p>${t(l, 'As its administrator you must first transfer the administration to another member.')}</p>` : ''}
<form method="post" action="/groups/${g.id}/leave">${csrfField(token)}<p><button type="submit">${t(l, 'Leave {group}', { group: g.name })}</button></p></form>
<p><a href="/groups">${t(l, 'All my groups')}</a></p>`, { status: o.status, error: o.error, notice: notice(l, String(ctx.query.done ?? '')) });
}

export function groupRoutes(router: Router<WebState>, site: Site): void {
  router.get('/groups', async (ctx) => {
    if (!requireAccount(ctx)) return;
    await listPage(site, ctx);
  });

  router.post('/groups', async (ctx) => {
    const a = requireAccount(ctx);
    if (!a) return;
    const name = (ctx.state.form.name ?? '').slice(0, 200);
    try {
      const g = await site.core.groups.create(name, a.id);
      ctx.redirect(`/groups/${g.id}?done=created`);
    } catch (err) {
      const e = groupError(err, ctx.state.lang);
      if (!e) throw err;
      await listPage(site, ctx, { status: e.status, error: e.message, name });
    }
  });

  router.get('/groups/:id', async (ctx) => {
    if (!requireAccount(ctx)) return;
    await groupPage(site, ctx, await groupOf(site, ctx));
  });

  const action = (name: string, fn: (ctx: Ctx, g: Group, actorId: number) => Promise<string>) => {
    router.post(`/groups/:id/${name}`, async (ctx) => {
      const a = requireAccount(ctx);
      if (!a) return;
      const g = await groupOf(site, ctx);
      try {
        ctx.redirect(await fn(ctx, g, a.id));
      } catch (err) {
        const e = groupError(err, ctx.state.lang);
        if (!e) throw err;
        const current = await site.core.store.getGroup(g.id);
        if (!current) throw err;
        await groupPage(site, ctx, current, { status: e.status, error: e.message });
      }
    });
  };

  const memberOf = async (ctx: Ctx): Promise<number> => {
    const l = ctx.state.lang;
    const address = (ctx.state.form.member ?? '').trim();
    if (address === '') throw new InvalidInput('member', t(l, 'give the address of a member'));
    if (address.length > ADDRESS_MAX) throw new InvalidInput('member', t(l, 'an address has at most {max} characters', { max: ADDRESS_MAX }));
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) throw new InvalidInput('member', t(l, '{address} is not an address (name@domain)', { address: JSON.stringify(address) }));
    const acc = await site.core.store.getAccountByAddress(address.toLowerCase());
    if (!acc || acc.status !== 'active') throw new NotFound(t(l, 'there is no active account {address}', { address: address.toLowerCase() }));
    return acc.id;
  };

  action('add', async (ctx, g, actor) => {
    await site.core.groups.addMember(g.id, await memberOf(ctx), actor);
    return `/groups/${g.id}?done=added`;
  });
  action('remove', async (ctx, g, actor) => {
    await site.core.groups.removeMember(g.id, await memberOf(ctx), actor);
    return `/groups/${g.id}?done=removed`;
  });
  action('grant', async (ctx, g, actor) => {
    // a missing choice is not "read only": nothing is changed without one
    if ((ctx.state.form.rights ?? '').trim() === '') throw new InvalidInput('rights', t(ctx.state.lang, 'choose the rights: read, write, or write,delete'));
    const rights = parseMemberRights(ctx.state.form.rights ?? '');
    const who = ctx.state.form.member === '*' ? 'all' as const : await memberOf(ctx);
    if (who !== 'all' && !(await site.core.store.getMembership(g.id, who))) throw new NotFound(t(ctx.state.lang, 'that account is not a member of the group'));
    await site.core.groups.grant(g.id, who, rights, actor);
    return `/groups/${g.id}?done=granted`;
  });
  action('transfer', async (ctx, g, actor) => {
    const who = await memberOf(ctx);
    if (who === g.adminId) throw new InvalidInput('member', t(ctx.state.lang, 'that member administers the group already; name another member'));
    if (!(await site.core.store.getMembership(g.id, who))) throw new NotFound(t(ctx.state.lang, 'the new administrator must be a member of the group'));
    await site.core.groups.transfer(g.id, who, actor);
    return `/groups/${g.id}?done=transferred`;
  });
  action('leave', async (_ctx, g, actor) => {
    await site.core.groups.leave(g.id, actor);
    return '/groups?done=left';
  });
  action('delete', async (ctx, g, actor) => {
    if (ctx.state.form.confirm !== 'yes') throw new InvalidInput('confirm', t(ctx.state.lang, 'tick the box to confirm that the group is to be deleted'));
    await site.core.groups.delete(g.id, actor);
    return '/groups?done=deleted';
  });
}
