// What Bureau keeps about a message beside its bytes: the meta (flags, the
// internal date, the envelope and the MIME tree, so that a door never parses
// a stored message again) and the search index (every header field, the
// decoded text, the flags and the dates, lower-cased, so that a search is
// answered by the store without reading any message).
import type { ItemIndex, ItemMeta } from '../../store/types.ts';
import { InvalidInput } from '../errors.ts';
import { addressText, isGroup, type AddressEntry } from './addresses.ts';
import { type Envelope, type MimePart, param, parseMessage, type ParsedMessage, readHeaderFields } from './mime.ts';
import { decodeBytes, decodeTransfer, decodeWords, htmlToText, squash } from './text.ts';

/** The flags IMAP defines; others are keywords. Stored in this spelling. */
export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;

export const FLAG_LIMITS = { perMessage: 64, length: 128 } as const;

/** How much of a message the index keeps for search. */
export const INDEX_LIMITS = {
  /** decoded body text, in characters */
  text: 1_000_000,
  /** one header field's value, in characters */
  field: 2_000,
  /** all header fields together (the TEXT search), in characters */
  headers: 64_000,
  /** header fields indexed by name */
  fields: 300,
} as const;

export interface MessageMeta {
  readonly flags: readonly string[];
  /** when the message arrived (IMAP INTERNALDATE), ms since the epoch */
  readonly internalDate: number;
  /** the Date header, ms since the epoch, or null when absent or unreadable */
  readonly sentDate: number | null;
  readonly envelope: Envelope;
  readonly mime: MimePart;
}

/** The meta of a stored message, as kept in the item (what the store returns is trusted: it wrote it). */
export function messageMeta(meta: ItemMeta): MessageMeta {
  return meta as unknown as MessageMeta;
}

/** Canonical spelling of a flag; refuses what is not an IMAP flag or keyword. */
export function normaliseFlag(flag: string): string {
  if (flag.startsWith('\\')) {
    const known = SYSTEM_FLAGS.find((f) => f.toLowerCase() === flag.toLowerCase());
    if (!known) throw new InvalidInput('flag', `${flag} is not a system flag (${SYSTEM_FLAGS.join(' ')})`);
    return known;
  }
  if (flag.length === 0 || flag.length > FLAG_LIMITS.length || /[\x00-\x20\x7f-\uffff(){%*"\\\]]/.test(flag)) {
    throw new InvalidInput('flag', `${JSON.stringify(flag)} is not a keyword (1 to ${FLAG_LIMITS.length} printable ASCII characters, no ( ) { % * " \\ ])`);
  }
  return flag;
}

/** Normalised, without duplicates (keywords compare case-insensitively), bounded. */
export function normaliseFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of flags) {
    const n = normaliseFlag(f);
    const key = n.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(n);
  }
  if (out.length > FLAG_LIMITS.perMessage) throw new InvalidInput('flag', `a message can carry at most ${FLAG_LIMITS.perMessage} flags`);
  return out;
}

/** The index entry of the flags (lower-case), written with every flag change. */
export function flagIndex(flags: readonly string[]): ItemIndex {
  return { fields: { flag: flags.map((f) => f.toLowerCase()) } };
}

/** A header date (RFC 5322, with the usual deviations) in ms since the epoch, or null. */
export function parseMailDate(value: string | null): number | null {
  if (!value) return null;
  const cleaned = value.replace(/\([^)]*\)/g, ' ').replace(/^\s*[A-Za-z]{3},?\s*/, '').replace(/\s+/g, ' ').trim();
  const t = Date.parse(cleaned);
  if (!Number.isFinite(t)) return null;
  // a date before 1970 or far in the future is most likely broken
  return t >= 0 && t < 253402300800000 ? t : null;
}

/** Text for search: decoded, lower-case, whitespace collapsed, no NUL. */
export function searchText(text: string): string {
  return squash(text.replace(/\u0000/g, ' ')).toLowerCase();
}

/** The decoded text of the text parts (and of embedded messages' headers), bounded. */
function bodyText(raw: Buffer, part: MimePart, out: { text: string }): void {
  if (out.text.length >= INDEX_LIMITS.text) return;
  if (part.parts) {
    for (const p of part.parts) bodyText(raw, p, out);
    return;
  }
  if (part.message) {
    const fields = readHeaderFields(raw, part.message.root.start, part.message.root.bodyStart);
    out.text += ` ${fields.map((f) => `${f.name}: ${decodeWords(f.value)}`).join(' ')} `;
    bodyText(raw, part.message.root, out);
    return;
  }
  if (part.type !== 'text') return;
  const bytes = decodeTransfer(raw.subarray(part.bodyStart, Math.min(part.end, part.bodyStart + INDEX_LIMITS.text * 4)), part.encoding);
  let text = decodeBytes(bytes, param(part.params, 'charset'));
  if (part.subtype === 'html') text = htmlToText(text);
  out.text += ` ${text}`;
}

function addressesIndex(entries: readonly AddressEntry[] | null): string[] {
  if (!entries) return [];
  const flat = entries.flatMap((e) => (isGroup(e) ? e.members : [e]));
  return flat.map((a) => `${a.mailbox ?? ''}@${a.host ?? ''}`.toLowerCase());
}

export interface DescribedMessage {
  readonly meta: MessageMeta;
  readonly index: ItemIndex;
}

/** Reads a message once: its meta and its search index. */
export function describeMessage(raw: Uint8Array, flags: readonly string[], internalDate: number): DescribedMessage {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const parsed: ParsedMessage = parseMessage(buf);
  const sentDate = parseMailDate(parsed.envelope.date);
  const fields: Record<string, string[]> = {};
  let headersText = '';
  let count = 0;
  for (const f of parsed.headers) {
    const value = decodeWords(f.value);
    if (headersText.length < INDEX_LIMITS.headers) headersText += `${f.name}: ${value}\n`;
    if (count++ >= INDEX_LIMITS.fields) continue;
    const list = (fields[`header:${f.name}`] ??= []);
    list.push(searchText(value).slice(0, INDEX_LIMITS.field));
  }
  // address fields are also searchable as their parsed addresses ("ann@example.org" in "Ann <ann@example.org>")
  for (const [name, entries] of [['from', parsed.envelope.from], ['to', parsed.envelope.to], ['cc', parsed.envelope.cc], ['bcc', parsed.envelope.bcc]] as const) {
    const list = addressesIndex(entries);
    if (list.length > 0) fields[`address:${name}`] = list;
    if (entries) (fields[`header:${name}`] ??= []).push(searchText(addressText(entries)).slice(0, INDEX_LIMITS.field));
  }
  const body = { text: '' };
  bodyText(buf, parsed.root, body);
  fields.headers = [searchText(headersText).slice(0, INDEX_LIMITS.headers)];
  fields.body = [searchText(body.text).slice(0, INDEX_LIMITS.text)];
  const normalised = normaliseFlags(flags);
  fields.flag = normalised.map((f) => f.toLowerCase());
  const ranges = [{ kind: 'internaldate', start: internalDate, end: internalDate + 1 }];
  if (sentDate !== null) ranges.push({ kind: 'sent', start: sentDate, end: sentDate + 1 });
  return {
    meta: { flags: normalised, internalDate, sentDate, envelope: parsed.envelope, mime: parsed.root },
    index: { fields, ranges },
  };
}
