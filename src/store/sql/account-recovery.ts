// Password reset links, held-back addresses and profile photos (migration 007).
import type { AccountPhoto, PasswordReset } from '../types.ts';
import { accountNotice, type Row, type SqlDriver } from './driver.ts';

function toReset(r: Row): PasswordReset {
  return { accountId: Number(r.account_id), tokenHash: String(r.token_hash), expiresAt: Number(r.expires_at), createdAt: Number(r.created_at) };
}

function bytes(v: unknown): Uint8Array {
  const b = v as Uint8Array;
  return b instanceof Buffer ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

export class SqlAccountRecovery {
  private readonly db: SqlDriver;
  constructor(db: SqlDriver) {
    this.db = db;
  }

  async putReset(r: PasswordReset): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM password_resets WHERE account_id = $1 OR expires_at <= $2', [r.accountId, r.createdAt]);
      await tx.run('INSERT INTO password_resets (account_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)',
        [r.accountId, r.tokenHash, r.expiresAt, r.createdAt]);
    });
  }

  async getReset(tokenHash: string, now: number): Promise<PasswordReset | null> {
    const r = await this.db.get('SELECT * FROM password_resets WHERE token_hash = $1 AND expires_at > $2', [tokenHash, now]);
    return r ? toReset(r) : null;
  }

  async useReset(tokenHash: string, now: number, passwordHash: string): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const r = await tx.get('DELETE FROM password_resets WHERE token_hash = $1 RETURNING account_id, expires_at', [tokenHash]);
      if (!r || Number(r.expires_at) <= now) return null;
      const accountId = Number(r.account_id);
      const set = await tx.run("UPDATE accounts SET password_hash = $2 WHERE id = $1 AND status = 'active'", [accountId, passwordHash]);
      if (set.changes !== 1) return null;
      await tx.run('DELETE FROM sessions WHERE account_id = $1', [accountId]);
      await this.db.announce(tx, accountNotice(accountId));
      return accountId;
    });
  }

  async hold(address: string, until: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM held_addresses WHERE held_until <= $1', [Date.now()]);
      await tx.run(
        `INSERT INTO held_addresses (address, held_until) VALUES ($1, $2)
         ON CONFLICT (address) DO UPDATE SET held_until = CASE WHEN excluded.held_until > held_addresses.held_until THEN excluded.held_until ELSE held_addresses.held_until END`,
        [address.toLowerCase(), until]);
    });
  }

  async heldUntil(address: string, now: number): Promise<number | null> {
    const r = await this.db.get('SELECT held_until FROM held_addresses WHERE address = $1 AND held_until > $2', [address.toLowerCase(), now]);
    return r ? Number(r.held_until) : null;
  }

  async putPhoto(accountId: number, contentType: string, content: Uint8Array): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM account_photos WHERE account_id = $1', [accountId]);
      await tx.run('INSERT INTO account_photos (account_id, content_type, content, updated_at) VALUES ($1, $2, $3, $4)',
        [accountId, contentType, content, Date.now()]);
    });
  }

  async getPhoto(accountId: number): Promise<AccountPhoto | null> {
    const r = await this.db.get('SELECT * FROM account_photos WHERE account_id = $1', [accountId]);
    return r ? { accountId, contentType: String(r.content_type), content: bytes(r.content), updatedAt: Number(r.updated_at) } : null;
  }

  async deletePhoto(accountId: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM account_photos WHERE account_id = $1', [accountId])).changes > 0;
  }
}
