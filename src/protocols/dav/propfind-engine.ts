// PROPFIND for any tree of the DAV core (RFC 4918 section 9.1): parses the
// request (allprop with include, propname, or named properties), walks the
// tree to the asked depth, and streams the 207 answer entry by entry, so a
// folder of 10,000 files never becomes one string in memory.
import type { ServerResponse } from 'node:http';
import { DavError } from './errors.ts';
import { responseXml, type PropStat } from './multistatus.ts';
import { DAV, child, clark, elements, is, type XmlElement } from './xml.ts';

export type PropfindRequest = { readonly kind: 'allprop'; readonly include: readonly string[] } | { readonly kind: 'propname' } | { readonly kind: 'prop'; readonly names: readonly string[] };

/** What a tree offers the engine for one resource. */
export interface PropNode {
  readonly href: string;
  readonly collection: boolean;
  /** the live properties the resource has */
  liveNames(): readonly string[];
  /** those allprop returns (RFC 4331 leaves quota out, for one) */
  allpropNames(): readonly string[];
  /** a live property's inner XML, or undefined when the resource does not have it */
  live(key: string): Promise<string | undefined>;
  /** dead properties: Clark name → inner XML */
  dead(): Readonly<Record<string, string>>;
  /** the resources inside, for Depth 1 (each already filtered by what the account may see) */
  children(): Promise<PropNode[]>;
}

export function parsePropfind(body: XmlElement | null): PropfindRequest {
  if (body === null) return { kind: 'allprop', include: [] };
  if (!is(body, DAV, 'propfind')) throw new DavError(400, 'the body is not a DAV:propfind');
  const [first] = elements(body);
  if (!first) throw new DavError(400, 'DAV:propfind names neither allprop, propname nor prop');
  if (is(first, DAV, 'propname')) return { kind: 'propname' };
  if (is(first, DAV, 'allprop')) {
    const include = child(body, DAV, 'include');
    return { kind: 'allprop', include: include ? elements(include).map((e) => clark(e.ns, e.name)) : [] };
  }
  if (is(first, DAV, 'prop')) return { kind: 'prop', names: elements(first).map((e) => clark(e.ns, e.name)) };
  throw new DavError(400, 'DAV:propfind names neither allprop, propname nor prop');
}

export async function describeNode(node: PropNode, request: PropfindRequest): Promise<string> {
  const dead = node.dead();
  const found = new Map<string, string>();
  const missing = new Map<string, string>();
  if (request.kind === 'propname') {
    for (const k of [...node.liveNames(), ...Object.keys(dead)]) found.set(k, '');
    return responseXml(node.href, [{ status: 200, props: found }]);
  }
  const wanted = request.kind === 'prop' ? request.names : [...new Set([...node.allpropNames(), ...Object.keys(dead), ...request.include])];
  for (const key of wanted) {
    const live = await node.live(key);
    if (live !== undefined) found.set(key, live);
    else if (key in dead) found.set(key, dead[key]!);
    else missing.set(key, '');
  }
  const stats: PropStat[] = [{ status: 200, props: found }, { status: 404, props: missing }];
  return responseXml(node.href, stats);
}

/**
 * Answers 207 for the node and, down to `depth`, what is inside it. The
 * head is sent once the first entry is ready; an error after that can only
 * cut the connection, which a client reads as a failed request.
 */
export async function sendPropfind(res: ServerResponse, root: PropNode, request: PropfindRequest, depth: number): Promise<void> {
  const first = await describeNode(root, request);
  res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' });
  res.write(`<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${first}`);
  const queue: { node: PropNode; level: number }[] = [{ node: root, level: 0 }];
  while (queue.length > 0) {
    const { node, level } = queue.shift()!;
    if (level >= depth || !node.collection) continue;
    let batch = '';
    for (const c of await node.children()) {
      batch += await describeNode(c, request);
      if (batch.length > 65_536) {
        if (!res.write(batch)) await new Promise((r) => res.once('drain', r));
        batch = '';
      }
      if (c.collection) queue.push({ node: c, level: level + 1 });
    }
    if (batch) res.write(batch);
  }
  res.end('</D:multistatus>\n');
}
