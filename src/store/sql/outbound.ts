// The outbound mail queue and the DKIM keys (migrations 005, 011).
import type { DkimKey, NewOutboundMessage, OutboundMessage, OutboundRetry } from '../types.ts';
import type { Row, SqlDriver } from './driver.ts';

function toMessage(r: Row): OutboundMessage {
  const raw = r.raw as Uint8Array;
  return {
    id: Number(r.id),
    accountId: r.account_id === null ? null : Number(r.account_id),
    sender: String(r.sender),
    recipients: JSON.parse(String(r.recipients)) as string[],
    domain: String(r.domain),
    raw: raw instanceof Buffer ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    expiresAt: Number(r.expires_at),
    lastError: String(r.last_error),
    createdAt: Number(r.created_at),
  };
}

export class SqlOutbound {
  private readonly db: SqlDriver;
  constructor(db: SqlDriver) {
    this.db = db;
  }

  async enqueue(messages: readonly NewOutboundMessage[]): Promise<number[]> {
    return this.db.transaction(async (tx) => {
      const ids: number[] = [];
      for (const m of messages) {
        const row = await tx.get(
          `INSERT INTO outbound_queue (account_id, sender, recipients, domain, raw, next_attempt_at, expires_at, created_at, attempts)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [m.accountId, m.sender, JSON.stringify(m.recipients), m.domain, m.raw, m.nextAttemptAt, m.expiresAt, m.createdAt ?? Date.now(), m.attempts ?? 0]);
        ids.push(Number(row!.id));
      }
      return ids;
    });
  }

  async claim(now: number, limit: number, leaseMs: number, holder = ''): Promise<OutboundMessage[]> {
    const rows = await this.db.all(
      `UPDATE outbound_queue SET lease_until = $2, lease_holder = $4
       WHERE lease_until <= $1 AND id IN (
         SELECT id FROM outbound_queue WHERE next_attempt_at <= $1 AND lease_until <= $1 ORDER BY next_attempt_at LIMIT $3)
       RETURNING *`,
      [now, now + leaseMs, limit, holder]);
    return rows.map(toMessage);
  }

  async defer(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db.run(
      "UPDATE outbound_queue SET attempts = attempts + 1, next_attempt_at = $2, lease_until = 0, lease_holder = '', last_error = $3 WHERE id = $1",
      [id, nextAttemptAt, error.slice(0, 1000)]);
  }

  /** One statement, so atomic on both engines: the row shrinks to the recipients left, or goes. */
  async settle(id: number, retry: OutboundRetry | null): Promise<void> {
    if (!retry || retry.recipients.length === 0) {
      await this.remove(id);
      return;
    }
    await this.db.run(
      `UPDATE outbound_queue SET recipients = $2, attempts = attempts + 1, next_attempt_at = $3, lease_until = 0, lease_holder = '', last_error = $4
       WHERE id = $1`,
      [id, JSON.stringify(retry.recipients), retry.nextAttemptAt, retry.error.slice(0, 1000)]);
  }

  async leaseHolders(now: number): Promise<{ holder: string; messages: number }[]> {
    const rows = await this.db.all<{ holder: string; messages: number }>(
      'SELECT lease_holder AS holder, COUNT(*) AS messages FROM outbound_queue WHERE lease_until > $1 GROUP BY lease_holder ORDER BY lease_holder',
      [now]);
    return rows.map((r) => ({ holder: String(r.holder), messages: Number(r.messages) }));
  }

  async releaseLeases(holders: readonly string[]): Promise<number> {
    let released = 0;
    for (const holder of holders) {
      if (holder === '') continue;
      const r = await this.db.run("UPDATE outbound_queue SET lease_until = 0, lease_holder = '' WHERE lease_holder = $1 AND lease_until > 0", [holder]);
      released += r.changes;
    }
    return released;
  }

  async remove(id: number): Promise<void> {
    await this.db.run('DELETE FROM outbound_queue WHERE id = $1', [id]);
  }

  async list(): Promise<OutboundMessage[]> {
    return (await this.db.all('SELECT * FROM outbound_queue ORDER BY id')).map(toMessage);
  }

  async putDkimKey(key: DkimKey): Promise<void> {
    await this.db.run(
      `INSERT INTO dkim_keys (domain, selector, private_key, public_key, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (domain) DO NOTHING`,
      [key.domain, key.selector, key.privateKey, key.publicKey, key.createdAt]);
  }

  async getDkimKey(domain: string): Promise<DkimKey | null> {
    const r = await this.db.get('SELECT * FROM dkim_keys WHERE domain = $1', [domain]);
    return r ? { domain: String(r.domain), selector: String(r.selector), privateKey: String(r.private_key), publicKey: String(r.public_key), createdAt: Number(r.created_at) } : null;
  }
}
