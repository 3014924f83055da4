// A mail search, in the words of mail (flags, headers, text, dates, sizes,
// uids) rather than of any protocol, turned into a query on the store's item
// index: every key is answered from the index and the item rows, never by
// reading messages. Text keys are case-insensitive substrings, matched on the
// decoded text (encoded words, charsets, quoted-printable, base64, HTML).
import type { ItemQuery } from '../../store/types.ts';
import { searchText } from './message.ts';

export type MailSearch =
  | { readonly all: true }
  | { readonly none: true }
  /** a flag or keyword present (set) or absent */
  | { readonly flag: string; readonly set: boolean }
  /** a header field containing the text; '' matches any message that has the field */
  | { readonly header: string; readonly contains: string }
  | { readonly body: string }
  /** header or body */
  | { readonly text: string }
  /** the internal date: since <= date < before, in ms */
  | { readonly internalDate: { readonly since?: number; readonly before?: number } }
  /** the Date header, likewise */
  | { readonly sentDate: { readonly since?: number; readonly before?: number } }
  /** size in bytes: larger than / smaller than */
  | { readonly size: { readonly larger?: number; readonly smaller?: number } }
  /** inclusive uid intervals */
  | { readonly uids: readonly (readonly [number, number])[] }
  | { readonly modseqAtLeast: number }
  | { readonly and: readonly MailSearch[] }
  | { readonly or: readonly MailSearch[] }
  | { readonly not: MailSearch };

const FAR = 253402300800000;

function range(kind: string, r: { since?: number; before?: number }): ItemQuery {
  const start = Math.max(0, Math.floor(r.since ?? 0));
  const end = Math.min(FAR, Math.floor(r.before ?? FAR));
  if (end <= start) return { or: [] };
  return { range: kind, overlaps: { start, end } };
}

/** Uids as few intervals as they make: [1,2,3,7] → [[1,3],[7,7]]. */
export function intervals(uids: readonly number[]): [number, number][] {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const u of sorted) {
    const last = out[out.length - 1];
    if (last && u === last[1] + 1) last[1] = u;
    else out.push([u, u]);
  }
  return out;
}

export function toItemQuery(q: MailSearch): ItemQuery {
  if ('all' in q) return { all: true };
  if ('none' in q) return { or: [] };
  if ('flag' in q) {
    const term: ItemQuery = { field: 'flag', equals: q.flag.toLowerCase() };
    return q.set ? term : { not: term };
  }
  if ('header' in q) {
    const field = `header:${q.header.toLowerCase()}`;
    return { field, contains: searchText(q.contains) };
  }
  if ('body' in q) return { field: 'body', contains: searchText(q.body) };
  if ('text' in q) {
    const t = searchText(q.text);
    return { or: [{ field: 'body', contains: t }, { field: 'headers', contains: t }] };
  }
  if ('internalDate' in q) return range('internaldate', q.internalDate);
  if ('sentDate' in q) return range('sent', q.sentDate);
  if ('size' in q) {
    const min = q.size.larger === undefined ? undefined : q.size.larger + 1;
    const max = q.size.smaller === undefined ? undefined : q.size.smaller - 1;
    if (max !== undefined && max < 0) return { or: [] };
    return { size: { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) } };
  }
  if ('uids' in q) return { uids: q.uids };
  if ('modseqAtLeast' in q) return { modseqAbove: q.modseqAtLeast - 1 };
  if ('and' in q) return { and: q.and.map(toItemQuery) };
  if ('or' in q) return { or: q.or.map(toItemQuery) };
  return { not: toItemQuery(q.not) };
}
