// bureau plan list | set
import type { Command, Family } from '../command.ts';
import { accountNamed, planNamed } from '../lookup.ts';
import { humanBytes, table } from '../output.ts';

const list: Command = {
  usage: 'plan list',
  help: 'Lists the plans (defined in the configuration, `plans`): mail and file space, the most groups an '
    + 'account may administer, the most members of each, features, whether it is paid, and how many accounts are on it.',
  args: [],
  async run({ core, io }) {
    const plans = await core.plans.list();
    const counts = new Map<string, number>();
    for (const a of await core.accounts.list()) counts.set(a.plan, (counts.get(a.plan) ?? 0) + 1);
    const rows = plans.map((p) => [
      p.name,
      humanBytes(p.mailBytes),
      humanBytes(p.filesBytes),
      String(p.maxGroups),
      String(p.maxGroupMembers),
      p.features.length === 0 ? '-' : p.features.join(','),
      p.paid ? 'yes' : 'no',
      String(counts.get(p.name) ?? 0),
    ]);
    for (const line of table(['PLAN', 'MAIL', 'FILES', 'MAX-GROUPS', 'MAX-MEMBERS', 'FEATURES', 'PAID', 'ACCOUNTS'], rows)) io.out(line);
  },
};

const set: Command = {
  usage: 'plan set ADDRESS PLAN',
  help: 'Puts an account on another plan; its space, group and member limits follow at once.',
  args: ['ADDRESS', 'PLAN'],
  async run({ core, args, io }) {
    const account = await accountNamed(core, args[0]!);
    const plan = await planNamed(core, args[1]!);
    if (account.plan === plan.name) {
      io.out(`${account.address} is already on plan ${plan.name}`);
      return;
    }
    await core.accounts.setPlan(account.id, plan.name);
    io.out(`${account.address} is now on plan ${plan.name} (was ${account.plan})`);
  },
};

export const plan: Family = { name: 'plan', commands: { list, set } };
