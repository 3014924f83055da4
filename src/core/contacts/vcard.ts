// Parsing and validating one address object resource (RFC 6352 §5.1): one
// vCard 3.0 or 4.0 — or 2.1 as Outlook and Android export it — read with
// ical.js. The bytes are never changed. For 2.1 the parsing copy is brought
// to 3.0 first: quoted-printable values (soft line breaks, CHARSET) are
// decoded, bare type parameters (TEL;WORK;VOICE) become TYPE=, BASE64
// becomes ENCODING=b, and the blank lines after base64 blocks go.
import ICAL from 'ical.js';
import { decodeText } from '../calendar/ical.ts';
import { blocksOf, contentLines, isBlock, nameOf, valueStart, type RawLine } from '../calendar/lines.ts';
import { InvalidInput } from '../errors.ts';

/** The CardDAV precondition (RFC 6352 §6.3.2.1) a refusal falls under. */
export type AddressPrecondition = 'supported-address-data' | 'valid-address-data' | 'max-resource-size';

export class InvalidAddressData extends InvalidInput {
  override name = 'InvalidAddressData';
  readonly precondition: AddressPrecondition;
  constructor(precondition: AddressPrecondition, message: string) {
    super('address-data', message);
    this.precondition = precondition;
  }
}

export const MAX_VCARD_BYTES = 4 * 1024 * 1024;

export interface VCardObject {
  readonly card: ICAL.Component;
  /** as written in the card: 2.1, 3.0 or 4.0 */
  readonly version: string;
  /** null when the card has none */
  readonly uid: string | null;
  /** individual, group, org, location… (KIND, or Apple's X-ADDRESSBOOKSERVER-KIND) */
  readonly kind: string;
}

const bad = (p: AddressPrecondition, m: string): InvalidAddressData => new InvalidAddressData(p, m);

function decodeQuotedPrintable(s: string, charset: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '=' && i === s.length - 1) {
      // a soft break at the very end
    } else {
      const code = ch.codePointAt(0)!;
      if (code < 0x80) bytes.push(code);
      else {
        bytes.push(...new TextEncoder().encode(ch));
        if (code > 0xffff) i++;
      }
    }
  }
  let label = charset.toLowerCase();
  if (label === 'us-ascii' || label === 'ascii') label = 'utf-8';
  try {
    return new TextDecoder(label).decode(new Uint8Array(bytes));
  } catch {
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
  }
}

/** A vCard 2.1 content line, rewritten in 3.0 form for parsing. */
function line21(logical: string): string {
  const at = valueStart(logical);
  if (at < 0) return logical;
  const head = logical.slice(0, at - 1);
  let value = logical.slice(at);
  const [name, ...params] = head.split(';');
  let qp = false;
  let charset = 'utf-8';
  const out: string[] = [];
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toUpperCase();
    const val = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (eq < 0) {
      if (key === 'QUOTED-PRINTABLE') qp = true;
      else if (key === 'BASE64' || key === 'B') out.push('ENCODING=b');
      else if (key === '8BIT' || key === '7BIT') continue;
      else if (key !== '') out.push(`TYPE=${key}`);
    } else if (key === 'ENCODING') {
      const e = val.toUpperCase();
      if (e === 'QUOTED-PRINTABLE') qp = true;
      else if (e === 'BASE64' || e === 'B') out.push('ENCODING=b');
    } else if (key === 'CHARSET') {
      charset = val;
    } else {
      out.push(`${key}=${val}`);
    }
  }
  if (qp) value = decodeQuotedPrintable(value, charset).replace(/\r\n|\r|\n/g, '\\n');
  return [name, ...out].join(';') + ':' + value;
}

/** The card's text as ical.js reads it, and the version it says it is. */
function parsingCopy(source: string): { text: string; version: string } {
  const lines = contentLines(source, true);
  const blocks = blocksOf(lines);
  const cards = blocks.filter((b) => b.name === 'VCARD');
  if (cards.length === 0) {
    const first = lines[0]?.logical.trim().toUpperCase() ?? '';
    if (first === 'BEGIN:VCALENDAR') throw bad('supported-address-data', 'this is an iCalendar object, not a vCard');
    throw bad('valid-address-data', `a vCard starts with BEGIN:VCARD, not ${JSON.stringify(first.slice(0, 40))}`);
  }
  if (cards.length > 1) throw bad('valid-address-data', `the text holds ${cards.length} vCards; an address object resource holds one`);
  if (blocks.length > 1) throw bad('valid-address-data', `the text holds a ${blocks.find((b) => b.name !== 'VCARD')!.name} besides the vCard`);
  const card = cards[0]!;
  if (!card.end) throw bad('valid-address-data', 'the vCard has no END:VCARD');
  const inside = new Set<RawLine>();
  const walk = (b: typeof card): void => {
    inside.add(b.begin);
    if (b.end) inside.add(b.end);
    for (const x of b.body) if (isBlock(x)) walk(x); else inside.add(x);
  };
  walk(card);
  if (lines.some((l) => !inside.has(l) && l.logical.trim() !== '')) throw bad('valid-address-data', 'there is text outside BEGIN:VCARD … END:VCARD');
  const props = card.body.filter((x): x is RawLine => !isBlock(x));
  if (card.body.some(isBlock)) throw bad('valid-address-data', 'a vCard cannot hold nested BEGIN/END blocks');
  const versions = props.filter((p) => nameOf(p.logical) === 'VERSION');
  if (versions.length !== 1) throw bad('valid-address-data', versions.length === 0 ? 'the vCard has no VERSION' : 'the vCard has more than one VERSION');
  const version = versions[0]!.logical.slice(valueStart(versions[0]!.logical)).trim();
  if (!['2.1', '3.0', '4.0'].includes(version)) throw bad('supported-address-data', `vCard version ${JSON.stringify(version)} is not supported; 3.0 and 4.0 are (and 2.1)`);
  const body = props.map((p) => {
    if (version === '2.1') return nameOf(p.logical) === 'VERSION' ? 'VERSION:3.0' : line21(p.logical);
    return p.logical;
  });
  return { text: ['BEGIN:VCARD', ...body, 'END:VCARD', ''].join('\n'), version };
}

/** Parses and validates the text of one vCard. */
export function parseVCardText(source: string): VCardObject {
  const { text, version } = parsingCopy(source);
  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (err) {
    throw bad('valid-address-data', `the vCard cannot be read: ${(err as Error).message}`);
  }
  const card = new ICAL.Component(jcal as unknown[]);
  const uidProp = card.getFirstPropertyValue('uid');
  const uid = uidProp === null || uidProp === undefined ? '' : String(uidProp).trim();
  const kindRaw = card.getFirstPropertyValue('kind') ?? card.getFirstPropertyValue('x-addressbookserver-kind') ?? 'individual';
  return { card, version, uid: uid === '' ? null : uid, kind: String(kindRaw).trim().toLowerCase() || 'individual' };
}

export function parseVCardBytes(bytes: Uint8Array): VCardObject {
  if (bytes.byteLength > MAX_VCARD_BYTES) throw bad('max-resource-size', `a vCard may have at most ${MAX_VCARD_BYTES} bytes; this one has ${bytes.byteLength}`);
  return parseVCardText(decodeText(bytes, 'vCard', (m) => bad('valid-address-data', m)));
}

/** The text values of a property: structured ones (N, ADR, ORG) joined with `;`. */
export function vcardTexts(card: ICAL.Component, name: string): string[] {
  const out: string[] = [];
  for (const p of card.getAllProperties(name.toLowerCase())) {
    for (const v of p.getValues()) {
      if (v === null || v === undefined) continue;
      const flat = (x: unknown): string => (Array.isArray(x) ? x.map(flat).join(Array.isArray(x[0]) ? ';' : ',') : String(x));
      out.push(Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.join(',') : String(x))).join(';') : flat(v));
    }
  }
  return out;
}

export const CARD_TEXT_FIELDS = ['fn', 'n', 'email', 'tel', 'org', 'nickname', 'title', 'adr', 'note', 'categories', 'url'] as const;
