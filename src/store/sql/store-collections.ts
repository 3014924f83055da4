// The SQL store's spaces and collections; one layer of SqlStore (store.ts), on both backends.
import { Conflict, NotFound } from '../errors.ts';
import { bucketOf, type Collection, type CollectionPatch, type NewCollection, type Space, type Tool } from '../types.ts';
import type { SqlRunner } from './driver.ts';
import { assertName } from './items.ts';
import { toCollection, toSpace } from './rows.ts';
import { SUBTREE, trashBlobsOf } from './writes.ts';
import { SqlStoreBase, existing, unique } from './store-base.ts';

export class SqlCollectionsStore extends SqlStoreBase {
  // ----- spaces and collections

  async getSpace(id: number): Promise<Space | null> {
    const row = await this.db.get('SELECT * FROM spaces WHERE id = $1', [id]);
    return row ? toSpace(row) : null;
  }

  protected async insertCollection(tx: SqlRunner, input: NewCollection): Promise<Collection> {
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

}
