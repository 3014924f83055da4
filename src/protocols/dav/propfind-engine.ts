// PROPFIND for any tree of the DAV core (RFC 4918 section 9.1): parses the
// request (allprop with include, propname, or named properties), walks the
// tree to the asked depth, and streams the 207 answer in chunks of about
// 64 KiB with backpressure (answer-stream.ts), so a folder of 10,000 files
// never becomes one string in memory. Per entry it does as little as it can:
// the tags of each asked property are made once per request, a property
// whose value is at hand costs no promise, and the children of a folder are
// described as they are walked, each dropped once written; a big listing
// comes page by page from core, so its rows are not all alive at once.
import type { ServerResponse } from 'node:http';
import { AnswerStream } from './answer-stream.ts';
import { DavError } from './errors.ts';
import { statusLine } from './multistatus.ts';
import { DAV, child, clark, elements, esc, is, splitClark, type XmlElement } from './xml.ts';

export type PropfindRequest = { readonly kind: 'allprop'; readonly include: readonly string[] } | { readonly kind: 'propname' } | { readonly kind: 'prop'; readonly names: readonly string[] };

/** A live property's value: inner XML, or undefined when the resource does not have it; a promise only when it must be looked up. */
export type LiveValue = string | undefined | Promise<string | undefined>;

/** What a tree offers the engine for one resource. */
export interface PropNode {
  readonly href: string;
  readonly collection: boolean;
  /** the live properties the resource has */
  liveNames(): readonly string[];
  /** those allprop returns (RFC 4331 leaves quota out, for one) */
  allpropNames(): readonly string[];
  /** a live property's inner XML, or undefined when the resource does not have it */
  live(key: string): LiveValue;
  /** dead properties: Clark name → inner XML */
  dead(): Readonly<Record<string, string>>;
  /**
   * the resources inside, for Depth 1 (each already filtered by what the
   * account may see), made as they are walked: all at once, or page by page
   * for a big listing (each page is written before the next is asked for)
   */
  children(): Children;
}

/** What PropNode.children gives: every child at once, or pages of them in order. */
export type Children = Promise<Iterable<PropNode>> | AsyncIterable<Iterable<PropNode>>;

/** The pages of a node's children: one page for a node that gives them all at once. */
async function* pagesOf(children: Children): AsyncGenerator<Iterable<PropNode>> {
  if (Symbol.asyncIterator in children) yield* children;
  else yield await children;
}

export function parsePropfind(body: XmlElement | null): PropfindRequest {
  if (body === null) return { kind: 'allprop', include: [] };
  if (!is(body, DAV, 'propfind')) throw new DavError(400, 'the body is not a DAV:propfind');
  const [first] = elements(body);
  if (!first) throw new DavError(400, 'DAV:propfind names neither allprop, propname nor prop');
  if (is(first, DAV, 'propname')) return { kind: 'propname' };
  if (is(first, DAV, 'allprop')) {
    const include = child(body, DAV, 'include');
    return { kind: 'allprop', include: include ? elements(include).map((e) => clark(e.ns, e.name)) : [] };
  }
  // a name asked twice is answered once
  if (is(first, DAV, 'prop')) return { kind: 'prop', names: [...new Set(elements(first).map((e) => clark(e.ns, e.name)))] };
  throw new DavError(400, 'DAV:propfind names neither allprop, propname nor prop');
}

/** The open and close tags of each property of one answer, made once (a listing repeats the same few names 10,000 times). */
export class PropTags {
  private readonly tags = new Map<string, readonly [string, string]>();

  /** `<name>inner</name>` for a Clark key; DAV: names use the D: prefix of the multistatus. */
  element(key: string, inner: string): string {
    let t = this.tags.get(key);
    if (!t) {
      const { ns, name } = splitClark(key);
      t = ns === DAV ? [`<D:${name}>`, `</D:${name}>`] : [`<${name} xmlns="${esc(ns)}">`, `</${name}>`];
      this.tags.set(key, t);
    }
    return t[0] + inner + t[1];
  }
}

const OK = `<D:status>${statusLine(200)}</D:status></D:propstat>`;
const NOT_FOUND = `<D:status>${statusLine(404)}</D:status></D:propstat>`;

function responseOf(href: string, found: string, missing: string): string {
  return `<D:response><D:href>${esc(href)}</D:href>${found ? `<D:propstat><D:prop>${found}</D:prop>${OK}` : ''}${missing ? `<D:propstat><D:prop>${missing}</D:prop>${NOT_FOUND}` : ''}</D:response>`;
}

function hasKeys(o: Readonly<Record<string, string>>): boolean {
  for (const _ in o) return true;
  return false;
}

/** The properties allprop answers for a node: its allprop live ones, its dead ones, and those the client included, each once. */
function allpropWanted(node: PropNode, dead: Readonly<Record<string, string>>, include: readonly string[]): readonly string[] {
  const live = node.allpropNames();
  if (include.length === 0 && !hasKeys(dead)) return live;
  return [...new Set([...live, ...Object.keys(dead), ...include])];
}

/** One DAV:response for a node: a 200 propstat of what it has, a 404 propstat of what it has not. */
export function describeNode(node: PropNode, request: PropfindRequest, tags: PropTags = new PropTags()): string | Promise<string> {
  const dead = node.dead();
  if (request.kind === 'propname') {
    let found = '';
    for (const k of new Set([...node.liveNames(), ...Object.keys(dead)])) found += tags.element(k, '');
    return responseOf(node.href, found, '');
  }
  const wanted = request.kind === 'prop' ? request.names : allpropWanted(node, dead, request.include);
  let found = '';
  let missing = '';
  for (let i = 0; i < wanted.length; i++) {
    const key = wanted[i]!;
    const v = node.live(key);
    if (typeof v === 'object') return describeRest(node, wanted, i, v, found, missing, dead, tags);
    if (v !== undefined) found += tags.element(key, v);
    else if (key in dead) found += tags.element(key, dead[key]!);
    else missing += tags.element(key, '');
  }
  return responseOf(node.href, found, missing);
}

/** The rest of describeNode once a value has to be waited for. */
async function describeRest(node: PropNode, wanted: readonly string[], from: number, first: Promise<string | undefined>, found: string, missing: string,
  dead: Readonly<Record<string, string>>, tags: PropTags): Promise<string> {
  for (let i = from; i < wanted.length; i++) {
    const key = wanted[i]!;
    const v = i === from ? await first : await node.live(key);
    if (v !== undefined) found += tags.element(key, v);
    else if (key in dead) found += tags.element(key, dead[key]!);
    else missing += tags.element(key, '');
  }
  return responseOf(node.href, found, missing);
}

/**
 * Answers 207 for the node and, down to `depth`, what is inside it. The
 * head is sent once the first entry is ready; an error after that can only
 * cut the connection, which a client reads as a failed request.
 */
export async function sendPropfind(res: ServerResponse, root: PropNode, request: PropfindRequest, depth: number): Promise<void> {
  const tags = new PropTags();
  const first = await describeNode(root, request, tags);
  res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' });
  const out = new AnswerStream(res);
  await out.write(`<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${first}`);
  // breadth first, as before: a level's collections are walked after the level itself
  let level: PropNode[] = [root];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: PropNode[] = [];
    for (const node of level) {
      if (!node.collection) continue;
      for await (const page of pagesOf(node.children())) {
        for (const c of page) {
          const described = describeNode(c, request, tags);
          const wait = out.write(typeof described === 'string' ? described : await described);
          if (wait) await wait;
          if (c.collection && d + 1 < depth) next.push(c);
        }
      }
    }
    level = next;
  }
  out.end('</D:multistatus>\n');
}
