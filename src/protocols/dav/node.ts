// A resource as the DAV methods see it: a drive entry with its URL, whether
// it is a collection, and where a lock on it is anchored.
import type { DriveEntry } from '../../core/files/drive.ts';
import { encodeSegment, hrefOf } from './paths.ts';

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
  return nodeAt(segments, entry, hrefOf(mount, segments, entry.kind === 'virtual' || entry.kind === 'collection'));
}

/**
 * An entry inside a folder node, its href made from the folder's (a listing
 * of 10,000 would otherwise encode the whole path again for each entry).
 */
export function childNodeOf(parent: DavNode, entry: DriveEntry): DavNode {
  const collection = entry.kind === 'virtual' || entry.kind === 'collection';
  const base = parent.href.endsWith('/') ? parent.href : `${parent.href}/`;
  return nodeAt([...parent.segments, entry.name], entry, `${base}${encodeSegment(entry.name)}${collection ? '/' : ''}`);
}

function nodeAt(segments: readonly string[], entry: DriveEntry, href: string): DavNode {
  switch (entry.kind) {
    case 'virtual':
      return { entry, segments, href, collection: true, exists: true, anchor: null, container: null };
    case 'collection':
      return {
        entry, segments, href, collection: true, exists: true,
        anchor: { anchorId: entry.collection.id, name: '' }, container: entry.collection.parentId,
      };
    case 'item':
      return {
        entry, segments, href, collection: false, exists: true,
        anchor: { anchorId: entry.collection.id, name: entry.item.name ?? '' }, container: entry.collection.id,
      };
    case 'missing':
      return {
        entry, segments, href, collection: false, exists: false,
        anchor: { anchorId: entry.parent.collection.id, name: entry.name }, container: entry.parent.collection.id,
      };
  }
}
