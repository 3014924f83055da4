// Sharing a single event, contact or file, without JavaScript: the Sharing
// page's picker leads to /sharing/items?collection=ID, which lists the items
// of one of the account's calendars, address books or drive folders (or a
// group's it administers) a page of 100 at a time, with a search box, and
// next to each a small form that shares it with one of the account's groups
// as "read" or "read and write". Listing and sharing go through core/sharing
// with the account as actor, so core/acl decides who may share what.
import type Router from '@koa/router';
import { InvalidInput, NotFound } from '../../core/errors.ts';
import { MAX_ITEM_SEARCH, type ShareableItem, type ShareableItemPage } from '../../core/share-items.ts';
import type { Group, Tool } from '../../core/types.ts';
import { csrf, render, requireAccount, userError, type Ctx, type Site, type WebState } from '../app.ts';
import { csrfField, html, type Html } from '../html.ts';
import { size, t, th, type Lang } from '../i18n.ts';
import { collectionWords, idField, presetField, presetsFor, presetTitle } from './sharing-words.ts';

/** Shows the Sharing page itself with an error (for a form whose collection is not one the account may list). */
export type SharingPageWithError = (ctx: Ctx, o: { status: number; error: string }) => Promise<void>;

type ItemTool = Exclude<Tool, 'mail'>;

/** The address of a page of the listing. */
function listingUrl(collectionId: number, search: string, page: number, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ collection: String(collectionId) });
  if (search !== '') q.set('q', search);
  if (page > 1) q.set('page', String(page));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return `/sharing/items?${q.toString()}`;
}

function fileSize(l: Lang, bytes: number): string {
  if (bytes < 1024) return t(l, '{n} bytes', { n: bytes });
  if (bytes < 1_048_576) return t(l, '{n} KiB', { n: Math.max(1, Math.round(bytes / 1024)) });
  return size(l, bytes);
}

function searchLabel(l: Lang, tool: ItemTool): string {
  switch (tool) {
    case 'calendar': return t(l, 'Find events by their summary');
    case 'contacts': return t(l, 'Find contacts by their name');
    case 'files': return t(l, 'Find files by the beginning of their name');
  }
}

function headings(l: Lang, tool: ItemTool): Html {
  switch (tool) {
    case 'calendar': return html`<th>${t(l, 'Event')}</th><th>${t(l, 'Starts')}</th>`;
    case 'contacts': return html`<th>${t(l, 'Contact')}</th>`;
    case 'files': return html`<th>${t(l, 'File')}</th><th>${t(l, 'Size')}</th>`;
  }
}

function describeCells(l: Lang, tool: ItemTool, item: ShareableItem): Html {
  const named = item.title === item.name ? html`${item.title}` : html`${item.title} <small>${item.name}</small>`;
  switch (tool) {
    case 'calendar': return html`<td>${named}</td><td>${item.start ?? t(l, 'no start')}</td>`;
    case 'contacts': return html`<td>${named}</td>`;
    case 'files': return html`<td>${named}</td><td>${fileSize(l, item.size)}</td>`;
  }
}

function sharedWith(l: Lang, item: ShareableItem): Html {
  if (item.shares.length === 0) return html`${t(l, 'not shared')}`;
  return html`${item.shares.map((s, i) => html`${i > 0 ? ', ' : ''}${t(l, '{group} ({rights})', { group: s.group.name, rights: s.preset ? presetTitle(l, s.preset) : s.grant.rights.join(', ') })}`)}`;
}

function shareForm(l: Lang, token: string, p: ShareableItemPage, item: ShareableItem, groups: readonly Group[]): Html {
  const id = item.id;
  return html`<form method="post" action="/sharing/items/share" class="inline">${csrfField(token)}<input type="hidden" name="collection" value="${p.collection.collection.id}"><input type="hidden" name="item" value="${id}"><input type="hidden" name="q" value="${p.search}"><input type="hidden" name="page" value="${p.page}">
<select name="group" aria-label="${t(l, 'Group to share {title} with', { title: item.title })}">${groups.map((g) => html`<option value="${g.id}">${g.name}</option>`)}</select>
<select name="rights" aria-label="${t(l, 'Rights on {title}', { title: item.title })}">${presetsFor(p.collection.tool, true).map((r) => html`<option value="${r}">${presetTitle(l, r)}</option>`)}</select>
<button type="submit">${t(l, 'Share')}</button></form>`;
}

function pager(l: Lang, p: ShareableItemPage): Html {
  if (p.pages <= 1) return html``;
  const id = p.collection.collection.id;
  const prev = p.page > 1 ? html`<a rel="prev" href="${listingUrl(id, p.search, p.page - 1)}">${t(l, 'Previous page')}</a>` : html``;
  const next = p.page < p.pages ? html`<a rel="next" href="${listingUrl(id, p.search, p.page + 1)}">${t(l, 'Next page')}</a>` : html``;
  return html`<nav aria-label="${t(l, 'Pages')}"><p>${prev} ${t(l, 'Page {page} of {pages}', { page: p.page, pages: p.pages })} ${next}</p></nav>`;
}

function itemsPageHtml(l: Lang, token: string, p: ShareableItemPage, groups: readonly Group[]): Html {
  const tool = p.collection.tool as ItemTool;
  const id = p.collection.collection.id;
  const where = collectionWords(l, tool, p.collection.path.join('/'));
  const whose = p.collection.group ? t(l, '{group} (group)', { group: p.collection.group.name }) : null;
  const search = html`<form method="get" action="/sharing/items"><input type="hidden" name="collection" value="${id}">
<p><label for="q">${searchLabel(l, tool)}</label><input id="q" name="q" type="search" maxlength="${MAX_ITEM_SEARCH}" value="${p.search}"> <button type="submit">${t(l, 'Search')}</button>${p.search !== '' ? html` <a href="${listingUrl(id, '', 1)}">${t(l, 'Show all')}</a>` : ''}</p></form>`;
  let count: string;
  if (p.total === 0) count = p.search === '' ? t(l, 'It holds nothing to share yet.') : t(l, 'Nothing matches “{search}”.', { search: p.search });
  else if (p.search === '') count = t(l, 'Items {first} to {last} of {total}, in the order they were added.', { first: p.offset + 1, last: p.offset + p.items.length, total: p.total });
  else count = t(l, 'Items {first} to {last} of the {total} matching “{search}”.', { first: p.offset + 1, last: p.offset + p.items.length, total: p.total, search: p.search });
  const table = p.items.length === 0 ? html`` : html`<table><thead><tr>${headings(l, tool)}<th>${t(l, 'Shared with')}</th><th>${t(l, 'Share with')}</th></tr></thead><tbody>
${p.items.map((item) => html`<tr id="item-${item.id}">${describeCells(l, tool, item)}<td>${sharedWith(l, item)}</td><td>${groups.length > 0 ? shareForm(l, token, p, item, groups) : ''}</td></tr>`)}</tbody></table>`;
  return html`<p><a href="/sharing">${t(l, 'Back to Sharing')}</a></p>
<h2>${whose ? `${whose} — ` : ''}${where}</h2>
<p>${t(l, 'Each item is shared with one group: every member of the group may read it (or also change and delete it) through their calendar, contacts or drive, until you withdraw the share on the Sharing page.')}</p>
${groups.length === 0 ? html`<p>${th(l, 'You are in no group yet: <a href="/groups">create or join one</a> to share with its members.')}</p>` : ''}
${search}
<p>${count}</p>
${table}
${pager(l, p)}`;
}

/** A whole number from the query string, or undefined when absent or not one. */
function queryNumber(value: unknown): number | undefined {
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

const queryText = (value: unknown): string => (typeof value === 'string' ? value : '');

async function itemsPage(site: Site, ctx: Ctx, collectionId: number, search: string, page: number | undefined, o: { status?: number; error?: string } = {}): Promise<void> {
  const l = ctx.state.lang;
  const me = ctx.state.account!;
  const [p, groups] = await Promise.all([
    site.core.sharing.shareableItems(me.id, collectionId, { search, page }), site.core.groups.listOf(me.id),
  ]);
  const notice = ctx.query.done === 'shared' ? t(l, 'The share was made; it is listed under “What I share” on the Sharing page.') : null;
  render(ctx, t(l, 'Share a single event, contact or file'), itemsPageHtml(l, csrf(ctx), p, groups), { status: o.status, error: o.error, notice });
}

export function itemSharingRoutes(router: Router<WebState>, site: Site, sharingPageWithError: SharingPageWithError): void {
  router.get('/sharing/items', async (ctx) => {
    if (!requireAccount(ctx)) return;
    const collectionId = idField(ctx, 'collection', { collection: queryText(ctx.query.collection) });
    await itemsPage(site, ctx, collectionId, queryText(ctx.query.q), queryNumber(ctx.query.page));
  });

  router.post('/sharing/items/share', async (ctx) => {
    const a = requireAccount(ctx);
    if (!a) return;
    const form = ctx.state.form;
    const search = form.q ?? '';
    const page = queryNumber(form.page);
    let collectionId: number | null = null;
    try {
      collectionId = idField(ctx, 'collection');
      const itemId = idField(ctx, 'item');
      const groupId = idField(ctx, 'group');
      const target = (await site.core.sharing.shareable(a.id)).find((c) => c.collection.id === collectionId);
      if (!target || target.tool === 'mail') {
        const id = collectionId;
        collectionId = null;
        if (target) throw new InvalidInput('collection', t(ctx.state.lang, 'single messages are not shared one by one; share the whole mailbox'));
        throw new NotFound(t(ctx.state.lang, 'there is no calendar, address book or folder {id} of yours to share from', { id }));
      }
      await site.core.sharing.share(a.id, { collectionId, itemId }, groupId, presetField(ctx, target.tool, true));
      ctx.redirect(`${listingUrl(collectionId, search, page ?? 1, { done: 'shared' })}#item-${itemId}`);
    } catch (err) {
      const e = userError(err, ctx.state.lang);
      if (!e) throw err;
      const shown = { status: e.status, error: e.message };
      if (collectionId === null) await sharingPageWithError(ctx, shown);
      else await itemsPage(site, ctx, collectionId, search, page, shown);
    }
  });
}
