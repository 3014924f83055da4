// IMAP ACL (RFC 4314) in Bureau's words: the one table from the standard's
// right letters to the rights core/acl decides. The door never decides access
// by itself; it only names what `authorize` granted.
import { holds } from '../../core/acl.ts';
import type { Right } from '../../core/acl.ts';

/** Each RFC 4314 letter, and the Bureau rights any one of which grants it. */
export const IMAP_RIGHTS: readonly (readonly [string, readonly Right[]])[] = [
  ['l', ['read', 'deposit']], // lookup: the mailbox is listed
  ['r', ['read']], // SELECT, FETCH, SEARCH, COPY from
  ['s', ['write']], // keep \Seen
  ['w', ['write']], // other flags and keywords
  ['i', ['deposit']], // APPEND, COPY into (write implies deposit)
  ['p', ['deposit']], // post (submit to the mailbox)
  ['k', ['write']], // create mailboxes inside
  ['x', ['delete']], // delete or rename the mailbox
  ['t', ['delete']], // \Deleted
  ['e', ['delete']], // EXPUNGE
  ['a', ['share']], // administer: see and change who has access
];

/** Letters that always go together (LISTRIGHTS), in the table's order. */
export const RIGHT_GROUPS: readonly string[] = ['l', 'r', 'swk', 'ip', 'xte', 'a'];

/** The RFC 4314 letters of a set of Bureau rights. */
export function letters(rights: readonly Right[]): string {
  return IMAP_RIGHTS.filter(([, any]) => any.some((r) => holds(rights, r))).map(([l]) => l).join('');
}
