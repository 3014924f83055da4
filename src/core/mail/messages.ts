// Messages in mailboxes: append and delivery (bytes kept as received in the
// blob store, read once into meta and index), reading, flags, copy, move,
// expunge, search, changes and quota. Every call made for an account asks
// core/acl through Mailboxes.require, fresh, before it reads or writes.
import type { Item, Store } from '../../store/types.ts';
import { InvalidInput, NotFound, QuotaExceeded } from '../errors.ts';
import type { Quota } from '../quota.ts';
import type { Mailboxes, Mailbox } from './mailboxes.ts';
import { describeMessage, flagIndex, messageMeta, normaliseFlags, type MessageMeta } from './message.ts';
import { intervals, toItemQuery, type MailSearch } from './search.ts';

/** The largest message accepted, by every door (IMAP APPENDLIMIT, SMTP SIZE). */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
/** Items read by uid below this many, whatever their spread. */
const FEW = 64;
const PAGE = 1_000;

export interface StoredMessage {
  readonly uid: number;
  readonly modseq: number;
  readonly size: number;
  readonly item: Item;
  readonly meta: MessageMeta;
}

export interface MessageSummary {
  readonly uid: number;
  readonly modseq: number;
  readonly size: number;
  readonly flags: readonly string[];
  readonly internalDate: number;
}

export interface AppendResult {
  readonly uid: number;
  readonly uidValidity: number;
  readonly modseq: number;
  readonly mailboxId: number;
}

export interface CopyResult {
  readonly uidValidity: number;
  /** [source uid, new uid], in source uid order */
  readonly pairs: readonly (readonly [number, number])[];
}

export type FlagOperation = 'add' | 'remove' | 'set';

export interface FlagResult {
  readonly changed: readonly { readonly uid: number; readonly flags: readonly string[]; readonly modseq: number }[];
  /** messages that already had the flags asked for */
  readonly unchanged: readonly { readonly uid: number; readonly flags: readonly string[]; readonly modseq: number }[];
  /** uids left unchanged because they changed after `unchangedSince` (CONDSTORE) */
  readonly refused: readonly number[];
}

export interface MailboxStatus {
  readonly messages: number;
  readonly unseen: number;
  readonly uidNext: number;
  readonly uidValidity: number;
  readonly highestModseq: number;
}

export interface MailChange {
  readonly uid: number;
  readonly modseq: number;
  /** 'put': new or changed (flags given); 'delete': expunged */
  readonly op: 'put' | 'delete';
  readonly flags?: readonly string[];
}

/** The uids ascending, each once; a list that already is so (a session's sequence set) is taken as it is. */
function ascendingUnique(uids: readonly number[]): readonly number[] {
  let sorted = true;
  for (let i = 1; i < uids.length && sorted; i++) sorted = uids[i]! > uids[i - 1]!;
  return sorted ? uids : [...new Set(uids)].sort((a, b) => a - b);
}

function toStored(item: Item): StoredMessage {
  return { uid: item.uid, modseq: item.modseq, size: item.size, item, meta: messageMeta(item.meta) };
}

export class Messages {
  private readonly store: Store;
  private readonly mailboxes: Mailboxes;
  private readonly quota: Quota;

  constructor(store: Store, mailboxes: Mailboxes, quota: Quota) {
    this.store = store;
    this.mailboxes = mailboxes;
    this.quota = quota;
  }

  /** Stores a message: the quota checked before the bytes are written and again, atomically, with the item. */
  private async put(mailbox: { id: number; spaceId: number }, raw: Uint8Array, flags: readonly string[], internalDate: number): Promise<Item> {
    if (raw.byteLength > MAX_MESSAGE_BYTES) throw new InvalidInput('message', `a message can have at most ${MAX_MESSAGE_BYTES} bytes`);
    if (raw.byteLength === 0) throw new InvalidInput('message', 'the message is empty');
    if (!Number.isSafeInteger(internalDate) || internalDate < 0) throw new InvalidInput('date', 'the internal date is not a date');
    const described = describeMessage(raw, flags, internalDate);
    const limit = await this.quota.limit(mailbox.spaceId, 'mail');
    const used = await this.store.getUsage(mailbox.spaceId, 'mail');
    if (used + raw.byteLength > limit) {
      throw new QuotaExceeded(`the mail quota is exceeded: ${used} of ${limit} bytes used, ${raw.byteLength} more needed`, used, limit, raw.byteLength);
    }
    const blob = await this.store.blobs.write(raw);
    try {
      return await this.store.putItem({
        collectionId: mailbox.id, blobId: blob.id, size: blob.size, contentType: 'message/rfc822',
        meta: described.meta as unknown as Record<string, unknown>, index: described.index, quotaLimit: limit,
      });
    } catch (err) {
      await this.store.blobs.remove(blob.id).catch(() => undefined);
      throw err;
    }
  }

  /** APPEND: needs write (or deposit) on the mailbox. */
  async append(accountId: number, mailboxId: number, raw: Uint8Array, options: { flags?: readonly string[]; internalDate?: number } = {}): Promise<AppendResult> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'deposit');
    const item = await this.put({ id: m.id, spaceId: m.space.id }, raw, options.flags ?? [], options.internalDate ?? Date.now());
    return { uid: item.uid, uidValidity: m.collection.uidValidity, modseq: item.modseq, mailboxId: m.id };
  }

  /**
   * Delivery of a message received for the account (SMTP, local senders) into
   * its INBOX; the door has decided the account may receive it. QuotaExceeded
   * when the mailbox is full.
   */
  async deliver(accountId: number, raw: Uint8Array, options: { internalDate?: number; flags?: readonly string[] } = {}): Promise<AppendResult> {
    const account = await this.store.getAccount(accountId);
    if (!account) throw new NotFound(`account ${accountId} does not exist`);
    const inbox = await this.store.findCollectionByRole(account.spaceId, 'mail', 'inbox');
    if (!inbox) throw new NotFound(`${account.address} has no INBOX`);
    const item = await this.put({ id: inbox.id, spaceId: account.spaceId }, raw, options.flags ?? [], options.internalDate ?? Date.now());
    return { uid: item.uid, uidValidity: inbox.uidValidity, modseq: item.modseq, mailboxId: inbox.id };
  }

  /** Opening a mailbox: its state and every uid, read in that order so that a change in between is reported later rather than lost. */
  async open(accountId: number, mailboxId: number): Promise<{ mailbox: Mailbox; uids: number[]; uidNext: number; highestModseq: number }> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'read');
    const uids = await this.store.searchItems(m.id, { all: true });
    return { mailbox: m, uids, uidNext: m.collection.uidNext, highestModseq: m.collection.modseq };
  }

  async status(accountId: number, mailboxId: number): Promise<MailboxStatus> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'read');
    const [all, unseen] = await Promise.all([
      this.store.searchItems(m.id, { all: true }),
      this.store.searchItems(m.id, { not: { field: 'flag', equals: '\\seen' } }),
    ]);
    return {
      messages: all.length, unseen: unseen.length, uidNext: m.collection.uidNext, uidValidity: m.collection.uidValidity, highestModseq: m.collection.modseq,
    };
  }

  /**
   * The items of those uids, in uid order (uids that do not exist are
   * skipped): uids spread over a mailbox by uid (one query per few hundred),
   * uids that fill most of their span by pages of the listing.
   */
  private async items(collectionId: number, uids: readonly number[]): Promise<Item[]> {
    const wanted = [...new Set(uids)].sort((a, b) => a - b);
    if (wanted.length === 0) return [];
    const last = wanted[wanted.length - 1]!;
    if (wanted.length < FEW || wanted.length * 2 < last - wanted[0]! + 1) return this.store.getItemsByUids(collectionId, wanted);
    const set = new Set(wanted);
    const out: Item[] = [];
    let after = wanted[0]! - 1;
    while (after < last) {
      const page = await this.store.listItems(collectionId, { afterUid: after, limit: Math.min(PAGE, last - after) });
      if (page.length === 0) break;
      for (const i of page) if (set.has(i.uid)) out.push(i);
      after = page[page.length - 1]!.uid;
    }
    return out;
  }

  /** Reads messages (meta, not bytes), in pages of the given size, for a door that streams its answer. */
  async *read(accountId: number, mailboxId: number, uids: readonly number[], pageSize = 500): AsyncGenerator<StoredMessage[]> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'read');
    const wanted = [...new Set(uids)].sort((a, b) => a - b);
    for (let i = 0; i < wanted.length; i += pageSize) {
      yield (await this.items(m.id, wanted.slice(i, i + pageSize))).map(toStored);
    }
  }

  /**
   * uid, modseq, size, flags and internal date of messages, in pages, read
   * without their structure: what a client syncing flags asks of a big mailbox.
   */
  async *summaries(accountId: number, mailboxId: number, uids: readonly number[], pageSize = PAGE, options: { dates?: boolean } = {}): AsyncGenerator<MessageSummary[]> {
    // the internal date is read only when asked for (then 0 stands for it)
    const keys = options.dates === false ? ['flags'] : ['flags', 'internalDate'];
    const m = await this.mailboxes.require(accountId, mailboxId, 'read');
    const wanted = ascendingUnique(uids);
    if (wanted.length === 0) return;
    const last = wanted[wanted.length - 1]!;
    let after = wanted[0]! - 1;
    // both the wanted uids and the listing ascend: one walk along each
    let w = 0;
    while (after < last) {
      const rows = await this.store.listItemMeta(m.id, keys, { afterUid: after, limit: Math.min(pageSize, last - after) });
      if (rows.length === 0) break;
      const page: MessageSummary[] = [];
      for (const r of rows) {
        while (w < wanted.length && wanted[w]! < r.uid) w++;
        if (wanted[w] !== r.uid) continue;
        page.push({ uid: r.uid, modseq: r.modseq, size: r.size, flags: (r.meta.flags as string[] | undefined) ?? [], internalDate: Number(r.meta.internalDate ?? 0) });
      }
      if (page.length > 0) yield page;
      after = rows[rows.length - 1]!.uid;
    }
  }

  /** The bytes of a message as they were received. */
  content(message: StoredMessage): Promise<Uint8Array> {
    return this.store.readItemContent(message.item);
  }

  /** STORE: `write` to change flags, `delete` as well to set \Deleted. */
  async setFlags(
    accountId: number, mailboxId: number, uids: readonly number[], op: FlagOperation, flags: readonly string[], options: { unchangedSince?: number } = {},
  ): Promise<FlagResult> {
    const given = normaliseFlags(flags);
    const m = await this.mailboxes.require(accountId, mailboxId, 'write');
    if (given.includes('\\Deleted')) await this.mailboxes.require(accountId, mailboxId, 'delete');
    const refused: number[] = [];
    const unchanged: { uid: number; flags: readonly string[]; modseq: number }[] = [];
    const changed = await this.store.updateItemsMeta(m.id, uids, (item) => {
      const meta = messageMeta(item.meta);
      const current = meta.flags ?? [];
      let next: string[];
      if (op === 'set') next = [...given];
      else if (op === 'add') next = normaliseFlags([...current, ...given]);
      else next = current.filter((f) => !given.some((g) => g.toLowerCase() === f.toLowerCase()));
      const same = next.length === current.length && next.every((f) => current.some((c) => c.toLowerCase() === f.toLowerCase()));
      if (options.unchangedSince !== undefined && item.modseq > options.unchangedSince) {
        refused.push(item.uid);
        return null;
      }
      if (same) {
        unchanged.push({ uid: item.uid, flags: current, modseq: item.modseq });
        return null;
      }
      return { meta: { ...item.meta, flags: next }, index: flagIndex(next) };
    });
    return {
      changed: changed.map((i) => ({ uid: i.uid, flags: messageMeta(i.meta).flags, modseq: i.modseq })),
      unchanged,
      refused,
    };
  }

  private async copyOrMove(accountId: number, fromId: number, uids: readonly number[], toId: number, move: boolean): Promise<CopyResult> {
    await this.mailboxes.require(accountId, fromId, 'read');
    if (move) await this.mailboxes.require(accountId, fromId, 'delete');
    const target = await this.mailboxes.require(accountId, toId, 'deposit');
    const limit = await this.quota.limit(target.space.id, 'mail');
    const copied = await this.store.copyItems({ fromCollectionId: fromId, uids, toCollectionId: target.id, quotaLimit: limit, move });
    return { uidValidity: target.collection.uidValidity, pairs: copied.map((c) => [c.source.uid, c.copy.uid] as const) };
  }

  copy(accountId: number, fromId: number, uids: readonly number[], toId: number): Promise<CopyResult> {
    return this.copyOrMove(accountId, fromId, uids, toId, false);
  }

  move(accountId: number, fromId: number, uids: readonly number[], toId: number): Promise<CopyResult> {
    return this.copyOrMove(accountId, fromId, uids, toId, true);
  }

  /** Removes the messages flagged \Deleted (among `uids` when given); returns their uids. */
  async expunge(accountId: number, mailboxId: number, uids?: readonly number[]): Promise<number[]> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'delete');
    const deleted = { field: 'flag', equals: '\\deleted' } as const;
    const query = uids === undefined ? deleted : { and: [deleted, { uids: intervals(uids) }] };
    const found = await this.store.searchItems(m.id, query);
    const gone = await this.store.deleteItems(m.id, found);
    return gone.map((i) => i.uid);
  }

  /** Uids of the messages that match, ascending. */
  async search(accountId: number, mailboxId: number, query: MailSearch): Promise<number[]> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'read');
    return this.store.searchItems(m.id, toItemQuery(query));
  }

  /** What changed since a modseq: new and changed messages with their flags, expunged ones. */
  async changes(accountId: number, mailboxId: number, since: number): Promise<{ modseq: number; changes: MailChange[] }> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'read');
    const log = await this.store.changesSince(m.id, since);
    const puts = log.changes.filter((c) => c.op === 'put').map((c) => c.uid);
    const items = new Map((await this.items(m.id, puts)).map((i) => [i.uid, i]));
    const changes: MailChange[] = [];
    for (const c of log.changes) {
      if (c.op === 'delete') {
        changes.push({ uid: c.uid, modseq: c.modseq, op: 'delete' });
        continue;
      }
      const item = items.get(c.uid);
      // deleted after the log was read: its delete comes next time
      if (item) changes.push({ uid: c.uid, modseq: item.modseq, op: 'put', flags: messageMeta(item.meta).flags });
    }
    return { modseq: log.modseq, changes };
  }

  /** The quota a mailbox counts against: its space's root, use and limit in bytes. */
  async quotaOf(accountId: number, mailboxId: number): Promise<{ root: string; usedBytes: number; limitBytes: number }> {
    const m = await this.mailboxes.require(accountId, mailboxId, 'read');
    const [usedBytes, limitBytes] = await Promise.all([this.store.getUsage(m.space.id, 'mail'), this.quota.limit(m.space.id, 'mail')]);
    return { root: m.root, usedBytes, limitBytes };
  }
}
