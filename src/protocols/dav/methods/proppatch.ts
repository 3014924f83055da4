// PROPPATCH (RFC 4918 section 9.2): sets and removes dead properties, in
// document order, all or nothing. Live properties are protected.
import type { DavContext } from '../context.ts';
import { DavError } from '../errors.ts';
import { readXml } from '../body.ts';
import { checkWrite } from '../locks.ts';
import { responseXml, sendMultistatus } from '../multistatus.ts';
import { PROTECTED } from '../props.ts';
import { DAV, clark, elements, is, serialize } from '../xml.ts';

export async function proppatch(ctx: DavContext): Promise<void> {
  const body = await readXml(ctx.req);
  if (!body || !is(body, DAV, 'propertyupdate')) throw new DavError(400, 'the body is not a DAV:propertyupdate');
  const node = ctx.node;
  if (!node.exists) throw new DavError(404, 'the resource does not exist');
  if (node.entry.kind !== 'item' && node.entry.kind !== 'collection') throw new DavError(403, 'folders made by the server have no properties to change');
  await checkWrite(ctx, node, { membership: false, below: false });
  if (!node.entry.rights.includes('write')) throw new DavError(403, 'the account may not change this');
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const order: string[] = [];
  for (const op of elements(body)) {
    const setting = is(op, DAV, 'set');
    if (!setting && !is(op, DAV, 'remove')) throw new DavError(400, 'DAV:propertyupdate holds only DAV:set and DAV:remove');
    for (const prop of elements(op).filter((e) => is(e, DAV, 'prop'))) {
      for (const p of elements(prop)) {
        const key = clark(p.ns, p.name);
        order.push(key);
        if (setting) {
          set[key] = p.children.map((c) => (typeof c === 'string' ? c.replace(/[&<>]/g, (x) => (x === '&' ? '&amp;' : x === '<' ? '&lt;' : '&gt;')) : serialize(c, null))).join('');
          const i = remove.indexOf(key);
          if (i >= 0) remove.splice(i, 1);
        } else {
          delete set[key];
          if (!remove.includes(key)) remove.push(key);
        }
      }
    }
  }
  const refused = order.filter((k) => PROTECTED.has(k));
  if (refused.length > 0) {
    const failed = new Map(refused.map((k) => [k, '']));
    const dependent = new Map(order.filter((k) => !PROTECTED.has(k)).map((k) => [k, '']));
    sendMultistatus(ctx.res, [responseXml(node.href, [
      { status: 403, props: failed, condition: '<D:cannot-modify-protected-property/>' },
      { status: 424, props: dependent },
    ])]);
    return;
  }
  await ctx.core.files.setProperties(node.entry, set, remove);
  sendMultistatus(ctx.res, [responseXml(node.href, [{ status: 200, props: new Map(order.map((k) => [k, ''])) }])]);
}
