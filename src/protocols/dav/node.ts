// A resource as the DAV methods see it: a drive entry with its URL, whether
// it is a collection, and where a lock on it is anchored.
import type { DriveEntry } from '../../core/files/drive.ts';
import { hrefOf } from './paths.ts';

export interface DavNode {
  readonly entry: DriveEntry;
  readonly segments: readonly string[];
  readonly href: string;
  readonly collection: boolean;
  readonly exists: boolean;
  /** where a lock on this resource is kept; null for folders the server makes up */
  readonly anchor: { readonly anchorId: number; readonly name: string } | null;
  /** the collection whose membership changes when this resource appears or goes; null at the top of a space */
  readonly container: number | null;
}

export function nodeOf(mount: string, segments: readonly string[], entry: DriveEntry): DavNode {
  switch (entry.kind) {
    case 'virtual':
      return { entry, segments, href: hrefOf(mount, segments, true), collection: true, exists: true, anchor: null, container: null };
    case 'collection':
      return {
        entry, segments, href: hrefOf(mount, segments, true), collection: true, exists: true,
        anchor: { anchorId: entry.collection.id, name: '' }, container: entry.collection.parentId,
      };
    case 'item':
      return {
        entry, segments, href: hrefOf(mount, segments, false), collection: false, exists: true,
        anchor: { anchorId: entry.collection.id, name: entry.item.name ?? '' }, container: entry.collection.id,
      };
    case 'missing':
      return {
        entry, segments, href: hrefOf(mount, segments, false), collection: false, exists: false,
        anchor: { anchorId: entry.parent.collection.id, name: entry.name }, container: entry.parent.collection.id,
      };
  }
}
