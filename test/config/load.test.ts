// The settings: defaults, the BUREAU_CONFIG file, BUREAU_* variables, and one
// clear line naming the setting when a value is wrong.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { SETTINGS } from '../../src/config/schema.ts';

describe('config/load', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'bureau-config-')); });
  after(async () => rm(dir, { recursive: true, force: true }));

  const fails = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig({ env, cwd: dir });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('has the defaults of OPERATOR.md and is frozen', () => {
    const c = loadConfig({ env: {}, cwd: dir });
    expect(c.dataDir).to.equal(join(dir, 'data'));
    expect(c.databaseUrl).to.equal(`sqlite:${join(dir, 'data', 'bureau.sqlite')}`);
    expect(c.ports).to.deep.equal({ imap: 143, imaps: 993, smtp: 25, submission: 587, submissions: 465, https: 443, http: 80 });
    expect(c).to.include({ hostname: 'localhost', domain: 'localhost', bind: '0.0.0.0', logLevel: 'info', tlsCert: null, smtpRelay: null });
    expect(c.password).to.deep.equal({ minLength: 10, maxLength: 1024 });
    expect(Object.isFrozen(c) && Object.isFrozen(c.ports) && Object.isFrozen(c.plans.free)).to.equal(true);
    expect(() => { (c as { hostname: string }).hostname = 'x'; }).to.throw(TypeError);
  });

  it('knows every variable of OPERATOR.md', () => {
    const names = SETTINGS.map((s) => s.env);
    for (const v of ['BUREAU_DATA_DIR', 'BUREAU_DATABASE_URL', 'BUREAU_HOSTNAME', 'BUREAU_DOMAIN', 'BUREAU_BIND', 'BUREAU_IMAP_PORT',
      'BUREAU_IMAPS_PORT', 'BUREAU_SMTP_PORT', 'BUREAU_SUBMISSION_PORT', 'BUREAU_SUBMISSIONS_PORT', 'BUREAU_HTTPS_PORT',
      'BUREAU_HTTP_PORT', 'BUREAU_TLS_CERT', 'BUREAU_TLS_KEY', 'BUREAU_SMTP_RELAY', 'BUREAU_LOG_LEVEL']) {
      expect(names).to.include(v);
    }
  });

  it('takes the BUREAU_CONFIG file over the defaults, and variables over both', async () => {
    const file = join(dir, 'site.json');
    await writeFile(file, JSON.stringify({ hostname: 'mail.example.org', imap_port: 1143, plans: { team: { mail_bytes: 5, files_bytes: 6, max_groups: 1, max_group_members: 2, features: ['clients'] } } }));
    const c = loadConfig({ env: { BUREAU_CONFIG: file, BUREAU_IMAP_PORT: '2143', BUREAU_HTTPS_PORT: '0', BUREAU_DATABASE_URL: 'postgres://u@db:5432/bureau' }, cwd: dir });
    expect(c.hostname).to.equal('mail.example.org');
    expect(c.ports.imap).to.equal(2143);
    expect(c.ports.https).to.equal(0);
    expect(c.databaseUrl).to.equal('postgres://u@db:5432/bureau');
    expect(Object.keys(c.plans)).to.include.members(['free', 'standard', 'team']);
    expect(c.plans.team).to.deep.include({ mail_bytes: 5, paid: false, features: ['clients'] });
  });

  it('refuses a wrong value with one line naming the setting and what is allowed', async () => {
    expect(fails({ BUREAU_IMAP_PORT: 'abc' })).to.equal('setting imap_port (BUREAU_IMAP_PORT): "abc" is not allowed; expected a port number from 0 to 65535 (0 turns the listener off)');
    expect(fails({ BUREAU_HTTPS_PORT: '70000' })).to.match(/^setting https_port \(BUREAU_HTTPS_PORT\)/);
    expect(fails({ BUREAU_LOG_LEVEL: 'loud' })).to.equal('setting log_level (BUREAU_LOG_LEVEL): "loud" is not allowed; expected one of debug, info, warn, error');
    expect(fails({ BUREAU_BIND: 'everywhere' })).to.match(/^setting bind \(BUREAU_BIND\): "everywhere" is not allowed; expected an IPv4 or IPv6 address/);
    expect(fails({ BUREAU_DATABASE_URL: 'mysql://x' })).to.match(/^setting database_url \(BUREAU_DATABASE_URL\)/);
    expect(fails({ BUREAU_SMTP_RELAY: 'relay.example.org' })).to.match(/^setting smtp_relay \(BUREAU_SMTP_RELAY\)/);
    expect(fails({ BUREAU_HOSTNAME: 'bad host' })).to.match(/^setting hostname \(BUREAU_HOSTNAME\)/);
    expect(fails({ BUREAU_TLS_CERT: '/x/cert.pem' })).to.equal('setting tls_cert (BUREAU_TLS_CERT) and tls_key (BUREAU_TLS_KEY): set both or neither');
    expect(fails({ BUREAU_DEFAULT_PLAN: 'gold' })).to.match(/^setting default_plan \(BUREAU_DEFAULT_PLAN\): "gold" is not allowed; expected one of the plans: free, standard, pro$/);
    expect(fails({ BUREAU_CONFIG: join(dir, 'missing.json') })).to.equal(`config file (BUREAU_CONFIG) ${join(dir, 'missing.json')} cannot be read: ENOENT`);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "hostname": ');
    expect(fails({ BUREAU_CONFIG: broken })).to.match(/is not valid JSON/);
    const unknown = join(dir, 'unknown.json');
    await writeFile(unknown, JSON.stringify({ imap_prot: 1 }));
    expect(fails({ BUREAU_CONFIG: unknown })).to.equal('setting imap_prot is unknown; see the settings table in README.md');
    const badPlan = join(dir, 'plan.json');
    await writeFile(badPlan, JSON.stringify({ plans: { free: { mail_bytes: -1, files_bytes: 1, max_groups: 1, max_group_members: 1 } } }));
    expect(fails({ BUREAU_CONFIG: badPlan })).to.equal('setting plans.free.mail_bytes: -1 is not allowed; expected a whole number of 0 or more');
    await writeFile(badPlan, JSON.stringify({ plans: { free: { mail_bytes: 1, files_bytes: 1, max_groups: 1, max_group_members: 1, features: ['teleport'] } } }));
    expect(fails({ BUREAU_CONFIG: badPlan })).to.match(/^setting plans\.free\.features: .* expected a list of clients$/);
    for (const message of [fails({ BUREAU_IMAP_PORT: 'x'.repeat(5000) })]) expect(message.length).to.be.below(250, 'a huge value is shortened in the message');
  });
});
