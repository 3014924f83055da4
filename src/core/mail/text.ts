// Turning the bytes of a message into text a person (or a search) reads:
// charsets, RFC 2047 encoded words, RFC 2231 parameter values, quoted-printable
// and base64. Pure functions; every one accepts broken input and returns its
// best reading rather than throwing.

import { TextDecoder } from 'node:util';

const decoders = new Map<string, TextDecoder | null>();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** A decoder for a MIME charset label, or null when the label is unknown. */
function decoderFor(charset: string): TextDecoder | null {
  const label = charset.trim().toLowerCase().replace(/^"|"$/g, '');
  if (decoders.has(label)) return decoders.get(label)!;
  let d: TextDecoder | null = null;
  try {
    // labels Node does not know by these names
    const known = label === 'ks_c_5601-1987' ? 'euc-kr' : label === 'x-unknown' || label === 'unknown-8bit' ? '' : label;
    if (known !== '') d = new TextDecoder(known);
  } catch {
    d = null;
  }
  if (decoders.size < 256) decoders.set(label, d);
  return d;
}

/**
 * Text of bytes that are meant to be in `charset`; unknown or missing charsets
 * are read as UTF-8 when the bytes are valid UTF-8, else as Windows-1252 (the
 * superset of Latin-1 that mail in the wild uses most).
 */
export function decodeBytes(bytes: Uint8Array, charset?: string | null): string {
  const d = charset ? decoderFor(charset) : null;
  if (d && !/^(us-)?ascii$/i.test(charset!.trim())) return d.decode(bytes);
  return decodeUnlabelled(bytes);
}

/** Bytes without a reliable label (8-bit headers, us-ascii that is not): UTF-8 if valid, else Windows-1252. */
export function decodeUnlabelled(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return decoderFor('windows-1252')!.decode(bytes);
  }
}

/** Decodes quoted-printable (soft line breaks, =XX; malformed escapes are kept as they are). */
export function decodeQuotedPrintable(bytes: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(bytes.length);
  let o = 0;
  const hex = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 61 /* = */) {
      out[o++] = c;
      continue;
    }
    // soft line break: "=" then optional whitespace then (CR)LF
    let j = i + 1;
    while (j < bytes.length && (bytes[j] === 32 || bytes[j] === 9)) j++;
    if (j < bytes.length && (bytes[j] === 10 || (bytes[j] === 13 && bytes[j + 1] === 10))) {
      i = bytes[j] === 13 ? j + 1 : j;
      continue;
    }
    if (j >= bytes.length) break;
    const a = hex(bytes[i + 1] ?? 0);
    const b = hex(bytes[i + 2] ?? 0);
    if (a >= 0 && b >= 0) {
      out[o++] = a * 16 + b;
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

/** Decodes base64, ignoring whitespace and anything outside the alphabet. */
export function decodeBase64(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').replace(/[^A-Za-z0-9+/]/g, '');
  return Buffer.from(text, 'base64');
}

/** The bytes of a part's body after its Content-Transfer-Encoding. */
export function decodeTransfer(bytes: Uint8Array, encoding: string | null): Uint8Array {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'base64':
      return decodeBase64(bytes);
    case 'quoted-printable':
      return decodeQuotedPrintable(bytes);
    default:
      return bytes;
  }
}

const ENCODED_WORD = /=\?([^?\s]+?)\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded words in a header value (also where RFC 2047 does
 * not allow them but clients put them, e.g. inside quoted strings).
 * Whitespace between adjacent encoded words is dropped; words of one charset
 * that follow each other are joined before decoding, so a character split
 * across two words survives.
 */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | null = null;
  const flush = (): void => {
    if (pending) out += decodeBytes(Buffer.concat(pending.bytes), pending.charset);
    pending = null;
  };
  for (const m of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, m.index);
    const charset = m[1]!.split('*')[0]!;
    const data = m[3]!;
    const bytes = m[2]!.toUpperCase() === 'B'
      ? Buffer.from(data.replace(/[^A-Za-z0-9+/]/g, ''), 'base64')
      : Buffer.from(decodeQuotedPrintable(Buffer.from(data.replace(/_/g, ' '), 'latin1')));
    const adjacent = pending !== null && /^\s*$/.test(between);
    if (adjacent && pending!.charset.toLowerCase() === charset.toLowerCase()) {
      pending!.bytes.push(bytes);
    } else {
      flush();
      if (!adjacent) out += between;
      pending = { charset, bytes: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

/** Decodes an RFC 2231 extended value: charset'language'percent-encoded. */
export function decodeExtendedValue(value: string): string {
  const m = /^([^']*)'[^']*'(.*)$/s.exec(value);
  const charset = m ? m[1]! : '';
  const data = m ? m[2]! : value;
  const bytes: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(data.slice(i + 1, i + 3))) {
      bytes.push(parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return decodeBytes(Uint8Array.from(bytes), charset || null);
}

/** Collapses runs of whitespace into single spaces and trims. */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The readable text of an HTML document, for search: no tags, styles or scripts, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    });
}
