// PUT: streams the body into the blob store (never whole in memory), checks
// the quota before and while it streams (507, nothing left behind), honours
// If-Match / If-None-Match and locks. 201 for a new file, 204 for a replaced one.
import type { DavContext } from '../context.ts';
import { DavError } from '../errors.ts';
import { checkWrite } from '../locks.ts';

export async function put(ctx: DavContext): Promise<void> {
  const { node, req, res } = ctx;
  const e = node.entry;
  if (node.collection) throw new DavError(405, 'a PUT cannot replace a folder');
  if (e.kind !== 'item' && e.kind !== 'missing') throw new DavError(405, 'nothing can be written here');
  if (req.headers['content-range']) throw new DavError(400, 'partial PUT (Content-Range) is not supported');
  await checkWrite(ctx, node, { membership: e.kind === 'missing', below: false });
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  const etag = e.kind === 'item' ? `"${e.item.etag}"` : null;
  if (ifMatch !== undefined) {
    const ok = ifMatch.split(',').map((s) => s.trim()).some((t) => (t === '*' && etag !== null) || t === etag);
    if (!ok) throw new DavError(412, 'If-Match does not hold');
  }
  if (ifNoneMatch !== undefined) {
    const hit = ifNoneMatch.split(',').map((s) => s.trim()).some((t) => (t === '*' && etag !== null) || t === etag);
    if (hit) throw new DavError(412, 'If-None-Match does not hold');
  }
  const length = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) throw new DavError(400, 'the Content-Length is not a byte count');
  const type = (req.headers['content-type'] ?? 'application/octet-stream').slice(0, 200);
  const { item, created } = await ctx.core.files.write(e, req as AsyncIterable<Uint8Array>, {
    contentType: type,
    ...(length !== undefined ? { length } : {}),
    // a client's If-Match / If-None-Match, checked above, is held to until the write commits
    ...(e.kind === 'item' && ifMatch !== undefined && ifMatch.trim() !== '*' ? { ifMatch: e.item.etag } : {}),
    ...(e.kind === 'missing' && ifNoneMatch !== undefined ? { ifNoneMatch: true } : {}),
  });
  res.writeHead(created ? 201 : 204, { etag: `"${item.etag}"`, 'content-length': 0 });
  res.end();
}
