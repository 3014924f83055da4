// Ending a connection with a BYE from outside the command being run (a
// password change heard by the credential watch) or in the middle of one (a
// refused non-synchronizing literal). imap-core's `send` writes to the socket
// directly, past what its response stream (writeStream) still holds: a BYE
// sent that way while a FETCH streams lands inside the FETCH's output. Here
// the BYE goes through the response stream, after every response already
// queued and never inside one; nothing is written after it (the FETCH under
// way stops at the next message, its tagged response is not sent), nothing
// more is read, and the connection is closed once the BYE has left.
import type { ImapConnection } from './engine.ts';
import { IMAP_LIMITS } from './limits.ts';

interface Output {
  readableLength: number;
  write(chunk: unknown, callback?: (err?: Error | null) => void): boolean;
}

interface Ending {
  writeStream: Output;
  _deflate?: { flush(callback: () => void): void } | false | null;
  _closing?: boolean;
  _closed?: boolean;
}

/** connections told BYE already */
const ended = new WeakSet<ImapConnection>();

export function byeAfterOutput(connection: ImapConnection, text: string): void {
  const c = connection as ImapConnection & Ending;
  if (c._closing || c._closed || ended.has(connection)) return;
  ended.add(connection);
  // a FETCH under way stops at its next message
  if (connection.session.bureau) connection.session.bureau.ending = text;
  if (connection._parser) connection._parser.stopped = true;
  const out = c.writeStream;
  const write = out.write.bind(out);
  // nothing after the BYE: what is still asked to be written is dropped
  out.write = (...args: unknown[]): boolean => {
    const callback = args.find((a) => typeof a === 'function') as (() => void) | undefined;
    if (callback) setImmediate(callback);
    return true;
  };
  const deadline = Date.now() + IMAP_LIMITS.byeFlushMs;
  const close = (): void => {
    if (c._closing || c._closed) return;
    // the BYE, and all before it, handed to the socket (or to COMPRESS's deflater): then the connection ends
    if (out.readableLength > 0 && Date.now() < deadline) {
      setTimeout(close, 10);
      return;
    }
    const deflate = c._deflate;
    if (deflate) deflate.flush(() => setImmediate(() => connection.close()));
    else connection.close();
  };
  write({ compiled: Buffer.from(`* BYE ${text.replace(/[\r\n]+/g, ' ')}`, 'binary') }, () => close());
}
