// Write locks (RFC 4918 sections 6, 7, 9.10, 9.11): which locks bear on a
// resource, whether a request submitted their tokens, and whether its If
// header holds. Locks live in the store, so every process sees them.
import { randomUUID } from 'node:crypto';
import type { Core } from '../../core/index.ts';
import type { DavLock } from '../../core/types.ts';
import type { DavContext } from './context.ts';
import { DavError } from './errors.ts';
import { parseIf, submittedTokens, type IfList } from './if-header.ts';
import type { DavNode } from './node.ts';
import { DAV, esc } from './xml.ts';

export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
export const DEFAULT_TIMEOUT_SECONDS = 3600;

export function newToken(): string {
  return `opaquelocktoken:${randomUUID()}`;
}

/**
 * Locks anchored on collections, read once per request: a PROPFIND of a
 * folder asks for the locks of every entry, and they all come from one query.
 */
export class LockCache {
  private readonly core: Core;
  private readonly byAnchor = new Map<number, DavLock[]>();
  private readonly chains = new Map<number, number[]>();
  constructor(core: Core) {
    this.core = core;
  }

  async anchored(ids: readonly number[]): Promise<DavLock[]> {
    const missing = [...new Set(ids)].filter((id) => !this.byAnchor.has(id));
    if (missing.length > 0) {
      for (const id of missing) this.byAnchor.set(id, []);
      for (const l of await this.core.locks.on(missing)) this.byAnchor.get(l.anchorId)!.push(l);
    }
    return ids.flatMap((id) => this.byAnchor.get(id) ?? []);
  }

  /** The locks of a collection's chain when this request has read them all already, else undefined (no promise for what is at hand). */
  chainLocksNow(collectionId: number): DavLock[] | undefined {
    const chain = this.chains.get(collectionId);
    if (!chain) return undefined;
    const out: DavLock[] = [];
    for (const id of chain) {
      const locks = this.byAnchor.get(id);
      if (!locks) return undefined;
      for (const l of locks) out.push(l);
    }
    return out;
  }

  /** Takes a chain worked out by the caller (a sub-folder's is its folder's and itself), sparing a query. */
  knowChain(collectionId: number, chain: number[]): void {
    this.chains.set(collectionId, chain);
  }

  async chain(collectionId: number): Promise<number[]> {
    let c = this.chains.get(collectionId);
    if (!c) {
      c = await this.core.locks.chain(collectionId);
      this.chains.set(collectionId, c);
    }
    return c;
  }

  /** After a change to the locks, the next question goes to the store again. */
  clear(): void {
    this.byAnchor.clear();
  }
}

/**
 * Locks that cover the node: its own, and depth-infinity locks on the
 * collections above it. With `membership`, depth-0 locks on its container
 * count too (adding or removing a member changes the container).
 */
export async function locksOn(ctx: DavContext, node: DavNode, membership = false): Promise<DavLock[]> {
  if (!node.anchor) return [];
  return covering(node, await ctx.locks.anchored(await ctx.locks.chain(node.anchor.anchorId)), membership);
}

/** locksOn's answer when the request has read those locks already (a listing reads them once for all its entries), else undefined. */
export function locksOnNow(ctx: DavContext, node: DavNode): DavLock[] | undefined {
  if (!node.anchor) return [];
  const locks = ctx.locks.chainLocksNow(node.anchor.anchorId);
  return locks && covering(node, locks, false);
}

function covering(node: DavNode, locks: readonly DavLock[], membership: boolean): DavLock[] {
  if (locks.length === 0) return [];
  const own = node.anchor!;
  return locks.filter((l) => {
    if (l.anchorId === own.anchorId && l.name === own.name) return true;
    if (l.name !== '') return false;
    if (node.collection && l.anchorId === own.anchorId) return true;
    if (l.depth === 'infinity') return true;
    return membership && l.anchorId === node.container;
  });
}

/** Locks on anything inside a collection node (for DELETE, MOVE, and depth-infinity LOCK). */
export async function locksBelow(ctx: DavContext, node: DavNode): Promise<DavLock[]> {
  if (node.entry.kind !== 'collection') return [];
  return ctx.locks.anchored(await ctx.core.locks.subtree(node.entry.collection.id));
}

export interface LockCheck {
  readonly lists: IfList[];
  readonly tokens: Set<string>;
}

export function ifOf(ctx: DavContext): LockCheck {
  const lists = parseIf(ctx.req.headers.if as string | undefined);
  return { lists, tokens: submittedTokens(lists) };
}

/**
 * Refuses (423, lock-token-submitted) when a lock covering the node was not
 * submitted by the account that holds it.
 */
export function requireTokens(ctx: DavContext, check: LockCheck, locks: readonly DavLock[]): void {
  const missing = locks.filter((l) => !(check.tokens.has(l.token) && l.accountId === ctx.account.id));
  if (missing.length > 0) {
    const hrefs = [...new Set(missing.map((l) => l.root))].map((h) => `<D:href>${esc(h)}</D:href>`).join('');
    throw new DavError(423, 'the resource is locked, and the request did not submit the lock token', { ns: DAV, name: 'lock-token-submitted', inner: hrefs });
  }
}

/** The etag a condition compares with: quoted, as sent in ETag headers. */
export function etagOf(node: DavNode): string | null {
  return node.entry.kind === 'item' ? `"${node.entry.item.etag}"` : null;
}

/**
 * Evaluates the If header (412 when it is false). A list without a tag
 * applies to the request's resource; a tagged one to the resource it names.
 * A state token holds when a lock with it covers the resource.
 */
export async function evaluateIf(ctx: DavContext, check: LockCheck): Promise<void> {
  if (check.lists.length === 0) return;
  for (const list of check.lists) {
    let node = ctx.node;
    if (list.resource !== undefined) {
      try {
        node = await ctx.resolve(list.resource);
      } catch {
        continue;
      }
    }
    const locks = await locksOn(ctx, node);
    const etag = etagOf(node);
    const holds = list.conditions.every((c) => {
      let value: boolean;
      if (c.token !== undefined) value = locks.some((l) => l.token === c.token);
      else value = etag !== null && c.etag === etag;
      return c.not ? !value : value;
    });
    if (holds) return;
  }
  throw new DavError(412, 'the If header does not hold');
}

/** Checks a write to the node: the If header, and every lock that covers it (and, for a collection, those below it). */
export async function checkWrite(ctx: DavContext, node: DavNode, options: { membership: boolean; below: boolean }): Promise<void> {
  const check = ifOf(ctx);
  await evaluateIf(ctx, check);
  const locks = await locksOn(ctx, node, options.membership);
  if (options.below) locks.push(...(await locksBelow(ctx, node)));
  requireTokens(ctx, check, locks);
}

export function activeLockXml(l: DavLock): string {
  const timeout = `Second-${Math.max(0, Math.round((l.expiresAt - Date.now()) / 1000))}`;
  return `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${l.scope}/></D:lockscope>`
    + `<D:depth>${l.depth === '0' ? '0' : 'infinity'}</D:depth>${l.owner ? `<D:owner>${l.owner}</D:owner>` : ''}`
    + `<D:timeout>${timeout}</D:timeout><D:locktoken><D:href>${esc(l.token)}</D:href></D:locktoken>`
    + `<D:lockroot><D:href>${esc(l.root)}</D:href></D:lockroot></D:activelock>`;
}

/** Parses a Timeout header ("Second-600, Infinite"); the server caps it. */
export function timeoutOf(header: string | undefined): number {
  if (!header) return DEFAULT_TIMEOUT_SECONDS;
  for (const part of header.split(',')) {
    const p = part.trim();
    if (/^infinite$/i.test(p)) return MAX_TIMEOUT_SECONDS;
    const m = /^second-(\d{1,10})$/i.exec(p);
    if (m) return Math.min(Math.max(1, Number(m[1])), MAX_TIMEOUT_SECONDS);
  }
  return DEFAULT_TIMEOUT_SECONDS;
}
