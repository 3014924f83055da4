// Quotas: per space and per bucket (mail; documents = files, calendar and
// contact objects). A personal space's limits come from its owner's plan; a
// group space's from its administrator's plan, shared by every member. The
// store checks the limit in the same transaction as the write.
import type { QuotaBucket, Space, Store, Tool } from '../store/types.ts';
import { NotFound } from './errors.ts';
import type { Plans } from './plans.ts';

export interface QuotaReport {
  readonly bucket: QuotaBucket;
  readonly usedBytes: number;
  readonly limitBytes: number;
}

export class Quota {
  private readonly store: Store;
  private readonly plans: Plans;
  constructor(store: Store, plans: Plans) {
    this.store = store;
    this.plans = plans;
  }

  /** The account whose plan sets the space's limits. */
  async payerOf(space: Space): Promise<number> {
    if (space.owner.kind === 'account') return space.owner.accountId;
    const group = await this.store.getGroup(space.owner.groupId);
    if (!group) throw new NotFound(`group ${space.owner.groupId} does not exist`);
    return group.adminId;
  }

  async limit(spaceId: number, bucket: QuotaBucket): Promise<number> {
    const space = await this.store.getSpace(spaceId);
    if (!space) throw new NotFound(`space ${spaceId} does not exist`);
    const account = await this.store.getAccount(await this.payerOf(space));
    if (!account) throw new NotFound(`the account paying for space ${spaceId} does not exist`);
    const plan = await this.plans.of(account);
    return bucket === 'mail' ? plan.mailBytes : plan.filesBytes;
  }

  async report(spaceId: number): Promise<QuotaReport[]> {
    const out: QuotaReport[] = [];
    for (const bucket of ['mail', 'files'] as const) {
      out.push({ bucket, usedBytes: await this.store.getUsage(spaceId, bucket), limitBytes: await this.limit(spaceId, bucket) });
    }
    return out;
  }

  usageByTool(spaceId: number): Promise<Record<Tool, number>> {
    return this.store.usageByTool(spaceId);
  }
}
