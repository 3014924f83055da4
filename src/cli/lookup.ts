// Finding what the operator names on the command line, with messages that
// say what was asked for and what exists.
import type { Core } from '../core/index.ts';
import { NotFound } from '../core/errors.ts';
import type { Account, Group, Plan } from '../store/types.ts';
import { Failure } from './errors.ts';

export async function findAccount(core: Core, address: string): Promise<Account | null> {
  try {
    return await core.accounts.byAddress(address);
  } catch (err) {
    if (err instanceof NotFound) return null;
    throw err;
  }
}

export async function accountNamed(core: Core, address: string): Promise<Account> {
  const account = await findAccount(core, address);
  if (!account) throw new Failure(`there is no account ${address.trim().toLowerCase()}`);
  return account;
}

export async function groupNamed(core: Core, name: string): Promise<Group> {
  try {
    return await core.groups.byName(name);
  } catch (err) {
    if (err instanceof NotFound) throw new Failure(`there is no group named ${name.trim()} (bureau group list shows them)`);
    throw err;
  }
}

export async function planNamed(core: Core, name: string): Promise<Plan> {
  try {
    return await core.plans.get(name);
  } catch (err) {
    if (!(err instanceof NotFound)) throw err;
    const names = (await core.plans.list()).map((p) => p.name);
    throw new Failure(`there is no plan named ${name}; the plans are ${names.join(', ')}`);
  }
}

/** Addresses of accounts by id, read once for listings. */
export async function addressesById(core: Core): Promise<Map<number, string>> {
  return new Map((await core.accounts.list()).map((a) => [a.id, a.address]));
}
