// The site's French: every sentence a page sends through t()/th() has its
// French in lang/fr.ts with the same placeholders, the catalogue holds nothing
// no page asks for, and Accept-Language is read as browsers write it.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FR } from '../../src/web/lang/fr.ts';
import { negotiate, size, t, th } from '../../src/web/i18n.ts';
import { CORE_FR, coreMessage } from '../../src/web/lang/core-messages.ts';

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

  it('writes sizes in MiB below a GiB and in GiB above, as the reader writes numbers', () => {
    expect(size('en', 524_288)).to.equal('0.5 MiB');
    expect(size('fr', 524_288)).to.equal('0,5 Mio');
    expect(size('en', 300 * 1_048_576)).to.equal('300 MiB');
    expect(size('en', 10 * 1_073_741_824)).to.equal('10 GiB');
    expect(size('fr', 1.5 * 1_073_741_824)).to.equal('1,5 Gio');
  });

  it('escapes the values put into a sentence', () => {
    expect(th('en', 'Welcome, {name}.', { name: '<b>' }).html).to.equal('Welcome, &#60;b&#62;.');
    expect(t('en', 'Welcome, {name}.', { name: '<b>' })).to.equal('Welcome, <b>.');
  });

  it('has French for the core refusals a web user meets, every pattern reached', () => {
    // one message of each kind, as src/core and the store write them
    const samples = [
      '"ann@" is not an e-mail address such as ann@example.org',
      'the name is longer than 200 characters', 'the organisation cannot contain control characters',
      'the domain x.test is not hosted here; add it first (bureau domain add x.test)',
      'the address ann@example.test is taken', 'the address ann@example.test is not available', 'there is no account bob@example.test',
      'the current password is wrong', 'the idle timeout must be a whole number of minutes from 1 to 1440',
      'ann@example.test administers the group Team A, which has other members; transfer it first (bureau group transfer "Team A" ADDRESS)',
      'choose a picture file to upload', 'the picture is larger than 256 KiB; make it smaller', 'the picture must be a JPEG or PNG file',
      'the password is too short: at least 10 characters are needed', 'the password is too long: at most 1024 characters are allowed',
      'the password cannot be only spaces', 'the password cannot contain a NUL character',
      'too many sign-ups from your network in the last hour; try again later',
      'too many password reset requests from your network in the last hour; try again later',
      'the contact address must be one you already read, not the new one',
      'the contact address must be outside this server, at a mailbox you already read',
      'no sign-up waits for activation with this address and password',
      'a group name has 1 to 64 characters', 'a group name cannot contain / or \\ or control characters, nor be . or ..',
      '"own" cannot be granted to members; use read, write, delete (comma-separated)', 'admin cannot be granted to members',
      'a group named Team A already exists', 'the plan allows administering 1 group(s), and that many are administered already',
      'the account is already a member of Team A', 'the group Team A has 2 members, the most its administrator\'s plan allows',
      'the administrator of Team A cannot leave it without first naming a successor', 'the new administrator must first be a member of Team A',
      'the account is not a member of the group', 'there is no group named Team A', 'group 7 does not exist',
      'a share needs at least one right; withdraw it instead', 'admin cannot be shared; allowed: read, write, delete',
      'one can only share with a group one is a member of', 'share 3 does not exist', 'collection 4 does not exist', 'item 5 is not in collection 4',
      'there is no calendar, address book or folder 7 of yours to share from', 'single messages are not shared one by one; share the whole mailbox',
      'the account is not active', 'only the group administrator may do this', 'members of this group have no write right on its space',
      'the space belongs to someone else', 'the group administrator has not granted delete to this member', 'the share does not include write',
      'it is not shared with any group of the account', 'only busy times, seen when scheduling', 'not listed: files can only be dropped in',
      'not among the account\'s mailboxes', 'not on the drive',
    ];
    const reached = new Set<number>();
    for (const english of samples) {
      const i = CORE_FR.findIndex(([pattern]) => pattern.test(english));
      expect(i, `a pattern for "${english}"`).to.be.at.least(0);
      reached.add(i);
      const french = coreMessage('fr', english);
      expect(french, english).to.not.equal(english).and.not.match(/\$\d|undefined/);
      expect(coreMessage('en', english)).to.equal(english);
    }
    expect(CORE_FR.map((_, i) => i).filter((i) => !reached.has(i)), 'patterns no sample reaches').to.deep.equal([]);
    expect(coreMessage('fr', 'the group Team A has 2 members, the most its administrator\'s plan allows'))
      .to.equal('le groupe Team A a 2 membres, le maximum que permet la formule de son administrateur');
    expect(coreMessage('fr', 'the share does not include write')).to.equal('le partage n’inclut pas le droit écriture');
    expect(coreMessage('fr', 'something the table does not know')).to.equal('something the table does not know');
  });
});
