// WebDAV locks in the database (migration 004).
import { Conflict, NotFound } from '../errors.ts';
import type { DavLock } from '../types.ts';
import { UniqueViolation, type Row, type SqlDriver } from './driver.ts';

function toLock(r: Row): DavLock {
  return {
    token: String(r.token),
    anchorId: Number(r.anchor_id),
    name: String(r.name),
    depth: String(r.depth) as DavLock['depth'],
    scope: String(r.scope) as DavLock['scope'],
    owner: String(r.owner),
    accountId: Number(r.account_id),
    root: String(r.root),
    timeoutSeconds: Number(r.timeout_seconds),
    expiresAt: Number(r.expires_at),
    createdAt: Number(r.created_at),
  };
}

export class SqlLocks {
  private readonly db: SqlDriver;
  constructor(db: SqlDriver) {
    this.db = db;
  }

  async create(l: DavLock): Promise<void> {
    try {
      await this.db.run(
        `INSERT INTO dav_locks (token, anchor_id, name, depth, scope, owner, account_id, root, timeout_seconds, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [l.token, l.anchorId, l.name, l.depth, l.scope, l.owner, l.accountId, l.root, l.timeoutSeconds, l.expiresAt, l.createdAt]);
    } catch (err) {
      if (err instanceof UniqueViolation) throw new Conflict('the lock token is taken');
      throw err;
    }
  }

  async get(token: string): Promise<DavLock | null> {
    const row = await this.db.get('SELECT * FROM dav_locks WHERE token = $1 AND expires_at > $2', [token, Date.now()]);
    return row ? toLock(row) : null;
  }

  async list(anchorIds: readonly number[]): Promise<DavLock[]> {
    if (anchorIds.length === 0) return [];
    await this.db.run('DELETE FROM dav_locks WHERE expires_at <= $1', [Date.now()]);
    const marks = anchorIds.map((_, i) => `$${i + 1}`).join(', ');
    return (await this.db.all(`SELECT * FROM dav_locks WHERE anchor_id IN (${marks}) ORDER BY created_at`, anchorIds)).map(toLock);
  }

  async refresh(token: string, timeoutSeconds: number, expiresAt: number): Promise<DavLock> {
    const row = await this.db.get(
      'UPDATE dav_locks SET timeout_seconds = $2, expires_at = $3 WHERE token = $1 AND expires_at > $4 RETURNING *',
      [token, timeoutSeconds, expiresAt, Date.now()]);
    if (!row) throw new NotFound(`there is no lock ${token}`);
    return toLock(row);
  }

  async delete(token: string): Promise<void> {
    const r = await this.db.run('DELETE FROM dav_locks WHERE token = $1', [token]);
    if (r.changes === 0) throw new NotFound(`there is no lock ${token}`);
  }

  async countOf(accountId: number): Promise<number> {
    const row = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM dav_locks WHERE account_id = $1 AND expires_at > $2', [accountId, Date.now()]);
    return Number(row?.n ?? 0);
  }

  async deleteAt(anchorId: number, name: string): Promise<void> {
    await this.db.run('DELETE FROM dav_locks WHERE anchor_id = $1 AND name = $2', [anchorId, name]);
  }
}
