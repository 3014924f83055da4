// WildDuck's imap-core, the protocol engine behind Bureau's IMAP door: loaded
// once, without the rest of WildDuck (its configuration loader is turned off,
// its error reporter silenced), and adjusted where its defaults do not suit a
// server facing the Internet. Each adjustment is one small wrapper around a
// command module or a prototype method of imap-core, made here and nowhere
// else:
//  - a command line longer than IMAP_LIMITS.lineBytes ends the connection,
//    and a command with its literals is bounded (imap-core buffers both);
//  - commands a client pipelines behind STARTTLS in the same packet are
//    dropped, not run in plain text (the classic STARTTLS injection);
//  - a refusal carries Bureau's own words (why, in the response text) and the
//    IMAP response code chosen by the hook (NO [OVERQUOTA] ...), AUTHENTICATE
//    refusals included (imap-core would turn them into BAD);
//  - SELECT opens read-only where the account may not write;
//  - NOOP, CHECK and IDLE look for changes before answering, so that polling
//    clients see other sessions' changes even when a notice was missed;
//  - SEARCH sends no EXPUNGE (RFC 3501 7.4.1);
//  - no AUTH= mechanism is announced before TLS, where LOGINDISABLED is;
//  - sequence sets are resolved without testing every message against every range;
//  - NAMESPACE announces the other-users and shared namespaces;
//  - commands imap-core lacks (the ACL ones, RFC 4314) are routed to the door.
import { createRequire } from 'node:module';
import { IMAP_LIMITS } from './limits.ts';
import { messageRange } from './ranges.ts';

const require = createRequire(import.meta.url);

/** What Bureau keeps per IMAP session, beside imap-core's own session fields. */
export interface BureauState {
  accountId: number;
  /** the words and code of the next refusal, set by a hook */
  reply: { code: string; text: string } | null;
  /** the mailbox being opened may not be written: SELECT answers READ-ONLY */
  readOnly: boolean;
  /** untagged COPYUID already sent for the running MOVE */
  copyUidSent: boolean;
}

export interface ImapSelected {
  mailbox: unknown;
  uidList: number[];
  modifyIndex: number;
  notifications: unknown[];
  condstoreEnabled: boolean;
  readOnly: boolean;
  path: string;
}

export interface ImapSession {
  id: string;
  remoteAddress: string;
  user?: { id: number; username: string };
  selected: ImapSelected | false;
  writeStream: NodeJS.WritableStream & { write(chunk: unknown): boolean };
  formatResponse(command: string, uid: number, data?: unknown): unknown;
  isUTF8Enabled(): boolean;
  bureau?: BureauState;
  /** the connection of the session (set by listen.ts), for notices a hook must send at once */
  connection?: ImapConnection;
}

export interface ImapConnection {
  id: string;
  session: ImapSession;
  selected: ImapSelected | false;
  state: string;
  secure: boolean;
  idling: boolean;
  _upgrading: boolean;
  _parser: { _remainder: string; onOverflow?: () => void; oncommand(cmd: unknown, callback?: (...args: unknown[]) => void): void } | false;
  _server: { bureau?: DoorExtensions };
  send(line: string): void;
  close(force?: boolean): void;
  emitNotifications(): void;
}

type Callback = (err: (Error & Record<string, unknown>) | null, response?: Record<string, unknown>) => void;
interface CommandModule {
  handler(this: ImapConnection, command: unknown, callback: Callback, next?: () => void): unknown;
  disableNotifications?: boolean;
}

/** A command imap-core does not have, answered by the door (acl.ts): untagged lines, then the tagged status. */
export type ExtraCommand = (connection: ImapConnection, parsed: { attributes?: unknown[] }) =>
  Promise<{ untagged: readonly string[]; response: 'OK' | 'NO' | 'BAD'; code?: string; text: string }>;

/** What the door adds to an imap-core server (listen.ts sets it on each server): its extra commands, and how a session looks for changes. */
export interface DoorExtensions {
  readonly commands: ReadonlyMap<string, ExtraCommand>;
  /** finds new changes for a selected session (notifier.ts) */
  readonly poll: (connection: ImapConnection) => Promise<void>;
}

const extensionsOf = (connection: ImapConnection): DoorExtensions | undefined => connection._server.bureau;

function loadImapCore(): { IMAPServer: new (options: Record<string, unknown>) => unknown; imapHandler: { compiler: { (response: unknown): string; (response: unknown, asArray: true): string[] }; parser(line: string): unknown } } {
  // imap-core reads WildDuck's configuration files at load time unless told not to
  const before = process.env.DISABLE_WILD_CONFIG;
  process.env.DISABLE_WILD_CONFIG = 'true';
  try {
    return require('wildduck/imap-core');
  } finally {
    if (before === undefined) delete process.env.DISABLE_WILD_CONFIG;
    else process.env.DISABLE_WILD_CONFIG = before;
  }
}

const core = loadImapCore();
export const IMAPServer = core.IMAPServer;
export const imapHandler = core.imapHandler;

const command = (name: string): CommandModule => require(`wildduck/imap-core/lib/commands/${name}.js`) as CommandModule;

function adjust(): void {
  // WildDuck's error reporter prints every protocol error to the console
  const errors = require('wildduck/lib/errors.js') as { gelf: { handler: { emit(...args: unknown[]): void } } };
  errors.gelf.handler = { emit: () => undefined };

  const { IMAPStream } = require('wildduck/imap-core/lib/imap-stream.js') as { IMAPStream: { prototype: Record<string, unknown> } };
  const write = IMAPStream.prototype._write as (this: StreamState, chunk: Buffer, enc: string, done: () => void) => void;
  type StreamState = { _expecting: number; _remainder: string; onOverflow?: () => void };
  IMAPStream.prototype._write = function (this: StreamState, chunk: Buffer, enc: string, done: () => void): void {
    if (this._expecting === 0 && this._remainder.length + chunk.length > IMAP_LIMITS.lineBytes && !chunk.includes(10)) {
      this._remainder = '';
      this.onOverflow?.();
      return done();
    }
    write.call(this, chunk, enc, done);
  };

  const { IMAPCommand } = require('wildduck/imap-core/lib/imap-command.js') as { IMAPCommand: { prototype: Record<string, unknown> } };
  const append = IMAPCommand.prototype.append as (this: CommandState, c: CommandPart, cb: (err?: Error) => void) => void;
  type CommandPart = { value: string; literal?: unknown; expecting?: number };
  type CommandState = { bytes?: number; tag?: string; command?: string; connection: ImapConnection; payload: string; literals: unknown[] };
  IMAPCommand.prototype.append = function (this: CommandState, c: CommandPart, cb: (err?: Error) => void): void {
    const line = typeof c.value === 'string' ? c.value : '';
    const appendLiteral = c.literal && /^\S+\s+(UID\s+)?APPEND\b/i.test(this.payload + line);
    this.bytes = (this.bytes ?? 0) + line.length + (c.literal && !appendLiteral ? (c.expecting ?? 0) : 0);
    if (this.bytes > IMAP_LIMITS.commandBytes) {
      const tag = /^(\S+)/.exec(this.payload + line)?.[1] ?? '*';
      this.connection.send(`${tag} BAD The command is longer than ${IMAP_LIMITS.commandBytes} bytes`);
      this.payload = '';
      this.literals = [];
      return cb(Object.assign(new Error('Command too long'), { responseCode: 400, code: 'CommandTooLong' }));
    }
    append.call(this, c, cb);
  };

  // commands imap-core does not know (one line, no literal): parsed by its
  // parser, answered by the door, written in order with everything else
  const end = IMAPCommand.prototype.end as (this: CommandState & { first: boolean }, c: CommandPart, cb: (err?: Error) => void) => void;
  IMAPCommand.prototype.end = function (this: CommandState & { first: boolean }, c: CommandPart, cb: (err?: Error) => void): void {
    const connection = this.connection as ImapConnection & { _nextHandler?: unknown; writeStream: { write(chunk: unknown): boolean } };
    const line = this.payload + (typeof c.value === 'string' ? c.value : '');
    const m = this.first && typeof connection._nextHandler !== 'function' ? /^(\S+)\s+(\S+)/.exec(line) : null;
    const run = m ? extensionsOf(connection)?.commands.get(m[2]!.toUpperCase()) : undefined;
    if (!m || !run) return end.call(this, c, cb);
    this.first = false;
    const tag = m[1]!;
    const write = (text: string): void => { connection.writeStream.write({ compiled: `${text}` }); };
    if (connection.state !== 'Authenticated' && connection.state !== 'Selected') {
      write(`${tag} BAD ${m[2]!.toUpperCase()} not allowed now`);
      return cb();
    }
    let parsed: { attributes?: unknown[] };
    try {
      parsed = imapHandler.parser(line) as { attributes?: unknown[] };
    } catch (err) {
      write(`${tag} BAD ${(err as Error).message}`);
      return cb();
    }
    run(connection, parsed).then(
      (r) => {
        for (const u of r.untagged) write(u);
        write(`${tag} ${r.response}${r.code ? ` [${r.code}]` : ''} ${r.text}`);
        cb();
      },
      (err: unknown) => {
        write(`${tag} NO [SERVERBUG] ${String((err as Error).message ?? err).replace(/[\r\n]+/g, ' ')}`);
        cb();
      },
    );
  };

  const names = [
    'append', 'authenticate-plain', 'capability', 'check', 'close', 'compress', 'copy', 'create', 'delete', 'enable', 'expunge', 'fetch',
    'getquota', 'getquotaroot', 'id', 'idle', 'list', 'login', 'logout', 'lsub', 'move', 'namespace', 'noop', 'rename', 'search', 'select',
    'setquota', 'starttls', 'status', 'store', 'subscribe', 'uid-expunge', 'uid-store', 'unselect', 'unsubscribe',
  ];
  for (const name of names) {
    const mod = command(name);
    const original = mod.handler;
    mod.handler = function (this: ImapConnection, cmd: unknown, callback: Callback, next?: () => void): unknown {
      const state = this.session.bureau;
      if (state) {
        state.reply = null;
        state.readOnly = false;
        state.copyUidSent = false;
      }
      const done: Callback = (err, response) => {
        const reply = state?.reply ?? null;
        if (state) state.reply = null;
        // a refusal a hook made an error of (AUTHENTICATE): answered as the hook chose, not as BAD
        if (err && typeof err.response === 'string') {
          return callback(null, { response: err.response, code: err.code ?? false, message: err.message });
        }
        if (!err && response) {
          if (reply && response.response !== 'OK') {
            response.message = reply.text;
            if (reply.code) response.code = reply.code;
          }
          if (name === 'select' && state?.readOnly && response.response === 'OK' && this.selected) {
            this.selected.readOnly = true;
            response.code = 'READ-ONLY';
          }
          if (name === 'move' && state?.copyUidSent && typeof response.code === 'string' && response.code.startsWith('COPYUID')) {
            response.code = false;
          }
        }
        if (name === 'starttls' && !err && response?.response === 'OK' && !this.secure) {
          // nothing a client pipelined behind STARTTLS runs in plain text:
          // commands are ignored from now until the handshake is done, and a
          // partial line left over is dropped
          this._upgrading = true;
          setImmediate(() => {
            if (this._parser) this._parser._remainder = '';
          });
        }
        return callback(err, response);
      };
      const poll = extensionsOf(this)?.poll;
      if ((name === 'noop' || name === 'check' || name === 'idle') && poll && this.selected) {
        poll(this).then(() => original.call(this, cmd, done, next), () => original.call(this, cmd, done, next));
        return undefined;
      }
      return original.call(this, cmd, done, next);
    };
  }

  command('search').disableNotifications = true;

  // no password mechanism is announced where no password may be sent (RFC 2595 6): before TLS, LOGINDISABLED alone
  const tools = require('wildduck/imap-core/lib/imap-tools.js') as {
    sendCapabilityResponse(connection: ImapConnection): void;
    getMessageRange(uidList: readonly number[], range: string, isUid: boolean): number[];
  };
  // sequence sets resolved in time proportional to the answer, not to the mailbox times the set (ranges.ts)
  tools.getMessageRange = messageRange;
  const capability = tools.sendCapabilityResponse;
  tools.sendCapabilityResponse = (connection: ImapConnection): void => {
    capability(Object.create(connection, {
      send: {
        value: (line: string) => connection.send((/ LOGINDISABLED\b/.test(line) ? line.replace(/ AUTH=[^ ]+/g, '') : line)
          .replace(/^\* CAPABILITY IMAP4rev1/, extensionsOf(connection)?.commands.has('MYRIGHTS') ? '* CAPABILITY IMAP4rev1 ACL RIGHTS=texk' : '$&')),
      },
    }) as ImapConnection);
  };

  command('namespace').handler = function (this: ImapConnection, _cmd: unknown, callback: Callback): void {
    this.send('* NAMESPACE (("" "/")) (("Shared with me/" "/")) (("Groups/" "/"))');
    callback(null, { response: 'OK' });
  };
}

adjust();
