// Partial retrieval of a vCard (RFC 6352 §10.4): only the properties a
// CARDDAV:address-data element names, each kept line byte for byte. A name
// without a group matches the property with any group or none; a name with
// a group (X-ABC.TEL) matches that group only (§10.4.2). BEGIN, END, VERSION
// and UID are always kept, so that what comes back is still a vCard that
// can be read and told apart. A prop with novalue keeps the name and
// parameters and a trailing colon. Names that match nothing select nothing.
import { blocksOf, contentLines, isBlock, lineEnd, valueStart, type Block } from '../calendar/lines.ts';

export interface CardPropSelection {
  /** upper case, with its group when it has one (X-ABC.TEL) */
  readonly name: string;
  readonly novalue: boolean;
}

const ALWAYS = new Set(['VERSION', 'UID']);

/** The group (upper case, '' when none) and the name (upper case) of a logical line. */
function groupAndName(logical: string): { group: string; name: string } {
  const m = /^(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)/.exec(logical);
  return m ? { group: (m[1] ?? '').toUpperCase(), name: m[2]!.toUpperCase() } : { group: '', name: '' };
}

function selected(logical: string, props: readonly CardPropSelection[]): CardPropSelection | 'always' | null {
  const { group, name } = groupAndName(logical);
  if (ALWAYS.has(name)) return 'always';
  for (const p of props) {
    const dot = p.name.lastIndexOf('.');
    if (dot < 0 ? p.name === name : p.name.slice(0, dot) === group && p.name.slice(dot + 1) === name) return p;
  }
  return null;
}

/** The card's text with only the named properties (and BEGIN, END, VERSION, UID). */
export function selectCardData(text: string, props: readonly CardPropSelection[]): string {
  const lines = contentLines(text, /VERSION:2\.1/i.test(text));
  const eol = lineEnd(lines);
  const card = blocksOf(lines).find((b) => b.name === 'VCARD');
  if (!card) return text;
  const withEol = (s: string): string => (s === '' || /[\r\n]$/.test(s) ? s : s + eol);
  const walk = (b: Block): string => {
    let out = withEol(b.begin.raw);
    for (const x of b.body) {
      // a vCard 2.1 AGENT may embed a card: it goes with its property unless all are asked
      if (isBlock(x)) continue;
      const s = selected(x.logical, props);
      if (s === null) continue;
      if (s !== 'always' && s.novalue) {
        const at = valueStart(x.logical);
        out += `${at < 0 ? x.logical : x.logical.slice(0, at)}${eol}`;
      } else {
        out += withEol(x.raw);
      }
    }
    return out + (b.end?.raw ?? `END:${b.name}${eol}`);
  };
  return walk(card);
}
