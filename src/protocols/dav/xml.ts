// XML for DAV: a namespace-aware parser (saxes) that refuses DOCTYPE, and so
// external entities and entity expansion, before anything is read, with
// bounds on depth and element count; and the writing side (escaping, Clark
// names, self-contained serialisation of dead property values).
import { SaxesParser, type SaxesTagNS } from 'saxes';

export const DAV = 'DAV:';

export interface XmlElement {
  readonly ns: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | string;

export class XmlError extends Error {
  override name = 'XmlError';
}

const MAX_DEPTH = 64;
const MAX_ELEMENTS = 100_000;

export function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: { ns: string; name: string; attributes: Record<string, string>; children: XmlNode[] }[] = [];
  let root: XmlElement | null = null;
  let count = 0;
  let failure: Error | null = null;
  parser.on('doctype', () => { throw new XmlError('a DOCTYPE is not accepted (no DTDs, no entities)'); });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (++count > MAX_ELEMENTS) throw new XmlError(`the document has more than ${MAX_ELEMENTS} elements`);
    if (stack.length >= MAX_DEPTH) throw new XmlError(`the document is nested deeper than ${MAX_DEPTH} levels`);
    const attributes: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      attributes[a.uri ? `{${a.uri}}${a.local}` : a.local] = a.value;
    }
    stack.push({ ns: tag.uri ?? '', name: tag.local ?? tag.name, attributes, children: [] });
  });
  parser.on('text', (t: string) => { stack.at(-1)?.children.push(t); });
  parser.on('cdata', (t: string) => { stack.at(-1)?.children.push(t); });
  parser.on('closetag', () => {
    const done = stack.pop()!;
    if (stack.length === 0) root = done;
    else stack.at(-1)!.children.push(done);
  });
  parser.on('error', (err: Error) => { failure ??= err; throw err; });
  try {
    parser.write(text).close();
  } catch (err) {
    const e = failure ?? err;
    throw e instanceof XmlError ? e : new XmlError(`the body is not well-formed XML: ${(e as Error).message}`);
  }
  if (!root) throw new XmlError('the body holds no XML element');
  return root;
}

export const elements = (e: XmlElement): XmlElement[] => e.children.filter((c): c is XmlElement => typeof c !== 'string');
export const child = (e: XmlElement, ns: string, name: string): XmlElement | undefined => elements(e).find((c) => c.ns === ns && c.name === name);
export const textOf = (e: XmlElement): string => e.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
export const clark = (ns: string, name: string): string => `{${ns}}${name}`;
export const is = (e: XmlElement, ns: string, name: string): boolean => e.ns === ns && e.name === name;

export function splitClark(key: string): { ns: string; name: string } {
  const m = /^\{([^}]*)\}(.+)$/.exec(key);
  return m ? { ns: m[1]!, name: m[2]! } : { ns: '', name: key };
}

const SPECIAL = /[&<>"\r]/;
const SPECIALS = /[&<>"\r]/g;
const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };

/** Text or an attribute value escaped for XML; most text has nothing to escape and comes back as it is. */
export function esc(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIALS, (c) => ENTITY[c]!) : s;
}

/**
 * Writes an element so that it stands on its own: each element declares its
 * namespace with a default xmlns (or xmlns="" for none), so it can be stored
 * and later placed inside any document unchanged in meaning.
 */
export function serialize(e: XmlElement, parentNs: string | null = null): string {
  const decl = e.ns === parentNs ? '' : ` xmlns="${esc(e.ns)}"`;
  let attrs = '';
  let n = 0;
  for (const [k, v] of Object.entries(e.attributes)) {
    const { ns, name } = splitClark(k);
    if (ns === '') attrs += ` ${name}="${esc(v)}"`;
    else { n++; attrs += ` xmlns:a${n}="${esc(ns)}" a${n}:${name}="${esc(v)}"`; }
  }
  const inner = e.children.map((c) => (typeof c === 'string' ? esc(c) : serialize(c, e.ns))).join('');
  return `<${e.name}${decl}${attrs}>${inner}</${e.name}>`;
}

/** An element named by a Clark key holding already-serialised XML (or text). */
export function propElement(key: string, inner: string): string {
  const { ns, name } = splitClark(key);
  if (ns === DAV) return `<D:${name}>${inner}</D:${name}>`;
  return `<${name} xmlns="${esc(ns)}">${inner}</${name}>`;
}
