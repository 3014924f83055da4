// The `bureau` command line: reads the command, checks it, reads the same
// configuration as the server (loadConfig), opens the core on the store, runs
// one command, closes the store. Results go to standard output; a failure is
// one line `bureau: <message>` on standard error, exit 1 (2 when the command
// line itself is wrong, 130 when interrupted at a prompt).
// scripts/bureau.mjs starts it; it also runs on its own (node src/cli/main.ts).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openCore } from '../boot.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Core } from '../core/index.ts';
import { Forbidden, InvalidInput, StoreError } from '../core/errors.ts';
import type { Command, Family, Io, OptionValues } from './command.ts';
import { domain } from './commands/domain.ts';
import { group } from './commands/group.ts';
import { LATER } from './commands/later.ts';
import { plan } from './commands/plan.ts';
import { user } from './commands/user.ts';
import { Failure, Interrupted, UsageError } from './errors.ts';

const FAMILIES: Readonly<Record<string, Family>> = { user, plan, group, domain };

const HELP_WORDS = new Set(['help', '--help', '-h']);

function overview(): string {
  const usages = Object.values(FAMILIES).flatMap((f) => Object.values(f.commands).map((c) => c.usage));
  const width = Math.max(...usages.map((u) => u.length));
  const lines = ['usage: bureau COMMAND [ARGUMENTS]', '', ...usages.map((u) => `  bureau ${u}`)];
  for (const usage of Object.values(LATER)) lines.push(`  bureau ${usage.padEnd(width)}  (not available yet)`);
  lines.push(
    '',
    'Passwords are read from standard input, or asked for twice in a terminal.',
    'Settings: config/default.json, the file named in BUREAU_CONFIG, then BUREAU_* variables (as for the server).',
    'More about one command: bureau help COMMAND, e.g. bureau help group grant',
  );
  return lines.join('\n');
}

function familyUsage(family: Family): string {
  return Object.values(family.commands).map((c) => `usage: bureau ${c.usage}`).join('\n');
}

/** Breaks a paragraph into lines of at most `width` characters. */
function wrap(text: string, width = 78): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

function commandHelp(c: Command): string {
  return `usage: bureau ${c.usage}\n\n${wrap(c.help)}`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return `bureau ${pkg.version ?? 'unknown'}`;
}

/** What the command line asks for, once understood. */
type Request =
  | { kind: 'print'; text: string; stream: 'stdout' | 'stderr'; code: number }
  | { kind: 'run'; command: Command; args: string[]; options: OptionValues };

function unknownCommand(words: string): UsageError {
  return new UsageError(`unknown command "${words}"`, { overview: overview() });
}

/** `bureau help ...`: the overview, a family's usage lines, or one command's help. */
function help(topic: readonly string[]): Request {
  if (topic.length === 0) return { kind: 'print', text: overview(), stream: 'stdout', code: 0 };
  const [name, sub] = topic;
  const later = LATER[name!];
  if (later !== undefined) return { kind: 'print', text: `usage: bureau ${later}\n\nNot available yet in this version.`, stream: 'stdout', code: 0 };
  const family = FAMILIES[name!];
  if (!family) throw unknownCommand(name!);
  if (sub === undefined) return { kind: 'print', text: familyUsage(family), stream: 'stdout', code: 0 };
  const c = family.commands[sub];
  if (!c) throw unknownCommand(`${name} ${sub}`);
  return { kind: 'print', text: commandHelp(c), stream: 'stdout', code: 0 };
}

function parseOptionError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const option = /'(-{1,2}[^' ]+)/.exec(e.message ?? '')?.[1] ?? 'an option';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return /does not take an argument/.test(e.message ?? '') ? `option ${option} takes no value` : `option ${option} needs a value`;
  }
  return (e.message ?? String(err)).split('\n')[0]!;
}

/** Understands the command line, without reading the configuration or opening anything. */
export function understand(argv: readonly string[]): Request {
  const [first, second] = argv;
  if (first === undefined) return { kind: 'print', text: overview(), stream: 'stderr', code: 2 };
  if (HELP_WORDS.has(first)) return help(argv.slice(1));
  if (first === '--version' || first === 'version') return { kind: 'print', text: version(), stream: 'stdout', code: 0 };
  if (LATER[first] !== undefined) throw new Failure(`${first} is not available yet in this version`);
  const family = FAMILIES[first];
  if (!family) throw unknownCommand(first);
  if (second === undefined) {
    throw new UsageError(`${first} needs a command: ${Object.keys(family.commands).join(', ')}`, { overview: familyUsage(family) });
  }
  if (HELP_WORDS.has(second)) return help([first]);
  const command = family.commands[second];
  if (!command) throw new UsageError(`unknown command "${first} ${second}"`, { overview: familyUsage(family) });
  const rest = argv.slice(2);
  const end = rest.indexOf('--');
  if ((end === -1 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h')) return help([first, second]);
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError(parseOptionError(err), { usage: command.usage });
  }
  const { values, positionals } = parsed;
  try {
    command.check?.(positionals, values);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message, { usage: command.usage });
    throw err;
  }
  const required = command.args.filter((a) => !a.startsWith('['));
  if (positionals.length < required.length) {
    throw new UsageError(`missing ${required.slice(positionals.length).join(' ')}`, { usage: command.usage });
  }
  if (positionals.length > command.args.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[command.args.length])}`, { usage: command.usage });
  }
  return { kind: 'run', command, args: positionals, options: values };
}

/** The database named without its password, for messages. */
function safeUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

async function open(config: Config): Promise<Core> {
  try {
    return await openCore(config);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new Failure(`the database ${safeUrl(config.databaseUrl)} cannot be opened: ${(err as Error).message ?? String(err)}`);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Renders a failure on standard error and gives the exit code. */
function report(err: unknown, stderr: NodeJS.WritableStream): number {
  if (err instanceof UsageError) {
    const usage = err.usage === null ? '' : ` (usage: bureau ${err.usage})`;
    stderr.write(`bureau: ${oneLine(err.message)}${usage}\n`);
    if (err.overview !== null) stderr.write(`\n${err.overview}\n`);
    return 2;
  }
  if (err instanceof Interrupted) {
    stderr.write(`bureau: ${err.message}\n`);
    return 130;
  }
  if (err instanceof Failure || err instanceof ConfigError || err instanceof StoreError
    || err instanceof InvalidInput || err instanceof Forbidden) {
    stderr.write(`bureau: ${oneLine(err.message)}\n`);
    return 1;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  stderr.write(`bureau: unexpected error: ${oneLine(`${e.name}: ${e.message}`)}\n`);
  if (process.env.BUREAU_LOG_LEVEL === 'debug' && e.stack) stderr.write(`${e.stack}\n`);
  return 1;
}

/** Runs one command line; returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const request = understand(argv);
    if (request.kind === 'print') {
      if (request.stream === 'stdout') io.out(request.text);
      else io.stderr.write(`${request.text}\n`);
      return request.code;
    }
    const core = await open(loadConfig());
    try {
      await request.command.run({ core, args: request.args, options: request.options, io });
    } finally {
      await core.store.close().catch(() => undefined);
    }
    return 0;
  } catch (err) {
    return report(err, io.stderr);
  }
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

/** Runs the command line of this process and exits with its code. */
export async function runAsCommand(argv: readonly string[]): Promise<never> {
  // `bureau user list | head -1`: a closed pipe ends the output, not with a stack trace
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const io: Io = {
    stdin: process.stdin,
    stderr: process.stderr,
    out: (line) => { process.stdout.write(`${line}\n`); },
  };
  const code = await main(argv, io);
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

if (import.meta.main) await runAsCommand(process.argv.slice(2));
