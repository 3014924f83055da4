// The core: every service a door may call, wired on one store. Doors receive
// a Core and never reach the store themselves.
import type { Plan, Store } from '../store/types.ts';
import { Access } from './access.ts';
import { Accounts } from './accounts.ts';
import { Calendars, DEFAULT_CALENDAR_SETTINGS } from './calendar/calendars.ts';
import { Contacts } from './contacts/contacts.ts';
import { MemberDirectory } from './contacts/directory.ts';
import { Domains } from './domains.ts';
import { Files, type FilesSettings } from './files/files.ts';
import { Locks } from './files/locks.ts';
import { Groups } from './groups.ts';
import { Mail } from './mail/index.ts';
import type { PasswordPolicy } from './passwords.ts';
import { Plans } from './plans.ts';
import { Quota } from './quota.ts';
import { Sharing } from './sharing.ts';
import { Dkim } from './outbound/dkim.ts';
import { Throttle } from './throttle.ts';

export interface CoreSettings {
  /** the primary mail domain, always hosted */
  readonly domain: string;
  readonly defaultPlan: string;
  readonly plans: readonly Plan[];
  readonly password: PasswordPolicy;
  readonly files: FilesSettings;
  /** the name the server announces (MX records, DSNs); defaults to the domain */
  readonly hostname?: string;
  /** days a destroyed account's address is held back from new accounts (default 90; 0: not at all) */
  readonly addressHoldbackDays?: number;
}

export interface Core {
  readonly store: Store;
  readonly settings: CoreSettings;
  readonly accounts: Accounts;
  readonly plans: Plans;
  readonly domains: Domains;
  readonly groups: Groups;
  readonly quota: Quota;
  readonly access: Access;
  readonly sharing: Sharing;
  readonly files: Files;
  readonly locks: Locks;
  readonly calendar: Calendars;
  readonly contacts: Contacts;
  readonly mail: Mail;
  readonly dkim: Dkim;
  /** authentication failures, for every door */
  readonly throttle: Throttle;
}

export async function createCore(store: Store, settings: CoreSettings): Promise<Core> {
  const plans = new Plans(store);
  await plans.sync(settings.plans);
  const domains = new Domains(store, settings.domain);
  const directory = new MemberDirectory(store, settings.domain);
  const accounts = new Accounts(store, plans, domains, { password: settings.password, defaultPlan: settings.defaultPlan, addressHoldbackDays: settings.addressHoldbackDays ?? 90 }, directory);
  const quota = new Quota(store, plans);
  const access = new Access(store);
  return {
    store,
    settings,
    accounts,
    plans,
    domains,
    groups: new Groups(store, plans, accounts, directory),
    quota,
    access,
    sharing: new Sharing(store),
    files: new Files(store, quota, settings.files),
    locks: new Locks(store),
    calendar: new Calendars(store, quota, access, DEFAULT_CALENDAR_SETTINGS),
    contacts: new Contacts(store, quota, access, directory),
    mail: new Mail(store, quota),
    dkim: new Dkim(store, settings.hostname ?? settings.domain),
    throttle: new Throttle(store),
  };
}
