// The SQL store's ground floor, shared by the store-*.ts layers: the driver,
// the blob files and their trash, migrations, and the helpers every query uses.
import { Conflict, NotFound } from '../errors.ts';
import type { DiskBlobStore } from '../blobs.ts';
import type { Store } from '../types.ts';
import { ForeignKeyViolation, UniqueViolation, type SqlDriver } from './driver.ts';
import { MIGRATIONS, render } from './migrations/index.ts';

export const ACCOUNT_SELECT = 'SELECT a.*, s.id AS space_id FROM accounts a JOIN spaces s ON s.account_id = a.id';
export const GROUP_SELECT = 'SELECT g.*, s.id AS space_id FROM groups g JOIN spaces s ON s.group_id = g.id';
export const DEFAULT_IDLE_MINUTES = 30;

export async function unique<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UniqueViolation) throw new Conflict(what);
    throw err;
  }
}

/** A FOREIGN KEY refusal means something the write names does not exist. */
export async function existing<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ForeignKeyViolation) throw new NotFound(what);
    throw err;
  }
}

/** The key a group name is unique by: case-insensitive (Unicode, the same on every backend) and NFC. */
export const groupKey = (name: string): string => name.normalize('NFC').toLowerCase();

/** Values bound in one IN (...) list at most (SQLite and PostgreSQL both take far more). */
export const IN_CHUNK = 500;

/** The store's ground floor: the driver, the blob files and their trash, migrations. Each file of store-*.ts adds one family of the Store's methods on top; store.ts is the whole. */
export class SqlStoreBase {
  readonly kind: 'sqlite' | 'postgres';
  readonly blobs: DiskBlobStore;
  protected readonly db: SqlDriver;
  protected emptying: Promise<void> | null = null;

  constructor(db: SqlDriver, blobs: DiskBlobStore) {
    this.db = db;
    this.kind = db.kind;
    this.blobs = blobs;
  }

  /** Applies the migrations not yet applied, each in its own transaction, then empties the blob trash. */
  async init(): Promise<void> {
    await this.blobs.init();
    for (const m of MIGRATIONS) {
      await this.db.transaction(async (tx) => {
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
  protected emptyTrash = (): Promise<void> => {
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

  protected freed = (): void => {
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

}
