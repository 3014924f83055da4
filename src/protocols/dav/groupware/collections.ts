// Collections in a home: MKCALENDAR (RFC 4791 §5.3.1), extended MKCOL
// (RFC 5689) for calendars and address books, PROPPATCH of their properties,
// and DELETE. Each asks core/acl: a new collection needs `write` on the
// account's own space; a change needs `write` on the collection; a deletion
// needs `delete` on an own collection or `admin` on a group's, and the
// default collections are never deleted.
import type { Core } from '../../../core/index.ts';
import { authorize } from '../../../core/acl.ts';
import { collectionResource, ensure } from '../../../core/access.ts';
import { DIRECTORY_ROLE } from '../../../core/defaults.ts';
import type { Account } from '../../../core/types.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readXml } from '../body.ts';
import { DavError } from '../errors.ts';
import { responseXml, sendMultistatus } from '../multistatus.ts';
import { clark, DAV, elements, is, serialize, textOf, type XmlElement } from '../xml.ts';
import { groupwareError } from './errors.ts';
import { P, TEXT_PROPS } from './props.ts';
import { RESERVED_HOME_SEGMENT } from '../../../core/home-segments.ts';
import { CALDAV, CARDDAV, entryOf, toolOf, type HomeKind } from './tree.ts';

export interface CollectionRequest {
  readonly core: Core;
  readonly account: Account;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly home: HomeKind;
  readonly segment: string;
}

const PROTECTED = new Set([P.resourcetype, P.ctag, P.syncToken, P.getetag, P.privileges, P.supportedReports, P.owner, P.quotaUsed, P.quotaAvailable,
  P.supportedCalendarData, P.supportedAddressData, P.calendarMaxSize, P.addressbookMaxSize, P.currentUserPrincipal]);

/** A property set by a client, as the collection's props keep it: plain text for the known ones, inner XML under the Clark name for the rest. */
function propValue(p: XmlElement): [string, string] {
  const key = clark(p.ns, p.name);
  if (key in TEXT_PROPS) return [TEXT_PROPS[key]!, textOf(p).trim() === '' && key !== P.calendarTimezone ? '' : (key === P.calendarTimezone ? textOf(p) : textOf(p).trim())];
  if (key === P.components) {
    const comps = elements(p).filter((e) => is(e, CALDAV, 'comp')).map((e) => (e.attributes.name ?? '').toUpperCase());
    const bad = comps.filter((x) => x !== 'VEVENT' && x !== 'VTODO');
    if (comps.length === 0 || bad.length > 0) throw new DavError(403, 'a calendar holds VEVENT and VTODO components', { ns: CALDAV, name: 'supported-calendar-component' });
    return ['components', comps.join(',')];
  }
  return [key, p.children.map((c) => (typeof c === 'string' ? c.replace(/[&<>]/g, (x) => (x === '&' ? '&amp;' : x === '<' ? '&lt;' : '&gt;')) : serialize(c, null))).join('')];
}

async function collectSets(body: XmlElement | null, container: XmlElement | null): Promise<{ props: Record<string, string>; keys: string[]; resourcetypes: string[] }> {
  const props: Record<string, string> = {};
  const keys: string[] = [];
  const resourcetypes: string[] = [];
  if (!body || !container) return { props, keys, resourcetypes };
  for (const op of elements(container).filter((e) => is(e, DAV, 'set'))) {
    for (const prop of elements(op).filter((e) => is(e, DAV, 'prop'))) {
      for (const p of elements(prop)) {
        const key = clark(p.ns, p.name);
        if (key === P.resourcetype) {
          resourcetypes.push(...elements(p).map((e) => clark(e.ns, e.name)));
          continue;
        }
        keys.push(key);
        const [k, v] = propValue(p);
        props[k] = v;
      }
    }
  }
  return { props, keys, resourcetypes };
}

/** MKCALENDAR, or MKCOL with a body (extended MKCOL); a plain MKCOL in a home makes a collection of the home's kind. */
export async function makeCollection(r: CollectionRequest, method: 'MKCALENDAR' | 'MKCOL'): Promise<void> {
  const body = await readXml(r.req);
  const tool = toolOf(r.home);
  let container: XmlElement | null = null;
  if (body) {
    if (method === 'MKCALENDAR' && is(body, CALDAV, 'mkcalendar')) container = body;
    else if (method === 'MKCOL' && is(body, DAV, 'mkcol')) container = body;
    else throw new DavError(400, `the body is not a ${method === 'MKCALENDAR' ? 'CALDAV:mkcalendar' : 'DAV:mkcol'}`);
  }
  if (method === 'MKCALENDAR' && r.home !== 'calendars') throw new DavError(403, 'calendars are made in the calendar home', { ns: DAV, name: 'resource-must-be-null' });
  const { props, keys, resourcetypes } = await collectSets(body, container);
  if (method === 'MKCOL' && body) {
    const wanted = tool === 'calendar' ? clark(CALDAV, 'calendar') : clark(CARDDAV, 'addressbook');
    const others = resourcetypes.filter((t) => t !== clark(DAV, 'collection') && t !== wanted);
    if (!resourcetypes.includes(wanted) || others.length > 0) {
      sendMultistatus(r.res, [responseXml(r.req.url ?? '', [
        { status: 403, props: new Map([[P.resourcetype, '']]), condition: '<D:valid-resourcetype/>' },
        { status: 424, props: new Map(keys.map((k) => [k, ''])) },
      ])]);
      return;
    }
  }
  const refused = keys.filter((k) => PROTECTED.has(k));
  if (refused.length > 0) throw new DavError(403, `${refused[0]} cannot be set`, { ns: DAV, name: 'cannot-modify-protected-property' });
  if (RESERVED_HOME_SEGMENT.test(r.segment)) throw new DavError(403, `${r.segment} is a name the server gives to group and shared collections; choose another`);
  if (r.segment.length > 200 || /[\u0000-\u001f]/.test(r.segment)) throw new DavError(400, 'the name is not allowed');
  const existing = await r.core.store.listCollections(r.account.spaceId, tool, null);
  const taken = existing.some((c) => c.name === r.segment) || (await entryOf(r.core, r.account, r.home, r.segment).then(() => true, () => false));
  if (taken) throw new DavError(405, 'something already exists here', { ns: DAV, name: 'resource-must-be-null' });
  const principal = await r.core.access.principal(r.account.id);
  const own = await r.core.store.getSpace(r.account.spaceId);
  if (!own) throw new DavError(500, 'the account has no space');
  ensure(authorize(principal, 'write', { kind: 'space', space: { kind: 'account', accountId: r.account.id } }));
  if (!props.displayname) props.displayname = r.segment;
  try {
    await r.core.store.createCollection({ spaceId: r.account.spaceId, tool, parentId: null, name: r.segment, props });
  } catch (err) {
    throw groupwareError(err, tool);
  }
  r.res.writeHead(201, { 'content-length': 0 });
  r.res.end();
}

export async function proppatchCollection(r: CollectionRequest): Promise<void> {
  const body = await readXml(r.req);
  if (!body || !is(body, DAV, 'propertyupdate')) throw new DavError(400, 'the body is not a DAV:propertyupdate');
  const entry = await entryOf(r.core, r.account, r.home, r.segment);
  const href = r.req.url ?? '';
  const set: Record<string, string | null> = {};
  const order: string[] = [];
  let bad: string | null = null;
  for (const op of elements(body)) {
    const setting = is(op, DAV, 'set');
    if (!setting && !is(op, DAV, 'remove')) throw new DavError(400, 'DAV:propertyupdate holds only DAV:set and DAV:remove');
    for (const prop of elements(op).filter((e) => is(e, DAV, 'prop'))) {
      for (const p of elements(prop)) {
        const key = clark(p.ns, p.name);
        order.push(key);
        if (PROTECTED.has(key)) { bad ??= key; continue; }
        if (setting) {
          try {
            const [k, v] = propValue(p);
            set[k] = v;
          } catch {
            bad ??= key;
          }
        } else {
          set[TEXT_PROPS[key] ?? (key === P.components ? 'components' : key)] = null;
        }
      }
    }
  }
  const allowed = entry.collection !== null && entry.rights.includes('write');
  if (bad !== null || !allowed) {
    const failed = new Map(order.filter((k) => !allowed || k === bad).map((k) => [k, '']));
    const dependent = new Map(order.filter((k) => allowed && k !== bad).map((k) => [k, '']));
    sendMultistatus(r.res, [responseXml(href, [
      { status: 403, props: failed, ...(allowed ? { condition: '<D:cannot-modify-protected-property/>' } : { description: 'the account may not change this collection' }) },
      { status: 424, props: dependent },
    ])]);
    return;
  }
  const principal = await r.core.access.principal(r.account.id);
  ensure(authorize(principal, 'write', await collectionResource(r.core.store, entry.collection)));
  await r.core.store.updateCollection(entry.collection.id, { props: set });
  sendMultistatus(r.res, [responseXml(href, [{ status: 200, props: new Map(order.map((k) => [k, ''])) }])]);
}

export async function deleteCollection(r: CollectionRequest): Promise<void> {
  const entry = await entryOf(r.core, r.account, r.home, r.segment);
  const c = entry.collection;
  if (c.role === DIRECTORY_ROLE) throw new DavError(403, 'a member directory cannot be deleted');
  if (c.role === 'default') throw new DavError(403, 'the default calendar and address book cannot be deleted');
  if (entry.kind === 'shared') throw new DavError(403, 'a collection shared with the account can only be deleted by its owner');
  const principal = await r.core.access.principal(r.account.id);
  ensure(authorize(principal, entry.kind === 'own' ? 'delete' : 'admin', await collectionResource(r.core.store, c)));
  await r.core.store.deleteCollection(c.id);
  r.res.writeHead(204);
  r.res.end();
}
