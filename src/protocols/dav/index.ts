// The DAV door: one dispatcher for the drive (and, later, calendars and
// address books), with the methods as small modules. It authenticates, loads
// the account's view of the drive once, resolves the request's resource, and
// turns every error into the DAV way of saying it. Never an HTML error page.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../../core/index.ts';
import { NotFound } from '../../core/errors.ts';
import { ClientGone } from './answer-stream.ts';
import { authenticate } from './auth.ts';
import { discard } from './body.ts';
import { makeContext, resolveNode, type DavOptions } from './context.ts';
import { DavError, fromCore, sendError } from './errors.ts';
import { copyMove } from './methods/copymove.ts';
import { del } from './methods/delete.ts';
import { get } from './methods/get.ts';
import { lock, unlock } from './methods/lock.ts';
import { mkcol } from './methods/mkcol.ts';
import { propfind } from './methods/propfind.ts';
import { proppatch } from './methods/proppatch.ts';
import { put } from './methods/put.ts';

export type { DavOptions } from './context.ts';

const METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK'];
/** Methods that may name a resource whose folder exists but which does not (yet). */
const CREATING = new Set(['PUT', 'MKCOL', 'LOCK']);

function options(res: ServerResponse): void {
  res.writeHead(200, {
    dav: '1, 2, 3',
    allow: METHODS.join(', '),
    'ms-author-via': 'DAV',
    'accept-ranges': 'bytes',
    'content-length': 0,
  });
  res.end();
}

export interface DavLogger {
  warn(message: string): void;
}

export function davHandler(core: Core, opts: DavOptions, log: DavLogger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? '').toUpperCase();
    const head = method === 'HEAD';
    try {
      if (method === 'OPTIONS') {
        await discard(req);
        options(res);
        return;
      }
      if (!METHODS.includes(method)) throw new DavError(405, `${method.slice(0, 20)} is not a method of this server`);
      const account = await authenticate(core, req);
      const view = await core.files.view(account);
      let node;
      try {
        node = await resolveNode(view, opts.mount, req.url ?? '/');
      } catch (err) {
        if (err instanceof DavError && err.status === 409 && !CREATING.has(method)) throw new DavError(404, 'the resource does not exist');
        if (err instanceof NotFound && CREATING.has(method)) throw new DavError(409, err.message);
        throw err;
      }
      // In a folder the account may only add to (a drop box), nothing but a new
      // file can be asked for: the same 403 for every name, there or not.
      if (node.entry.kind === 'missing' && !node.entry.parent.rights.includes('read') && method !== 'PUT') {
        throw new DavError(403, 'files can be added to this folder, but nothing in it can be listed, read or changed');
      }
      const ctx = makeContext(req, res, core, opts, account, view, node);
      switch (method) {
        case 'GET': return await get(ctx, false);
        case 'HEAD': return await get(ctx, true);
        case 'PUT': return await put(ctx);
        case 'DELETE': return await del(ctx);
        case 'MKCOL': return await mkcol(ctx);
        case 'COPY': return await copyMove(ctx, false);
        case 'MOVE': return await copyMove(ctx, true);
        case 'PROPFIND': return await propfind(ctx);
        case 'PROPPATCH': return await proppatch(ctx);
        case 'LOCK': return await lock(ctx);
        case 'UNLOCK': return await unlock(ctx);
      }
    } catch (err) {
      // A client that went away in the middle of its request (an abandoned
      // upload, or a listing it stopped reading) is no server failure:
      // nothing to log, nobody to answer. (When the server itself stopped
      // reading a body, e.g. 413 or 507, the stream let go of the socket,
      // which stays open for the answer.)
      if ((!req.complete && req.socket?.destroyed) || err instanceof ClientGone) {
        res.destroy();
        return;
      }
      const e = fromCore(err);
      // a server failure is logged; 502 (a Destination elsewhere) and 507 (over quota) are the client's
      if (e.status === 500 || e.status === 503) log.warn(`dav ${method} ${String(req.url).slice(0, 200)}: ${(err as Error).stack ?? String(err)}`);
      // whatever of the body was not read is drained, so that the connection can serve the next request
      if (!req.readableEnded && !res.headersSent) {
        if (e.status === 413 || e.status === 507) res.setHeader('connection', 'close');
        else await discard(req).catch(() => undefined);
      }
      sendError(res, e, head);
    }
  };
}
