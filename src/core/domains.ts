// Mail domains hosted here. The primary domain (BUREAU_DOMAIN) is always hosted;
// others are added by the operator, each owned by an account (an organisation).
import type { Domain, Store } from '../store/types.ts';
import { Conflict, InvalidInput, NotFound } from './errors.ts';

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function normaliseDomain(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(lower)) throw new InvalidInput('domain', `${JSON.stringify(name)} is not a domain name such as example.org`);
  return lower;
}

export class Domains {
  private readonly store: Store;
  private readonly primary: string;
  constructor(store: Store, primary: string) {
    this.store = store;
    this.primary = primary.toLowerCase();
  }

  async add(name: string, ownerAddress: string | null): Promise<Domain> {
    const domain = normaliseDomain(name);
    if (domain === this.primary) throw new Conflict(`${domain} is the primary domain (BUREAU_DOMAIN); it is always hosted`);
    let ownerId: number | null = null;
    if (ownerAddress !== null) {
      const owner = await this.store.getAccountByAddress(ownerAddress);
      if (!owner) throw new NotFound(`there is no account ${ownerAddress}`);
      ownerId = owner.id;
    }
    return this.store.createDomain(domain, ownerId);
  }

  list(): Promise<Domain[]> {
    return this.store.listDomains();
  }

  async isHosted(name: string): Promise<boolean> {
    const lower = name.toLowerCase();
    return lower === this.primary || (await this.store.getDomain(lower)) !== null;
  }
}
