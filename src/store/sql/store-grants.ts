// The SQL store's grants, what an account reaches, and quota usage; one layer of SqlStore (store.ts), on both backends.
import { NotFound } from '../errors.ts';
import { TOOLS, type Grant, type NewGrant, type QuotaBucket, type ReachableCollection, type Tool } from '../types.ts';
import { rightsText, toCollection, toGrant, toSpace } from './rows.ts';
import { existing } from './store-base.ts';
import { SqlItemsStore } from './store-items.ts';

export class SqlGrantsStore extends SqlItemsStore {
  // ----- grants

  async putGrant(g: NewGrant): Promise<Grant> {
    const itemId = g.itemId ?? null;
    const row = await existing('the collection, group or account of the grant does not exist', () => this.db.transaction(async (tx) => {
      if (itemId !== null) {
        const item = await tx.get<{ collection_id: number }>('SELECT collection_id FROM items WHERE id = $1', [itemId]);
        if (!item || Number(item.collection_id) !== g.collectionId) {
          throw new NotFound(`item ${itemId} is not in collection ${g.collectionId}`);
        }
      }
      return tx.get(
        `INSERT INTO grants (collection_id, item_id, group_id, rights, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (collection_id, COALESCE(item_id, 0), group_id)
         DO UPDATE SET rights = excluded.rights, granted_by = excluded.granted_by, created_at = excluded.created_at
         RETURNING *`,
        [g.collectionId, itemId, g.groupId, rightsText(g.rights), g.grantedBy, Date.now()]);
    }));
    return toGrant(row!);
  }

  async deleteGrant(id: number): Promise<void> {
    const r = await this.db.run('DELETE FROM grants WHERE id = $1', [id]);
    if (r.changes === 0) throw new NotFound(`grant ${id} does not exist`);
  }

  async getGrant(id: number): Promise<Grant | null> {
    const row = await this.db.get('SELECT * FROM grants WHERE id = $1', [id]);
    return row ? toGrant(row) : null;
  }

  async listGrants(collectionIds: readonly number[], itemIds: readonly number[] = []): Promise<Grant[]> {
    if (collectionIds.length === 0 && itemIds.length === 0) return [];
    const params = [...collectionIds, ...itemIds];
    const parts: string[] = [];
    // two indexed lookups joined, rather than one OR that scans the table
    if (collectionIds.length > 0) {
      parts.push(`SELECT * FROM grants WHERE item_id IS NULL AND collection_id IN (${collectionIds.map((_, i) => `$${i + 1}`).join(', ')})`);
    }
    if (itemIds.length > 0) {
      parts.push(`SELECT * FROM grants WHERE item_id IN (${itemIds.map((_, i) => `$${collectionIds.length + i + 1}`).join(', ')})`);
    }
    const rows = await this.db.all(`${parts.join(' UNION ALL ')} ORDER BY id`, params);
    return rows.map(toGrant);
  }

  async listItemGrants(collectionId: number): Promise<Grant[]> {
    return (await this.db.all('SELECT * FROM grants WHERE collection_id = $1 AND item_id IS NOT NULL ORDER BY id', [collectionId])).map(toGrant);
  }

  async listGrantsBy(accountId: number): Promise<Grant[]> {
    return (await this.db.all('SELECT * FROM grants WHERE granted_by = $1 ORDER BY id', [accountId])).map(toGrant);
  }

  async listGrantsInSpaces(spaceIds: readonly number[]): Promise<Grant[]> {
    if (spaceIds.length === 0) return [];
    const rows = await this.db.all(
      `SELECT g.* FROM grants g JOIN collections c ON c.id = g.collection_id
        WHERE c.space_id IN (${spaceIds.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY g.id`, [...spaceIds]);
    return rows.map(toGrant);
  }

  async listReachableCollections(accountId: number, tool: Tool): Promise<ReachableCollection[]> {
    const mine = 'SELECT group_id FROM memberships WHERE account_id = $1';
    const rows = await this.db.all(
      `SELECT c.*, s.account_id AS owner_account_id, s.group_id AS owner_group_id FROM collections c JOIN spaces s ON s.id = c.space_id
        WHERE c.tool = $2 AND (
          s.account_id = $1
          OR s.group_id IN (${mine})
          OR EXISTS (SELECT 1 FROM grants g WHERE g.collection_id = c.id AND g.group_id IN (${mine}))
          OR (s.account_id IN (SELECT m.account_id FROM memberships m WHERE m.group_id IN (${mine}))
              AND (c.role = 'dropbox' OR c.tool = 'calendar')))
        ORDER BY c.space_id, c.id`, [accountId, tool]);
    const grantRows = await this.db.all(
      `SELECT g.* FROM grants g JOIN collections c ON c.id = g.collection_id
        WHERE c.tool = $2 AND g.group_id IN (${mine}) ORDER BY g.id`, [accountId, tool]);
    const grants = new Map<number, Grant[]>();
    for (const g of grantRows.map(toGrant)) grants.set(g.collectionId, [...(grants.get(g.collectionId) ?? []), g]);
    return rows.map((r) => {
      const collection = toCollection(r);
      const space = toSpace({ id: r.space_id, account_id: r.owner_account_id, group_id: r.owner_group_id });
      return { collection, space, grants: grants.get(collection.id) ?? [] };
    });
  }

  // ----- quota

  async getUsage(spaceId: number, bucket: QuotaBucket): Promise<number> {
    const row = await this.db.get<{ used_bytes: number }>('SELECT used_bytes FROM quota_usage WHERE space_id = $1 AND bucket = $2', [spaceId, bucket]);
    if (!row) throw new NotFound(`space ${spaceId} does not exist`);
    return Number(row.used_bytes);
  }

  async usageByTool(spaceId: number): Promise<Record<Tool, number>> {
    const rows = await this.db.all<{ tool: Tool; n: number }>(
      `SELECT c.tool, SUM(i.size) AS n FROM items i JOIN collections c ON c.id = i.collection_id WHERE c.space_id = $1 AND c.counted = 1 GROUP BY c.tool`, [spaceId]);
    const out = Object.fromEntries(TOOLS.map((t) => [t, 0])) as Record<Tool, number>;
    for (const r of rows) out[r.tool] = Number(r.n);
    return out;
  }

}
