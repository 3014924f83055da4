// Address lists of message headers (From, To, Cc, ...) read leniently:
// display names quoted or not, angle addresses with or without source routes,
// legacy "addr (Name)" comments, groups ("Team: a@b, c@d;"), encoded words in
// names. Pure; never throws.
import { decodeWords, squash } from './text.ts';

export interface MailAddress {
  /** display name, encoded words decoded; null when none */
  readonly name: string | null;
  /** the part before the last @ */
  readonly mailbox: string | null;
  /** the part after the last @; null for a local name */
  readonly host: string | null;
}

export interface AddressGroup {
  readonly group: string;
  readonly members: readonly MailAddress[];
}

export type AddressEntry = MailAddress | AddressGroup;

type Token = { kind: 'word' | 'quoted' | 'comment' | 'angle'; text: string } | { kind: ',' | ';' | ':' };

const MAX_TOKENS = 5_000;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let word = '';
  const endWord = (): void => {
    if (word !== '') tokens.push({ kind: 'word', text: word });
    word = '';
  };
  while (i < input.length && tokens.length < MAX_TOKENS) {
    const c = input[i]!;
    if (c === '"') {
      endWord();
      let text = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i];
        i++;
      }
      tokens.push({ kind: 'quoted', text });
      i++;
    } else if (c === '(') {
      endWord();
      let depth = 1;
      let text = '';
      i++;
      while (i < input.length && depth > 0) {
        const d = input[i]!;
        if (d === '\\' && i + 1 < input.length) {
          text += input[i + 1];
          i += 2;
          continue;
        }
        if (d === '(') depth++;
        if (d === ')') depth--;
        if (depth > 0) text += d;
        i++;
      }
      tokens.push({ kind: 'comment', text });
    } else if (c === '<') {
      endWord();
      const close = input.indexOf('>', i + 1);
      const text = close < 0 ? input.slice(i + 1) : input.slice(i + 1, close);
      tokens.push({ kind: 'angle', text });
      i = close < 0 ? input.length : close + 1;
    } else if (c === ',' || c === ';' || c === ':') {
      endWord();
      tokens.push({ kind: c });
      i++;
    } else if (/\s/.test(c)) {
      endWord();
      i++;
    } else {
      word += c;
      i++;
    }
  }
  endWord();
  return tokens;
}

function split(addr: string): { mailbox: string | null; host: string | null } {
  // a source route (@a,@b:user@host) is dropped
  const bare = addr.replace(/^(@[^:]*:)/, '').trim();
  if (bare === '') return { mailbox: null, host: null };
  const at = bare.lastIndexOf('@');
  if (at < 0) return { mailbox: bare, host: null };
  return { mailbox: bare.slice(0, at) || null, host: bare.slice(at + 1) || null };
}

/** One address from the tokens between commas. */
function toAddress(tokens: readonly Token[]): MailAddress | null {
  if (tokens.length === 0) return null;
  const angle = tokens.find((t) => t.kind === 'angle') as { text: string } | undefined;
  const texts = (kinds: readonly string[]): string[] =>
    tokens.filter((t) => kinds.includes(t.kind)).map((t) => (t as { text: string }).text);
  if (angle) {
    const before = tokens.slice(0, tokens.indexOf(angle as Token)).filter((t) => t.kind === 'word' || t.kind === 'quoted');
    const name = squash(decodeWords(before.map((t) => (t as { text: string }).text).join(' ')));
    return { name: name || null, ...split(angle.text) };
  }
  // "user@host (Name)" or a bare address; a quoted local part ("a b"@host) is kept
  const words = tokens.filter((t) => t.kind === 'word' || t.kind === 'quoted');
  const address = words.map((t) => (t.kind === 'quoted' ? `"${(t as { text: string }).text}"` : (t as { text: string }).text)).join('');
  const comment = squash(decodeWords(texts(['comment']).join(' ')));
  if (address === '' && comment === '') return null;
  return { name: comment || null, ...split(address) };
}

/** Parses an address-list header value; an empty or unreadable value gives []. */
export function parseAddressList(value: string): AddressEntry[] {
  const tokens = tokenize(value);
  const out: AddressEntry[] = [];
  let current: Token[] = [];
  let group: { name: string; members: MailAddress[] } | null = null;
  const push = (): void => {
    const a = toAddress(current);
    current = [];
    if (!a) return;
    if (group) group.members.push(a);
    else out.push(a);
  };
  for (const t of tokens) {
    if (t.kind === ':' && !group && !current.some((x) => x.kind === 'angle')) {
      const name = squash(decodeWords(current.filter((x) => x.kind === 'word' || x.kind === 'quoted').map((x) => (x as { text: string }).text).join(' ')));
      group = { name, members: [] };
      current = [];
    } else if (t.kind === ';' && group) {
      push();
      out.push({ group: group.name, members: group.members });
      group = null;
    } else if (t.kind === ',') {
      push();
    } else if (t.kind !== ':' && t.kind !== ';') {
      current.push(t);
    }
  }
  push();
  if (group) out.push({ group: group.name, members: group.members });
  return out;
}

export function isGroup(entry: AddressEntry): entry is AddressGroup {
  return 'group' in entry;
}

/** Every address of a list, groups flattened, as "name <mailbox@host>" text for search. */
export function addressText(entries: readonly AddressEntry[]): string {
  const one = (a: MailAddress): string => {
    const addr = a.host ? `${a.mailbox ?? ''}@${a.host}` : (a.mailbox ?? '');
    return a.name ? `${a.name} <${addr}>` : addr;
  };
  return entries.map((e) => (isGroup(e) ? `${e.group}: ${e.members.map(one).join(', ')};` : one(e))).join(', ');
}
