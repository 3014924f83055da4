// A bounded reader of multipart/form-data (RFC 7578) for the one form of the
// site that uploads a file (the profile photo): the whole body is read up to
// a limit, then split at the boundary. Fields are text; at most one file per
// field name; anything malformed is refused with the reason, in the reader's
// language.
import { t, type Lang } from './i18n.ts';

export interface UploadedFile {
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface MultipartForm {
  readonly fields: Record<string, string>;
  readonly files: Record<string, UploadedFile>;
}

/** The form cannot be read; `status` is the HTTP status to answer. */
export class MultipartError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const MAX_PARTS = 20;
const MAX_HEADER_BYTES = 2048;

/** The boundary of a multipart/form-data content type, or null when the type is something else. */
export function boundaryOf(contentType: string, lang: Lang = 'en'): string | null {
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/form-data') return null;
  for (const p of params) {
    const i = p.indexOf('=');
    if (i < 0 || p.slice(0, i).trim().toLowerCase() !== 'boundary') continue;
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    // RFC 2046 5.1.1: 1 to 70 characters
    if (/^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(v) && !v.endsWith(' ')) return v;
    throw new MultipartError(400, t(lang, 'The form upload has an invalid boundary.'));
  }
  throw new MultipartError(400, t(lang, 'The form upload names no boundary.'));
}

/** Reads at most `limit` bytes of body; MultipartError 413 beyond. */
export async function readBody(body: AsyncIterable<Buffer>, declaredLength: number, limit: number, tooLarge: string): Promise<Buffer> {
  if (declaredLength > limit) throw new MultipartError(413, tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new MultipartError(413, tooLarge);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A header parameter (name="..." or filename="...") of a Content-Disposition value. */
function param(value: string, name: string): string | null {
  const m = new RegExp(`(?:^|;)\\s*${name}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(value) ?? new RegExp(`(?:^|;)\\s*${name}=([^;\\s"]+)`, 'i').exec(value);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : null;
}

/** Splits a whole multipart/form-data body into its text fields and files. */
export function parseMultipart(body: Buffer, boundary: string, lang: Lang = 'en'): MultipartForm {
  const malformed = (why: string): MultipartError => new MultipartError(400, t(lang, 'The form upload is not well formed: {why}.', { why }));
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const files: Record<string, UploadedFile> = Object.create(null) as Record<string, UploadedFile>;
  let at = body.indexOf(delimiter);
  if (at < 0) throw malformed(t(lang, 'no part starts with the boundary'));
  let parts = 0;
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') return { fields, files };
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') throw malformed(t(lang, 'a boundary line does not end with CRLF'));
    at += 2;
    if (++parts > MAX_PARTS) throw malformed(t(lang, 'more than {count} parts', { count: MAX_PARTS }));
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0 || headerEnd - at > MAX_HEADER_BYTES) throw malformed(t(lang, 'a part has no end of headers'));
    const headers = new Map<string, string>();
    for (const line of body.subarray(at, headerEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i <= 0) throw malformed(t(lang, 'a part header has no name'));
      headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw malformed(t(lang, 'the last part is not closed by the boundary'));
    const data = body.subarray(headerEnd + 4, next);
    const disposition = headers.get('content-disposition') ?? '';
    if (!/^form-data\s*(;|$)/i.test(disposition)) throw malformed(t(lang, 'a part is not form-data'));
    const name = param(disposition, 'name');
    if (!name) throw malformed(t(lang, 'a part has no field name'));
    if (name in fields || name in files) throw new MultipartError(400, t(lang, 'The field {field} was sent twice.', { field: name }));
    const filename = param(disposition, 'filename');
    if (filename !== null) files[name] = { filename, contentType: headers.get('content-type') ?? 'application/octet-stream', data: Buffer.from(data) };
    else fields[name] = data.toString('utf8');
    at = next + 2;
  }
}
