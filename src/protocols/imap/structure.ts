// FETCH data from what the core keeps about a message: ENVELOPE and
// BODYSTRUCTURE from the stored MIME tree (no parsing), and BODY[section]
// bytes cut out of the message as received, by the tree's offsets.
// Values are shaped for imap-core's compiler: arrays are lists, null is NIL,
// numbers are numbers, strings and Buffers are quoted strings (Buffers carry
// UTF-8 bytes), { type: 'LITERAL' } values are literals.
import type { AddressEntry, Envelope, MailAddress, MimePart, Params } from '../../core/mail/index.ts';
import { partAt } from '../../core/mail/mime.ts';

type Nstring = string | Buffer | null;

/** A header value a client can read: ASCII as is; otherwise UTF-8 (UTF8=ACCEPT) or RFC 2047 encoded words. */
export function headerString(value: string | null, utf8: boolean): Nstring {
  if (value === null) return null;
  const clean = value.replace(/[\r\n]+/g, ' ');
  if (!/[^\x00-\x7f]/.test(clean)) return clean;
  if (utf8) return Buffer.from(clean, 'utf8');
  return encodeWords(clean);
}

/** RFC 2047 encoded words (UTF-8, base64), each at most 75 characters long. */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

function addressList(entries: readonly AddressEntry[] | null, utf8: boolean): unknown[] | null {
  if (!entries || entries.length === 0) return null;
  const one = (a: MailAddress): Nstring[] => [headerString(a.name, utf8), null, headerString(a.mailbox, utf8), headerString(a.host, utf8)];
  const out: Nstring[][] = [];
  for (const e of entries) {
    if ('group' in e) {
      out.push([null, null, headerString(e.group, utf8), null], ...e.members.map(one), [null, null, null, null]);
    } else {
      out.push(one(e));
    }
  }
  return out;
}

export function envelope(e: Envelope, utf8: boolean): unknown[] {
  const from = addressList(e.from, utf8);
  return [
    headerString(e.date, utf8),
    headerString(e.subject, utf8),
    from,
    addressList(e.sender, utf8) ?? from,
    addressList(e.replyTo, utf8) ?? from,
    addressList(e.to, utf8),
    addressList(e.cc, utf8),
    addressList(e.bcc, utf8),
    headerString(e.inReplyTo, utf8),
    headerString(e.messageId, utf8),
  ];
}

function paramList(params: Params, utf8: boolean): Nstring[] | null {
  if (params.length === 0) return null;
  return params.flatMap(([k, v]) => [k, headerString(v, utf8)]);
}

/** BODYSTRUCTURE (with extension data) or BODY (without). */
export function bodyStructure(part: MimePart, extended: boolean, utf8: boolean): unknown[] {
  const ext = (): unknown[] => [
    part.disposition ? [part.disposition, paramList(part.dispositionParams, utf8)] : null,
    part.language && part.language.length > 0 ? part.language : null,
    headerString(part.location, utf8),
  ];
  if (part.parts) {
    const children = part.parts.map((p) => bodyStructure(p, extended, utf8));
    return extended ? [...children, part.subtype, paramList(part.params, utf8), ...ext()] : [...children, part.subtype];
  }
  const basic: unknown[] = [
    part.type, part.subtype, paramList(part.params, utf8), headerString(part.id, utf8), headerString(part.description, utf8),
    part.encoding ?? '7bit', part.end - part.bodyStart,
  ];
  if (part.type === 'message' && part.subtype === 'rfc822' && part.message) {
    basic.push(envelope(part.message.envelope, utf8), bodyStructure(part.message.root, extended, utf8), part.lines);
  } else if (part.type === 'text') {
    basic.push(part.lines);
  }
  return extended ? [...basic, headerString(part.md5, utf8), ...ext()] : basic;
}

/** The header fields of a header block that are (or, with `not`, are not) named, and the blank line. */
function headerFields(block: Buffer, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: Buffer[] = [];
  let keep = false;
  let pos = 0;
  while (pos < block.length) {
    let nl = block.indexOf(10, pos);
    if (nl < 0) nl = block.length - 1;
    const line = block.subarray(pos, nl + 1);
    pos = nl + 1;
    if (line.length === 0 || line[0] === 13 || line[0] === 10) break;
    if (line[0] !== 32 && line[0] !== 9) {
      const colon = line.indexOf(58);
      const name = colon > 0 ? line.subarray(0, colon).toString('latin1').trim().toLowerCase() : '';
      keep = name !== '' && wanted.has(name) !== not;
    }
    if (keep) out.push(line);
  }
  out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}

export interface Section {
  /** '1.2', or '' for the message itself */
  readonly path: string;
  /** 'content' | 'header' | 'header.fields' | 'header.fields.not' | 'text' | 'mime' */
  readonly type: string;
  readonly headers?: readonly string[];
}

/** The bytes of a BODY[section] of a message; empty for a part that does not exist. */
export function sectionBytes(raw: Buffer, root: MimePart, section: Section): Buffer {
  const path = section.path === '' ? [] : section.path.split('.').map(Number);
  if (path.some((n) => !Number.isSafeInteger(n) || n < 1)) return Buffer.alloc(0);
  const part = path.length === 0 ? root : partAt(root, path);
  if (!part) return Buffer.alloc(0);
  const slice = (a: number, b: number): Buffer => raw.subarray(Math.min(a, raw.length), Math.min(b, raw.length));
  switch (section.type) {
    case 'content':
      return path.length === 0 ? raw : slice(part.bodyStart, part.end);
    case 'mime':
      return path.length === 0 ? Buffer.alloc(0) : slice(part.start, part.bodyStart);
    default: {
      // HEADER, TEXT and HEADER.FIELDS are of a message: the whole one, or the one inside a message/rfc822 part
      const message = path.length === 0 ? root : part.message?.root;
      if (!message) return Buffer.alloc(0);
      if (section.type === 'text') return slice(message.bodyStart, message.end);
      const block = slice(message.start, message.bodyStart);
      if (section.type === 'header') return block;
      if (section.type === 'header.fields') return headerFields(block, section.headers ?? [], false);
      if (section.type === 'header.fields.not') return headerFields(block, section.headers ?? [], true);
      return Buffer.alloc(0);
    }
  }
}
