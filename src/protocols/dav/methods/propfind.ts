// PROPFIND (RFC 4918 section 9.1): allprop (with include), propname, or a
// list of properties; Depth 0 and 1, infinity only when the operator allows.
import type { DavContext } from '../context.ts';
import { depthOf } from '../context.ts';
import { DavError } from '../errors.ts';
import { readXml } from '../body.ts';
import { childNodeOf, type DavNode } from '../node.ts';
import { parsePropfind, sendPropfind, type LiveValue, type PropNode } from '../propfind-engine.ts';
import { allpropNames, deadProps, liveNames, liveValue } from '../props.ts';
import { DAV } from '../xml.ts';

/** how deep Depth: infinity goes, where the operator allows it */
const MAX_TREE_DEPTH = 64;

/** A drive entry as the PROPFIND engine sees it (a listing makes one per entry, each dropped once written). */
class DriveNode implements PropNode {
  private readonly ctx: DavContext;
  private readonly node: DavNode;
  constructor(ctx: DavContext, node: DavNode) {
    this.ctx = ctx;
    this.node = node;
  }
  get href(): string {
    return this.node.href;
  }
  get collection(): boolean {
    return this.node.collection;
  }
  liveNames(): readonly string[] {
    return liveNames(this.node);
  }
  allpropNames(): readonly string[] {
    return allpropNames(this.node);
  }
  live(key: string): LiveValue {
    return liveValue(this.ctx, this.node, key);
  }
  dead(): Readonly<Record<string, string>> {
    return deadProps(this.node);
  }
  /** The entries page by page as core reads them (a folder of 10,000 files is never in memory at once), with their locks read a page at a time. */
  async *children(): AsyncGenerator<Iterable<PropNode>> {
    const { ctx, node } = this;
    // the locks of every entry: those anchored on this folder and its ancestors, then each page's sub-folders, one query a page
    const chain = node.anchor ? await ctx.locks.chain(node.anchor.anchorId) : [];
    let first = true;
    for await (const entries of ctx.view.childPages(node.entry)) {
      const anchors: number[] = first ? [...chain] : [];
      first = false;
      for (const e of entries) {
        if (e.kind !== 'collection') continue;
        anchors.push(e.collection.id);
        // a sub-folder's chain is this folder's and itself: no query each
        if (node.anchor && e.collection.parentId === node.anchor.anchorId) ctx.locks.knowChain(e.collection.id, [...chain, e.collection.id]);
      }
      await ctx.locks.anchored(anchors);
      yield entries.map((e) => new DriveNode(ctx, childNodeOf(node, e)));
    }
  }
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
  await sendPropfind(ctx.res, new DriveNode(ctx, node), request, depth === '0' ? 0 : depth === '1' ? 1 : MAX_TREE_DEPTH);
}
