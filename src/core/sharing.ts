// Sharing a collection or one item with a group, with a set of rights. Only
// who holds `share` on it (its owner, or a group administrator for group
// data) may share, and only with a group they belong to. Withdrawal takes
// effect on the next request of every door, since access is loaded fresh.
import type { Grant, Right, Store } from '../store/types.ts';
import { authorize } from './acl.ts';
import { collectionResource, ensure, itemResource, loadPrincipal } from './access.ts';
import { Forbidden, InvalidInput, NotFound } from './errors.ts';
import { Mailboxes } from './mail/mailboxes.ts';
import { listShareableItems, type ItemPageRequest, type ShareableItemPage } from './share-items.ts';
import { listMyShares, listShareable, listSharedWithMe, type MyShare, type ShareableCollection, type SharedWithMe } from './share-listings.ts';

export const SHAREABLE: readonly Right[] = ['read', 'freebusy', 'write', 'delete', 'deposit'];

/** The presets the web site offers. */
export const SHARE_PRESETS: Readonly<Record<string, readonly Right[]>> = {
  read: ['read'],
  'read-write': ['read', 'write', 'delete'],
  freebusy: ['freebusy'],
  deposit: ['deposit'],
};

export interface ShareTarget {
  readonly collectionId: number;
  readonly itemId?: number | null;
}

export class Sharing {
  private readonly store: Store;
  /** to name shared mailboxes as the mail doors do */
  private readonly mailboxes: Mailboxes;
  constructor(store: Store) {
    this.store = store;
    this.mailboxes = new Mailboxes(store);
  }

  private async resource(target: ShareTarget) {
    if (target.itemId !== undefined && target.itemId !== null) {
      const item = await this.store.getItem(target.itemId);
      if (!item || item.collectionId !== target.collectionId) throw new NotFound(`item ${target.itemId} is not in collection ${target.collectionId}`);
      return itemResource(this.store, item);
    }
    const collection = await this.store.getCollection(target.collectionId);
    if (!collection) throw new NotFound(`collection ${target.collectionId} does not exist`);
    return collectionResource(this.store, collection);
  }

  async share(actorId: number, target: ShareTarget, groupId: number, rights: readonly Right[]): Promise<Grant> {
    if (rights.length === 0) throw new InvalidInput('rights', 'a share needs at least one right; withdraw it instead');
    for (const r of rights) {
      if (!SHAREABLE.includes(r)) throw new InvalidInput('rights', `${r} cannot be shared; allowed: ${SHAREABLE.join(', ')}`);
    }
    const principal = await loadPrincipal(this.store, actorId);
    ensure(authorize(principal, 'share', await this.resource(target)));
    if (!principal.groups.has(groupId)) throw new Forbidden('one can only share with a group one is a member of');
    return this.store.putGrant({ collectionId: target.collectionId, itemId: target.itemId ?? null, groupId, rights, grantedBy: actorId });
  }

  /** Only who may share the resource now (its owner, or the administrator of its group space) may withdraw a share of it. */
  async withdraw(actorId: number, grantId: number): Promise<void> {
    const grant = await this.store.getGrant(grantId);
    if (!grant) throw new NotFound(`share ${grantId} does not exist`);
    const principal = await loadPrincipal(this.store, actorId);
    ensure(authorize(principal, 'share', await this.resource({ collectionId: grant.collectionId, itemId: grant.itemId })));
    await this.store.deleteGrant(grantId);
  }

  /** Gives an existing share new rights (same thing, same group), under the same checks as sharing it. */
  async change(actorId: number, grantId: number, rights: readonly Right[]): Promise<Grant> {
    const grant = await this.store.getGrant(grantId);
    if (!grant) throw new NotFound(`share ${grantId} does not exist`);
    return this.share(actorId, { collectionId: grant.collectionId, itemId: grant.itemId }, grant.groupId, rights);
  }

  /** Everything shared from the spaces the account owns or administers, whoever gave it, with whether it may change each. */
  ownShares(actorId: number): Promise<MyShare[]> {
    return listMyShares(this.store, SHARE_PRESETS, actorId);
  }

  /** The collections the account may share: its own, and those of the groups it administers. */
  shareable(actorId: number): Promise<ShareableCollection[]> {
    return listShareable(this.store, actorId);
  }

  /** One page of the items of a collection the account may share (searched by summary, name or the start of a file name), to share one of them. */
  shareableItems(actorId: number, collectionId: number, request: ItemPageRequest = {}): Promise<ShareableItemPage> {
    return listShareableItems(this.store, SHARE_PRESETS, actorId, collectionId, request);
  }

  /** What others shared with the account's groups, and where the account finds it. */
  sharedWithMe(actorId: number): Promise<SharedWithMe[]> {
    return listSharedWithMe(this.store, this.mailboxes, SHARE_PRESETS, actorId);
  }

  /** Everything the account shares. */
  listMine(actorId: number): Promise<Grant[]> {
    return this.store.listGrantsBy(actorId);
  }
}
