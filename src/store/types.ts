// The store interface: everything the core needs to keep, and nothing about
// who asked. Two backends implement it (SQLite, PostgreSQL) through one SQL
// implementation; one conformance suite (test/store/conformance.ts) proves both.

export type Tool = 'mail' | 'calendar' | 'contacts' | 'files';
export const TOOLS: readonly Tool[] = ['mail', 'calendar', 'contacts', 'files'];

/** What a quota is counted in: mail, or documents (files, calendar and contact objects). */
export type QuotaBucket = 'mail' | 'files';
export function bucketOf(tool: Tool): QuotaBucket {
  return tool === 'mail' ? 'mail' : 'files';
}

export type Right = 'read' | 'freebusy' | 'write' | 'delete' | 'deposit' | 'share' | 'admin';
export const RIGHTS: readonly Right[] = ['read', 'freebusy', 'write', 'delete', 'deposit', 'share', 'admin'];

export type AccountStatus = 'active' | 'pending' | 'disabled';

export interface Profile {
  readonly firstName: string;
  readonly lastName: string;
  readonly organisation: string;
  /** a data: URI of a small picture, or '' */
  readonly photo: string;
}

export interface Account {
  readonly id: number;
  /** lower-case e-mail address, the login name */
  readonly address: string;
  /** display name */
  readonly name: string;
  readonly passwordHash: string;
  readonly plan: string;
  readonly status: AccountStatus;
  readonly profile: Profile;
  readonly idleTimeoutMinutes: number;
  readonly createdAt: number;
  readonly lastActivityAt: number | null;
  /** the account's personal space */
  readonly spaceId: number;
}

export interface NewAccount {
  readonly address: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly plan: string;
  readonly status: AccountStatus;
  readonly profile?: Partial<Profile>;
  /** collections made in the new personal space in the same transaction */
  readonly collections: readonly NewCollectionInSpace[];
}

export interface AccountPatch {
  readonly name?: string;
  readonly passwordHash?: string;
  readonly plan?: string;
  readonly status?: AccountStatus;
  readonly profile?: Partial<Profile>;
  readonly idleTimeoutMinutes?: number;
}

export interface Session {
  /** hash of the token the client holds; the token itself is never stored */
  readonly id: string;
  readonly accountId: number;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly userAgent: string;
  readonly clientAddress: string;
}

export interface Plan {
  readonly name: string;
  readonly mailBytes: number;
  readonly filesBytes: number;
  readonly maxGroups: number;
  readonly maxGroupMembers: number;
  readonly features: readonly string[];
  readonly paid: boolean;
}

export interface Domain {
  readonly name: string;
  readonly ownerId: number | null;
  readonly createdAt: number;
}

export interface Group {
  readonly id: number;
  readonly name: string;
  readonly adminId: number;
  /** rights every member has beyond `read` (granted with --all) */
  readonly memberRights: readonly Right[];
  readonly createdAt: number;
  readonly spaceId: number;
}

export interface Membership {
  readonly groupId: number;
  readonly accountId: number;
  /** rights this member has beyond `read`, granted to them by name */
  readonly rights: readonly Right[];
  readonly joinedAt: number;
}

export type SpaceOwner = { readonly kind: 'account'; readonly accountId: number } | { readonly kind: 'group'; readonly groupId: number };

export interface Space {
  readonly id: number;
  readonly owner: SpaceOwner;
}

export type CollectionProps = Readonly<Record<string, string>>;

export interface NewCollectionInSpace {
  readonly tool: Tool;
  readonly name: string;
  /** e.g. 'inbox', 'sent', 'default', 'dropbox'; unique per space and tool when set */
  readonly role?: string | null;
  readonly props?: CollectionProps;
  /** whether its items count against the space's quota; default true (a group's member directory: false) */
  readonly counted?: boolean;
}

export interface NewCollection extends NewCollectionInSpace {
  readonly spaceId: number;
  readonly parentId?: number | null;
}

export interface Collection {
  readonly id: number;
  readonly spaceId: number;
  readonly tool: Tool;
  readonly parentId: number | null;
  readonly name: string;
  readonly role: string | null;
  readonly props: CollectionProps;
  /** whether its items count against the space's quota */
  readonly counted: boolean;
  /** IMAP UIDVALIDITY; fixed at creation */
  readonly uidValidity: number;
  /** next item uid to be given */
  readonly uidNext: number;
  /** highest change number: the IMAP HIGHESTMODSEQ and the DAV sync token */
  readonly modseq: number;
  readonly createdAt: number;
}

export interface CollectionPatch {
  readonly name?: string;
  readonly parentId?: number | null;
  /** merged into the props; a value of null removes the key */
  readonly props?: Readonly<Record<string, string | null>>;
}

export type ItemMeta = Readonly<Record<string, unknown>>;

export interface Item {
  readonly id: number;
  readonly collectionId: number;
  /** per collection, increasing, never reused (IMAP UID) */
  readonly uid: number;
  /** per collection unique name (DAV resource name, file name); null for mail */
  readonly name: string | null;
  /** where the bytes are: a blob id, or inline content */
  readonly blobId: string | null;
  readonly size: number;
  readonly etag: string;
  readonly contentType: string;
  readonly meta: ItemMeta;
  readonly modseq: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * What an item can be searched by (Store.searchItems), written in the same
 * transaction as the item. Values are matched exactly as given: a caller that
 * wants case-insensitive search stores and asks in lower case.
 */
export interface ItemIndex {
  /** text values per field name, e.g. { subject: ['hello'], text: ['…'], 'ical-uid': ['abc@example.org'] } */
  readonly fields?: Readonly<Record<string, readonly string[]>>;
  /** half-open time ranges [start, end) in ms since the epoch, by kind; index an instant t as [t, t + 1) */
  readonly ranges?: readonly { readonly kind: string; readonly start: number; readonly end: number }[];
}

/** A search over one collection's items, answered from the item index and the item rows. */
export type ItemQuery =
  | { readonly all: true }
  | { readonly field: string; readonly equals: string }
  /** a case-sensitive substring of any value of the field */
  | { readonly field: string; readonly contains: string }
  /** any range of the kind overlaps [start, end) */
  | { readonly range: string; readonly overlaps: { readonly start: number; readonly end: number } }
  | { readonly size: { readonly min?: number; readonly max?: number } }
  /** inclusive uid intervals */
  | { readonly uids: readonly (readonly [number, number])[] }
  | { readonly modseqAbove: number }
  /** items whose name begins with this text, exactly (case-sensitive; mail has no names) */
  | { readonly namePrefix: string }
  | { readonly and: readonly ItemQuery[] }
  | { readonly or: readonly ItemQuery[] }
  | { readonly not: ItemQuery };

export interface PutItem {
  readonly collectionId: number;
  /** when set and an item has that name, it is replaced (same uid, new etag) */
  readonly name?: string | null;
  /** inline bytes (small objects); exactly one of content and blobId */
  readonly content?: Uint8Array | null;
  /** a blob written with BlobStore.write; the store takes ownership of it on success */
  readonly blobId?: string | null;
  readonly size: number;
  readonly contentType: string;
  readonly meta?: ItemMeta;
  /** the quota of the collection's bucket, in bytes; null for no limit */
  readonly quotaLimit: number | null;
  /** replace only if the current item has this etag (If-Match) */
  readonly ifMatch?: string;
  /** create only (If-None-Match: *) */
  readonly ifNoneMatch?: boolean;
  /** what the item can be searched by; a replaced item's index is replaced */
  readonly index?: ItemIndex;
}

export interface CopyItem {
  readonly itemId: number;
  readonly toCollectionId: number;
  /** name in the target collection (files, DAV); null for mail */
  readonly name?: string | null;
  /** replace an item of that name in the target */
  readonly overwrite?: boolean;
  readonly quotaLimit: number | null;
}

export type ChangeOp = 'put' | 'delete';

export interface Change {
  readonly modseq: number;
  readonly uid: number;
  readonly name: string | null;
  readonly op: ChangeOp;
}

export interface Changes {
  /** the collection's modseq now */
  readonly modseq: number;
  /** changes after the asked modseq, one per item (the latest), oldest first */
  readonly changes: readonly Change[];
}

/** Announced after a change commits, to this process and (PostgreSQL) every other. */
export interface ChangeEvent {
  readonly collectionId: number;
  readonly modseq: number;
}

export interface Grant {
  readonly id: number;
  readonly collectionId: number;
  /** null: the grant is on the whole collection */
  readonly itemId: number | null;
  readonly groupId: number;
  readonly rights: readonly Right[];
  readonly grantedBy: number;
  readonly createdAt: number;
}

export interface NewGrant {
  readonly collectionId: number;
  readonly itemId?: number | null;
  readonly groupId: number;
  readonly rights: readonly Right[];
  readonly grantedBy: number;
}

/** A collection that an account reaches, and the reason it does. */
export interface ReachableCollection {
  readonly collection: Collection;
  readonly space: Space;
  /** grants on the collection and on its items to groups the account is in */
  readonly grants: readonly Grant[];
}

export interface Usage {
  readonly spaceId: number;
  readonly bucket: QuotaBucket;
  readonly usedBytes: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly blobs: BlobStore;
  close(): Promise<void>;

  // accounts
  createAccount(input: NewAccount): Promise<Account>;
  getAccount(id: number): Promise<Account | null>;
  getAccountByAddress(address: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  updateAccount(id: number, patch: AccountPatch): Promise<Account>;
  /** records a login or use by any door */
  touchAccount(id: number, at: number): Promise<void>;
  /** removes the account, its personal space, memberships, sessions and blobs */
  deleteAccount(id: number): Promise<void>;

  // sessions
  createSession(session: Session): Promise<void>;
  getSession(id: string): Promise<Session | null>;
  touchSession(id: string, at: number): Promise<void>;
  listSessions(accountId: number): Promise<Session[]>;
  deleteSession(id: string): Promise<void>;
  /** deletes every session of the account but `exceptId` */
  deleteSessions(accountId: number, exceptId?: string): Promise<number>;

  // plans
  putPlan(plan: Plan): Promise<void>;
  getPlan(name: string): Promise<Plan | null>;
  listPlans(): Promise<Plan[]>;

  // domains
  createDomain(name: string, ownerId: number | null): Promise<Domain>;
  getDomain(name: string): Promise<Domain | null>;
  listDomains(): Promise<Domain[]>;
  deleteDomain(name: string): Promise<void>;

  // groups and memberships
  /** creates the group, its space and collections, and the admin's membership; refuses over `maxGroups` groups administered by the admin */
  createGroup(input: { name: string; adminId: number; maxGroups: number; collections: readonly NewCollectionInSpace[] }): Promise<Group>;
  getGroup(id: number): Promise<Group | null>;
  getGroupByName(name: string): Promise<Group | null>;
  listGroups(): Promise<Group[]>;
  /** groups the account is a member of (administered ones included) */
  listGroupsOf(accountId: number): Promise<Group[]>;
  /** deletes the group, its space, collections, grants and blobs */
  deleteGroup(id: number): Promise<void>;
  /** refuses over `maxMembers` members (the admin counts) */
  addMember(groupId: number, accountId: number, maxMembers: number): Promise<Membership>;
  /** removes the member and every grant it gave to the group; refuses the admin */
  removeMember(groupId: number, accountId: number): Promise<void>;
  getMembership(groupId: number, accountId: number): Promise<Membership | null>;
  listMembers(groupId: number): Promise<Membership[]>;
  listMembershipsOf(accountId: number): Promise<Membership[]>;
  setMemberRights(groupId: number, accountId: number, rights: readonly Right[]): Promise<void>;
  setGroupMemberRights(groupId: number, rights: readonly Right[]): Promise<void>;
  /** the new admin must be a member; refuses over the new admin's `maxGroups` */
  setGroupAdmin(groupId: number, accountId: number, maxGroups: number): Promise<Group>;
  /** accounts sharing at least one group with the account, itself excluded */
  listCoMembers(accountId: number): Promise<number[]>;

  // spaces and collections
  getSpace(id: number): Promise<Space | null>;
  createCollection(input: NewCollection): Promise<Collection>;
  getCollection(id: number): Promise<Collection | null>;
  findCollection(spaceId: number, tool: Tool, parentId: number | null, name: string): Promise<Collection | null>;
  findCollectionByRole(spaceId: number, tool: Tool, role: string): Promise<Collection | null>;
  listCollections(spaceId: number, tool?: Tool, parentId?: number | null): Promise<Collection[]>;
  /** the collection and its ancestors, the root first */
  getCollectionPath(id: number): Promise<Collection[]>;
  /** ids of the collection and every collection below it */
  listSubtree(id: number): Promise<number[]>;
  updateCollection(id: number, patch: CollectionPatch): Promise<Collection>;
  /** deletes the collection with its children, items and grants; frees their quota and blobs */
  deleteCollection(id: number): Promise<void>;

  // items (each write bumps the collection's modseq, logs the change and moves quota in one transaction)
  putItem(input: PutItem): Promise<Item>;
  getItem(id: number): Promise<Item | null>;
  getItemByUid(collectionId: number, uid: number): Promise<Item | null>;
  getItemByName(collectionId: number, name: string): Promise<Item | null>;
  /** items in uid order, from `afterUid` (exclusive), at most `limit` */
  listItems(collectionId: number, options?: { afterUid?: number; limit?: number }): Promise<Item[]>;
  readItemContent(item: Item): Promise<Uint8Array>;
  /** the items of the collection with those uids, in uid order (uids that do not exist are left out) */
  getItemsByUids(collectionId: number, uids: readonly number[]): Promise<Item[]>;
  /** the items of the collection with those names, in uid order (names that do not exist are left out) */
  getItemsByNames(collectionId: number, names: readonly string[]): Promise<Item[]>;
  /** the bytes of many items, by item id, inline ones read a few hundred per query; NotFound if one is gone */
  readItemContents(items: readonly Item[]): Promise<Map<number, Uint8Array>>;
  /** new meta (e.g. IMAP flags); `index` replaces the fields it names, and all ranges when it has some */
  updateItemMeta(id: number, meta: ItemMeta, index?: ItemIndex): Promise<Item>;
  /** uids of the collection's items that match, ascending */
  searchItems(collectionId: number, query: ItemQuery): Promise<number[]>;
  /** the index of an item, as written */
  getItemIndex(id: number): Promise<ItemIndex>;
  deleteItem(id: number): Promise<void>;
  copyItem(input: CopyItem): Promise<Item>;
  /** copy then delete the source, in one transaction */
  moveItem(input: CopyItem): Promise<Item>;
  changesSince(collectionId: number, modseq: number): Promise<Changes>;
  onChange(listener: (event: ChangeEvent) => void): () => void;
  /**
   * After a commit that changed an account's password or status, or removed
   * the account (heard by every process on PostgreSQL): sessions logged in as
   * it must check it again. null: another process wrote to the database
   * without saying what (SQLite: the `bureau` command beside the server), so
   * every account with open sessions is to be checked.
   */
  onAccountChange(listener: (accountId: number | null) => void): () => void;

  // grants
  putGrant(grant: NewGrant): Promise<Grant>;
  deleteGrant(id: number): Promise<void>;
  getGrant(id: number): Promise<Grant | null>;
  /** grants on those collections as wholes, and (when itemIds is given) on those items */
  listGrants(collectionIds: readonly number[], itemIds?: readonly number[]): Promise<Grant[]>;
  /** grants on single items of the collection (one query for a whole listing) */
  listItemGrants(collectionId: number): Promise<Grant[]>;
  /** every grant given by the account (what I share) */
  listGrantsBy(accountId: number): Promise<Grant[]>;
  /** grants on the collections of those spaces and on their items, whoever gave them (what the spaces' owners share) */
  listGrantsInSpaces(spaceIds: readonly number[]): Promise<Grant[]>;

  // what an account reaches: one query
  /** collections of the tool in spaces the account reaches: its own, its groups', co-members' (for drop boxes and free/busy) and those shared with its groups (on the collection or on an item) */
  listReachableCollections(accountId: number, tool: Tool): Promise<ReachableCollection[]>;

  // quota
  getUsage(spaceId: number, bucket: QuotaBucket): Promise<number>;
  /** bytes per tool in the space, counted from the items of its counted collections */
  usageByTool(spaceId: number): Promise<Record<Tool, number>>;

  /** removes blob files no item references, written more than `olderThanMs` ago */
  collectGarbage(olderThanMs?: number): Promise<{ removed: number }>;

  // ----- dav
  createLock(lock: DavLock): Promise<void>;
  getLock(token: string): Promise<DavLock | null>;
  /** live locks anchored on any of the collections (expired ones are removed first) */
  listLocks(anchorIds: readonly number[]): Promise<DavLock[]>;
  refreshLock(token: string, timeoutSeconds: number, expiresAt: number): Promise<DavLock>;
  deleteLock(token: string): Promise<void>;
  /** removes the locks on one name in a collection (the resource there was deleted or moved away) */
  deleteLocksAt(anchorId: number, name: string): Promise<void>;
  countLocksOf(accountId: number): Promise<number>;

  // ----- mail
  // Writes on many items of one collection in one transaction (an IMAP STORE,
  // COPY, MOVE or EXPUNGE over a whole mailbox); each changed item takes its
  // own modseq and change-log entry, as with the single-item writes.
  /**
   * Changes the meta of those items under the collection's lock: `change`
   * sees each item as it is then and returns its new meta (and an index
   * patch, as updateItemMeta takes), or null to leave it. Returns the changed
   * items; uids that do not exist are skipped.
   */
  updateItemsMeta(collectionId: number, uids: readonly number[], change: (item: Item) => MetaChange | null): Promise<Item[]>;
  /** Copies (or moves) items of one collection into another; the quota is checked once for all of them. Items with names are not for this. */
  copyItems(input: CopyItems): Promise<CopiedItem[]>;
  /** Deletes those items; returns them (uids that do not exist are skipped). */
  deleteItems(collectionId: number, uids: readonly number[]): Promise<Item[]>;
  /**
   * Items in uid order from `afterUid` (exclusive), at most `limit`, with only
   * the named top-level keys of their meta: a big mailbox's flags without
   * reading every message's whole meta. An absent key is left out.
   */
  listItemMeta(collectionId: number, keys: readonly string[], options?: { afterUid?: number; limit?: number }): Promise<ItemMetaRow[]>;

  // ----- outbound mail
  /** queues messages in one transaction; returns their ids */
  enqueueOutbound(messages: readonly NewOutboundMessage[]): Promise<number[]>;
  /**
   * takes up to `limit` due messages for `leaseMs` (no other process takes
   * them meanwhile), leased in the name of `holder` (who is working on them)
   */
  claimOutbound(now: number, limit: number, leaseMs: number, holder?: string): Promise<OutboundMessage[]>;
  /** a failed attempt: counted, tried again at `nextAttemptAt` */
  deferOutbound(id: number, nextAttemptAt: number, error: string): Promise<void>;
  /**
   * The outcome of an attempt, in one statement: with `retry`, the message
   * stays queued for those recipients only (the others were delivered or
   * given up), its attempt counted and its lease released; without, it is
   * gone. No crash can leave it both sent and queued for the same recipient.
   */
  settleOutbound(id: number, retry: OutboundRetry | null): Promise<void>;
  /** delivered, bounced or expired: gone from the queue */
  removeOutbound(id: number): Promise<void>;
  /** the holders of leases still running at `now`, with how many messages each holds */
  outboundLeaseHolders(now: number): Promise<{ holder: string; messages: number }[]>;
  /** ends the leases of those holders (processes known to be gone): their messages are due again at once; returns how many */
  releaseOutboundLeases(holders: readonly string[]): Promise<number>;
  listOutbound(): Promise<OutboundMessage[]>;
  /** keeps the domain's first key: a key already there is not replaced (two makers at once agree on one) */
  putDkimKey(key: DkimKey): Promise<void>;
  getDkimKey(domain: string): Promise<DkimKey | null>;

  // account contact addresses (sign-up activation)
  /** creates or replaces the account's contact row */
  putAccountContact(c: AccountContact): Promise<void>;
  getAccountContact(accountId: number): Promise<AccountContact | null>;
  /**
   * Uses an activation link once: when `tokenHash` is outstanding and not
   * expired at `now`, confirms the address, forgets the link and makes a
   * pending account active, in one transaction; the account id, else null.
   */
  confirmAccountContact(tokenHash: string, now: number): Promise<number | null>;
  /** pending accounts whose activation link expired before `now` */
  listExpiredSignups(now: number): Promise<number[]>;

  // password reset links, held-back addresses, profile photos (migration 007)
  /** the account's one outstanding reset link (a new one replaces it); expired links of every account are dropped */
  putPasswordReset(r: PasswordReset): Promise<void>;
  /** the outstanding link of that token hash, if not expired at `now` */
  getPasswordReset(tokenHash: string, now: number): Promise<PasswordReset | null>;
  /**
   * Uses a reset link once: when `tokenHash` is outstanding and not expired at
   * `now` and the account is active, sets the password hash, forgets the link
   * and deletes every session of the account, in one transaction; the account
   * id, else null (an expired link is dropped).
   */
  usePasswordReset(tokenHash: string, now: number, passwordHash: string): Promise<number | null>;
  /** holds the address back from new accounts until `until` (a later hold wins); expired holds of every address are dropped */
  holdAddress(address: string, until: number): Promise<void>;
  /** until when the address is held back, if it still is at `now` */
  addressHeldUntil(address: string, now: number): Promise<number | null>;
  /** sets (replaces) the account's profile photo */
  putAccountPhoto(accountId: number, photo: { contentType: string; content: Uint8Array }): Promise<void>;
  getAccountPhoto(accountId: number): Promise<AccountPhoto | null>;
  /** true when there was one */
  deleteAccountPhoto(accountId: number): Promise<boolean>;

  // rate counters (migration 012): the login throttle and the hourly limits, shared by every process
  /**
   * Counts one event against each key, atomically per key: a key without a
   * live window (none yet, or it ended by `now`) starts one of `windowMs` with
   * 1 hit, else its hits grow by one. The counts after this event, in the
   * order of `keys`.
   */
  countRate(keys: readonly string[], now: number, windowMs: number): Promise<RateCount[]>;
  /** the live counts (window not ended at `now`) of those keys; keys without one are left out */
  readRate(keys: readonly string[], now: number): Promise<RateCount[]>;
  /** forgets the counts of those keys */
  clearRate(keys: readonly string[]): Promise<void>;
  /** removes the counts whose window ended by `now`; how many */
  sweepRate(now: number): Promise<number>;
}

/** The events of one key in its current window. */
export interface RateCount {
  readonly key: string;
  readonly hits: number;
  /** when the window ends (ms since the epoch); the count is forgotten then */
  readonly windowEnds: number;
}

export interface MetaChange {
  readonly meta: ItemMeta;
  readonly index?: ItemIndex;
}

export interface CopyItems {
  readonly fromCollectionId: number;
  readonly uids: readonly number[];
  readonly toCollectionId: number;
  /** the quota of the target's bucket, in bytes; null for no limit */
  readonly quotaLimit: number | null;
  /** remove the sources in the same transaction */
  readonly move: boolean;
}

export interface CopiedItem {
  readonly source: Item;
  readonly copy: Item;
}

export interface ItemMetaRow {
  readonly uid: number;
  readonly modseq: number;
  readonly size: number;
  readonly meta: ItemMeta;
}

/** A WebDAV lock, anchored on a collection (name '') or on a name inside it. */
export interface DavLock {
  readonly token: string;
  readonly anchorId: number;
  readonly name: string;
  readonly depth: '0' | 'infinity';
  readonly scope: 'exclusive' | 'shared';
  /** the owner element as the client sent it (XML) */
  readonly owner: string;
  readonly accountId: number;
  /** the URL path the lock was taken on (lockroot) */
  readonly root: string;
  readonly timeoutSeconds: number;
  readonly expiresAt: number;
  readonly createdAt: number;
}

export interface BlobInfo {
  readonly id: string;
  readonly size: number;
  /** hex SHA-256 of the bytes */
  readonly sha256: string;
}

export interface BlobStore {
  /** writes to a temporary file, fsyncs, renames into place and fsyncs the folder */
  write(data: Uint8Array | AsyncIterable<Uint8Array>, options?: { maxBytes?: number }): Promise<BlobInfo>;
  read(id: string): Promise<Uint8Array>;
  stream(id: string, range?: { start: number; end: number }): NodeJS.ReadableStream;
  exists(id: string): Promise<boolean>;
  /** removes the file; missing files are not an error */
  remove(id: string): Promise<void>;
  /** every blob id on disk */
  list(): AsyncIterable<{ id: string; mtimeMs: number }>;
}

/** A message waiting to leave for one destination domain (the outbound queue). */
export interface NewOutboundMessage {
  /** the sending account; null for notices the server makes itself */
  readonly accountId: number | null;
  /** envelope sender ('' for a bounce) */
  readonly sender: string;
  /** envelope recipients, all at `domain` */
  readonly recipients: readonly string[];
  readonly domain: string;
  readonly raw: Uint8Array;
  readonly nextAttemptAt: number;
  readonly expiresAt: number;
  /** attempts already made (default 0): a row split off an earlier one keeps its count, so its delays keep growing */
  readonly attempts?: number;
  /** when the message was first queued (default now) */
  readonly createdAt?: number;
}

/** What remains of an outbound message after an attempt: recipients refused for now, tried again later. */
export interface OutboundRetry {
  readonly recipients: readonly string[];
  readonly nextAttemptAt: number;
  readonly error: string;
}

export interface OutboundMessage extends NewOutboundMessage {
  readonly id: number;
  readonly raw: Buffer;
  readonly attempts: number;
  readonly lastError: string;
  readonly createdAt: number;
}

/** The DKIM signing key of a hosted domain. */
export interface DkimKey {
  readonly domain: string;
  readonly selector: string;
  /** PKCS#8 PEM */
  readonly privateKey: string;
  /** SPKI DER, base64 (the p= of the DNS record) */
  readonly publicKey: string;
  readonly createdAt: number;
}

/** An account's contact address (outside Bureau) and its outstanding confirmation link. */
export interface AccountContact {
  readonly accountId: number;
  readonly email: string;
  readonly confirmedAt: number | null;
  /** hash of the link's token; null when none is outstanding */
  readonly tokenHash: string | null;
  readonly tokenExpiresAt: number | null;
  readonly createdAt: number;
}

/** An outstanding password reset link: only its token's hash is kept. */
export interface PasswordReset {
  readonly accountId: number;
  readonly tokenHash: string;
  readonly expiresAt: number;
  readonly createdAt: number;
}

/** An account's profile photo (JPEG or PNG). */
export interface AccountPhoto {
  readonly accountId: number;
  readonly contentType: string;
  readonly content: Uint8Array;
  readonly updatedAt: number;
}
