// Loads what `authorize` decides on, fresh from the store for every request:
// the principal (account, its groups and co-members) and the resource (space,
// collection, item, with the grants bearing on it). Listing what an account
// reaches is one query for the collections, and one grants query per
// collection for its items, never one query per item.
import type { Collection, Grant, Item, ReachableCollection, Right, Space, Store, Tool } from '../store/types.ts';
import { authorize, type Decision, type GrantRef, type Principal, type Resource, type SpaceRef } from './acl.ts';
import { Forbidden, NotFound } from './errors.ts';

export async function loadPrincipal(store: Store, accountId: number): Promise<Principal> {
  const account = await store.getAccount(accountId);
  if (!account) throw new NotFound(`account ${accountId} does not exist`);
  const [groups, memberships, coMembers] = await Promise.all([
    store.listGroupsOf(accountId), store.listMembershipsOf(accountId), store.listCoMembers(accountId),
  ]);
  const own = new Map(memberships.map((m) => [m.groupId, m.rights]));
  return {
    accountId,
    active: account.status === 'active',
    groups: new Map(groups.map((g) => [g.id, {
      admin: g.adminId === accountId,
      rights: new Set<Right>([...g.memberRights, ...(own.get(g.id) ?? [])]),
    }])),
    coMembers: new Set(coMembers),
  };
}

export function spaceRef(space: Space): SpaceRef {
  return space.owner.kind === 'account'
    ? { kind: 'account', accountId: space.owner.accountId }
    : { kind: 'group', groupId: space.owner.groupId };
}

const grantRef = (g: Grant): GrantRef => ({ groupId: g.groupId, rights: g.rights });

export async function collectionResource(store: Store, collection: Collection): Promise<Extract<Resource, { kind: 'collection' }>> {
  const [space, path] = await Promise.all([store.getSpace(collection.spaceId), store.getCollectionPath(collection.id)]);
  if (!space) throw new NotFound(`space ${collection.spaceId} does not exist`);
  const grants = await store.listGrants(path.map((c) => c.id));
  return {
    kind: 'collection',
    space: spaceRef(space),
    collection: { id: collection.id, tool: collection.tool, role: collection.role },
    grants: grants.map(grantRef),
  };
}

export async function itemResource(store: Store, item: Item): Promise<Extract<Resource, { kind: 'item' }>> {
  const collection = await store.getCollection(item.collectionId);
  if (!collection) throw new NotFound(`collection ${item.collectionId} does not exist`);
  const [space, path] = await Promise.all([store.getSpace(collection.spaceId), store.getCollectionPath(collection.id)]);
  if (!space) throw new NotFound(`space ${collection.spaceId} does not exist`);
  const grants = await store.listGrants(path.map((c) => c.id), [item.id]);
  return {
    kind: 'item',
    space: spaceRef(space),
    collection: { id: collection.id, tool: collection.tool, role: collection.role },
    itemId: item.id,
    grants: grants.map(grantRef),
  };
}

/** Throws Forbidden with the reason when the decision is a denial. */
export function ensure(decision: Decision): void {
  if (!decision.allow) throw new Forbidden(decision.reason);
}

export class Access {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  principal(accountId: number): Promise<Principal> {
    return loadPrincipal(this.store, accountId);
  }

  async onCollection(accountId: number, right: Right, collectionId: number): Promise<Decision> {
    const collection = await this.store.getCollection(collectionId);
    if (!collection) throw new NotFound(`collection ${collectionId} does not exist`);
    const [p, r] = await Promise.all([this.principal(accountId), collectionResource(this.store, collection)]);
    return authorize(p, right, r);
  }

  async onItem(accountId: number, right: Right, itemId: number): Promise<Decision> {
    const item = await this.store.getItem(itemId);
    if (!item) throw new NotFound(`item ${itemId} does not exist`);
    const [p, r] = await Promise.all([this.principal(accountId), itemResource(this.store, item)]);
    return authorize(p, right, r);
  }

  /**
   * Every collection of the tool the account reaches, with the rights it holds
   * on each as a whole. A collection reached only through shared items comes
   * with `items`: the ids of the items it may read.
   */
  async reachable(accountId: number, tool: Tool): Promise<{ entry: ReachableCollection; rights: Right[]; items: number[] | null }[]> {
    const [p, entries] = await Promise.all([this.principal(accountId), this.store.listReachableCollections(accountId, tool)]);
    const out: { entry: ReachableCollection; rights: Right[]; items: number[] | null }[] = [];
    for (const entry of entries) {
      const r: Resource = {
        kind: 'collection',
        space: spaceRef(entry.space),
        collection: { id: entry.collection.id, tool, role: entry.collection.role },
        grants: entry.grants.filter((g) => g.itemId === null).map(grantRef),
      };
      const rights = (['read', 'freebusy', 'write', 'delete', 'deposit', 'share', 'admin'] as const)
        .filter((right) => authorize(p, right, r).allow);
      const itemGrants = entry.grants.filter((g) => g.itemId !== null && p.groups.has(g.groupId) && g.rights.includes('read'));
      const items = rights.includes('read') ? null : [...new Set(itemGrants.map((g) => g.itemId as number))];
      if (rights.length > 0 || (items !== null && items.length > 0)) out.push({ entry, rights, items });
    }
    return out;
  }

  /** The items of one collection the account may read: one grants query for the whole list. */
  async readableItems(accountId: number, collection: Collection, items: readonly Item[]): Promise<Item[]> {
    const [p, base] = await Promise.all([this.principal(accountId), collectionResource(this.store, collection)]);
    if (authorize(p, 'read', base).allow) return [...items];
    const grants = await this.store.listGrants([], items.map((i) => i.id));
    const byItem = new Map<number, GrantRef[]>();
    for (const g of grants) byItem.set(g.itemId as number, [...(byItem.get(g.itemId as number) ?? []), grantRef(g)]);
    return items.filter((i) => authorize(p, 'read', {
      kind: 'item', space: base.space, collection: base.collection, itemId: i.id, grants: [...base.grants, ...(byItem.get(i.id) ?? [])],
    }).allow);
  }
}
