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
//  - commands imap-core lacks (the ACL ones, RFC 4314) are routed to the door;
//  - the greeting goes out at once, without a reverse DNS lookup of the client
//    (imap-core waited up to a second for one, for its log lines only);
//  - LITERAL- (RFC 7888): a non-synchronizing literal {n+} of up to
//    IMAP_LIMITS.nonSyncLiteralBytes is read without a continuation request;
//    a bigger one gets BAD [TOOBIG] and the connection ends (its bytes are on
//    their way and would otherwise be read as commands), as does any refused
//    command whose non-synchronizing literal is on its way.
import { createRequire } from 'node:module';
import { byeAfterOutput } from './bye.ts';
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
  /** the session is being ended with a BYE saying this (bye.ts): nothing more is written */
  ending?: string;
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

/** imap-core's stream parser of a connection (imap-stream.js), with what the door adds to it. */
export interface ParserState {
  _remainder: string;
  _expecting: number;
  onOverflow?: () => void;
  oncommand(cmd: unknown, callback?: (...args: unknown[]) => void): void;
  /** the size of the non-synchronizing literal announced by the line being handed over, if it announces one */
  nonSynchronizing?: number;
  /** nothing more is read from the client (the connection is ending) */
  stopped?: boolean;
}

export interface ImapConnection {
  id: string;
  session: ImapSession;
  selected: ImapSelected | false;
  state: string;
  secure: boolean;
  idling: boolean;
  _upgrading: boolean;
  _closed?: boolean;
  _parser: ParserState | false;
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
  type StreamState = ParserState;
  IMAPStream.prototype._write = function (this: StreamState, chunk: Buffer, enc: string, done: () => void): void {
    if (this.stopped) return done();
    if (this._expecting === 0 && this._remainder.length + chunk.length > IMAP_LIMITS.lineBytes && !chunk.includes(10)) {
      this._remainder = '';
      this.onOverflow?.();
      return done();
    }
    write.call(this, chunk, enc, done);
  };

  // LITERAL-: imap-core's stream knows only {n}. A line ending in {n+} is
  // handed over as {n} (its bytes are read the same way), with the size noted
  // for IMAPCommand.append below, which sends no continuation for it.
  const readValue = IMAPStream.prototype._readValue as (this: StreamState, regex: RegExp, data: string, pos: number, done: () => void) => void;
  IMAPStream.prototype._readValue = function (this: StreamState, regex: RegExp, data: string, pos: number, done: () => void): void {
    if (this.stopped) return done();
    if (this._expecting === 0) {
      const from = Math.max(pos, regex.lastIndex);
      const nl = data.indexOf('\n', from);
      const end = nl > from && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      // ...+}\r\n: the line (from where imap-core reads it) ends in a non-synchronizing literal
      if (nl >= 0 && end - 2 >= from && data.charCodeAt(end - 1) === 125 && data.charCodeAt(end - 2) === 43) {
        const m = /\{(\d+)\+\}$/.exec(data.slice(Math.max(pos, end - 32), end));
        if (m) {
          this.nonSynchronizing = Number(m[1]);
          try {
            return readValue.call(this, regex, data.slice(0, end - 2) + data.slice(end - 1), pos, done);
          } finally {
            this.nonSynchronizing = undefined;
          }
        }
      }
    }
    return readValue.call(this, regex, data, pos, done);
  };

  const { IMAPConnection } = require('wildduck/imap-core/lib/imap-connection.js') as { IMAPConnection: { prototype: Record<string, unknown> } };
  // the greeting at once: imap-core looked the client's name up first (up to
  // a second with a slow resolver, a DNS query per connection) for its log
  // lines; the address names the client as well
  type Greeting = ImapConnection & {
    remoteAddress: string;
    clientHostname: string | false;
    session: ImapSession & { clientHostname?: string };
    _setListeners(): void;
    _server: { options: { id?: { name?: string } } };
    logger: { info(data: unknown, message: string, ...args: unknown[]): void };
  };
  IMAPConnection.prototype.init = function (this: Greeting): void {
    this._setListeners();
    this.session.clientHostname = this.clientHostname = `[${this.remoteAddress}]`;
    this.logger.info({ tnx: 'connect', cid: this.id }, '[%s] %s from %s', this.id, this.secure ? 'Secure connection' : 'Connection', this.clientHostname);
    this.send(`* OK ${this._server.options.id?.name ?? 'Bureau'} ready for requests from ${this.remoteAddress} ${this.id}`);
  };

  const { IMAPCommand } = require('wildduck/imap-core/lib/imap-command.js') as { IMAPCommand: { prototype: Record<string, unknown> } };
  const append = IMAPCommand.prototype.append as (this: CommandState, c: CommandPart, cb: (err?: Error) => void) => void;
  type CommandPart = { value: string; literal?: unknown; expecting?: number };
  type CommandState = { bytes?: number; tag?: string; command?: string; connection: ImapConnection; payload: string; literals: unknown[] };
  /** Ends a connection whose input can no longer be read as commands: BYE after what is queued, nothing more read, then closed. */
  const abandon = (connection: ImapConnection, text: string): void => byeAfterOutput(connection, text);
  // every command bounded (APPEND's message aside: APPENDLIMIT bounds it)
  const appendBounded = function (this: CommandState, c: CommandPart, cb: (err?: Error) => void): void {
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
  IMAPCommand.prototype.append = function (this: CommandState, c: CommandPart, cb: (err?: Error) => void): void {
    const parser = this.connection._parser;
    const nonSync = c.literal && parser ? parser.nonSynchronizing : undefined;
    if (nonSync === undefined) return appendBounded.call(this, c, cb);
    const connection = this.connection;
    if (nonSync > IMAP_LIMITS.nonSyncLiteralBytes) {
      // RFC 7888 4: BAD [TOOBIG]; the literal's bytes are coming and cannot be told from commands, so the connection ends
      const tag = this.tag ?? /^(\S+)/.exec(this.payload + c.value)?.[1] ?? '*';
      connection.send(`${tag} BAD [TOOBIG] A non-synchronizing literal may have at most ${IMAP_LIMITS.nonSyncLiteralBytes} bytes (LITERAL-); send {${nonSync}} and wait for the continuation`);
      abandon(connection, `Non-synchronizing literal of ${nonSync} bytes refused`);
      return cb(Object.assign(new Error('Non-synchronizing literal too long'), { responseCode: 400, code: 'LiteralTooLong' }));
    }
    // no continuation request: the client sends the bytes without waiting for one
    const send = connection.send;
    connection.send = (text: string): void => {
      if (text !== '+ Go ahead') send.call(connection, text);
    };
    try {
      appendBounded.call(this, c, (err?: Error) => {
        // a refused command whose literal is on its way: those bytes cannot be told from commands
        if (err) abandon(connection, 'The command was refused while its non-synchronizing literal was on its way');
        cb(err);
      });
    } finally {
      connection.send = send;
    }
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
          .replace(/^\* CAPABILITY IMAP4rev1/, `$& LITERAL-${extensionsOf(connection)?.commands.has('MYRIGHTS') ? ' ACL RIGHTS=texk' : ''}`)),
      },
    }) as ImapConnection);
  };

  command('namespace').handler = function (this: ImapConnection, _cmd: unknown, callback: Callback): void {
    this.send('* NAMESPACE (("" "/")) (("Shared with me/" "/")) (("Groups/" "/"))');
    callback(null, { response: 'OK' });
  };
}

adjust();
