// The site's French: every sentence a page sends through t()/th() has its
// French in lang/fr.ts with the same placeholders, the catalogue holds nothing
// no page asks for, and Accept-Language is read as browsers write it.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FR } from '../../src/web/lang/fr.ts';
import { negotiate, t, th } from '../../src/web/i18n.ts';

const WEB = resolve(import.meta.dirname, '../../src/web');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'lang' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The English keys passed as literals to t(lang, '…') and th(lang, '…') in the site's sources. */
function keysInSources(): Map<string, string> {
  const found = new Map<string, string>();
  const call = /\bth?\(\s*[\w.]+\s*,\s*(?:'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"|`((?:\\.|[^`\\$])*)`)/g;
  for (const file of sources(WEB)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(call)) {
      const literal = m[1] ?? m[2] ?? m[3] ?? '';
      const key = literal.replace(/\\(['"`\\])/g, '$1').replace(/\\n/g, '\n');
      found.set(key, file.slice(WEB.length + 1));
    }
  }
  return found;
}

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
const tags = (s: string): string[] => [...s.matchAll(/<\/?([a-z]+)/g)].map((m) => m[1]!).sort();

describe('web site in French', () => {
  const keys = keysInSources();

  it('finds the sentences of the pages', () => {
    expect(keys.size).to.be.greaterThan(100);
  });

  it('has French for every sentence, with the same placeholders and markup', () => {
    const missing = [...keys].filter(([k]) => !(k in FR)).map(([k, f]) => `${f}: ${k}`);
    expect(missing, 'sentences without French').to.deep.equal([]);
    for (const [k] of keys) {
      expect(placeholders(FR[k]!), `placeholders of "${k}"`).to.deep.equal(placeholders(k));
      expect(tags(FR[k]!), `markup of "${k}"`).to.deep.equal(tags(k));
    }
  });

  it('keeps no French that no page uses', () => {
    expect(Object.keys(FR).filter((k) => !keys.has(k))).to.deep.equal([]);
  });

  it('reads Accept-Language as browsers send it', () => {
    expect(negotiate('fr-BE,fr;q=0.9,en;q=0.8')).to.equal('fr');
    expect(negotiate('en-GB,en;q=0.9,fr;q=0.8')).to.equal('en');
    expect(negotiate('de-DE,de;q=0.9,fr;q=0.5')).to.equal('fr');
    expect(negotiate('de-DE')).to.equal('en');
    expect(negotiate('fr;q=0')).to.equal('en');
    expect(negotiate(undefined)).to.equal('en');
    expect(negotiate('x'.repeat(10_000))).to.equal('en');
  });

  it('escapes the values put into a sentence', () => {
    expect(th('en', 'Welcome, {name}.', { name: '<b>' }).html).to.equal('Welcome, &#60;b&#62;.');
    expect(t('en', 'Welcome, {name}.', { name: '<b>' })).to.equal('Welcome, <b>.');
  });
});
