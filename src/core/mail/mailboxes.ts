// Mailboxes: the mail collections an account reaches, named by paths with '/'
// between levels, and their creation, renaming, deletion and subscription.
//
//   INBOX, Sent, Projects/2024        the account's own space
//   Groups/GROUP/...                  a space of a group the account is a member of
//   Shared with me/ADDRESS/...        another account's mailboxes shared with one of the account's groups
//   Shared with me/GROUP (group)/...  a group's mailboxes shared with one of the account's groups (the
//                                     account not a member of it), named as on the drive
//
// The paths are the same for every door (IMAP now, a web mail later); what an
// account sees and may do is decided by core/acl's `authorize`, loaded fresh
// for every call, so a removed member loses a group's mailboxes at once.
import type { Collection, Grant, Right, Space, Store } from '../../store/types.ts';
import { authorize, holds, rightsOn, type Principal, type Resource } from '../acl.ts';
import { loadPrincipal, spaceRef } from '../access.ts';
import { Conflict, Forbidden, InvalidInput, NotFound } from '../errors.ts';

export const GROUPS_ROOT = 'Groups';
export const SHARED_ROOT = 'Shared with me';
export const DELIMITER = '/';
/** The roles (RFC 6154 special uses) every account's space has from its creation. */
export const SPECIAL_USE_ROLES = ['inbox', 'drafts', 'sent', 'trash', 'junk', 'archive'] as const;
const NAME_MAX = 255;
const DEPTH_MAX = 32;

export interface Mailbox {
  readonly id: number;
  readonly path: string;
  readonly collection: Collection;
  readonly space: Space;
  /** the role in the account's own space (inbox, sent, ...), else null */
  readonly role: string | null;
  readonly rights: readonly Right[];
  readonly subscribed: boolean;
  /** the path of the space's root ('' for the account's own space): the quota root */
  readonly root: string;
}

const subscriptionKey = (accountId: number): string => `subscribed:${accountId}`;

/** Splits and checks a mailbox path: no empty level, no control characters, bounded. */
export function splitPath(path: string): string[] {
  const parts = path.split(DELIMITER);
  if (parts.length > DEPTH_MAX) throw new InvalidInput('mailbox', `a mailbox path has at most ${DEPTH_MAX} levels`);
  for (const p of parts) {
    if (p === '') throw new InvalidInput('mailbox', `${JSON.stringify(path)} has an empty level`);
    if ([...p].length > NAME_MAX) throw new InvalidInput('mailbox', `a mailbox name has at most ${NAME_MAX} characters`);
    if (/[\u0000-\u001f\u007f]/.test(p)) throw new InvalidInput('mailbox', 'a mailbox name cannot contain control characters');
  }
  if (parts[0]!.toUpperCase() === 'INBOX') parts[0] = 'INBOX';
  return parts;
}

interface SpaceInfo {
  readonly space: Space;
  /** '' for the account's own space, else the root path */
  readonly root: string;
}

export class Mailboxes {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  /** Every mailbox the account may read or deposit into, in path order. */
  async list(accountId: number): Promise<Mailbox[]> {
    const [principal, account, reachable] = await Promise.all([
      loadPrincipal(this.store, accountId), this.store.getAccount(accountId), this.store.listReachableCollections(accountId, 'mail'),
    ]);
    if (!account) throw new NotFound(`account ${accountId} does not exist`);
    const spaces = new Map<number, SpaceInfo>();
    for (const r of reachable) {
      if (!spaces.has(r.space.id)) spaces.set(r.space.id, { space: r.space, root: await this.rootOf(r.space, principal) });
    }
    if (!spaces.has(account.spaceId)) spaces.set(account.spaceId, { space: { id: account.spaceId, owner: { kind: 'account', accountId } }, root: '' });
    const out: Mailbox[] = [];
    for (const info of spaces.values()) {
      const collections = await this.store.listCollections(info.space.id, 'mail');
      const byId = new Map(collections.map((c) => [c.id, c]));
      const grants = info.space.owner.kind === 'account' && info.space.owner.accountId === accountId
        ? []
        : await this.store.listGrants(collections.map((c) => c.id));
      for (const c of collections) {
        const mailbox = this.view(principal, info, c, byId, grants, accountId);
        if (mailbox) out.push(mailbox);
      }
    }
    return out.sort((a, b) => (a.path === 'INBOX' ? -1 : b.path === 'INBOX' ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The mailbox at a path, if the account may see it. */
  async find(accountId: number, path: string): Promise<Mailbox> {
    const parts = splitPath(path);
    const wanted = parts.join(DELIMITER);
    const found = (await this.list(accountId)).find((m) => m.path === wanted);
    if (!found) throw new NotFound(`there is no mailbox ${wanted}`);
    return found;
  }

  /** The mailbox of a collection, with the rights the account holds on it now; NotFound when it may not see it. */
  async byId(accountId: number, collectionId: number): Promise<Mailbox> {
    const c = await this.store.getCollection(collectionId);
    if (!c || c.tool !== 'mail') throw new NotFound('the mailbox does not exist any more');
    const [principal, space, path] = await Promise.all([
      loadPrincipal(this.store, accountId), this.store.getSpace(c.spaceId), this.store.getCollectionPath(c.id),
    ]);
    if (!space) throw new NotFound('the mailbox does not exist any more');
    const info: SpaceInfo = { space, root: await this.rootOf(space, principal) };
    const grants = await this.store.listGrants(path.map((p) => p.id));
    const mailbox = this.view(principal, info, c, new Map(path.map((p) => [p.id, p])), grants, accountId);
    if (!mailbox) throw new NotFound('the mailbox is not shared with this account any more');
    return mailbox;
  }

  /** The mailbox, if the account holds the right on it now; Forbidden says why not. */
  async require(accountId: number, collectionId: number, right: Right): Promise<Mailbox> {
    const m = await this.byId(accountId, collectionId);
    if (!holds(m.rights, right)) throw new Forbidden(`no ${right} right on ${m.path}`);
    return m;
  }

  private view(
    principal: Principal, info: SpaceInfo, c: Collection, byId: ReadonlyMap<number, Collection>, grants: readonly Grant[], accountId: number,
  ): Mailbox | null {
    const chain: Collection[] = [];
    for (let cur: Collection | undefined = c; cur && chain.length <= DEPTH_MAX; cur = cur.parentId === null ? undefined : byId.get(cur.parentId)) {
      chain.unshift(cur);
    }
    const ids = new Set(chain.map((x) => x.id));
    const resource: Resource = {
      kind: 'collection',
      space: spaceRef(info.space),
      collection: { id: c.id, tool: c.tool, role: c.role },
      grants: grants.filter((g) => g.itemId === null && ids.has(g.collectionId)).map((g) => ({ groupId: g.groupId, rights: g.rights })),
    };
    const rights = rightsOn(principal, resource);
    if (!holds(rights, 'read') && !holds(rights, 'deposit')) return null;
    const own = info.root === '';
    const names = chain.map((x) => x.name);
    const subscribed = c.props[subscriptionKey(accountId)];
    return {
      id: c.id,
      path: own ? names.join(DELIMITER) : `${info.root}${DELIMITER}${names.join(DELIMITER)}`,
      collection: c,
      space: info.space,
      role: own ? c.role : null,
      rights,
      subscribed: subscribed === undefined ? true : subscribed === '1',
      root: info.root,
    };
  }

  private async rootOf(space: Space, principal: Principal): Promise<string> {
    if (space.owner.kind === 'group') {
      const g = await this.store.getGroup(space.owner.groupId);
      const name = g?.name ?? `group ${space.owner.groupId}`;
      return principal.groups.has(space.owner.groupId)
        ? `${GROUPS_ROOT}${DELIMITER}${name}`
        : `${SHARED_ROOT}${DELIMITER}${name} (group)`;
    }
    if (space.owner.accountId === principal.accountId) return '';
    const a = await this.store.getAccount(space.owner.accountId);
    return `${SHARED_ROOT}${DELIMITER}${a?.address ?? `account ${space.owner.accountId}`}`;
  }

  /**
   * Where a new path goes: the space, and the names of its levels inside it.
   * Creation is allowed in the account's own space and in group spaces where
   * it holds `write`; never in another account's space.
   */
  private async placeOf(accountId: number, parts: readonly string[]): Promise<{ spaceId: number; names: string[]; root: string }> {
    const account = await this.store.getAccount(accountId);
    if (!account) throw new NotFound(`account ${accountId} does not exist`);
    const top = parts[0]!;
    if (top.toLowerCase() === SHARED_ROOT.toLowerCase()) {
      throw new Forbidden(`mailboxes cannot be made or renamed under ${SHARED_ROOT}: they belong to the accounts that share them`);
    }
    if (top.toLowerCase() === GROUPS_ROOT.toLowerCase()) {
      if (parts.length < 3) throw new Forbidden(`${GROUPS_ROOT} holds one folder per group, made with the group`);
      const group = await this.store.getGroupByName(parts[1]!);
      if (!group) throw new NotFound(`there is no group ${parts[1]}`);
      const principal = await loadPrincipal(this.store, accountId);
      const decision = authorize(principal, 'write', { kind: 'space', space: { kind: 'group', groupId: group.id } });
      if (!decision.allow) throw new Forbidden(decision.reason);
      return { spaceId: group.spaceId, names: parts.slice(2), root: `${GROUPS_ROOT}${DELIMITER}${group.name}` };
    }
    return { spaceId: account.spaceId, names: [...parts], root: '' };
  }

  /** Finds or makes the parent levels of `names` in the space; returns the parent's id (null at the top). */
  private async parents(spaceId: number, names: readonly string[], create: boolean): Promise<number | null> {
    let parentId: number | null = null;
    for (const name of names.slice(0, -1)) {
      let c = await this.store.findCollection(spaceId, 'mail', parentId, name);
      if (!c && create) {
        try {
          c = await this.store.createCollection({ spaceId, tool: 'mail', name, parentId });
        } catch (err) {
          // made by someone else at the same moment
          if (!(err instanceof Conflict)) throw err;
          c = await this.store.findCollection(spaceId, 'mail', parentId, name);
        }
      }
      if (!c) throw new NotFound(`there is no mailbox ${names.slice(0, names.indexOf(name) + 1).join(DELIMITER)}`);
      parentId = c.id;
    }
    return parentId;
  }

  /** Makes a mailbox (and its missing parents); Conflict when it exists. */
  async create(accountId: number, path: string): Promise<Mailbox> {
    const parts = splitPath(path);
    if (parts[0] === 'INBOX' && parts.length === 1) throw new Conflict('INBOX exists');
    const place = await this.placeOf(accountId, parts);
    const parentId = await this.parents(place.spaceId, place.names, true);
    const name = place.names[place.names.length - 1]!;
    if (await this.store.findCollection(place.spaceId, 'mail', parentId, name)) throw new Conflict(`the mailbox ${parts.join(DELIMITER)} exists`);
    const c = await this.store.createCollection({ spaceId: place.spaceId, tool: 'mail', name, parentId });
    return this.byId(accountId, c.id);
  }

  /** Renames a mailbox, its children with it, within its space. */
  async rename(accountId: number, from: string, to: string): Promise<Mailbox> {
    const source = await this.find(accountId, from);
    if (source.role === 'inbox') throw new Conflict('INBOX cannot be renamed');
    if (!holds(source.rights, 'delete') || !holds(source.rights, 'write')) throw new Forbidden(`renaming ${source.path} needs the write and delete rights on it`);
    const parts = splitPath(to);
    const place = await this.placeOf(accountId, parts);
    if (place.spaceId !== source.space.id) throw new Forbidden('a mailbox can only be renamed within its own space');
    const parentId = await this.parents(place.spaceId, place.names, true);
    const name = place.names[place.names.length - 1]!;
    const existing = await this.store.findCollection(place.spaceId, 'mail', parentId, name);
    if (existing) throw new Conflict(`the mailbox ${parts.join(DELIMITER)} exists`);
    await this.store.updateCollection(source.id, { name, parentId });
    return this.byId(accountId, source.id);
  }

  /** Deletes a mailbox and its messages; refused for special-use mailboxes and for mailboxes with children. */
  async remove(accountId: number, path: string): Promise<void> {
    const m = await this.find(accountId, path);
    if (m.role && (SPECIAL_USE_ROLES as readonly string[]).includes(m.role)) {
      throw new Conflict(`${m.path} is a special-use mailbox (${m.role}) and cannot be deleted`);
    }
    if (!holds(m.rights, 'delete')) throw new Forbidden(`deleting ${m.path} needs the delete right on it`);
    if ((await this.store.listCollections(m.space.id, 'mail', m.id)).length > 0) {
      throw new Conflict(`${m.path} has mailboxes inside it; delete them first`);
    }
    await this.store.deleteCollection(m.id);
  }

  /**
   * Who has which rights on a mailbox, for those who may share it: its owner
   * (or the group's administrator) with every right, the group's members, and
   * each group it is shared with (on it or on a parent). Identifiers are
   * addresses for accounts and `$NAME` for groups.
   */
  async access(accountId: number, path: string): Promise<{ mailbox: Mailbox; entries: { identifier: string; rights: readonly Right[] }[] }> {
    const m = await this.find(accountId, path);
    if (!holds(m.rights, 'share')) throw new Forbidden(`seeing who may use ${m.path} needs the share right on it`);
    const all: readonly Right[] = ['read', 'write', 'delete', 'deposit', 'share', 'admin'];
    const entries: { identifier: string; rights: readonly Right[] }[] = [];
    if (m.space.owner.kind === 'account') {
      const owner = await this.store.getAccount(m.space.owner.accountId);
      entries.push({ identifier: owner?.address ?? `account ${m.space.owner.accountId}`, rights: all });
    } else {
      const group = await this.store.getGroup(m.space.owner.groupId);
      const admin = group ? await this.store.getAccount(group.adminId) : null;
      if (admin) entries.push({ identifier: admin.address, rights: all });
      if (group) entries.push({ identifier: `$${group.name}`, rights: ['read', ...group.memberRights] });
    }
    const path_ = await this.store.getCollectionPath(m.id);
    const byGroup = new Map<number, Set<Right>>();
    for (const g of await this.store.listGrants(path_.map((c) => c.id))) {
      const set = byGroup.get(g.groupId) ?? new Set<Right>();
      for (const r of g.rights) set.add(r);
      byGroup.set(g.groupId, set);
    }
    for (const [groupId, rights] of byGroup) {
      const group = await this.store.getGroup(groupId);
      if (group) entries.push({ identifier: `$${group.name}`, rights: [...rights] });
    }
    return { mailbox: m, entries };
  }

  /** Records whether the account subscribes to the mailbox (each account its own choice, on shared mailboxes too). */
  async subscribe(accountId: number, path: string, subscribed: boolean): Promise<void> {
    const m = await this.find(accountId, path);
    await this.store.updateCollection(m.id, { props: { [subscriptionKey(accountId)]: subscribed ? '1' : '0' } });
  }
}
