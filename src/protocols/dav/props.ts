// Properties of a node: the live ones the server computes (RFC 4918, and
// RFC 4331 quota), and the dead ones clients store (kept as self-contained
// XML under Clark names).
import type { DavContext } from './context.ts';
import { activeLockXml, locksOn } from './locks.ts';
import type { DavNode } from './node.ts';
import { DAV, clark, esc } from './xml.ts';

const D = (name: string): string => clark(DAV, name);

export const LIVE = {
  resourcetype: D('resourcetype'),
  displayname: D('displayname'),
  getcontentlength: D('getcontentlength'),
  getcontenttype: D('getcontenttype'),
  getetag: D('getetag'),
  getlastmodified: D('getlastmodified'),
  creationdate: D('creationdate'),
  supportedlock: D('supportedlock'),
  lockdiscovery: D('lockdiscovery'),
  quotaAvailable: D('quota-available-bytes'),
  quotaUsed: D('quota-used-bytes'),
} as const;

/** Live properties a client cannot set (PROPPATCH answers 403 cannot-modify-protected-property). */
export const PROTECTED = new Set<string>([
  LIVE.resourcetype, LIVE.getcontentlength, LIVE.getetag, LIVE.getlastmodified, LIVE.creationdate,
  LIVE.supportedlock, LIVE.lockdiscovery, LIVE.quotaAvailable, LIVE.quotaUsed, LIVE.getcontenttype,
]);

/** Returned by allprop: everything but the quota properties (RFC 4331 section 3). */
export const ALLPROP_LIVE = [LIVE.resourcetype, LIVE.displayname, LIVE.getcontentlength, LIVE.getcontenttype, LIVE.getetag,
  LIVE.getlastmodified, LIVE.creationdate, LIVE.supportedlock, LIVE.lockdiscovery];

/**
 * Whether the account may read the node. A folder it may only deposit into
 * (a co-member's drop box) shows its name and type, and nothing of what its
 * owner keeps there: no dead properties, no quota figures, no locks.
 */
function readable(node: DavNode): boolean {
  const e = node.entry;
  return (e.kind !== 'collection' && e.kind !== 'item') || e.rights.includes('read');
}

export function deadProps(node: DavNode): Record<string, string> {
  const e = node.entry;
  if (!readable(node)) return {};
  const raw = e.kind === 'item' ? (e.item.meta.props as Record<string, string> | undefined) ?? {}
    : e.kind === 'collection' ? e.collection.props : {};
  return Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith('{')));
}

/** The names of the live properties the node has. */
export function liveNames(node: DavNode): string[] {
  const names: string[] = [LIVE.resourcetype, LIVE.displayname];
  if (!node.collection) names.push(LIVE.getcontentlength, LIVE.getcontenttype, LIVE.getetag);
  if (node.entry.kind === 'item' || node.entry.kind === 'collection') names.push(LIVE.getlastmodified, LIVE.creationdate);
  if (node.anchor) names.push(LIVE.supportedlock);
  if (node.anchor && readable(node)) names.push(LIVE.lockdiscovery);
  if ((node.entry.kind === 'item' || node.entry.kind === 'collection') && readable(node)) names.push(LIVE.quotaAvailable, LIVE.quotaUsed);
  return names;
}

const httpDate = (ms: number): string => new Date(ms).toUTCString();
const isoDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The value (inner XML) of a live property, or undefined when the node does not have it. */
export async function liveValue(ctx: DavContext, node: DavNode, key: string): Promise<string | undefined> {
  const e = node.entry;
  if (!liveNames(node).includes(key)) return undefined;
  switch (key) {
    case LIVE.resourcetype:
      return node.collection ? '<D:collection/>' : '';
    case LIVE.displayname:
      return esc(node.segments.at(-1) ?? 'files');
    case LIVE.getcontentlength:
      return e.kind === 'item' ? String(e.item.size) : undefined;
    case LIVE.getcontenttype:
      return e.kind === 'item' ? esc(e.item.contentType) : undefined;
    case LIVE.getetag:
      return e.kind === 'item' ? esc(`"${e.item.etag}"`) : undefined;
    case LIVE.getlastmodified:
      return e.kind === 'item' ? httpDate(e.item.updatedAt) : e.kind === 'collection' ? httpDate(e.collection.createdAt) : undefined;
    case LIVE.creationdate:
      return e.kind === 'item' ? isoDate(e.item.createdAt) : e.kind === 'collection' ? isoDate(e.collection.createdAt) : undefined;
    case LIVE.supportedlock:
      return node.anchor
        ? '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>'
          + '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>'
        : undefined;
    case LIVE.lockdiscovery:
      return node.anchor ? (await locksOn(ctx, node)).map(activeLockXml).join('') : undefined;
    case LIVE.quotaAvailable:
    case LIVE.quotaUsed: {
      const collection = e.kind === 'item' ? e.collection : e.kind === 'collection' ? e.collection : null;
      if (!collection) return undefined;
      const { limit, used } = await ctx.core.files.limitOf(collection);
      return key === LIVE.quotaUsed ? String(used) : String(Math.max(0, limit - used));
    }
    default:
      return undefined;
  }
}
