// IMAP SEARCH keys, as imap-core parses them, into the core's MailSearch.
// Every RFC 3501 key maps onto the item index; dates are whole days in UTC
// ("disregarding time and timezone"); \Recent is never set (Bureau reports
// 0 RECENT), so RECENT and NEW match nothing and OLD matches everything.
import type { MailSearch } from '../../core/mail/index.ts';
import { intervals } from '../../core/mail/search.ts';

const DAY = 86_400_000;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export class SearchError extends Error {
  override name = 'SearchError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface Term {
  readonly key: string;
  readonly value?: unknown;
  readonly header?: string;
  readonly operator?: string;
  readonly exists?: boolean;
}

/** DD-Mon-YYYY → the start of that day, UTC. */
function day(value: unknown): number {
  const m = /^(\d{1,2})-([a-z]{3})-(\d{4})$/i.exec(String(value));
  const month = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
  if (!m || month < 0) throw new SearchError('', `${String(value)} is not a date (like 1-Jan-2024)`);
  return Date.UTC(Number(m[3]), month, Number(m[1]));
}

/** A search string as the client sent it (bytes as a binary string), read as UTF-8. */
function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return Buffer.from(String(value ?? ''), 'binary').toString('utf8');
}

function dates(operator: string | undefined, value: unknown): { since?: number; before?: number } {
  const d = day(value);
  if (operator === '<') return { before: d };
  if (operator === '=') return { since: d, before: d + DAY };
  return { since: d };
}

function one(term: Term | readonly Term[]): MailSearch {
  if (Array.isArray(term)) return { and: term.map(one) };
  const t = term as Term;
  switch (t.key) {
    case 'all':
      return { all: true };
    case 'charset': {
      const cs = text(t.value).toLowerCase();
      if (cs !== 'utf-8' && cs !== 'us-ascii' && cs !== 'utf8') throw new SearchError('BADCHARSET (UTF-8 US-ASCII)', `the charset ${cs} is not supported`);
      return { all: true };
    }
    case 'flag': {
      const flag = text(t.value);
      if (flag.toLowerCase() === '\\recent') return t.exists ? { none: true } : { all: true };
      return { flag, set: t.exists !== false };
    }
    case 'header':
      return { header: String(t.header ?? '').toLowerCase(), contains: text(t.value) };
    case 'body':
      return { body: text(t.value) };
    case 'text':
      return { text: text(t.value) };
    case 'internaldate':
      return { internalDate: dates(t.operator, t.value) };
    case 'date':
      return { sentDate: dates(t.operator, t.value) };
    case 'size': {
      const n = Number(t.value);
      return t.operator === '>' ? { size: { larger: n } } : { size: { smaller: n } };
    }
    case 'uid':
      return { uids: intervals(Array.isArray(t.value) ? (t.value as number[]) : []) };
    case 'modseq':
      return { modseqAtLeast: Number(t.value) };
    case 'not':
      return { not: one(t.value as Term) };
    case 'or': {
      const [a, b] = t.value as [Term, Term];
      return { or: [one(a), one(b)] };
    }
    default:
      throw new SearchError('', `the search key ${t.key.toUpperCase()} is not supported`);
  }
}

/** The whole query: its terms are all to hold. */
export function toMailSearch(query: readonly Term[]): MailSearch {
  return { and: query.map(one) };
}
