// Reading request bodies with a bound: XML bodies are read whole (and refused
// over the limit with 413); file bodies are streamed, never held whole.
import type { IncomingMessage } from 'node:http';
import { DavError } from './errors.ts';
import { parseXml, XmlError, type XmlElement } from './xml.ts';

export const MAX_XML_BYTES = 1_048_576;

/** The body as sent, byte for byte, refused with 413 over the limit. */
export async function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new DavError(413, `the body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new DavError(413, `the body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readText(req: IncomingMessage, limit = MAX_XML_BYTES): Promise<string> {
  return (await readBytes(req, limit)).toString('utf8');
}

/** The XML body, or null when there is none. Malformed XML is 400. */
export async function readXml(req: IncomingMessage): Promise<XmlElement | null> {
  const text = await readText(req);
  if (text.trim() === '') return null;
  try {
    return parseXml(text);
  } catch (err) {
    if (err instanceof XmlError) throw new DavError(400, err.message);
    throw err;
  }
}

/** Drains a body the method does not read, so that the connection stays usable. */
export async function discard(req: IncomingMessage): Promise<number> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) size += chunk.length;
  return size;
}
