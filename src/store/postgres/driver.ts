// PostgreSQL through `pg` (pure JavaScript; the optional pg-native is never
// loaded). A pool of connections; a transaction holds one of them. BIGINT and
// NUMERIC arrive as numbers (Bureau's counters stay far below 2^53). A change
// is announced with pg_notify inside the transaction, so every Bureau process
// listening on the channel hears it once the commit is durable, and only then.
// The listening connection is opened with the driver (so that a change made
// right after opening is heard) and opened again when it is lost; changes
// made while it is down are not heard.
import pg from 'pg';
import { StoreUnavailable } from '../errors.ts';
import { ForeignKeyViolation, UniqueViolation, type Row, type SqlDriver, type SqlRunner, type SqlValue } from '../sql/driver.ts';

const CHANNEL = 'bureau_changes';
const RETRIES = 5;
const RELISTEN_MS = 1000;
/** how long close() waits for the pool's connections to be closed by the server */
const CLOSE_WAIT_MS = 5000;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

function translate(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code === '23505') return new UniqueViolation((err as Error).message, { cause: err });
  if (code === '23503') return new ForeignKeyViolation((err as Error).message, { cause: err });
  return err;
}

function values(params: readonly SqlValue[]): unknown[] {
  return params.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
}

function runner(client: pg.Pool | pg.PoolClient): SqlRunner {
  const query = async <T extends Row>(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult<T>> => {
    try {
      return await client.query<T>(sql, values(params));
    } catch (err) {
      throw translate(err);
    }
  };
  return {
    all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => (await query<T>(sql, params)).rows,
    get: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => (await query<T>(sql, params)).rows[0],
    run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}

export class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly direct: SqlRunner;
  private readonly listeners = new Set<(payload: string) => void>();
  private listener: pg.Client | null = null;
  private closed = false;
  private readonly url: string;
  /** the pool's connections not yet ended, so that close() returns once they are */
  private readonly connections = new Set<pg.PoolClient>();

  private constructor(url: string, pool: pg.Pool) {
    this.url = url;
    this.pool = pool;
    this.direct = runner(pool);
    pool.on('connect', (client) => {
      this.connections.add(client);
      client.once('end', () => this.connections.delete(client));
    });
    // an idle connection ended by the server while the store is open; once close() began, its ending is expected
    pool.on('error', (err) => {
      if (!this.closed) process.emitWarning(`PostgreSQL connection lost: ${err.message}`);
    });
  }

  static async open(url: string): Promise<PostgresDriver> {
    const pool = new pg.Pool({ connectionString: url, max: 10, types, connectionTimeoutMillis: 10_000 });
    const driver = new PostgresDriver(url, pool);
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      const where = safeLocation(url);
      const cause = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new StoreUnavailable(`PostgreSQL at ${where} cannot be reached: ${cause}`, { cause: err });
    }
    try {
      await driver.listen();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new StoreUnavailable(`PostgreSQL at ${safeLocation(url)} refused the change listener: ${(err as Error).message}`, { cause: err });
    }
    return driver;
  }

  /** Opens the connection that LISTENs for changes; resolves once LISTEN is in effect. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      for (const l of this.listeners) {
        try {
          l(msg.payload);
        } catch (err) {
          process.emitWarning(`a change listener failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
    client.on('error', (err) => {
      if (this.closed) return;
      process.emitWarning(`PostgreSQL change listener lost: ${err.message}`);
      this.relisten(client);
    });
    client.on('end', () => this.relisten(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
  }

  /** The listening connection was lost: opens another, retrying until the driver is closed. */
  private relisten(client: pg.Client): void {
    if (this.closed || this.listener !== client) return;
    this.listener = null;
    client.end().catch(() => undefined);
    const retry = (): void => {
      if (this.closed) return;
      this.listen().catch((err: Error) => {
        process.emitWarning(`PostgreSQL change listener failed: ${err.message}`);
        setTimeout(retry, RELISTEN_MS).unref();
      });
    };
    setTimeout(retry, RELISTEN_MS).unref();
  }

  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }

  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.direct.get<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlRunner, afterCommit: (cb: () => void) => void) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const callbacks: (() => void)[] = [];
      try {
        await client.query('BEGIN');
        const result = await fn(runner(client), (cb) => callbacks.push(cb));
        await client.query('COMMIT');
        client.release();
        for (const cb of callbacks) cb();
        return result;
      } catch (err) {
        // a connection that cannot even roll back is broken: it leaves the pool
        const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
        client.release(rolledBack ? undefined : true);
        const code = ((err as { cause?: { code?: string } }).cause?.code) ?? (err as { code?: string }).code;
        // a deadlock or serialization failure: the whole transaction is tried again
        if ((code === '40P01' || code === '40001') && attempt < RETRIES) continue;
        throw err;
      }
    }
  }

  async announce(tx: SqlRunner, payload: string): Promise<void> {
    await tx.get('SELECT pg_notify($1, $2) AS sent', [CHANNEL, payload]);
  }

  subscribe(listener: (payload: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = null;
    if (listener) await listener.end().catch(() => undefined);
    // pool.end() resolves once its connections are told to end, not once they have: wait for
    // that (boundedly), so that whoever drops the database next does not cut them off mid-goodbye
    const ended = Promise.all([...this.connections].map((c) => new Promise<void>((ok) => c.once('end', () => ok()))));
    await this.pool.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((ok) => { timer = setTimeout(ok, CLOSE_WAIT_MS); })]);
    clearTimeout(timer);
  }
}

function safeLocation(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured address';
  }
}
