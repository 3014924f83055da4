// The structure of a message, read once when it is stored: header fields, the
// tree of MIME parts with the byte offsets of each part's header and body, and
// the envelope fields. Pure: bytes in, a value out, never an exception; broken
// MIME (missing final boundaries, unquoted boundaries, 8-bit headers, empty
// embedded messages) gives the closest sensible structure, and the message
// itself is kept byte for byte by the caller. Doors answer partial fetches and
// body structures from this tree without reading the message again.
import { type AddressEntry, parseAddressList } from './addresses.ts';
import { decodeExtendedValue, decodeUnlabelled, decodeWords } from './text.ts';

/** Bounds for hostile input: deeper or more numerous parts are kept inside their parent as plain content. */
export const MIME_LIMITS = {
  depth: 32,
  parts: 2_000,
  headerFields: 1_000,
} as const;

export type Params = readonly (readonly [string, string])[];

export interface HeaderField {
  /** lower-case name */
  readonly name: string;
  /** the value unfolded, as text (8-bit bytes read as UTF-8, else Windows-1252); encoded words left as they are */
  readonly value: string;
}

export interface Envelope {
  /** raw header values (unfolded), or null when absent */
  readonly date: string | null;
  readonly subject: string | null;
  readonly from: readonly AddressEntry[] | null;
  readonly sender: readonly AddressEntry[] | null;
  readonly replyTo: readonly AddressEntry[] | null;
  readonly to: readonly AddressEntry[] | null;
  readonly cc: readonly AddressEntry[] | null;
  readonly bcc: readonly AddressEntry[] | null;
  readonly inReplyTo: string | null;
  readonly messageId: string | null;
}

export interface MimePart {
  /** offset of the part's header (for the whole message: 0) */
  readonly start: number;
  /** offset of the body, after the blank line that ends the header */
  readonly bodyStart: number;
  /** end of the body (exclusive) */
  readonly end: number;
  /** lower-case media type and subtype */
  readonly type: string;
  readonly subtype: string;
  /** Content-Type parameters, names lower-case, values decoded (RFC 2231, encoded words) */
  readonly params: Params;
  readonly id: string | null;
  readonly description: string | null;
  /** Content-Transfer-Encoding, lower-case; null when absent */
  readonly encoding: string | null;
  readonly md5: string | null;
  /** Content-Disposition value (lower-case) and parameters */
  readonly disposition: string | null;
  readonly dispositionParams: Params;
  readonly language: readonly string[] | null;
  readonly location: string | null;
  /** lines of the body */
  readonly lines: number;
  /** the parts of a multipart */
  readonly parts?: readonly MimePart[];
  /** the message inside a message/rfc822 part */
  readonly message?: { readonly envelope: Envelope; readonly root: MimePart };
}

export interface ParsedMessage {
  readonly headers: readonly HeaderField[];
  readonly envelope: Envelope;
  readonly root: MimePart;
}

const LF = 10;
const CR = 13;

/** Where the header of the region [start, end) ends: the body's first byte, or `end` when there is no blank line. */
function headerEnd(buf: Buffer, start: number, end: number): { fieldsEnd: number; bodyStart: number } {
  let pos = start;
  while (pos < end) {
    // pos is at the beginning of a line
    if (buf[pos] === LF) return { fieldsEnd: pos, bodyStart: pos + 1 };
    if (buf[pos] === CR && pos + 1 < end && buf[pos + 1] === LF) return { fieldsEnd: pos, bodyStart: pos + 2 };
    const nl = buf.indexOf(LF, pos);
    if (nl < 0 || nl >= end) return { fieldsEnd: end, bodyStart: end };
    pos = nl + 1;
  }
  return { fieldsEnd: end, bodyStart: end };
}

/** The header fields of [start, fieldsEnd), unfolded; lines that are no field (no colon) are skipped. */
export function readHeaderFields(buf: Buffer, start: number, fieldsEnd: number): HeaderField[] {
  const fields: HeaderField[] = [];
  let pos = start;
  let current: { begin: number; end: number } | null = null;
  const push = (): void => {
    if (!current || fields.length >= MIME_LIMITS.headerFields) return;
    const raw = decodeUnlabelled(buf.subarray(current.begin, current.end));
    const colon = raw.indexOf(':');
    if (colon <= 0) return;
    const name = raw.slice(0, colon).trim().toLowerCase();
    if (name === '' || /\s/.test(name)) return;
    fields.push({ name, value: raw.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, '').replace(/[\r\n]+$/, '').trim() });
  };
  while (pos < fieldsEnd) {
    let nl = buf.indexOf(LF, pos);
    if (nl < 0 || nl >= fieldsEnd) nl = fieldsEnd - 1;
    const first = buf[pos];
    if ((first === 32 || first === 9) && current) {
      current.end = nl + 1;
    } else {
      push();
      current = { begin: pos, end: nl + 1 };
    }
    pos = nl + 1;
  }
  push();
  return fields;
}

/** Splits "a; b=c; d="e;f"" at semicolons outside quotes and comments. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) {
        cur += c + value[++i];
        continue;
      }
      if (c === '"') quoted = false;
      cur += c;
    } else if (c === '"') {
      quoted = true;
      cur += c;
    } else if (c === '(') {
      depth++;
    } else if (c === ')' && depth > 0) {
      depth--;
    } else if (depth > 0) {
      // inside a comment
    } else if (c === ';') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  if (t.startsWith('"')) return t.slice(1).replace(/\\(.)/g, '$1');
  return t;
}

/** A structured header value: "value; name=param; ..." with RFC 2231 continuations and charsets. */
export function parseStructured(text: string): { value: string; params: Params } {
  const [head = '', ...rest] = splitParams(text);
  const simple: [string, string][] = [];
  const extended = new Map<string, { n: number; encoded: boolean; text: string }[]>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    const raw = unquote(p.slice(eq + 1));
    const m = /^([^*]+)\*(?:(\d{1,3})\*?)?$/.exec(key);
    if (m && (key.endsWith('*') || m[2] !== undefined)) {
      const name = m[1]!;
      const list = extended.get(name) ?? [];
      list.push({ n: m[2] === undefined ? 0 : Number(m[2]), encoded: key.endsWith('*'), text: raw });
      extended.set(name, list);
    } else {
      simple.push([key, raw]);
    }
  }
  const params: [string, string][] = [];
  const seen = new Set<string>();
  for (const [name, list] of extended) {
    list.sort((a, b) => a.n - b.n);
    // the charset of the first encoded segment applies to the others
    const first = list.find((s) => s.encoded);
    const charset = first ? (/^([^']*)'/.exec(first.text)?.[1] ?? '') : '';
    let value = '';
    for (const s of list) {
      if (!s.encoded) value += s.text;
      else value += decodeExtendedValue(s === first ? s.text : `${charset}''${s.text}`);
    }
    params.push([name, value]);
    seen.add(name);
  }
  for (const [name, value] of simple) {
    if (seen.has(name)) continue;
    seen.add(name);
    params.push([name, decodeWords(value)]);
  }
  return { value: head.replace(/\([^)]*\)/g, '').trim(), params };
}

function field(fields: readonly HeaderField[], name: string): string | null {
  for (const f of fields) if (f.name === name) return f.value;
  return null;
}

function addresses(fields: readonly HeaderField[], name: string): AddressEntry[] | null {
  const v = field(fields, name);
  if (v === null) return null;
  const list = parseAddressList(v);
  return list.length > 0 ? list : null;
}

export function envelopeOf(fields: readonly HeaderField[]): Envelope {
  return {
    date: field(fields, 'date'),
    subject: field(fields, 'subject'),
    from: addresses(fields, 'from'),
    sender: addresses(fields, 'sender'),
    replyTo: addresses(fields, 'reply-to'),
    to: addresses(fields, 'to'),
    cc: addresses(fields, 'cc'),
    bcc: addresses(fields, 'bcc'),
    inReplyTo: field(fields, 'in-reply-to'),
    messageId: field(fields, 'message-id'),
  };
}

function countLines(buf: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  let n = 0;
  let pos = start;
  for (;;) {
    const nl = buf.indexOf(LF, pos);
    if (nl < 0 || nl >= end) break;
    n++;
    pos = nl + 1;
  }
  return buf[end - 1] === LF ? n : n + 1;
}

/** Delimiter lines of a multipart body: where each starts, where its line ends, and whether it closes. */
function delimiters(buf: Buffer, start: number, end: number, boundary: string): { at: number; next: number; close: boolean }[] {
  const marker = Buffer.from(`--${boundary}`, 'latin1');
  const found: { at: number; next: number; close: boolean }[] = [];
  let pos = start;
  while (pos < end && found.length <= MIME_LIMITS.parts) {
    const at = buf.indexOf(marker, pos);
    if (at < 0 || at + marker.length > end) break;
    pos = at + marker.length;
    if (at !== start && buf[at - 1] !== LF) continue;
    let nl = buf.indexOf(LF, pos);
    if (nl < 0 || nl >= end) nl = end;
    const rest = buf.subarray(pos, nl).toString('latin1');
    const close = /^--[ \t]*\r?$/.test(rest);
    if (!close && !/^[ \t]*\r?$/.test(rest)) continue;
    found.push({ at, next: nl < end ? nl + 1 : end, close });
    if (close) break;
  }
  return found;
}

/** Where a part's content ends before a delimiter line: the newline before the delimiter belongs to it. */
function contentEnd(buf: Buffer, begin: number, delimiterAt: number): number {
  let e = delimiterAt;
  if (e > begin && buf[e - 1] === LF) e--;
  if (e > begin && buf[e - 1] === CR) e--;
  return e;
}

interface Budget {
  parts: number;
}

function parsePart(buf: Buffer, start: number, end: number, depth: number, budget: Budget, defaultType: [string, string]): MimePart {
  budget.parts++;
  const { fieldsEnd, bodyStart } = headerEnd(buf, start, end);
  const fields = readHeaderFields(buf, start, fieldsEnd);
  const ct = parseStructured(field(fields, 'content-type') ?? '');
  const typeMatch = /^([a-z0-9!#$&^_.+-]+)\/([a-z0-9!#$&^_.+-]+)$/i.exec(ct.value.replace(/\s+/g, ''));
  let [type, subtype] = typeMatch ? [typeMatch[1]!.toLowerCase(), typeMatch[2]!.toLowerCase()] : defaultType;
  let params = typeMatch ? ct.params : (defaultType[0] === 'text' ? [['charset', 'us-ascii'] as const] : []);
  const disposition = parseStructured(field(fields, 'content-disposition') ?? '');
  const language = field(fields, 'content-language');
  const encodingText = field(fields, 'content-transfer-encoding');
  const base = {
    start,
    bodyStart,
    end,
    id: field(fields, 'content-id'),
    description: field(fields, 'content-description'),
    encoding: encodingText === null ? null : encodingText.replace(/\([^)]*\)/g, '').trim().toLowerCase() || null,
    md5: field(fields, 'content-md5'),
    disposition: disposition.value === '' ? null : disposition.value.toLowerCase(),
    dispositionParams: disposition.value === '' ? [] : disposition.params,
    language: language === null ? null : language.split(/[\s,]+/).filter((l) => l !== ''),
    location: field(fields, 'content-location'),
    lines: countLines(buf, bodyStart, end),
  };
  const canNest = depth < MIME_LIMITS.depth && budget.parts < MIME_LIMITS.parts;
  if (type === 'multipart') {
    const boundary = params.find(([k]) => k === 'boundary')?.[1];
    const found = boundary && canNest ? delimiters(buf, bodyStart, end, boundary) : [];
    const parts: MimePart[] = [];
    const childDefault: [string, string] = subtype === 'digest' ? ['message', 'rfc822'] : ['text', 'plain'];
    for (let i = 0; i < found.length && budget.parts < MIME_LIMITS.parts; i++) {
      const d = found[i]!;
      if (d.close) break;
      const nextAt = found[i + 1]?.at;
      const partEnd = nextAt === undefined ? end : contentEnd(buf, d.next, nextAt);
      parts.push(parsePart(buf, d.next, Math.max(d.next, partEnd), depth + 1, budget, childDefault));
    }
    if (parts.length > 0) return { ...base, type, subtype, params, parts };
    // a multipart without any part: its body is plain content
    [type, subtype] = ['text', 'plain'];
    params = [['charset', 'us-ascii']];
  }
  if (type === 'message' && subtype === 'rfc822' && canNest && !['base64', 'quoted-printable'].includes(base.encoding ?? '')) {
    const inner = parseMessageAt(buf, bodyStart, end, depth + 1, budget);
    return { ...base, type, subtype, params, message: { envelope: inner.envelope, root: inner.root } };
  }
  return { ...base, type, subtype, params };
}

function parseMessageAt(buf: Buffer, start: number, end: number, depth: number, budget: Budget): ParsedMessage {
  const { fieldsEnd } = headerEnd(buf, start, end);
  const headers = readHeaderFields(buf, start, fieldsEnd);
  const root = parsePart(buf, start, end, depth, budget, ['text', 'plain']);
  return { headers, envelope: envelopeOf(headers), root };
}

/** Reads the structure of a whole message. */
export function parseMessage(raw: Uint8Array): ParsedMessage {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return parseMessageAt(buf, 0, buf.length, 0, { parts: 0 });
}

/**
 * The part at an IMAP-style path ("1.2"): numbers count from 1; the parts of
 * a message/rfc822 part are those of the message inside it; a part that is
 * not a multipart has itself as its only part (1).
 */
export function partAt(root: MimePart, path: readonly number[]): MimePart | null {
  let node: MimePart = root;
  for (let i = 0; i < path.length; i++) {
    const n = path[i]!;
    const container: MimePart = i > 0 && node.message ? node.message.root : node;
    if (container.parts) {
      const next = container.parts[n - 1];
      if (!next) return null;
      node = next;
    } else if (n === 1) {
      node = container;
    } else {
      return null;
    }
  }
  return node;
}

/** The media type parameter of a part, e.g. its charset. */
export function param(params: Params, name: string): string | null {
  for (const [k, v] of params) if (k === name) return v;
  return null;
}
