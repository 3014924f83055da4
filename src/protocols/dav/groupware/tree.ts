// The URL layout of the CalDAV/CardDAV door, and the account's view of it,
// loaded fresh for every request (so a removal or a withdrawn share shows
// on the next one). Every collection listed comes from core.access.reachable:
// the adapter decides nothing about access, it only names what core allows.
//
//   /dav/                                  root (current-user-principal)
//   /dav/principals/ADDRESS/               the account's principal
//   /dav/calendars/ADDRESS/                calendar home: every reachable calendar
//   /dav/calendars/ADDRESS/SEGMENT/NAME    a calendar object
//   /dav/addressbooks/ADDRESS/             address-book home
//   /dav/addressbooks/ADDRESS/SEGMENT/NAME a vCard
//   /dav/outbox/ADDRESS/                   the scheduling outbox (VFREEBUSY POST)
//
// SEGMENT: an own collection by its name; a group's `group-ID`; one shared
// with the account `shared-ID` (ID: the collection's id; shared by another
// account, "Ann Lee's Calendar", or by a group the account is not in,
// "Team (group)'s Calendar"; a group it is in is `group-ID` whatever it
// shares, so never listed twice); a group's member
// directory `directory-GROUPID`: a read-only group address book (core keeps
// it and core/acl refuses every write), served like any other.
import type { Core } from '../../../core/index.ts';
import type { Account, Collection, Right, Space } from '../../../core/types.ts';
import { DIRECTORY_ROLE } from '../../../core/defaults.ts';
import { homeSegment } from '../../../core/home-segments.ts';
import { DavError } from '../errors.ts';
import { encodeSegment } from '../paths.ts';

export const MOUNT = '/dav/';
export const CALDAV = 'urn:ietf:params:xml:ns:caldav';
export const CARDDAV = 'urn:ietf:params:xml:ns:carddav';
export const CS = 'http://calendarserver.org/ns/';
export const APPLE = 'http://apple.com/ns/ical/';

export type Tool = 'calendar' | 'contacts';
export type HomeKind = 'calendars' | 'addressbooks';

export const toolOf = (home: HomeKind): Tool => (home === 'calendars' ? 'calendar' : 'contacts');

/** One collection in a home, as the account reaches it. */
export interface HomeEntry {
  readonly segment: string;
  readonly kind: 'own' | 'group' | 'shared' | 'directory';
  readonly tool: Tool;
  readonly collection: Collection;
  readonly space: Space;
  /** the group of a group collection or a directory */
  readonly groupId: number | null;
  /** rights on the collection as a whole (from core) */
  readonly rights: readonly Right[];
  /** reached only through shared items: their ids */
  readonly items: readonly number[] | null;
  readonly displayname: string;
}

export type Target =
  | { readonly kind: 'root' }
  | { readonly kind: 'principals' }
  | { readonly kind: 'principal'; readonly address: string }
  | { readonly kind: 'home'; readonly home: HomeKind }
  | { readonly kind: 'outbox' }
  | { readonly kind: 'collection'; readonly home: HomeKind; readonly segment: string }
  | { readonly kind: 'object'; readonly home: HomeKind; readonly segment: string; readonly name: string };

export const principalHref = (a: Account | string): string => `${MOUNT}principals/${encodeSegment(typeof a === 'string' ? a : a.address)}/`;
export const homeHref = (a: Account, home: HomeKind): string => `${MOUNT}${home}/${encodeSegment(a.address)}/`;
export const collectionHref = (a: Account, home: HomeKind, segment: string): string => `${homeHref(a, home)}${encodeSegment(segment)}/`;
/** A name as a path segment; names made only of what a segment allows (most are UID.ics) are taken as they are. */
export const objectSegment = (name: string): string => (/^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/.test(name) ? name : encodeSegment(name));
export const objectHref = (a: Account, home: HomeKind, segment: string, name: string): string => `${collectionHref(a, home, segment)}${objectSegment(name)}`;
export const outboxHref = (a: Account): string => `${MOUNT}outbox/${encodeSegment(a.address)}/`;

/** What the path names, for the logged-in account (another account's home is not found). */
export function targetOf(account: Account, segments: readonly string[]): Target {
  if (segments.length === 0) return { kind: 'root' };
  const [top, address, segment, name, ...rest] = segments;
  const mine = address !== undefined && address.toLowerCase() === account.address;
  if (top === 'principals') {
    if (address === undefined) return { kind: 'principals' };
    if (segment !== undefined) throw new DavError(404, 'nothing is served there');
    if (!mine) throw new DavError(403, 'only the account\'s own principal can be read');
    return { kind: 'principal', address: account.address };
  }
  if (top === 'outbox' && address !== undefined && segment === undefined) {
    if (!mine) throw new DavError(403, 'only the account\'s own outbox can be used');
    return { kind: 'outbox' };
  }
  if ((top === 'calendars' || top === 'addressbooks') && address !== undefined) {
    if (!mine) throw new DavError(404, 'there is no such home: each account sees its own home, which lists everything it can reach');
    if (segment === undefined) return { kind: 'home', home: top };
    if (name === undefined) return { kind: 'collection', home: top, segment };
    if (rest.length === 0) return { kind: 'object', home: top, segment, name };
  }
  throw new DavError(404, 'nothing is served there');
}

const SORT: Record<HomeEntry['kind'], number> = { own: 0, group: 1, shared: 2, directory: 3 };

/** Every collection of the tool the account reaches, each with its segment and a displayname that says whose it is. */
export async function homeEntries(core: Core, account: Account, tool: Tool, directoriesMade = false): Promise<HomeEntry[]> {
  const [reach, principal] = await Promise.all([core.access.reachable(account.id, tool), core.access.principal(account.id)]);
  const out: HomeEntry[] = [];
  const groupNames = new Map<number, string>();
  const groupName = async (id: number): Promise<string> => {
    if (!groupNames.has(id)) groupNames.set(id, (await core.groups.get(id)).name);
    return groupNames.get(id)!;
  };
  for (const { entry, rights, items } of reach) {
    const c = entry.collection;
    // reached with busy times only (a co-member's calendar): asked through free/busy, not listed
    if (!rights.includes('read') && (items === null || items.length === 0)) continue;
    const title = c.props.displayname || c.name;
    const owner = entry.space.owner;
    if (owner.kind === 'account' && owner.accountId === account.id) {
      out.push({ segment: c.name, kind: 'own', tool, collection: c, space: entry.space, groupId: null, rights, items, displayname: title });
    } else if (owner.kind === 'group' && principal.groups.has(owner.groupId) && c.role === DIRECTORY_ROLE) {
      const g = await groupName(owner.groupId);
      out.push({ segment: homeSegment.directory(owner.groupId), kind: 'directory', tool, collection: c, space: entry.space, groupId: owner.groupId, rights, items, displayname: `${g} members (directory)` });
    } else if (owner.kind === 'group' && principal.groups.has(owner.groupId)) {
      const g = await groupName(owner.groupId);
      const displayname = c.role === 'default' ? `${g} (group)` : `${title} — ${g} (group)`;
      out.push({ segment: homeSegment.group(c.id), kind: 'group', tool, collection: c, space: entry.space, groupId: owner.groupId, rights, items, displayname });
    } else {
      // a group the account is not in, shown as the drive shows it (`Shared with me/Team (group)/`)
      let whose: string;
      if (owner.kind === 'account') whose = (await core.store.getAccount(owner.accountId))?.name || 'someone';
      else whose = `${await groupName(owner.groupId)} (group)`;
      const displayname = `${whose}'s ${title}${items !== null ? ' (shared items)' : ''}`;
      out.push({ segment: homeSegment.shared(c.id), kind: 'shared', tool, collection: c, space: entry.space, groupId: null, rights, items, displayname });
    }
  }
  if (tool === 'contacts' && !directoriesMade) {
    // a group made before directories were stored gets its own now
    const listed = new Set(out.filter((e) => e.kind === 'directory').map((e) => e.groupId));
    const missing = [...principal.groups.keys()].filter((g) => !listed.has(g));
    if (missing.length > 0) {
      for (const g of missing) await core.contacts.directoryCollection(account.id, g);
      return homeEntries(core, account, tool, true);
    }
  }
  out.sort((a, b) => SORT[a.kind] - SORT[b.kind] || a.segment.localeCompare(b.segment));
  return out;
}

/** The home entry a segment names, or 404. */
export async function entryOf(core: Core, account: Account, home: HomeKind, segment: string): Promise<HomeEntry> {
  const found = (await homeEntries(core, account, toolOf(home))).find((e) => e.segment === segment);
  if (!found) throw new DavError(404, `${segment} is not a ${home === 'calendars' ? 'calendar' : 'address book'} this account can reach`);
  return found;
}
