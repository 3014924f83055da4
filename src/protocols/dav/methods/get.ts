// GET and HEAD: a file's bytes streamed from the blob store, with a single
// byte range (206), conditional requests (304, 412), ETag and Last-Modified.
// A folder answers a small HTML index for browsers.
import { pipeline } from 'node:stream/promises';
import type { DavContext } from '../context.ts';
import { DavError } from '../errors.ts';
import { esc } from '../xml.ts';
import { encodeSegment } from '../paths.ts';

function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // several ranges or another unit: the whole file
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

const matches = (header: string, etag: string): boolean =>
  header.split(',').map((s) => s.trim().replace(/^W\//, '')).some((t) => t === '*' || t === etag);

export async function get(ctx: DavContext, head: boolean): Promise<void> {
  const { node, res, req } = ctx;
  const e = node.entry;
  if (e.kind === 'missing') throw new DavError(404, `${e.name} does not exist`);
  if (e.kind !== 'item') {
    if (e.kind === 'collection' && !e.rights.includes('read')) throw new DavError(403, 'the account may not list this folder');
    const children = await ctx.view.children(e);
    const rows = children.map((c) => {
      const isDir = c.kind !== 'item';
      return `<li><a href="${esc(encodeSegment(c.name))}${isDir ? '/' : ''}">${esc(c.name)}${isDir ? '/' : ''}</a></li>`;
    }).join('');
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(node.href)}</title></head><body><h1>${esc(node.href)}</h1><ul>${rows}</ul></body></html>\n`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'content-security-policy': "default-src 'none'" });
    res.end(head ? undefined : body);
    return;
  }
  const item = await ctx.core.files.read(e);
  const etag = `"${item.etag}"`;
  const lastModified = new Date(item.updatedAt).toUTCString();
  const ifMatch = req.headers['if-match'];
  if (ifMatch && !matches(ifMatch, etag)) throw new DavError(412, 'If-Match does not hold');
  const ifNoneMatch = req.headers['if-none-match'];
  const ifModifiedSince = req.headers['if-modified-since'];
  const common = { etag, 'last-modified': lastModified, 'accept-ranges': 'bytes' };
  if ((ifNoneMatch && matches(ifNoneMatch, etag))
    || (!ifNoneMatch && ifModifiedSince && Date.parse(ifModifiedSince) >= Math.floor(item.updatedAt / 1000) * 1000)) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag && ifRange !== lastModified ? null : parseRange(req.headers.range, item.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'content-range': `bytes */${item.size}`, 'content-type': 'text/plain; charset=utf-8', ...common });
    res.end(head ? undefined : 'the range is outside the file\n');
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': item.contentType, ...common };
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${item.size}`;
    headers['content-length'] = range.end - range.start + 1;
    res.writeHead(206, headers);
  } else {
    headers['content-length'] = item.size;
    res.writeHead(200, headers);
  }
  if (head || item.size === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(await ctx.core.files.stream(e, range ?? undefined), res);
  } catch (err) {
    // the client went away before the end: nothing more to say to it
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}
