// The mail service: mailboxes and the messages in them, on the store, for
// every door (IMAP, SMTP delivery, the web). Nothing in it knows a protocol.
import type { Store } from '../../store/types.ts';
import { NotFound } from '../errors.ts';
import type { Quota } from '../quota.ts';
import { Mailboxes } from './mailboxes.ts';
import { Messages } from './messages.ts';

export { DELIMITER, GROUPS_ROOT, SHARED_ROOT, SPECIAL_USE_ROLES, type Mailbox } from './mailboxes.ts';
export { MAX_MESSAGE_BYTES, type AppendResult, type CopyResult, type FlagOperation, type FlagResult, type MailChange, type MailboxStatus, type MessageSummary, type StoredMessage } from './messages.ts';
export { SYSTEM_FLAGS, type MessageMeta } from './message.ts';
export type { MailSearch } from './search.ts';
export type { Envelope, MimePart, Params } from './mime.ts';
export type { AddressEntry, MailAddress } from './addresses.ts';

export class Mail {
  readonly mailboxes: Mailboxes;
  readonly messages: Messages;

  constructor(store: Store, quota: Quota) {
    this.mailboxes = new Mailboxes(store);
    this.messages = new Messages(store, this.mailboxes, quota);
  }

  /** The quota of a root as IMAP names it ('' for the account's own space, 'Groups/NAME', ...). */
  async quotaOfRoot(accountId: number, root: string): Promise<{ root: string; usedBytes: number; limitBytes: number }> {
    const m = (await this.mailboxes.list(accountId)).find((x) => x.root === root);
    if (!m) throw new NotFound(`there is no quota root ${JSON.stringify(root)}`);
    return this.messages.quotaOf(accountId, m.id);
  }
}
