// Database rows to store records. Numbers arrive as numbers from both drivers
// (the PostgreSQL driver parses BIGINT and NUMERIC); JSON columns are TEXT.
import type {
  Account, Collection, Domain, Grant, Group, Item, Membership, Plan, Profile, Right, Session, Space,
} from '../types.ts';
import type { Row } from './driver.ts';

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = <T>(v: unknown, fallback: T): T => {
  if (typeof v !== 'string' || v === '') return fallback;
  return JSON.parse(v) as T;
};

export const rightsText = (rights: readonly Right[]): string => [...new Set(rights)].sort().join(',');
export const rightsOf = (v: unknown): Right[] => (typeof v === 'string' && v !== '' ? (v.split(',') as Right[]) : []);

export const EMPTY_PROFILE: Profile = { firstName: '', lastName: '', organisation: '', photo: '' };

export function toAccount(r: Row): Account {
  return {
    id: num(r.id),
    address: str(r.address),
    name: str(r.name),
    passwordHash: str(r.password_hash),
    plan: str(r.plan),
    status: str(r.status) as Account['status'],
    profile: { ...EMPTY_PROFILE, ...json<Partial<Profile>>(r.profile, {}) },
    idleTimeoutMinutes: num(r.idle_timeout_minutes),
    createdAt: num(r.created_at),
    lastActivityAt: numOrNull(r.last_activity_at),
    spaceId: num(r.space_id),
  };
}

export function toSession(r: Row): Session {
  return {
    id: str(r.id),
    accountId: num(r.account_id),
    createdAt: num(r.created_at),
    lastSeenAt: num(r.last_seen_at),
    userAgent: str(r.user_agent),
    clientAddress: str(r.client_address),
  };
}

export function toPlan(r: Row): Plan {
  return {
    name: str(r.name),
    mailBytes: num(r.mail_bytes),
    filesBytes: num(r.files_bytes),
    maxGroups: num(r.max_groups),
    maxGroupMembers: num(r.max_group_members),
    features: json<string[]>(r.features, []),
    paid: num(r.paid) === 1,
  };
}

export function toDomain(r: Row): Domain {
  return { name: str(r.name), ownerId: numOrNull(r.owner_id), createdAt: num(r.created_at) };
}

export function toGroup(r: Row): Group {
  return {
    id: num(r.id),
    name: str(r.name),
    adminId: num(r.admin_id),
    memberRights: rightsOf(r.member_rights),
    createdAt: num(r.created_at),
    spaceId: num(r.space_id),
  };
}

export function toMembership(r: Row): Membership {
  return { groupId: num(r.group_id), accountId: num(r.account_id), rights: rightsOf(r.rights), joinedAt: num(r.joined_at) };
}

export function toSpace(r: Row): Space {
  const accountId = numOrNull(r.account_id);
  return accountId !== null
    ? { id: num(r.id), owner: { kind: 'account', accountId } }
    : { id: num(r.id), owner: { kind: 'group', groupId: num(r.group_id) } };
}

export function toCollection(r: Row): Collection {
  return {
    id: num(r.id),
    spaceId: num(r.space_id),
    tool: str(r.tool) as Collection['tool'],
    parentId: numOrNull(r.parent_id),
    name: str(r.name),
    role: strOrNull(r.role),
    props: json<Record<string, string>>(r.props, {}),
    counted: num(r.counted ?? 1) === 1,
    uidValidity: num(r.uid_validity),
    uidNext: num(r.uid_next),
    modseq: num(r.modseq),
    createdAt: num(r.created_at),
  };
}

export function toItem(r: Row): Item {
  return {
    id: num(r.id),
    collectionId: num(r.collection_id),
    uid: num(r.uid),
    name: strOrNull(r.name),
    blobId: strOrNull(r.blob_id),
    size: num(r.size),
    etag: str(r.etag),
    contentType: str(r.content_type),
    meta: json<Record<string, unknown>>(r.meta, {}),
    modseq: num(r.modseq),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function toGrant(r: Row): Grant {
  return {
    id: num(r.id),
    collectionId: num(r.collection_id),
    itemId: numOrNull(r.item_id),
    groupId: num(r.group_id),
    rights: rightsOf(r.rights),
    grantedBy: num(r.granted_by),
    createdAt: num(r.created_at),
  };
}
