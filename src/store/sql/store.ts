// The Store, written once in SQL for both backends (see driver.ts). The SQLite
// and PostgreSQL folders hold only a driver each; the modules here hold every
// query. SqlStore is built in layers, one family of methods per file:
// store-base.ts (driver, blobs, migrations) → store-collections.ts → store-accounts.ts
// → store-groups.ts → store-items.ts → store-grants.ts → this file (DAV
// locks, mail, the outbound queue, account recovery, rate counters).
import type { DiskBlobStore } from '../blobs.ts';
import type { DavLock, Item, AccountContact, Store } from '../types.ts';
import type { SqlDriver } from './driver.ts';
import { SqlLocks } from './locks.ts';
import { SqlOutbound } from './outbound.ts';
import { SqlAccountRecovery } from './account-recovery.ts';
import { SqlRateCounts } from './rate-counts.ts';
import { copyItems, deleteItems, listItemMeta, updateItemsMeta } from './mail.ts';
import type { AccountPhoto, PasswordReset, RateCount } from '../types.ts';
import type { CopiedItem, CopyItems, DkimKey, ItemMetaRow, MetaChange, NewOutboundMessage, OutboundMessage, OutboundRetry } from '../types.ts';
import { existing } from './store-base.ts';
import { SqlGrantsStore } from './store-grants.ts';

export class SqlStore extends SqlGrantsStore implements Store {
  private readonly locks: SqlLocks;
  private readonly outbound: SqlOutbound;
  private readonly recovery: SqlAccountRecovery;
  private readonly rates: SqlRateCounts;

  constructor(db: SqlDriver, blobs: DiskBlobStore) {
    super(db, blobs);
    this.locks = new SqlLocks(db);
    this.outbound = new SqlOutbound(db);
    this.recovery = new SqlAccountRecovery(db);
    this.rates = new SqlRateCounts(db);
  }

  // ----- dav

  createLock(lock: DavLock): Promise<void> {
    return this.locks.create(lock);
  }

  getLock(token: string): Promise<DavLock | null> {
    return this.locks.get(token);
  }

  listLocks(anchorIds: readonly number[]): Promise<DavLock[]> {
    return this.locks.list(anchorIds);
  }

  refreshLock(token: string, timeoutSeconds: number, expiresAt: number): Promise<DavLock> {
    return this.locks.refresh(token, timeoutSeconds, expiresAt);
  }

  deleteLock(token: string): Promise<void> {
    return this.locks.delete(token);
  }

  deleteLocksAt(anchorId: number, name: string): Promise<void> {
    return this.locks.deleteAt(anchorId, name);
  }

  countLocksOf(accountId: number): Promise<number> {
    return this.locks.countOf(accountId);
  }

  // ----- mail

  updateItemsMeta(collectionId: number, uids: readonly number[], change: (item: Item) => MetaChange | null): Promise<Item[]> {
    return updateItemsMeta(this.db, collectionId, uids, change);
  }

  copyItems(input: CopyItems): Promise<CopiedItem[]> {
    return copyItems(this.db, input, this.freed);
  }

  deleteItems(collectionId: number, uids: readonly number[]): Promise<Item[]> {
    return deleteItems(this.db, collectionId, uids, this.freed);
  }

  listItemMeta(collectionId: number, keys: readonly string[], options: { afterUid?: number; limit?: number } = {}): Promise<ItemMetaRow[]> {
    return listItemMeta(this.db, collectionId, keys, options);
  }

  // ----- outbound mail
  enqueueOutbound(messages: readonly NewOutboundMessage[]): Promise<number[]> {
    return this.outbound.enqueue(messages);
  }

  claimOutbound(now: number, limit: number, leaseMs: number, holder?: string): Promise<OutboundMessage[]> {
    return this.outbound.claim(now, limit, leaseMs, holder);
  }

  settleOutbound(id: number, retry: OutboundRetry | null): Promise<void> {
    return this.outbound.settle(id, retry);
  }

  outboundLeaseHolders(now: number): Promise<{ holder: string; messages: number }[]> {
    return this.outbound.leaseHolders(now);
  }

  releaseOutboundLeases(holders: readonly string[]): Promise<number> {
    return this.outbound.releaseLeases(holders);
  }

  deferOutbound(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.outbound.defer(id, nextAttemptAt, error);
  }

  removeOutbound(id: number): Promise<void> {
    return this.outbound.remove(id);
  }

  listOutbound(): Promise<OutboundMessage[]> {
    return this.outbound.list();
  }

  putDkimKey(key: DkimKey): Promise<void> {
    return this.outbound.putDkimKey(key);
  }

  getDkimKey(domain: string): Promise<DkimKey | null> {
    return this.outbound.getDkimKey(domain);
  }

  // ----- account contact addresses

  async putAccountContact(c: AccountContact): Promise<void> {
    await existing(`account ${c.accountId} does not exist`, () => this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM account_contacts WHERE account_id = $1', [c.accountId]);
      await tx.run(
        'INSERT INTO account_contacts (account_id, email, confirmed_at, token_hash, token_expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [c.accountId, c.email, c.confirmedAt, c.tokenHash, c.tokenExpiresAt, c.createdAt]);
    }));
  }

  async getAccountContact(accountId: number): Promise<AccountContact | null> {
    const r = await this.db.get('SELECT * FROM account_contacts WHERE account_id = $1', [accountId]);
    return r ? toContact(r) : null;
  }

  async confirmAccountContact(tokenHash: string, now: number): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const r = await tx.get('SELECT * FROM account_contacts WHERE token_hash = $1', [tokenHash]);
      if (!r) return null;
      const c = toContact(r);
      if (c.tokenExpiresAt === null || c.tokenExpiresAt <= now) return null;
      const used = await tx.run('UPDATE account_contacts SET confirmed_at = $2, token_hash = NULL, token_expires_at = NULL WHERE account_id = $1 AND token_hash = $3', [c.accountId, now, tokenHash]);
      if (used.changes !== 1) return null;
      await tx.run("UPDATE accounts SET status = 'active' WHERE id = $1 AND status = 'pending'", [c.accountId]);
      return c.accountId;
    });
  }

  async listExpiredSignups(now: number): Promise<number[]> {
    const rows = await this.db.all(
      `SELECT a.id FROM accounts a JOIN account_contacts c ON c.account_id = a.id
        WHERE a.status = 'pending' AND c.confirmed_at IS NULL AND c.token_expires_at IS NOT NULL AND c.token_expires_at <= $1`, [now]);
    return rows.map((r) => Number(r.id));
  }

  // ----- password resets, held-back addresses, profile photos

  async putPasswordReset(r: PasswordReset): Promise<void> {
    await existing(`account ${r.accountId} does not exist`, () => this.recovery.putReset(r));
  }

  getPasswordReset(tokenHash: string, now: number): Promise<PasswordReset | null> {
    return this.recovery.getReset(tokenHash, now);
  }

  usePasswordReset(tokenHash: string, now: number, passwordHash: string): Promise<number | null> {
    return this.recovery.useReset(tokenHash, now, passwordHash);
  }

  holdAddress(address: string, until: number): Promise<void> {
    return this.recovery.hold(address, until);
  }

  addressHeldUntil(address: string, now: number): Promise<number | null> {
    return this.recovery.heldUntil(address, now);
  }

  async putAccountPhoto(accountId: number, photo: { contentType: string; content: Uint8Array }): Promise<void> {
    await existing(`account ${accountId} does not exist`, () => this.recovery.putPhoto(accountId, photo.contentType, photo.content));
  }

  getAccountPhoto(accountId: number): Promise<AccountPhoto | null> {
    return this.recovery.getPhoto(accountId);
  }

  deleteAccountPhoto(accountId: number): Promise<boolean> {
    return this.recovery.deletePhoto(accountId);
  }

  // ----- rate counters

  countRate(keys: readonly string[], now: number, windowMs: number): Promise<RateCount[]> {
    return this.rates.count(keys, now, windowMs);
  }

  readRate(keys: readonly string[], now: number): Promise<RateCount[]> {
    return this.rates.read(keys, now);
  }

  clearRate(keys: readonly string[]): Promise<void> {
    return this.rates.clear(keys);
  }

  sweepRate(now: number): Promise<number> {
    return this.rates.sweep(now);
  }
}

function toContact(r: Record<string, unknown>): AccountContact {
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    accountId: Number(r.account_id), email: String(r.email), confirmedAt: n(r.confirmed_at),
    tokenHash: r.token_hash === null || r.token_hash === undefined ? null : String(r.token_hash),
    tokenExpiresAt: n(r.token_expires_at), createdAt: Number(r.created_at),
  };
}
