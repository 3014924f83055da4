// Shared constants and helpers of the store conformance suite (test/store/conformance.ts).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type {
  Account, Collection, Group, Item, NewCollectionInSpace, Plan, PutItem, Store, Tool,
} from '../../../src/store/types.ts';
import { openTestStore, type Backend, type TestStore } from '../../support/store.ts';

export const PLAN: Plan = {
  name: 'standard', mailBytes: 1_000_000, filesBytes: 2_000_000, maxGroups: 3, maxGroupMembers: 5,
  features: ['mail', 'files'], paid: false,
};

/** The collections every test account gets in its personal space. */
export const COLLECTIONS: readonly NewCollectionInSpace[] = [
  { tool: 'mail', name: 'INBOX', role: 'inbox' },
  { tool: 'mail', name: 'Sent', role: 'sent' },
  { tool: 'calendar', name: 'Calendar', role: 'default', props: { color: '#3366cc' } },
  { tool: 'contacts', name: 'Contacts', role: 'default' },
  { tool: 'files', name: 'Documents' },
  { tool: 'files', name: 'Drop box', role: 'dropbox' },
];

let seq = 0;
export const next = (): number => ++seq;
export const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
export const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers before/after hooks in the current describe: one fresh store for all its tests. */
export function useStore(backend: Backend): { readonly store: Store; readonly test: TestStore } {
  let t: TestStore | undefined;
  before(async function () {
    this.timeout(20_000);
    t = await openTestStore(backend);
    await t.store.putPlan(PLAN);
  });
  after(async function () {
    this.timeout(20_000);
    await t?.cleanup();
  });
  return {
    get store(): Store {
      if (!t) throw new Error('the store is not open');
      return t.store;
    },
    get test(): TestStore {
      if (!t) throw new Error('the store is not open');
      return t;
    },
  };
}

export async function newAccount(store: Store, label = 'user', collections: readonly NewCollectionInSpace[] = COLLECTIONS): Promise<Account> {
  return store.createAccount({
    address: `${label}.${next()}@example.org`, name: label, passwordHash: `hash-${label}`, plan: PLAN.name,
    status: 'active', collections,
  });
}

export async function byRole(store: Store, spaceId: number, tool: Tool, role: string): Promise<Collection> {
  const c = await store.findCollectionByRole(spaceId, tool, role);
  if (!c) throw new Error(`no ${tool} collection with role ${role} in space ${spaceId}`);
  return c;
}

export async function documents(store: Store, account: Account): Promise<Collection> {
  const c = await store.findCollection(account.spaceId, 'files', null, 'Documents');
  if (!c) throw new Error('no Documents collection');
  return c;
}

export async function inbox(store: Store, account: Account): Promise<Collection> {
  return byRole(store, account.spaceId, 'mail', 'inbox');
}

export async function newGroup(store: Store, admin: Account, collections: readonly NewCollectionInSpace[] = [], maxGroups = 10): Promise<Group> {
  return store.createGroup({ name: `Group ${next()}`, adminId: admin.id, maxGroups, collections });
}

export type PutOptions = Partial<Omit<PutItem, 'collectionId' | 'content' | 'blobId' | 'size'>>;

/** Puts inline bytes. */
export async function putInline(store: Store, collectionId: number, data: Uint8Array | string, options: PutOptions = {}): Promise<Item> {
  const content = typeof data === 'string' ? encode(data) : data;
  return store.putItem({
    collectionId, content, size: content.byteLength, contentType: 'application/octet-stream', quotaLimit: null, ...options,
  });
}

/** Writes a blob and puts an item referring to it. */
export async function putBlob(store: Store, collectionId: number, data: Uint8Array | string, options: PutOptions = {}): Promise<Item> {
  const bytes = typeof data === 'string' ? encode(data) : data;
  const blob = await store.blobs.write(bytes);
  return store.putItem({
    collectionId, blobId: blob.id, size: blob.size, contentType: 'application/octet-stream', quotaLimit: null, ...options,
  });
}

/** Awaits the rejection and checks its class; returns the error for further checks. */
export async function rejects<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (err) {
    expect(err, `expected ${type.name}, got ${String(err)}`).to.be.instanceOf(type);
    return err as E;
  }
  return expect.fail(`expected ${type.name}, but it resolved with ${JSON.stringify(outcome)}`);
}

/** Polls `check` until it holds, for at most `timeoutMs`; fails naming `what` otherwise. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) expect.fail(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** Waits until the blob file is gone (the trash is emptied after the commit, asynchronously). */
export async function blobGone(store: Store, blobId: string): Promise<void> {
  await eventually(`blob ${blobId} is removed`, async () => !(await store.blobs.exists(blobId)));
}

/** Lets the after-commit trash emptying finish, without collecting any fresh orphan. */
export async function settleTrash(store: Store): Promise<void> {
  await store.collectGarbage(3_600_000);
}

export const ids = (xs: readonly { id: number }[]): number[] => xs.map((x) => x.id).sort((a, b) => a - b);
