// What the SMTP listeners share: errors in SMTP's words, reading DATA within
// the size limit.
import type { Readable } from 'node:stream';

export type SmtpError = Error & { responseCode: number };

export function smtpError(code: number, text: string): SmtpError {
  return Object.assign(new Error(text), { responseCode: code });
}

/** An answer already in SMTP's words (made by smtpError). */
export function isSmtpError(err: unknown): err is SmtpError {
  return err instanceof Error && typeof (err as { responseCode?: unknown }).responseCode === 'number';
}

/** The message bytes, or null when they went over the limit (the rest is read and dropped). */
export function readData(stream: Readable & { sizeExceeded?: boolean }, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => resolve(size > maxBytes || stream.sizeExceeded ? null : Buffer.concat(chunks, size)));
  });
}

/**
 * Reads DATA for either listener: the bytes, or null once the client has been
 * answered (451 when the stream failed, 552 over the size limit).
 */
export async function receiveData(
  stream: Readable & { sizeExceeded?: boolean }, maxBytes: number, callback: (err?: Error | null) => void,
): Promise<Buffer | null> {
  let raw: Buffer | null;
  try {
    raw = await readData(stream, maxBytes);
  } catch (err) {
    callback(smtpError(451, `4.3.0 ${(err as Error).message}`));
    return null;
  }
  if (raw === null) callback(smtpError(552, `5.3.4 Message exceeds the fixed maximum message size of ${maxBytes} bytes`));
  return raw;
}

export function rfc2822Date(d = new Date()): string {
  return d.toUTCString().replace('GMT', '+0000');
}
