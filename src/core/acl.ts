// The one ACL module. Every door asks `authorize`; none decides by itself.
// `authorize` is a pure function of what the account is (its principal) and
// what it touches (a resource described with the grants that bear on it);
// core/access.ts loads both from the store, fresh for every request, so a
// withdrawal or a removal from a group takes effect on the next request.
//
// The rules (DESIGN.md):
//  1. The owner of a personal space has every right on it.
//  2. Data is private unless its owner shares it, per item or per collection,
//     with a group and a set of rights.
//  3. The group's administrator has every right on the group space; members
//     read it, and write or delete where the administrator granted it to them
//     or to all members.
//  4. Between co-members: freebusy on each other's calendars, deposit on each
//     other's drop box, read on each other's directory card.
//  5. Removal from a group or its deletion ends every right it gave (by 'fresh
//     principal per request').
//  6. (the administrator cannot leave without a successor: core/groups.ts)
//  7. A group's member directory (a collection with the role 'directory') is
//     kept by the server: everyone who may read it reads it, nobody writes,
//     deletes, shares or administers it, not even the group administrator.
import type { Right, Tool } from '../store/types.ts';
import { DIRECTORY_ROLE } from './defaults.ts';

export type { Right } from '../store/types.ts';

export interface GroupRole {
  readonly admin: boolean;
  /** rights beyond read granted to this member, by name or to all members */
  readonly rights: ReadonlySet<Right>;
}

export interface Principal {
  readonly accountId: number;
  readonly active: boolean;
  /** the groups the account is a member of */
  readonly groups: ReadonlyMap<number, GroupRole>;
  /** accounts that share at least one group with it */
  readonly coMembers: ReadonlySet<number>;
}

export type SpaceRef = { readonly kind: 'account'; readonly accountId: number } | { readonly kind: 'group'; readonly groupId: number };

export interface GrantRef {
  readonly groupId: number;
  readonly rights: readonly Right[];
}

export interface CollectionRef {
  readonly id: number;
  readonly tool: Tool;
  readonly role: string | null;
}

export type Resource =
  /** a space as a whole (e.g. to create a collection in it) */
  | { readonly kind: 'space'; readonly space: SpaceRef }
  /** a collection; `grants` are those on it and on its ancestors */
  | { readonly kind: 'collection'; readonly space: SpaceRef; readonly collection: CollectionRef; readonly grants: readonly GrantRef[] }
  /** an item; `grants` are those on the item and on its collection and the collection's ancestors */
  | { readonly kind: 'item'; readonly space: SpaceRef; readonly collection: CollectionRef; readonly itemId: number; readonly grants: readonly GrantRef[] }
  /** an account's card in the member directories */
  | { readonly kind: 'directory-card'; readonly accountId: number }
  /** a group itself: its members and settings ('admin' to change them) */
  | { readonly kind: 'group'; readonly groupId: number };

export type Decision = { readonly allow: true } | { readonly allow: false; readonly reason: string };

const ALLOW: Decision = Object.freeze({ allow: true });
const deny = (reason: string): Decision => ({ allow: false, reason });

/** What holding a right also gives: read lets one see busy times, write lets one deposit. */
export function holds(rights: ReadonlySet<Right> | readonly Right[], right: Right): boolean {
  const has = (r: Right): boolean => (rights instanceof Set ? rights.has(r) : (rights as readonly Right[]).includes(r));
  if (has(right)) return true;
  if (right === 'freebusy') return has('read');
  if (right === 'deposit') return has('write');
  return false;
}

/** Rights a member of a group holds on the group space. */
function memberRights(role: GroupRole): ReadonlySet<Right> | 'all' {
  if (role.admin) return 'all';
  return new Set<Right>(['read', ...role.rights]);
}

function fromGrants(p: Principal, right: Right, grants: readonly GrantRef[]): boolean {
  for (const g of grants) {
    if (p.groups.has(g.groupId) && holds(g.rights, right)) return true;
  }
  return false;
}

export function authorize(p: Principal, right: Right, r: Resource): Decision {
  if (!p.active) return deny('the account is not active');
  switch (r.kind) {
    case 'directory-card':
      if (r.accountId === p.accountId) return right === 'read' || right === 'write' ? ALLOW : deny('a card can only be read or written by its owner');
      if (!p.coMembers.has(r.accountId)) return deny('directory cards are visible to co-members only');
      return right === 'read' ? ALLOW : deny('co-members may only read a directory card');
    case 'group': {
      const role = p.groups.get(r.groupId);
      if (!role) return deny('the account is not a member of the group');
      if (role.admin) return ALLOW;
      return right === 'read' ? ALLOW : deny('only the group administrator may do this');
    }
    case 'space':
    case 'collection':
    case 'item':
      return authorizeInSpace(p, right, r);
  }
}

function authorizeInSpace(p: Principal, right: Right, r: Extract<Resource, { space: SpaceRef }>): Decision {
  const space = r.space;
  // rule 7
  if (r.kind !== 'space' && r.collection.role === DIRECTORY_ROLE && right !== 'read') {
    return deny('a member directory is kept by the server from the members\' profiles and is read-only');
  }
  // rule 1
  if (space.kind === 'account' && space.accountId === p.accountId) return ALLOW;
  // rule 3
  if (space.kind === 'group') {
    const role = p.groups.get(space.groupId);
    if (role) {
      const rights = memberRights(role);
      if (rights === 'all') return ALLOW;
      if (right !== 'admin' && right !== 'share' && holds(rights, right)) return ALLOW;
    }
  }
  if (r.kind === 'space') {
    return deny(space.kind === 'group' && p.groups.has(space.groupId)
      ? `members of this group have no ${right} right on its space`
      : 'the space belongs to someone else');
  }
  // rule 2: shares to the account's groups, on the collection, its ancestors or the item
  if (right !== 'admin' && right !== 'share' && fromGrants(p, right, r.grants)) return ALLOW;
  // rule 4, on a co-member's personal space
  if (space.kind === 'account' && p.coMembers.has(space.accountId) && r.kind === 'collection') {
    if (right === 'freebusy' && r.collection.tool === 'calendar') return ALLOW;
    if (right === 'deposit' && r.collection.role === 'dropbox') return ALLOW;
  }
  if (space.kind === 'group' && p.groups.has(space.groupId)) {
    return deny(`the group administrator has not granted ${right} to this member`);
  }
  return deny(r.grants.some((g) => p.groups.has(g.groupId))
    ? `the share does not include ${right}`
    : 'it is not shared with any group of the account');
}

/** The rights the principal holds on a resource, for a door that lists them (IMAP MYRIGHTS, DAV current-user-privilege-set). */
export function rightsOn(p: Principal, r: Resource): Right[] {
  return (['read', 'freebusy', 'write', 'delete', 'deposit', 'share', 'admin'] as const).filter((right) => authorize(p, right, r).allow);
}
