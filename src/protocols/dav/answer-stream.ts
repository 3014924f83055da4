// A long answer written in chunks: pieces of text are gathered into chunks of
// about 64 KiB, each handed to the socket at once; when the socket's buffer is
// full (write() returned false) the writer waits for 'drain', so a slow client
// holds back the server instead of the server holding the answer in memory.
// A client that goes away while the answer is written ends the writing with
// ClientGone, which the doors take as nothing to log and nobody to answer.
import type { ServerResponse } from 'node:http';

/** The client closed the connection before the whole answer was written. */
export class ClientGone extends Error {
  override name = 'ClientGone';
}

const CHUNK = 65_536;

function drained(res: ServerResponse): Promise<void> {
  return new Promise((ok, fail) => {
    if (res.destroyed) {
      fail(new ClientGone('the client closed the connection during the answer'));
      return;
    }
    const onDrain = (): void => { res.off('close', onClose); ok(); };
    const onClose = (): void => { res.off('drain', onDrain); fail(new ClientGone('the client closed the connection during the answer')); };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

export class AnswerStream {
  private readonly res: ServerResponse;
  private pending = '';

  constructor(res: ServerResponse) {
    this.res = res;
  }

  /** Adds text; once a chunk is full it goes out, and the promise (only then) waits for the socket. */
  write(text: string): Promise<void> | undefined {
    this.pending += text;
    return this.pending.length >= CHUNK ? this.flush() : undefined;
  }

  private flush(): Promise<void> | undefined {
    const chunk = this.pending;
    this.pending = '';
    if (this.res.destroyed) return Promise.reject(new ClientGone('the client closed the connection during the answer'));
    return this.res.write(chunk) ? undefined : drained(this.res);
  }

  /** Writes what is left with the last text and ends the answer. */
  end(text: string): void {
    const last = this.pending + text;
    this.pending = '';
    this.res.end(last);
  }
}
