// The SQL store's groups and their members, under row locks; one layer of SqlStore (store.ts), on both backends.
import { Conflict, LimitReached, NotFound } from '../errors.ts';
import type { Group, Membership, NewCollectionInSpace, Right } from '../types.ts';
import type { SqlRunner } from './driver.ts';
import { rightsText, toGroup, toMembership } from './rows.ts';
import { trashBlobsOf } from './writes.ts';
import { unique, groupKey, GROUP_SELECT } from './store-base.ts';
import { SqlAccountsStore } from './store-accounts.ts';

export class SqlGroupsStore extends SqlAccountsStore {
  // ----- groups


  protected async lockGroup(tx: SqlRunner, id: number): Promise<{ adminId: number; name: string }> {
    const row = await tx.get<{ admin_id: number; name: string }>(
      'UPDATE groups SET lock_version = lock_version + 1 WHERE id = $1 RETURNING admin_id, name', [id]);
    if (!row) throw new NotFound(`group ${id} does not exist`);
    return { adminId: Number(row.admin_id), name: row.name };
  }

  protected async checkGroupsLimit(tx: SqlRunner, accountId: number, maxGroups: number): Promise<void> {
    const row = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM groups WHERE admin_id = $1', [accountId]);
    if (Number(row!.n) >= maxGroups) {
      throw new LimitReached(`the plan allows administering ${maxGroups} group(s), and that many are administered already`, maxGroups);
    }
  }

  async createGroup(input: { name: string; adminId: number; maxGroups: number; collections: readonly NewCollectionInSpace[] }): Promise<Group> {
    const id = await unique(`a group named ${input.name} already exists`, () => this.db.transaction(async (tx) => {
      await this.lockAccount(tx, input.adminId);
      await this.checkGroupsLimit(tx, input.adminId, input.maxGroups);
      const now = Date.now();
      const row = await tx.get<{ id: number }>(
        "INSERT INTO groups (name, name_key, admin_id, member_rights, created_at) VALUES ($1, $2, $3, '', $4) RETURNING id",
        [input.name, groupKey(input.name), input.adminId, now]);
      const groupId = Number(row!.id);
      await tx.run("INSERT INTO memberships (group_id, account_id, rights, joined_at) VALUES ($1, $2, '', $3)", [groupId, input.adminId, now]);
      await this.insertSpace(tx, { groupId }, input.collections);
      return groupId;
    }));
    return (await this.getGroup(id))!;
  }

  async getGroup(id: number): Promise<Group | null> {
    const row = await this.db.get(`${GROUP_SELECT} WHERE g.id = $1`, [id]);
    return row ? toGroup(row) : null;
  }

  async getGroupByName(name: string): Promise<Group | null> {
    const row = await this.db.get(`${GROUP_SELECT} WHERE g.name_key = $1`, [groupKey(name)]);
    return row ? toGroup(row) : null;
  }

  async listGroups(): Promise<Group[]> {
    return (await this.db.all(`${GROUP_SELECT} ORDER BY g.name_key, g.id`)).map(toGroup);
  }

  async listGroupsOf(accountId: number): Promise<Group[]> {
    return (await this.db.all(
      `${GROUP_SELECT} JOIN memberships m ON m.group_id = g.id WHERE m.account_id = $1 ORDER BY g.name_key, g.id`, [accountId])).map(toGroup);
  }

  async deleteGroup(id: number): Promise<void> {
    await this.db.transaction(async (tx, afterCommit) => {
      await this.lockGroup(tx, id);
      const scope = 'SELECT c.id FROM collections c JOIN spaces s ON s.id = c.space_id WHERE s.group_id = $1';
      await tx.run(`UPDATE collections SET modseq = modseq WHERE id IN (${scope})`, [id]);
      await trashBlobsOf(tx, scope, [id]);
      await tx.run('DELETE FROM groups WHERE id = $1', [id]);
      afterCommit(this.freed);
    });
  }

  async addMember(groupId: number, accountId: number, maxMembers: number): Promise<Membership> {
    await this.db.transaction(async (tx) => {
      const group = await this.lockGroup(tx, groupId);
      const exists = await tx.get('SELECT 1 AS one FROM accounts WHERE id = $1', [accountId]);
      if (!exists) throw new NotFound(`account ${accountId} does not exist`);
      const already = await tx.get('SELECT 1 AS one FROM memberships WHERE group_id = $1 AND account_id = $2', [groupId, accountId]);
      if (already) throw new Conflict(`the account is already a member of ${group.name}`);
      const row = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM memberships WHERE group_id = $1', [groupId]);
      if (Number(row!.n) >= maxMembers) {
        throw new LimitReached(`the group ${group.name} has ${maxMembers} members, the most its administrator's plan allows`, maxMembers);
      }
      await tx.run("INSERT INTO memberships (group_id, account_id, rights, joined_at) VALUES ($1, $2, '', $3)", [groupId, accountId, Date.now()]);
    });
    return (await this.getMembership(groupId, accountId))!;
  }

  async removeMember(groupId: number, accountId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const group = await this.lockGroup(tx, groupId);
      if (group.adminId === accountId) {
        throw new Conflict(`the administrator of ${group.name} cannot leave it without first naming a successor`);
      }
      const r = await tx.run('DELETE FROM memberships WHERE group_id = $1 AND account_id = $2', [groupId, accountId]);
      if (r.changes === 0) throw new NotFound(`the account is not a member of ${group.name}`);
      // what the member shared with the group stops being shared
      await tx.run('DELETE FROM grants WHERE group_id = $1 AND granted_by = $2', [groupId, accountId]);
    });
  }

  async getMembership(groupId: number, accountId: number): Promise<Membership | null> {
    const row = await this.db.get('SELECT * FROM memberships WHERE group_id = $1 AND account_id = $2', [groupId, accountId]);
    return row ? toMembership(row) : null;
  }

  async listMembers(groupId: number): Promise<Membership[]> {
    return (await this.db.all('SELECT * FROM memberships WHERE group_id = $1 ORDER BY joined_at, account_id', [groupId])).map(toMembership);
  }

  async listMembershipsOf(accountId: number): Promise<Membership[]> {
    return (await this.db.all('SELECT * FROM memberships WHERE account_id = $1 ORDER BY group_id', [accountId])).map(toMembership);
  }

  async setMemberRights(groupId: number, accountId: number, rights: readonly Right[]): Promise<void> {
    const r = await this.db.run('UPDATE memberships SET rights = $3 WHERE group_id = $1 AND account_id = $2', [groupId, accountId, rightsText(rights)]);
    if (r.changes === 0) throw new NotFound(`account ${accountId} is not a member of group ${groupId}`);
  }

  async setGroupMemberRights(groupId: number, rights: readonly Right[]): Promise<void> {
    const r = await this.db.run('UPDATE groups SET member_rights = $2 WHERE id = $1', [groupId, rightsText(rights)]);
    if (r.changes === 0) throw new NotFound(`group ${groupId} does not exist`);
  }

  async setGroupAdmin(groupId: number, accountId: number, maxGroups: number): Promise<Group> {
    await this.db.transaction(async (tx) => {
      const group = await this.lockGroup(tx, groupId);
      if (group.adminId === accountId) return;
      await this.lockAccount(tx, accountId);
      const member = await tx.get('SELECT 1 AS one FROM memberships WHERE group_id = $1 AND account_id = $2', [groupId, accountId]);
      if (!member) throw new Conflict(`the new administrator must first be a member of ${group.name}`);
      await this.checkGroupsLimit(tx, accountId, maxGroups);
      await tx.run('UPDATE groups SET admin_id = $2 WHERE id = $1', [groupId, accountId]);
    });
    return (await this.getGroup(groupId))!;
  }

  async listCoMembers(accountId: number): Promise<number[]> {
    const rows = await this.db.all<{ account_id: number }>(
      `SELECT DISTINCT m2.account_id FROM memberships m1 JOIN memberships m2 ON m2.group_id = m1.group_id
        WHERE m1.account_id = $1 AND m2.account_id <> $1 ORDER BY m2.account_id`, [accountId]);
    return rows.map((r) => Number(r.account_id));
  }

}
