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
import type { Group, Right, Tool } from '../../core/types.ts';
import { csrf, render, requireAccount, userError, type Ctx, type Site, type WebState } from '../app.ts';
import { csrfField, html, type Html } from '../html.ts';

const NOTICES: Record<string, string> = {
  shared: 'The share was made.',
  changed: 'The rights of the share were changed.',
  withdrawn: 'The share was withdrawn; its group lost access at once.',
};

const TOOL_TITLES: Record<Tool, string> = { calendar: 'Calendars', contacts: 'Address books', files: 'Drive', mail: 'Mail' };
const TOOL_THING: Record<Tool, string> = { calendar: 'calendar', contacts: 'address book', files: 'folder', mail: 'mailbox' };
const ITEM_THING: Record<Tool, string> = { calendar: 'event', contacts: 'contact', files: 'file', mail: 'message' };

const PRESET_TITLES: Record<string, string> = {
  read: 'read', 'read-write': 'read and write', freebusy: 'busy times only', deposit: 'drop files in only',
};

/** The presets that make sense on a collection of the tool, or on one item. */
function presetsFor(tool: Tool, onItem: boolean): string[] {
  if (onItem) return ['read', 'read-write'];
  if (tool === 'calendar') return ['read', 'read-write', 'freebusy'];
  if (tool === 'files') return ['read', 'read-write', 'deposit'];
  return ['read', 'read-write'];
}

function rightsText(line: ShareLine): string {
  return line.preset ? PRESET_TITLES[line.preset] ?? line.preset : line.grant.rights.join(', ');
}

const upper = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const withArticle = (thing: string): string => `${/^[aeiou]/.test(thing) ? 'an' : 'a'} ${thing}`;

/** What a share is on, in words: 'Calendar “Calendar”', 'Event “Lunch” (lunch.ics) in the calendar “Calendar”'. */
function what(line: ShareLine): string {
  const where = `${TOOL_THING[line.tool]} “${line.path.join('/')}”`;
  if (!line.item) return upper(where);
  const title = line.item.title === line.item.name ? `“${line.item.name}”` : `“${line.item.title}” (${line.item.name})`;
  return `${upper(ITEM_THING[line.tool])} ${title} in the ${where}`;
}

function presetMenu(id: string, label: string, presets: readonly string[], selected: string | null): Html {
  return html`<select id="${id}" name="rights" aria-label="${label}">${presets.map((p) => html`<option value="${p}"${p === selected ? html` selected` : ''}>${PRESET_TITLES[p] ?? p}</option>`)}</select>`;
}

/** A URL path from plain segments, '@' kept readable. */
function urlPath(segments: readonly string[]): string {
  return segments.map((s) => encodeURIComponent(s).replace(/%40/g, '@')).join('/');
}

function whereHtml(site: Site, address: string, where: Whereabouts): Html {
  const base = site.settings.baseUrl.replace(/\/$/, '');
  switch (where.kind) {
    case 'dav': {
      // the layout of src/protocols/dav/groupware/tree.ts: a collection shared with the account is `shared-ID` in its home
      const url = `${base}/dav/${where.home}/${urlPath([address, `shared-${where.collectionId}`])}/${where.name ? urlPath([where.name]) : ''}`;
      return html`${where.home === 'calendars' ? 'In your calendar app' : 'In your contacts app'}: <code>${url}</code>`;
    }
    case 'drive': {
      const url = `${base}/files/${urlPath(where.segments)}${where.folder ? '/' : ''}`;
      return html`On the drive: <strong>${where.segments.join('/')}${where.folder ? '/' : ''}</strong> (<code>${url}</code>)`;
    }
    case 'mailbox':
      return html`In your mail app: the folder <strong>${where.path}</strong>`;
    case 'unlisted':
      return html`${upper(where.reason)}.`;
  }
}

function ownerText(line: ShareLine, meId: number): string {
  if (line.owner.kind === 'group') return `the group ${line.owner.group.name}`;
  return line.owner.account.id === meId ? 'you' : line.owner.account.address;
}

function mySharesHtml(token: string, shares: readonly MyShare[], meId: number): Html {
  if (shares.length === 0) return html`<p>You share nothing yet.</p>`;
  const sections: Html[] = [];
  for (const tool of ['calendar', 'contacts', 'files', 'mail'] as const) {
    const mine = shares.filter((s) => s.tool === tool);
    if (mine.length === 0) continue;
    const rows = mine.map((s) => {
      const id = s.grant.id;
      const label = `Rights of ${s.group.name} on ${what(s)}`;
      const forms = s.canChange ? html`
<form method="post" action="/sharing/change" class="inline">${csrfField(token)}<input type="hidden" name="share" value="${id}">
${presetMenu(`rights-${id}`, label, presetsFor(s.tool, s.item !== null), s.preset)}<button type="submit">Change</button></form>
<form method="post" action="/sharing/withdraw" class="inline">${csrfField(token)}<input type="hidden" name="share" value="${id}"><button type="submit">Withdraw</button></form>` : html`You may not change it.`;
      return html`<tr><td>${what(s)}</td><td>${ownerText(s, meId)}</td><td>${s.group.name}</td><td>${rightsText(s)}</td><td>${forms}</td></tr>`;
    });
    sections.push(html`<h3>${TOOL_TITLES[tool]}</h3>
<table><thead><tr><th>What</th><th>Whose</th><th>Shared with</th><th>Rights</th><th></th></tr></thead><tbody>${rows}</tbody></table>`);
  }
  return html`${sections}`;
}

function shareFormHtml(token: string, shareable: readonly ShareableCollection[], groups: readonly Group[]): Html {
  if (groups.length === 0) return html`<p>You are in no group yet: <a href="/groups">create or join one</a> to share with its members.</p>`;
  const options = shareable.map((c) => html`<option value="${c.collection.id}">${c.group ? `${c.group.name} (group) — ` : ''}${TOOL_THING[c.tool]} “${c.path.join('/')}”</option>`);
  return html`<form method="post" action="/sharing/share">${csrfField(token)}
<p><label for="collection">What to share</label><select id="collection" name="collection" required>${options}</select></p>
<p><label for="group">With the group</label><select id="group" name="group" required>${groups.map((g) => html`<option value="${g.id}">${g.name}</option>`)}</select></p>
<p><label for="rights">Rights</label><select id="rights" name="rights" aria-describedby="rights-hint">${Object.keys(SHARE_PRESETS).map((p) => html`<option value="${p}">${PRESET_TITLES[p] ?? p}</option>`)}</select>
<small id="rights-hint">Busy times only is for calendars; drop files in only is for drive folders.</small></p>
<p><button type="submit">Share</button></p></form>`;
}

function withMeHtml(site: Site, address: string, lines: readonly SharedWithMe[], groups: readonly Group[], meId: number): Html {
  if (lines.length === 0) return html`<p>Nothing is shared with your groups yet.</p>`;
  const sections: Html[] = [];
  for (const g of groups) {
    const mine = lines.filter((l) => l.group.id === g.id);
    if (mine.length === 0) continue;
    sections.push(html`<h3>Through the group ${g.name}</h3>
<table><thead><tr><th>What</th><th>Whose</th><th>Rights</th><th>Where to find it</th></tr></thead><tbody>
${mine.map((l) => html`<tr><td>${what(l)}</td><td>${ownerText(l, meId)}</td><td>${rightsText(l)}</td><td>${whereHtml(site, address, l.where)}</td></tr>`)}</tbody></table>`);
  }
  return html`${sections}`;
}

async function sharingPage(site: Site, ctx: Ctx, o: { status?: number; error?: string } = {}): Promise<void> {
  const me = ctx.state.account!;
  const token = csrf(ctx);
  const [mine, withMe, shareable, groups] = await Promise.all([
    site.core.sharing.ownShares(me.id), site.core.sharing.sharedWithMe(me.id), site.core.sharing.shareable(me.id), site.core.groups.listOf(me.id),
  ]);
  render(ctx, 'Sharing', html`
<p>What you share goes to whole groups: every member of the group gets the rights you choose, and loses them as soon as you withdraw the share or they leave the group.</p>
<h2 id="mine">What I share</h2>
${mySharesHtml(token, mine, me.id)}
<h2 id="share">Share a calendar, address book, folder or mailbox</h2>
${shareFormHtml(token, shareable, groups)}
<h2 id="with-me">Shared with me</h2>
${withMeHtml(site, me.address, withMe, groups, me.id)}`, { status: o.status, error: o.error, notice: NOTICES[String(ctx.query.done ?? '')] ?? null });
}

/** A positive whole number given in a form field, else InvalidInput naming the field. */
function idField(ctx: Ctx, name: string, what: string): number {
  const text = (ctx.state.form[name] ?? '').trim();
  if (text === '') throw new InvalidInput(name, `choose the ${what}`);
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new InvalidInput(name, `${JSON.stringify(text.slice(0, 40))} does not name a ${what}`);
  return Number(text);
}

/** The rights of a preset the form chose, checked against those that make sense for the tool. */
function presetField(ctx: Ctx, tool: Tool, onItem: boolean): readonly Right[] {
  const name = (ctx.state.form.rights ?? '').trim();
  if (name === '') throw new InvalidInput('rights', 'choose the rights');
  const rights = Object.hasOwn(SHARE_PRESETS, name) ? SHARE_PRESETS[name] : undefined;
  if (!rights) throw new InvalidInput('rights', `${JSON.stringify(name.slice(0, 40))} is not a choice of rights; choose one of ${Object.keys(SHARE_PRESETS).join(', ')}`);
  if (!presetsFor(tool, onItem).includes(name)) {
    throw new InvalidInput('rights', `${PRESET_TITLES[name] ?? name} cannot be given on ${onItem ? `a single ${ITEM_THING[tool]}` : withArticle(TOOL_THING[tool])}`);
  }
  return rights;
}

export function sharingRoutes(router: Router<WebState>, site: Site): void {
  router.get('/sharing', async (ctx) => {
    if (!requireAccount(ctx)) return;
    await sharingPage(site, ctx);
  });

  const action = (name: string, fn: (ctx: Ctx, actorId: number) => Promise<string>) => {
    router.post(`/sharing/${name}`, async (ctx) => {
      const a = requireAccount(ctx);
      if (!a) return;
      try {
        ctx.redirect(`/sharing?done=${await fn(ctx, a.id)}`);
      } catch (err) {
        const e = userError(err);
        if (!e) throw err;
        await sharingPage(site, ctx, { status: e.status, error: e.message });
      }
    });
  };

  /** The share the form names, if the account may see it among its own (others' shares are not found). */
  const ownShare = async (ctx: Ctx, actorId: number): Promise<MyShare> => {
    const id = idField(ctx, 'share', 'share');
    const share = (await site.core.sharing.ownShares(actorId)).find((s) => s.grant.id === id);
    if (!share) throw new NotFound('there is no such share of yours (it may have been withdrawn already)');
    return share;
  };

  action('share', async (ctx, actor) => {
    const collectionId = idField(ctx, 'collection', 'thing to share');
    const groupId = idField(ctx, 'group', 'group');
    const target = (await site.core.sharing.shareable(actor)).find((c) => c.collection.id === collectionId);
    if (!target) throw new InvalidInput('collection', 'you can only share your own calendars, address books, folders and mailboxes, or those of a group you administer');
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
