// MKCOL (RFC 4918 section 9.3): a new folder; 405 where something exists,
// 409 without a parent folder, 415 with a body (no extended MKCOL on the drive).
import type { DavContext } from '../context.ts';
import { DavError } from '../errors.ts';
import { discard } from '../body.ts';
import { checkWrite } from '../locks.ts';

export async function mkcol(ctx: DavContext): Promise<void> {
  const { node, req, res } = ctx;
  const length = Number(req.headers['content-length'] ?? 0);
  const bodySize = await discard(req);
  if (bodySize > 0 || length > 0 || req.headers['transfer-encoding']) throw new DavError(415, 'MKCOL with a body is not supported on the drive');
  if (node.exists) throw new DavError(405, 'something already exists here');
  await checkWrite(ctx, node, { membership: true, below: false });
  await ctx.core.files.mkdir(node.entry);
  res.writeHead(201, { 'content-length': 0 });
  res.end();
}
