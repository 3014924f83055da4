// The command line's own errors. Everything else a command can throw (the
// core's NotFound, Conflict, LimitReached, InvalidInput, a ConfigError...) is
// rendered by main.ts from its message.

/** The command line was not understood: exit 2, with the usage of the command. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** one usage line (after `bureau `) appended to the message */
  readonly usage: string | null;
  /** a longer text printed below the message (the list of commands) */
  readonly overview: string | null;
  constructor(message: string, options: { usage?: string; overview?: string } = {}) {
    super(message);
    this.usage = options.usage ?? null;
    this.overview = options.overview ?? null;
  }
}

/** The command cannot be done; the message says why. Exit 1. */
export class Failure extends Error {
  override name = 'Failure';
}

/** The operator pressed Ctrl-C at a prompt. Exit 130, as a shell does. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor() {
    super('interrupted; nothing was changed');
  }
}
