// FETCH: the asked data items of each message, page by page from the store,
// written as they are ready and no faster than the client reads them. Only
// items that need the message's bytes read them (BODY[...], RFC822*); the
// rest come from the meta. BODY[] without PEEK sets \Seen where the account
// may write, as one batch per page.
import type { Core } from '../../core/index.ts';
import { holds } from '../../core/acl.ts';
import type { StoredMessage } from '../../core/mail/index.ts';
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

function needsBytes(query: readonly FetchItem[]): boolean {
  return query.some((q) => BYTES_ITEMS.has(q.item) || (q.item === 'body' && q.type !== undefined));
}

function drain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

/** The value of one data item for one message. */
function value(q: FetchItem, m: StoredMessage, raw: Buffer | null, utf8: boolean): unknown {
  switch (q.item) {
    case 'uid':
      return m.uid;
    case 'modseq':
      return m.modseq;
    case 'flags':
      return [...m.meta.flags];
    case 'internaldate':
      return new Date(m.meta.internalDate);
    case 'rfc822.size':
      return m.size;
    case 'envelope':
      return envelope(m.meta.envelope, utf8);
    case 'bodystructure':
      return bodyStructure(m.meta.mime, true, utf8);
    case 'rfc822':
      return raw!;
    case 'rfc822.header':
      return sectionBytes(raw!, m.meta.mime, { path: '', type: 'header' });
    case 'rfc822.text':
      return sectionBytes(raw!, m.meta.mime, { path: '', type: 'text' });
    case 'body': {
      if (q.type === undefined) return bodyStructure(m.meta.mime, false, utf8);
      let bytes = sectionBytes(raw!, m.meta.mime, { path: q.path ?? '', type: q.type, headers: q.headers ?? [] });
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
  for await (const page of core.mail.messages.read(accountId, selection.collectionId, uids, IMAP_LIMITS.fetchPage)) {
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
    for (const m of messages) {
      const raw = bytes ? Buffer.from(await core.mail.messages.content(m)) : null;
      const response = session.formatResponse('FETCH', m.uid, { query, values: query.map((q) => value(q, m, raw, utf8)) });
      if (!response) continue;
      const compiled = imapHandler.compiler(response);
      if (!session.writeStream.write({ compiled })) await drain(session.writeStream);
    }
  }
}
