// Accounts: creation with the default collections, authentication (argon2id,
// constant time, the same work whether the address exists or not), password
// changes, plan changes, last activity, the profile photo, destruction (the
// address is then held back from new accounts for a while).
import { createHmac, randomBytes } from 'node:crypto';
import type { Account, AccountPhoto, Profile, Store } from '../store/types.ts';
import type { MemberDirectory } from './contacts/directory.ts';
import { CredentialWatch } from './credential-watch.ts';
import { ACCOUNT_COLLECTIONS } from './defaults.ts';
import type { Domains } from './domains.ts';
import { Conflict, InvalidInput, NotFound } from './errors.ts';
import { checkPasswordPolicy, decoyHash, hashPassword, verifyPassword, type PasswordPolicy } from './passwords.ts';
import type { Plans } from './plans.ts';

const ADDRESS = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)*$/;

export function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  if (lower.length > 254 || !ADDRESS.test(lower) || lower.split('@')[0]!.length > 64) {
    throw new InvalidInput('address', `${JSON.stringify(address)} is not an e-mail address such as ann@example.org`);
  }
  return lower;
}

/** A short text a person typed (a name, an organisation): no control characters, bounded. */
export function checkText(field: string, value: string, max: number): string {
  const v = value.trim();
  if ([...v].length > max) throw new InvalidInput(field, `the ${field} is longer than ${max} characters`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new InvalidInput(field, `the ${field} cannot contain control characters`);
  return v;
}

export interface AccountsSettings {
  readonly password: PasswordPolicy;
  readonly defaultPlan: string;
  /** days a destroyed account's address is held back from new accounts; 0: not at all */
  readonly addressHoldbackDays: number;
}

/** The largest profile photo accepted, in bytes. */
export const PHOTO_MAX_BYTES = 256 * 1024;

/** The type of a picture by its first bytes: JPEG or PNG, else null. */
export function photoType(bytes: Uint8Array): 'image/jpeg' | 'image/png' | null {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 24 && png.every((b, i) => bytes[i] === b) && Buffer.from(bytes.subarray(12, 16)).toString('latin1') === 'IHDR') return 'image/png';
  return null;
}

export interface NewAccountInput {
  readonly address: string;
  readonly password: string;
  readonly name?: string;
  readonly plan?: string;
  readonly status?: Account['status'];
  readonly profile?: Partial<Profile>;
}

/** Which door a login came through; recorded as activity. */
export type Door = 'imap' | 'smtp' | 'dav' | 'web' | 'cli';

/** Remembered verifications (authenticateRequest); the oldest goes first when full. */
const VERIFIED_CACHE_SIZE = 10_000;
const TOUCH_INTERVAL_MS = 60_000;

export class Accounts {
  private readonly verified = new Map<string, { accountId: number; passwordHash: string }>();
  private readonly cacheKey = randomBytes(32);
  private readonly touched = new Map<number, number>();
  private readonly store: Store;
  private readonly plans: Plans;
  private readonly domains: Domains;
  private readonly settings: AccountsSettings;
  /** the member directories, which follow names and profiles */
  private readonly directory: MemberDirectory;
  /** open IMAP and SMTP sessions, ended when their account's password or status changes */
  readonly credentials: CredentialWatch;

  constructor(store: Store, plans: Plans, domains: Domains, settings: AccountsSettings, directory: MemberDirectory) {
    this.store = store;
    this.plans = plans;
    this.domains = domains;
    this.settings = settings;
    this.directory = directory;
    this.credentials = new CredentialWatch(store);
  }

  checkPassword(password: string): void {
    checkPasswordPolicy(password, this.settings.password);
  }

  async create(input: NewAccountInput): Promise<Account> {
    const address = normaliseAddress(input.address);
    const domain = address.split('@')[1]!;
    if (!(await this.domains.isHosted(domain))) {
      throw new InvalidInput('address', `the domain ${domain} is not hosted here; add it first (bureau domain add ${domain})`);
    }
    this.checkPassword(input.password);
    const plan = await this.plans.get(input.plan ?? this.settings.defaultPlan);
    if (await this.store.getAccountByAddress(address)) throw new Conflict(`the address ${address} is taken`);
    // why is not said: a visitor learns nothing of the account that was there
    if ((await this.heldUntil(address)) !== null) throw new Conflict(`the address ${address} is not available`);
    const name = checkText('name', input.name ?? '', 200) || address.split('@')[0]!;
    const [firstName, ...rest] = name.split(/\s+/);
    return this.store.createAccount({
      address,
      name,
      passwordHash: await hashPassword(input.password),
      plan: plan.name,
      status: input.status ?? 'active',
      profile: { firstName: firstName ?? '', lastName: rest.join(' '), ...input.profile },
      collections: ACCOUNT_COLLECTIONS,
    });
  }

  /** Until when a destroyed account's address is held back from new accounts; null when it is free. */
  heldUntil(address: string): Promise<number | null> {
    return this.store.addressHeldUntil(address.trim().toLowerCase(), Date.now());
  }

  async get(id: number): Promise<Account> {
    const a = await this.store.getAccount(id);
    if (!a) throw new NotFound(`account ${id} does not exist`);
    return a;
  }

  async byAddress(address: string): Promise<Account> {
    const a = await this.store.getAccountByAddress(address.trim());
    if (!a) throw new NotFound(`there is no account ${address.trim().toLowerCase()}`);
    return a;
  }

  list(): Promise<Account[]> {
    return this.store.listAccounts();
  }

  /**
   * The account when the password is right and the account is active, else
   * null. The same argon2id work is done for unknown addresses, so the answer
   * time does not tell whether an address exists. A success counts as activity.
   */
  async authenticate(address: string, password: string, door: Door): Promise<Account | null> {
    let account: Account | null = null;
    try {
      account = await this.store.getAccountByAddress(normaliseAddress(address));
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
    }
    if (password.length > this.settings.password.maxLength * 4) {
      await verifyPassword('', await decoyHash());
      return null;
    }
    const ok = await verifyPassword(password, account?.passwordHash ?? (await decoyHash()));
    if (!ok || !account || account.status !== 'active') return null;
    await this.touch(account.id, door);
    return account;
  }

  /**
   * For doors that authenticate every request (HTTP Basic for DAV clients):
   * a password verified once is remembered, keyed by an HMAC of the
   * credentials under a key of this process, together with the hash it was
   * verified against. The account is read again on every call, so a changed
   * password, a disabled or a deleted account take effect at once.
   */
  async authenticateRequest(address: string, password: string, door: Door): Promise<Account | null> {
    const key = createHmac('sha256', this.cacheKey).update(address.trim().toLowerCase()).update('\0').update(password).digest('base64');
    const known = this.verified.get(key);
    if (known) {
      const account = await this.store.getAccount(known.accountId);
      if (account && account.status === 'active' && account.passwordHash === known.passwordHash) {
        await this.touch(account.id, door);
        return account;
      }
      this.verified.delete(key);
    }
    const account = await this.authenticate(address, password, door);
    if (account) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, { accountId: account.id, passwordHash: account.passwordHash });
    }
    return account;
  }

  /**
   * Records use of the account by any door (the expiry of unused free
   * accounts reads it); at most one write per account every few minutes.
   */
  async touch(accountId: number, _door: Door): Promise<void> {
    const now = Date.now();
    const last = this.touched.get(accountId) ?? 0;
    if (now - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(accountId, now);
    await this.store.touchAccount(accountId, now);
  }

  /** Sets a new password and ends every web session but `keepSessionId`: whoever knew the old one is out. */
  async setPassword(accountId: number, password: string, keepSessionId?: string): Promise<void> {
    this.checkPassword(password);
    await this.store.updateAccount(accountId, { passwordHash: await hashPassword(password) });
    await this.store.deleteSessions(accountId, keepSessionId);
  }

  /** Checks the current password, sets the new one, and ends every other web session. */
  async changePassword(accountId: number, current: string, next: string, keepSessionId?: string): Promise<void> {
    const account = await this.get(accountId);
    if (!(await verifyPassword(current, account.passwordHash))) throw new InvalidInput('current-password', 'the current password is wrong');
    await this.setPassword(accountId, next, keepSessionId);
  }

  async setPlan(accountId: number, planName: string): Promise<Account> {
    const plan = await this.plans.get(planName);
    return this.store.updateAccount(accountId, { plan: plan.name });
  }

  async update(accountId: number, patch: { name?: string; profile?: Partial<Profile>; idleTimeoutMinutes?: number }): Promise<Account> {
    if (patch.idleTimeoutMinutes !== undefined && !(Number.isInteger(patch.idleTimeoutMinutes) && patch.idleTimeoutMinutes >= 1 && patch.idleTimeoutMinutes <= 1440)) {
      throw new InvalidInput('idle-timeout', 'the idle timeout must be a whole number of minutes from 1 to 1440');
    }
    if (patch.name !== undefined) checkText('name', patch.name, 200);
    for (const [k, v] of Object.entries(patch.profile ?? {})) if (k !== 'photo' && v !== undefined) checkText(k, v, 200);
    const account = await this.store.updateAccount(accountId, patch);
    if (patch.name !== undefined || patch.profile !== undefined) await this.directory.refresh(accountId);
    return account;
  }

  /**
   * Destroys the account and everything of it: personal space, sessions,
   * memberships, shares, blobs. Refused while it administers a group that has
   * other members (name a successor first); groups it alone is in go with it.
   */
  async destroy(accountId: number): Promise<void> {
    const account = await this.get(accountId);
    for (const g of await this.store.listGroupsOf(accountId)) {
      if (g.adminId !== accountId) continue;
      const members = await this.store.listMembers(g.id);
      if (members.length > 1) {
        throw new Conflict(`${account.address} administers the group ${g.name}, which has other members; transfer it first (bureau group transfer "${g.name}" ADDRESS)`);
      }
    }
    await this.directory.forget(accountId);
    // a sign-up that was never activated frees its address at once
    if (account.status !== 'pending' && this.settings.addressHoldbackDays > 0) {
      await this.store.holdAddress(account.address, Date.now() + this.settings.addressHoldbackDays * 86_400_000);
    }
    await this.store.deleteAccount(accountId);
  }

  /** Sets the profile photo: JPEG or PNG (told by its first bytes), at most PHOTO_MAX_BYTES; the member directories follow. */
  async setPhoto(accountId: number, bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) throw new InvalidInput('photo', 'choose a picture file to upload');
    if (bytes.length > PHOTO_MAX_BYTES) throw new InvalidInput('photo', `the picture is larger than ${PHOTO_MAX_BYTES / 1024} KiB; make it smaller`);
    const type = photoType(bytes);
    if (!type) throw new InvalidInput('photo', 'the picture must be a JPEG or PNG file');
    await this.store.putAccountPhoto(accountId, { contentType: type, content: bytes });
    await this.directory.refresh(accountId);
  }

  photo(accountId: number): Promise<AccountPhoto | null> {
    return this.store.getAccountPhoto(accountId);
  }

  /** Removes the profile photo; false when there was none. */
  async removePhoto(accountId: number): Promise<boolean> {
    const had = await this.store.deleteAccountPhoto(accountId);
    if (had) await this.directory.refresh(accountId);
    return had;
  }
}
