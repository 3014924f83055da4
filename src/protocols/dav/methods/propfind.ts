// PROPFIND (RFC 4918 section 9.1): allprop (with include), propname, or a
// list of properties; Depth 0 and 1, infinity only when the operator allows.
import type { DavContext } from '../context.ts';
import { depthOf } from '../context.ts';
import { DavError } from '../errors.ts';
import { readXml } from '../body.ts';
import { nodeOf, type DavNode } from '../node.ts';
import { parsePropfind, sendPropfind, type PropNode } from '../propfind-engine.ts';
import { ALLPROP_LIVE, deadProps, liveNames, liveValue } from '../props.ts';
import { DAV } from '../xml.ts';

/** how deep Depth: infinity goes, where the operator allows it */
const MAX_TREE_DEPTH = 64;

/** A drive entry as the PROPFIND engine sees it. */
function propNode(ctx: DavContext, node: DavNode): PropNode {
  return {
    href: node.href,
    collection: node.collection,
    liveNames: () => liveNames(node),
    allpropNames: () => ALLPROP_LIVE.filter((k) => liveNames(node).includes(k)),
    live: (key) => liveValue(ctx, node, key),
    dead: () => deadProps(node),
    children: async () => {
      const nodes = (await ctx.view.children(node.entry)).map((entry) => nodeOf(ctx.options.mount, [...node.segments, entry.name], entry));
      // the locks of every entry, in one query: those anchored on this folder, its ancestors and its sub-folders
      const anchors = nodes.flatMap((n) => (n.entry.kind === 'collection' ? [n.entry.collection.id] : []));
      if (node.anchor) anchors.push(...(await ctx.locks.chain(node.anchor.anchorId)));
      await ctx.locks.anchored(anchors);
      return nodes.map((n) => propNode(ctx, n));
    },
  };
}

export async function propfind(ctx: DavContext): Promise<void> {
  const depth = depthOf(ctx.req, 'infinity');
  if (depth === 'infinity' && !ctx.options.depthInfinity) {
    throw new DavError(403, 'PROPFIND with Depth: infinity is turned off on this server; ask Depth 1', { ns: DAV, name: 'propfind-finite-depth' });
  }
  const request = parsePropfind(await readXml(ctx.req));
  const node = ctx.node;
  if (!node.exists) throw new DavError(404, `${node.segments.at(-1) ?? ''} does not exist`);
  if ((node.entry.kind === 'collection' || node.entry.kind === 'item') && !node.entry.rights.includes('read') && !node.entry.rights.includes('deposit')) {
    throw new DavError(403, 'the account may not see this');
  }
  await sendPropfind(ctx.res, propNode(ctx, node), request, depth === '0' ? 0 : depth === '1' ? 1 : MAX_TREE_DEPTH);
}
