// COPY and MOVE (RFC 4918 sections 9.8, 9.9): Destination on this drive,
// Overwrite (T by default), Depth (COPY: 0 or infinity; MOVE: infinity).
// Across spaces where rights allow; the destination's quota applies.
import type { DavContext } from '../context.ts';
import { depthOf } from '../context.ts';
import { DavError } from '../errors.ts';
import { discard } from '../body.ts';
import { checkWrite, ifOf, locksOn, requireTokens, evaluateIf } from '../locks.ts';

export async function copyMove(ctx: DavContext, move: boolean): Promise<void> {
  const { node, req, res } = ctx;
  await discard(req);
  const destination = req.headers.destination === undefined ? undefined : String(req.headers.destination);
  if (!destination) throw new DavError(400, 'the Destination header is missing');
  if (/^https?:\/\//i.test(destination)) {
    let host: string;
    try {
      host = new URL(destination).host;
    } catch {
      // (new URL throws on a malformed authority: a client error, not a server failure)
      throw new DavError(400, 'the Destination is not a URL');
    }
    if (req.headers.host && host.toLowerCase() !== req.headers.host.toLowerCase()) throw new DavError(502, 'the Destination is on another server');
  }
  const overwriteHeader = String(req.headers.overwrite ?? 'T').trim().toUpperCase();
  if (overwriteHeader !== 'T' && overwriteHeader !== 'F') throw new DavError(400, 'Overwrite is T or F');
  const depth = depthOf(req, 'infinity');
  if (depth === '1' || (move && depth !== 'infinity')) throw new DavError(400, `Depth ${depth} is not allowed for ${move ? 'MOVE' : 'COPY'}`);
  if (!node.exists) throw new DavError(404, 'the source does not exist');
  const target = await ctx.resolve(destination);
  if (target.href === node.href) throw new DavError(403, 'the source and the destination are the same');
  if (node.collection && target.href.startsWith(node.href)) throw new DavError(403, 'a folder cannot be copied or moved into itself');
  if (move) await checkWrite(ctx, node, { membership: true, below: node.collection });
  else await evaluateIf(ctx, ifOf(ctx));
  // the destination's locks (and its folder's membership) must have been submitted too
  const check = ifOf(ctx);
  requireTokens(ctx, check, await locksOn(ctx, target, true));
  const { created } = await ctx.core.files.transfer(ctx.view, node.entry, target.entry, {
    move, overwrite: overwriteHeader === 'T', depth: depth === '0' ? 0 : 'infinity',
  });
  if (move && node.anchor && node.entry.kind === 'item') await ctx.core.locks.forget(node.anchor.anchorId, node.anchor.name);
  res.writeHead(created ? 201 : 204, { 'content-length': 0 });
  res.end();
}
