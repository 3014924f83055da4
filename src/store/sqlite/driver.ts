// SQLite through node:sqlite: one connection in WAL mode with foreign keys on
// and synchronous=FULL, so that a commit is durable before it is acknowledged.
// node:sqlite is synchronous, but a transaction of the store awaits between
// statements; an async lock therefore serialises every use of the connection,
// so no statement of one caller runs inside another caller's transaction.
// Other processes (the `bureau` command beside a running server) wait on the
// database's own lock, up to busy_timeout.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import { StoreUnavailable } from '../errors.ts';
import { EXTERNAL_WRITE, ForeignKeyViolation, UniqueViolation, type Row, type SqlDriver, type SqlRunner, type SqlValue } from '../sql/driver.ts';

const BUSY_TIMEOUT_MS = 10_000;
/** how often other processes' commits are looked for while someone listens (see watchOthers) */
const OTHERS_POLL_MS = 250;

class Lock {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => { release = resolve; });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function translate(err: unknown): unknown {
  const e = err as { code?: string; errcode?: number; message?: string };
  if (e && e.code === 'ERR_SQLITE_ERROR') {
    if (e.errcode === 2067 || e.errcode === 1555) return new UniqueViolation(e.message ?? 'unique constraint failed', { cause: err });
    if (e.errcode === 787) return new ForeignKeyViolation(e.message ?? 'foreign key constraint failed', { cause: err });
  }
  return err;
}

function safely(fn: () => void, what: string): void {
  try {
    fn();
  } catch (err) {
    process.emitWarning(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function bind(params: readonly SqlValue[]): SQLInputValue[] {
  return params.map((v) => (typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v));
}

export class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite' as const;
  private readonly db: DatabaseSync;
  private readonly lock = new Lock();
  private readonly statements = new Map<string, StatementSync>();
  private readonly listeners = new Set<(payload: string) => void>();
  private readonly direct: SqlRunner;
  private pending: string[] | null = null;
  private othersTimer: NodeJS.Timeout | null = null;

  private constructor(db: DatabaseSync) {
    this.db = db;
    this.direct = {
      all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => this.exec(() => this.prepare(sql).all(...bind(params)) as T[]),
      get: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => this.exec(() => this.prepare(sql).get(...bind(params)) as T | undefined),
      run: async (sql: string, params: readonly SqlValue[] = []) => this.exec(() => ({ changes: Number(this.prepare(sql).run(...bind(params)).changes) })),
    };
  }

  static open(path: string): SqliteDriver {
    let db: DatabaseSync;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new DatabaseSync(path);
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA foreign_keys = ON');
      db.exec('PRAGMA cache_size = -65536');
    } catch (err) {
      throw new StoreUnavailable(`the SQLite database ${path} cannot be opened: ${(err as Error).message}`, { cause: err });
    }
    return new SqliteDriver(db);
  }

  private prepare(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
      this.statements.set(sql, s);
    }
    return s;
  }

  private exec<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translate(err);
    }
  }

  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.lock.run(() => this.direct.all<T>(sql, params));
  }

  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.lock.run(() => this.direct.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.lock.run(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlRunner, afterCommit: (cb: () => void) => void) => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      const callbacks: (() => void)[] = [];
      this.exec(() => this.db.exec('BEGIN IMMEDIATE'));
      this.pending = [];
      let result: T;
      try {
        result = await fn(this.direct, (cb) => callbacks.push(cb));
        this.exec(() => this.db.exec('COMMIT'));
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        this.pending = null;
        throw err;
      }
      const announced = this.pending;
      this.pending = null;
      // the transaction has committed: nothing a listener or callback does may
      // turn it into a failure for the caller
      for (const payload of announced) for (const l of this.listeners) safely(() => l(payload), 'a change listener');
      for (const cb of callbacks) safely(cb, 'an after-commit callback');
      return result;
    });
  }

  async announce(_tx: SqlRunner, payload: string): Promise<void> {
    if (this.pending === null) throw new Error('announce outside a transaction');
    this.pending.push(payload);
  }

  subscribe(listener: (payload: string) => void): () => void {
    this.listeners.add(listener);
    this.watchOthers();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  /**
   * Other processes' commits (the `bureau` command beside the server) cannot
   * announce themselves here: while anyone listens, PRAGMA data_version (which
   * changes when another connection commits, and costs no read of the file) is
   * looked at every OTHERS_POLL_MS, and a change is delivered as EXTERNAL_WRITE.
   */
  private watchOthers(): void {
    if (this.othersTimer || !this.db.isOpen) return;
    let seen: unknown = null;
    const look = (): void => {
      this.lock.run(async () => (this.db.isOpen ? this.direct.get('PRAGMA data_version') : undefined)).then((row) => {
        const version = row ? Object.values(row)[0] : null;
        if (seen !== null && version !== null && version !== seen) {
          for (const l of this.listeners) safely(() => l(EXTERNAL_WRITE), 'a change listener');
        }
        if (version !== null) seen = version;
      }, () => undefined);
    };
    look();
    this.othersTimer = setInterval(look, OTHERS_POLL_MS);
    this.othersTimer.unref();
  }

  private stopWatching(): void {
    if (this.othersTimer) clearInterval(this.othersTimer);
    this.othersTimer = null;
  }

  async close(): Promise<void> {
    this.stopWatching();
    await this.lock.run(async () => {
      this.statements.clear();
      if (this.db.isOpen) this.db.close();
    });
  }
}
