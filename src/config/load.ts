// Reads config/default.json, then the file named in BUREAU_CONFIG, then the
// BUREAU_* environment variables; validates every value against the schema and
// returns one frozen Config. A wrong value throws ConfigError naming the setting.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  FEATURES, SETTINGS, type Config, type Feature, type PlanSettings, type SettingSpec,
} from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Raw = Record<string, unknown>;

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function describe(spec: SettingSpec): string {
  return `setting ${spec.key} (${spec.env})`;
}

function shown(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function validate(spec: SettingSpec, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  const bad = (allowed: string): never => {
    throw new ConfigError(`${describe(spec)}: ${shown(value)} is not allowed; expected ${allowed}`);
  };
  const t = spec.type;
  const asInteger = (): number => {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
    return NaN;
  };
  switch (t.kind) {
    case 'port': {
      const n = asInteger();
      if (!(n >= 0 && n <= 65535)) bad('a port number from 0 to 65535 (0 turns the listener off)');
      return n;
    }
    case 'integer': {
      const n = asInteger();
      if (!(n >= t.min && n <= t.max)) bad(`a whole number from ${t.min} to ${t.max}`);
      return n;
    }
    case 'enum':
      if (typeof value !== 'string' || !t.values.includes(value)) bad(`one of ${t.values.join(', ')}`);
      return value as string;
    case 'string':
      if (typeof value !== 'string' || (!t.allowEmpty && value.trim() === '')) bad('a non-empty text');
      return value as string;
    case 'hostname':
      if (typeof value !== 'string' || !HOSTNAME.test(value)) bad('a DNS name such as mail.example.org');
      return (value as string).toLowerCase();
    case 'address':
      if (typeof value !== 'string' || isIP(value) === 0) bad('an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1');
      return value as string;
    case 'database-url':
      if (typeof value !== 'string') return bad('`sqlite:PATH` or `postgres://user@host:port/database`');
      if (value === '') return null;
      if (/^sqlite:.+/.test(value)) return value;
      if (/^postgres(ql)?:\/\//.test(value)) {
        try { new URL(value); return value; } catch { /* falls through */ }
      }
      return bad('`sqlite:PATH` or `postgres://user@host:port/database`');
    case 'smtp-url': {
      if (typeof value !== 'string') return bad('`smtp://host:port`');
      if (value === '') return null;
      let url: URL | null = null;
      try { url = new URL(value); } catch { /* checked below */ }
      if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname) bad('`smtp://host:port` or `smtps://host:port`');
      return value;
    }
  }
}

function readJson(path: string, what: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${what} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${what} ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${what} ${path} must hold one JSON object of settings`);
  }
  return parsed as Raw;
}

const PLAN_NUMBERS = ['mail_bytes', 'files_bytes', 'max_groups', 'max_group_members'] as const;

function validatePlans(value: unknown): Record<string, PlanSettings> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('setting plans: expected an object mapping plan names to their capacities');
  }
  const plans: Record<string, PlanSettings> = {};
  for (const [name, raw] of Object.entries(value as Raw)) {
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) {
      throw new ConfigError(`setting plans: plan name ${shown(name)} is not allowed; expected lower-case letters, digits, - and _`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`setting plans.${name}: expected an object with ${PLAN_NUMBERS.join(', ')}, features`);
    }
    const r = raw as Raw;
    for (const key of Object.keys(r)) {
      if (![...PLAN_NUMBERS, 'features', 'paid'].includes(key)) {
        throw new ConfigError(`setting plans.${name}.${key} is unknown; allowed: ${PLAN_NUMBERS.join(', ')}, features, paid`);
      }
    }
    const numbers = {} as Record<(typeof PLAN_NUMBERS)[number], number>;
    for (const key of PLAN_NUMBERS) {
      const n = r[key];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
        throw new ConfigError(`setting plans.${name}.${key}: ${shown(n)} is not allowed; expected a whole number of 0 or more`);
      }
      numbers[key] = n;
    }
    const features = r.features ?? [];
    if (!Array.isArray(features) || features.some((f) => !FEATURES.includes(f as Feature))) {
      throw new ConfigError(`setting plans.${name}.features: ${shown(JSON.stringify(features))} is not allowed; expected a list of ${FEATURES.join(', ')}`);
    }
    const paid = r.paid ?? false;
    if (typeof paid !== 'boolean') {
      throw new ConfigError(`setting plans.${name}.paid: ${shown(paid)} is not allowed; expected true or false`);
    }
    plans[name] = Object.freeze({ ...numbers, features: Object.freeze([...features]) as Feature[], paid });
  }
  if (Object.keys(plans).length === 0) throw new ConfigError('setting plans: at least one plan must be defined');
  return plans;
}

export interface LoadOptions {
  /** folder holding default.json; defaults to ./config beside the project */
  readonly configDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configDir = options.configDir ?? resolve(import.meta.dirname, '../../config');
  const merged: Raw = { ...readJson(resolve(configDir, 'default.json'), 'config file') };
  const extra = env.BUREAU_CONFIG;
  if (extra !== undefined && extra !== '') {
    const override = readJson(resolve(cwd, extra), 'config file (BUREAU_CONFIG)');
    for (const [k, v] of Object.entries(override)) {
      if (k === 'plans' && typeof v === 'object' && v !== null && typeof merged.plans === 'object') {
        merged.plans = { ...(merged.plans as Raw), ...(v as Raw) };
      } else {
        merged[k] = v;
      }
    }
  }
  const known = new Set<string>([...SETTINGS.map((s) => s.key), 'plans']);
  for (const key of Object.keys(merged)) {
    if (!known.has(key) && !key.startsWith('//')) throw new ConfigError(`setting ${key} is unknown; see the settings table in README.md`);
  }
  const values: Record<string, string | number | null> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const fromEnv = env[spec.env];
    const raw = fromEnv !== undefined ? fromEnv : merged[spec.key] ?? spec.default;
    values[spec.key] = validate(spec, raw);
  }
  const plans = validatePlans(merged.plans);
  const str = (k: string): string => String(values[k]);
  const num = (k: string): number => Number(values[k]);
  const opt = (k: string): string | null => (values[k] === null ? null : String(values[k]));
  const dataDir = resolve(cwd, str('data_dir'));
  if (!(str('default_plan') in plans)) {
    throw new ConfigError(`setting default_plan (BUREAU_DEFAULT_PLAN): ${shown(str('default_plan'))} is not allowed; expected one of the plans: ${Object.keys(plans).join(', ')}`);
  }
  if (num('password_min_length') > num('password_max_length')) {
    throw new ConfigError('setting password_min_length (BUREAU_PASSWORD_MIN_LENGTH): must not exceed password_max_length');
  }
  const tlsCert = opt('tls_cert');
  const tlsKey = opt('tls_key');
  if ((tlsCert === null) !== (tlsKey === null)) {
    throw new ConfigError('setting tls_cert (BUREAU_TLS_CERT) and tls_key (BUREAU_TLS_KEY): set both or neither');
  }
  const config: Config = {
    dataDir,
    databaseUrl: opt('database_url') ?? `sqlite:${resolve(dataDir, 'bureau.sqlite')}`,
    certsDir: resolve(cwd, str('certs_dir')),
    hostname: str('hostname'),
    domain: str('domain'),
    bind: str('bind'),
    ports: {
      imap: num('imap_port'), imaps: num('imaps_port'), smtp: num('smtp_port'),
      submission: num('submission_port'), submissions: num('submissions_port'),
      https: num('https_port'), http: num('http_port'),
    },
    tlsCert: tlsCert === null ? null : resolve(cwd, tlsCert),
    tlsKey: tlsKey === null ? null : resolve(cwd, tlsKey),
    smtpRelay: opt('smtp_relay'),
    smtp: {
      maxBytes: num('smtp_max_bytes'), ratePerHour: num('submission_rate_per_hour'),
      retrySeconds: num('smtp_retry_seconds'), queueHours: num('smtp_queue_hours'),
    },
    logLevel: str('log_level') as Config['logLevel'],
    password: { minLength: num('password_min_length'), maxLength: num('password_max_length') },
    defaultPlan: str('default_plan'),
    plans,
    shutdownGraceSeconds: num('shutdown_grace_seconds'),
    web: {
      signupLinkHours: num('signup_link_hours'), signupsPerHour: num('signups_per_hour'),
      resetLinkHours: num('reset_link_hours'), resetsPerHour: num('resets_per_hour'),
    },
    addressHoldbackDays: num('address_holdback_days'),
    dav: { depthInfinity: str('dav_depth_infinity') === 'on' },
    files: { macosMetadata: str('files_macos_metadata') as 'keep' | 'refuse' },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
