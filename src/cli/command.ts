// The shape of one `bureau` command: its usage line, its options (parsed by
// node:util parseArgs in main.ts), how many arguments it takes, and what it
// does with the core. main.ts validates the command line before the
// configuration is read and the store opened; a command only runs.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { Core } from '../core/index.ts';

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** Where a command reads and writes; process.stdin/stdout/stderr in use. */
export interface Io {
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
  /** writes one line of the command's result to standard output */
  out(line: string): void;
}

export interface CommandInput {
  readonly core: Core;
  readonly args: readonly string[];
  readonly options: OptionValues;
  readonly io: Io;
}

export interface Command {
  /** what follows `bureau`, e.g. `user add ADDRESS [--plan NAME] [--name "First Last"]` */
  readonly usage: string;
  /** a few sentences shown by `bureau help user add` */
  readonly help: string;
  readonly options?: ParseArgsOptionsConfig;
  /** names of the positional arguments, in order; `[NAME]` marks an optional one */
  readonly args: readonly string[];
  /** further checks of the command line, before the store is opened; throws UsageError */
  check?(args: readonly string[], options: OptionValues): void;
  run(input: CommandInput): Promise<void>;
}

export interface Family {
  readonly name: string;
  readonly commands: Readonly<Record<string, Command>>;
}

/** The value of a string option, or undefined. */
export function optionText(options: OptionValues, name: string): string | undefined {
  const v = options[name];
  return typeof v === 'string' ? v : undefined;
}
