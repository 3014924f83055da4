// HTML of the web site: escaping, the page frame, form pieces. Everything a
// user or a client typed goes through `esc`; no inline script or style.
import { t, type Lang } from './i18n.ts';

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A piece of HTML already escaped. */
export interface Html {
  readonly html: string;
}
export const raw = (html: string): Html => ({ html });

export function html(strings: TemplateStringsArray, ...values: (string | number | Html | readonly Html[] | null | undefined | false)[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    if (v === null || v === undefined || v === false) out += '';
    else if (Array.isArray(v)) out += (v as readonly Html[]).map((h) => h.html).join('');
    else if (typeof v === 'object') out += (v as Html).html;
    else out += esc(v as string | number);
    out += strings[i + 1]!;
  });
  return raw(out);
}

export interface Frame {
  readonly lang: Lang;
  readonly title: string;
  /** the logged-in account's address, for the header */
  readonly who?: string | null;
  readonly csrf: string;
  readonly notice?: string | null;
  readonly error?: string | null;
  /** the address of this page in each language, for the language switch */
  readonly switchTo: Readonly<Record<Lang, string>>;
}

/** The language switch: each language named in itself, marked with its own lang and hreflang. */
function languageSwitch(f: Frame): Html {
  const link = (lang: Lang, name: string): Html => f.lang === lang
    ? html`<a href="${f.switchTo[lang]}" lang="${lang}" hreflang="${lang}" aria-current="true">${name}</a>`
    : html`<a href="${f.switchTo[lang]}" lang="${lang}" hreflang="${lang}">${name}</a>`;
  return html`<nav class="langs" aria-label="${t(f.lang, 'Language')}">${link('en', 'English')} · ${link('fr', 'Français')}</nav>`;
}

export function page(f: Frame, body: Html): string {
  const l = f.lang;
  const nav = f.who
    ? html`<nav aria-label="${t(l, 'Main')}"><a href="/">${t(l, 'Home')}</a> · <a href="/settings">${t(l, 'Settings')}</a> · <a href="/groups">${t(l, 'Groups')}</a> · <a href="/sharing">${t(l, 'Sharing')}</a> · <a href="/help">${t(l, 'Help')}</a>
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="${f.csrf}"><button type="submit">${t(l, 'Log out')}</button></form>
<span class="who">${f.who}</span></nav>`
    : html`<nav aria-label="${t(l, 'Main')}"><a href="/">${t(l, 'Home')}</a> · <a href="/login">${t(l, 'Log in')}</a> · <a href="/signup">${t(l, 'Sign up')}</a> · <a href="/help">${t(l, 'Help')}</a></nav>`;
  return `<!doctype html>
<html lang="${l}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(f.title)} · Bureau</title><link rel="stylesheet" href="/site.css"></head>
<body><header><a class="brand" href="/">Bureau</a>${nav.html}${languageSwitch(f).html}</header>
<main><h1>${esc(f.title)}</h1>
${f.notice ? `<p class="notice" role="status">${esc(f.notice)}</p>` : ''}${f.error ? `<p class="error" role="alert">${esc(f.error)}</p>` : ''}
${body.html}</main></body></html>
`;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

export interface FieldOptions {
  readonly type?: string;
  readonly autocomplete?: string;
  readonly value?: string;
  readonly required?: boolean;
  readonly hint?: string;
  readonly extra?: string;
}

/** A labelled input; the id is the name. */
export function field(name: string, label: string, o: FieldOptions = {}): Html {
  const hintId = o.hint ? `${name}-hint` : '';
  return html`<p><label for="${name}">${label}</label>
<input id="${name}" name="${name}" type="${o.type ?? 'text'}"${o.autocomplete ? raw(` autocomplete="${esc(o.autocomplete)}"`) : ''}${o.value !== undefined && o.value !== '' ? raw(` value="${esc(o.value)}"`) : ''}${o.required === false ? '' : raw(' required')}${hintId ? raw(` aria-describedby="${hintId}"`) : ''}${o.extra ? raw(` ${o.extra}`) : ''}>
${o.hint ? html`<small id="${hintId}">${o.hint}</small>` : ''}</p>`;
}

export const CSS = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:0 1rem;color:#1b1b1b}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;border-bottom:1px solid #ccc;padding:.5rem 0}
.brand{font-weight:bold;text-decoration:none}label{display:block;font-weight:600}input,select{font:inherit;padding:.3rem;min-width:16rem}
input[type=checkbox]{min-width:0;margin-right:.5rem}input[type=checkbox]+label{display:inline}
small{display:block;color:#555}.notice{background:#e7f5e7;padding:.5rem}.error{background:#fbe4e4;padding:.5rem}
form.inline{display:inline}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left}
button{font:inherit;padding:.3rem .8rem}.danger{border:2px solid #b00}
img.photo{width:96px;height:96px;object-fit:cover;border-radius:50%}
.langs{margin-left:auto}
`;
