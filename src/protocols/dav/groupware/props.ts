// PROPFIND for the groupware tree: PropNode implementations for the root,
// the principal, the homes, each calendar or address book, and each object.
// Collection properties live in the collection's props: displayname, color,
// order, description, timezone, components as plain text; anything else a
// client sets is kept as a dead property under its Clark name.
import type { Core } from '../../../core/index.ts';
import type { Account, Item, Right } from '../../../core/types.ts';
import type { Children, PropNode } from '../propfind-engine.ts';
import { clark, DAV, esc } from '../xml.ts';
import {
  APPLE, CALDAV, CARDDAV, collectionHref, CS, homeEntries, homeHref, objectHref, objectSegment, outboxHref, principalHref, toolOf,
  type HomeEntry, type HomeKind,
} from './tree.ts';

const D = (n: string): string => clark(DAV, n);
const C = (n: string): string => clark(CALDAV, n);
const CR = (n: string): string => clark(CARDDAV, n);

export const P = {
  resourcetype: D('resourcetype'), displayname: D('displayname'), owner: D('owner'),
  currentUserPrincipal: D('current-user-principal'), principalUrl: D('principal-URL'), principalCollectionSet: D('principal-collection-set'),
  privileges: D('current-user-privilege-set'), supportedReports: D('supported-report-set'), syncToken: D('sync-token'),
  getetag: D('getetag'), getcontenttype: D('getcontenttype'), getcontentlength: D('getcontentlength'), getlastmodified: D('getlastmodified'),
  quotaAvailable: D('quota-available-bytes'), quotaUsed: D('quota-used-bytes'),
  calendarHome: C('calendar-home-set'), addressbookHome: CR('addressbook-home-set'), userAddressSet: C('calendar-user-address-set'),
  outboxUrl: C('schedule-outbox-URL'), components: C('supported-calendar-component-set'), calendarData: C('calendar-data'),
  calendarDescription: C('calendar-description'), calendarTimezone: C('calendar-timezone'), calendarMaxSize: C('max-resource-size'),
  supportedCalendarData: C('supported-calendar-data'), scheduleTransp: C('schedule-calendar-transp'),
  addressData: CR('address-data'), addressbookDescription: CR('addressbook-description'), supportedAddressData: CR('supported-address-data'),
  addressbookMaxSize: CR('max-resource-size'),
  ctag: clark(CS, 'getctag'), color: clark(APPLE, 'calendar-color'), order: clark(APPLE, 'calendar-order'),
} as const;

/** Collection properties kept as plain text in the collection's props, by Clark name. */
export const TEXT_PROPS: Readonly<Record<string, string>> = {
  [P.displayname]: 'displayname', [P.color]: 'color', [P.order]: 'order',
  [P.calendarDescription]: 'description', [P.addressbookDescription]: 'description', [P.calendarTimezone]: 'timezone',
};

const hrefXml = (h: string): string => `<D:href>${esc(h)}</D:href>`;

export const syncToken = (kind: 'c' | 'd', id: number, value: string | number): string => `http://bureau.invalid/sync/${kind}${id}/${value}`;

function privilegeXml(rights: readonly Right[], tool: 'calendar' | 'contacts' | null): string {
  const privs: string[] = [];
  if (rights.includes('read')) privs.push('<D:read/>', '<D:read-current-user-privilege-set/>');
  if (tool === 'calendar' && (rights.includes('read') || rights.includes('freebusy'))) privs.push(`<read-free-busy xmlns="${CALDAV}"/>`);
  if (rights.includes('write')) privs.push('<D:write/>', '<D:write-content/>', '<D:write-properties/>', '<D:bind/>');
  if (rights.includes('delete')) privs.push('<D:unbind/>');
  if (rights.includes('admin') || rights.includes('share')) privs.push('<D:write-acl/>');
  return privs.map((p) => `<D:privilege>${p}</D:privilege>`).join('');
}

function reportSet(names: readonly [string, string][]): string {
  return names.map(([u, n]) => `<D:supported-report><D:report><${n} xmlns="${u}"/></D:report></D:supported-report>`).join('');
}

const CALENDAR_REPORTS: [string, string][] = [[CALDAV, 'calendar-query'], [CALDAV, 'calendar-multiget'], [CALDAV, 'free-busy-query'], [DAV, 'sync-collection']];
const CONTACT_REPORTS: [string, string][] = [[CARDDAV, 'addressbook-query'], [CARDDAV, 'addressbook-multiget'], [DAV, 'sync-collection']];

function node(href: string, collection: boolean, values: Record<string, () => Promise<string | undefined> | string | undefined>, allprop: readonly string[],
  dead: Readonly<Record<string, string>> = {}, children: () => Children = async () => []): PropNode {
  return {
    href, collection,
    liveNames: () => Object.keys(values),
    allpropNames: () => allprop.filter((k) => k in values),
    live: (key) => (key in values ? values[key]!() : undefined),
    dead: () => dead,
    children,
  };
}

const ALLPROP = [P.resourcetype, P.displayname, P.currentUserPrincipal, P.getetag, P.getcontenttype, P.getcontentlength, P.getlastmodified];

function accountProps(account: Account): Record<string, () => string> {
  return {
    [P.currentUserPrincipal]: () => hrefXml(principalHref(account)),
    [P.principalCollectionSet]: () => hrefXml(`/dav/principals/`),
  };
}

export function rootNode(account: Account): PropNode {
  return node('/dav/', true, {
    [P.resourcetype]: () => '<D:collection/>',
    [P.displayname]: () => 'Bureau',
    ...accountProps(account),
    [P.calendarHome]: () => hrefXml(homeHref(account, 'calendars')),
    [P.addressbookHome]: () => hrefXml(homeHref(account, 'addressbooks')),
  }, ALLPROP);
}

export function principalNode(account: Account): PropNode {
  return node(principalHref(account), true, {
    [P.resourcetype]: () => '<D:collection/><D:principal/>',
    [P.displayname]: () => esc(account.name || account.address),
    ...accountProps(account),
    [P.principalUrl]: () => hrefXml(principalHref(account)),
    [P.owner]: () => hrefXml(principalHref(account)),
    [P.calendarHome]: () => hrefXml(homeHref(account, 'calendars')),
    [P.addressbookHome]: () => hrefXml(homeHref(account, 'addressbooks')),
    [P.userAddressSet]: () => hrefXml(`mailto:${account.address}`) + hrefXml(principalHref(account)),
    [P.outboxUrl]: () => hrefXml(outboxHref(account)),
    [P.privileges]: () => privilegeXml(['read'], null),
    [P.supportedReports]: () => '',
  }, ALLPROP);
}

export function outboxNode(account: Account): PropNode {
  return node(outboxHref(account), true, {
    [P.resourcetype]: () => `<D:collection/><schedule-outbox xmlns="${CALDAV}"/>`,
    [P.displayname]: () => 'Outbox',
    ...accountProps(account),
    [P.owner]: () => hrefXml(principalHref(account)),
    [P.privileges]: () => `${privilegeXml(['read'], null)}<D:privilege><schedule-send xmlns="${CALDAV}"/></D:privilege>`,
  }, ALLPROP);
}

export function homeNode(core: Core, account: Account, home: HomeKind): PropNode {
  return node(homeHref(account, home), true, {
    [P.resourcetype]: () => '<D:collection/>',
    [P.displayname]: () => (home === 'calendars' ? 'Calendars' : 'Address books'),
    ...accountProps(account),
    [P.owner]: () => hrefXml(principalHref(account)),
    [P.privileges]: () => privilegeXml(['read', 'write'], null),
    [P.supportedReports]: () => '',
  }, ALLPROP, {}, async () => (await homeEntries(core, account, toolOf(home))).map((e) => collectionNode(core, account, home, e)));
}

/** The quota of the space a collection is in: files bucket (calendars and cards count as documents). */
async function quotaOf(core: Core, spaceId: number): Promise<{ used: number; limit: number }> {
  const r = (await core.quota.report(spaceId)).find((q) => q.bucket === 'files');
  return { used: r?.usedBytes ?? 0, limit: r?.limitBytes ?? 0 };
}

export function collectionNode(core: Core, account: Account, home: HomeKind, e: HomeEntry): PropNode {
  const c = e.collection;
  const calendar = home === 'calendars';
  const href = collectionHref(account, home, e.segment);
  const dead: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.props)) if (k.startsWith('{') && !(k in TEXT_PROPS)) dead[k] = v;
  const values: Record<string, () => Promise<string | undefined> | string | undefined> = {
    [P.resourcetype]: () => (calendar ? `<D:collection/><calendar xmlns="${CALDAV}"/>` : `<D:collection/><addressbook xmlns="${CARDDAV}"/>`),
    [P.displayname]: () => esc(e.displayname),
    ...accountProps(account),
    [P.owner]: () => (e.space.owner.kind === 'account' ? hrefXml(principalHref(account)) : undefined),
    [P.privileges]: () => privilegeXml(e.rights, calendar ? 'calendar' : 'contacts'),
    [P.supportedReports]: () => reportSet(calendar ? CALENDAR_REPORTS : CONTACT_REPORTS),
    [P.ctag]: () => esc(`"${c.modseq}"`),
    [P.syncToken]: () => syncToken('c', c.id, c.modseq),
  };
  if (calendar) {
    Object.assign(values, {
      [P.components]: () => (c?.props.components ?? 'VEVENT,VTODO').split(',').map((x) => `<comp xmlns="${CALDAV}" name="${esc(x.trim())}"/>`).join(''),
      [P.supportedCalendarData]: () => `<calendar-data xmlns="${CALDAV}" content-type="text/calendar" version="2.0"/>`,
      [P.calendarMaxSize]: () => String(4 * 1024 * 1024),
      [P.color]: () => (c?.props.color ? esc(c.props.color) : undefined),
      [P.order]: () => (c?.props.order ? esc(c.props.order) : undefined),
      [P.calendarDescription]: () => (c?.props.description ? esc(c.props.description) : undefined),
      [P.calendarTimezone]: () => (c?.props.timezone ? esc(c.props.timezone) : undefined),
    });
  } else {
    Object.assign(values, {
      [P.supportedAddressData]: () => `<address-data-type xmlns="${CARDDAV}" content-type="text/vcard" version="3.0"/><address-data-type xmlns="${CARDDAV}" content-type="text/vcard" version="4.0"/>`,
      [P.addressbookMaxSize]: () => String(4 * 1024 * 1024),
      [P.addressbookDescription]: () => (c?.props.description ? esc(c.props.description) : undefined),
    });
  }
  if (c) {
    Object.assign(values, {
      [P.quotaUsed]: async () => String((await quotaOf(core, c.spaceId)).used),
      [P.quotaAvailable]: async () => { const q = await quotaOf(core, c.spaceId); return String(Math.max(0, q.limit - q.used)); },
    });
  }
  // the objects page by page as core reads them: 10,000 cards are never all in memory at once
  return node(href, true, values, ALLPROP, dead, async function* objectPages() {
    for await (const items of calendar ? core.calendar.listPages(account.id, c.id) : core.contacts.listPages(account.id, c.id)) {
      yield itemNodes(account, home, e.segment, items);
    }
  });
}

export function itemNode(account: Account, home: HomeKind, segment: string, i: Item): PropNode {
  return objectNode(objectHref(account, home, segment, i.name ?? String(i.uid)), { etag: i.etag, size: i.size, contentType: i.contentType, updatedAt: i.updatedAt });
}

/** The item nodes of a collection's listing: the collection's href worked out once, not per item. */
function itemNodes(account: Account, home: HomeKind, segment: string, items: readonly Item[]): PropNode[] {
  const base = collectionHref(account, home, segment);
  return items.map((i) => objectNode(base + objectSegment(i.name ?? String(i.uid)), { etag: i.etag, size: i.size, contentType: i.contentType, updatedAt: i.updatedAt }));
}

const OBJECT_PROPS = [P.resourcetype, P.getetag, P.getcontenttype, P.getcontentlength, P.getlastmodified];
const OBJECT_ALLPROP = ALLPROP.filter((k) => OBJECT_PROPS.includes(k));
const NO_DEAD: Readonly<Record<string, string>> = Object.freeze({});
const noChildren = async (): Promise<PropNode[]> => [];

/** A calendar object or card: five live properties, answered by a switch (a listing makes 10,000 of these). */
class ObjectNode implements PropNode {
  readonly collection = false;
  readonly href: string;
  private readonly o: { etag: string; size: number; contentType: string; updatedAt: number | null };
  constructor(href: string, o: { etag: string; size: number; contentType: string; updatedAt: number | null }) {
    this.href = href;
    this.o = o;
  }
  liveNames(): readonly string[] {
    return this.o.updatedAt ? OBJECT_PROPS : OBJECT_PROPS.filter((k) => k !== P.getlastmodified);
  }
  allpropNames(): readonly string[] {
    return this.o.updatedAt ? OBJECT_ALLPROP : OBJECT_ALLPROP.filter((k) => k !== P.getlastmodified);
  }
  live(key: string): string | undefined {
    switch (key) {
      case P.resourcetype: return '';
      // ETags are hex; anything else is escaped
      case P.getetag: return /^[0-9A-Za-z_-]*$/.test(this.o.etag) ? `&quot;${this.o.etag}&quot;` : esc(`"${this.o.etag}"`);
      case P.getcontenttype: return esc(this.o.contentType);
      case P.getcontentlength: return String(this.o.size);
      case P.getlastmodified: return this.o.updatedAt ? new Date(this.o.updatedAt).toUTCString() : undefined;
      default: return undefined;
    }
  }
  dead(): Readonly<Record<string, string>> {
    return NO_DEAD;
  }
  children(): Promise<PropNode[]> {
    return noChildren();
  }
}

export function objectNode(href: string, o: { etag: string; size: number; contentType: string; updatedAt: number | null }): PropNode {
  return new ObjectNode(href, o);
}
