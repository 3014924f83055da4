// The items of one collection the account may share, a page at a time, for
// the web site's form that shares a single event, contact or file: events
// with their summary and start, contacts with their name, files with their
// name and size, each with the groups it is already shared with. A search
// goes through the store's item index (an event's summary, a card's FN,
// lower-cased as the index keeps them) or, for files, which have no index,
// through the beginning of the name. Only a collection on which core/acl
// gives the account `share` is listed; the share itself is made by
// core/sharing under the same check.
import type { Grant, Group, Item, ItemQuery, Right, Store } from '../store/types.ts';
import { authorize } from './acl.ts';
import { collectionResource, ensure, loadPrincipal } from './access.ts';
import { contentLines, nameOf, valueOf } from './calendar/lines.ts';
import { InvalidInput, NotFound } from './errors.ts';
import { listShareable, presetOf, type ShareableCollection } from './share-listings.ts';

/** The most items one page shows. */
export const ITEMS_PER_PAGE = 100;
/** The longest search text taken, in characters. */
export const MAX_ITEM_SEARCH = 200;

export interface ItemShareLine {
  readonly grant: Grant;
  readonly group: Group;
  /** the preset the rights are, or null */
  readonly preset: string | null;
}

export interface ShareableItem {
  readonly id: number;
  /** its name in the collection (file name, DAV resource name) */
  readonly name: string;
  /** an event's SUMMARY, a card's FN; the name when it has none (and for files) */
  readonly title: string;
  /** an event's DTSTART as written: `2026-03-10`, `2026-03-10 09:00 UTC`, `2026-03-10 09:00 Europe/Paris`; null for others */
  readonly start: string | null;
  readonly size: number;
  /** the shares of this very item */
  readonly shares: readonly ItemShareLine[];
}

export interface ShareableItemPage {
  readonly collection: ShareableCollection;
  /** the search as taken (trimmed, bounded), '' for none */
  readonly search: string;
  /** the page shown, from 1; a page past the last one shows the last */
  readonly page: number;
  readonly pages: number;
  /** the items matching the search (all of them when there is none) */
  readonly total: number;
  /** the position of the first item of the page among them, from 0 */
  readonly offset: number;
  readonly items: readonly ShareableItem[];
}

export interface ItemPageRequest {
  readonly search?: string;
  readonly page?: number;
}

/** Unescapes an iCalendar/vCard TEXT value (RFC 5545 3.3.11). */
function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? ' ' : c));
}

/** `20260310T090000Z` with its parameters, as a person reads it. */
function startText(logical: string): string | null {
  const value = valueOf(logical).trim();
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})\d{2}(Z)?)?$/.exec(value);
  if (!m) return value === '' ? null : value;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  if (m[4] === undefined) return date;
  const head = logical.slice(0, Math.max(0, logical.length - valueOf(logical).length - 1));
  const tzid = /;TZID=("?)([^;:"]+)\1/i.exec(head)?.[2];
  const zone = m[6] ? ' UTC' : tzid ? ` ${tzid}` : '';
  return `${date} ${m[4]}:${m[5]}${zone}`;
}

/** SUMMARY and DTSTART of the first event (or task, or journal entry) of a calendar object; FN of a card. */
function eventOrCard(text: string, tool: 'calendar' | 'contacts'): { title: string | null; start: string | null } {
  if (tool === 'contacts') {
    const fn = contentLines(text).find((l) => nameOf(l.logical) === 'FN');
    const title = fn ? unescapeText(valueOf(fn.logical)).trim() : '';
    return { title: title === '' ? null : title, start: null };
  }
  const stack: string[] = [];
  let title: string | null = null;
  let start: string | null = null;
  for (const line of contentLines(text)) {
    const name = nameOf(line.logical);
    if (name === 'BEGIN') { stack.push(valueOf(line.logical).trim().toUpperCase()); continue; }
    if (name === 'END') {
      const ended = stack.pop();
      if ((title !== null || start !== null) && (ended === 'VEVENT' || ended === 'VTODO' || ended === 'VJOURNAL')) break;
      continue;
    }
    const at = stack[stack.length - 1];
    if (stack.length !== 2 || (at !== 'VEVENT' && at !== 'VTODO' && at !== 'VJOURNAL')) continue;
    if (name === 'SUMMARY' && title === null) {
      const v = unescapeText(valueOf(line.logical)).trim();
      if (v !== '') title = v;
    } else if (name === 'DTSTART' && start === null) {
      start = startText(line.logical);
    }
  }
  return { title, start };
}

/** What a search asks of the store for the tool. */
function searchQuery(tool: 'calendar' | 'contacts' | 'files', search: string): ItemQuery {
  if (search === '') return { all: true };
  if (tool === 'calendar') return { field: 'summary', contains: search.toLowerCase() };
  if (tool === 'contacts') return { field: 'fn', contains: search.toLowerCase() };
  // file names are matched exactly from their beginning: as typed, in lower case, and with a capital first letter
  const first = [...search.toLowerCase()];
  const variants = new Set([search, search.toLowerCase(), (first[0] ?? '').toUpperCase() + first.slice(1).join('')]);
  return { or: [...variants].map((namePrefix) => ({ namePrefix })) };
}

/**
 * One page of the items of a collection the account may share (its own, or
 * one of a group it administers). A collection it may not share is not found
 * (nothing tells whose it is); a mailbox is refused (its messages are shared
 * with the whole mailbox).
 */
export async function listShareableItems(store: Store, presets: Readonly<Record<string, readonly Right[]>>, accountId: number,
  collectionId: number, request: ItemPageRequest = {}): Promise<ShareableItemPage> {
  const target = (await listShareable(store, accountId)).find((c) => c.collection.id === collectionId);
  if (!target) throw new NotFound(`there is no calendar, address book or folder ${collectionId} of yours to share from`);
  const tool = target.tool;
  if (tool === 'mail') throw new InvalidInput('collection', 'single messages are not shared one by one; share the whole mailbox');
  // the listing above asked core/acl already; asked again with the collection's grants loaded, as every share is
  ensure(authorize(await loadPrincipal(store, accountId), 'share', await collectionResource(store, target.collection)));

  const search = [...(request.search ?? '').trim()].slice(0, MAX_ITEM_SEARCH).join('');
  const uids = await store.searchItems(collectionId, searchQuery(tool, search));
  const total = uids.length;
  const pages = Math.max(1, Math.ceil(total / ITEMS_PER_PAGE));
  const asked = request.page !== undefined && Number.isSafeInteger(request.page) && request.page >= 1 ? request.page : 1;
  const page = Math.min(asked, pages);
  const offset = (page - 1) * ITEMS_PER_PAGE;
  const items = await store.getItemsByUids(collectionId, uids.slice(offset, offset + ITEMS_PER_PAGE));
  const contents = tool === 'files' ? new Map<number, Uint8Array>() : await store.readItemContents(items);

  const onPage = new Set(items.map((i) => i.id));
  const grants = (await store.listItemGrants(collectionId)).filter((g) => g.itemId !== null && onPage.has(g.itemId));
  const groups = new Map<number, Group | null>();
  for (const g of grants) if (!groups.has(g.groupId)) groups.set(g.groupId, await store.getGroup(g.groupId));

  const decoder = new TextDecoder();
  const describeItem = (item: Item): ShareableItem => {
    const name = item.name ?? String(item.uid);
    const bytes = contents.get(item.id);
    const d = bytes && tool !== 'files' ? eventOrCard(decoder.decode(bytes), tool) : { title: null, start: null };
    const shares: ItemShareLine[] = [];
    for (const grant of grants) {
      const group = groups.get(grant.groupId);
      if (grant.itemId === item.id && group) shares.push({ grant, group, preset: presetOf(presets, grant.rights) });
    }
    shares.sort((a, b) => a.group.name.localeCompare(b.group.name));
    return { id: item.id, name, title: d.title ?? name, start: d.start, size: item.size, shares };
  };
  return { collection: target, search, page, pages, total, offset, items: items.map(describeItem) };
}
