// The calendars service: calendar object resources (one UID each, with its
// overrides) in calendar collections, as a CalDAV door or the web site asks
// for them. Every call names the account asking; core/acl decides. Objects
// are stored byte for byte as sent, with their item index (indexing.ts);
// they count against the space's document quota.
import { randomUUID } from 'node:crypto';
import type { Collection, Item, ItemQuery, Store } from '../../store/types.ts';
import type { Access } from '../access.ts';
import { collectionResource, ensure, itemResource } from '../access.ts';
import { authorize } from '../acl.ts';
import { LISTING_PAGE, readablePages } from '../listing.ts';
import { Conflict, NotFound, PreconditionFailed } from '../errors.ts';
import type { Quota } from '../quota.ts';
import { expand, MAX_TIME, MIN_TIME, overlaps, type Occurrence } from './expand.ts';
import { expandedText, limitedText, type Range } from './expanded.ts';
import { limitFreeBusy, selectCalendarData, type CompSelection } from './partial.ts';
import { matches, narrowing, needsExpansion, toFilter, type CalendarQuery, type CompFilter } from './filter.ts';
import { busyTypeOf, formatFreeBusy, mergeBusy, type BusyPeriod } from './freebusy.ts';
import {
  decodeText, forParsing, InvalidCalendarData, MAX_CALENDAR_OBJECT_BYTES, parseCalendarObject, repairQuotedTzid, type CalendarObject, type ComponentKind,
} from './ical.ts';
import { calendarIndex, RANGE_BEYOND, RANGE_EVENT } from './indexing.ts';
import { blocksOf, contentLines, isBlock, lineEnd, logicalOf, nameOf, rawOf, valueOf, type Block, type RawLine } from './lines.ts';
import { namedZone, UTC, ZoneResolver, type Zone } from './zones.ts';
import ICAL from 'ical.js';

export interface CalendarSettings {
  /** how many years ahead of now occurrences are indexed */
  readonly horizonYears: number;
  /** the most occurrences indexed per object */
  readonly maxOccurrences: number;
  /** the clock (tests set it) */
  readonly now?: () => number;
}

export const DEFAULT_CALENDAR_SETTINGS: CalendarSettings = { horizonYears: 5, maxOccurrences: 3000 };

export const CALENDAR_CONTENT_TYPE = 'text/calendar; charset=utf-8';

export interface PutOptions {
  /** replace only if the current object has this ETag */
  readonly ifMatch?: string;
  /** create only */
  readonly ifNoneMatch?: boolean;
}

/** The UID is already used by another object of the collection (CalDAV no-uid-conflict). */
export class UidConflict extends Conflict {
  override name = 'UidConflict';
  readonly uid: string;
  /** the name of the object that has the UID */
  readonly existingName: string;
  constructor(uid: string, existingName: string, what = 'calendar') {
    super(`the UID ${uid} is already used by ${existingName} in this ${what}`);
    this.uid = uid;
    this.existingName = existingName;
  }
}

export type FreeBusyTarget =
  /** the calendars of an account's personal space (those not marked transparent) */
  | { readonly accountId: number }
  /** given calendar collections (a free-busy-query REPORT on one) */
  | { readonly collectionIds: readonly number[] };

export interface FreeBusyResult {
  readonly start: number;
  readonly end: number;
  readonly periods: readonly BusyPeriod[];
  /** a VCALENDAR with one VFREEBUSY */
  readonly text: string;
}

export interface OccurrenceInfo {
  readonly start: number;
  readonly end: number;
  /** the instance's RECURRENCE-ID as an instant, null for a non-recurring object */
  readonly recurrenceId: number | null;
  /** whether an override gives this instance */
  readonly override: boolean;
  readonly status: string | null;
}

export type ImportOutcome =
  | { readonly uid: string; readonly name: string; readonly status: 'created' | 'updated' }
  | { readonly uid: string | null; readonly status: 'refused'; readonly reason: string };

/** DAV resource names: what any client can put in a URL segment. */
export function checkObjectName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\u0000-\u001f\u007f]/.test(name) || Buffer.byteLength(name, 'utf8') > 255) {
    throw new InvalidCalendarData('valid-calendar-object-resource', `${JSON.stringify(name)} cannot be the name of a calendar object`);
  }
}

/** A resource name made from a UID when it is safe in a URL, else a fresh one. */
export function nameForUid(uid: string, ext: string): string {
  return /^[A-Za-z0-9@._-]{1,200}$/.test(uid) && !uid.startsWith('.') ? `${uid}${ext}` : `${randomUUID()}${ext}`;
}

/** Properties whose changes collection props may carry: an IANA/Windows name, or a VCALENDAR with one VTIMEZONE (CALDAV:calendar-timezone). */
export function zoneFromSpec(spec: string | undefined | null): Zone | null {
  if (!spec) return null;
  const s = spec.trim();
  if (!/BEGIN:VCALENDAR/i.test(s)) {
    const z = namedZone(s);
    return z.kind === 'utc' && !/^(utc|gmt|z|etc\/utc)$/i.test(s) ? null : z;
  }
  try {
    const text = forParsing(s.slice(s.search(/BEGIN:VCALENDAR/i)).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
    const root = new ICAL.Component(ICAL.parse(text) as unknown[]);
    const tzs = root.getAllSubcomponents('vtimezone');
    const id = tzs[0]?.getFirstPropertyValue('tzid');
    return typeof id === 'string' ? new ZoneResolver(tzs).resolve(id) : null;
  } catch {
    return null;
  }
}

/** What a calendar-data element asks for (Calendars.shapeData). */
export interface DataShape {
  readonly expand?: Range;
  readonly limit?: Range;
  readonly limitFreeBusy?: Range;
  readonly select?: CompSelection;
  /** the zone floating and all-day values are read in for expand and limit */
  readonly timezone?: string;
}

export class Calendars {
  private readonly store: Store;
  private readonly quota: Quota;
  private readonly access: Access;
  private readonly settings: CalendarSettings;

  constructor(store: Store, quota: Quota, access: Access, settings: CalendarSettings = DEFAULT_CALENDAR_SETTINGS) {
    this.store = store;
    this.quota = quota;
    this.access = access;
    this.settings = settings;
  }

  private now(): number {
    return this.settings.now ? this.settings.now() : Date.now();
  }

  /** The calendar collection, or NotFound. */
  async calendar(collectionId: number): Promise<Collection> {
    const c = await this.store.getCollection(collectionId);
    if (!c || c.tool !== 'calendar') throw new NotFound(`calendar ${collectionId} does not exist`);
    return c;
  }

  /** The zone floating times of the calendar are read in: its `timezone` prop (or CalDAV's calendar-timezone), else UTC. */
  zoneOf(collection: Collection): Zone {
    return zoneFromSpec(collection.props.timezone) ?? zoneFromSpec(collection.props['{urn:ietf:params:xml:ns:caldav}calendar-timezone']) ?? UTC;
  }

  /** The item index of an object; a recurrence ical.js cannot expand is refused as invalid data. */
  indexOf(obj: CalendarObject): ReturnType<typeof calendarIndex> {
    try {
      return calendarIndex(obj, { now: this.now(), horizonYears: this.settings.horizonYears, maxOccurrences: this.settings.maxOccurrences });
    } catch (err) {
      throw new InvalidCalendarData('valid-calendar-data', `the recurrence of ${obj.uid} cannot be expanded: ${(err as Error).message}`);
    }
  }

  /** Parses and validates bytes as one calendar object resource, without storing anything. */
  validate(bytes: Uint8Array): CalendarObject {
    if (bytes.byteLength > MAX_CALENDAR_OBJECT_BYTES) {
      throw new InvalidCalendarData('max-resource-size', `a calendar object may have at most ${MAX_CALENDAR_OBJECT_BYTES} bytes; this one has ${bytes.byteLength}`);
    }
    const text = decodeText(bytes, 'calendar object', (m) => new InvalidCalendarData('valid-calendar-data', m));
    return parseCalendarObject(text);
  }

  /**
   * Creates or replaces the object `name` (a CalDAV PUT). Needs `write` on
   * the calendar (a new object) or on the object (a replacement). Refuses
   * invalid data (InvalidCalendarData), a UID another object of the
   * calendar has (UidConflict), a failed If-Match / If-None-Match
   * (PreconditionFailed) and a write over the quota (QuotaExceeded); nothing
   * is stored then.
   */
  async put(accountId: number, collectionId: number, name: string, bytes: Uint8Array, options: PutOptions = {}): Promise<{ item: Item; created: boolean }> {
    checkObjectName(name);
    const collection = await this.calendar(collectionId);
    const existing = await this.store.getItemByName(collectionId, name);
    const principal = await this.access.principal(accountId);
    ensure(authorize(principal, 'write', existing ? await itemResource(this.store, existing) : await collectionResource(this.store, collection)));
    if (existing && options.ifNoneMatch) throw new PreconditionFailed(`${name} already exists`);
    if (!existing && options.ifMatch !== undefined) throw new PreconditionFailed(`${name} does not exist`);
    if (existing && options.ifMatch !== undefined && options.ifMatch !== existing.etag) throw new PreconditionFailed(`${name} has changed`);
    const obj = this.validate(bytes);
    await this.checkUid(collectionId, obj.uid, name);
    const index = this.indexOf(obj);
    const limit = await this.quota.limit(collection.spaceId, 'files');
    const item = await this.store.putItem({
      collectionId,
      name,
      content: bytes,
      size: bytes.byteLength,
      contentType: CALENDAR_CONTENT_TYPE,
      meta: { uid: obj.uid, component: obj.kind },
      quotaLimit: limit,
      ...(existing ? { ifMatch: options.ifMatch ?? existing.etag } : { ifNoneMatch: true }),
      index,
    });
    if (!existing) await this.recheckUid(collectionId, obj.uid, item);
    return { item, created: !existing };
  }

  private async checkUid(collectionId: number, uid: string, name: string): Promise<void> {
    for (const u of await this.store.searchItems(collectionId, { field: 'ical-uid', equals: uid })) {
      const other = await this.store.getItemByUid(collectionId, u);
      if (other && other.name !== name) throw new UidConflict(uid, other.name ?? String(other.uid));
    }
  }

  /** Two new objects with one UID written at once: the later one goes. */
  private async recheckUid(collectionId: number, uid: string, item: Item): Promise<void> {
    const uids = await this.store.searchItems(collectionId, { field: 'ical-uid', equals: uid });
    const first = Math.min(...uids);
    if (uids.length > 1 && first !== item.uid) {
      const other = await this.store.getItemByUid(collectionId, first);
      await this.store.deleteItem(item.id);
      throw new UidConflict(uid, other?.name ?? String(first));
    }
  }

  /** The object and its bytes; needs `read` on it. */
  async get(accountId: number, collectionId: number, name: string): Promise<{ item: Item; content: Uint8Array }> {
    await this.calendar(collectionId);
    const item = await this.store.getItemByName(collectionId, name);
    if (!item) throw new NotFound(`${name} does not exist`);
    ensure(authorize(await this.access.principal(accountId), 'read', await itemResource(this.store, item)));
    return { item, content: await this.store.readItemContent(item) };
  }

  /** Deletes the object; needs `delete` on it. */
  async delete(accountId: number, collectionId: number, name: string, options: { ifMatch?: string } = {}): Promise<void> {
    await this.calendar(collectionId);
    const item = await this.store.getItemByName(collectionId, name);
    if (!item) throw new NotFound(`${name} does not exist`);
    ensure(authorize(await this.access.principal(accountId), 'delete', await itemResource(this.store, item)));
    if (options.ifMatch !== undefined && options.ifMatch !== item.etag) throw new PreconditionFailed(`${name} has changed`);
    await this.store.deleteItem(item.id);
  }

  /** The objects of the calendar the account may read (a PROPFIND Depth 1), in uid order. */
  async list(accountId: number, collectionId: number): Promise<Item[]> {
    const collection = await this.calendar(collectionId);
    const items: Item[] = [];
    for (let after = 0; ;) {
      const page = await this.store.listItems(collectionId, { afterUid: after, limit: 1000 });
      items.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.uid;
    }
    return this.access.readableItems(accountId, collection, items);
  }

  /**
   * The objects of the calendar the account may read, in uid order as list
   * gives them, in pages of at most `pageSize` read from the store one at a
   * time (a PROPFIND Depth 1 of 10,000 events never holds them all). The
   * calendar is checked before the first page; a page with nothing readable
   * is skipped.
   */
  async *listPages(accountId: number, collectionId: number, pageSize = LISTING_PAGE): AsyncGenerator<Item[]> {
    const collection = await this.calendar(collectionId);
    yield* readablePages(this.store, this.access, accountId, collection, pageSize);
  }

  /** Objects of the calendar by name (calendar-multiget); names that do not exist or may not be read are left out. */
  async getMany(accountId: number, collectionId: number, names: readonly string[]): Promise<{ item: Item; content: Uint8Array }[]> {
    const readable = await this.readableNamed(accountId, collectionId, names);
    const contents = await this.store.readItemContents(readable);
    return readable.map((item) => ({ item, content: contents.get(item.id)! }));
  }

  /** The items of those names that exist and the account may read, without their bytes (a REPORT asking only for ETags), in uid order. */
  async readableNamed(accountId: number, collectionId: number, names: readonly string[]): Promise<Item[]> {
    const collection = await this.calendar(collectionId);
    const items = names.length === 0 ? [] : await this.store.getItemsByNames(collectionId, names);
    return this.access.readableItems(accountId, collection, items);
  }

  /**
   * The objects of the calendar that match (calendar-query, RFC 4791 §7.8),
   * among those the account may read. The index picks candidates; objects
   * with floating times, objects whose recurrence goes past what the index
   * covers, and filters the index cannot answer fully are decided on the
   * expanded object.
   */
  async query(accountId: number, collectionId: number, query: CalendarQuery): Promise<Item[]> {
    const collection = await this.calendar(collectionId);
    const filter = toFilter(query);
    const zone = query.timezone ? namedZone(query.timezone) : this.zoneOf(collection);
    const { query: iq, exact } = narrowing(filter);
    const candidates = await this.store.searchItems(collectionId, iq);
    if (candidates.length === 0) return [];
    let precise: Set<number>;
    if (exact) {
      // the flagged items of the whole calendar are few (floating times, spans past the index): asked alone, met with the candidates here
      const flag = needsExpansion(filter);
      const isCandidate = new Set(candidates);
      precise = new Set(flag ? (await this.store.searchItems(collectionId, flag)).filter((u) => isCandidate.has(u)) : []);
    } else {
      precise = new Set(candidates);
    }
    const items = await this.store.getItemsByUids(collectionId, candidates);
    const readable = await this.access.readableItems(accountId, collection, items);
    const parsed = await this.parseStored(readable.filter((i) => precise.has(i.uid)));
    return readable.filter((item) => {
      if (!precise.has(item.uid)) return true;
      const obj = parsed.get(item.id);
      return obj !== undefined && obj !== null && matches(obj, filter, zone);
    });
  }

  /** Stored objects, parsed, by item id (null for one that no longer parses: it was stored by an older version). */
  private async parseStored(items: readonly Item[]): Promise<Map<number, CalendarObject | null>> {
    const out = new Map<number, CalendarObject | null>();
    if (items.length === 0) return out;
    const contents = await this.store.readItemContents(items);
    const decoder = new TextDecoder();
    for (const item of items) {
      try {
        out.set(item.id, parseCalendarObject(decoder.decode(contents.get(item.id)!), { repair: true }));
      } catch {
        out.set(item.id, null);
      }
    }
    return out;
  }

  /**
   * An object's text as a calendar-data element asks for it: CALDAV:expand
   * or CALDAV:limit-recurrence-set (RFC 4791 §9.6.5, §9.6.6), then
   * CALDAV:limit-freebusy-set (§9.6.7), then only the components and
   * properties named (§9.6.1, partial.ts). For expand and limit,
   * floating and all-day values are read in `timezone` (a name or a
   * VCALENDAR with a VTIMEZONE, a calendar-query's CALDAV:timezone), else in
   * the calendar's zone. The text as stored when it no longer parses. The
   * caller has read the object (getMany, query), so no check is made here.
   */
  shapeData(collection: Collection, text: string, how: DataShape): string {
    let out = text;
    if (how.expand || how.limit) {
      const zone = zoneFromSpec(how.timezone) ?? this.zoneOf(collection);
      try {
        out = how.expand ? expandedText(text, how.expand, zone) : limitedText(text, how.limit!, zone);
      } catch {
        // stored by an older version and no longer parsed: as stored
      }
    }
    if (how.limitFreeBusy) out = limitFreeBusy(out, how.limitFreeBusy);
    if (how.select) out = selectCalendarData(out, how.select);
    return out;
  }

  /** The instances of an object in a range (for CALDAV:expand and limit-recurrence-set); needs `read`. */
  async occurrences(accountId: number, collectionId: number, name: string, range: { start?: number; end?: number }): Promise<OccurrenceInfo[]> {
    const collection = await this.calendar(collectionId);
    const { content } = await this.get(accountId, collectionId, name);
    const obj = parseCalendarObject(new TextDecoder().decode(content), { repair: true });
    const r = { start: range.start ?? MIN_TIME, end: range.end ?? MAX_TIME };
    const x = expand(obj, { from: r.start, to: r.end, floatingIn: this.zoneOf(collection), maxOccurrences: 10_000 });
    return x.occurrences.filter((o) => overlaps(o, r)).map((o) => ({
      start: o.start, end: o.end, recurrenceId: obj.master && obj.master.rrules.length + obj.master.rdates.length > 0 ? o.recurrenceId : null,
      override: o.component.recurrenceId !== null, status: o.component.status,
    }));
  }

  /**
   * Busy time (free-busy-query, or a VFREEBUSY request to a scheduling
   * outbox): allowed where core/acl gives `freebusy` on every calendar
   * asked about (co-members have it on each other's calendars; `read`
   * includes it), Forbidden otherwise. Only busy periods come back.
   */
  async freeBusy(accountId: number, target: FreeBusyTarget, range: { start: number; end: number }): Promise<FreeBusyResult> {
    if (!(range.end > range.start)) throw new InvalidCalendarData('valid-calendar-data', 'a free/busy range needs an end after its start');
    const principal = await this.access.principal(accountId);
    let collections: Collection[];
    if ('accountId' in target) {
      const owner = await this.store.getAccount(target.accountId);
      if (!owner) throw new NotFound(`account ${target.accountId} does not exist`);
      collections = (await this.store.listCollections(owner.spaceId, 'calendar')).filter((c) => !isTransparentCalendar(c));
    } else {
      collections = await Promise.all(target.collectionIds.map((id) => this.calendar(id)));
    }
    for (const c of collections) ensure(authorize(principal, 'freebusy', await collectionResource(this.store, c)));
    const periods: BusyPeriod[] = [];
    const q: ItemQuery = {
      and: [{ field: 'component', equals: 'vevent' }, { or: [{ range: RANGE_EVENT, overlaps: range }, { range: RANGE_BEYOND, overlaps: range }] }],
    };
    for (const c of collections) {
      const zone = this.zoneOf(c);
      const items = await this.store.getItemsByUids(c.id, await this.store.searchItems(c.id, q));
      const parsed = await this.parseStored(items);
      for (const item of items) {
        const obj = parsed.get(item.id);
        if (!obj) continue;
        for (const o of expand(obj, { from: range.start, to: range.end, floatingIn: zone, maxOccurrences: 10_000 }).occurrences) {
          const type = busyTypeOf(o);
          if (type && overlaps(o, range)) periods.push({ start: o.start, end: o.end, type });
        }
      }
    }
    const merged = mergeBusy(periods, range);
    return { start: range.start, end: range.end, periods: merged, text: formatFreeBusy(merged, range, this.now()) };
  }

  /**
   * Imports an iCalendar file (an export of a whole calendar): one object
   * per UID, each holding that UID's components and the VTIMEZONEs they use,
   * cut from the file with every line kept byte for byte. A component
   * without UID gets one (a UID line is added); METHOD is left out (RFC 4791
   * §4.1). An object whose UID is already in the calendar replaces it.
   * Each object is stored through `put`, with its rights, checks and quota;
   * the outcome of each is reported.
   */
  async import(accountId: number, collectionId: number, bytes: Uint8Array): Promise<ImportOutcome[]> {
    await this.calendar(collectionId);
    const text = decodeText(bytes, 'calendar file', (m) => new InvalidCalendarData('valid-calendar-data', m));
    const pieces = splitCalendarFile(text);
    const out: ImportOutcome[] = [];
    for (const p of pieces) {
      if ('reason' in p) {
        out.push({ uid: p.uid, status: 'refused', reason: p.reason });
        continue;
      }
      try {
        const existing = await this.findByUid(collectionId, p.uid);
        let name = existing?.name ?? nameForUid(p.uid, '.ics');
        if (!existing && (await this.store.getItemByName(collectionId, name))) name = `${randomUUID()}.ics`;
        const data = new TextEncoder().encode(p.text);
        await this.put(accountId, collectionId, name, data, existing ? { ifMatch: existing.etag } : { ifNoneMatch: true });
        out.push({ uid: p.uid, name, status: existing ? 'updated' : 'created' });
      } catch (err) {
        out.push({ uid: p.uid, status: 'refused', reason: (err as Error).message });
      }
    }
    return out;
  }

  /** The object of the calendar with that iCalendar UID. */
  async findByUid(collectionId: number, uid: string): Promise<Item | null> {
    const [u] = await this.store.searchItems(collectionId, { field: 'ical-uid', equals: uid });
    return u === undefined ? null : this.store.getItemByUid(collectionId, u);
  }
}

function isTransparentCalendar(c: Collection): boolean {
  const v = c.props['schedule-calendar-transp'] ?? c.props['{urn:ietf:params:xml:ns:caldav}schedule-calendar-transp'] ?? '';
  return /transparent/i.test(v);
}

/** One object's text cut from a calendar file, or why a part of it could not be. */
export type CalendarPiece = { readonly uid: string; readonly text: string } | { readonly uid: string | null; readonly reason: string };

/**
 * Cuts a calendar file into one VCALENDAR per UID (see Calendars.import).
 * Each piece is validated as a PUT would be, after repairing what is known
 * to be broken in exports (Exchange's swallowed TZID quote); a piece that
 * still fails is reported with the reason.
 */
export function splitCalendarFile(source: string): CalendarPiece[] {
  const lines = contentLines(source);
  const eol = lineEnd(lines);
  const out: CalendarPiece[] = [];
  const calendars = blocksOf(lines).filter((b) => b.name === 'VCALENDAR');
  if (calendars.length === 0) return [{ uid: null, reason: 'the file holds no VCALENDAR' }];
  for (const cal of calendars) {
    const header = cal.body.filter((x): x is RawLine => !isBlock(x) && nameOf(x.logical) !== 'METHOD');
    const blocks = cal.body.filter(isBlock);
    const zones = blocks.filter((b) => b.name === 'VTIMEZONE');
    const groups = new Map<string, Block[]>();
    for (const b of blocks) {
      if (b.name === 'VTIMEZONE' || b.name.startsWith('X-')) continue;
      if (b.name !== 'VEVENT' && b.name !== 'VTODO') {
        out.push({ uid: uidOfBlock(b), reason: `a ${b.name} cannot be stored in a calendar, which holds VEVENTs and VTODOs` });
        continue;
      }
      const uid = uidOfBlock(b) ?? '';
      const key = uid === '' ? `\u0000${randomUUID()}` : uid;
      groups.set(key, [...(groups.get(key) ?? []), b]);
    }
    for (const [key, comps] of groups) {
      const generated = key.startsWith('\u0000');
      const uid = generated ? randomUUID() : key;
      const used = new Set<string>();
      for (const c of comps) for (const l of logicalOf(c)) for (const m of l.matchAll(/;TZID=(?:"([^"]*)"|([^;:]*))/gi)) used.add((m[1] ?? m[2] ?? '').replace(/:[0-9TZ]+$/, ''));
      const tz = zones.filter((z) => {
        const id = z.body.find((x): x is RawLine => !isBlock(x) && nameOf(x.logical) === 'TZID');
        return id !== undefined && used.has(valueOf(id.logical));
      });
      const body = comps.map((c) => (generated ? withUid(c, uid, eol) : rawOf(c))).join('');
      let text = cal.begin.raw + header.map((h) => h.raw).join('') + tz.map(rawOf).join('') + ensureEol(body, eol) + (cal.end?.raw ?? `END:VCALENDAR${eol}`);
      text = repairQuotedTzid(text);
      try {
        parseCalendarObject(text);
        out.push({ uid, text });
      } catch (err) {
        out.push({ uid: generated ? null : uid, reason: (err as Error).message });
      }
    }
  }
  return out;
}

function ensureEol(s: string, eol: string): string {
  return /[\r\n]$/.test(s) ? s : s + eol;
}

function uidOfBlock(b: Block): string | null {
  const line = b.body.find((x): x is RawLine => !isBlock(x) && nameOf(x.logical) === 'UID');
  const v = line ? valueOf(line.logical).trim() : '';
  return v === '' ? null : v;
}

/** The block's text with a UID line added after its BEGIN line. */
function withUid(b: Block, uid: string, eol: string): string {
  return b.begin.raw + (b.begin.eol === '' ? eol : '') + `UID:${uid}${b.begin.eol || eol}` + b.body.map((x) => (isBlock(x) ? rawOf(x) : x.raw)).join('') + (b.end?.raw ?? '');
}

export type { CalendarQuery, CompFilter, ComponentKind, Occurrence };
