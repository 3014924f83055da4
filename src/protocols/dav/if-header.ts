// The If header (RFC 4918 section 10.4): lists of conditions on state tokens
// (lock tokens) and entity tags, optionally tagged with a resource. The
// header is true when any list is true; a list is true when all its
// conditions are. It also tells which lock tokens the client submitted.
import { DavError } from './errors.ts';

export interface Condition {
  readonly not: boolean;
  readonly token?: string;
  readonly etag?: string;
}

export interface IfList {
  /** the resource a tagged list applies to (a URL or path); undefined: the request's resource */
  readonly resource?: string;
  readonly conditions: readonly Condition[];
}

const MAX_LENGTH = 16_384;

export function parseIf(header: string | undefined): IfList[] {
  if (header === undefined) return [];
  if (header.length > MAX_LENGTH) throw new DavError(400, 'the If header is too long');
  const lists: IfList[] = [];
  let i = 0;
  let resource: string | undefined;
  const s = header;
  const skip = (): void => { while (i < s.length && /\s/.test(s[i]!)) i++; };
  const bad = (): never => { throw new DavError(400, 'the If header is malformed'); };
  skip();
  while (i < s.length) {
    if (s[i] === '<') {
      const end = s.indexOf('>', i);
      if (end < 0) bad();
      resource = s.slice(i + 1, end);
      i = end + 1;
      skip();
      if (s[i] !== '(') bad();
      continue;
    }
    if (s[i] !== '(') bad();
    i++;
    const conditions: Condition[] = [];
    for (;;) {
      skip();
      if (s[i] === ')') { i++; break; }
      let not = false;
      if (s.slice(i, i + 3).toLowerCase() === 'not') { not = true; i += 3; skip(); }
      if (s[i] === '<') {
        const end = s.indexOf('>', i);
        if (end < 0) bad();
        conditions.push({ not, token: s.slice(i + 1, end) });
        i = end + 1;
      } else if (s[i] === '[') {
        const end = s.indexOf(']', i);
        if (end < 0) bad();
        conditions.push({ not, etag: s.slice(i + 1, end).replace(/^W\//, '') });
        i = end + 1;
      } else {
        bad();
      }
    }
    if (conditions.length === 0) bad();
    lists.push(resource === undefined ? { conditions } : { resource, conditions });
    skip();
  }
  return lists;
}

/** Every lock token named in the header, negated or not (submitted tokens, RFC 4918 section 10.4.1). */
export function submittedTokens(lists: readonly IfList[]): Set<string> {
  const out = new Set<string>();
  for (const l of lists) for (const c of l.conditions) if (c.token !== undefined && !c.not) out.add(c.token);
  return out;
}
