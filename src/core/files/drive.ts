// The drive an account sees: one tree whose top folders are the spaces it
// reaches (OPERATOR.md): Documents/, Drop box/, Drop boxes/ADDRESS/,
// Groups/GROUP/, Shared with me/ADDRESS/ (what an account shared with the
// account's groups) and Shared with me/GROUP (group)/ (what a group the
// account is not in shared with them). Resolving a path loads the account's
// principal once and asks core/acl for each collection or item on the way, so
// a door (WebDAV, the web site) gets entries that already carry the rights the
// account holds, and nothing it may not see.
import type { Account, Collection, Grant, Group, Item, Right, SpaceOwner, Store } from '../../store/types.ts';
import { authorize, rightsOn, type GrantRef, type Principal, type Resource } from '../acl.ts';
import { collectionResource, itemResource, loadPrincipal } from '../access.ts';
import { NotFound } from '../errors.ts';
import { itemPages, LISTING_PAGE } from '../listing.ts';

export const TOP = {
  documents: 'Documents',
  dropbox: 'Drop box',
  dropboxes: 'Drop boxes',
  groups: 'Groups',
  shared: 'Shared with me',
} as const;

export type VirtualList = 'root' | 'dropboxes' | 'groups' | 'shared' | 'shared-owner';

/** What a folder of `Shared with me/` is named after a group: `Team (group)`. */
export const GROUP_SUFFIX = ' (group)';

/** What one owner (an account, or a group the account is not in) shares with the account's groups. */
export interface SharedSlot {
  readonly owner: SpaceOwner;
  readonly collections: Collection[];
  readonly items: { item: Item; collection: Collection }[];
}

/** A folder of `Shared with me/`: its name and whose shares it holds. */
export interface SharedFolder {
  readonly name: string;
  readonly owner: SpaceOwner;
}

/** One string per owner, to key maps by. */
export const ownerKey = (o: SpaceOwner): string => (o.kind === 'account' ? `account:${o.accountId}` : `group:${o.groupId}`);

export type DriveEntry =
  /** a folder Bureau makes up from what the account reaches; it has no content of its own */
  | { readonly kind: 'virtual'; readonly list: VirtualList; readonly owner?: SpaceOwner; readonly name: string }
  | { readonly kind: 'collection'; readonly collection: Collection; readonly rights: readonly Right[]; readonly name: string; readonly resource: Resource }
  | { readonly kind: 'item'; readonly item: Item; readonly collection: Collection; readonly rights: readonly Right[]; readonly name: string; readonly resource: Resource }
  /** nothing at this name yet, inside a collection (for PUT, MKCOL, LOCK of an unmapped URL) */
  | { readonly kind: 'missing'; readonly parent: Extract<DriveEntry, { kind: 'collection' }>; readonly name: string };

export type CollectionEntry = Extract<DriveEntry, { kind: 'collection' }>;
export type ItemEntry = Extract<DriveEntry, { kind: 'item' }>;

/** One account's view of the drive, for one request: the principal is loaded once. */
export class DriveView {
  readonly account: Account;
  readonly principal: Principal;
  private readonly store: Store;
  /** what others share with the account, read once per view (a view lives for one request) */
  private shared: Promise<Map<string, SharedSlot>> | null = null;

  private constructor(store: Store, account: Account, principal: Principal) {
    this.store = store;
    this.account = account;
    this.principal = principal;
  }

  static async open(store: Store, account: Account): Promise<DriveView> {
    return new DriveView(store, account, await loadPrincipal(store, account.id));
  }

  can(right: Right, entry: DriveEntry): boolean {
    if (entry.kind === 'collection' || entry.kind === 'item') return authorize(this.principal, right, entry.resource).allow;
    return false;
  }

  async collectionEntry(collection: Collection, name = collection.name): Promise<CollectionEntry> {
    const resource = await collectionResource(this.store, collection);
    return { kind: 'collection', collection, name, resource, rights: rightsOn(this.principal, resource) };
  }

  async itemEntry(item: Item, collection: Collection, name = item.name ?? String(item.uid)): Promise<ItemEntry> {
    const resource = await itemResource(this.store, item);
    return { kind: 'item', item, collection, name, resource, rights: rightsOn(this.principal, resource) };
  }

  private async ownRole(role: string): Promise<Collection> {
    const c = await this.store.findCollectionByRole(this.account.spaceId, 'files', role);
    if (!c) throw new NotFound(`the account has no ${role} folder`);
    return c;
  }

  /** Co-members by address, for Drop boxes/. */
  async coMembers(): Promise<Account[]> {
    const out: Account[] = [];
    for (const id of this.principal.coMembers) {
      const a = await this.store.getAccount(id);
      if (a && a.status === 'active') out.push(a);
    }
    return out.sort((a, b) => a.address.localeCompare(b.address));
  }

  async groups(): Promise<Group[]> {
    return this.store.listGroupsOf(this.account.id);
  }

  /**
   * What others shared with the account's groups, by owner (ownerKey): the
   * collections and items it may read. An owner is another account, or a
   * group the account is not a member of; a group it is in is left out, since
   * its whole space is under Groups/GROUP/ already, where the same grants give
   * the same rights.
   */
  sharedByOwner(): Promise<Map<string, SharedSlot>> {
    this.shared ??= this.loadShared();
    return this.shared;
  }

  private async loadShared(): Promise<Map<string, SharedSlot>> {
    const out = new Map<string, SharedSlot>();
    const reach = await this.store.listReachableCollections(this.account.id, 'files');
    for (const r of reach) {
      const o = r.space.owner;
      if (o.kind === 'account' ? o.accountId === this.account.id : this.principal.groups.has(o.groupId)) continue;
      const mine = r.grants.filter((g: Grant) => this.principal.groups.has(g.groupId) && g.rights.length > 0);
      if (mine.length === 0) continue;
      const key = ownerKey(o);
      const slot = out.get(key) ?? { owner: o, collections: [], items: [] };
      if (mine.some((g) => g.itemId === null)) slot.collections.push(r.collection);
      for (const g of mine) {
        if (g.itemId === null) continue;
        const item = await this.store.getItem(g.itemId);
        if (item && !slot.items.some((x) => x.item.id === item.id)) slot.items.push({ item, collection: r.collection });
      }
      out.set(key, slot);
    }
    return out;
  }

  /**
   * The folders of `Shared with me/`: one per account, named by its address,
   * then one per group, `NAME (group)`, in the order the groups were made. A
   * name another folder already holds (compared without case or Unicode
   * form, as Windows and macOS compare) gets the group's id as well:
   * `NAME (group ID)`. Today's names cannot meet (group names are unique
   * that way, addresses hold no space or bracket): this keeps it so.
   */
  async sharedFolders(): Promise<SharedFolder[]> {
    const owners = [...(await this.sharedByOwner()).values()].map((s) => s.owner);
    const out: SharedFolder[] = [];
    const taken = new Set<string>();
    const key = (name: string): string => name.normalize('NFC').toLowerCase();
    for (const owner of owners) {
      if (owner.kind !== 'account') continue;
      const a = await this.store.getAccount(owner.accountId);
      if (!a) continue;
      out.push({ name: a.address, owner });
      taken.add(key(a.address));
    }
    const groups = owners.filter((o): o is Extract<SpaceOwner, { kind: 'group' }> => o.kind === 'group').sort((x, y) => x.groupId - y.groupId);
    for (const owner of groups) {
      const g = await this.store.getGroup(owner.groupId);
      if (!g) continue;
      let name = `${g.name}${GROUP_SUFFIX}`;
      if (taken.has(key(name))) name = `${g.name} (group ${g.id})`;
      taken.add(key(name));
      out.push({ name, owner });
    }
    return out;
  }

  /**
   * The entries of one folder of `Shared with me/` (an owner, or an account's
   * id): shared folders and files by name; a folder shared inside another
   * shared folder is reached through it, not listed again. Names that would
   * collide get the id appended.
   */
  async sharedEntries(owner: SpaceOwner | number): Promise<DriveEntry[]> {
    const o: SpaceOwner = typeof owner === 'number' ? { kind: 'account', accountId: owner } : owner;
    const slot = (await this.sharedByOwner()).get(ownerKey(o));
    if (!slot) return [];
    const entries: DriveEntry[] = [];
    const ids = new Set(slot.collections.map((c) => c.id));
    const taken = new Set<string>();
    const unique = (name: string, id: number): string => {
      const n = taken.has(name) ? `${name} (${id})` : name;
      taken.add(n);
      return n;
    };
    for (const c of slot.collections) {
      const path = await this.store.getCollectionPath(c.id);
      if (path.slice(0, -1).some((a) => ids.has(a.id))) continue;
      const e = await this.collectionEntry(c, unique(c.name, c.id));
      if (e.rights.includes('read')) entries.push(e);
    }
    for (const { item, collection } of slot.items) {
      if (ids.has(collection.id)) continue;
      const e = await this.itemEntry(item, collection, unique(item.name ?? String(item.uid), item.id));
      if (e.rights.includes('read')) entries.push(e);
    }
    return entries;
  }

  /** Resolves path segments (already decoded) under the drive's top. */
  async resolve(segments: readonly string[]): Promise<DriveEntry> {
    const [top, ...rest] = segments;
    if (top === undefined) return { kind: 'virtual', list: 'root', name: '' };
    switch (top) {
      case TOP.documents:
        return this.walk(await this.collectionEntry(await this.ownRole('documents'), TOP.documents), rest);
      case TOP.dropbox:
        return this.walk(await this.collectionEntry(await this.ownRole('dropbox'), TOP.dropbox), rest);
      case TOP.dropboxes: {
        const [address, ...more] = rest;
        if (address === undefined) return { kind: 'virtual', list: 'dropboxes', name: TOP.dropboxes };
        const other = (await this.coMembers()).find((a) => a.address === address.toLowerCase());
        if (!other) throw new NotFound(`${address} is not a co-member`);
        const box = await this.store.findCollectionByRole(other.spaceId, 'files', 'dropbox');
        if (!box) throw new NotFound(`${address} has no drop box`);
        return this.walk(await this.collectionEntry(box, other.address), more);
      }
      case TOP.groups: {
        const [name, ...more] = rest;
        if (name === undefined) return { kind: 'virtual', list: 'groups', name: TOP.groups };
        const group = (await this.groups()).find((g) => g.name === name);
        if (!group) throw new NotFound(`the account is in no group named ${name}`);
        const docs = await this.store.findCollectionByRole(group.spaceId, 'files', 'documents');
        if (!docs) throw new NotFound(`the group ${name} has no documents folder`);
        return this.walk(await this.collectionEntry(docs, group.name), more);
      }
      case TOP.shared: {
        const [folderName, name, ...more] = rest;
        if (folderName === undefined) return { kind: 'virtual', list: 'shared', name: TOP.shared };
        // an account's folder by its address, in any case; a group's by its exact name
        const folder = (await this.sharedFolders()).find((f) =>
          f.name === folderName || (f.owner.kind === 'account' && f.name === folderName.toLowerCase()));
        if (!folder) throw new NotFound(`nothing is shared by ${folderName}`);
        if (name === undefined) return { kind: 'virtual', list: 'shared-owner', owner: folder.owner, name: folder.name };
        const entry = (await this.sharedEntries(folder.owner)).find((e) => e.name === name);
        if (!entry) throw new NotFound(`${folder.name} shares nothing named ${name}`);
        if (entry.kind === 'item') {
          if (more.length > 0) throw new NotFound(`${name} is a file`);
          return entry;
        }
        return this.walk(entry as CollectionEntry, more);
      }
      default:
        throw new NotFound(`there is no folder ${top} at the top of the drive`);
    }
  }

  /** Walks down from a collection: sub-folders are collections, files are items. */
  private async walk(start: CollectionEntry, rest: readonly string[]): Promise<DriveEntry> {
    let current = start;
    for (let i = 0; i < rest.length; i++) {
      const name = rest[i]!;
      const last = i === rest.length - 1;
      // A folder the account may not read (a co-member's drop box: deposit
      // only) is opaque: no name inside it is looked up, so that no answer can
      // differ between a name that is there and one that is not. Its last
      // segment is offered as a new name (a PUT there that meets a file
      // already there is refused by the store's if-none-match); anything
      // deeper does not exist for this account.
      if (!current.rights.includes('read')) {
        if (!last) throw new NotFound(`there is no folder ${name}`);
        return { kind: 'missing', parent: current, name };
      }
      const sub = await this.store.findCollection(current.collection.spaceId, 'files', current.collection.id, name);
      if (sub) {
        current = await this.collectionEntry(sub);
        continue;
      }
      const item = await this.store.getItemByName(current.collection.id, name);
      if (item && last) return this.itemEntry(item, current.collection);
      if (last) return { kind: 'missing', parent: current, name };
      throw new NotFound(`there is no folder ${name}`);
    }
    return current;
  }

  /** The entries inside a folder, each with its rights; what may not be seen is left out (all at once: childPages reads a big folder in pages). */
  async children(entry: DriveEntry): Promise<DriveEntry[]> {
    const out: DriveEntry[] = [];
    for await (const page of this.childPages(entry)) for (const e of page) out.push(e);
    return out;
  }

  /**
   * The entries inside a folder in pages, in the order children gives them:
   * the sub-folders first (one page), then the files in uid order, at most
   * `pageSize` a page, read from the store one page ahead of the caller
   * (core/listing.ts), so a folder of 10,000 files is never in memory at
   * once. An empty folder yields no page.
   */
  async *childPages(entry: DriveEntry, pageSize = LISTING_PAGE): AsyncGenerator<DriveEntry[]> {
    if (entry.kind === 'virtual') {
      const list = await this.virtualChildren(entry);
      if (list.length > 0) yield list;
      return;
    }
    if (entry.kind !== 'collection' || !entry.rights.includes('read')) return;
    const folders: DriveEntry[] = [];
    for (const c of await this.store.listCollections(entry.collection.spaceId, 'files', entry.collection.id)) {
      folders.push(await this.collectionEntry(c));
    }
    if (folders.length > 0) yield folders;
    // one query for every item grant of the folder; each item's rights are then decided in memory
    const itemGrants = new Map<number, GrantRef[]>();
    for (const g of await this.store.listItemGrants(entry.collection.id)) {
      itemGrants.set(g.itemId!, [...(itemGrants.get(g.itemId!) ?? []), { groupId: g.groupId, rights: g.rights }]);
    }
    const base = entry.resource as Extract<Resource, { kind: 'collection' }>;
    for await (const items of itemPages(this.store, entry.collection.id, pageSize)) {
      const page: DriveEntry[] = [];
      for (const item of items) {
        const resource: Resource = {
          kind: 'item', space: base.space, collection: base.collection, itemId: item.id,
          grants: [...base.grants, ...(itemGrants.get(item.id) ?? [])],
        };
        page.push({ kind: 'item', item, collection: entry.collection, name: item.name ?? String(item.uid), resource, rights: rightsOn(this.principal, resource) });
      }
      yield page;
    }
  }

  /** The entries of a folder Bureau makes up. */
  private async virtualChildren(entry: Extract<DriveEntry, { kind: 'virtual' }>): Promise<DriveEntry[]> {
    switch (entry.list) {
      case 'root':
        return [
          { kind: 'virtual', list: 'root', name: TOP.documents },
          { kind: 'virtual', list: 'root', name: TOP.dropbox },
          { kind: 'virtual', list: 'dropboxes', name: TOP.dropboxes },
          { kind: 'virtual', list: 'groups', name: TOP.groups },
          { kind: 'virtual', list: 'shared', name: TOP.shared },
        ].map((e) => e as DriveEntry);
      case 'dropboxes':
        return (await this.coMembers()).map((a) => ({ kind: 'virtual', list: 'dropboxes', name: a.address }) as DriveEntry);
      case 'groups':
        return (await this.groups()).map((g) => ({ kind: 'virtual', list: 'groups', name: g.name }) as DriveEntry);
      case 'shared':
        return (await this.sharedFolders()).map((f) => ({ kind: 'virtual', list: 'shared-owner', owner: f.owner, name: f.name }) as DriveEntry);
      case 'shared-owner':
        return entry.owner ? this.sharedEntries(entry.owner) : [];
    }
  }
}
