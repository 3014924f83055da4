// bureau group create | add | remove | grant | transfer | list | show
import { Conflict, LimitReached } from '../../core/errors.ts';
import { parseMemberRights } from '../../core/groups.ts';
import type { Core } from '../../core/index.ts';
import { RIGHTS, type Group, type Membership, type Right } from '../../store/types.ts';
import { optionText, type Command, type Family } from '../command.ts';
import { Failure, UsageError } from '../errors.ts';
import { accountNamed, addressesById, groupNamed } from '../lookup.ts';
import { table } from '../output.ts';

/** What a member may do: read, and what was granted to every member or to it. */
function memberRights(group: Group, m: Membership): Right[] {
  const given = new Set<Right>(['read', ...group.memberRights, ...m.rights]);
  return RIGHTS.filter((r) => given.has(r));
}

function rightsText(rights: readonly Right[]): string {
  return rights.length === 1 && rights[0] === 'read' ? 'read only' : rights.join(',');
}

async function membershipOf(core: Core, group: Group, accountId: number): Promise<Membership | null> {
  return (await core.groups.members(group.id)).find((m) => m.accountId === accountId) ?? null;
}

const create: Command = {
  usage: 'group create NAME --admin ADDRESS',
  help: 'Creates a group administered by ADDRESS, its first member. The administrator\'s plan limits how many '
    + 'groups it may administer and how many members each may have.',
  options: { admin: { type: 'string' } },
  args: ['NAME'],
  check(_args, options) {
    if (optionText(options, 'admin') === undefined) throw new UsageError('missing --admin ADDRESS');
  },
  async run({ core, args, options, io }) {
    const admin = await accountNamed(core, optionText(options, 'admin')!);
    let group: Group;
    try {
      group = await core.groups.create(args[0]!, admin.id);
    } catch (err) {
      if (err instanceof LimitReached) throw new Failure(`${admin.address} cannot administer another group: ${err.message} (plan ${admin.plan})`);
      throw err;
    }
    io.out(`created the group ${group.name} (admin ${admin.address})`);
  },
};

const add: Command = {
  usage: 'group add NAME ADDRESS',
  help: 'Adds an account to a group, as a member who may read; `bureau group grant` gives more.',
  args: ['NAME', 'ADDRESS'],
  async run({ core, args, io }) {
    const group = await groupNamed(core, args[0]!);
    const account = await accountNamed(core, args[1]!);
    if (await membershipOf(core, group, account.id)) throw new Failure(`${account.address} is already a member of ${group.name}`);
    await core.groups.addMember(group.id, account.id);
    io.out(`added ${account.address} to ${group.name}`);
  },
};

const remove: Command = {
  usage: 'group remove NAME ADDRESS',
  help: 'Removes a member from a group; what it shared with the group stops being shared. The administrator '
    + 'cannot be removed: transfer the group to another member first.',
  args: ['NAME', 'ADDRESS'],
  async run({ core, args, io }) {
    const group = await groupNamed(core, args[0]!);
    const account = await accountNamed(core, args[1]!);
    if (!(await membershipOf(core, group, account.id))) throw new Failure(`${account.address} is not a member of ${group.name}`);
    try {
      await core.groups.removeMember(group.id, account.id);
    } catch (err) {
      if (err instanceof Conflict && group.adminId === account.id) {
        throw new Failure(`${account.address} cannot be removed: ${err.message} (bureau group transfer "${group.name}" ADDRESS)`);
      }
      throw err;
    }
    io.out(`removed ${account.address} from ${group.name}`);
  },
};

const grant: Command = {
  usage: 'group grant NAME ADDRESS|--all RIGHTS',
  help: 'Sets what one member (ADDRESS) or every member (--all) may do in the group beyond reading: RIGHTS is '
    + '`write`, `write,delete`, or `read` for read only. A member may do what was granted to it or to every member.',
  options: { all: { type: 'boolean' } },
  args: ['NAME', '[ADDRESS]', 'RIGHTS'],
  check(args, options) {
    const all = options.all === true;
    if (args.length === 0) throw new UsageError('missing NAME');
    if (all && args.length === 3) throw new UsageError('give either ADDRESS or --all, not both');
    if (all && args.length < 2) throw new UsageError('missing RIGHTS');
    if (!all && args.length < 2) throw new UsageError('missing ADDRESS (or --all) and RIGHTS');
    if (!all && args.length === 2) throw new UsageError('missing RIGHTS (or --all instead of ADDRESS)');
  },
  async run({ core, args, options, io }) {
    const group = await groupNamed(core, args[0]!);
    const rights = parseMemberRights(args[args.length - 1]!);
    if (options.all === true) {
      await core.groups.grant(group.id, 'all', rights);
      io.out(`every member of ${group.name} may now ${rightsText(RIGHTS.filter((r) => r === 'read' || rights.includes(r)))}`);
      return;
    }
    const account = await accountNamed(core, args[1]!);
    if (!(await membershipOf(core, group, account.id))) {
      throw new Failure(`${account.address} is not a member of ${group.name}; add it first (bureau group add "${group.name}" ${account.address})`);
    }
    await core.groups.grant(group.id, account.id, rights);
    const after = await core.groups.get(group.id);
    const m = (await membershipOf(core, after, account.id))!;
    const everyone = RIGHTS.filter((r) => after.memberRights.includes(r));
    const note = everyone.length > 0 ? ` (every member may ${everyone.join(',')})` : '';
    io.out(`${account.address} may now ${rightsText(memberRights(after, m))} in ${group.name}${note}`);
  },
};

const transfer: Command = {
  usage: 'group transfer NAME ADDRESS',
  help: 'Makes a member the administrator of the group; the old administrator stays a member and can then be removed.',
  args: ['NAME', 'ADDRESS'],
  async run({ core, args, io }) {
    const group = await groupNamed(core, args[0]!);
    const account = await accountNamed(core, args[1]!);
    if (group.adminId === account.id) {
      io.out(`${account.address} already administers ${group.name}`);
      return;
    }
    if (!(await membershipOf(core, group, account.id))) {
      throw new Failure(`${account.address} is not a member of ${group.name}; add it first (bureau group add "${group.name}" ${account.address})`);
    }
    try {
      await core.groups.transfer(group.id, account.id);
    } catch (err) {
      if (err instanceof LimitReached) throw new Failure(`${account.address} cannot administer ${group.name}: ${err.message} (plan ${account.plan})`);
      throw err;
    }
    io.out(`${group.name} is now administered by ${account.address}`);
  },
};

const list: Command = {
  usage: 'group list',
  help: 'Lists the groups: name, administrator, and how many members each has.',
  args: [],
  async run({ core, io }) {
    const addresses = await addressesById(core);
    const rows: string[][] = [];
    for (const g of await core.groups.list()) {
      const members = await core.groups.members(g.id);
      rows.push([g.name, addresses.get(g.adminId) ?? `account ${g.adminId}`, String(members.length)]);
    }
    for (const line of table(['GROUP', 'ADMIN', 'MEMBERS'], rows)) io.out(line);
  },
};

const show: Command = {
  usage: 'group show NAME',
  help: 'Shows a group\'s members and what each may do; the administrator may do everything.',
  args: ['NAME'],
  async run({ core, args, io }) {
    const group = await groupNamed(core, args[0]!);
    const addresses = await addressesById(core);
    const members = await core.groups.members(group.id);
    const admin = addresses.get(group.adminId) ?? `account ${group.adminId}`;
    const plan = await core.plans.of(await core.accounts.get(group.adminId));
    io.out(`${group.name}: admin ${admin}, ${members.length} of at most ${plan.maxGroupMembers} members, `
      + `every member may ${rightsText(RIGHTS.filter((r) => r === 'read' || group.memberRights.includes(r)))}`);
    const rows = members.map((m) => m.accountId === group.adminId
      ? [addresses.get(m.accountId) ?? `account ${m.accountId}`, 'admin', 'all']
      : [addresses.get(m.accountId) ?? `account ${m.accountId}`, 'member', memberRights(group, m).join(',')]);
    for (const line of table(['ADDRESS', 'ROLE', 'RIGHTS'], rows)) io.out(line);
  },
};

export const group: Family = { name: 'group', commands: { create, add, remove, grant, transfer, list, show } };
