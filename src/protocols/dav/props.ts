// Properties of a node: the live ones the server computes (RFC 4918, and
// RFC 4331 quota), and the dead ones clients store (kept as self-contained
// XML under Clark names).
import type { DavContext } from './context.ts';
import type { DavLock } from '../../core/types.ts';
import { activeLockXml, locksOn, locksOnNow } from './locks.ts';
import type { DavNode } from './node.ts';
import type { LiveValue } from './propfind-engine.ts';
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

const NO_DEAD: Readonly<Record<string, string>> = Object.freeze({});

export function deadProps(node: DavNode): Readonly<Record<string, string>> {
  const e = node.entry;
  if (!readable(node)) return NO_DEAD;
  const raw = e.kind === 'item' ? (e.item.meta.props as Record<string, string> | undefined) : e.kind === 'collection' ? e.collection.props : undefined;
  if (!raw) return NO_DEAD;
  let dead: Record<string, string> | null = null;
  for (const k in raw) {
    if (k.startsWith('{')) (dead ??= {})[k] = raw[k]!;
  }
  return dead ?? NO_DEAD;
}

/** The live names of each kind of node, made once: a listing asks for them 10,000 times. */
const NAMES = new Map<number, { readonly all: readonly string[]; readonly allprop: readonly string[] }>();

function namesOf(node: DavNode): { readonly all: readonly string[]; readonly allprop: readonly string[] } {
  const stored = node.entry.kind === 'item' || node.entry.kind === 'collection';
  const canRead = readable(node);
  const shape = (node.collection ? 1 : 0) | (stored ? 2 : 0) | (node.anchor ? 4 : 0) | (canRead ? 8 : 0);
  let names = NAMES.get(shape);
  if (!names) {
    const all: string[] = [LIVE.resourcetype, LIVE.displayname];
    if (!node.collection) all.push(LIVE.getcontentlength, LIVE.getcontenttype, LIVE.getetag);
    if (stored) all.push(LIVE.getlastmodified, LIVE.creationdate);
    if (node.anchor) all.push(LIVE.supportedlock);
    if (node.anchor && canRead) all.push(LIVE.lockdiscovery);
    if (stored && canRead) all.push(LIVE.quotaAvailable, LIVE.quotaUsed);
    names = { all: Object.freeze(all), allprop: Object.freeze(ALLPROP_LIVE.filter((k) => all.includes(k))) };
    NAMES.set(shape, names);
  }
  return names;
}

/** The names of the live properties the node has. */
export function liveNames(node: DavNode): readonly string[] {
  return namesOf(node).all;
}

/** Those of them allprop returns. */
export function allpropNames(node: DavNode): readonly string[] {
  return namesOf(node).allprop;
}

/** A date as text, with the last one kept: files made together share their second. */
function dateText(format: (ms: number) => string): (ms: number) => string {
  let second = NaN;
  let text = '';
  return (ms) => {
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      text = format(ms);
    }
    return text;
  };
}
const httpDate = dateText((ms) => new Date(ms).toUTCString());
const isoDate = dateText((ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function lockXml(locks: readonly DavLock[]): string;
function lockXml(locks: readonly DavLock[] | undefined): string | undefined;
function lockXml(locks: readonly DavLock[] | undefined): string | undefined {
  return locks && locks.map(activeLockXml).join('');
}

/** An ETag in quotes, escaped (ours are hex: nothing to look at but the quotes). */
const etagXml = (etag: string): string => (/^[0-9A-Za-z_-]*$/.test(etag) ? `&quot;${etag}&quot;` : esc(`"${etag}"`));

const SUPPORTED_LOCK = '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>'
  + '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>';

/**
 * The value (inner XML) of a live property, or undefined when the node does
 * not have it; a promise only for those read from the store (locks, quota).
 */
export function liveValue(ctx: DavContext, node: DavNode, key: string): LiveValue {
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
      return e.kind === 'item' ? etagXml(e.item.etag) : undefined;
    case LIVE.getlastmodified:
      return e.kind === 'item' ? httpDate(e.item.updatedAt) : e.kind === 'collection' ? httpDate(e.collection.createdAt) : undefined;
    case LIVE.creationdate:
      return e.kind === 'item' ? isoDate(e.item.createdAt) : e.kind === 'collection' ? isoDate(e.collection.createdAt) : undefined;
    case LIVE.supportedlock:
      return node.anchor ? SUPPORTED_LOCK : undefined;
    case LIVE.lockdiscovery:
      if (!node.anchor) return undefined;
      return lockXml(locksOnNow(ctx, node)) ?? locksOn(ctx, node).then(lockXml);
    case LIVE.quotaAvailable:
    case LIVE.quotaUsed: {
      const collection = e.kind === 'item' ? e.collection : e.kind === 'collection' ? e.collection : null;
      if (!collection) return undefined;
      return ctx.core.files.limitOf(collection).then(({ limit, used }) => (key === LIVE.quotaUsed ? String(used) : String(Math.max(0, limit - used))));
    }
    default:
      return undefined;
  }
}
