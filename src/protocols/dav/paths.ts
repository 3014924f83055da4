// Request paths: strict decoding (invalid or overlong UTF-8, NUL, an encoded
// slash, `.` and `..` segments are refused, never normalised), and encoding
// of hrefs in answers.
import { DavError } from './errors.ts';

export interface DavPath {
  /** decoded segments after the mount point */
  readonly segments: readonly string[];
  /** the request named a collection (ends with /) */
  readonly trailingSlash: boolean;
}

/** Parses the path of a request URL (or of a Destination header) under `mount` (e.g. '/files/'). */
export function parsePath(rawUrl: string, mount: string): DavPath {
  let path = rawUrl;
  if (/^https?:\/\//i.test(path)) {
    // The path exactly as sent, after the authority: a URL parser would
    // resolve `..` and `%2e%2e` segments (WHATWG URL does both), so that a
    // Destination such as /files/Documents/../Drop%20box/x would be followed
    // instead of refused like the same path in a request line.
    path = /^https?:\/\/[^/?#]*(.*)$/is.exec(path)![1]!;
    if (path === '' || path.startsWith('?') || path.startsWith('#')) path = `/${path}`;
  }
  path = path.split('?')[0]!;
  // a fragment is not part of a request-target: refused rather than cut off, so a DELETE of "a#b" never deletes "a"
  if (path.includes('#')) throw new DavError(400, 'the URL holds a fragment (#), which a request cannot name');
  const base = mount.replace(/\/$/, '');
  if (path !== base && !path.startsWith(`${base}/`)) throw new DavError(404, `nothing is served at ${path.slice(0, 200)}`);
  const rest = path.slice(base.length);
  const raw = rest.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1)));
  const segments = raw.map((s) => {
    if (s === '') throw new DavError(400, 'the path has an empty segment (//)');
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw new DavError(400, 'the path is not valid percent-encoded UTF-8');
    }
    if (d === '.' || d === '..') throw new DavError(400, 'the path has a . or .. segment');
    if (d.includes('/') || d.includes('\\')) throw new DavError(400, 'the path has an encoded slash or a backslash');
    if (d.includes('\0')) throw new DavError(400, 'the path has a NUL character');
    return d.normalize('NFC');
  });
  return { segments, trailingSlash: rest.endsWith('/') || rest === '' };
}

const KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;
const ALL_KEPT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/;

/** Percent-encodes one segment, keeping what RFC 3986 allows in a path segment (most names need nothing). */
export function encodeSegment(s: string): string {
  if (ALL_KEPT.test(s)) return s;
  let out = '';
  for (const ch of s) {
    if (KEEP.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function hrefOf(mount: string, segments: readonly string[], collection: boolean): string {
  const base = mount.endsWith('/') ? mount : `${mount}/`;
  const path = segments.map(encodeSegment).join('/');
  return `${base}${path}${collection && segments.length > 0 ? '/' : ''}`;
}
