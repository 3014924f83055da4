// The `bureau` command line as an operator uses it: the real launcher
// (scripts/bureau.mjs) started as a child process, settings in BUREAU_*
// variables, passwords on standard input. Each test checks what the operator
// sees (output, one-line errors, exit codes) and what the store then holds,
// read by opening the store again after the command.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { dkimVerify } from 'mailauth';
import { openCore } from '../../src/boot.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Core } from '../../src/core/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Group, Membership, Store } from '../../src/store/types.ts';
import { envWithoutBureau, LAUNCHER, NODE as NODE24, runBureau, type BureauRun } from '../support/server.ts';
import { BACKENDS, makeTestDatabase, type Backend, type TestDatabase } from '../support/store.ts';

const SYSTEM_NODE = '/usr/bin/node';
const COMMAND_TIMEOUT_MS = 20_000;

const GOOD = 'correct horse battery';
const NEXT = 'another long secret';

type Result = BureauRun;

interface RunOptions {
  /** written to standard input, which is then closed */
  readonly input?: string;
  /** the Node.js that starts the launcher */
  readonly node?: string;
  /** variables added to (or, when undefined, removed from) the environment */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function launch(cwd: string, baseEnv: Readonly<Record<string, string>>, args: readonly string[], options: RunOptions = {}): Promise<Result> {
  const env: Record<string, string> = { ...envWithoutBureau(), ...baseEnv };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return runBureau(args, { cwd, env, input: options.input ?? '', node: options.node ?? NODE24, timeoutMs: COMMAND_TIMEOUT_MS });
}

/** Data lines of a table, split into their columns (two or more spaces apart). */
function rows(stdout: string): string[][] {
  return stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/ {2,}/));
}

function expectSuccess(r: Result, stdout?: string | RegExp): void {
  expect(r.stderr, `stderr of a command that should succeed (exit ${r.code})`).to.equal('');
  expect(r.code).to.equal(0);
  if (typeof stdout === 'string') expect(r.stdout).to.equal(`${stdout}\n`);
  else if (stdout) expect(r.stdout).to.match(stdout);
}

/** Exit code `code`, nothing on standard output, and exactly one line `bureau: ...` on standard error. */
function expectFailure(r: Result, code: number, message: RegExp): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).to.equal(code);
  expect(r.stdout).to.equal('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, `one line on stderr: ${r.stderr}`).to.have.length(1);
  expect(lines[0]).to.match(/^bureau: /);
  expect(lines[0]).to.match(message);
}

/** The `NAME IN TYPE VALUE` lines of `domain add` and `domain dns`. */
function dnsRecords(stdout: string): { name: string; type: string; value: string }[] {
  return stdout.split('\n').flatMap((l) => {
    const m = /^(\S+) IN (MX|TXT) (.+)$/.exec(l);
    return m ? [{ name: m[1]!, type: m[2]!, value: m[3]! }] : [];
  });
}

/** The character strings of a TXT value as written in a zone file: `"a" "b"` → ['a', 'b']. */
function txtStrings(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
}

/** What the store holds, for "nothing changed" comparisons. */
async function snapshot(store: Store): Promise<unknown> {
  const accounts = (await store.listAccounts()).map((a) => ({ address: a.address, plan: a.plan, hash: a.passwordHash, name: a.name }));
  const groups = [];
  for (const g of await store.listGroups()) {
    groups.push({
      name: g.name, adminId: g.adminId, memberRights: g.memberRights,
      members: (await store.listMembers(g.id)).map((m) => ({ id: m.accountId, rights: m.rights })),
    });
  }
  const domains = (await store.listDomains()).map((d) => ({ name: d.name, ownerId: d.ownerId }));
  return { accounts, groups, domains };
}

/** One operator's installation: a database, its settings, and ways to look into the store. */
class Installation {
  readonly db: TestDatabase;
  readonly env: Readonly<Record<string, string>>;

  constructor(db: TestDatabase, extra: Readonly<Record<string, string>> = {}) {
    this.db = db;
    this.env = {
      BUREAU_DATA_DIR: db.dataDir,
      BUREAU_DATABASE_URL: db.url,
      BUREAU_CERTS_DIR: join(db.dataDir, 'certs'),
      BUREAU_DOMAIN: 'example.test',
      ...extra,
    };
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<Result> {
    return launch(this.db.dataDir, this.env, args, options);
  }

  async withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore({ databaseUrl: this.db.url, dataDir: this.db.dataDir });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  async withCore<T>(fn: (core: Core) => Promise<T>): Promise<T> {
    const core = await openCore(loadConfig({ env: { ...this.env }, cwd: this.db.dataDir }));
    try {
      return await fn(core);
    } finally {
      await core.store.close();
    }
  }

  snapshot(): Promise<unknown> {
    return this.withStore(snapshot);
  }

  /** Runs a command that must fail, and checks that the store is as it was. */
  async refused(args: readonly string[], code: number, message: RegExp, options: RunOptions = {}): Promise<Result> {
    const before = await this.snapshot();
    const r = await this.run(args, options);
    expectFailure(r, code, message);
    expect(await this.snapshot(), `the store after the refused \`bureau ${args.join(' ')}\``).to.deep.equal(before);
    return r;
  }

  async authenticates(address: string, password: string): Promise<boolean> {
    return this.withCore(async (core) => (await core.accounts.authenticate(address, password, 'cli')) !== null);
  }
}

function systemNodeIsOld(): boolean {
  if (!existsSync(SYSTEM_NODE)) return false;
  const r = spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && Number(r.stdout.split('.')[0]) < 24;
}

describe('bureau (command line)', function () {
  this.timeout(60_000);

  describe('before any store is opened', () => {
    let db: TestDatabase;
    let site: Installation;
    before(async () => {
      db = await makeTestDatabase('sqlite');
      site = new Installation(db);
    });
    after(() => db.cleanup());

    it('prints the usage for `bureau help`, `--help` and one command\'s help', async () => {
      const [help, dashed, one, family] = await Promise.all([
        site.run(['help']), site.run(['--help']), site.run(['group', 'grant', '--help']), site.run(['help', 'user']),
      ]);
      expectSuccess(help, /^usage: bureau COMMAND/);
      for (const usage of ['user add ADDRESS [--plan NAME] [--name "First Last"]', 'user passwd ADDRESS', 'user list',
        'user delete ADDRESS', 'plan list', 'plan set ADDRESS PLAN', 'group create NAME --admin ADDRESS',
        'group add NAME ADDRESS', 'group remove NAME ADDRESS', 'group grant NAME ADDRESS|--all RIGHTS',
        'group transfer NAME ADDRESS', 'domain add DOMAIN [--owner ADDRESS]', 'domain dns DOMAIN', 'domain list', 'backup DIR',
        'restore DIR', 'export ADDRESS FILE', 'import ADDRESS FILE']) {
        expect(help.stdout).to.include(`bureau ${usage}`);
      }
      expectSuccess(dashed);
      expect(dashed.stdout).to.equal(help.stdout);
      expectSuccess(one, /^usage: bureau group grant NAME ADDRESS\|--all RIGHTS\n\n.*read only/s);
      expectSuccess(family, /^usage: bureau user add .*\nusage: bureau user passwd ADDRESS\n/);
      expect(existsSync(join(db.dataDir, 'bureau.sqlite')), 'help opens no store').to.equal(false);
    });

    it('refuses unknown commands, unknown options and missing arguments with exit 2', async () => {
      const [unknown, none, family, unknownSub, option, missing, noValue, grant, both, extra] = await Promise.all([
        site.run(['frobnicate']),
        site.run([]),
        site.run(['group']),
        site.run(['user', 'rename', 'a@example.test']),
        site.run(['user', 'list', '--bogus']),
        site.run(['user', 'add']),
        site.run(['user', 'add', 'ann@example.test', '--plan']),
        site.run(['group', 'grant', 'Team', 'write']),
        site.run(['group', 'grant', 'Team', 'ann@example.test', 'write', '--all']),
        site.run(['plan', 'set', 'a@example.test', 'pro', 'more']),
      ]);
      expect(unknown.code).to.equal(2);
      expect(unknown.stdout).to.equal('');
      expect(unknown.stderr.split('\n')[0]).to.equal('bureau: unknown command "frobnicate"');
      expect(unknown.stderr).to.include('usage: bureau COMMAND');
      expect(unknown.stderr).to.include('bureau group transfer NAME ADDRESS');
      expect(none.code).to.equal(2);
      expect(none.stderr).to.match(/^usage: bureau COMMAND/);
      expect(family.code).to.equal(2);
      expect(family.stderr).to.match(/^bureau: group needs a command: create, add, remove, grant, transfer, list, show\n\nusage: bureau group create/);
      expect(unknownSub.code).to.equal(2);
      expect(unknownSub.stderr.split('\n')[0]).to.equal('bureau: unknown command "user rename"');
      expectFailure(option, 2, /unknown option --bogus \(usage: bureau user list\)$/);
      expectFailure(missing, 2, /^bureau: missing ADDRESS \(usage: bureau user add ADDRESS/);
      expectFailure(noValue, 2, /option --plan needs a value/);
      expectFailure(grant, 2, /missing RIGHTS \(or --all instead of ADDRESS\)/);
      expectFailure(both, 2, /either ADDRESS or --all, not both/);
      expectFailure(extra, 2, /unexpected argument "more"/);
      expect(existsSync(join(db.dataDir, 'bureau.sqlite')), 'a wrong command line opens no store').to.equal(false);
    });

    it('says plainly that backup, restore, export and import are not available yet', async () => {
      const results = await Promise.all([
        site.run(['backup', join(db.dataDir, 'b')]),
        site.run(['restore', join(db.dataDir, 'b')]),
        site.run(['export', 'ann@example.test', join(db.dataDir, 'x')]),
        site.run(['import', 'ann@example.test', join(db.dataDir, 'x')]),
      ]);
      for (const [i, cmd] of ['backup', 'restore', 'export', 'import'].entries()) {
        expectFailure(results[i]!, 1, new RegExp(`^bureau: ${cmd} is not available yet in this version$`));
      }
      expect(existsSync(join(db.dataDir, 'b'))).to.equal(false);
    });

    it('stops at a wrong setting with one line naming it, and at a database it cannot open', async () => {
      const [port, file, database] = await Promise.all([
        site.run(['user', 'list'], { env: { BUREAU_IMAP_PORT: 'abc' } }),
        site.run(['user', 'list'], { env: { BUREAU_CONFIG: join(db.dataDir, 'missing.json') } }),
        site.run(['user', 'list'], { env: { BUREAU_DATABASE_URL: 'postgres://bureau:secret-pw@127.0.0.1:1/none' } }),
      ]);
      expectFailure(port, 1, /BUREAU_IMAP_PORT.*"abc" is not allowed/);
      expectFailure(file, 1, /BUREAU_CONFIG.*missing\.json cannot be read/);
      expectFailure(database, 1, /PostgreSQL at .*127\.0\.0\.1:1.* cannot be reached/);
      expect(database.stderr).not.to.include('secret-pw');
      expect(existsSync(join(db.dataDir, 'bureau.sqlite'))).to.equal(false);
    });
  });

  describe('on SQLite', () => {
    let db: TestDatabase;
    let site: Installation;

    before(async () => {
      db = await makeTestDatabase('sqlite');
      // a small plan, to reach the member limit with few accounts
      const override = join(db.dataDir, 'bureau.json');
      await writeFile(override, JSON.stringify({
        plans: { tiny: { mail_bytes: 1536 * 1024 * 1024, files_bytes: 0, max_groups: 1, max_group_members: 2, features: [], paid: false } },
      }));
      site = new Installation(db, { BUREAU_CONFIG: override });
    });
    after(() => db.cleanup());

    it('user add creates an account with the password from standard input', async () => {
      expectSuccess(await site.run(['user', 'add', 'Ann@Example.test', '--name', 'Ann Smith'], { input: `${GOOD}\n` }),
        'created ann@example.test (plan free)');
      // Windows line end, and no line end at all
      expectSuccess(await site.run(['user', 'add', 'bob@example.test', '--plan', 'standard'], { input: `${GOOD}\r\n` }),
        'created bob@example.test (plan standard)');
      expectSuccess(await site.run(['user', 'add', 'cid@example.test'], { input: GOOD }), 'created cid@example.test (plan free)');
      const ann = await site.withStore((s) => s.getAccountByAddress('ann@example.test'));
      expect(ann).to.include({ address: 'ann@example.test', name: 'Ann Smith', plan: 'free', status: 'active', lastActivityAt: null });
      expect(ann!.profile).to.include({ firstName: 'Ann', lastName: 'Smith' });
      expect((await site.withStore((s) => s.getAccountByAddress('bob@example.test')))!.plan).to.equal('standard');
      expect(await site.authenticates('ann@example.test', GOOD)).to.equal(true);
      expect(await site.authenticates('bob@example.test', GOOD)).to.equal(true);
      expect(await site.authenticates('cid@example.test', GOOD)).to.equal(true);
      // one line end only was taken away
      expectSuccess(await site.run(['user', 'add', 'dan@example.test'], { input: `${GOOD}  \n` }));
      expect(await site.authenticates('dan@example.test', GOOD)).to.equal(false);
      expect(await site.authenticates('dan@example.test', `${GOOD}  `)).to.equal(true);
    });

    it('user add refuses weak, missing and multi-line passwords, taken addresses, unknown plans and domains', async () => {
      await site.refused(['user', 'add', 'eve@example.test'], 1, /password is too short: at least 10 characters/, { input: 'short\n' });
      await site.refused(['user', 'add', 'eve@example.test'], 1, /no password on standard input/, { input: '' });
      await site.refused(['user', 'add', 'eve@example.test'], 1, /spans several lines/, { input: `${GOOD}\n${GOOD}\n` });
      await site.refused(['user', 'add', 'ann@example.test'], 1, /^bureau: the address ann@example\.test is taken$/, { input: `${NEXT}\n` });
      await site.refused(['user', 'add', 'eve@example.test', '--plan', 'gold'], 1,
        /there is no plan named gold; the plans are free, pro, standard, tiny/, { input: `${GOOD}\n` });
      await site.refused(['user', 'add', 'eve@elsewhere.test'], 1,
        /the domain elsewhere\.test is not hosted here; add it first \(bureau domain add elsewhere\.test\)/, { input: `${GOOD}\n` });
      await site.refused(['user', 'add', 'not an address'], 1, /is not an e-mail address/, { input: `${GOOD}\n` });
      expect(await site.authenticates('ann@example.test', NEXT)).to.equal(false);
    });

    it('user list shows every account with plan, status and last activity', async () => {
      const r = await site.run(['user', 'list']);
      expectSuccess(r);
      const [header] = r.stdout.split('\n');
      expect(header!.split(/ +/)).to.deep.equal(['ADDRESS', 'PLAN', 'STATUS', 'LAST-ACTIVITY', 'NAME']);
      const table = rows(r.stdout);
      expect(table.map((row) => row[0])).to.deep.equal(['ann@example.test', 'bob@example.test', 'cid@example.test', 'dan@example.test']);
      const ann = table[0]!;
      expect(ann.slice(0, 3)).to.deep.equal(['ann@example.test', 'free', 'active']);
      expect(ann[3]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/); // authenticated above
      expect(ann[4]).to.equal('Ann Smith');
      expect(table[1]!.slice(0, 3)).to.deep.equal(['bob@example.test', 'standard', 'active']);
      expect(table[1]![4]).to.equal('bob');
    });

    it('user passwd sets a new password, and refuses weak ones and unknown accounts', async () => {
      expectSuccess(await site.run(['user', 'passwd', 'ann@example.test'], { input: `${NEXT}\n` }),
        'changed the password of ann@example.test');
      expect(await site.authenticates('ann@example.test', NEXT)).to.equal(true);
      expect(await site.authenticates('ann@example.test', GOOD)).to.equal(false);
      await site.refused(['user', 'passwd', 'ann@example.test'], 1, /password is too short/, { input: 'tiny\n' });
      expect(await site.authenticates('ann@example.test', NEXT)).to.equal(true);
      await site.refused(['user', 'passwd', 'nobody@example.test'], 1, /^bureau: there is no account nobody@example\.test$/, { input: `${NEXT}\n` });
    });

    it('domain add and list; duplicates, the primary domain and unknown owners are refused', async () => {
      // the DNS records to publish follow the first line: MX, SPF, the DKIM key made for the domain, DMARC
      const dns = (domain: string): RegExp => new RegExp(`\\npublish these DNS records \\(MX, SPF, DKIM, DMARC\\):\\n${domain.replace('.', '\\.')}\\. IN MX 10 [^\\n]+\\n`
        + `${domain.replace('.', '\\.')}\\. IN TXT "v=spf1 [^\\n]+\\nbureau\\._domainkey\\.${domain.replace('.', '\\.')}\\. IN TXT "v=DKIM1; k=rsa; p=[^\\n]+\\n`
        + `_dmarc\\.${domain.replace('.', '\\.')}\\. IN TXT "v=DMARC1; [^\\n]+\\n$`);
      const first = await site.run(['domain', 'add', 'Example.ORG', '--owner', 'ann@example.test']);
      expectSuccess(first, /^added the domain example\.org \(owner ann@example\.test\)\n/);
      expect(first.stdout).to.match(dns('example.org'));
      const second = await site.run(['domain', 'add', 'other.test']);
      expectSuccess(second, /^added the domain other\.test\n/);
      expect(second.stdout).to.match(dns('other.test'));
      await site.refused(['domain', 'add', 'example.org'], 1, /^bureau: the domain example\.org already exists$/);
      await site.refused(['domain', 'add', 'example.test'], 1, /example\.test is the primary domain \(BUREAU_DOMAIN\)/);
      await site.refused(['domain', 'add', 'third.test', '--owner', 'nobody@example.test'], 1, /there is no account nobody@example\.test/);
      await site.refused(['domain', 'add', 'not a domain'], 1, /is not a domain name/);
      const list = await site.run(['domain', 'list']);
      expectSuccess(list);
      expect(rows(list.stdout).map((r) => r.slice(0, 3))).to.deep.equal([
        ['example.test', 'primary', '-'],
        ['example.org', 'added', 'ann@example.test'],
        ['other.test', 'added', '-'],
      ]);
      expect(await site.withStore((s) => s.getDomain('example.org'))).to.include({ name: 'example.org' });
      // accounts can now be made at the new domain
      expectSuccess(await site.run(['user', 'add', 'fay@example.org'], { input: `${GOOD}\n` }), 'created fay@example.org (plan free)');
      const fay = rows((await site.run(['user', 'list'])).stdout).find((r) => r[0] === 'fay@example.org');
      expect(fay).to.deep.equal(['fay@example.org', 'free', 'active', 'never', 'fay']);
    });

    it('domain dns prints the records of any hosted domain, the primary one included, making its DKIM key once', async () => {
      expect(await site.withStore((s) => s.getDkimKey('example.test')), 'no key before').to.equal(null);
      const first = await site.run(['domain', 'dns', 'Example.TEST']);
      expectSuccess(first, /^publish these DNS records \(MX, SPF, DKIM, DMARC\):\n/);
      const records = dnsRecords(first.stdout);
      expect(records.map((r) => `${r.name} ${r.type}`)).to.deep.equal([
        'example.test. MX', 'example.test. TXT', 'bureau._domainkey.example.test. TXT', '_dmarc.example.test. TXT',
      ]);
      expect(records[0]!.value).to.equal('10 localhost.');
      expect(records[1]!.value).to.match(/^"v=spf1 mx a:localhost ~all"$/);
      expect(records[3]!.value).to.match(/^"v=DMARC1; p=quarantine; rua=mailto:postmaster@example\.test"$/);
      // the key made now is the one kept, and the one printed again
      const key = await site.withStore((s) => s.getDkimKey('example.test'));
      expect(key).to.include({ domain: 'example.test', selector: 'bureau' });
      expect(txtStrings(records[2]!.value).join('')).to.equal(`v=DKIM1; k=rsa; p=${key!.publicKey}`);
      const again = await site.run(['domain', 'dns', 'example.test']);
      expectSuccess(again);
      expect(again.stdout).to.equal(first.stdout);
      // a message from the primary domain is signed with that key: the signature verifies against the printed record
      const message = Buffer.from('From: ann@example.test\r\nTo: x@elsewhere.example\r\nSubject: signed\r\n\r\nbody\r\n');
      const signature = await site.withCore((core) => core.dkim.signature('example.test', message));
      expect(signature).to.match(/^DKIM-Signature: .*d=example\.test/s);
      const verified = await dkimVerify(Buffer.concat([Buffer.from(signature.replace(/\r?\n/g, '\r\n')), message]), {
        resolver: async (name: string, type: string) => {
          if (type === 'TXT' && name === 'bureau._domainkey.example.test') return [txtStrings(records[2]!.value)];
          throw Object.assign(new Error(`no ${type} ${name}`), { code: 'ENOTFOUND' });
        },
      } as Parameters<typeof dkimVerify>[1]);
      expect(verified.results.map((r) => [r.signingDomain, r.status.result])).to.deep.equal([['example.test', 'pass']]);
      // an added domain: the key made by `domain add` is printed again, unchanged
      const added = dnsRecords((await site.run(['domain', 'add', 'third.test'])).stdout);
      const shown = dnsRecords((await site.run(['domain', 'dns', 'third.test'])).stdout);
      expect(shown).to.deep.equal(added);
      await site.refused(['domain', 'dns', 'nowhere.test'], 1, /^bureau: nowhere\.test is not a domain hosted here; add it first with `bureau domain add nowhere\.test`$/);
      await site.refused(['domain', 'dns', 'not a domain'], 1, /is not a domain name/);
      expectFailure(await site.run(['domain', 'dns']), 2, /missing DOMAIN \(usage: bureau domain dns DOMAIN\)/);
    });

    it('plan list shows the plans in human units with how many accounts use each; plan set changes it', async () => {
      const list = await site.run(['plan', 'list']);
      expectSuccess(list);
      expect(list.stdout.split('\n')[0]!.split(/ +/)).to.deep.equal(
        ['PLAN', 'MAIL', 'FILES', 'MAX-GROUPS', 'MAX-MEMBERS', 'FEATURES', 'PAID', 'ACCOUNTS']);
      const plans = Object.fromEntries(rows(list.stdout).map((r) => [r[0], r.slice(1)]));
      expect(plans.free).to.deep.equal(['1 GiB', '1 GiB', '3', '10', '-', 'no', '4']);
      expect(plans.standard).to.deep.equal(['10 GiB', '10 GiB', '3', '50', 'clients', 'yes', '1']);
      expect(plans.pro).to.deep.equal(['50 GiB', '100 GiB', '20', '500', 'clients', 'yes', '0']);
      expect(plans.tiny).to.deep.equal(['1.5 GiB', '0 B', '1', '2', '-', 'no', '0']);

      expectSuccess(await site.run(['plan', 'set', 'cid@example.test', 'pro']), 'cid@example.test is now on plan pro (was free)');
      expect((await site.withStore((s) => s.getAccountByAddress('cid@example.test')))!.plan).to.equal('pro');
      expectSuccess(await site.run(['plan', 'set', 'cid@example.test', 'pro']), 'cid@example.test is already on plan pro');
      await site.refused(['plan', 'set', 'cid@example.test', 'gold'], 1, /there is no plan named gold/);
      await site.refused(['plan', 'set', 'nobody@example.test', 'pro'], 1, /there is no account nobody@example\.test/);
      expect(rows((await site.run(['plan', 'list'])).stdout).find((r) => r[0] === 'pro')![7]).to.equal('1');
    });

    it('group create, add, list and show; unknown groups, accounts and repeated members are refused', async () => {
      expectSuccess(await site.run(['group', 'create', 'Team', '--admin', 'ann@example.test']), 'created the group Team (admin ann@example.test)');
      expectSuccess(await site.run(['group', 'add', 'Team', 'bob@example.test']), 'added bob@example.test to Team');
      expectSuccess(await site.run(['group', 'add', 'team', 'dan@example.test']), 'added dan@example.test to Team');
      await site.refused(['group', 'create', 'Team', '--admin', 'bob@example.test'], 1, /a group named Team already exists/);
      await site.refused(['group', 'create', 'Other', '--admin', 'nobody@example.test'], 1, /there is no account nobody@example\.test/);
      await site.refused(['group', 'create', 'a/b', '--admin', 'ann@example.test'], 1, /cannot contain \//);
      await site.refused(['group', 'add', 'Nope', 'bob@example.test'], 1, /there is no group named Nope/);
      await site.refused(['group', 'add', 'Team', 'nobody@example.test'], 1, /there is no account nobody@example\.test/);
      await site.refused(['group', 'add', 'Team', 'bob@example.test'], 1, /bob@example\.test is already a member of Team/);
      await site.refused(['group', 'remove', 'Team', 'cid@example.test'], 1, /cid@example\.test is not a member of Team/);

      const list = await site.run(['group', 'list']);
      expectSuccess(list);
      expect(rows(list.stdout)).to.deep.equal([['Team', 'ann@example.test', '3']]);
      const show = await site.run(['group', 'show', 'Team']);
      expectSuccess(show);
      const [summary, header, ...members] = show.stdout.trimEnd().split('\n');
      expect(summary).to.equal('Team: admin ann@example.test, 3 of at most 10 members, every member may read only');
      expect(header!.split(/ +/)).to.deep.equal(['ADDRESS', 'ROLE', 'RIGHTS']);
      expect(members.map((l) => l.split(/ +/))).to.deep.equal([
        ['ann@example.test', 'admin', 'all'], ['bob@example.test', 'member', 'read'], ['dan@example.test', 'member', 'read'],
      ]);
    });

    it('group grant gives rights to one member or to all, and refuses unknown rights and non-members', async () => {
      const team = (): Promise<{ group: Group; bob: Membership }> => site.withStore(async (s) => {
        const group = (await s.getGroupByName('Team'))!;
        const bob = (await s.getAccountByAddress('bob@example.test'))!;
        return { group, bob: (await s.getMembership(group.id, bob.id))! };
      });
      expectSuccess(await site.run(['group', 'grant', 'Team', 'bob@example.test', 'write']), 'bob@example.test may now read,write in Team');
      expect((await team()).bob.rights).to.deep.equal(['write']);
      expectSuccess(await site.run(['group', 'grant', 'Team', '--all', 'delete,write']), 'every member of Team may now read,write,delete');
      expectSuccess(await site.run(['group', 'grant', 'Team', 'bob@example.test', 'read']),
        'bob@example.test may now read,write,delete in Team (every member may write,delete)');
      const after = await team();
      expect([...after.group.memberRights].sort()).to.deep.equal(['delete', 'write']);
      expect(after.bob.rights).to.deep.equal([]);
      expectSuccess(await site.run(['group', 'grant', 'Team', '--all', 'read']), 'every member of Team may now read only');
      await site.refused(['group', 'grant', 'Team', 'bob@example.test', 'admin'], 1, /"admin" cannot be granted to members/);
      await site.refused(['group', 'grant', 'Team', 'cid@example.test', 'write'], 1, /cid@example\.test is not a member of Team; add it first/);
      await site.refused(['group', 'grant', 'Nope', '--all', 'write'], 1, /there is no group named Nope/);
      expectSuccess(await site.run(['group', 'grant', 'Team', 'dan@example.test', 'write,delete']));
      const show = await site.run(['group', 'show', 'Team']);
      expect(show.stdout).to.match(/\ndan@example\.test +member +read,write,delete\n/);
      expect(show.stdout).to.match(/\nbob@example\.test +member +read\n/);
    });

    it('the administrator cannot be removed nor deleted until the group is transferred', async () => {
      const removal = await site.refused(['group', 'remove', 'Team', 'ann@example.test'], 1,
        /the administrator of Team cannot leave it without first naming a successor/);
      expect(removal.stderr).to.include('bureau group transfer "Team" ADDRESS');
      await site.refused(['user', 'delete', 'ann@example.test'], 1,
        /ann@example\.test administers the group Team, which has other members; transfer it first/);
      await site.refused(['group', 'transfer', 'Team', 'cid@example.test'], 1, /cid@example\.test is not a member of Team/);

      expectSuccess(await site.run(['group', 'transfer', 'Team', 'bob@example.test']), 'Team is now administered by bob@example.test');
      const bob = (await site.withStore((s) => s.getAccountByAddress('bob@example.test')))!;
      expect((await site.withStore((s) => s.getGroupByName('Team')))!.adminId).to.equal(bob.id);
      expectSuccess(await site.run(['group', 'remove', 'Team', 'ann@example.test']), 'removed ann@example.test from Team');
      expect(rows((await site.run(['group', 'list'])).stdout)).to.deep.equal([['Team', 'bob@example.test', '2']]);
    });

    it('group limits of the plan: groups administered, and members per group', async () => {
      // ann (free) may administer 3 groups
      for (const name of ['One', 'Two', 'Three']) {
        expectSuccess(await site.run(['group', 'create', name, '--admin', 'ann@example.test']));
      }
      await site.refused(['group', 'create', 'Four', '--admin', 'ann@example.test'], 1,
        /ann@example\.test cannot administer another group: the plan allows administering 3 group\(s\)/);
      // dan on the tiny plan: one group of at most 2 members
      expectSuccess(await site.run(['plan', 'set', 'dan@example.test', 'tiny']));
      expectSuccess(await site.run(['group', 'create', 'Small', '--admin', 'dan@example.test']));
      expectSuccess(await site.run(['group', 'add', 'Small', 'fay@example.org']));
      await site.refused(['group', 'add', 'Small', 'cid@example.test'], 1, /the group Small has 2 members, the most its administrator's plan allows/);
      await site.refused(['group', 'create', 'Smaller', '--admin', 'dan@example.test'], 1, /the plan allows administering 1 group/);
      // taking over a group counts against the new administrator's plan
      expectSuccess(await site.run(['group', 'add', 'One', 'dan@example.test']));
      await site.refused(['group', 'transfer', 'One', 'dan@example.test'], 1, /dan@example\.test cannot administer One: the plan allows administering 1 group/);
    });

    it('user delete removes the account with the groups it alone was in', async () => {
      await site.refused(['user', 'delete', 'dan@example.test'], 1, /administers the group Small, which has other members/);
      await site.refused(['user', 'delete', 'ann@example.test'], 1, /administers the group One, which has other members/);
      expectSuccess(await site.run(['group', 'remove', 'One', 'dan@example.test']), 'removed dan@example.test from One');
      expectSuccess(await site.run(['user', 'delete', 'ann@example.test']), 'deleted ann@example.test');
      await site.withStore(async (s) => {
        expect(await s.getAccountByAddress('ann@example.test')).to.equal(null);
        expect(await s.getGroupByName('Two')).to.equal(null);
        expect(await s.getGroupByName('Team')).not.to.equal(null);
      });
      await site.refused(['user', 'delete', 'ann@example.test'], 1, /^bureau: there is no account ann@example\.test$/);
      expect(await site.authenticates('ann@example.test', NEXT)).to.equal(false);
    });

    it('works beside a running server holding the same SQLite database open', async () => {
      const server = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
      try {
        // the "server" writes too, before and between the commands
        await server.touchAccount((await server.getAccountByAddress('bob@example.test'))!.id, Date.now());
        expectSuccess(await site.run(['user', 'add', 'gus@example.test'], { input: `${GOOD}\n` }), 'created gus@example.test (plan free)');
        const gus = await server.getAccountByAddress('gus@example.test');
        expect(gus).to.include({ address: 'gus@example.test', plan: 'free' });
        await server.touchAccount(gus!.id, Date.now());
        expectSuccess(await site.run(['group', 'add', 'Team', 'gus@example.test']));
        expectSuccess(await site.run(['plan', 'set', 'gus@example.test', 'standard']));
        expect((await server.getAccountByAddress('gus@example.test'))!.plan).to.equal('standard');
        const team = (await server.getGroupByName('Team'))!;
        expect((await server.listMembers(team.id)).map((m) => m.accountId)).to.include(gus!.id);
        const list = await site.run(['user', 'list']);
        expect(rows(list.stdout).find((r) => r[0] === 'gus@example.test')![3]).to.match(/^\d{4}-/);
      } finally {
        await server.close();
      }
    });

    it('the launcher under an older system Node.js starts the project\'s Node.js 24', async function () {
      if (!systemNodeIsOld()) this.skip();
      expectSuccess(await site.run(['user', 'add', 'hal@example.test'], { node: SYSTEM_NODE, input: `${GOOD}\n` }),
        'created hal@example.test (plan free)');
      expect(await site.authenticates('hal@example.test', GOOD)).to.equal(true);
      const list = await site.run(['user', 'list'], { node: SYSTEM_NODE });
      expectSuccess(list);
      expect(rows(list.stdout).map((r) => r[0])).to.include('hal@example.test');
      await site.refused(['user', 'passwd', 'nobody@example.test'], 1, /there is no account nobody@example\.test/, { node: SYSTEM_NODE, input: `${GOOD}\n` });
      const unknown = await site.run(['frobnicate'], { node: SYSTEM_NODE });
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/^bureau: unknown command "frobnicate"\n\nusage: bureau COMMAND/);
    });

    it('in a terminal, asks for the password twice without echoing it', async function () {
      if (!existsSync('/usr/bin/script')) this.skip();
      const typed = 'typed in a terminal';
      const talk = (address: string, second: string): Promise<{ code: number | null; output: string }> => new Promise((done, fail) => {
        const env = { ...envWithoutBureau(), ...site.env };
        // `script` gives the command a pseudo-terminal as its standard input and output
        const child = spawn('/usr/bin/script', ['-qec', `'${NODE24}' '${LAUNCHER}' user add ${address}`, '/dev/null'], {
          cwd: db.dataDir, env, stdio: ['pipe', 'pipe', 'pipe'], timeout: COMMAND_TIMEOUT_MS,
        });
        let output = '';
        let step = 0;
        child.stdout.setEncoding('utf8').on('data', (s: string) => {
          output += s;
          if (step === 0 && output.includes('Password: ')) { step = 1; child.stdin.write(`${typed}\r`); }
          if (step === 1 && output.includes('Again: ')) { step = 2; child.stdin.write(`${second}\r`); }
        });
        child.on('error', fail);
        child.on('close', (code) => { child.stdin.destroy(); done({ code, output }); });
      });
      const ok = await talk('ivy@example.test', typed);
      expect(ok.code).to.equal(0);
      expect(ok.output).to.include('created ivy@example.test (plan free)');
      expect(ok.output).not.to.include(typed);
      expect(await site.authenticates('ivy@example.test', typed)).to.equal(true);
      const differ = await talk('joe@example.test', 'something else typed');
      expect(differ.code).to.equal(1);
      expect(differ.output).to.include('bureau: the two passwords differ; nothing was changed');
      expect(await site.withStore((s) => s.getAccountByAddress('joe@example.test'))).to.equal(null);
    });
  });

  for (const backend of BACKENDS.filter((b): b is Backend => b === 'postgres')) {
    describe(`on ${backend === 'postgres' ? 'PostgreSQL' : backend}`, () => {
      let db: TestDatabase;
      let site: Installation;
      before(async () => {
        db = await makeTestDatabase(backend);
        site = new Installation(db);
      });
      after(() => db.cleanup());

      it('manages accounts, domains, plans and groups, and refuses what the plan or the rules forbid', async () => {
        expectSuccess(await site.run(['user', 'add', 'ann@example.test', '--name', 'Ann Smith'], { input: `${GOOD}\n` }),
          'created ann@example.test (plan free)');
        expectSuccess(await site.run(['user', 'add', 'bob@example.test'], { input: `${GOOD}\n` }));
        await site.refused(['user', 'add', 'cid@example.test'], 1, /password is too short/, { input: 'short\n' });
        await site.refused(['user', 'add', 'ann@example.test'], 1, /the address ann@example\.test is taken/, { input: `${GOOD}\n` });
        expectSuccess(await site.run(['user', 'passwd', 'bob@example.test'], { input: `${NEXT}\n` }));
        expect(await site.authenticates('bob@example.test', NEXT)).to.equal(true);

        expectSuccess(await site.run(['domain', 'add', 'example.org', '--owner', 'ann@example.test']));
        await site.refused(['domain', 'add', 'example.org'], 1, /already exists/);
        expect(rows((await site.run(['domain', 'list'])).stdout).map((r) => r[0])).to.deep.equal(['example.test', 'example.org']);
        const primary = await site.run(['domain', 'dns', 'example.test']);
        expectSuccess(primary);
        const key = await site.withStore((s) => s.getDkimKey('example.test'));
        expect(txtStrings(dnsRecords(primary.stdout)[2]!.value).join('')).to.equal(`v=DKIM1; k=rsa; p=${key!.publicKey}`);
        expect((await site.run(['domain', 'dns', 'example.test'])).stdout).to.equal(primary.stdout);

        expectSuccess(await site.run(['plan', 'set', 'bob@example.test', 'pro']));
        await site.refused(['plan', 'set', 'bob@example.test', 'gold'], 1, /there is no plan named gold/);
        const plans = rows((await site.run(['plan', 'list'])).stdout);
        expect(plans.find((r) => r[0] === 'pro')!.slice(1)).to.deep.equal(['50 GiB', '100 GiB', '20', '500', 'clients', 'yes', '1']);

        expectSuccess(await site.run(['group', 'create', 'Team', '--admin', 'ann@example.test']));
        expectSuccess(await site.run(['group', 'add', 'Team', 'bob@example.test']));
        expectSuccess(await site.run(['group', 'grant', 'Team', 'bob@example.test', 'write,delete']));
        for (const name of ['Two', 'Three']) expectSuccess(await site.run(['group', 'create', name, '--admin', 'ann@example.test']));
        await site.refused(['group', 'create', 'Four', '--admin', 'ann@example.test'], 1, /the plan allows administering 3 group/);
        await site.refused(['group', 'remove', 'Team', 'ann@example.test'], 1, /cannot leave it without first naming a successor/);
        await site.refused(['user', 'delete', 'ann@example.test'], 1, /administers the group Team, which has other members/);
        expectSuccess(await site.run(['group', 'transfer', 'Team', 'bob@example.test']));
        expectSuccess(await site.run(['group', 'remove', 'Team', 'ann@example.test']));
        const show = await site.run(['group', 'show', 'Team']);
        expect(show.stdout.trimEnd().split('\n').slice(2).map((l) => l.split(/ +/))).to.deep.equal([['bob@example.test', 'admin', 'all']]);

        // beside a running server: a store held open sees what the command does
        const server = await openStore({ databaseUrl: db.url, dataDir: db.dataDir });
        try {
          expectSuccess(await site.run(['user', 'delete', 'ann@example.test']), 'deleted ann@example.test');
          expect(await server.getAccountByAddress('ann@example.test')).to.equal(null);
          expect(await server.getGroupByName('Two')).to.equal(null);
        } finally {
          await server.close();
        }
        expect(rows((await site.run(['user', 'list'])).stdout).map((r) => r.slice(0, 2))).to.deep.equal([['bob@example.test', 'pro']]);
      });
    });
  }
});
