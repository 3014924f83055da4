// The documents service: read, write, make folders, delete, copy, move, and
// keep properties, on entries of an account's drive. Every operation checks
// the rights core/acl gave the entry; every write checks the space's quota
// before it reads a byte and again in the transaction that stores it.
import { Readable } from 'node:stream';
import type { Collection, Item, Store } from '../../store/types.ts';
import { Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, QuotaExceeded } from '../errors.ts';
import type { Quota } from '../quota.ts';
import { DriveView, type CollectionEntry, type DriveEntry, type ItemEntry } from './drive.ts';
import { checkFileName } from './names.ts';

export interface FilesSettings {
  /** macOS Finder's `._*` and `.DS_Store` files: kept like any file, or refused */
  readonly macosMetadata: 'keep' | 'refuse';
}

export type Target = ItemEntry | Extract<DriveEntry, { kind: 'missing' }>;

export interface WriteOptions {
  readonly contentType: string;
  /** the announced length, checked against the quota before anything is read */
  readonly length?: number;
  readonly ifMatch?: string;
  readonly ifNoneMatch?: boolean;
}

/** How deep a folder copy may go, and how much it may copy, so that one request stays bounded. */
const MAX_COPY_DEPTH = 64;
const MAX_COPY_ENTRIES = 100_000;

function isMacosMetadata(name: string): boolean {
  return name === '.DS_Store' || name.startsWith('._');
}

export class Files {
  private readonly store: Store;
  private readonly quota: Quota;
  private readonly settings: FilesSettings;

  constructor(store: Store, quota: Quota, settings: FilesSettings) {
    this.store = store;
    this.quota = quota;
    this.settings = settings;
  }

  view(account: Parameters<typeof DriveView.open>[1]): Promise<DriveView> {
    return DriveView.open(this.store, account);
  }

  /** Whether the collection is one of the roots a space gives (Documents, a drop box, a group's documents). */
  isRoot(collection: Collection): boolean {
    return collection.parentId === null;
  }

  private checkNewName(name: string): void {
    checkFileName(name);
    if (this.settings.macosMetadata === 'refuse' && isMacosMetadata(name)) {
      throw new Forbidden(`${name} is macOS metadata, which this server is set to refuse`);
    }
  }

  private need(entry: DriveEntry, right: 'read' | 'write' | 'delete', what: string): void {
    if (entry.kind !== 'collection' && entry.kind !== 'item') throw new Forbidden(`${what} is not possible here`);
    if (!entry.rights.includes(right)) throw new Forbidden(`the account may not ${what} here`);
  }

  async read(entry: ItemEntry): Promise<Item> {
    this.need(entry, 'read', 'read this file');
    return entry.item;
  }

  /** The bytes of a file the account may read, whole or a range (inclusive). */
  async stream(entry: ItemEntry, range?: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    const item = await this.read(entry);
    if (item.blobId !== null) return this.store.blobs.stream(item.blobId, range);
    const bytes = await this.store.readItemContent(item);
    return Readable.from([Buffer.from(range ? bytes.subarray(range.start, range.end + 1) : bytes)]);
  }

  async limitOf(collection: Collection): Promise<{ limit: number; used: number }> {
    const [limit, used] = await Promise.all([this.quota.limit(collection.spaceId, 'files'), this.store.getUsage(collection.spaceId, 'files')]);
    return { limit, used };
  }

  /**
   * Writes a file from a stream. A new file needs `write` on the folder, or
   * `deposit` (a drop box); replacing one needs `write` on it. Nothing is
   * left behind when the quota is exceeded or a precondition fails.
   */
  async write(target: Target, data: AsyncIterable<Uint8Array>, options: WriteOptions): Promise<{ item: Item; created: boolean }> {
    const parent = target.kind === 'missing' ? target.parent : null;
    const collection = target.kind === 'missing' ? target.parent.collection : target.collection;
    const name = target.kind === 'missing' ? target.name : target.item.name!;
    if (target.kind === 'missing') {
      this.checkNewName(name);
      if (!parent!.rights.includes('write') && !parent!.rights.includes('deposit')) throw new Forbidden('the account may not add files here');
      if (options.ifMatch !== undefined) throw new PreconditionFailed(`${name} does not exist`);
    } else {
      this.need(target, 'write', 'change this file');
      if (options.ifNoneMatch) throw new PreconditionFailed(`${name} already exists`);
    }
    const old = target.kind === 'item' ? target.item.size : 0;
    const { limit, used } = await this.limitOf(collection);
    if (options.length !== undefined && used + options.length - old > limit) {
      throw new QuotaExceeded(`the files quota is exceeded: ${used} of ${limit} bytes used, ${options.length} more needed`, used, limit, options.length);
    }
    const blob = await this.store.blobs.write(data, { maxBytes: Math.max(0, limit - used + old) });
    if (options.length !== undefined && blob.size !== options.length) {
      await this.store.blobs.remove(blob.id);
      throw new InvalidInput('body', `the body has ${blob.size} bytes, not the ${options.length} announced`);
    }
    try {
      const item = await this.store.putItem({
        collectionId: collection.id, name, blobId: blob.id, size: blob.size, contentType: options.contentType,
        meta: target.kind === 'item' ? target.item.meta : { sha256: blob.sha256 },
        quotaLimit: limit,
        // without a condition from the client, the last of concurrent writers wins; a
        // depositor (no write right) can only ever create
        ...(options.ifMatch !== undefined ? { ifMatch: options.ifMatch } : {}),
        ...(options.ifNoneMatch || (parent !== null && !parent.rights.includes('write')) ? { ifNoneMatch: true } : {}),
      });
      if (target.kind === 'item' && item.meta.sha256 !== blob.sha256) {
        return { item: await this.store.updateItemMeta(item.id, { ...item.meta, sha256: blob.sha256 }), created: false };
      }
      return { item, created: target.kind === 'missing' };
    } catch (err) {
      await this.store.blobs.remove(blob.id);
      if (err instanceof PreconditionFailed && target.kind === 'missing' && !parent!.rights.includes('write')) {
        throw new Forbidden('a file of that name is already there, and a drop box cannot be overwritten');
      }
      throw err;
    }
  }

  async mkdir(target: DriveEntry): Promise<Collection> {
    if (target.kind !== 'missing') throw new Conflict('something already exists at that name');
    this.checkNewName(target.name);
    this.need(target.parent, 'write', 'make folders');
    return this.store.createCollection({ spaceId: target.parent.collection.spaceId, tool: 'files', parentId: target.parent.collection.id, name: target.name });
  }

  async delete(entry: DriveEntry): Promise<void> {
    if (entry.kind === 'item') {
      this.need(entry, 'delete', 'delete this file');
      await this.store.deleteItem(entry.item.id);
      return;
    }
    if (entry.kind === 'collection') {
      if (this.isRoot(entry.collection)) throw new Forbidden(`${entry.name} is a space's top folder and cannot be deleted`);
      this.need(entry, 'delete', 'delete this folder');
      await this.store.deleteCollection(entry.collection.id);
      return;
    }
    if (entry.kind === 'missing') throw new NotFound(`${entry.name} does not exist`);
    throw new Forbidden(`${entry.name || 'the drive'} is made by the server and cannot be deleted`);
  }

  /** Dead properties of an entry (DAV PROPPATCH): Clark-notation names to XML values. */
  async setProperties(entry: DriveEntry, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> {
    this.need(entry, 'write', 'change properties');
    if (entry.kind === 'item') {
      const props: Record<string, string> = { ...((entry.item.meta.props as Record<string, string> | undefined) ?? {}), ...set };
      for (const k of remove) delete props[k];
      await this.store.updateItemMeta(entry.item.id, { ...entry.item.meta, props });
    } else if (entry.kind === 'collection') {
      const patch: Record<string, string | null> = { ...set };
      for (const k of remove) patch[k] = null;
      await this.store.updateCollection(entry.collection.id, { props: patch });
    }
  }

  /**
   * Copies or moves an entry to a target. With `overwrite`, an existing
   * target is deleted first (which needs `delete` on it); a folder is copied
   * with everything in it, or (depth 0) as an empty folder.
   */
  async transfer(view: DriveView, source: DriveEntry, target: DriveEntry, options: { move: boolean; overwrite: boolean; depth: 0 | 'infinity' }): Promise<{ created: boolean }> {
    if (source.kind !== 'item' && source.kind !== 'collection') {
      throw source.kind === 'missing' ? new NotFound(`${source.name} does not exist`) : new Forbidden('folders made by the server cannot be copied or moved');
    }
    this.need(source, 'read', 'copy this');
    if (options.move) {
      if (source.kind === 'collection' && this.isRoot(source.collection)) throw new Forbidden(`${source.name} is a space's top folder and cannot be moved`);
      this.need(source, 'delete', 'move this');
    }
    let existed = false;
    let parent: CollectionEntry;
    let name: string;
    if (target.kind === 'missing') {
      parent = target.parent;
      name = target.name;
      this.checkNewName(name);
    } else if (target.kind === 'item' || target.kind === 'collection') {
      if (!options.overwrite) throw new PreconditionFailed(`${target.name} already exists and overwriting was not allowed`);
      if (source.kind === 'collection' && target.kind === 'collection' && target.collection.id === source.collection.id) {
        throw new Forbidden('the source and the destination are the same');
      }
      const container = target.kind === 'item' ? target.collection : await this.parentOf(target.collection);
      parent = await view.collectionEntry(container);
      name = target.name;
      if (target.kind === 'item' && source.kind === 'item' && target.item.id === source.item.id) {
        throw new Forbidden('the source and the destination are the same');
      }
      existed = true;
    } else {
      throw new Forbidden('nothing can be put there');
    }
    if (!parent.rights.includes('write')) throw new Forbidden('the account may not add to the destination folder');
    if (source.kind === 'collection') {
      const path = await this.store.getCollectionPath(parent.collection.id);
      if (path.some((c) => c.id === source.collection.id)) throw new Forbidden('a folder cannot be copied or moved into itself');
    }
    const limit = await this.quota.limit(parent.collection.spaceId, 'files');
    // The quota is checked before anything is deleted or copied, so that a
    // refusal leaves the source and the destination as they were (the store
    // checks again with every item it copies, for concurrent writers).
    if (!(options.move && source.collection.spaceId === parent.collection.spaceId)) {
      const needed = source.kind === 'item' ? source.item.size : options.depth === 0 ? 0 : await this.treeSize(source.collection, MAX_COPY_DEPTH);
      const freed = target.kind === 'item' ? target.item.size : target.kind === 'collection' ? await this.treeSize(target.collection, MAX_COPY_DEPTH) : 0;
      const used = await this.store.getUsage(parent.collection.spaceId, 'files');
      if (needed - freed > 0 && used + needed - freed > limit) {
        throw new QuotaExceeded(`the files quota is exceeded: ${used} of ${limit} bytes used, ${needed - freed} more needed`, used, limit, needed - freed);
      }
    }
    if (existed) await this.delete(target);
    if (source.kind === 'item') {
      const input = { itemId: source.item.id, toCollectionId: parent.collection.id, name, overwrite: false, quotaLimit: limit };
      if (options.move) await this.store.moveItem(input);
      else await this.store.copyItem(input);
      return { created: !existed };
    }
    const sameSpace = source.collection.spaceId === parent.collection.spaceId;
    if (options.move && sameSpace) {
      await this.store.updateCollection(source.collection.id, { parentId: parent.collection.id, name });
      return { created: !existed };
    }
    const budget = { left: MAX_COPY_ENTRIES };
    try {
      await this.copyTree(source.collection, parent.collection, name, options.depth === 0 ? 0 : MAX_COPY_DEPTH, limit, budget);
    } catch (err) {
      // a copy that fails half way (the quota, reached by a concurrent
      // writer; too many entries) is taken back whole, never left half made
      const partial = await this.store.findCollection(parent.collection.spaceId, 'files', parent.collection.id, name);
      if (partial) await this.store.deleteCollection(partial.id).catch(() => undefined);
      throw err;
    }
    if (options.move) await this.store.deleteCollection(source.collection.id);
    return { created: !existed };
  }

  /** The bytes of every file in a folder and its sub-folders, `depth` levels down. */
  private async treeSize(collection: Collection, depth: number): Promise<number> {
    let total = 0;
    for (const item of await this.store.listItems(collection.id)) total += item.size;
    if (depth > 0) {
      for (const sub of await this.store.listCollections(collection.spaceId, 'files', collection.id)) total += await this.treeSize(sub, depth - 1);
    }
    return total;
  }

  private async parentOf(collection: Collection): Promise<Collection> {
    if (collection.parentId === null) throw new Forbidden(`${collection.name} is a space's top folder`);
    const parent = await this.store.getCollection(collection.parentId);
    if (!parent) throw new NotFound(`the folder containing ${collection.name} does not exist`);
    return parent;
  }

  private async copyTree(source: Collection, intoParent: Collection, name: string, depth: number, limit: number, budget: { left: number }): Promise<void> {
    if (--budget.left < 0) throw new Conflict(`a copy may hold at most ${MAX_COPY_ENTRIES} entries`);
    const copy = await this.store.createCollection({ spaceId: intoParent.spaceId, tool: 'files', parentId: intoParent.id, name, props: source.props });
    if (depth === 0) return;
    for (const item of await this.store.listItems(source.id)) {
      if (--budget.left < 0) throw new Conflict(`a copy may hold at most ${MAX_COPY_ENTRIES} entries`);
      await this.store.copyItem({ itemId: item.id, toCollectionId: copy.id, quotaLimit: limit });
    }
    for (const sub of await this.store.listCollections(source.spaceId, 'files', source.id)) {
      await this.copyTree(sub, copy, sub.name, depth - 1, limit, budget);
    }
  }
}
