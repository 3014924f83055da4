// Reading a new password. From a pipe or a file: the whole input, less ONE
// trailing line break (so that `echo` and here-documents work). From a
// terminal: asked twice without echo, in raw mode, and both must be equal.
import type { Io } from './command.ts';
import { Failure, Interrupted } from './errors.ts';

/** More than this on standard input is not a password. */
const MAX_INPUT_BYTES = 64 * 1024;

export async function readNewPassword(io: Io): Promise<string> {
  if (io.stdin.isTTY) {
    const terminal = new TerminalReader(io.stdin, io.stderr);
    const first = await terminal.prompt('Password: ');
    const second = await terminal.prompt('Again: ');
    if (first !== second) throw new Failure('the two passwords differ; nothing was changed');
    if (first === '') throw new Failure('no password was typed; nothing was changed');
    return first;
  }
  return readPiped(io.stdin);
}

async function readPiped(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_INPUT_BYTES) throw new Failure(`standard input holds more than ${MAX_INPUT_BYTES / 1024} KiB; only the password is expected there`);
    chunks.push(b);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Failure('the password on standard input is not valid UTF-8');
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') {
    throw new Failure('no password on standard input; pipe it in (printf \'%s\\n\' "$PASSWORD" | bureau ...) or run the command in a terminal');
  }
  if (/[\r\n]/.test(password)) {
    throw new Failure('the password on standard input spans several lines; give it on one line');
  }
  return password;
}

/** Reads lines from a terminal in raw mode, echoing nothing. Keys typed ahead are kept for the next prompt. */
class TerminalReader {
  private readonly stdin: NodeJS.ReadStream;
  private readonly stderr: NodeJS.WriteStream;
  private pending = '';

  constructor(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream) {
    this.stdin = stdin;
    this.stderr = stderr;
  }

  prompt(label: string): Promise<string> {
    const { stdin, stderr } = this;
    // raw before the prompt shows, so that nothing typed after it is echoed
    stdin.setRawMode(true);
    stderr.write(label);
    return new Promise((resolve, reject) => {
      let line = '';
      let escape = false;
      const finish = (outcome: () => void): void => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.setRawMode(false);
        stdin.pause();
        stderr.write('\n');
        outcome();
      };
      const consume = (text: string): boolean => {
        const chars = [...text];
        for (let i = 0; i < chars.length; i++) {
          const ch = chars[i]!;
          if (escape) {
            // an escape sequence (arrow keys...): skip to its final byte
            if (ch !== '[' && ch !== 'O' && ch >= '@' && ch <= '~') escape = false;
            continue;
          }
          if (ch === '\r' || ch === '\n') {
            this.pending = chars.slice(i + 1).join('').replace(/^\n/, '');
            finish(() => resolve(line));
            return true;
          }
          if (ch === '\u0003') { finish(() => reject(new Interrupted())); return true; }
          if (ch === '\u0004') {
            if (line === '') { finish(() => reject(new Failure('no password was typed; nothing was changed'))); return true; }
            continue;
          }
          if (ch === '\u007f' || ch === '\b') { line = [...line].slice(0, -1).join(''); continue; }
          if (ch === '\u0015') { line = ''; continue; }
          if (ch === '\u001b') { escape = true; continue; }
          if (ch < ' ') continue;
          line += ch;
        }
        return false;
      };
      const onData = (chunk: Buffer | string): void => { consume(String(chunk)); };
      const onEnd = (): void => finish(() => reject(new Failure('standard input ended before a password was typed')));
      stdin.setEncoding('utf8');
      const ahead = this.pending;
      this.pending = '';
      if (consume(ahead)) return;
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.resume();
    });
  }
}
