// PROPFIND (RFC 4918 section 9.1): allprop (with include), propname, or a
// list of properties; Depth 0 and 1, infinity only when the operator allows.
import type { DavContext } from '../context.ts';
import { depthOf } from '../context.ts';
import { DavError } from '../errors.ts';
import { readXml } from '../body.ts';
import { nodeOf, type DavNode } from '../node.ts';
import { responseXml, sendMultistatus, type PropStat } from '../multistatus.ts';
import { ALLPROP_LIVE, deadProps, liveNames, liveValue } from '../props.ts';
import { DAV, child, clark, elements, is } from '../xml.ts';

type Request = { kind: 'allprop'; include: string[] } | { kind: 'propname' } | { kind: 'prop'; names: string[] };

function parseRequest(body: Awaited<ReturnType<typeof readXml>>): Request {
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

async function describe(ctx: DavContext, node: DavNode, request: Request): Promise<string> {
  const dead = deadProps(node);
  const found = new Map<string, string>();
  const missing = new Map<string, string>();
  if (request.kind === 'propname') {
    for (const k of [...liveNames(node), ...Object.keys(dead)]) found.set(k, '');
    return responseXml(node.href, [{ status: 200, props: found }]);
  }
  const wanted = request.kind === 'prop' ? request.names
    : [...new Set([...ALLPROP_LIVE.filter((k) => liveNames(node).includes(k)), ...Object.keys(dead), ...request.include])];
  for (const key of wanted) {
    const live = await liveValue(ctx, node, key);
    if (live !== undefined) found.set(key, live);
    else if (key in dead) found.set(key, dead[key]!);
    else missing.set(key, '');
  }
  const stats: PropStat[] = [{ status: 200, props: found }, { status: 404, props: missing }];
  return responseXml(node.href, stats);
}

export async function propfind(ctx: DavContext): Promise<void> {
  const depth = depthOf(ctx.req, 'infinity');
  if (depth === 'infinity' && !ctx.options.depthInfinity) {
    throw new DavError(403, 'PROPFIND with Depth: infinity is turned off on this server; ask Depth 1', { ns: DAV, name: 'propfind-finite-depth' });
  }
  const request = parseRequest(await readXml(ctx.req));
  const node = ctx.node;
  if (!node.exists) throw new DavError(404, `${node.segments.at(-1) ?? ''} does not exist`);
  if ((node.entry.kind === 'collection' || node.entry.kind === 'item') && !node.entry.rights.includes('read') && !node.entry.rights.includes('deposit')) {
    throw new DavError(403, 'the account may not see this');
  }
  const responses = [await describe(ctx, node, request)];
  const queue: { node: DavNode; level: number }[] = [{ node, level: 0 }];
  const max = depth === '0' ? 0 : depth === '1' ? 1 : 64;
  while (queue.length > 0) {
    const { node: parent, level } = queue.shift()!;
    if (level >= max || !parent.collection) continue;
    for (const entry of await ctx.view.children(parent.entry)) {
      const n = nodeOf(ctx.options.mount, [...parent.segments, entry.name], entry);
      responses.push(await describe(ctx, n, request));
      if (n.collection) queue.push({ node: n, level: level + 1 });
    }
  }
  sendMultistatus(ctx.res, responses);
}
