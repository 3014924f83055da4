// The member directory of each group: a contacts collection of the group
// space (role 'directory') holding one generated vCard 4.0 per member, named
// `member-ACCOUNTID.vcf`. Core keeps it in step (core/groups.ts when members
// come and go, core/accounts.ts when a profile changes or an account is
// destroyed), through store.putItem/deleteItem, so the change log gives
// sync tokens and tombstones like any address book. core/acl makes it
// read-only for everyone; its cards count against no quota. A group made
// before directories were stored gets its own on first access.
import type { Account, Collection, Store } from '../../store/types.ts';
import { NotFound as StoreNotFound, PreconditionFailed as StorePreconditionFailed } from '../../store/errors.ts';
import { cardIndex, directoryCardText, directoryUid, VCARD_CONTENT_TYPE } from './contacts.ts';
import { DIRECTORY_COLLECTION, DIRECTORY_ROLE } from '../defaults.ts';
import { parseVCardText } from './vcard.ts';


/** The resource name of an account's card, stable per account. */
export const directoryCardName = (accountId: number): string => `member-${accountId}.vcf`;

export class MemberDirectory {
  private readonly store: Store;
  /** makes directory UIDs differ between installations */
  private readonly installation: string;

  constructor(store: Store, installation: string) {
    this.store = store;
    this.installation = installation;
  }

  /** The group's directory collection, made (and filled) now if the group has none yet; null if the group does not exist. */
  async collection(groupId: number): Promise<Collection | null> {
    const group = await this.store.getGroup(groupId);
    if (!group) return null;
    const found = await this.store.findCollectionByRole(group.spaceId, 'contacts', DIRECTORY_ROLE);
    if (found) return found;
    let made: Collection;
    try {
      made = await this.store.createCollection({ spaceId: group.spaceId, ...DIRECTORY_COLLECTION });
    } catch (err) {
      // made at the same moment by another request
      const again = await this.store.findCollectionByRole(group.spaceId, 'contacts', DIRECTORY_ROLE);
      if (again) return again;
      throw err;
    }
    for (const m of await this.store.listMembers(groupId)) {
      const account = await this.store.getAccount(m.accountId);
      if (account) await this.putCard(made, account);
    }
    return (await this.store.getCollection(made.id)) ?? made;
  }

  /** Writes the account's card into the directory unless it holds it already, byte for byte. */
  private async putCard(collection: Collection, account: Account): Promise<void> {
    const name = directoryCardName(account.id);
    const uid = directoryUid(this.installation, account.id);
    // the profile photo is kept apart from the account row: it joins the card here
    const photo = await this.store.getAccountPhoto(account.id);
    const shown = photo ? { ...account, profile: { ...account.profile, photo: `data:${photo.contentType};base64,${Buffer.from(photo.content).toString('base64')}` } } : account;
    const text = directoryCardText(shown, uid);
    const content = new TextEncoder().encode(text);
    const existing = await this.store.getItemByName(collection.id, name);
    if (existing && Buffer.from(await this.store.readItemContent(existing)).equals(content)) return;
    try {
      await this.store.putItem({
        collectionId: collection.id,
        name,
        content,
        size: content.byteLength,
        contentType: VCARD_CONTENT_TYPE,
        meta: { uid, version: '4.0', kind: 'individual', accountId: account.id },
        quotaLimit: null,
        ...(existing ? { ifMatch: existing.etag } : { ifNoneMatch: true }),
        index: cardIndex(parseVCardText(text)),
      });
    } catch (err) {
      // another request wrote the card at the same moment, from the same profile
      if (!(err instanceof StorePreconditionFailed)) throw err;
    }
  }

  /** A member joined (or the group was made): their card goes in. */
  async addMember(groupId: number, accountId: number): Promise<void> {
    const [c, account] = await Promise.all([this.collection(groupId), this.store.getAccount(accountId)]);
    if (c && account) await this.putCard(c, account);
  }

  /** A member left or was removed: their card goes (a tombstone in the change log). */
  async removeMember(groupId: number, accountId: number): Promise<void> {
    const c = await this.collection(groupId);
    if (!c) return;
    const item = await this.store.getItemByName(c.id, directoryCardName(accountId));
    if (!item) return;
    try {
      await this.store.deleteItem(item.id);
    } catch (err) {
      // deleted at the same moment by another request
      if (!(err instanceof StoreNotFound)) throw err;
    }
  }

  /** The account's name or profile changed: its card in every group it is in follows. */
  async refresh(accountId: number): Promise<void> {
    const account = await this.store.getAccount(accountId);
    if (!account) return;
    for (const g of await this.store.listGroupsOf(accountId)) {
      const c = await this.collection(g.id);
      if (c) await this.putCard(c, account);
    }
  }

  /** The account is about to be destroyed: its cards go from every directory. */
  async forget(accountId: number): Promise<void> {
    for (const g of await this.store.listGroupsOf(accountId)) await this.removeMember(g.id, accountId);
  }
}
