// bureau domain add | dns | list
import { normaliseDomain } from '../../core/domains.ts';
import type { Core } from '../../core/index.ts';
import { optionText, type Command, type Family, type Io } from '../command.ts';
import { Failure } from '../errors.ts';
import { accountNamed, addressesById } from '../lookup.ts';
import { formatTime, table } from '../output.ts';

const add: Command = {
  usage: 'domain add DOMAIN [--owner ADDRESS]',
  help: 'Hosts another mail domain, so that accounts can be created at it; --owner names the account (an '
    + 'organisation) it belongs to. Makes the domain\'s DKIM key and prints the DNS records to publish '
    + '(MX, SPF, DKIM, DMARC). The primary domain (BUREAU_DOMAIN) is always hosted.',
  options: { owner: { type: 'string' } },
  args: ['DOMAIN'],
  async run({ core, args, options, io }) {
    const name = normaliseDomain(args[0]!);
    const ownerText = optionText(options, 'owner');
    const owner = ownerText === undefined ? null : await accountNamed(core, ownerText);
    const domain = await core.domains.add(name, owner === null ? null : owner.address);
    io.out(owner === null ? `added the domain ${domain.name}` : `added the domain ${domain.name} (owner ${owner.address})`);
    await printRecords(core, domain.name, io);
  },
};

/** The records to publish for a hosted domain, its DKIM key made if it has none. */
async function printRecords(core: Core, domain: string, io: Io): Promise<void> {
  io.out('publish these DNS records (MX, SPF, DKIM, DMARC):');
  for (const r of await core.dkim.records(domain)) io.out(`${r.name} IN ${r.type} ${r.value}`);
}

const dns: Command = {
  usage: 'domain dns DOMAIN',
  help: 'Prints the DNS records to publish for a hosted domain (MX, SPF, DKIM, DMARC), the primary one '
    + '(BUREAU_DOMAIN) included. Makes the domain\'s DKIM key if it has none yet (outgoing mail from the '
    + 'domain is signed with it from then on); run again, it prints the same records.',
  args: ['DOMAIN'],
  async run({ core, args, io }) {
    const name = normaliseDomain(args[0]!);
    if (!(await core.domains.isHosted(name))) {
      throw new Failure(`${name} is not a domain hosted here; add it first with \`bureau domain add ${name}\``);
    }
    await printRecords(core, name, io);
  },
};

const list: Command = {
  usage: 'domain list',
  help: 'Lists the hosted mail domains: the primary one (BUREAU_DOMAIN) first, then those added, with their owners.',
  args: [],
  async run({ core, io }) {
    const addresses = await addressesById(core);
    const primary = core.settings.domain.toLowerCase();
    const rows = [[primary, 'primary', '-', '-']];
    for (const d of await core.domains.list()) {
      if (d.name === primary) continue;
      rows.push([d.name, 'added', d.ownerId === null ? '-' : (addresses.get(d.ownerId) ?? `account ${d.ownerId}`), formatTime(d.createdAt)]);
    }
    for (const line of table(['DOMAIN', 'KIND', 'OWNER', 'ADDED'], rows)) io.out(line);
  },
};

export const domain: Family = { name: 'domain', commands: { add, dns, list } };
