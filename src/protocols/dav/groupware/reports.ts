// REPORT: calendar-query, calendar-multiget, free-busy-query (RFC 4791),
// addressbook-query, addressbook-multiget (RFC 6352), sync-collection
// (RFC 6578). Filters are parsed here and answered by core; what each
// account may see is core's decision (readable items, free/busy rights).
import type { Core } from '../../../core/index.ts';
import type { CompFilter, PropFilter, TextMatch } from '../../../core/calendar/filter.ts';
import type { AddressBookQuery, CardPropFilter } from '../../../core/contacts/contacts.ts';
import type { Account, Item } from '../../../core/types.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readXml } from '../body.ts';
import { DavError } from '../errors.ts';
import { responseXml, statusResponseXml } from '../multistatus.ts';
import { parsePath } from '../paths.ts';
import { clark, DAV, child, elements, esc, is, textOf, type XmlElement } from '../xml.ts';
import { selectCardData } from '../../../core/contacts/partial.ts';
import { addressDataRequest, calendarDataRequest, parseUtc } from './data-request.ts';
import { groupwareError } from './errors.ts';
import { P, syncToken } from './props.ts';
import { CALDAV, CARDDAV, entryOf, MOUNT, objectHref, type HomeEntry, type HomeKind } from './tree.ts';

export interface ReportRequest {
  readonly core: Core;
  readonly account: Account;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly home: HomeKind;
  readonly segment: string;
}

/** A calendar object or card with its bytes, to answer. */
interface Found { readonly name: string; readonly etag: string; readonly contentType: string; readonly size: number; readonly content: Uint8Array | null }

export { parseUtc };

function timeRange(e: XmlElement | undefined): { start?: number; end?: number } | undefined {
  if (!e) return undefined;
  const start = parseUtc(e.attributes.start);
  const end = parseUtc(e.attributes.end);
  if (start === undefined && end === undefined) throw new DavError(400, 'a time-range needs a start or an end', { ns: CALDAV, name: 'valid-filter' });
  if (start !== undefined && end !== undefined && end <= start) throw new DavError(400, 'a time-range needs its end after its start', { ns: CALDAV, name: 'valid-filter' });
  return { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
}

function textMatch(e: XmlElement | undefined): TextMatch | undefined {
  if (!e) return undefined;
  const collation = e.attributes.collation;
  if (collation !== undefined && !['i;ascii-casemap', 'i;octet', 'i;unicode-casemap'].includes(collation)) {
    throw new DavError(403, `the collation ${collation} is not supported`, { ns: e.ns, name: 'supported-collation' });
  }
  const mt = e.attributes['match-type'];
  return {
    text: textOf(e),
    ...(collation ? { collation: collation as TextMatch['collation'] & string } : {}),
    ...(e.attributes['negate-condition'] === 'yes' ? { negate: true } : {}),
    ...(mt === 'equals' || mt === 'contains' || mt === 'starts-with' || mt === 'ends-with' ? { matchType: mt } : {}),
  };
}

function compFilter(e: XmlElement): CompFilter {
  const name = e.attributes.name;
  if (!name) throw new DavError(400, 'a comp-filter needs a name', { ns: CALDAV, name: 'valid-filter' });
  const tr = timeRange(child(e, CALDAV, 'time-range'));
  const props: PropFilter[] = elements(e).filter((x) => is(x, CALDAV, 'prop-filter')).map((p) => {
    const ptr = timeRange(child(p, CALDAV, 'time-range'));
    const tm = textMatch(child(p, CALDAV, 'text-match'));
    return {
      name: p.attributes.name ?? '',
      ...(child(p, CALDAV, 'is-not-defined') ? { isNotDefined: true } : {}),
      ...(ptr ? { timeRange: ptr } : {}),
      ...(tm ? { textMatch: tm } : {}),
      params: elements(p).filter((x) => is(x, CALDAV, 'param-filter')).map((q) => {
        const qtm = textMatch(child(q, CALDAV, 'text-match'));
        return { name: q.attributes.name ?? '', ...(child(q, CALDAV, 'is-not-defined') ? { isNotDefined: true } : {}), ...(qtm ? { textMatch: qtm } : {}) };
      }),
    };
  });
  return {
    name,
    ...(child(e, CALDAV, 'is-not-defined') ? { isNotDefined: true } : {}),
    ...(tr ? { timeRange: tr } : {}),
    props,
    comps: elements(e).filter((x) => is(x, CALDAV, 'comp-filter')).map(compFilter),
  };
}

function cardFilter(filter: XmlElement | undefined): AddressBookQuery {
  if (!filter) return {};
  const props: CardPropFilter[] = elements(filter).filter((x) => is(x, CARDDAV, 'prop-filter')).map((p) => ({
    name: p.attributes.name ?? '',
    ...(p.attributes.test === 'allof' ? { test: 'allof' as const } : {}),
    ...(child(p, CARDDAV, 'is-not-defined') ? { isNotDefined: true } : {}),
    textMatches: elements(p).filter((x) => is(x, CARDDAV, 'text-match')).map((t) => textMatch(t)!),
    params: elements(p).filter((x) => is(x, CARDDAV, 'param-filter')).map((q) => {
      const qtm = textMatch(child(q, CARDDAV, 'text-match'));
      return { name: q.attributes.name ?? '', ...(child(q, CARDDAV, 'is-not-defined') ? { isNotDefined: true } : {}), ...(qtm ? { textMatch: qtm } : {}) };
    }),
  }));
  return { ...(filter.attributes.test === 'allof' ? { test: 'allof' as const } : {}), props };
}

/** The properties asked in a REPORT's DAV:prop (all of getetag when none). */
function askedProps(body: XmlElement): XmlElement[] {
  const prop = child(body, DAV, 'prop');
  if (!prop) return [];
  return elements(prop);
}

function describe(href: string, f: Found, asked: readonly XmlElement[], dataKey: string, data: (f: Found) => string): string {
  const found = new Map<string, string>();
  const missing = new Map<string, string>();
  for (const p of asked) {
    const key = clark(p.ns, p.name);
    if (key === P.getetag) found.set(key, esc(`"${f.etag}"`));
    else if (key === P.getcontenttype) found.set(key, esc(f.contentType));
    else if (key === P.getcontentlength) found.set(key, String(f.size));
    else if (key === P.resourcetype) found.set(key, '');
    else if (key === dataKey && f.content) found.set(key, esc(data(f)));
    else missing.set(key, '');
  }
  return responseXml(href, [{ status: 200, props: found }, { status: 404, props: missing }]);
}

const decoder = new TextDecoder();

/** Streams a multistatus of responses. */
function sendAll(res: ServerResponse, parts: readonly string[], extra = ''): void {
  const body = `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${parts.join('')}${extra}</D:multistatus>\n`;
  res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const bare = (item: Item): Found => ({ name: item.name ?? '', etag: item.etag, contentType: item.contentType, size: item.size, content: null });

/** The items as answers, with their bytes only when the data is asked for (reading 10,000 objects' bytes for ETags is most of a query's time). */
async function withContent(core: Core, account: Account, e: HomeEntry, items: readonly Item[], wantData: boolean): Promise<Found[]> {
  if (items.length === 0) return [];
  if (!wantData) return items.map(bare);
  const names = items.map((i) => i.name ?? '');
  const got = e.tool === 'calendar' ? await core.calendar.getMany(account.id, e.collection.id, names) : await core.contacts.getMany(account.id, e.collection.id, names);
  return got.map(({ item, content }) => ({ ...bare(item), content }));
}

export async function report(r: ReportRequest): Promise<void> {
  const body = await readXml(r.req);
  if (!body) throw new DavError(400, 'a REPORT needs a body');
  const entry = await entryOf(r.core, r.account, r.home, r.segment);
  const calendar = entry.tool === 'calendar';
  const dataKey = calendar ? P.calendarData : P.addressData;
  const asked = askedProps(body);
  const wantData = asked.some((p) => clark(p.ns, p.name) === dataKey);
  const href = (name: string): string => objectHref(r.account, r.home, r.segment, name);
  const tz = calendar ? child(body, CALDAV, 'timezone') : undefined;
  const plain = (f: Found): string => decoder.decode(f.content!);
  let text = plain;
  if (calendar) {
    const shape = calendarDataRequest(asked);
    if (shape.expand || shape.limit || shape.limitFreeBusy || shape.select) {
      text = (f: Found): string => r.core.calendar.shapeData(entry.collection, plain(f), { ...shape, ...(tz ? { timezone: textOf(tz) } : {}) });
    }
  } else {
    const { props } = addressDataRequest(asked);
    if (props) text = (f: Found): string => selectCardData(plain(f), props);
  }
  try {
    if (calendar && is(body, CALDAV, 'calendar-query')) {
      const filter = child(body, CALDAV, 'filter');
      const root = filter ? elements(filter).find((x) => is(x, CALDAV, 'comp-filter')) : undefined;
      if (!root) throw new DavError(400, 'a calendar-query needs a filter with a VCALENDAR comp-filter', { ns: CALDAV, name: 'valid-filter' });
      const items = await r.core.calendar.query(r.account.id, entry.collection.id, { filter: compFilter(root), ...(tz ? { timezone: textOf(tz) } : {}) });
      const found = await withContent(r.core, r.account, entry, items, wantData);
      sendAll(r.res, found.map((f) => describe(href(f.name), f, asked, dataKey, text)));
      return;
    }
    if (!calendar && is(body, CARDDAV, 'addressbook-query')) {
      const limitEl = child(body, CARDDAV, 'limit');
      const nresults = limitEl ? Number(textOf(child(limitEl, CARDDAV, 'nresults') ?? limitEl).trim()) : undefined;
      const q = cardFilter(child(body, CARDDAV, 'filter'));
      const limit = nresults && nresults > 0 ? nresults : undefined;
      const found = await withContent(r.core, r.account, entry, await r.core.contacts.query(r.account.id, entry.collection.id, q, limit), wantData);
      sendAll(r.res, found.map((f) => describe(href(f.name), f, asked, dataKey, text)));
      return;
    }
    if ((calendar && is(body, CALDAV, 'calendar-multiget')) || (!calendar && is(body, CARDDAV, 'addressbook-multiget'))) {
      const hrefs = elements(body).filter((x) => is(x, DAV, 'href')).map((h) => textOf(h).trim());
      const base = objectHref(r.account, r.home, r.segment, '');
      const names = new Map<string, string>();
      const parts: string[] = [];
      for (const h of hrefs) {
        let segs: readonly string[];
        try { segs = parsePath(h, MOUNT).segments; } catch { parts.push(statusResponseXml(h, 404)); continue; }
        const wanted = parsePath(base, MOUNT).segments;
        if (segs.length !== wanted.length + 1 || wanted.some((s, i) => segs[i] !== s)) { parts.push(statusResponseXml(h, 404)); continue; }
        names.set(segs.at(-1)!, h);
      }
      const service = calendar ? r.core.calendar : r.core.contacts;
      const found: Found[] = wantData
        ? (await service.getMany(r.account.id, entry.collection.id, [...names.keys()])).map(({ item, content }) => ({ ...bare(item), content }))
        : (await service.readableNamed(r.account.id, entry.collection.id, [...names.keys()])).map(bare);
      const byName = new Map(found.map((f) => [f.name, f]));
      for (const [name, h] of names) {
        const f = byName.get(name);
        parts.push(f ? describe(h, f, asked, dataKey, text) : statusResponseXml(h, 404));
      }
      sendAll(r.res, parts);
      return;
    }
    if (calendar && is(body, CALDAV, 'free-busy-query')) {
      const tr = timeRange(child(body, CALDAV, 'time-range'));
      if (!tr || tr.start === undefined || tr.end === undefined) throw new DavError(400, 'a free-busy-query needs a time-range with a start and an end');
      const fb = await r.core.calendar.freeBusy(r.account.id, { collectionIds: [entry.collection.id] }, { start: tr.start, end: tr.end });
      r.res.writeHead(200, { 'content-type': 'text/calendar; charset=utf-8', 'content-length': Buffer.byteLength(fb.text) });
      r.res.end(fb.text);
      return;
    }
    if (is(body, DAV, 'sync-collection')) {
      await syncCollection(r, entry, body, asked, dataKey, href, text);
      return;
    }
  } catch (err) {
    throw groupwareError(err, entry.tool);
  }
  throw new DavError(403, `the REPORT ${body.name.slice(0, 60)} is not supported here`, { ns: DAV, name: 'supported-report' });
}

async function syncCollection(r: ReportRequest, entry: HomeEntry, body: XmlElement, asked: readonly XmlElement[], dataKey: string,
  href: (name: string) => string, text: (f: Found) => string): Promise<void> {
  const tokenText = textOf(child(body, DAV, 'sync-token') ?? body).trim();
  const level = textOf(child(body, DAV, 'sync-level') ?? body).trim();
  if (level !== '' && level !== '1') throw new DavError(403, 'only sync-level 1 is supported', { ns: DAV, name: 'sync-traversal-supported' });
  const invalid = (): DavError => new DavError(403, 'the sync-token is not valid for this collection; sync again from the start', { ns: DAV, name: 'valid-sync-token' });
  const c = entry.collection;
  let since = 0;
  if (tokenText !== '') {
    const prefix = syncToken('c', c.id, '');
    if (!tokenText.startsWith(prefix)) throw invalid();
    since = Number(tokenText.slice(prefix.length));
    if (!Number.isSafeInteger(since) || since < 0 || since > c.modseq) throw invalid();
  }
  const service = entry.tool === 'calendar' ? r.core.calendar : r.core.contacts;
  const parts: string[] = [];
  let modseq = c.modseq;
  if (since === 0) {
    const items = await service.list(r.account.id, c.id);
    modseq = Math.max(modseq, ...items.map((i) => i.modseq));
    const found = await withContent(r.core, r.account, entry, items, asked.some((p) => clark(p.ns, p.name) === dataKey));
    parts.push(...found.map((f) => describe(href(f.name), f, asked, dataKey, text)));
  } else {
    const changes = await r.core.store.changesSince(c.id, since);
    modseq = changes.modseq;
    const put = changes.changes.filter((x) => x.op === 'put' && x.name !== null).map((x) => x.name!);
    const deleted = changes.changes.filter((x) => x.op === 'delete' && x.name !== null).map((x) => x.name!);
    const got = asked.some((p) => clark(p.ns, p.name) === dataKey)
      ? (await service.getMany(r.account.id, c.id, put)).map(({ item, content }) => ({ ...bare(item), content }))
      : (await service.readableNamed(r.account.id, c.id, put)).map(bare);
    const readable = new Set(got.map((g) => g.name));
    for (const f of got) parts.push(describe(href(f.name), f, asked, dataKey, text));
    // gone, or no longer readable by this account: a tombstone either way
    for (const name of [...deleted, ...put.filter((n) => !readable.has(n))]) parts.push(statusResponseXml(href(name), 404));
  }
  sendAll(r.res, parts, `<D:sync-token>${esc(syncToken('c', c.id, modseq))}</D:sync-token>`);
}
