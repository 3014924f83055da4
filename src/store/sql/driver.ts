// What the SQL store needs of a database: run a statement, read rows, run a
// transaction, announce a committed change. SQL is written once, with $1..$n
// placeholders and the subset both SQLite (3.45+) and PostgreSQL (15+) speak:
// RETURNING, ON CONFLICT, UPDATE ... FROM, recursive CTEs, partial and
// expression indexes.

export type SqlValue = string | number | null | Uint8Array;
export type Row = Record<string, unknown>;

export interface SqlRunner {
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlDriver extends SqlRunner {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one transaction that takes write locks at once (SQLite BEGIN
   * IMMEDIATE; PostgreSQL READ COMMITTED with row locks from UPDATE). Commits
   * when `fn` resolves, rolls back when it throws. `afterCommit` callbacks run
   * once the commit is durable.
   */
  transaction<T>(fn: (tx: SqlRunner, afterCommit: (cb: () => void) => void) => Promise<T>): Promise<T>;
  /** announces a change inside a transaction: delivered to subscribers of every process after the commit */
  announce(tx: SqlRunner, payload: string): Promise<void>;
  subscribe(listener: (payload: string) => void): () => void;
  close(): Promise<void>;
}

/** The payload announcing a change of an account's credentials or status (`account:ID`). */
export const ACCOUNT_NOTICE = 'account:';
export const accountNotice = (accountId: number): string => `${ACCOUNT_NOTICE}${accountId}`;
/** What a driver that cannot hear other processes' announcements delivers when it sees that one of them wrote (SQLite). */
export const EXTERNAL_WRITE = '*';

/** A UNIQUE or PRIMARY KEY constraint refused the write; the store turns it into a Conflict naming what is taken. */
export class UniqueViolation extends Error {
  override name = 'UniqueViolation';
}

/** A FOREIGN KEY constraint refused the write. */
export class ForeignKeyViolation extends Error {
  override name = 'ForeignKeyViolation';
}
