// FETCH: the asked data items of each message, page by page from the store,
// written as they are ready and no faster than the client reads them. Only
// items that need the message's bytes read them (BODY[...], RFC822*); the
// rest come from the meta. BODY[] without PEEK sets \Seen where the account
// may write, as one batch per page.
import type { Core } from '../../core/index.ts';
import { holds } from '../../core/acl.ts';
import type { MessageSummary, StoredMessage } from '../../core/mail/index.ts';
import { intervals } from '../../core/mail/search.ts';
import { imapHandler, type ImapSession } from './engine.ts';
import { IMAP_LIMITS } from './limits.ts';
import type { ImapNotifier, Selection } from './notifier.ts';
import { bodyStructure, envelope, sectionBytes } from './structure.ts';

export interface FetchItem {
  readonly item: string;
  readonly type?: string;
  readonly path?: string;
  readonly headers?: readonly string[];
  readonly partial?: { readonly startFrom: number; readonly maxLength: number };
  readonly isLiteral?: boolean;
  readonly original: { partial?: number[] } & Record<string, unknown>;
}

export interface FetchOptions {
  readonly messages: readonly number[];
  readonly query: FetchItem[];
  readonly markAsSeen: boolean;
  readonly changedSince: number;
  readonly isUid: boolean;
}

const BYTES_ITEMS = new Set(['rfc822', 'rfc822.header', 'rfc822.text']);
/** Items answered from a message's summary (flags, dates, size), without its structure. */
const SUMMARY_ITEMS = new Set(['uid', 'flags', 'modseq', 'internaldate', 'rfc822.size']);

function needsBytes(query: readonly FetchItem[]): boolean {
  return query.some((q) => BYTES_ITEMS.has(q.item) || (q.item === 'body' && q.type !== undefined));
}

/** The message sequence number of a uid: its place in the session's sorted uid list (0 when absent). */
export function sequenceOf(uidList: readonly number[], uid: number): number {
  let lo = 0;
  let hi = uidList.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = uidList[mid]!;
    if (v === uid) return mid + 1;
    if (v < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

function internalDate(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}-${months[date.getUTCMonth()]}-${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

/**
 * An untagged FETCH response, for imap-core's compiler. (imap-core's own
 * formatResponse finds the sequence number with indexOf, which makes a FETCH
 * of a whole mailbox quadratic.)
 */
function fetchResponse(seq: number, query: readonly FetchItem[], values: readonly unknown[]): unknown {
  const items: unknown[] = [];
  query.forEach((q, i) => {
    const v = values[i];
    items.push(q.original);
    if (q.item === 'flags' || q.item === 'modseq') items.push([].concat((v ?? []) as never).map((x: unknown) => ({ type: 'ATOM', value: String(x) })));
    else if (v instanceof Date) items.push({ type: 'ATOM', value: internalDate(v) });
    else if (Array.isArray(v)) items.push(v);
    else if (q.isLiteral) items.push({ type: 'LITERAL', value: v });
    else items.push({ type: 'ATOM', value: String(v) });
  });
  return { tag: '*', command: String(seq), attributes: [{ type: 'atom', value: 'FETCH' }, items] };
}

function drain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

/** The value of one data item for one message. */
function value(q: FetchItem, m: Source, raw: Buffer | null, utf8: boolean): unknown {
  const full = m.full!;
  switch (q.item) {
    case 'uid':
      return m.uid;
    case 'modseq':
      return m.modseq;
    case 'flags':
      return [...m.flags];
    case 'internaldate':
      return new Date(m.internalDate);
    case 'rfc822.size':
      return m.size;
    case 'envelope':
      return envelope(full.meta.envelope, utf8);
    case 'bodystructure':
      return bodyStructure(full.meta.mime, true, utf8);
    case 'rfc822':
      return raw!;
    case 'rfc822.header':
      return sectionBytes(raw!, full.meta.mime, { path: '', type: 'header' });
    case 'rfc822.text':
      return sectionBytes(raw!, full.meta.mime, { path: '', type: 'text' });
    case 'body': {
      if (q.type === undefined) return bodyStructure(full.meta.mime, false, utf8);
      let bytes = sectionBytes(raw!, full.meta.mime, { path: q.path ?? '', type: q.type, headers: q.headers ?? [] });
      if (q.partial) {
        bytes = bytes.subarray(q.partial.startFrom, q.partial.maxLength ? q.partial.startFrom + q.partial.maxLength : undefined);
      }
      return bytes;
    }
    default:
      return null;
  }
}

export async function fetchMessages(core: Core, notifier: ImapNotifier, session: ImapSession, selection: Selection, options: FetchOptions): Promise<void> {
  const accountId = selection.accountId;
  const sel = session.selected;
  if (!sel) return;
  const query = [...options.query];
  // a partial response names only its origin: BODY[]<0.100> is answered as BODY[]<0>
  for (const q of query) if (q.partial && q.original.partial) q.original.partial = [q.partial.startFrom];
  // once CONDSTORE is on, every FETCH response with FLAGS carries MODSEQ (RFC 7162 3.1.4)
  if (sel.condstoreEnabled && query.some((q) => q.item === 'flags') && !query.some((q) => q.item === 'modseq')) {
    query.push({ item: 'modseq', original: { type: 'ATOM', value: 'MODSEQ' } });
  }
  let uids = [...options.messages];
  if (options.changedSince) {
    uids = await core.mail.messages.search(accountId, selection.collectionId, { and: [{ uids: intervals(uids) }, { modseqAtLeast: options.changedSince + 1 }] });
  }
  let markAsSeen = options.markAsSeen && !sel.readOnly;
  if (markAsSeen) markAsSeen = holds((await core.mail.mailboxes.byId(accountId, selection.collectionId)).rights, 'write');
  const bytes = needsBytes(query);
  const utf8 = session.isUTF8Enabled();
  if (!markAsSeen && query.every((q) => SUMMARY_ITEMS.has(q.item))) {
    const dates = query.some((q) => q.item === 'internaldate');
    for await (const page of core.mail.messages.summaries(accountId, selection.collectionId, uids, IMAP_LIMITS.fetchSummaryPage, { dates })) {
      if (session.bureau?.ending !== undefined) return;
      await writeSummaries(session, page, query);
    }
    return;
  }
  for await (const page of core.mail.messages.read(accountId, selection.collectionId, uids, IMAP_LIMITS.fetchPage)) {
    // the session is being ended (bye.ts): no more is read or written
    if (session.bureau?.ending !== undefined) return;
    let messages = page;
    const unseen = markAsSeen ? page.filter((m) => !m.meta.flags.includes('\\Seen')).map((m) => m.uid) : [];
    if (unseen.length > 0) {
      const result = await notifier.ownWrite(selection,
        () => core.mail.messages.setFlags(accountId, selection.collectionId, unseen, 'add', ['\\Seen']),
        (r) => r.changed.map((c) => c.modseq));
      const changed = new Map(result.changed.map((c) => [c.uid, c]));
      messages = page.map((m) => {
        const c = changed.get(m.uid);
        return c ? { ...m, modseq: c.modseq, meta: { ...m.meta, flags: c.flags } } : m;
      });
    }
    await write(session, messages.map((m) => ({ ...m, flags: m.meta.flags, internalDate: m.meta.internalDate, full: m })), query, bytes, utf8, core);
  }
}

/**
 * FETCH responses of flags, dates and sizes (what a client syncing a big
 * mailbox asks), written as text a page at a time: flags are atoms (the core
 * accepts nothing else), the rest numbers and a date.
 */
async function writeSummaries(session: ImapSession, page: readonly MessageSummary[], query: readonly FetchItem[]): Promise<void> {
  const current = session.selected;
  if (!current) return;
  const items = query.map((q) => q.item);
  const names = items.map((item) => item.toUpperCase());
  let text = '';
  for (const m of page) {
    const seq = sequenceOf(current.uidList, m.uid);
    if (seq === 0) continue;
    let line = `* ${seq} FETCH (`;
    for (let i = 0; i < items.length; i++) {
      if (i > 0) line += ' ';
      switch (items[i]) {
        case 'uid':
          line += `${names[i]} ${m.uid}`;
          break;
        case 'flags':
          line += `${names[i]} (${m.flags.join(' ')})`;
          break;
        case 'modseq':
          line += `${names[i]} (${m.modseq})`;
          break;
        case 'rfc822.size':
          line += `${names[i]} ${m.size}`;
          break;
        default:
          line += `${names[i]} "${internalDate(new Date(m.internalDate))}"`;
      }
    }
    text += text === '' ? `${line})` : `\r\n${line})`;
  }
  if (text !== '' && !session.writeStream.write({ compiled: text })) await drain(session.writeStream);
}

/** What a data item is computed from: a summary, and the stored message when the item needs more. */
interface Source {
  readonly uid: number;
  readonly modseq: number;
  readonly size: number;
  readonly flags: readonly string[];
  readonly internalDate: number;
  readonly full: StoredMessage | null;
}

/**
 * A literal's place in a response given to imap-core's compiler: it writes
 * the length and nothing of the bytes, which are put in place as they are
 * (the compiler would turn each into a string and the stream back into bytes).
 */
interface LiteralSlot {
  readonly length: number;
  toString(): string;
}

/** One FETCH response as bytes: imap-core's compiler for the text, message bytes put in as they are. */
function compileResponse(response: unknown): Buffer {
  const literals: Buffer[] = [];
  const items = (response as { attributes: [unknown, unknown[]] }).attributes[1];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { type?: string; value?: unknown } | null;
    if (item && item.type === 'LITERAL' && Buffer.isBuffer(item.value)) {
      literals.push(item.value);
      const slot: LiteralSlot = { length: item.value.length, toString: () => '' };
      items[i] = { type: 'LITERAL', value: slot };
    }
  }
  const parts = imapHandler.compiler(response, true);
  const out: Buffer[] = [];
  parts.forEach((part, i) => {
    out.push(Buffer.from(part, 'binary'));
    if (i < literals.length) out.push(literals[i]!);
  });
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

async function write(session: ImapSession, messages: readonly Source[], query: readonly FetchItem[], bytes: boolean, utf8: boolean, core: Core): Promise<void> {
  // message bytes are read ahead of the one being written: several at once
  // (each read waits on the disk), bounded in count and in bytes
  const reads: (Promise<Uint8Array> | null)[] = [];
  let ahead = 0;
  let aheadBytes = 0;
  const read = (i: number): void => {
    const m = messages[i];
    if (!m || reads[i] !== undefined) return;
    const p = bytes && m.full ? core.mail.messages.content(m.full) : null;
    // a read that fails is reported when its message's turn comes, never as an unhandled rejection
    p?.catch(() => undefined);
    reads[i] = p;
    ahead++;
    aheadBytes += m.size;
  };
  for (const [i, m] of messages.entries()) {
    read(i);
    for (let k = i + 1; k < messages.length && ahead < IMAP_LIMITS.readAhead && aheadBytes < IMAP_LIMITS.readAheadBytes; k++) read(k);
    const pending = reads[i];
    reads[i] = null;
    ahead--;
    aheadBytes -= m.size;
    const current = session.selected;
    const seq = current && session.bureau?.ending === undefined ? sequenceOf(current.uidList, m.uid) : 0;
    if (seq === 0) {
      await pending?.catch(() => undefined);
      continue;
    }
    const raw = pending ? Buffer.from(await pending) : null;
    const compiled = compileResponse(fetchResponse(seq, query, query.map((q) => value(q, m, raw, utf8))));
    if (!session.writeStream.write({ compiled })) await drain(session.writeStream);
  }
}
