// The Sharing page: everything the account shares (from its own space and the
// spaces of the groups it administers), per collection and per item, with
// which group and rights, to change or withdraw; a form to share a collection
// with one of its groups; and what others share with its groups, with where
// to find it. Every change goes through core/sharing with the account as
// actor, so core/acl decides who may change what.
import type Router from '@koa/router';
import { InvalidInput, NotFound } from '../../core/errors.ts';
import { SHARE_PRESETS } from '../../core/sharing.ts';
import type { MyShare, ShareLine, SharedWithMe, ShareableCollection, Whereabouts } from '../../core/share-listings.ts';
import type { Group, Tool } from '../../core/types.ts';
import { csrf, render, requireAccount, userError, type Ctx, type Site, type WebState } from '../app.ts';
import { csrfField, html, type Html } from '../html.ts';
import { t, th, type Lang } from '../i18n.ts';
import { coreMessage } from '../lang/core-messages.ts';
import { itemSharingRoutes } from './sharing-items.ts';
import { collectionWords, idField, presetField, presetMenu, presetsFor, presetTitle } from './sharing-words.ts';
import { homeSegment } from '../../core/home-segments.ts';

function notice(l: Lang, done: string): string | null {
  switch (done) {
    case 'shared': return t(l, 'The share was made.');
    case 'changed': return t(l, 'The rights of the share were changed.');
    case 'withdrawn': return t(l, 'The share was withdrawn; its group lost access at once.');
    default: return null;
  }
}

function toolTitle(l: Lang, tool: Tool): string {
  switch (tool) {
    case 'calendar': return t(l, 'Calendars');
    case 'contacts': return t(l, 'Address books');
    case 'files': return t(l, 'Drive');
    case 'mail': return t(l, 'Mail');
  }
}

/** An item in its collection, in words: 'Event “Lunch” in the calendar “Calendar”'. */
function itemWords(l: Lang, tool: Tool, title: string, path: string): string {
  switch (tool) {
    case 'calendar': return t(l, 'Event {title} in the calendar “{path}”', { title, path });
    case 'contacts': return t(l, 'Contact {title} in the address book “{path}”', { title, path });
    case 'files': return t(l, 'File {title} in the folder “{path}”', { title, path });
    case 'mail': return t(l, 'Message {title} in the mailbox “{path}”', { title, path });
  }
}

function rightWord(l: Lang, right: string): string {
  switch (right) {
    case 'read': return t(l, 'read');
    case 'write': return t(l, 'write');
    case 'delete': return t(l, 'delete');
    case 'freebusy': return t(l, 'busy times');
    case 'deposit': return t(l, 'drop files');
    default: return right;
  }
}

function rightsText(l: Lang, line: ShareLine): string {
  return line.preset ? presetTitle(l, line.preset) : line.grant.rights.map((r) => rightWord(l, r)).join(', ');
}

const upper = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** What a share is on, in words: 'Calendar “Calendar”', 'Event “Lunch” (lunch.ics) in the calendar “Calendar”'. */
function what(l: Lang, line: ShareLine): string {
  const path = line.path.join('/');
  if (!line.item) return upper(collectionWords(l, line.tool, path));
  const title = line.item.title === line.item.name ? t(l, '“{name}”', { name: line.item.name }) : t(l, '“{title}” ({name})', { title: line.item.title, name: line.item.name });
  return itemWords(l, line.tool, title, path);
}

/** A URL path from plain segments, '@' kept readable. */
function urlPath(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s).replace(/%40/g, '@')).join('/');
}

function whereHtml(l: Lang, site: Site, address: string, where: Whereabouts): Html {
  const base = site.settings.baseUrl.replace(/\/$/, '');
  switch (where.kind) {
    case 'dav': {
      const url = `${base}/dav/${where.home}/${urlPath([address, homeSegment.shared(where.collectionId)])}/${where.name ? urlPath([where.name]) : ''}`;
      return where.home === 'calendars'
        ? th(l, 'In your calendar app: <code>{url}</code>', { url })
        : th(l, 'In your contacts app: <code>{url}</code>', { url });
    }
    case 'drive': {
      const url = `${base}/files/${urlPath(where.segments)}${where.folder ? '/' : ''}`;
      return th(l, 'On the drive: <strong>{path}</strong> (<code>{url}</code>)', { path: `${where.segments.join('/')}${where.folder ? '/' : ''}`, url });
    }
    case 'mailbox':
      return th(l, 'In your mail app: the folder <strong>{path}</strong>', { path: where.path });
    case 'unlisted':
      return html`${upper(coreMessage(l, where.reason))}.`;
  }
}

function ownerText(l: Lang, line: ShareLine, meId: number): string {
  if (line.owner.kind === 'group') return t(l, 'the group {group}', { group: line.owner.group.name });
  return line.owner.account.id === meId ? t(l, 'you') : line.owner.account.address;
}

function mySharesHtml(l: Lang, token: string, shares: readonly MyShare[], meId: number): Html {
  if (shares.length === 0) return html`<p>${t(l, 'You share nothing yet.')}</p>`;
  const sections: Html[] = [];
  for (const tool of ['calendar', 'contacts', 'files', 'mail'] as const) {
    const mine = shares.filter((s) => s.tool === tool);
    if (mine.length === 0) continue;
    const rows = mine.map((s) => {
      const id = s.grant.id;
      const label = t(l, 'Rights of {group} on {what}', { group: s.group.name, what: what(l, s) });
      const forms = s.canChange ? html`
<form method="post" action="/sharing/change" class="inline">${csrfField(token)}<input type="hidden" name="share" value="${id}">
${presetMenu(l, `rights-${id}`, label, presetsFor(s.tool, s.item !== null), s.preset)}<button type="submit">${t(l, 'Change')}</button></form>
<form method="post" action="/sharing/withdraw" class="inline">${csrfField(token)}<input type="hidden" name="share" value="${id}"><button type="submit">${t(l, 'Withdraw')}</button></form>` : html`${t(l, 'You may not change it.')}`;
      return html`<tr><td>${what(l, s)}</td><td>${ownerText(l, s, meId)}</td><td>${s.group.name}</td><td>${rightsText(l, s)}</td><td>${forms}</td></tr>`;
    });
    sections.push(html`<h3>${toolTitle(l, tool)}</h3>
<table><thead><tr><th>${t(l, 'What')}</th><th>${t(l, 'Whose')}</th><th>${t(l, 'Shared with')}</th><th>${t(l, 'Rights')}</th><th></th></tr></thead><tbody>${rows}</tbody></table>`);
  }
  return html`${sections}`;
}

function shareFormHtml(l: Lang, token: string, shareable: readonly ShareableCollection[], groups: readonly Group[]): Html {
  if (groups.length === 0) return html`<p>${th(l, 'You are in no group yet: <a href="/groups">create or join one</a> to share with its members.')}</p>`;
  const options = shareable.map((c) => html`<option value="${c.collection.id}">${c.group ? `${t(l, '{group} (group)', { group: c.group.name })} — ` : ''}${collectionWords(l, c.tool, c.path.join('/'))}</option>`);
  return html`<form method="post" action="/sharing/share">${csrfField(token)}
<p><label for="collection">${t(l, 'What to share')}</label><select id="collection" name="collection" required>${options}</select></p>
<p><label for="group">${t(l, 'With the group')}</label><select id="group" name="group" required>${groups.map((g) => html`<option value="${g.id}">${g.name}</option>`)}</select></p>
<p><label for="rights">${t(l, 'Rights')}</label><select id="rights" name="rights" aria-describedby="rights-hint">${Object.keys(SHARE_PRESETS).map((p) => html`<option value="${p}">${presetTitle(l, p)}</option>`)}</select>
<small id="rights-hint">${t(l, 'Busy times only is for calendars; drop files in only is for drive folders.')}</small></p>
<p><button type="submit">${t(l, 'Share')}</button></p></form>`;
}

/** The picker that leads to the items of one collection, to share a single one of them. */
function itemPickerHtml(l: Lang, shareable: readonly ShareableCollection[], groups: readonly Group[]): Html {
  if (groups.length === 0) return html``;
  const options = shareable.filter((c) => c.tool !== 'mail')
    .map((c) => html`<option value="${c.collection.id}">${c.group ? `${t(l, '{group} (group)', { group: c.group.name })} — ` : ''}${collectionWords(l, c.tool, c.path.join('/'))}</option>`);
  return html`<form method="get" action="/sharing/items">
<p><label for="items-of">${t(l, 'Choose from')}</label><select id="items-of" name="collection" required aria-describedby="items-of-hint">${options}</select>
<small id="items-of-hint">${t(l, 'The next page lists its events, contacts or files, with a search box, to share one of them.')}</small></p>
<p><button type="submit">${t(l, 'Show its items')}</button></p></form>`;
}

function withMeHtml(l: Lang, site: Site, address: string, lines: readonly SharedWithMe[], groups: readonly Group[], meId: number): Html {
  if (lines.length === 0) return html`<p>${t(l, 'Nothing is shared with your groups yet.')}</p>`;
  const sections: Html[] = [];
  for (const g of groups) {
    const mine = lines.filter((x) => x.group.id === g.id);
    if (mine.length === 0) continue;
    sections.push(html`<h3>${t(l, 'Through the group {group}', { group: g.name })}</h3>
<table><thead><tr><th>${t(l, 'What')}</th><th>${t(l, 'Whose')}</th><th>${t(l, 'Rights')}</th><th>${t(l, 'Where to find it')}</th></tr></thead><tbody>
${mine.map((x) => html`<tr><td>${what(l, x)}</td><td>${ownerText(l, x, meId)}</td><td>${rightsText(l, x)}</td><td>${whereHtml(l, site, address, x.where)}</td></tr>`)}</tbody></table>`);
  }
  return html`${sections}`;
}

async function sharingPage(site: Site, ctx: Ctx, o: { status?: number; error?: string } = {}): Promise<void> {
  const l = ctx.state.lang;
  const me = ctx.state.account!;
  const token = csrf(ctx);
  const [mine, withMe, shareable, groups] = await Promise.all([
    site.core.sharing.ownShares(me.id), site.core.sharing.sharedWithMe(me.id), site.core.sharing.shareable(me.id), site.core.groups.listOf(me.id),
  ]);
  render(ctx, t(l, 'Sharing'), html`
<p>${t(l, 'What you share goes to whole groups: every member of the group gets the rights you choose, and loses them as soon as you withdraw the share or they leave the group.')}</p>
<h2 id="mine">${t(l, 'What I share')}</h2>
${mySharesHtml(l, token, mine, me.id)}
<h2 id="share">${t(l, 'Share a calendar, address book, folder or mailbox')}</h2>
${shareFormHtml(l, token, shareable, groups)}
<h2 id="share-one">${t(l, 'Share a single event, contact or file')}</h2>
${itemPickerHtml(l, shareable, groups)}
<h2 id="with-me">${t(l, 'Shared with me')}</h2>
${withMeHtml(l, site, me.address, withMe, groups, me.id)}`, { status: o.status, error: o.error, notice: notice(l, String(ctx.query.done ?? '')) });
}

export function sharingRoutes(router: Router<WebState>, site: Site): void {
  router.get('/sharing', async (ctx) => {
    if (!requireAccount(ctx)) return;
    await sharingPage(site, ctx);
  });
  itemSharingRoutes(router, site, (ctx, o) => sharingPage(site, ctx, o));

  const action = (name: string, fn: (ctx: Ctx, actorId: number) => Promise<string>) => {
    router.post(`/sharing/${name}`, async (ctx) => {
      const a = requireAccount(ctx);
      if (!a) return;
      try {
        ctx.redirect(`/sharing?done=${await fn(ctx, a.id)}`);
      } catch (err) {
        const e = userError(err, ctx.state.lang);
        if (!e) throw err;
        await sharingPage(site, ctx, { status: e.status, error: e.message });
      }
    });
  };

  /** The share the form names, if the account may see it among its own (others' shares are not found). */
  const ownShare = async (ctx: Ctx, actorId: number): Promise<MyShare> => {
    const id = idField(ctx, 'share');
    const share = (await site.core.sharing.ownShares(actorId)).find((s) => s.grant.id === id);
    if (!share) throw new NotFound(t(ctx.state.lang, 'there is no such share of yours (it may have been withdrawn already)'));
    return share;
  };

  action('share', async (ctx, actor) => {
    const collectionId = idField(ctx, 'collection');
    const groupId = idField(ctx, 'group');
    const target = (await site.core.sharing.shareable(actor)).find((c) => c.collection.id === collectionId);
    if (!target) throw new InvalidInput('collection', t(ctx.state.lang, 'you can only share your own calendars, address books, folders and mailboxes, or those of a group you administer'));
    await site.core.sharing.share(actor, { collectionId }, groupId, presetField(ctx, target.tool, false));
    return 'shared';
  });
  action('change', async (ctx, actor) => {
    const share = await ownShare(ctx, actor);
    await site.core.sharing.change(actor, share.grant.id, presetField(ctx, share.tool, share.item !== null));
    return 'changed';
  });
  action('withdraw', async (ctx, actor) => {
    const share = await ownShare(ctx, actor);
    await site.core.sharing.withdraw(actor, share.grant.id);
    return 'withdrawn';
  });
}
