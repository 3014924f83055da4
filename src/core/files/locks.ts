// WebDAV write locks of the drive, kept in the store so that every process
// sees them. The DAV door decides what a lock means (RFC 4918); this service
// keeps them, and bounds what one account may hold.
import type { DavLock, Store } from '../../store/types.ts';
import { LimitReached } from '../errors.ts';

/** Locks one account may hold at once: enough for any client, bounded against a flood. */
const MAX_LOCKS_PER_ACCOUNT = 10_000;

export class Locks {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  async create(lock: DavLock): Promise<void> {
    const mine = await this.store.countLocksOf(lock.accountId);
    if (mine >= MAX_LOCKS_PER_ACCOUNT) throw new LimitReached(`an account may hold at most ${MAX_LOCKS_PER_ACCOUNT} locks`, MAX_LOCKS_PER_ACCOUNT);
    await this.store.createLock(lock);
  }

  /** Live locks anchored on any of these collections. */
  on(anchorIds: readonly number[]): Promise<DavLock[]> {
    return this.store.listLocks(anchorIds);
  }

  refresh(token: string, timeoutSeconds: number): Promise<DavLock> {
    return this.store.refreshLock(token, timeoutSeconds, Date.now() + timeoutSeconds * 1000);
  }

  release(token: string): Promise<void> {
    return this.store.deleteLock(token);
  }

  /** The resource at a name was deleted or moved away: its locks go. */
  forget(anchorId: number, name: string): Promise<void> {
    return this.store.deleteLocksAt(anchorId, name);
  }

  /** The collections from the top of a space down to this one (where locks that cover it are anchored). */
  async chain(collectionId: number): Promise<number[]> {
    return (await this.store.getCollectionPath(collectionId)).map((c) => c.id);
  }

  /** A collection and every folder below it. */
  async subtree(collectionId: number): Promise<number[]> {
    return this.store.listSubtree(collectionId);
  }
}
