// The CalDAV/CardDAV door, mounted at /dav/ (layout in tree.ts), and the
// RFC 6764 well-known addresses. It authenticates, works out what the path
// names for this account (fresh each request), and hands the request to
// the method's module; every error goes out the DAV way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../../../core/index.ts';
import { authenticate } from '../auth.ts';
import { discard, readXml } from '../body.ts';
import { depthOf } from '../context.ts';
import { DavError, fromCore, sendError } from '../errors.ts';
import { parsePath } from '../paths.ts';
import { parsePropfind, sendPropfind, type PropNode } from '../propfind-engine.ts';
import { deleteCollection, makeCollection, proppatchCollection } from './collections.ts';
import { deleteObject, getObject, putObject } from './objects.ts';
import { postOutbox } from './outbox.ts';
import { collectionNode, homeNode, itemNode, outboxNode, principalNode, rootNode } from './props.ts';
import { report } from './reports.ts';
import { entryOf, MOUNT, objectHref, principalHref, targetOf } from './tree.ts';

const METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', 'PROPFIND', 'PROPPATCH', 'REPORT', 'MKCOL', 'MKCALENDAR', 'POST'];

export interface GroupwareLogger {
  warn(message: string): void;
}

function options(res: ServerResponse): void {
  res.writeHead(200, {
    dav: '1, 3, calendar-access, addressbook, extended-mkcol, calendar-auto-schedule',
    allow: METHODS.join(', '),
    'content-length': 0,
  });
  res.end();
}

export function groupwareHandler(core: Core, log: GroupwareLogger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? '').toUpperCase();
    const path = (req.url ?? '/').split('?')[0]!;
    try {
      if (method === 'PROPFIND' && (path === '/' || path.startsWith('/.well-known/'))) {
        // clients that ask the server's root or the well-known URL itself (python caldav,
        // clients that do not follow a redirect with their body) get the principal there
        const account = await authenticate(core, req);
        const request = parsePropfind(await readXml(req));
        await sendPropfind(res, { ...rootNode(account), href: path }, request, 0);
        return;
      }
      if (path.startsWith('/.well-known/')) {
        await discard(req);
        // RFC 6764 §5: the context path; clients then find the principal by PROPFIND on it
        res.writeHead(301, { location: MOUNT, 'content-length': 0 });
        res.end();
        return;
      }
      if (method === 'OPTIONS') {
        await discard(req);
        options(res);
        return;
      }
      if (!METHODS.includes(method)) throw new DavError(405, `${method.slice(0, 20)} is not a method of this server`);
      const account = await authenticate(core, req);
      const { segments, trailingSlash } = parsePath(req.url ?? '/', MOUNT);
      const target = targetOf(account, segments);
      switch (target.kind) {
        case 'root':
        case 'principals':
        case 'principal':
        case 'outbox':
        case 'home': {
          if (method === 'PROPFIND') {
            const depth = depthOf(req, '0');
            const request = parsePropfind(await readXml(req));
            let node: PropNode;
            if (target.kind === 'principal') node = principalNode(account);
            else if (target.kind === 'outbox') node = outboxNode(account);
            else if (target.kind === 'home') node = homeNode(core, account, target.home);
            else node = rootNode(account);
            if (target.kind === 'principals') {
              const p = principalNode(account);
              node = { ...rootNode(account), href: '/dav/principals/', children: async () => [p] };
            }
            await sendPropfind(res, node, request, depth === '0' ? 0 : 1);
            return;
          }
          if (method === 'POST' && target.kind === 'outbox') return await postOutbox(core, account, req, res);
          if (method === 'GET' || method === 'HEAD') {
            await discard(req);
            const body = `Bureau calendars and contacts. Principal: ${principalHref(account)}\n`;
            res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
            res.end(method === 'HEAD' ? undefined : body);
            return;
          }
          if (method === 'PROPPATCH') throw new DavError(403, 'these properties are the server\'s', { ns: 'DAV:', name: 'cannot-modify-protected-property' });
          throw new DavError(405, `${method} is not allowed here`);
        }
        case 'collection': {
          const r = { core, account, req, res, home: target.home, segment: target.segment };
          switch (method) {
            case 'PROPFIND': {
              const depth = depthOf(req, '0');
              const request = parsePropfind(await readXml(req));
              const entry = await entryOf(core, account, target.home, target.segment);
              await sendPropfind(res, collectionNode(core, account, target.home, entry), request, depth === '0' ? 0 : 1);
              return;
            }
            case 'PROPPATCH': return await proppatchCollection(r);
            case 'MKCALENDAR':
            case 'MKCOL': return await makeCollection(r, method);
            case 'DELETE': return await deleteCollection(r);
            case 'REPORT': return await report(r);
            case 'GET':
            case 'HEAD': {
              await discard(req);
              await entryOf(core, account, target.home, target.segment);
              res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': 0 });
              res.end();
              return;
            }
            case 'PUT':
              // a PUT on "home/name" without a trailing slash would name a collection here
              if (!trailingSlash) throw new DavError(405, 'objects are put inside a calendar or an address book, not in the home');
              throw new DavError(405, 'a collection cannot be replaced by PUT');
            default: throw new DavError(405, `${method} is not allowed on a collection`);
          }
        }
        case 'object': {
          const o = { core, account, req, res, home: target.home, segment: target.segment, name: target.name };
          switch (method) {
            case 'GET': return await getObject(o, false);
            case 'HEAD': return await getObject(o, true);
            case 'PUT': return await putObject(o);
            case 'DELETE': return await deleteObject(o);
            case 'PROPFIND': {
              const request = parsePropfind(await readXml(req));
              const entry = await entryOf(core, account, target.home, target.segment);
              const got = target.home === 'calendars' ? await core.calendar.get(account.id, entry.collection.id, target.name) : await core.contacts.get(account.id, entry.collection.id, target.name);
              const node: PropNode = itemNode(account, target.home, target.segment, got.item);
              await sendPropfind(res, node, request, 0);
              return;
            }
            case 'MKCOL':
            case 'MKCALENDAR': throw new DavError(405, 'collections are made in the home');
            default: throw new DavError(405, `${method} is not allowed on an object`);
          }
        }
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || res.destroyed) {
        res.destroy();
        return;
      }
      const e = err instanceof DavError ? err : fromCore(err);
      if (e.status >= 500) log.warn(`dav ${method} ${path.slice(0, 200)}: ${(err as Error)?.stack ?? String(err)}`);
      if (!req.complete) req.resume();
      sendError(res, e, method === 'HEAD');
    }
  };
}
