// What an account shares and what is shared with it, as the web site's
// Sharing page lists them: each grant with what it is on (collection or single
// item, and where that sits in its space), the group it goes to, its rights
// as one of the web site's presets, and — for one's own shares — whether
// core/acl lets the account change it (the `share` right on the resource).
// Loaded fresh for every page, like every access decision.
import type { Account, Collection, Grant, Group, Item, Right, SpaceOwner, Store, Tool } from '../store/types.ts';
import { authorize, type Principal, type Resource } from './acl.ts';
import { collectionResource, itemResource, loadPrincipal, spaceRef } from './access.ts';
import { contentLines, nameOf, valueOf } from './calendar/lines.ts';
import { DriveView, ownerKey, TOP } from './files/drive.ts';
import type { Mailboxes } from './mail/mailboxes.ts';

export type ShareOwner =
  | { readonly kind: 'account'; readonly account: Account }
  | { readonly kind: 'group'; readonly group: Group };

export interface SharedItem {
  readonly id: number;
  /** its name in the collection (file name, DAV resource name) */
  readonly name: string;
  /** what a person calls it: an event's SUMMARY, a card's FN, else the name */
  readonly title: string;
}

export interface ShareLine {
  readonly grant: Grant;
  /** the group it is shared with */
  readonly group: Group;
  readonly tool: Tool;
  readonly collection: Collection;
  /** the collection's name and its ancestors', root first (display names where set) */
  readonly path: readonly string[];
  /** set when the grant is on one item rather than the whole collection */
  readonly item: SharedItem | null;
  /** whose space the shared thing is in */
  readonly owner: ShareOwner;
  /** the name of the preset (SHARE_PRESETS) the rights are, or null */
  readonly preset: string | null;
}

export interface MyShare extends ShareLine {
  /** core/acl grants the account `share` on it: it may change or withdraw it */
  readonly canChange: boolean;
}

/** Where the account finds what is shared with it. */
export type Whereabouts =
  /** a CalDAV or CardDAV collection of the account's home, reached as homeSegment.shared (core/home-segments.ts) */
  | { readonly kind: 'dav'; readonly home: 'calendars' | 'addressbooks'; readonly collectionId: number; readonly name: string | null }
  /** a path on the drive, from its top (`Shared with me`, ADDRESS, …) */
  | { readonly kind: 'drive'; readonly segments: readonly string[]; readonly folder: boolean }
  /** an IMAP mailbox path */
  | { readonly kind: 'mailbox'; readonly path: string }
  /** not listed anywhere (the rights give no read), with why */
  | { readonly kind: 'unlisted'; readonly reason: string };

export interface SharedWithMe extends ShareLine {
  readonly where: Whereabouts;
}

const TOOL_ORDER: readonly Tool[] = ['calendar', 'contacts', 'files', 'mail'];

/** The preset whose rights are exactly these, or null. */
export function presetOf(presets: Readonly<Record<string, readonly Right[]>>, rights: readonly Right[]): string | null {
  const have = [...new Set(rights)].sort().join(',');
  for (const [name, r] of Object.entries(presets)) if ([...r].sort().join(',') === have) return name;
  return null;
}

/** Unescapes an iCalendar/vCard TEXT value (RFC 5545 3.3.11). */
function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? ' ' : c));
}

/** Loads what listings need, once per page: accounts, groups, collection paths. */
class Lookup {
  private readonly store: Store;
  private readonly presets: Readonly<Record<string, readonly Right[]>>;
  private readonly accounts = new Map<number, Account | null>();
  private readonly groups = new Map<number, Group | null>();
  private readonly paths = new Map<number, Collection[]>();

  constructor(store: Store, presets: Readonly<Record<string, readonly Right[]>>) {
    this.store = store;
    this.presets = presets;
  }

  async account(id: number): Promise<Account | null> {
    if (!this.accounts.has(id)) this.accounts.set(id, await this.store.getAccount(id));
    return this.accounts.get(id)!;
  }

  async group(id: number): Promise<Group | null> {
    if (!this.groups.has(id)) this.groups.set(id, await this.store.getGroup(id));
    return this.groups.get(id)!;
  }

  async path(collectionId: number): Promise<Collection[]> {
    if (!this.paths.has(collectionId)) this.paths.set(collectionId, await this.store.getCollectionPath(collectionId));
    return this.paths.get(collectionId)!;
  }

  async item(item: Item, tool: Tool): Promise<SharedItem> {
    const name = item.name ?? String(item.uid);
    let title = name;
    if (tool === 'calendar' || tool === 'contacts') {
      const want = tool === 'calendar' ? 'SUMMARY' : 'FN';
      const text = new TextDecoder().decode(await this.store.readItemContent(item));
      const line = contentLines(text).find((l) => nameOf(l.logical) === want);
      const value = line ? unescapeText(valueOf(line.logical)).trim() : '';
      if (value !== '') title = value;
    }
    return { id: item.id, name, title };
  }

  /** The line of one grant, or null when what it names is gone (deleted meanwhile). */
  async line(grant: Grant): Promise<ShareLine | null> {
    const [path, group] = await Promise.all([this.path(grant.collectionId), this.group(grant.groupId)]);
    const collection = path[path.length - 1];
    if (!collection || !group) return null;
    const space = await this.store.getSpace(collection.spaceId);
    if (!space) return null;
    let owner: ShareOwner;
    if (space.owner.kind === 'account') {
      const account = await this.account(space.owner.accountId);
      if (!account) return null;
      owner = { kind: 'account', account };
    } else {
      const g = await this.group(space.owner.groupId);
      if (!g) return null;
      owner = { kind: 'group', group: g };
    }
    let item: SharedItem | null = null;
    if (grant.itemId !== null) {
      const it = await this.store.getItem(grant.itemId);
      if (!it) return null;
      item = await this.item(it, collection.tool);
    }
    return {
      grant, group, tool: collection.tool, collection, item, owner,
      path: path.map((c) => c.props.displayname || c.name),
      preset: presetOf(this.presets, grant.rights),
    };
  }
}

function byPlace(a: ShareLine, b: ShareLine): number {
  return TOOL_ORDER.indexOf(a.tool) - TOOL_ORDER.indexOf(b.tool)
    || a.path.join('/').localeCompare(b.path.join('/'))
    || (a.item?.title ?? '').localeCompare(b.item?.title ?? '')
    || a.group.name.localeCompare(b.group.name);
}

/**
 * Everything shared from the spaces the account owns or administers (its own
 * space, and the spaces of the groups it administers), whoever gave the
 * grant, each with whether core/acl lets the account change it.
 */
export async function listMyShares(store: Store, presets: Readonly<Record<string, readonly Right[]>>, accountId: number): Promise<MyShare[]> {
  const account = await store.getAccount(accountId);
  if (!account) return [];
  const [principal, groups] = await Promise.all([loadPrincipal(store, accountId), store.listGroupsOf(accountId)]);
  const spaces = [account.spaceId, ...groups.filter((g) => g.adminId === accountId).map((g) => g.spaceId)];
  const lookup = new Lookup(store, presets);
  const out: MyShare[] = [];
  for (const grant of await store.listGrantsInSpaces(spaces)) {
    const line = await lookup.line(grant);
    if (!line) continue;
    out.push({ ...line, canChange: await mayShare(store, principal, grant) });
  }
  return out.sort(byPlace);
}

/** Whether core/acl gives the principal `share` on what the grant is on. */
export async function mayShare(store: Store, principal: Principal, grant: Grant): Promise<boolean> {
  if (grant.itemId !== null) {
    const item = await store.getItem(grant.itemId);
    return item !== null && authorize(principal, 'share', await itemResource(store, item)).allow;
  }
  const collection = await store.getCollection(grant.collectionId);
  return collection !== null && authorize(principal, 'share', await collectionResource(store, collection)).allow;
}

/**
 * What others shared with the account's groups, from spaces that are neither
 * the account's nor a group's it belongs to (those it reaches anyway), each
 * with where the account finds it.
 */
export async function listSharedWithMe(store: Store, mailboxes: Mailboxes, presets: Readonly<Record<string, readonly Right[]>>, accountId: number): Promise<SharedWithMe[]> {
  const account = await store.getAccount(accountId);
  if (!account) return [];
  const principal = await loadPrincipal(store, accountId);
  const lookup = new Lookup(store, presets);
  const out: SharedWithMe[] = [];
  let drive: DriveView | null = null;
  let mailPaths: Map<number, string> | null = null;
  for (const tool of TOOL_ORDER) {
    for (const reach of await store.listReachableCollections(accountId, tool)) {
      const o = reach.space.owner;
      if (o.kind === 'account' ? o.accountId === accountId : principal.groups.has(o.groupId)) continue;
      for (const grant of reach.grants) {
        if (!principal.groups.has(grant.groupId)) continue;
        const line = await lookup.line(grant);
        if (!line) continue;
        let where: Whereabouts;
        if (!grant.rights.includes('read') && !grant.rights.includes('write')) {
          where = { kind: 'unlisted', reason: grant.rights.includes('freebusy') ? 'only busy times, seen when scheduling' : 'not listed: files can only be dropped in' };
        } else if (tool === 'calendar' || tool === 'contacts') {
          where = { kind: 'dav', home: tool === 'calendar' ? 'calendars' : 'addressbooks', collectionId: grant.collectionId, name: line.item?.name ?? null };
        } else if (tool === 'files') {
          drive ??= await DriveView.open(store, account);
          where = await driveWhereabouts(store, drive, line);
        } else {
          mailPaths ??= new Map((await mailboxes.list(accountId)).map((m) => [m.id, m.path]));
          const path = mailPaths.get(grant.collectionId);
          where = path ? { kind: 'mailbox', path } : { kind: 'unlisted', reason: 'not among the account\'s mailboxes' };
        }
        out.push({ ...line, where });
      }
    }
  }
  return out.sort(byPlace);
}

/** The drive path of a shared folder or file: `Shared with me/OWNER/` (an address, or `GROUP (group)`) then the outermost shared folder's name and the names below it. */
async function driveWhereabouts(store: Store, drive: DriveView, line: ShareLine): Promise<Whereabouts> {
  const owner: SpaceOwner = line.owner.kind === 'account'
    ? { kind: 'account', accountId: line.owner.account.id }
    : { kind: 'group', groupId: line.owner.group.id };
  const folder = (await drive.sharedFolders()).find((f) => ownerKey(f.owner) === ownerKey(owner));
  if (!folder) return { kind: 'unlisted', reason: 'not on the drive' };
  const top = [TOP.shared, folder.name];
  const entries = await drive.sharedEntries(owner);
  const path = await store.getCollectionPath(line.collection.id);
  for (let i = 0; i < path.length; i++) {
    const entry = entries.find((e) => e.kind === 'collection' && e.collection.id === path[i]!.id);
    if (!entry) continue;
    const below = path.slice(i + 1).map((c) => c.name);
    return line.item
      ? { kind: 'drive', segments: [...top, entry.name, ...below, line.item.name], folder: false }
      : { kind: 'drive', segments: [...top, entry.name, ...below], folder: true };
  }
  const entry = line.item ? entries.find((e) => e.kind === 'item' && e.item.id === line.item!.id) : undefined;
  if (entry) return { kind: 'drive', segments: [...top, entry.name], folder: false };
  return { kind: 'unlisted', reason: 'not on the drive' };
}

/** A collection the account may share (it owns or administers it), for the form that shares one. */
export interface ShareableCollection {
  readonly collection: Collection;
  readonly tool: Tool;
  /** names root first, as in ShareLine */
  readonly path: readonly string[];
  /** null: the account's own space; else the group whose space it is */
  readonly group: Group | null;
}

/**
 * The collections of the account's own space and of the groups it
 * administers on which core/acl gives it `share` (a member directory, kept
 * by the server, is not among them).
 */
export async function listShareable(store: Store, accountId: number): Promise<ShareableCollection[]> {
  const account = await store.getAccount(accountId);
  if (!account) return [];
  const [principal, groups] = await Promise.all([loadPrincipal(store, accountId), store.listGroupsOf(accountId)]);
  const spaces: { spaceId: number; group: Group | null }[] = [
    { spaceId: account.spaceId, group: null },
    ...groups.filter((g) => g.adminId === accountId).map((g) => ({ spaceId: g.spaceId, group: g })),
  ];
  const out: ShareableCollection[] = [];
  for (const { spaceId, group } of spaces) {
    const all = await store.listCollections(spaceId);
    const byId = new Map(all.map((c) => [c.id, c]));
    const pathOf = (c: Collection): string[] => {
      const names: string[] = [];
      for (let at: Collection | undefined = c; at && names.length < 64; at = at.parentId === null ? undefined : byId.get(at.parentId)) {
        names.unshift(at.props.displayname || at.name);
      }
      return names;
    };
    const space = await store.getSpace(spaceId);
    if (!space) continue;
    for (const c of all) {
      // `share` never comes from a grant (core/acl), so the collection's grants need not be loaded to ask
      const resource: Resource = { kind: 'collection', space: spaceRef(space), collection: { id: c.id, tool: c.tool, role: c.role }, grants: [] };
      if (!authorize(principal, 'share', resource).allow) continue;
      out.push({ collection: c, tool: c.tool, path: pathOf(c), group });
    }
  }
  return out.sort((a, b) => (a.group?.name ?? '').localeCompare(b.group?.name ?? '')
    || TOOL_ORDER.indexOf(a.tool) - TOOL_ORDER.indexOf(b.tool) || a.path.join('/').localeCompare(b.path.join('/')));
}
