// The steps every item write is made of, each run inside the caller's
// transaction: bump the collection's counter (which also locks it), log the
// change, move the quota, and hand freed blobs to the trash. Keeping them in
// one place is what makes "a write, its change-log entry and its quota usage
// commit together" hold for every write path.
import { QuotaExceeded, NotFound } from '../errors.ts';
import { bucketOf, type ChangeOp, type QuotaBucket, type Tool } from '../types.ts';
import type { SqlDriver, SqlRunner } from './driver.ts';

export interface Bumped {
  readonly modseq: number;
  /** the uid taken, when one was asked for */
  readonly uid: number;
  readonly spaceId: number;
  readonly tool: Tool;
  /** null for a collection that counts against no quota (see `quotaBucketOf`) */
  readonly bucket: QuotaBucket | null;
}

/**
 * The quota bucket a collection's items count in: by tool, or none for a
 * collection made uncounted (a group's member directory, whose cards the
 * server writes).
 */
export function quotaBucketOf(tool: Tool, counted: boolean): QuotaBucket | null {
  return counted ? bucketOf(tool) : null;
}

/** Takes the next modseq (and a uid when `takeUid`) of a collection; locks its row until the commit. */
export async function bump(tx: SqlRunner, collectionId: number, takeUid: boolean): Promise<Bumped> {
  const row = await tx.get<{ modseq: number; uid_next: number; space_id: number; tool: Tool; counted: number }>(
    'UPDATE collections SET modseq = modseq + 1, uid_next = uid_next + $2 WHERE id = $1 RETURNING modseq, uid_next, space_id, tool, counted',
    [collectionId, takeUid ? 1 : 0],
  );
  if (!row) throw new NotFound(`collection ${collectionId} does not exist`);
  const tool = row.tool;
  return {
    modseq: Number(row.modseq),
    uid: takeUid ? Number(row.uid_next) - 1 : 0,
    spaceId: Number(row.space_id),
    tool,
    bucket: quotaBucketOf(tool, Number(row.counted) === 1),
  };
}

/** Locks a collection's row until the commit without changing it (a copy's source). */
export async function lockCollection(tx: SqlRunner, collectionId: number): Promise<void> {
  const r = await tx.run('UPDATE collections SET modseq = modseq WHERE id = $1', [collectionId]);
  if (r.changes === 0) throw new NotFound(`collection ${collectionId} does not exist`);
}

/** Takes the next uid of a collection the transaction has already locked. */
export async function takeUid(tx: SqlRunner, collectionId: number): Promise<number> {
  const row = await tx.get<{ uid_next: number }>(
    'UPDATE collections SET uid_next = uid_next + 1 WHERE id = $1 RETURNING uid_next', [collectionId]);
  if (!row) throw new NotFound(`collection ${collectionId} does not exist`);
  return Number(row.uid_next) - 1;
}

/** Records the change; the log keeps only the latest change of each item (tombstones included). */
export async function logChange(
  tx: SqlRunner, driver: SqlDriver, collectionId: number, modseq: number, uid: number, name: string | null, op: ChangeOp,
): Promise<void> {
  await tx.run('DELETE FROM changes WHERE collection_id = $1 AND uid = $2', [collectionId, uid]);
  await tx.run('INSERT INTO changes (collection_id, modseq, uid, name, op) VALUES ($1, $2, $3, $4, $5)',
    [collectionId, modseq, uid, name, op]);
  await driver.announce(tx, `${collectionId}:${modseq}`);
}

/**
 * Adds `delta` bytes to the space's usage of the bucket. A growth is refused
 * when it would pass `limit`; the check and the update are one statement, so
 * concurrent writers cannot jointly exceed the quota.
 */
export async function moveQuota(
  tx: SqlRunner, spaceId: number, bucket: QuotaBucket | null, delta: number, limit: number | null,
): Promise<void> {
  if (delta === 0 || bucket === null) return;
  // The casts: PostgreSQL infers a parameter's type where it first meets it,
  // and `$4 < 0` alone would make the limit an integer, refusing every
  // limit of 2 GiB or more ("value out of range for type integer").
  const row = await tx.get(
    `UPDATE quota_usage SET used_bytes = used_bytes + $3
      WHERE space_id = $1 AND bucket = $2 AND (CAST($3 AS BIGINT) <= 0 OR CAST($4 AS BIGINT) < 0 OR used_bytes + $3 <= $4)
      RETURNING used_bytes`,
    [spaceId, bucket, delta, limit ?? -1],
  );
  if (row) return;
  const current = await tx.get<{ used_bytes: number }>(
    'SELECT used_bytes FROM quota_usage WHERE space_id = $1 AND bucket = $2', [spaceId, bucket]);
  if (!current) throw new NotFound(`space ${spaceId} has no ${bucket} quota row`);
  const used = Number(current.used_bytes);
  throw new QuotaExceeded(
    `the ${bucket} quota of space ${spaceId} is exceeded: ${used} of ${limit} bytes used, ${delta} more needed`,
    used, limit ?? 0, delta);
}

/** Moves a blob to the trash when no item references it any more. */
export async function trashIfUnreferenced(tx: SqlRunner, blobId: string | null): Promise<void> {
  if (blobId === null) return;
  await tx.run(
    `INSERT INTO blob_trash (id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM items WHERE blob_id = $1)
     ON CONFLICT (id) DO NOTHING`, [blobId]);
}

/**
 * Before a set of collections is deleted: trashes the blobs that only their
 * items reference. `scope` is SQL yielding the collection ids, with its params.
 */
export async function trashBlobsOf(tx: SqlRunner, scope: string, params: readonly (number | string)[]): Promise<void> {
  await tx.run(
    `INSERT INTO blob_trash (id)
     SELECT DISTINCT i.blob_id FROM items i
      WHERE i.collection_id IN (${scope}) AND i.blob_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM items j WHERE j.blob_id = i.blob_id AND j.collection_id NOT IN (${scope}))
     ON CONFLICT (id) DO NOTHING`, params);
}

/** SQL yielding a collection and all its descendants; the collection id is $1. */
export const SUBTREE = `WITH RECURSIVE subtree(id) AS (
  SELECT id FROM collections WHERE id = $1
  UNION ALL SELECT c.id FROM collections c JOIN subtree s ON c.parent_id = s.id)`;
