// The collections every new account and group starts with.
import type { NewCollectionInSpace } from '../store/types.ts';

export const ACCOUNT_COLLECTIONS: readonly NewCollectionInSpace[] = [
  { tool: 'mail', name: 'INBOX', role: 'inbox' },
  { tool: 'mail', name: 'Drafts', role: 'drafts' },
  { tool: 'mail', name: 'Sent', role: 'sent' },
  { tool: 'mail', name: 'Trash', role: 'trash' },
  { tool: 'mail', name: 'Junk', role: 'junk' },
  { tool: 'mail', name: 'Archive', role: 'archive' },
  { tool: 'calendar', name: 'calendar', role: 'default', props: { displayname: 'Calendar' } },
  { tool: 'contacts', name: 'contacts', role: 'default', props: { displayname: 'Contacts' } },
  { tool: 'files', name: 'Documents', role: 'documents' },
  { tool: 'files', name: 'Drop box', role: 'dropbox' },
];

/** The role of a group's member directory (core/contacts/directory.ts): read-only for everyone (core/acl). */
export const DIRECTORY_ROLE = 'directory';
/** Its cards are the server's: they count against no quota (counted: false). */
export const DIRECTORY_COLLECTION: NewCollectionInSpace = { tool: 'contacts', name: 'member-directory', role: DIRECTORY_ROLE, props: { displayname: 'Members' }, counted: false };

export const GROUP_COLLECTIONS: readonly NewCollectionInSpace[] = [
  { tool: 'calendar', name: 'calendar', role: 'default', props: { displayname: 'Calendar' } },
  { tool: 'contacts', name: 'contacts', role: 'default', props: { displayname: 'Contacts' } },
  { tool: 'files', name: 'Documents', role: 'documents' },
  // the member directory, kept by core/contacts/directory.ts, read-only for everyone (core/acl)
  DIRECTORY_COLLECTION,
];
