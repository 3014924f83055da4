// LOCK and UNLOCK (RFC 4918 sections 9.10, 9.11): exclusive and shared write
// locks, depth 0 or infinity, refresh, locks on unmapped URLs (which make an
// empty file), timeouts.
import type { DavContext } from '../context.ts';
import { depthOf } from '../context.ts';
import { DavError } from '../errors.ts';
import { readXml } from '../body.ts';
import { activeLockXml, ifOf, locksBelow, locksOn, newToken, timeoutOf } from '../locks.ts';
import { DAV, child, is, serialize } from '../xml.ts';
import type { DavLock } from '../../../core/types.ts';

function send(ctx: DavContext, status: number, lock: DavLock, withToken: boolean): void {
  const body = `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLockXml(lock)}</D:lockdiscovery></D:prop>\n`;
  const headers: Record<string, string | number> = { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  if (withToken) headers['lock-token'] = `<${lock.token}>`;
  ctx.res.writeHead(status, headers);
  ctx.res.end(body);
}

export async function lock(ctx: DavContext): Promise<void> {
  const { req } = ctx;
  let node = ctx.node;
  if (!node.anchor) throw new DavError(405, 'folders made by the server cannot be locked');
  const body = await readXml(req);
  const timeout = timeoutOf(req.headers.timeout as string | undefined);
  if (body === null) {
    // a refresh: the If header names the lock
    const check = ifOf(ctx);
    const covering = await locksOn(ctx, node);
    const lockToRefresh = covering.find((l) => check.tokens.has(l.token) && l.accountId === ctx.account.id);
    if (!lockToRefresh) throw new DavError(412, 'a refresh must name, in the If header, a lock of this resource', { ns: DAV, name: 'lock-token-matches-request-uri' });
    const refreshed = await ctx.core.locks.refresh(lockToRefresh.token, timeout);
    send(ctx, 200, refreshed, false);
    return;
  }
  if (!is(body, DAV, 'lockinfo')) throw new DavError(400, 'the body is not a DAV:lockinfo');
  const scopeEl = child(body, DAV, 'lockscope');
  const scope = scopeEl && child(scopeEl, DAV, 'shared') ? 'shared' : scopeEl && child(scopeEl, DAV, 'exclusive') ? 'exclusive' : null;
  const typeEl = child(body, DAV, 'locktype');
  if (!scope || !typeEl || !child(typeEl, DAV, 'write')) throw new DavError(400, 'a lock is a write lock, exclusive or shared');
  const ownerEl = child(body, DAV, 'owner');
  const owner = ownerEl ? ownerEl.children.map((c) => (typeof c === 'string' ? c.replace(/[&<>]/g, (x) => (x === '&' ? '&amp;' : x === '<' ? '&lt;' : '&gt;')) : serialize(c, null))).join('') : '';
  const depth = depthOf(req, 'infinity');
  if (depth === '1') throw new DavError(400, 'a lock has Depth 0 or infinity');
  const entry = node.entry;
  if (entry.kind === 'collection' || entry.kind === 'item') {
    if (!entry.rights.includes('write')) throw new DavError(403, 'the account may not lock what it may not change');
  } else if (entry.kind === 'missing' && !entry.parent.rights.includes('write')) {
    throw new DavError(403, 'the account may not add files here');
  }
  const existing = [...(await locksOn(ctx, node)), ...(depth === 'infinity' ? await locksBelow(ctx, node) : [])];
  const conflict = existing.find((l) => l.scope === 'exclusive' || scope === 'exclusive');
  if (conflict) {
    throw new DavError(423, 'the resource is already locked', { ns: DAV, name: 'no-conflicting-lock', inner: `<D:href>${conflict.root}</D:href>` });
  }
  let status = 200;
  if (entry.kind === 'missing') {
    // a lock on an unmapped URL makes an empty file there
    await ctx.core.files.write(entry, (async function* () { /* empty */ })(), { contentType: 'application/octet-stream', length: 0 });
    node = await ctx.resolve(node.href);
    status = 201;
  }
  const now = Date.now();
  const made: DavLock = {
    token: newToken(), anchorId: node.anchor!.anchorId, name: node.anchor!.name, depth: node.collection ? (depth === '0' ? '0' : 'infinity') : '0',
    scope, owner, accountId: ctx.account.id, root: node.href, timeoutSeconds: timeout, expiresAt: now + timeout * 1000, createdAt: now,
  };
  await ctx.core.locks.create(made);
  send(ctx, status, made, true);
}

export async function unlock(ctx: DavContext): Promise<void> {
  const header = ctx.req.headers['lock-token'] === undefined ? undefined : String(ctx.req.headers['lock-token']);
  const token = header ? /^<([^>]+)>$/.exec(header.trim())?.[1] : undefined;
  if (!token) throw new DavError(400, 'the Lock-Token header is missing or malformed');
  const covering = await locksOn(ctx, ctx.node);
  const found = covering.find((l) => l.token === token);
  if (!found) throw new DavError(409, 'no lock with that token covers this resource', { ns: DAV, name: 'lock-token-matches-request-uri' });
  if (found.accountId !== ctx.account.id) throw new DavError(403, 'the lock belongs to someone else');
  await ctx.core.locks.release(token);
  ctx.res.writeHead(204);
  ctx.res.end();
}

