// The site's two languages. Pages are written in English; each visible
// sentence goes through `t` (plain text, escaped where it is placed) or `th`
// (a sentence that carries the site's own markup, such as a link), keyed by
// its English text. French comes from the catalogue in lang/fr.ts; a sentence
// missing there shows in English (test/web/i18n.test.ts fails the build when
// one is missing). Placeholders are written {name} and always escaped.
import { esc, raw, type Html } from './html.ts';
import { FR } from './lang/fr.ts';

export type Lang = 'en' | 'fr';
export const LANGS: readonly Lang[] = ['en', 'fr'];
export const LANG_COOKIE = 'bureau_lang';

const CATALOGUES: Readonly<Record<Lang, Readonly<Record<string, string>> | null>> = { en: null, fr: FR };

export type Vars = Readonly<Record<string, string | number>>;

function fill(text: string, vars: Vars | undefined, escape: (s: string) => string): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? escape(String(vars[name])) : whole));
}

/** A sentence in the reader's language, as plain text. */
export function t(lang: Lang, english: string, vars?: Vars): string {
  return fill(CATALOGUES[lang]?.[english] ?? english, vars, (s) => s);
}

/** A sentence holding the site's own markup; the values put into it are escaped. */
export function th(lang: Lang, english: string, vars?: Vars): Html {
  return raw(fill(CATALOGUES[lang]?.[english] ?? english, vars, esc));
}

/** A number with `digits` decimals as the reader writes it (0.5 in English, 0,5 in French). */
export function decimal(lang: Lang, n: number, digits: number): string {
  const text = n.toFixed(digits);
  return lang === 'fr' ? text.replace('.', ',') : text;
}

/** The language asked for by name ('fr', 'en'), or null. */
export function langOf(value: string | undefined | null): Lang | null {
  const v = (value ?? '').trim().toLowerCase();
  return (LANGS as readonly string[]).includes(v) ? (v as Lang) : null;
}

/** The best of the site's languages for an Accept-Language header; English when none is asked for. */
export function negotiate(header: string | undefined): Lang {
  let best: { lang: Lang; q: number } | null = null;
  for (const part of (header ?? '').split(',').slice(0, 32)) {
    const [tag, ...params] = part.trim().split(';');
    const primary = langOf(tag?.split('-')[0]);
    if (!primary) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (q > 0 && (!best || q > best.q)) best = { lang: primary, q };
  }
  return best?.lang ?? 'en';
}

/** A size as the reader writes it: MiB below 1 GiB (one decimal under 10 MiB), GiB above (one decimal unless whole). */
export function size(lang: Lang, bytes: number): string {
  const GIB = 1_073_741_824;
  if (bytes >= GIB) {
    const g = bytes / GIB;
    return t(lang, '{n} GiB', { n: decimal(lang, g, Number.isInteger(g) ? 0 : 1) });
  }
  return t(lang, '{n} MiB', { n: decimal(lang, bytes / 1_048_576, bytes < 10_485_760 ? 1 : 0) });
}
