// bureau user add | passwd | list | delete
import { normaliseAddress } from '../../core/accounts.ts';
import { optionText, type Command, type Family } from '../command.ts';
import { Failure } from '../errors.ts';
import { accountNamed, findAccount, planNamed } from '../lookup.ts';
import { formatTime, table } from '../output.ts';
import { readNewPassword } from '../password.ts';

const add: Command = {
  usage: 'user add ADDRESS [--plan NAME] [--name "First Last"]',
  help: 'Creates an account at a hosted domain (BUREAU_DOMAIN, or one added with `bureau domain add`), on the '
    + 'default plan unless --plan names another. The password is read from standard input; in a terminal it is '
    + 'asked for twice without echo.',
  options: { plan: { type: 'string' }, name: { type: 'string' } },
  args: ['ADDRESS'],
  async run({ core, args, options, io }) {
    // everything that can be checked is checked before the password is asked for
    const address = normaliseAddress(args[0]!);
    const domain = address.slice(address.indexOf('@') + 1);
    if (!(await core.domains.isHosted(domain))) {
      throw new Failure(`the domain ${domain} is not hosted here; add it first (bureau domain add ${domain})`);
    }
    const plan = await planNamed(core, optionText(options, 'plan') ?? core.settings.defaultPlan);
    if (await findAccount(core, address)) throw new Failure(`the address ${address} is taken`);
    const held = await core.accounts.heldUntil(address);
    if (held !== null) {
      throw new Failure(`the address ${address} is not available: its account was destroyed and the address is held back until ${formatTime(held)} (address_holdback_days)`);
    }
    const password = await readNewPassword(io);
    const name = optionText(options, 'name');
    const account = await core.accounts.create({ address, password, plan: plan.name, ...(name === undefined ? {} : { name }) });
    io.out(`created ${account.address} (plan ${account.plan})`);
  },
};

const passwd: Command = {
  usage: 'user passwd ADDRESS',
  help: 'Sets the password of an account, read from standard input as for `bureau user add`.',
  args: ['ADDRESS'],
  async run({ core, args, io }) {
    const account = await accountNamed(core, args[0]!);
    const password = await readNewPassword(io);
    await core.accounts.setPassword(account.id, password);
    io.out(`changed the password of ${account.address}`);
  },
};

const list: Command = {
  usage: 'user list',
  help: 'Lists the accounts: address, plan, status, last activity (UTC, or "never") and name.',
  args: [],
  async run({ core, io }) {
    const accounts = await core.accounts.list();
    const rows = accounts.map((a) => [
      a.address, a.plan, a.status, a.lastActivityAt === null ? 'never' : formatTime(a.lastActivityAt), a.name,
    ]);
    for (const line of table(['ADDRESS', 'PLAN', 'STATUS', 'LAST-ACTIVITY', 'NAME'], rows)) io.out(line);
  },
};

const del: Command = {
  usage: 'user delete ADDRESS',
  help: 'Deletes an account and everything it holds: mail, calendars, contacts, files, memberships, shares. '
    + 'Refused while the account administers a group with other members: transfer the group first. '
    + 'The address cannot be taken by a new account for address_holdback_days (90 by default) afterwards.',
  args: ['ADDRESS'],
  async run({ core, args, io }) {
    const account = await accountNamed(core, args[0]!);
    await core.accounts.destroy(account.id);
    io.out(`deleted ${account.address}`);
  },
};

export const user: Family = { name: 'user', commands: { add, passwd, list, delete: del } };
