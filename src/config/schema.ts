// The one schema of Bureau's settings: name in the config file, environment
// variable, type, default and help text. `load.ts` validates against it.

export type SettingType =
  | { kind: 'string'; allowEmpty?: boolean }
  | { kind: 'port' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'database-url' }
  | { kind: 'smtp-url' }
  | { kind: 'hostname' }
  | { kind: 'address' };

export interface SettingSpec {
  /** key in the config file */
  readonly key: string;
  /** environment variable that overrides it */
  readonly env: string;
  readonly type: SettingType;
  /** default value; `null` means unset */
  readonly default: string | number | null;
  readonly help: string;
}

export const SETTINGS = [
  { key: 'data_dir', env: 'BUREAU_DATA_DIR', type: { kind: 'string' }, default: './data',
    help: 'data folder (database, blobs, queue, backups)' },
  { key: 'database_url', env: 'BUREAU_DATABASE_URL', type: { kind: 'database-url' }, default: null,
    help: '`sqlite:` path, or `postgres://…`; unset: SQLite in the data folder' },
  { key: 'certs_dir', env: 'BUREAU_CERTS_DIR', type: { kind: 'string' }, default: './certs',
    help: 'where the generated local CA and server certificate are kept' },
  { key: 'hostname', env: 'BUREAU_HOSTNAME', type: { kind: 'hostname' }, default: 'localhost',
    help: 'name the server announces and puts in certificates and links' },
  { key: 'domain', env: 'BUREAU_DOMAIN', type: { kind: 'hostname' }, default: 'localhost',
    help: 'the primary mail domain of new accounts' },
  { key: 'bind', env: 'BUREAU_BIND', type: { kind: 'address' }, default: '0.0.0.0',
    help: 'address every listener binds' },
  { key: 'imap_port', env: 'BUREAU_IMAP_PORT', type: { kind: 'port' }, default: 143,
    help: 'IMAP with STARTTLS; 0 turns it off' },
  { key: 'imaps_port', env: 'BUREAU_IMAPS_PORT', type: { kind: 'port' }, default: 993,
    help: 'IMAP over TLS; 0 turns it off' },
  { key: 'smtp_port', env: 'BUREAU_SMTP_PORT', type: { kind: 'port' }, default: 25,
    help: 'inbound mail (MX); 0 turns it off' },
  { key: 'submission_port', env: 'BUREAU_SUBMISSION_PORT', type: { kind: 'port' }, default: 587,
    help: 'mail submission with STARTTLS; 0 turns it off' },
  { key: 'submissions_port', env: 'BUREAU_SUBMISSIONS_PORT', type: { kind: 'port' }, default: 465,
    help: 'mail submission over TLS; 0 turns it off' },
  { key: 'https_port', env: 'BUREAU_HTTPS_PORT', type: { kind: 'port' }, default: 443,
    help: 'web site, CalDAV, CardDAV, WebDAV; 0 turns it off' },
  { key: 'http_port', env: 'BUREAU_HTTP_PORT', type: { kind: 'port' }, default: 80,
    help: 'redirects to HTTPS, serves ACME challenges; 0 turns it off' },
  { key: 'tls_cert', env: 'BUREAU_TLS_CERT', type: { kind: 'string' }, default: null,
    help: 'PEM certificate (chain) file; unset: the generated one' },
  { key: 'tls_key', env: 'BUREAU_TLS_KEY', type: { kind: 'string' }, default: null,
    help: 'PEM private key file; unset: the generated one' },
  { key: 'smtp_relay', env: 'BUREAU_SMTP_RELAY', type: { kind: 'smtp-url' }, default: null,
    help: '`smtp://host:port` smarthost for outbound mail; unset: direct MX delivery' },
  { key: 'smtp_max_bytes', env: 'BUREAU_SMTP_MAX_BYTES', type: { kind: 'integer', min: 1024, max: 52_428_800 }, default: 26_214_400,
    help: 'largest message accepted by SMTP (announced as SIZE; larger ones are refused with 552), in bytes' },
  { key: 'submission_rate_per_hour', env: 'BUREAU_SUBMISSION_RATE_PER_HOUR', type: { kind: 'integer', min: 1, max: 1_000_000 }, default: 500,
    help: 'recipients an account may send to per hour through submission; more are refused with 451 4.7.1' },
  { key: 'smtp_retry_seconds', env: 'BUREAU_SMTP_RETRY_SECONDS', type: { kind: 'integer', min: 1, max: 86_400 }, default: 300,
    help: 'delay before the first retry of outbound mail that failed for now; each further retry waits twice as long, up to 6 hours' },
  { key: 'smtp_queue_hours', env: 'BUREAU_SMTP_QUEUE_HOURS', type: { kind: 'integer', min: 1, max: 720 }, default: 120,
    help: 'how long outbound mail is retried before it is given up and the sender notified' },
  { key: 'log_level', env: 'BUREAU_LOG_LEVEL', type: { kind: 'enum', values: ['debug', 'info', 'warn', 'error'] },
    default: 'info', help: 'least important messages that are logged' },
  { key: 'password_min_length', env: 'BUREAU_PASSWORD_MIN_LENGTH', type: { kind: 'integer', min: 1, max: 1024 },
    default: 10, help: 'shortest password accepted, in characters' },
  { key: 'password_max_length', env: 'BUREAU_PASSWORD_MAX_LENGTH', type: { kind: 'integer', min: 8, max: 4096 },
    default: 1024, help: 'longest password accepted, in characters' },
  { key: 'default_plan', env: 'BUREAU_DEFAULT_PLAN', type: { kind: 'string' }, default: 'free',
    help: 'plan given to new accounts; must be one of `plans`' },
  { key: 'dav_depth_infinity', env: 'BUREAU_DAV_DEPTH_INFINITY', type: { kind: 'enum', values: ['on', 'off'] }, default: 'off',
    help: 'whether a WebDAV PROPFIND may ask for a whole tree at once (Depth: infinity)' },
  { key: 'files_macos_metadata', env: 'BUREAU_FILES_MACOS_METADATA', type: { kind: 'enum', values: ['keep', 'refuse'] }, default: 'keep',
    help: "macOS Finder's ._* and .DS_Store files on the drive: kept like any file, or refused" },
  { key: 'signup_link_hours', env: 'BUREAU_SIGNUP_LINK_HOURS', type: { kind: 'integer', min: 1, max: 720 }, default: 48,
    help: 'how long the activation link of a web sign-up works; an account not activated by then is removed and its address freed' },
  { key: 'signups_per_hour', env: 'BUREAU_SIGNUPS_PER_HOUR', type: { kind: 'integer', min: 1, max: 100_000 }, default: 5,
    help: 'web sign-ups (and resent activation links) allowed per client address and hour' },
  { key: 'reset_link_hours', env: 'BUREAU_RESET_LINK_HOURS', type: { kind: 'integer', min: 1, max: 168 }, default: 2,
    help: 'how long a password reset link works (it works once)' },
  { key: 'resets_per_hour', env: 'BUREAU_RESETS_PER_HOUR', type: { kind: 'integer', min: 1, max: 100_000 }, default: 5,
    help: 'password reset requests allowed per client address and hour' },
  { key: 'address_holdback_days', env: 'BUREAU_ADDRESS_HOLDBACK_DAYS', type: { kind: 'integer', min: 0, max: 3650 }, default: 90,
    help: 'days the address of a destroyed account cannot be taken by a new account; 0: free at once' },
  { key: 'shutdown_grace_seconds', env: 'BUREAU_SHUTDOWN_GRACE_SECONDS', type: { kind: 'integer', min: 0, max: 600 },
    default: 10, help: 'how long a stopping server lets open connections finish before closing them' },
] as const satisfies readonly SettingSpec[];

export type SettingKey = (typeof SETTINGS)[number]['key'];

export const FEATURES = ['clients'] as const;
export type Feature = (typeof FEATURES)[number];

/** A plan as the config file writes it. */
export interface PlanSettings {
  readonly mail_bytes: number;
  readonly files_bytes: number;
  readonly max_groups: number;
  readonly max_group_members: number;
  readonly features: readonly Feature[];
  /** paid accounts in good standing are never expired for disuse */
  readonly paid: boolean;
}

export interface Config {
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly certsDir: string;
  readonly hostname: string;
  readonly domain: string;
  readonly bind: string;
  readonly ports: {
    readonly imap: number; readonly imaps: number; readonly smtp: number;
    readonly submission: number; readonly submissions: number;
    readonly https: number; readonly http: number;
  };
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  readonly smtpRelay: string | null;
  readonly smtp: { readonly maxBytes: number; readonly ratePerHour: number; readonly retrySeconds: number; readonly queueHours: number };
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly password: { readonly minLength: number; readonly maxLength: number };
  readonly defaultPlan: string;
  readonly plans: Readonly<Record<string, PlanSettings>>;
  readonly shutdownGraceSeconds: number;
  readonly web: { readonly signupLinkHours: number; readonly signupsPerHour: number; readonly resetLinkHours: number; readonly resetsPerHour: number };
  /** days a destroyed account's address is held back from new accounts */
  readonly addressHoldbackDays: number;
  readonly dav: { readonly depthInfinity: boolean };
  readonly files: { readonly macosMetadata: 'keep' | 'refuse' };
}
