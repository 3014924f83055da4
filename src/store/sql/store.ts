// The Store, written once in SQL for both backends (see driver.ts). The SQLite
// and PostgreSQL folders hold only a driver each; this file and the modules
// beside it hold every query.
import { Conflict, LimitReached, NotFound } from '../errors.ts';
import type { DiskBlobStore } from '../blobs.ts';
import {
  TOOLS, bucketOf, type Account, type AccountPatch, type ChangeEvent, type Changes, type Collection, type CollectionPatch,
  type CopyItem, type DavLock, type Domain, type ItemIndex, type ItemQuery, type Grant, type Group, type Item, type ItemMeta, type Membership, type NewAccount,
  type NewCollection, type NewCollectionInSpace, type NewGrant, type Plan, type PutItem, type QuotaBucket,
  type AccountContact, type ReachableCollection, type Right, type Session, type Space, type Store, type Tool,
} from '../types.ts';
import { ACCOUNT_NOTICE, EXTERNAL_WRITE, ForeignKeyViolation, UniqueViolation, accountNotice, type SqlDriver, type SqlRunner } from './driver.ts';
import { ITEM_COLUMNS, assertName, copyItem, deleteItem, putItem, updateItemMeta } from './items.ts';
import { MIGRATIONS, render } from './migrations/index.ts';
import {
  EMPTY_PROFILE, rightsText, toAccount, toCollection, toDomain, toGrant, toGroup, toItem, toMembership, toPlan,
  toSession, toSpace,
} from './rows.ts';
import { SqlLocks } from './locks.ts';
import { SqlOutbound } from './outbound.ts';
import { SqlAccountRecovery } from './account-recovery.ts';
import { SqlRateCounts } from './rate-counts.ts';
import { copyItems, deleteItems, listItemMeta, updateItemsMeta } from './mail.ts';
import type { AccountPhoto, PasswordReset, RateCount } from '../types.ts';
import type { CopiedItem, CopyItems, DkimKey, ItemMetaRow, MetaChange, NewOutboundMessage, OutboundMessage, OutboundRetry } from '../types.ts';
import { compileSearch, readIndex } from './search.ts';
import { SUBTREE, trashBlobsOf } from './writes.ts';

const ACCOUNT_SELECT = 'SELECT a.*, s.id AS space_id FROM accounts a JOIN spaces s ON s.account_id = a.id';
const GROUP_SELECT = 'SELECT g.*, s.id AS space_id FROM groups g JOIN spaces s ON s.group_id = g.id';
const DEFAULT_IDLE_MINUTES = 30;

async function unique<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UniqueViolation) throw new Conflict(what);
    throw err;
  }
}

/** A FOREIGN KEY refusal means something the write names does not exist. */
async function existing<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ForeignKeyViolation) throw new NotFound(what);
    throw err;
  }
}

/** The key a group name is unique by: case-insensitive (Unicode, the same on every backend) and NFC. */
const groupKey = (name: string): string => name.normalize('NFC').toLowerCase();

/** Values bound in one IN (...) list at most (SQLite and PostgreSQL both take far more). */
const IN_CHUNK = 500;

export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly blobs: DiskBlobStore;
  private readonly db: SqlDriver;
  private readonly locks: SqlLocks;
  private readonly outbound: SqlOutbound;
  private readonly recovery: SqlAccountRecovery;
  private readonly rates: SqlRateCounts;
  private emptying: Promise<void> | null = null;

  constructor(db: SqlDriver, blobs: DiskBlobStore) {
    this.db = db;
    this.locks = new SqlLocks(db);
    this.outbound = new SqlOutbound(db);
    this.recovery = new SqlAccountRecovery(db);
    this.rates = new SqlRateCounts(db);
    this.kind = db.kind;
    this.blobs = blobs;
  }

  /** Applies the migrations not yet applied, each in its own transaction, then empties the blob trash. */
  async init(): Promise<void> {
    await this.blobs.init();
    for (const m of MIGRATIONS) {
      await this.db.transaction(async (tx) => {
        // several processes may start at once: one migrates, the others wait and find it done
        if (this.kind === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(74117411) AS locked');
        await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        const done = await tx.get('SELECT version FROM schema_migrations WHERE version = $1', [m.version]);
        if (done) return;
        for (const statement of render(m.sql, this.kind).split(/;\s*\n/)) {
          if (statement.trim() !== '') await tx.run(statement);
        }
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      });
    }
    await this.emptyTrash();
  }

  async close(): Promise<void> {
    await this.emptying;
    await this.db.close();
  }

  /** Removes the files of trashed blobs, then their trash rows. */
  private emptyTrash = (): Promise<void> => {
    const run = async (): Promise<void> => {
      const rows = await this.db.all<{ id: string }>('SELECT id FROM blob_trash');
      for (const { id } of rows) {
        await this.blobs.remove(id);
        await this.db.run('DELETE FROM blob_trash WHERE id = $1', [id]);
      }
    };
    const next = (this.emptying ?? Promise.resolve()).then(run, run);
    this.emptying = next.catch(() => undefined);
    return next;
  };

  private freed = (): void => {
    this.emptyTrash().catch((err: unknown) => {
      process.emitWarning(`blob trash could not be emptied: ${String(err)}`);
    });
  };

  async collectGarbage(olderThanMs = 3_600_000): Promise<{ removed: number }> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const marks = batch.map((_, i) => `$${i + 1}`).join(', ');
      const used = new Set((await this.db.all<{ blob_id: string }>(
        `SELECT DISTINCT blob_id FROM items WHERE blob_id IN (${marks})`, batch)).map((r) => r.blob_id));
      for (const id of batch) {
        if (!used.has(id)) {
          await this.blobs.remove(id);
          removed++;
        }
      }
      batch = [];
    };
    for await (const { id, mtimeMs } of this.blobs.list()) {
      if (mtimeMs > cutoff) continue;
      batch.push(id);
      if (batch.length >= 500) await flush();
    }
    await flush();
    await this.emptyTrash();
    return { removed };
  }

  // ----- accounts

  private async insertSpace(tx: SqlRunner, owner: { accountId: number } | { groupId: number }, collections: readonly NewCollectionInSpace[]): Promise<number> {
    const row = 'accountId' in owner
      ? await tx.get<{ id: number }>('INSERT INTO spaces (account_id) VALUES ($1) RETURNING id', [owner.accountId])
      : await tx.get<{ id: number }>('INSERT INTO spaces (group_id) VALUES ($1) RETURNING id', [owner.groupId]);
    const spaceId = Number(row!.id);
    for (const bucket of ['mail', 'files'] satisfies QuotaBucket[]) {
      await tx.run('INSERT INTO quota_usage (space_id, bucket, used_bytes) VALUES ($1, $2, 0)', [spaceId, bucket]);
    }
    for (const c of collections) await this.insertCollection(tx, { ...c, spaceId, parentId: null });
    return spaceId;
  }

  async createAccount(input: NewAccount): Promise<Account> {
    const address = input.address.toLowerCase();
    const id = await unique(`the address ${address} is taken`, () => existing(`the plan ${input.plan} does not exist`, () => this.db.transaction(async (tx) => {
      const row = await tx.get<{ id: number }>(
        `INSERT INTO accounts (address, name, password_hash, plan, status, profile, idle_timeout_minutes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [address, input.name, input.passwordHash, input.plan, input.status,
          JSON.stringify({ ...EMPTY_PROFILE, ...input.profile }), DEFAULT_IDLE_MINUTES, Date.now()]);
      const accountId = Number(row!.id);
      await this.insertSpace(tx, { accountId }, input.collections);
      return accountId;
    })));
    return (await this.getAccount(id))!;
  }

  async getAccount(id: number): Promise<Account | null> {
    const row = await this.db.get(`${ACCOUNT_SELECT} WHERE a.id = $1`, [id]);
    return row ? toAccount(row) : null;
  }

  async getAccountByAddress(address: string): Promise<Account | null> {
    const row = await this.db.get(`${ACCOUNT_SELECT} WHERE a.address = $1`, [address.toLowerCase()]);
    return row ? toAccount(row) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.db.all(`${ACCOUNT_SELECT} ORDER BY a.address`)).map(toAccount);
  }

  async updateAccount(id: number, patch: AccountPatch): Promise<Account> {
    await existing(`the plan ${patch.plan ?? ''} does not exist`, () => this.db.transaction(async (tx) => {
      // locked before it is read, so that concurrent profile merges are not lost
      await this.lockAccount(tx, id);
      const row = await tx.get(`${ACCOUNT_SELECT} WHERE a.id = $1`, [id]);
      const current = toAccount(row!);
      await tx.run(
        `UPDATE accounts SET name = $2, password_hash = $3, plan = $4, status = $5, profile = $6, idle_timeout_minutes = $7 WHERE id = $1`,
        [id, patch.name ?? current.name, patch.passwordHash ?? current.passwordHash, patch.plan ?? current.plan,
          patch.status ?? current.status, JSON.stringify({ ...current.profile, ...patch.profile }),
          patch.idleTimeoutMinutes ?? current.idleTimeoutMinutes]);
      // sessions logged in with the old password, or while it was active, are to end
      if ((patch.passwordHash !== undefined && patch.passwordHash !== current.passwordHash) || (patch.status !== undefined && patch.status !== current.status)) {
        await this.db.announce(tx, accountNotice(id));
      }
    }));
    return (await this.getAccount(id))!;
  }

  async touchAccount(id: number, at: number): Promise<void> {
    await this.db.run('UPDATE accounts SET last_activity_at = $2 WHERE id = $1 AND (last_activity_at IS NULL OR last_activity_at < $2)', [id, at]);
  }

  async deleteAccount(id: number): Promise<void> {
    await this.db.transaction(async (tx, afterCommit) => {
      const found = await tx.get('SELECT id FROM accounts WHERE id = $1', [id]);
      if (!found) throw new NotFound(`account ${id} does not exist`);
      // its personal space, and the spaces of the groups it administers (deleted with it);
      // their collections are locked first, so that no copy out of them commits unseen
      const scope = `SELECT c.id FROM collections c JOIN spaces s ON s.id = c.space_id
        WHERE s.account_id = $1 OR s.group_id IN (SELECT id FROM groups WHERE admin_id = $1)`;
      await tx.run(`UPDATE collections SET modseq = modseq WHERE id IN (${scope})`, [id]);
      await trashBlobsOf(tx, scope, [id]);
      await tx.run('DELETE FROM accounts WHERE id = $1', [id]);
      await this.db.announce(tx, accountNotice(id));
      afterCommit(this.freed);
    });
  }

  // ----- sessions

  async createSession(s: Session): Promise<void> {
    await unique('the session id is taken', () => existing(`account ${s.accountId} does not exist`, () => this.db.run(
      'INSERT INTO sessions (id, account_id, created_at, last_seen_at, user_agent, client_address) VALUES ($1, $2, $3, $4, $5, $6)',
      [s.id, s.accountId, s.createdAt, s.lastSeenAt, s.userAgent, s.clientAddress])));
  }

  async getSession(id: string): Promise<Session | null> {
    const row = await this.db.get('SELECT * FROM sessions WHERE id = $1', [id]);
    return row ? toSession(row) : null;
  }

  async touchSession(id: string, at: number): Promise<void> {
    await this.db.run('UPDATE sessions SET last_seen_at = $2 WHERE id = $1', [id, at]);
  }

  async listSessions(accountId: number): Promise<Session[]> {
    return (await this.db.all('SELECT * FROM sessions WHERE account_id = $1 ORDER BY last_seen_at DESC', [accountId])).map(toSession);
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE id = $1', [id]);
  }

  async deleteSessions(accountId: number, exceptId?: string): Promise<number> {
    const r = await this.db.run('DELETE FROM sessions WHERE account_id = $1 AND id <> $2', [accountId, exceptId ?? '']);
    return r.changes;
  }

  // ----- plans

  async putPlan(p: Plan): Promise<void> {
    await this.db.run(
      `INSERT INTO plans (name, mail_bytes, files_bytes, max_groups, max_group_members, features, paid)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (name) DO UPDATE SET mail_bytes = excluded.mail_bytes, files_bytes = excluded.files_bytes,
         max_groups = excluded.max_groups, max_group_members = excluded.max_group_members,
         features = excluded.features, paid = excluded.paid`,
      [p.name, p.mailBytes, p.filesBytes, p.maxGroups, p.maxGroupMembers, JSON.stringify(p.features), p.paid ? 1 : 0]);
  }

  async getPlan(name: string): Promise<Plan | null> {
    const row = await this.db.get('SELECT * FROM plans WHERE name = $1', [name]);
    return row ? toPlan(row) : null;
  }

  async listPlans(): Promise<Plan[]> {
    return (await this.db.all('SELECT * FROM plans ORDER BY name')).map(toPlan);
  }

  // ----- domains

  async createDomain(name: string, ownerId: number | null): Promise<Domain> {
    const lower = name.toLowerCase();
    await unique(`the domain ${lower} already exists`, () => existing(`account ${ownerId} does not exist`, () => this.db.run(
      'INSERT INTO domains (name, owner_id, created_at) VALUES ($1, $2, $3)', [lower, ownerId, Date.now()])));
    return (await this.getDomain(lower))!;
  }

  async getDomain(name: string): Promise<Domain | null> {
    const row = await this.db.get('SELECT * FROM domains WHERE name = $1', [name.toLowerCase()]);
    return row ? toDomain(row) : null;
  }

  async listDomains(): Promise<Domain[]> {
    return (await this.db.all('SELECT * FROM domains ORDER BY name')).map(toDomain);
  }

  async deleteDomain(name: string): Promise<void> {
    const r = await this.db.run('DELETE FROM domains WHERE name = $1', [name.toLowerCase()]);
    if (r.changes === 0) throw new NotFound(`the domain ${name} does not exist`);
  }

  // ----- groups

  /** Locks an account row until the commit, so that counts made after it hold. */
  private async lockAccount(tx: SqlRunner, id: number): Promise<void> {
    const r = await tx.run('UPDATE accounts SET lock_version = lock_version + 1 WHERE id = $1', [id]);
    if (r.changes === 0) throw new NotFound(`account ${id} does not exist`);
  }

  private async lockGroup(tx: SqlRunner, id: number): Promise<{ adminId: number; name: string }> {
    const row = await tx.get<{ admin_id: number; name: string }>(
      'UPDATE groups SET lock_version = lock_version + 1 WHERE id = $1 RETURNING admin_id, name', [id]);
    if (!row) throw new NotFound(`group ${id} does not exist`);
    return { adminId: Number(row.admin_id), name: row.name };
  }

  private async checkGroupsLimit(tx: SqlRunner, accountId: number, maxGroups: number): Promise<void> {
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

  // ----- spaces and collections

  async getSpace(id: number): Promise<Space | null> {
    const row = await this.db.get('SELECT * FROM spaces WHERE id = $1', [id]);
    return row ? toSpace(row) : null;
  }

  private async insertCollection(tx: SqlRunner, input: NewCollection): Promise<Collection> {
    assertName(input.name);
    const parentId = input.parentId ?? null;
    if (parentId !== null) {
      const parent = await tx.get<{ space_id: number; tool: string }>('SELECT space_id, tool FROM collections WHERE id = $1', [parentId]);
      if (!parent) throw new NotFound(`the parent collection ${parentId} does not exist`);
      if (Number(parent.space_id) !== input.spaceId || parent.tool !== input.tool) {
        throw new Conflict('a collection must be in the same space and tool as its parent');
      }
    }
    const what = input.role ? `a ${input.tool} collection named ${input.name} or with the role ${input.role} already exists`
      : `a ${input.tool} collection named ${input.name} already exists there`;
    const row = await unique(what, () => existing(`space ${input.spaceId} does not exist`, () => tx.get(
      `INSERT INTO collections (space_id, tool, parent_id, name, role, props, uid_validity, uid_next, modseq, created_at, counted)
       VALUES ($1, $2, $3, $4, $5, $6, 0, 1, 1, $7, $8) RETURNING id`,
      [input.spaceId, input.tool, parentId, input.name, input.role ?? null, JSON.stringify(input.props ?? {}), Date.now(), input.counted === false ? 0 : 1])));
    // ids are never reused, so the id is a UIDVALIDITY that no earlier collection of that name had
    const updated = await tx.get('UPDATE collections SET uid_validity = id WHERE id = $1 RETURNING *', [Number(row!.id)]);
    return toCollection(updated!);
  }

  async createCollection(input: NewCollection): Promise<Collection> {
    return this.db.transaction((tx) => this.insertCollection(tx, input));
  }

  async getCollection(id: number): Promise<Collection | null> {
    const row = await this.db.get('SELECT * FROM collections WHERE id = $1', [id]);
    return row ? toCollection(row) : null;
  }

  async findCollection(spaceId: number, tool: Tool, parentId: number | null, name: string): Promise<Collection | null> {
    const row = await this.db.get(
      'SELECT * FROM collections WHERE space_id = $1 AND tool = $2 AND COALESCE(parent_id, 0) = $3 AND name = $4',
      [spaceId, tool, parentId ?? 0, name]);
    return row ? toCollection(row) : null;
  }

  async findCollectionByRole(spaceId: number, tool: Tool, role: string): Promise<Collection | null> {
    const row = await this.db.get('SELECT * FROM collections WHERE space_id = $1 AND tool = $2 AND role = $3', [spaceId, tool, role]);
    return row ? toCollection(row) : null;
  }

  async listCollections(spaceId: number, tool?: Tool, parentId?: number | null): Promise<Collection[]> {
    const rows = await this.db.all(
      `SELECT * FROM collections WHERE space_id = $1 AND ($2 = '' OR tool = $2)
         AND ($3 = -1 OR COALESCE(parent_id, 0) = $3) ORDER BY tool, name`,
      [spaceId, tool ?? '', parentId === undefined ? -1 : (parentId ?? 0)]);
    return rows.map(toCollection);
  }

  async getCollectionPath(id: number): Promise<Collection[]> {
    const rows = await this.db.all(
      `WITH RECURSIVE path(id, depth) AS (
         SELECT id, 0 FROM collections WHERE id = $1
         UNION ALL SELECT c.parent_id, p.depth + 1 FROM collections c JOIN path p ON c.id = p.id WHERE c.parent_id IS NOT NULL)
       SELECT c.* FROM path p JOIN collections c ON c.id = p.id ORDER BY p.depth DESC`, [id]);
    return rows.map(toCollection);
  }

  async listSubtree(id: number): Promise<number[]> {
    return (await this.db.all<{ id: number }>(`${SUBTREE} SELECT id FROM subtree`, [id])).map((r) => Number(r.id));
  }

  async updateCollection(id: number, patch: CollectionPatch): Promise<Collection> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get('SELECT * FROM collections WHERE id = $1', [id]);
      if (!row) throw new NotFound(`collection ${id} does not exist`);
      const current = toCollection(row);
      const name = patch.name ?? current.name;
      assertName(name);
      const parentId = patch.parentId === undefined ? current.parentId : patch.parentId;
      if (parentId !== null && parentId !== current.parentId) {
        const inside = await tx.get(`${SUBTREE} SELECT 1 AS one FROM subtree WHERE id = $2`, [id, parentId]);
        if (inside) throw new Conflict('a collection cannot be moved into itself or its descendants');
        const parent = await tx.get<{ space_id: number; tool: string }>('SELECT space_id, tool FROM collections WHERE id = $1', [parentId]);
        if (!parent) throw new NotFound(`the parent collection ${parentId} does not exist`);
        if (Number(parent.space_id) !== current.spaceId || parent.tool !== current.tool) {
          throw new Conflict('a collection must be in the same space and tool as its parent');
        }
      }
      const props: Record<string, string> = { ...current.props };
      for (const [k, v] of Object.entries(patch.props ?? {})) {
        if (v === null) delete props[k];
        else props[k] = v;
      }
      const updated = await unique(`a ${current.tool} collection named ${name} already exists there`, () => tx.get(
        'UPDATE collections SET name = $2, parent_id = $3, props = $4 WHERE id = $1 RETURNING *',
        [id, name, parentId, JSON.stringify(props)]));
      return toCollection(updated!);
    });
  }

  async deleteCollection(id: number): Promise<void> {
    await this.db.transaction(async (tx, afterCommit) => {
      const row = await tx.get<{ space_id: number; tool: Tool }>('SELECT space_id, tool FROM collections WHERE id = $1', [id]);
      if (!row) throw new NotFound(`collection ${id} does not exist`);
      const bucket = bucketOf(row.tool);
      // lock the subtree first: a copy out of it either committed before (and is
      // seen below) or waits and then finds its source gone
      await tx.run(`${SUBTREE} UPDATE collections SET modseq = modseq WHERE id IN (SELECT id FROM subtree)`, [id]);
      const sum = await tx.get<{ n: number | null }>(
        `${SUBTREE} SELECT SUM(i.size) AS n FROM items i JOIN collections c ON c.id = i.collection_id
          WHERE c.id IN (SELECT id FROM subtree) AND c.counted = 1`, [id]);
      const bytes = Number(sum?.n ?? 0);
      await trashBlobsOf(tx, `${SUBTREE} SELECT id FROM subtree`, [id]);
      await tx.run('DELETE FROM collections WHERE id = $1', [id]);
      if (bytes > 0) {
        await tx.run('UPDATE quota_usage SET used_bytes = used_bytes - $3 WHERE space_id = $1 AND bucket = $2',
          [Number(row.space_id), bucket, bytes]);
      }
      afterCommit(this.freed);
    });
  }

  // ----- items

  async putItem(input: PutItem): Promise<Item> {
    assertName(input.name);
    return putItem(this.db, input, this.freed);
  }

  async getItem(id: number): Promise<Item | null> {
    const row = await this.db.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1`, [id]);
    return row ? toItem(row) : null;
  }

  async getItemByUid(collectionId: number, uid: number): Promise<Item | null> {
    const row = await this.db.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND uid = $2`, [collectionId, uid]);
    return row ? toItem(row) : null;
  }

  async getItemByName(collectionId: number, name: string): Promise<Item | null> {
    const row = await this.db.get(`SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND name = $2`, [collectionId, name]);
    return row ? toItem(row) : null;
  }

  async listItems(collectionId: number, options: { afterUid?: number; limit?: number } = {}): Promise<Item[]> {
    const rows = await this.db.all(
      `SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND uid > $2 ORDER BY uid LIMIT $3`,
      [collectionId, options.afterUid ?? 0, options.limit ?? Number.MAX_SAFE_INTEGER]);
    return rows.map(toItem);
  }

  async getItemsByUids(collectionId: number, uids: readonly number[]): Promise<Item[]> {
    return this.itemsIn(collectionId, 'uid', [...new Set(uids)]);
  }

  async getItemsByNames(collectionId: number, names: readonly string[]): Promise<Item[]> {
    return this.itemsIn(collectionId, 'name', [...new Set(names)]);
  }

  /** Items of a collection whose uid or name is among `values`, in uid order: one query per IN_CHUNK values. */
  private async itemsIn(collectionId: number, column: 'uid' | 'name', values: readonly (number | string)[]): Promise<Item[]> {
    const out: Item[] = [];
    for (let at = 0; at < values.length; at += IN_CHUNK) {
      const chunk = values.slice(at, at + IN_CHUNK);
      const rows = await this.db.all(
        `SELECT ${ITEM_COLUMNS} FROM items WHERE collection_id = $1 AND ${column} IN (${chunk.map((_, i) => `$${i + 2}`).join(', ')})`,
        [collectionId, ...chunk]);
      for (const r of rows) out.push(toItem(r));
    }
    return out.sort((a, b) => a.uid - b.uid);
  }

  async readItemContents(items: readonly Item[]): Promise<Map<number, Uint8Array>> {
    const out = new Map<number, Uint8Array>();
    const inline = items.filter((i) => i.blobId === null).map((i) => i.id);
    for (let at = 0; at < inline.length; at += IN_CHUNK) {
      const chunk = inline.slice(at, at + IN_CHUNK);
      const rows = await this.db.all<{ id: number; content: Uint8Array | null }>(
        `SELECT id, content FROM items WHERE id IN (${chunk.map((_, i) => `$${i + 1}`).join(', ')})`, chunk);
      for (const r of rows) if (r.content !== null) out.set(Number(r.id), new Uint8Array(r.content));
    }
    const blobs = items.filter((i) => i.blobId !== null);
    for (let at = 0; at < blobs.length; at += 16) {
      await Promise.all(blobs.slice(at, at + 16).map(async (i) => { out.set(i.id, await this.blobs.read(i.blobId!)); }));
    }
    for (const i of items) if (!out.has(i.id)) throw new NotFound(`item ${i.id} does not exist`);
    return out;
  }

  async readItemContent(item: Item): Promise<Uint8Array> {
    if (item.blobId !== null) return this.blobs.read(item.blobId);
    const row = await this.db.get<{ content: Uint8Array | null }>('SELECT content FROM items WHERE id = $1', [item.id]);
    if (!row || row.content === null) throw new NotFound(`item ${item.id} does not exist`);
    return new Uint8Array(row.content);
  }

  updateItemMeta(id: number, meta: ItemMeta, index?: ItemIndex): Promise<Item> {
    return updateItemMeta(this.db, id, meta, index);
  }

  async searchItems(collectionId: number, query: ItemQuery): Promise<number[]> {
    const { sql, params } = compileSearch(this.kind, collectionId, query);
    return (await this.db.all<{ uid: number }>(sql, params)).map((r) => Number(r.uid));
  }

  getItemIndex(id: number): Promise<ItemIndex> {
    return readIndex(this.db, id);
  }

  deleteItem(id: number): Promise<void> {
    return deleteItem(this.db, id, this.freed);
  }

  async copyItem(input: CopyItem): Promise<Item> {
    assertName(input.name);
    return copyItem(this.db, input, false, this.freed);
  }

  async moveItem(input: CopyItem): Promise<Item> {
    assertName(input.name);
    return copyItem(this.db, input, true, this.freed);
  }

  async changesSince(collectionId: number, modseq: number): Promise<Changes> {
    // no transaction (a read must not take SQLite's write lock): the counter is
    // read first and the log up to it, so a write committing in between is
    // reported next time rather than skipped
    const c = await this.db.get<{ modseq: number }>('SELECT modseq FROM collections WHERE id = $1', [collectionId]);
    if (!c) throw new NotFound(`collection ${collectionId} does not exist`);
    const now = Number(c.modseq);
    const rows = await this.db.all<{ modseq: number; uid: number; name: string | null; op: 'put' | 'delete' }>(
      'SELECT modseq, uid, name, op FROM changes WHERE collection_id = $1 AND modseq > $2 AND modseq <= $3 ORDER BY modseq',
      [collectionId, modseq, now]);
    return {
      modseq: now,
      changes: rows.map((r) => ({ modseq: Number(r.modseq), uid: Number(r.uid), name: r.name, op: r.op })),
    };
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    return this.db.subscribe((payload) => {
      // collection:modseq; account notices and the SQLite driver's "another process wrote" are not for these listeners
      const m = /^(\d+):(\d+)$/.exec(payload);
      if (m) listener({ collectionId: Number(m[1]), modseq: Number(m[2]) });
    });
  }

  onAccountChange(listener: (accountId: number | null) => void): () => void {
    return this.db.subscribe((payload) => {
      if (payload === EXTERNAL_WRITE) listener(null);
      else if (payload.startsWith(ACCOUNT_NOTICE)) listener(Number(payload.slice(ACCOUNT_NOTICE.length)));
    });
  }

  // ----- grants

  async putGrant(g: NewGrant): Promise<Grant> {
    const itemId = g.itemId ?? null;
    const row = await existing('the collection, group or account of the grant does not exist', () => this.db.transaction(async (tx) => {
      if (itemId !== null) {
        const item = await tx.get<{ collection_id: number }>('SELECT collection_id FROM items WHERE id = $1', [itemId]);
        if (!item || Number(item.collection_id) !== g.collectionId) {
          throw new NotFound(`item ${itemId} is not in collection ${g.collectionId}`);
        }
      }
      return tx.get(
        `INSERT INTO grants (collection_id, item_id, group_id, rights, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (collection_id, COALESCE(item_id, 0), group_id)
         DO UPDATE SET rights = excluded.rights, granted_by = excluded.granted_by, created_at = excluded.created_at
         RETURNING *`,
        [g.collectionId, itemId, g.groupId, rightsText(g.rights), g.grantedBy, Date.now()]);
    }));
    return toGrant(row!);
  }

  async deleteGrant(id: number): Promise<void> {
    const r = await this.db.run('DELETE FROM grants WHERE id = $1', [id]);
    if (r.changes === 0) throw new NotFound(`grant ${id} does not exist`);
  }

  async getGrant(id: number): Promise<Grant | null> {
    const row = await this.db.get('SELECT * FROM grants WHERE id = $1', [id]);
    return row ? toGrant(row) : null;
  }

  async listGrants(collectionIds: readonly number[], itemIds: readonly number[] = []): Promise<Grant[]> {
    if (collectionIds.length === 0 && itemIds.length === 0) return [];
    const params = [...collectionIds, ...itemIds];
    const parts: string[] = [];
    // two indexed lookups joined, rather than one OR that scans the table
    if (collectionIds.length > 0) {
      parts.push(`SELECT * FROM grants WHERE item_id IS NULL AND collection_id IN (${collectionIds.map((_, i) => `$${i + 1}`).join(', ')})`);
    }
    if (itemIds.length > 0) {
      parts.push(`SELECT * FROM grants WHERE item_id IN (${itemIds.map((_, i) => `$${collectionIds.length + i + 1}`).join(', ')})`);
    }
    const rows = await this.db.all(`${parts.join(' UNION ALL ')} ORDER BY id`, params);
    return rows.map(toGrant);
  }

  async listItemGrants(collectionId: number): Promise<Grant[]> {
    return (await this.db.all('SELECT * FROM grants WHERE collection_id = $1 AND item_id IS NOT NULL ORDER BY id', [collectionId])).map(toGrant);
  }

  async listGrantsBy(accountId: number): Promise<Grant[]> {
    return (await this.db.all('SELECT * FROM grants WHERE granted_by = $1 ORDER BY id', [accountId])).map(toGrant);
  }

  async listGrantsInSpaces(spaceIds: readonly number[]): Promise<Grant[]> {
    if (spaceIds.length === 0) return [];
    const rows = await this.db.all(
      `SELECT g.* FROM grants g JOIN collections c ON c.id = g.collection_id
        WHERE c.space_id IN (${spaceIds.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY g.id`, [...spaceIds]);
    return rows.map(toGrant);
  }

  async listReachableCollections(accountId: number, tool: Tool): Promise<ReachableCollection[]> {
    const mine = 'SELECT group_id FROM memberships WHERE account_id = $1';
    const rows = await this.db.all(
      `SELECT c.*, s.account_id AS owner_account_id, s.group_id AS owner_group_id FROM collections c JOIN spaces s ON s.id = c.space_id
        WHERE c.tool = $2 AND (
          s.account_id = $1
          OR s.group_id IN (${mine})
          OR EXISTS (SELECT 1 FROM grants g WHERE g.collection_id = c.id AND g.group_id IN (${mine}))
          OR (s.account_id IN (SELECT m.account_id FROM memberships m WHERE m.group_id IN (${mine}))
              AND (c.role = 'dropbox' OR c.tool = 'calendar')))
        ORDER BY c.space_id, c.id`, [accountId, tool]);
    const grantRows = await this.db.all(
      `SELECT g.* FROM grants g JOIN collections c ON c.id = g.collection_id
        WHERE c.tool = $2 AND g.group_id IN (${mine}) ORDER BY g.id`, [accountId, tool]);
    const grants = new Map<number, Grant[]>();
    for (const g of grantRows.map(toGrant)) grants.set(g.collectionId, [...(grants.get(g.collectionId) ?? []), g]);
    return rows.map((r) => {
      const collection = toCollection(r);
      const space = toSpace({ id: r.space_id, account_id: r.owner_account_id, group_id: r.owner_group_id });
      return { collection, space, grants: grants.get(collection.id) ?? [] };
    });
  }

  // ----- quota

  async getUsage(spaceId: number, bucket: QuotaBucket): Promise<number> {
    const row = await this.db.get<{ used_bytes: number }>('SELECT used_bytes FROM quota_usage WHERE space_id = $1 AND bucket = $2', [spaceId, bucket]);
    if (!row) throw new NotFound(`space ${spaceId} does not exist`);
    return Number(row.used_bytes);
  }

  async usageByTool(spaceId: number): Promise<Record<Tool, number>> {
    const rows = await this.db.all<{ tool: Tool; n: number }>(
      `SELECT c.tool, SUM(i.size) AS n FROM items i JOIN collections c ON c.id = i.collection_id WHERE c.space_id = $1 AND c.counted = 1 GROUP BY c.tool`, [spaceId]);
    const out = Object.fromEntries(TOOLS.map((t) => [t, 0])) as Record<Tool, number>;
    for (const r of rows) out[r.tool] = Number(r.n);
    return out;
  }

  // ----- dav

  createLock(lock: DavLock): Promise<void> {
    return this.locks.create(lock);
  }

  getLock(token: string): Promise<DavLock | null> {
    return this.locks.get(token);
  }

  listLocks(anchorIds: readonly number[]): Promise<DavLock[]> {
    return this.locks.list(anchorIds);
  }

  refreshLock(token: string, timeoutSeconds: number, expiresAt: number): Promise<DavLock> {
    return this.locks.refresh(token, timeoutSeconds, expiresAt);
  }

  deleteLock(token: string): Promise<void> {
    return this.locks.delete(token);
  }

  deleteLocksAt(anchorId: number, name: string): Promise<void> {
    return this.locks.deleteAt(anchorId, name);
  }

  countLocksOf(accountId: number): Promise<number> {
    return this.locks.countOf(accountId);
  }

  // ----- mail

  updateItemsMeta(collectionId: number, uids: readonly number[], change: (item: Item) => MetaChange | null): Promise<Item[]> {
    return updateItemsMeta(this.db, collectionId, uids, change);
  }

  copyItems(input: CopyItems): Promise<CopiedItem[]> {
    return copyItems(this.db, input, this.freed);
  }

  deleteItems(collectionId: number, uids: readonly number[]): Promise<Item[]> {
    return deleteItems(this.db, collectionId, uids, this.freed);
  }

  listItemMeta(collectionId: number, keys: readonly string[], options: { afterUid?: number; limit?: number } = {}): Promise<ItemMetaRow[]> {
    return listItemMeta(this.db, collectionId, keys, options);
  }

  // ----- outbound mail
  enqueueOutbound(messages: readonly NewOutboundMessage[]): Promise<number[]> {
    return this.outbound.enqueue(messages);
  }

  claimOutbound(now: number, limit: number, leaseMs: number, holder?: string): Promise<OutboundMessage[]> {
    return this.outbound.claim(now, limit, leaseMs, holder);
  }

  settleOutbound(id: number, retry: OutboundRetry | null): Promise<void> {
    return this.outbound.settle(id, retry);
  }

  outboundLeaseHolders(now: number): Promise<{ holder: string; messages: number }[]> {
    return this.outbound.leaseHolders(now);
  }

  releaseOutboundLeases(holders: readonly string[]): Promise<number> {
    return this.outbound.releaseLeases(holders);
  }

  deferOutbound(id: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.outbound.defer(id, nextAttemptAt, error);
  }

  removeOutbound(id: number): Promise<void> {
    return this.outbound.remove(id);
  }

  listOutbound(): Promise<OutboundMessage[]> {
    return this.outbound.list();
  }

  putDkimKey(key: DkimKey): Promise<void> {
    return this.outbound.putDkimKey(key);
  }

  getDkimKey(domain: string): Promise<DkimKey | null> {
    return this.outbound.getDkimKey(domain);
  }

  // ----- account contact addresses

  async putAccountContact(c: AccountContact): Promise<void> {
    await existing(`account ${c.accountId} does not exist`, () => this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM account_contacts WHERE account_id = $1', [c.accountId]);
      await tx.run(
        'INSERT INTO account_contacts (account_id, email, confirmed_at, token_hash, token_expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [c.accountId, c.email, c.confirmedAt, c.tokenHash, c.tokenExpiresAt, c.createdAt]);
    }));
  }

  async getAccountContact(accountId: number): Promise<AccountContact | null> {
    const r = await this.db.get('SELECT * FROM account_contacts WHERE account_id = $1', [accountId]);
    return r ? toContact(r) : null;
  }

  async confirmAccountContact(tokenHash: string, now: number): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const r = await tx.get('SELECT * FROM account_contacts WHERE token_hash = $1', [tokenHash]);
      if (!r) return null;
      const c = toContact(r);
      if (c.tokenExpiresAt === null || c.tokenExpiresAt <= now) return null;
      const used = await tx.run('UPDATE account_contacts SET confirmed_at = $2, token_hash = NULL, token_expires_at = NULL WHERE account_id = $1 AND token_hash = $3', [c.accountId, now, tokenHash]);
      if (used.changes !== 1) return null;
      await tx.run("UPDATE accounts SET status = 'active' WHERE id = $1 AND status = 'pending'", [c.accountId]);
      return c.accountId;
    });
  }

  async listExpiredSignups(now: number): Promise<number[]> {
    const rows = await this.db.all(
      `SELECT a.id FROM accounts a JOIN account_contacts c ON c.account_id = a.id
        WHERE a.status = 'pending' AND c.confirmed_at IS NULL AND c.token_expires_at IS NOT NULL AND c.token_expires_at <= $1`, [now]);
    return rows.map((r) => Number(r.id));
  }

  // ----- password resets, held-back addresses, profile photos

  async putPasswordReset(r: PasswordReset): Promise<void> {
    await existing(`account ${r.accountId} does not exist`, () => this.recovery.putReset(r));
  }

  getPasswordReset(tokenHash: string, now: number): Promise<PasswordReset | null> {
    return this.recovery.getReset(tokenHash, now);
  }

  usePasswordReset(tokenHash: string, now: number, passwordHash: string): Promise<number | null> {
    return this.recovery.useReset(tokenHash, now, passwordHash);
  }

  holdAddress(address: string, until: number): Promise<void> {
    return this.recovery.hold(address, until);
  }

  addressHeldUntil(address: string, now: number): Promise<number | null> {
    return this.recovery.heldUntil(address, now);
  }

  async putAccountPhoto(accountId: number, photo: { contentType: string; content: Uint8Array }): Promise<void> {
    await existing(`account ${accountId} does not exist`, () => this.recovery.putPhoto(accountId, photo.contentType, photo.content));
  }

  getAccountPhoto(accountId: number): Promise<AccountPhoto | null> {
    return this.recovery.getPhoto(accountId);
  }

  deleteAccountPhoto(accountId: number): Promise<boolean> {
    return this.recovery.deletePhoto(accountId);
  }

  // ----- rate counters

  countRate(keys: readonly string[], now: number, windowMs: number): Promise<RateCount[]> {
    return this.rates.count(keys, now, windowMs);
  }

  readRate(keys: readonly string[], now: number): Promise<RateCount[]> {
    return this.rates.read(keys, now);
  }

  clearRate(keys: readonly string[]): Promise<void> {
    return this.rates.clear(keys);
  }

  sweepRate(now: number): Promise<number> {
    return this.rates.sweep(now);
  }
}

function toContact(r: Record<string, unknown>): AccountContact {
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    accountId: Number(r.account_id), email: String(r.email), confirmedAt: n(r.confirmed_at),
    tokenHash: r.token_hash === null || r.token_hash === undefined ? null : String(r.token_hash),
    tokenExpiresAt: n(r.token_expires_at), createdAt: Number(r.created_at),
  };
}
