// Plans are data: defined in the configuration, copied into the store at each
// start (so that the operator edits them in the config file and every process
// agrees), and read from the store by everything else.
import type { Account, Plan, Store } from '../store/types.ts';
import { NotFound } from './errors.ts';

export type Feature = 'clients';

export class Plans {
  private readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  /** Writes the configured plans into the store; plans no longer configured stay for the accounts on them. */
  async sync(plans: readonly Plan[]): Promise<void> {
    for (const p of plans) await this.store.putPlan(p);
  }

  list(): Promise<Plan[]> {
    return this.store.listPlans();
  }

  async get(name: string): Promise<Plan> {
    const plan = await this.store.getPlan(name);
    if (!plan) throw new NotFound(`there is no plan named ${name}`);
    return plan;
  }

  async of(account: Account): Promise<Plan> {
    return this.get(account.plan);
  }

  /** Whether the account's plan has the feature, e.g. `clients`: access by third-party mail and DAV clients. */
  async allows(account: Account, feature: Feature): Promise<boolean> {
    return (await this.of(account)).features.includes(feature);
  }
}
