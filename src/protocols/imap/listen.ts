// The IMAP door's listeners: 143 (STARTTLS; no login before TLS, announced
// as LOGINDISABLED) and 993 (TLS from the first byte), both with Bureau's
// certificate, never imap-core's built-in one. Port 0 turns a listener off.
import { format } from 'node:util';
import type { Core } from '../../core/index.ts';
import { aclCommands } from './acl.ts';
import { IMAPServer, type DoorExtensions, type ImapConnection } from './engine.ts';
import { createHooks } from './hooks.ts';
import { IMAP_LIMITS } from './limits.ts';
import { ImapNotifier } from './notifier.ts';

/** Shaped like server/listeners.ts's Listener, which start.ts collects. */
export interface ImapListener {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  close(graceMs: number): Promise<void>;
}

export interface ImapLog {
  debug(message: string): void;
  warn(message: string): void;
}

export interface ImapSettings {
  readonly core: Core;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly bind: string;
  /** STARTTLS port; 0: off */
  readonly port: number;
  /** TLS port; 0: off */
  readonly tlsPort: number;
  /** the name in the greeting */
  readonly hostname: string;
  readonly log: ImapLog;
  /**
   * Lets LOGIN and AUTHENTICATE run before STARTTLS on the plain port. For
   * tests that drive clients which cannot do TLS; never set by the server.
   */
  readonly allowPlainLogin?: boolean;
}

interface ImapServerInstance {
  server: import('node:net').Server;
  connections: Set<ImapConnection>;
  secureContext: Map<string, import('node:tls').SecureContext>;
  options: Record<string, unknown>;
  listen(port: number, host: string): void;
  close(done: () => void): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  connect(socket: unknown, options: unknown): void;
  notifier?: unknown;
  bureau?: DoorExtensions;
}

type ServerClass = new (options: Record<string, unknown>) => ImapServerInstance;

/** imap-core's server, which also bounds every connection's command lines (see engine.ts). */
class BureauImapServer extends (IMAPServer as unknown as ServerClass) {
  override connect(socket: unknown, options: unknown): void {
    // short answers (+ Go ahead, tagged OKs) go out at once, not after the client's delayed ACK
    (socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    super.connect(socket, options);
    let last: ImapConnection | undefined;
    for (const c of this.connections) last = c;
    if (last) last.session.connection = last;
    if (last && last._parser) {
      const connection = last;
      const parser = last._parser;
      parser.onOverflow = () => {
        connection.send(`* BYE The line is longer than ${IMAP_LIMITS.lineBytes} bytes`);
        setImmediate(() => connection.close(true));
      };
      // imap-core runs pipelined commands by recursion: each completed
      // command resumes the parser from inside its own callback, so a few
      // thousand commands in one packet overflow the stack. Resuming on the
      // next turn of the event loop keeps the stack flat. The leftover that
      // imap-core hands over when the stream ends (a bare Buffer, no command)
      // is dropped: the connection is going away.
      const oncommand = parser.oncommand.bind(parser);
      parser.oncommand = (cmd: unknown, callback?: (...args: unknown[]) => void): void => {
        if (Buffer.isBuffer(cmd)) return;
        oncommand(cmd, (...args: unknown[]) => setImmediate(() => callback?.(...args)));
      };
    }
  }
}

function logger(log: ImapLog): Record<string, (data: unknown, message: string, ...args: unknown[]) => void> {
  const debug = (_data: unknown, message: string, ...args: unknown[]): void => log.debug(`imap: ${format(message, ...args)}`);
  const warn = (_data: unknown, message: string, ...args: unknown[]): void => log.warn(`imap: ${format(message, ...args)}`);
  return { trace: debug, debug, info: debug, warn, error: warn, fatal: warn };
}

async function open(settings: ImapSettings, notifier: ImapNotifier, secure: boolean, port: number): Promise<ImapListener> {
  const hooks = createHooks(settings.core, notifier, settings.log);
  let server: ImapServerInstance | null = null;
  const options: Record<string, unknown> = {
    secure,
    needsUpgrade: false,
    ignoreSTARTTLS: !secure && settings.allowPlainLogin === true,
    key: settings.tls.key,
    cert: settings.tls.cert,
    minVersion: 'TLSv1.2',
    SNICallback: (_name: string, cb: (err: Error | null, ctx?: unknown) => void) => cb(null, server?.secureContext.get('*')),
    enableCompression: true,
    maxMessage: IMAP_LIMITS.messageBytes,
    socketTimeout: IMAP_LIMITS.socketTimeoutMs,
    idleTimeout: IMAP_LIMITS.idleTimeoutMs,
    name: settings.hostname,
    id: { name: 'Bureau', vendor: 'Bureau' },
    logger: logger(settings.log),
    skipFetchLog: true,
    closeTimeout: 1000,
    logoutMessages: ['Goodbye'],
  };
  server = new BureauImapServer(options);
  // imap-core calls the hooks and the notifier as properties of the server; engine.ts finds the door's extensions there
  const bureau: DoorExtensions = {
    commands: new Map(Object.entries(aclCommands(settings.core))),
    poll: (connection) => notifier.poll(connection),
  };
  Object.assign(server, hooks, { notifier, bureau });
  const s = server;
  s.on('error', (err) => settings.log.debug(`imap: ${(err as Error).message}`));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new Error(`cannot listen on ${settings.bind}:${port} (${secure ? 'imaps' : 'imap'}): ${err.code ?? err.message}`));
    };
    s.server.once('error', onError);
    s.server.once('listening', () => {
      s.server.off('error', onError);
      resolve();
    });
    s.listen(port, settings.bind);
  });
  const address = s.server.address();
  return {
    protocol: secure ? 'imaps' : 'imap',
    address: settings.bind,
    port: typeof address === 'object' && address ? address.port : port,
    close: (graceMs) => new Promise<void>((done) => {
      s.options.closeTimeout = Math.max(IMAP_LIMITS.minCloseMs, graceMs);
      s.close(() => done());
    }),
  };
}

/** Starts the IMAP listeners that are not turned off; a listener that cannot start stops those already started. */
export async function startImap(settings: ImapSettings): Promise<ImapListener[]> {
  const notifier = new ImapNotifier(settings.core);
  const listeners: ImapListener[] = [];
  try {
    if (settings.port !== 0) listeners.push(await open(settings, notifier, false, settings.port));
    if (settings.tlsPort !== 0) listeners.push(await open(settings, notifier, true, settings.tlsPort));
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close(0)));
    notifier.close();
    throw err;
  }
  if (listeners.length === 0) {
    notifier.close();
    return [];
  }
  let remaining = listeners.length;
  return listeners.map((l) => ({
    ...l,
    close: async (graceMs: number) => {
      await l.close(graceMs);
      if (--remaining === 0) notifier.close();
    },
  }));
}
