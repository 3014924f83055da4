// GET, HEAD, PUT and DELETE of calendar objects and vCards: bytes as the
// client sent them, ETags, If-Match / If-None-Match, every check in core.
import type { Core } from '../../../core/index.ts';
import { NotFound } from '../../../core/errors.ts';
import type { Account } from '../../../core/types.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBytes } from '../body.ts';
import { DavError } from '../errors.ts';
import { groupwareError } from './errors.ts';
import { entryOf, objectHref, type HomeKind } from './tree.ts';

/** bodies above this are refused before core sees them; core refuses above its own max-resource-size with the precondition */
const MAX_OBJECT_BODY = 8 * 1024 * 1024;

export interface ObjectRequest {
  readonly core: Core;
  readonly account: Account;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly home: HomeKind;
  readonly segment: string;
  readonly name: string;
}

const tags = (h: string | string[] | undefined): string[] | null => (h === undefined ? null : String(h).split(',').map((s) => s.trim().replace(/^W\//, '')));
const unquote = (t: string): string => t.replace(/^"|"$/g, '');

export async function getObject(o: ObjectRequest, head: boolean): Promise<void> {
  const entry = await entryOf(o.core, o.account, o.home, o.segment);
  let content: Uint8Array;
  let etag: string;
  let type: string;
  try {
    const got = o.home === 'calendars'
      ? await o.core.calendar.get(o.account.id, entry.collection.id, o.name)
      : await o.core.contacts.get(o.account.id, entry.collection.id, o.name);
    content = got.content;
    etag = got.item.etag;
    type = got.item.contentType;
  } catch (err) {
    throw groupwareError(err, entry.tool);
  }
  const inm = tags(o.req.headers['if-none-match']);
  if (inm && (inm.includes('*') || inm.includes(`"${etag}"`))) {
    o.res.writeHead(304, { etag: `"${etag}"` });
    o.res.end();
    return;
  }
  o.res.writeHead(200, { 'content-type': type, 'content-length': content.byteLength, etag: `"${etag}"` });
  o.res.end(head ? undefined : content);
}

export async function putObject(o: ObjectRequest): Promise<void> {
  const entry = await entryOf(o.core, o.account, o.home, o.segment);
  const bytes = await readBytes(o.req, MAX_OBJECT_BODY);
  const ifMatch = tags(o.req.headers['if-match']);
  const ifNoneMatch = tags(o.req.headers['if-none-match']);
  const c = entry.collection;
  const service = o.home === 'calendars' ? o.core.calendar : o.core.contacts;
  const options: { ifMatch?: string; ifNoneMatch?: boolean } = {};
  if (ifNoneMatch?.includes('*')) options.ifNoneMatch = true;
  if (ifMatch) {
    if (ifMatch.includes('*')) {
      try {
        options.ifMatch = (await service.get(o.account.id, c.id, o.name)).item.etag;
      } catch (err) {
        if (err instanceof NotFound) throw new DavError(412, `${o.name} does not exist`);
        throw groupwareError(err, entry.tool);
      }
    } else {
      options.ifMatch = unquote(ifMatch[0]!);
    }
  }
  if (ifNoneMatch && !ifNoneMatch.includes('*')) {
    const current = await service.get(o.account.id, c.id, o.name).then((g) => g.item.etag, () => null);
    if (current !== null && ifNoneMatch.includes(`"${current}"`)) throw new DavError(412, 'If-None-Match does not hold');
  }
  let result;
  try {
    result = await service.put(o.account.id, c.id, o.name, bytes, options);
  } catch (err) {
    throw groupwareError(err, entry.tool, (name) => objectHref(o.account, o.home, o.segment, name));
  }
  o.res.writeHead(result.created ? 201 : 204, { etag: `"${result.item.etag}"`, 'content-length': 0 });
  o.res.end();
}

export async function deleteObject(o: ObjectRequest): Promise<void> {
  const entry = await entryOf(o.core, o.account, o.home, o.segment);
  const ifMatch = tags(o.req.headers['if-match']);
  const service = o.home === 'calendars' ? o.core.calendar : o.core.contacts;
  try {
    await service.delete(o.account.id, entry.collection.id, o.name, ifMatch && !ifMatch.includes('*') ? { ifMatch: unquote(ifMatch[0]!) } : {});
  } catch (err) {
    throw groupwareError(err, entry.tool);
  }
  o.res.writeHead(204);
  o.res.end();
}
