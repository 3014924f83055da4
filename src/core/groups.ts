// Groups: the creator is the administrator; members are added up to the
// administrator's plan limit; the administrator may grant write and delete to
// some or all members; the administrator cannot leave without a successor.
// Each operation may carry an actor (the account asking, checked by
// core/acl); the operator's command line acts without one.
import type { Group, Membership, Right, Store } from '../store/types.ts';
import type { Accounts } from './accounts.ts';
import type { MemberDirectory } from './contacts/directory.ts';
import { authorize } from './acl.ts';
import { ensure, loadPrincipal } from './access.ts';
import { GROUP_COLLECTIONS } from './defaults.ts';
import { Conflict, InvalidInput, NotFound } from './errors.ts';
import type { Plans } from './plans.ts';

/** Rights an administrator can give members beyond read. */
export const MEMBER_GRANTABLE: readonly Right[] = ['write', 'delete'];

export function checkGroupName(name: string): string {
  const n = name.trim();
  if (n === '' || n.length > 64) throw new InvalidInput('name', 'a group name has 1 to 64 characters');
  if (/[/\\\u0000-\u001f\u007f]/.test(n) || n === '.' || n === '..') {
    throw new InvalidInput('name', 'a group name cannot contain / or \\ or control characters, nor be . or ..');
  }
  return n;
}

/** Parses "write,delete", "read" (read only) or "none". */
export function parseMemberRights(text: string): Right[] {
  const parts = text.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'read' && s !== 'none');
  for (const p of parts) {
    if (!MEMBER_GRANTABLE.includes(p as Right)) {
      throw new InvalidInput('rights', `${JSON.stringify(p)} cannot be granted to members; use read, write, delete (comma-separated)`);
    }
  }
  return [...new Set(parts)] as Right[];
}

export class Groups {
  private readonly store: Store;
  private readonly plans: Plans;
  private readonly accounts: Accounts;
  /** the member directory of each group, kept in step with its members */
  private readonly directory: MemberDirectory;

  constructor(store: Store, plans: Plans, accounts: Accounts, directory: MemberDirectory) {
    this.store = store;
    this.plans = plans;
    this.accounts = accounts;
    this.directory = directory;
  }

  private async checkAdmin(actorId: number | null, groupId: number): Promise<void> {
    if (actorId === null) return;
    ensure(authorize(await loadPrincipal(this.store, actorId), 'admin', { kind: 'group', groupId }));
  }

  async get(id: number): Promise<Group> {
    const g = await this.store.getGroup(id);
    if (!g) throw new NotFound(`group ${id} does not exist`);
    return g;
  }

  async byName(name: string): Promise<Group> {
    const g = await this.store.getGroupByName(name.trim());
    if (!g) throw new NotFound(`there is no group named ${name.trim()}`);
    return g;
  }

  list(): Promise<Group[]> {
    return this.store.listGroups();
  }

  listOf(accountId: number): Promise<Group[]> {
    return this.store.listGroupsOf(accountId);
  }

  members(groupId: number): Promise<Membership[]> {
    return this.store.listMembers(groupId);
  }

  async create(name: string, adminId: number): Promise<Group> {
    const admin = await this.accounts.get(adminId);
    const plan = await this.plans.of(admin);
    const group = await this.store.createGroup({ name: checkGroupName(name), adminId, maxGroups: plan.maxGroups, collections: GROUP_COLLECTIONS });
    await this.directory.addMember(group.id, adminId);
    return group;
  }

  /** The member limit is the administrator's plan's. */
  async addMember(groupId: number, accountId: number, actorId: number | null = null): Promise<Membership> {
    await this.checkAdmin(actorId, groupId);
    const group = await this.get(groupId);
    const plan = await this.plans.of(await this.accounts.get(group.adminId));
    const membership = await this.store.addMember(groupId, accountId, plan.maxGroupMembers);
    await this.directory.addMember(groupId, accountId);
    return membership;
  }

  async removeMember(groupId: number, accountId: number, actorId: number | null = null): Promise<void> {
    if (actorId !== accountId) await this.checkAdmin(actorId, groupId);
    await this.store.removeMember(groupId, accountId);
    await this.directory.removeMember(groupId, accountId);
  }

  /** A member leaves; the administrator is refused until a successor is named. */
  leave(groupId: number, accountId: number): Promise<void> {
    return this.removeMember(groupId, accountId, accountId);
  }

  /** Sets the rights beyond read of one member, or of all members (`'all'`). */
  async grant(groupId: number, who: number | 'all', rights: readonly Right[], actorId: number | null = null): Promise<void> {
    await this.checkAdmin(actorId, groupId);
    for (const r of rights) {
      if (!MEMBER_GRANTABLE.includes(r)) throw new InvalidInput('rights', `${r} cannot be granted to members`);
    }
    if (who === 'all') await this.store.setGroupMemberRights(groupId, rights);
    else await this.store.setMemberRights(groupId, who, rights);
  }

  /** Names a member as the new administrator (the old one stays a member; the directory is unchanged). */
  async transfer(groupId: number, newAdminId: number, actorId: number | null = null): Promise<Group> {
    await this.checkAdmin(actorId, groupId);
    const plan = await this.plans.of(await this.accounts.get(newAdminId));
    return this.store.setGroupAdmin(groupId, newAdminId, plan.maxGroups);
  }

  /** Deletes the group: every right it gave ends at once, its space and files go. */
  async delete(groupId: number, actorId: number | null = null): Promise<void> {
    await this.checkAdmin(actorId, groupId);
    await this.store.deleteGroup(groupId);
  }

  async ensureMember(groupId: number, accountId: number): Promise<void> {
    if (!(await this.store.getMembership(groupId, accountId))) throw new Conflict('the account is not a member of the group');
  }
}
