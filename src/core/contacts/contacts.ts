// The contacts service: address object resources (one vCard each) in
// address-book collections, and reading the member directory of each group
// (a stored address book kept by ./directory.ts). Every
// call names the account asking; core/acl decides. Cards are stored byte for
// byte as sent, with their item index; they count against the space's
// document quota (the directory's cards count against none).
import { createHash, randomUUID } from 'node:crypto';
import type { Account, Collection, Item, ItemQuery, Store } from '../../store/types.ts';
import type { Access } from '../access.ts';
import { collectionResource, ensure, itemResource } from '../access.ts';
import { authorize } from '../acl.ts';
import { LISTING_PAGE, readablePages } from '../listing.ts';
import { UidConflict, checkObjectName, nameForUid } from '../calendar/calendars.ts';
import { textMatches, type ParamFilter, type TextMatch } from '../calendar/filter.ts';
import { decodeText } from '../calendar/ical.ts';
import { blocksOf, contentLines, isBlock, lineEnd, nameOf, rawOf, type Block } from '../calendar/lines.ts';
import { NotFound, PreconditionFailed } from '../errors.ts';
import type { Quota } from '../quota.ts';
import type { MemberDirectory } from './directory.ts';
import { CARD_TEXT_FIELDS, InvalidAddressData, parseVCardBytes, parseVCardText, vcardTexts, type VCardObject } from './vcard.ts';

export const VCARD_CONTENT_TYPE = 'text/vcard; charset=utf-8';

export interface PutOptions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: boolean;
}

/** A CardDAV prop-filter (RFC 6352 §10.5.1). */
export interface CardPropFilter {
  /** a property name: FN, N, EMAIL, TEL, ORG, NICKNAME, UID… */
  readonly name: string;
  /** how its text-matches and param-filters combine; default anyof */
  readonly test?: 'anyof' | 'allof';
  readonly isNotDefined?: boolean;
  readonly textMatches?: readonly TextMatch[];
  readonly params?: readonly ParamFilter[];
}

/** An addressbook-query filter (RFC 6352 §10.5): prop-filters combined by `test` (default anyof); none matches every card. */
export interface AddressBookQuery {
  readonly test?: 'anyof' | 'allof';
  readonly props?: readonly CardPropFilter[];
}

export interface DirectoryCard {
  readonly accountId: number;
  /** the resource name, stable per account */
  readonly name: string;
  /** the vCard UID, stable per account */
  readonly uid: string;
  /** changes when the card's content does (a profile change) */
  readonly etag: string;
  readonly text: string;
  readonly content: Uint8Array;
}

export interface Directory {
  readonly groupId: number;
  readonly cards: readonly DirectoryCard[];
  /** changes when any card changes, or a member comes or goes (a getctag) */
  readonly ctag: string;
}

export type ImportOutcome =
  | { readonly uid: string; readonly name: string; readonly status: 'created' | 'updated'; readonly uidAdded: boolean }
  | { readonly uid: string | null; readonly status: 'refused'; readonly reason: string };

const FIELD_OF: Readonly<Record<string, string>> = Object.fromEntries(CARD_TEXT_FIELDS.map((f) => [f, f]));

/** The item index of a card: its UID, its kind, and lower-cased text fields for addressbook-query. */
export function cardIndex(v: VCardObject): { fields: Record<string, string[]> } {
  const fields: Record<string, string[]> = { kind: [v.kind] };
  if (v.uid) fields['vcard-uid'] = [v.uid];
  for (const f of CARD_TEXT_FIELDS) {
    const values = [...new Set(vcardTexts(v.card, f).map((s) => s.toLowerCase()).filter((s) => s.trim() !== ''))];
    if (values.length) fields[f] = values;
  }
  return { fields };
}

function cardMatches(v: VCardObject, q: AddressBookQuery): boolean {
  const props = q.props ?? [];
  if (props.length === 0) return true;
  const one = (pf: CardPropFilter): boolean => {
    const present = v.card.getAllProperties(pf.name.toLowerCase());
    if (pf.isNotDefined) return present.length === 0;
    if (present.length === 0) return false;
    const tests: boolean[] = [];
    for (const tm of pf.textMatches ?? []) tests.push(textMatches(vcardTexts(v.card, pf.name), tm));
    for (const pa of pf.params ?? []) {
      tests.push(present.some((p) => {
        const raw = p.getParameter(pa.name.toLowerCase());
        const values = raw === undefined || raw === null ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
        if (pa.isNotDefined) return values.length === 0;
        if (values.length === 0) return false;
        return pa.textMatch ? textMatches(values, pa.textMatch) : true;
      }));
    }
    if (tests.length === 0) return true;
    return pf.test === 'allof' ? tests.every(Boolean) : tests.some(Boolean);
  };
  return q.test === 'allof' ? props.every(one) : props.some(one);
}

/** A superset of the answer from the index, or null to look at every card. */
function cardNarrowing(q: AddressBookQuery): ItemQuery | null {
  const props = q.props ?? [];
  if (props.length === 0) return null;
  const per = props.map((pf): ItemQuery | null => {
    const field = pf.name.toLowerCase() === 'uid' ? null : FIELD_OF[pf.name.toLowerCase()];
    if (!field || pf.isNotDefined) return null;
    const tms = (pf.textMatches ?? []).filter((t) => !t.negate);
    if (tms.length === 0 || (pf.test !== 'allof' && tms.length !== (pf.textMatches ?? []).length) || (pf.params?.length && pf.test !== 'allof')) {
      return { field, contains: '' };
    }
    const terms: ItemQuery[] = tms.map((t) => ({ field, contains: t.text.toLowerCase() }));
    return terms.length === 1 ? terms[0]! : pf.test === 'allof' ? { and: terms } : { or: terms };
  });
  if (q.test === 'allof') {
    const known = per.filter((x): x is ItemQuery => x !== null);
    return known.length === 0 ? null : known.length === 1 ? known[0]! : { and: known };
  }
  if (per.some((x) => x === null)) return null;
  return per.length === 1 ? per[0]! : { or: per as ItemQuery[] };
}

function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\r\n|\r|\n/g, '\\n').replace(/,/g, '\\,').replace(/;/g, '\\;');
}

/** Folds a content line at 75 octets (RFC 6350 §3.2), never inside a UTF-8 sequence. */
function fold(line: string): string {
  const out: string[] = [];
  let cur = '';
  let bytes = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > (out.length === 0 ? 75 : 74)) {
      out.push(cur);
      cur = '';
      bytes = 0;
    }
    cur += ch;
    bytes += n;
  }
  out.push(cur);
  return out.join('\r\n ');
}

function hashHex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A UUID made from a name (RFC 4122 §4.3 shape, SHA-256 based). */
function nameUuid(name: string): string {
  const h = hashHex(name);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** The vCard UID of an account's directory card, stable per account and installation. */
export function directoryUid(installation: string, accountId: number): string {
  return `urn:uuid:${nameUuid(`bureau-directory-card:${installation}:${accountId}`)}`;
}

const PHOTO = /^data:image\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+$/i;

/** The vCard 4.0 directory card of an account: FN, N, ORG, EMAIL, PHOTO, from its profile. */
export function directoryCardText(account: Account, uid: string): string {
  const p = account.profile;
  const fn = account.name.trim() || [p.firstName, p.lastName].filter(Boolean).join(' ') || account.address;
  const lines = [
    'BEGIN:VCARD',
    'VERSION:4.0',
    'PRODID:-//Bureau//Directory//EN',
    `UID:${uid}`,
    'KIND:individual',
    `FN:${escapeText(fn)}`,
    `N:${escapeText(p.lastName)};${escapeText(p.firstName)};;;`,
  ];
  if (p.organisation.trim()) lines.push(`ORG:${escapeText(p.organisation.trim())}`);
  lines.push(`EMAIL;TYPE=work:${escapeText(account.address)}`);
  if (PHOTO.test(p.photo)) lines.push(`PHOTO:${p.photo}`);
  lines.push('END:VCARD');
  return lines.map((l) => `${fold(l)}\r\n`).join('');
}

export class Contacts {
  private readonly store: Store;
  private readonly quota: Quota;
  private readonly access: Access;
  private readonly memberDirectory: MemberDirectory;

  constructor(store: Store, quota: Quota, access: Access, memberDirectory: MemberDirectory) {
    this.store = store;
    this.quota = quota;
    this.access = access;
    this.memberDirectory = memberDirectory;
  }

  async addressBook(collectionId: number): Promise<Collection> {
    const c = await this.store.getCollection(collectionId);
    if (!c || c.tool !== 'contacts') throw new NotFound(`address book ${collectionId} does not exist`);
    return c;
  }

  /**
   * Parses and validates bytes as one address object resource, without
   * storing anything. A card without UID is refused (RFC 6352 §5.1: the
   * door answers valid-address-data), as is anything but one vCard.
   */
  validate(bytes: Uint8Array): VCardObject & { uid: string } {
    const v = parseVCardBytes(bytes);
    if (!v.uid) throw new InvalidAddressData('valid-address-data', 'the vCard has no UID; every vCard in an address book needs one (RFC 6352 §5.1)');
    return v as VCardObject & { uid: string };
  }

  /** Creates or replaces the card `name` (a CardDAV PUT); the same rules and errors as Calendars.put. */
  async put(accountId: number, collectionId: number, name: string, bytes: Uint8Array, options: PutOptions = {}): Promise<{ item: Item; created: boolean }> {
    checkObjectName(name);
    const collection = await this.addressBook(collectionId);
    const existing = await this.store.getItemByName(collectionId, name);
    const principal = await this.access.principal(accountId);
    ensure(authorize(principal, 'write', existing ? await itemResource(this.store, existing) : await collectionResource(this.store, collection)));
    if (existing && options.ifNoneMatch) throw new PreconditionFailed(`${name} already exists`);
    if (!existing && options.ifMatch !== undefined) throw new PreconditionFailed(`${name} does not exist`);
    if (existing && options.ifMatch !== undefined && options.ifMatch !== existing.etag) throw new PreconditionFailed(`${name} has changed`);
    const v = this.validate(bytes);
    for (const u of await this.store.searchItems(collectionId, { field: 'vcard-uid', equals: v.uid })) {
      const other = await this.store.getItemByUid(collectionId, u);
      if (other && other.name !== name) throw new UidConflict(v.uid, other.name ?? String(other.uid), 'address book');
    }
    const limit = await this.quota.limit(collection.spaceId, 'files');
    const item = await this.store.putItem({
      collectionId,
      name,
      content: bytes,
      size: bytes.byteLength,
      contentType: VCARD_CONTENT_TYPE,
      meta: { uid: v.uid, version: v.version, kind: v.kind },
      quotaLimit: limit,
      ...(existing ? { ifMatch: options.ifMatch ?? existing.etag } : { ifNoneMatch: true }),
      index: cardIndex(v),
    });
    if (!existing) {
      const uids = await this.store.searchItems(collectionId, { field: 'vcard-uid', equals: v.uid });
      const first = Math.min(...uids);
      if (uids.length > 1 && first !== item.uid) {
        const other = await this.store.getItemByUid(collectionId, first);
        await this.store.deleteItem(item.id);
        throw new UidConflict(v.uid, other?.name ?? String(first), 'address book');
      }
    }
    return { item, created: !existing };
  }

  async get(accountId: number, collectionId: number, name: string): Promise<{ item: Item; content: Uint8Array }> {
    await this.addressBook(collectionId);
    const item = await this.store.getItemByName(collectionId, name);
    if (!item) throw new NotFound(`${name} does not exist`);
    ensure(authorize(await this.access.principal(accountId), 'read', await itemResource(this.store, item)));
    return { item, content: await this.store.readItemContent(item) };
  }

  async delete(accountId: number, collectionId: number, name: string, options: { ifMatch?: string } = {}): Promise<void> {
    await this.addressBook(collectionId);
    const item = await this.store.getItemByName(collectionId, name);
    if (!item) throw new NotFound(`${name} does not exist`);
    ensure(authorize(await this.access.principal(accountId), 'delete', await itemResource(this.store, item)));
    if (options.ifMatch !== undefined && options.ifMatch !== item.etag) throw new PreconditionFailed(`${name} has changed`);
    await this.store.deleteItem(item.id);
  }

  async list(accountId: number, collectionId: number): Promise<Item[]> {
    const collection = await this.addressBook(collectionId);
    return this.access.readableItems(accountId, collection, await this.allItems(collectionId));
  }

  /**
   * The cards of the address book the account may read (a PROPFIND Depth 1),
   * in uid order as list gives them, in pages of at most `pageSize` read from
   * the store one at a time, so a book of 10,000 cards is never in memory at
   * once. The address book is checked before the first page; a page with
   * nothing readable is skipped.
   */
  async *listPages(accountId: number, collectionId: number, pageSize = LISTING_PAGE): AsyncGenerator<Item[]> {
    const collection = await this.addressBook(collectionId);
    yield* readablePages(this.store, this.access, accountId, collection, pageSize);
  }

  private async allItems(collectionId: number): Promise<Item[]> {
    const items: Item[] = [];
    for (let after = 0; ;) {
      const page = await this.store.listItems(collectionId, { afterUid: after, limit: 1000 });
      items.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.uid;
    }
    return items;
  }

  async getMany(accountId: number, collectionId: number, names: readonly string[]): Promise<{ item: Item; content: Uint8Array }[]> {
    const readable = await this.readableNamed(accountId, collectionId, names);
    const contents = await this.store.readItemContents(readable);
    return readable.map((item) => ({ item, content: contents.get(item.id)! }));
  }

  /** The items of those names that exist and the account may read, without their bytes (a REPORT asking only for ETags), in uid order. */
  async readableNamed(accountId: number, collectionId: number, names: readonly string[]): Promise<Item[]> {
    const collection = await this.addressBook(collectionId);
    const items = names.length === 0 ? [] : await this.store.getItemsByNames(collectionId, names);
    return this.access.readableItems(accountId, collection, items);
  }

  /** The cards that match (addressbook-query), among those the account may read; the index narrows, each candidate is then checked. */
  async query(accountId: number, collectionId: number, q: AddressBookQuery, limit?: number): Promise<Item[]> {
    const collection = await this.addressBook(collectionId);
    const narrow = cardNarrowing(q);
    let items: Item[];
    if (narrow) {
      const uids = new Set(await this.store.searchItems(collectionId, narrow));
      if (uids.size === 0) return [];
      items = await this.store.getItemsByUids(collectionId, [...uids]);
    } else {
      items = await this.allItems(collectionId);
    }
    const readable = await this.access.readableItems(accountId, collection, items);
    if ((q.props ?? []).length === 0) return limit === undefined ? readable : readable.slice(0, limit);
    const out: Item[] = [];
    const decoder = new TextDecoder();
    // read a page of candidates at a time: a limit may be reached before all are read
    for (let at = 0; at < readable.length && (limit === undefined || out.length < limit); at += 500) {
      const page = readable.slice(at, at + 500);
      const contents = await this.store.readItemContents(page);
      for (const item of page) {
        let v: VCardObject;
        try {
          v = parseVCardText(decoder.decode(contents.get(item.id)!));
        } catch {
          continue;
        }
        if (!cardMatches(v, q)) continue;
        out.push(item);
        if (limit !== undefined && out.length >= limit) break;
      }
    }
    return out;
  }

  /** The card of the address book with that UID. */
  async findByUid(collectionId: number, uid: string): Promise<Item | null> {
    const [u] = await this.store.searchItems(collectionId, { field: 'vcard-uid', equals: uid });
    return u === undefined ? null : this.store.getItemByUid(collectionId, u);
  }

  /**
   * Imports a .vcf file (many cards, 2.1 to 4.0): each card is cut from the
   * file byte for byte; a card without UID gets one (a UID line is added
   * after VERSION). A card whose UID is in the address book replaces it.
   * Each goes through `put`; the outcome of each is reported.
   */
  async import(accountId: number, collectionId: number, bytes: Uint8Array): Promise<ImportOutcome[]> {
    await this.addressBook(collectionId);
    const text = decodeText(bytes, 'vCard file', (m) => new InvalidAddressData('valid-address-data', m));
    const lines = contentLines(text, true);
    const eol = lineEnd(lines);
    const out: ImportOutcome[] = [];
    const blocks = blocksOf(lines);
    if (blocks.length === 0) return [{ uid: null, status: 'refused', reason: 'the file holds no vCard' }];
    for (const b of blocks) {
      if (b.name !== 'VCARD') {
        out.push({ uid: null, status: 'refused', reason: `a ${b.name} is not a vCard` });
        continue;
      }
      let cardText = rawOf(b);
      let v: VCardObject;
      try {
        v = parseVCardText(cardText);
      } catch (err) {
        out.push({ uid: null, status: 'refused', reason: (err as Error).message });
        continue;
      }
      const uidAdded = v.uid === null;
      const uid = v.uid ?? randomUUID();
      if (uidAdded) cardText = withUidAfterVersion(b, v.version === '4.0' ? `urn:uuid:${uid}` : uid, eol);
      const finalUid = uidAdded && v.version === '4.0' ? `urn:uuid:${uid}` : uid;
      try {
        const existing = uidAdded ? null : await this.findByUid(collectionId, uid);
        let name = existing?.name ?? nameForUid(uid, '.vcf');
        if (!existing && (await this.store.getItemByName(collectionId, name))) name = `${randomUUID()}.vcf`;
        await this.put(accountId, collectionId, name, new TextEncoder().encode(cardText), existing ? { ifMatch: existing.etag } : { ifNoneMatch: true });
        out.push({ uid: finalUid, name, status: existing ? 'updated' : 'created', uidAdded });
      } catch (err) {
        out.push({ uid: finalUid, status: 'refused', reason: (err as Error).message });
      }
    }
    return out;
  }

  // ----- the member directory of a group (kept by core/contacts/directory.ts)

  /** The group's directory collection (made now for a group that has none yet), for a member; Forbidden otherwise. */
  async directoryCollection(accountId: number, groupId: number): Promise<Collection> {
    const principal = await this.access.principal(accountId);
    if (!(await this.store.getGroup(groupId))) throw new NotFound(`group ${groupId} does not exist`);
    ensure(authorize(principal, 'read', { kind: 'group', groupId }));
    const c = await this.memberDirectory.collection(groupId);
    if (!c) throw new NotFound(`group ${groupId} does not exist`);
    ensure(authorize(principal, 'read', await collectionResource(this.store, c)));
    return c;
  }

  private async directoryCards(items: readonly Item[]): Promise<DirectoryCard[]> {
    return Promise.all(items.map(async (item) => {
      const content = await this.store.readItemContent(item);
      return {
        accountId: Number(item.meta.accountId),
        name: item.name ?? String(item.uid),
        uid: String(item.meta.uid),
        etag: `"${item.etag}"`,
        text: new TextDecoder().decode(content),
        content,
      };
    }));
  }

  /**
   * The member directory of a group: the stored cards, one vCard 4.0 per
   * member, kept in step with the members' profiles and departures. Only
   * members may read it (Forbidden otherwise).
   */
  async directory(accountId: number, groupId: number): Promise<Directory> {
    const c = await this.directoryCollection(accountId, groupId);
    const cards = await this.directoryCards(await this.allItems(c.id));
    cards.sort((a, b) => a.name.localeCompare(b.name));
    return { groupId, cards, ctag: `"${hashHex(cards.map((x) => `${x.name} ${x.etag}`).join('\n')).slice(0, 32)}"` };
  }

  /** The cards of a group's directory that match an addressbook-query filter (the same matching as `query`), at most `limit`. */
  async directoryQuery(accountId: number, groupId: number, q: AddressBookQuery, limit?: number): Promise<DirectoryCard[]> {
    const c = await this.directoryCollection(accountId, groupId);
    return this.directoryCards(await this.query(accountId, c.id, q, limit));
  }

  /** One card of a group's directory, by resource name. */
  async directoryCard(accountId: number, groupId: number, name: string): Promise<DirectoryCard> {
    const c = await this.directoryCollection(accountId, groupId);
    const item = await this.store.getItemByName(c.id, name);
    if (!item) throw new NotFound(`${name} is not in the directory`);
    return (await this.directoryCards([item]))[0]!;
  }
}

/** The card's text with a UID line added after its VERSION line. */
function withUidAfterVersion(b: Block, uid: string, eol: string): string {
  let added = false;
  const parts = [b.begin.raw];
  for (const x of b.body) {
    if (isBlock(x)) {
      parts.push(rawOf(x));
      continue;
    }
    parts.push(x.raw);
    if (!added && nameOf(x.logical) === 'VERSION') {
      if (!/[\r\n]$/.test(x.raw)) parts.push(eol);
      parts.push(`UID:${uid}${x.eol || eol}`);
      added = true;
    }
  }
  if (!added) parts.splice(1, 0, `UID:${uid}${b.begin.eol || eol}`);
  parts.push(b.end?.raw ?? '');
  return parts.join('');
}
