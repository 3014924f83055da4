// DELETE (RFC 4918 section 9.6): a file, or a folder with everything in it.
// Locks on the resource, below it, and on its folder's membership must have
// been submitted. Locks on what was deleted go with it.
import type { DavContext } from '../context.ts';
import { depthOf } from '../context.ts';
import { DavError } from '../errors.ts';
import { discard } from '../body.ts';
import { checkWrite } from '../locks.ts';

export async function del(ctx: DavContext): Promise<void> {
  const { node, res } = ctx;
  await discard(ctx.req);
  if (!node.exists) throw new DavError(404, 'there is nothing to delete');
  if (node.collection && depthOf(ctx.req, 'infinity') !== 'infinity') throw new DavError(400, 'a folder is deleted with Depth: infinity only');
  await checkWrite(ctx, node, { membership: true, below: node.collection });
  await ctx.core.files.delete(node.entry);
  if (node.anchor && node.entry.kind === 'item') await ctx.core.locks.forget(node.anchor.anchorId, node.anchor.name);
  res.writeHead(204);
  res.end();
}
