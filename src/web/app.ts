// The web site: a Koa application on the HTTPS port beside the DAV doors.
// Server-rendered pages that need no JavaScript; every form carries a CSRF
// token bound to the browser's session (or pre-session) cookie, and every
// POST is checked; errors are HTML pages of the site's own.
import { timingSafeEqual } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import type { Core } from '../core/index.ts';
import { Conflict, Forbidden, InvalidInput, LimitReached, NotFound } from '../core/errors.ts';
import { loginKeys } from '../core/throttle.ts';
import { csrfTokenOf, newToken, WebSessions } from '../core/web-sessions.ts';
import { Signups, type SendMail } from '../core/signup.ts';
import { PasswordResets } from '../core/password-reset.ts';
import { PHOTO_MAX_BYTES } from '../core/accounts.ts';
import type { Account, Session } from '../core/types.ts';
import { CSS, page, type Html } from './html.ts';
import { LANG_COOKIE, langOf, negotiate, t, th, type Lang } from './i18n.ts';
import { coreMessage } from './lang/core-messages.ts';
import { boundaryOf, MultipartError, parseMultipart, readBody, type UploadedFile } from './multipart.ts';
import { accountRoutes } from './pages/account.ts';
import { groupRoutes } from './pages/groups.ts';
import { publicRoutes } from './pages/public.ts';
import { sharingRoutes } from './pages/sharing.ts';
import { clientSetupMiddleware, setupRoutes, type ClientHosts } from './pages/setup.ts';

export const SESSION_COOKIE = 'bureau_session';
export const PRE_COOKIE = 'bureau_pre';
const FORM_LIMIT = 64 * 1024;
/** the one route that takes multipart/form-data (a file), and how large its body may be */
export const PHOTO_UPLOAD_PATH = '/settings/photo';
const UPLOAD_LIMIT = PHOTO_MAX_BYTES + 16 * 1024;

export interface WebSettings {
  /** https://host[:port], for links in mail */
  readonly baseUrl: string;
  readonly signupLinkHours: number;
  readonly signupsPerHour: number;
  /** how long a password reset link works (default 2) */
  readonly resetLinkHours?: number;
  /** password reset requests per client address and hour (default 5) */
  readonly resetsPerHour?: number;
  /** PEM of the server's own local CA, put in the Apple profile; null or absent when the operator supplies the certificate */
  readonly caCertificate?: string | null;
  /** sender of the site's own messages */
  readonly from: string;
  /** hands a message to the outbound queue */
  readonly send: SendMail;
  readonly log: { warn(m: string): void; error(m: string): void };
  /** hostname and ports for client set-up (autoconfig, autodiscover, Apple profile); default: baseUrl's host and the standard ports */
  readonly clients?: ClientHosts;
}

export interface WebState {
  account: Account | null;
  session: Session | null;
  /** the secret the CSRF token is bound to (session or pre-session cookie) */
  secret: string;
  expired: boolean;
  form: Record<string, string>;
  /** the files of a multipart form (PHOTO_UPLOAD_PATH only) */
  files: Record<string, UploadedFile>;
  /** the reader's language: ?lang=, else the bureau_lang cookie, else Accept-Language */
  lang: Lang;
}

export type Ctx = Koa.ParameterizedContext<WebState>;

export interface Site {
  readonly core: Core;
  readonly sessions: WebSessions;
  readonly signups: Signups;
  readonly resets: PasswordResets;
  readonly settings: WebSettings;
}

/** An HTTP error with a page of its own. */
export class PageError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function csrf(ctx: Ctx): string {
  return csrfTokenOf(ctx.state.secret);
}

/** The address of the page being read in the other language: its path and query, lang= replaced. */
function inLang(ctx: Ctx, lang: Lang): string {
  const q = new URLSearchParams(ctx.querystring);
  q.set('lang', lang);
  return `${ctx.path}?${q.toString()}`;
}

/** Renders a page of the site with its frame, in the reader's language. */
export function render(ctx: Ctx, title: string, body: Html, o: { status?: number; notice?: string | null; error?: string | null } = {}): void {
  const lang = ctx.state.lang;
  ctx.status = o.status ?? 200;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('content-language', lang);
  ctx.set('vary', 'Accept-Language, Cookie');
  ctx.body = page({
    lang, title, who: ctx.state.account?.address ?? null, csrf: csrf(ctx), notice: o.notice ?? null, error: o.error ?? null,
    switchTo: { en: inLang(ctx, 'en'), fr: inLang(ctx, 'fr') },
  }, body);
}

/** The account of a logged-in request; otherwise a redirect to the login page (saying so when the session timed out). */
export function requireAccount(ctx: Ctx): Account | null {
  if (ctx.state.account) return ctx.state.account;
  ctx.redirect(ctx.state.expired ? '/login?timeout=1' : '/login');
  return null;
}

/** A core error as a user reads it, in the reader's language: status and message. */
export function userError(err: unknown, lang: Lang): { status: number; message: string } | null {
  const status = err instanceof InvalidInput ? 400 : err instanceof LimitReached ? 429 : err instanceof Conflict ? 409
    : err instanceof Forbidden ? 403 : err instanceof NotFound ? 404 : 0;
  if (status === 0) return null;
  return { status, message: capitalise(coreMessage(lang, (err as Error).message)) };
}

function capitalise(s: string): string {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export function clientAddress(ctx: Ctx): string {
  return ctx.req.socket.remoteAddress ?? 'unknown';
}

const COOKIE = { httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/', overwrite: true };
const LANG_COOKIE_MS = 365 * 86_400_000;

export function setSessionCookie(ctx: Ctx, token: string | null): void {
  ctx.cookies.set(SESSION_COOKIE, token, token ? COOKIE : { ...COOKIE, maxAge: 0 });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads an urlencoded form, at most FORM_LIMIT bytes; each field once, as text. */
async function readForm(ctx: Ctx): Promise<Record<string, string>> {
  const lang = ctx.state.lang;
  const type = (ctx.get('content-type') || '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new PageError(415, t(lang, 'This address takes forms only (application/x-www-form-urlencoded).'));
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > FORM_LIMIT) throw new PageError(413, t(lang, 'The form is too large.'));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new PageError(413, t(lang, 'The form is too large.'));
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in out) throw new PageError(400, t(lang, 'The field {field} was sent twice.', { field: k }));
    out[k] = v;
  }
  return out;
}

/** Reads the multipart form of PHOTO_UPLOAD_PATH, bounded; its files go to ctx.state.files, its fields are returned. */
async function readUpload(ctx: Ctx): Promise<Record<string, string>> {
  try {
    const lang = ctx.state.lang;
    const boundary = boundaryOf(ctx.get('content-type') || '', lang);
    if (boundary === null) throw new PageError(415, t(lang, 'This address takes a file upload only (multipart/form-data).'));
    const tooLarge = t(lang, 'The picture is larger than {kib} KiB; make it smaller.', { kib: PHOTO_MAX_BYTES / 1024 });
    const body = await readBody(ctx.req as AsyncIterable<Buffer>, Number(ctx.get('content-length') || '0'), UPLOAD_LIMIT, tooLarge);
    const form = parseMultipart(body, boundary, lang);
    ctx.state.files = form.files;
    return form.fields;
  } catch (err) {
    if (err instanceof MultipartError) throw new PageError(err.status, err.message);
    throw err;
  }
}

const HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=31536000',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
} as const;

/** The title of an error page. */
function statusTitle(lang: Lang, status: number): string {
  switch (status) {
    case 400: return t(lang, 'Bad request');
    case 403: return t(lang, 'Forbidden');
    case 404: return t(lang, 'Page not found');
    case 405: return t(lang, 'Method not allowed');
    case 409: return t(lang, 'Conflict');
    case 410: return t(lang, 'Gone');
    case 413: return t(lang, 'Too large');
    case 415: return t(lang, 'Unsupported form');
    case 429: return t(lang, 'Too many requests');
    case 500: return t(lang, 'Server error');
    default: return t(lang, 'Error');
  }
}

export function webSite(core: Core, settings: WebSettings): { handler: ReturnType<Koa['callback']>; site: Site } {
  const sessions = new WebSessions(core);
  const signups = new Signups(core, {
    linkLifetimeMs: settings.signupLinkHours * 3_600_000, perClientPerHour: settings.signupsPerHour,
    baseUrl: settings.baseUrl, from: settings.from,
  }, settings.send);
  const resets = new PasswordResets(core, {
    linkLifetimeMs: (settings.resetLinkHours ?? 2) * 3_600_000, perClientPerHour: settings.resetsPerHour ?? 5,
    baseUrl: settings.baseUrl, from: settings.from,
  }, settings.send, settings.log);
  const site: Site = { core, sessions, signups, resets, settings };
  const app = new Koa<WebState>({ proxy: false });

  // the reader's language: ?lang= (remembered in a cookie for a year), else the cookie, else Accept-Language
  app.use(async (ctx, next) => {
    const asked = langOf(typeof ctx.query.lang === 'string' ? ctx.query.lang : null);
    if (asked) ctx.cookies.set(LANG_COOKIE, asked, { ...COOKIE, maxAge: LANG_COOKIE_MS });
    ctx.state.lang = asked ?? langOf(ctx.cookies.get(LANG_COOKIE)) ?? negotiate(ctx.get('accept-language') || undefined);
    await next();
  });

  // security headers and the site's own error pages
  app.use(async (ctx, next) => {
    ctx.set(HEADERS);
    ctx.set('cache-control', 'no-store');
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new PageError(404, t(ctx.state.lang, 'There is no page at this address.'));
    } catch (err) {
      const lang = ctx.state.lang;
      const known = err instanceof PageError ? { status: err.status, message: err.message } : userError(err, lang);
      const status = known?.status ?? 500;
      if (!known) settings.log.error(`web: ${ctx.method} ${ctx.path}: ${(err as Error).stack ?? String(err)}`);
      ctx.state.secret ??= '';
      const message = known?.message ?? t(lang, 'Something went wrong on the server; it has been logged. Try again later.');
      render(ctx, statusTitle(lang, status), th(lang, '<p>{message}</p><p><a href="/">Back to the front page</a></p>', { message }), { status });
      if (status === 405) ctx.set('allow', 'GET, HEAD, POST');
    }
  });

  // Thunderbird autoconfig and Outlook autodiscover: no session, no form
  app.use(clientSetupMiddleware(site));

  // the session, or a pre-session secret for the forms of visitors
  app.use(async (ctx, next) => {
    ctx.state.account = null;
    ctx.state.session = null;
    ctx.state.expired = false;
    ctx.state.form = {};
    ctx.state.files = {};
    const token = ctx.cookies.get(SESSION_COOKIE);
    if (token) {
      const r = await sessions.resolve(token);
      if (r.ok) {
        ctx.state.account = r.account;
        ctx.state.session = r.session;
        ctx.state.secret = token;
      } else {
        ctx.state.expired = r.reason === 'expired';
        setSessionCookie(ctx, null);
      }
    }
    if (!ctx.state.account) {
      let pre = ctx.cookies.get(PRE_COOKIE);
      if (!pre || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
        pre = newToken();
        ctx.cookies.set(PRE_COOKIE, pre, COOKIE);
      }
      ctx.state.secret = pre;
    }
    await next();
  });

  // forms: read with a bound, and the CSRF token checked on every POST
  app.use(async (ctx, next) => {
    if (ctx.method === 'POST') {
      const form = ctx.path === PHOTO_UPLOAD_PATH ? await readUpload(ctx) : await readForm(ctx);
      const given = form.csrf ?? '';
      if (!given || !same(given, csrfTokenOf(ctx.state.secret))) {
        throw new PageError(403, t(ctx.state.lang, 'This form has expired or did not come from this site. Go back, reload the page and send it again.'));
      }
      ctx.state.form = form;
    } else if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new PageError(405, t(ctx.state.lang, 'The method {method} is not used on the web site.', { method: ctx.method }));
    }
    await next();
  });

  const router = new Router<WebState>();
  router.get('/site.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = CSS;
  });
  publicRoutes(router, site);
  accountRoutes(router, site);
  groupRoutes(router, site);
  sharingRoutes(router, site);
  setupRoutes(router, site);
  app.use(router.routes());
  app.use(router.allowedMethods());

  app.on('error', (err: Error) => settings.log.warn(`web: ${err.message}`));
  return { handler: app.callback(), site };
}

/** Reads a login attempt under the shared throttle; the account, or a message that tells nothing about the address. */
export async function tryLogin(site: Site, ctx: Ctx, address: string, password: string): Promise<{ account: Account } | { error: string; status: number }> {
  const keys = loginKeys(clientAddress(ctx), address);
  const wait = await site.core.throttle.blockedFor(keys);
  if (wait > 0) return { status: 429, error: tooManyFailures(ctx.state.lang, wait) };
  const account = await site.core.throttle.guard(keys, () => site.core.accounts.authenticate(address, password, 'web'));
  if (!account) return { status: 401, error: t(ctx.state.lang, 'The address or the password is wrong, or the account is not activated yet.') };
  return { account };
}

/** What a throttled password check says: how long to wait. */
export function tooManyFailures(lang: Lang, waitMs: number): string {
  return t(lang, 'Too many failed attempts. Try again in {minutes} minutes.', { minutes: Math.ceil(waitMs / 60_000) });
}

/**
 * A check of the logged-in account's password (changing it, destroying the
 * account) under the same shared throttle as the login: `check` answers null
 * for a wrong password. The check's result, or the message and status of a
 * refusal (429 while blocked, 400 for a wrong password).
 */
export async function throttledPasswordCheck<T>(site: Site, ctx: Ctx, address: string, wrong: string, check: () => Promise<T | null>): Promise<{ ok: T } | { error: string; status: number }> {
  const keys = loginKeys(clientAddress(ctx), address);
  const wait = await site.core.throttle.blockedFor(keys);
  if (wait > 0) return { status: 429, error: tooManyFailures(ctx.state.lang, wait) };
  const result = await site.core.throttle.guard(keys, check);
  if (result === null) return { status: 400, error: wrong };
  return { ok: result };
}
