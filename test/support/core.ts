// A real core on a real test store (SQLite file or PostgreSQL database), with
// small plans that tests can reach the limits of.
import { createCore, type Core, type CoreSettings } from '../../src/core/index.ts';
import type { Account, Item } from '../../src/store/types.ts';
import { openTestStore, type Backend, type TestStore } from './store.ts';

export const TEST_SETTINGS: CoreSettings = {
  domain: 'example.test',
  defaultPlan: 'small',
  password: { minLength: 10, maxLength: 1024 },
  files: { macosMetadata: 'keep' },
  plans: [
    { name: 'small', mailBytes: 10_000, filesBytes: 5_000, maxGroups: 2, maxGroupMembers: 3, features: [], paid: false },
    { name: 'big', mailBytes: 1_000_000, filesBytes: 50_000, maxGroups: 5, maxGroupMembers: 10, features: ['clients'], paid: true },
  ],
};

export interface TestCore {
  readonly core: Core;
  readonly ts: TestStore;
  /** an active account `name@example.test` with password `correct horse battery` */
  account(name: string, plan?: string): Promise<Account>;
  cleanup(): Promise<void>;
}

export const PASSWORD = 'correct horse battery';

/** The error `p` fails with; a success fails the test. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, got a success');
}

/** The items' names, sorted. */
export const names = (items: readonly Item[]): string[] => items.map((i) => i.name!).sort();

export async function makeTestCore(backend: Backend, settings: CoreSettings = TEST_SETTINGS): Promise<TestCore> {
  const ts = await openTestStore(backend);
  const core = await createCore(ts.store, settings);
  return {
    core,
    ts,
    account: (name, plan) => core.accounts.create({ address: `${name}@example.test`, password: PASSWORD, name, ...(plan ? { plan } : {}) }),
    cleanup: () => ts.cleanup(),
  };
}
