// What every DAV method receives: the request and response, the account and
// its drive view (loaded once per request), the parsed path, and helpers to
// resolve further paths (a Destination, a tagged If list).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../../core/index.ts';
import type { DriveView } from '../../core/files/drive.ts';
import { NotFound } from '../../core/errors.ts';
import type { Account } from '../../core/types.ts';
import { DavError } from './errors.ts';
import { LockCache } from './locks.ts';
import { nodeOf, type DavNode } from './node.ts';
import { parsePath } from './paths.ts';

export interface DavOptions {
  /** URL path the drive is mounted at, e.g. '/files/' */
  readonly mount: string;
  /** whether PROPFIND may ask Depth: infinity */
  readonly depthInfinity: boolean;
}

export interface DavContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly core: Core;
  readonly options: DavOptions;
  readonly account: Account;
  readonly view: DriveView;
  /** the request's resource */
  readonly node: DavNode;
  /** locks read for this request */
  readonly locks: LockCache;
  /** resolves another path under the mount (Destination, If tags); throws DavError 409 when a parent folder is missing */
  resolve(rawPath: string): Promise<DavNode>;
}

export async function resolveNode(view: DriveView, mount: string, rawPath: string): Promise<DavNode> {
  const path = parsePath(rawPath, mount);
  try {
    const entry = await view.resolve(path.segments);
    return nodeOf(mount, path.segments, entry);
  } catch (err) {
    if (err instanceof NotFound && path.segments.length > 1) {
      // is it the resource or a folder on the way that is missing?
      let parent;
      try {
        parent = await view.resolve(path.segments.slice(0, -1));
      } catch (inner) {
        if (inner instanceof NotFound) throw new DavError(409, 'a folder on the path does not exist', null);
        throw inner;
      }
      if (parent.kind === 'missing') throw new DavError(409, 'a folder on the path does not exist', null);
    }
    throw err;
  }
}

export function makeContext(
  req: IncomingMessage, res: ServerResponse, core: Core, options: DavOptions, account: Account, view: DriveView, node: DavNode,
): DavContext {
  return {
    req, res, core, options, account, view, node, locks: new LockCache(core),
    resolve: (raw) => resolveNode(view, options.mount, raw),
  };
}

/** The Depth header: 0, 1 or infinity; `fallback` when absent. */
export function depthOf(req: IncomingMessage, fallback: '0' | '1' | 'infinity'): '0' | '1' | 'infinity' {
  const d = req.headers.depth;
  if (d === undefined) return fallback;
  const v = String(d).trim().toLowerCase();
  if (v === '0' || v === '1' || v === 'infinity') return v;
  throw new DavError(400, `the Depth header ${JSON.stringify(String(d).slice(0, 20))} is not 0, 1 or infinity`);
}
