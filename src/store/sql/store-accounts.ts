// The SQL store's accounts, sessions, plans and domains; one layer of SqlStore (store.ts), on both backends.
import { NotFound } from '../errors.ts';
import type { Account, AccountPatch, Domain, NewAccount, NewCollectionInSpace, Plan, QuotaBucket, Session } from '../types.ts';
import { accountNotice, type SqlRunner } from './driver.ts';
import { EMPTY_PROFILE, toAccount, toDomain, toPlan, toSession } from './rows.ts';
import { trashBlobsOf } from './writes.ts';
import { unique, existing, ACCOUNT_SELECT, DEFAULT_IDLE_MINUTES } from './store-base.ts';
import { SqlCollectionsStore } from './store-collections.ts';

export class SqlAccountsStore extends SqlCollectionsStore {
  // ----- accounts

  protected async insertSpace(tx: SqlRunner, owner: { accountId: number } | { groupId: number }, collections: readonly NewCollectionInSpace[]): Promise<number> {
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

  /** Locks an account row until the commit, so that counts made after it hold. */
  protected async lockAccount(tx: SqlRunner, id: number): Promise<void> {
    const r = await tx.run('UPDATE accounts SET lock_version = lock_version + 1 WHERE id = $1', [id]);
    if (r.changes === 0) throw new NotFound(`account ${id} does not exist`);
  }

}
