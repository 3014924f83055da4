// imap-core's hooks filled with Bureau's core: each hook turns the command's
// arguments into one core call (which asks core/acl, fresh, every time) and
// the result into imap-core's callback. Refusals are rendered in one place
// (`refusal`): core errors become IMAP response codes with the core's reason
// as the text, e.g. NO [OVERQUOTA], NO [NOPERM], NO [NONEXISTENT].
import type { Core } from '../../core/index.ts';
import { holds } from '../../core/acl.ts';
import { Conflict, Forbidden, InvalidInput, LimitReached, NotFound, QuotaExceeded, StoreUnavailable } from '../../core/errors.ts';
import type { FlagOperation, Mailbox } from '../../core/mail/index.ts';
import { loginKeys } from '../../core/throttle.ts';
import type { BureauState, ImapSession } from './engine.ts';
import { fetchMessages, type FetchOptions } from './fetch.ts';
import { ImapNotifier, Selection } from './notifier.ts';
import { SearchError, toMailSearch } from './search.ts';
import { UidList } from './uid-list.ts';

export interface HookLog {
  warn(message: string): void;
}

const SPECIAL_USE: Readonly<Record<string, string>> = {
  drafts: '\\Drafts', sent: '\\Sent', trash: '\\Trash', junk: '\\Junk', archive: '\\Archive',
};

/** Text for a response line: one line, its non-ASCII as UTF-8 bytes (imap-core writes strings as binary). */
function responseText(text: string): string {
  return Buffer.from(text.replace(/[\r\n]+/g, ' ').slice(0, 500), 'utf8').toString('binary');
}

/** A core error as an IMAP refusal, or null for an error that is not the client's to hear about. */
export function refusal(err: unknown, conflict = 'CANNOT'): { code: string; text: string } | null {
  if (err instanceof QuotaExceeded) return { code: 'OVERQUOTA', text: `Over quota: ${err.message}` };
  if (err instanceof NotFound) return { code: 'NONEXISTENT', text: err.message };
  if (err instanceof Forbidden) return { code: 'NOPERM', text: `Not allowed: ${err.message}` };
  if (err instanceof Conflict) return { code: conflict, text: err.message };
  if (err instanceof InvalidInput) return { code: 'CANNOT', text: err.message };
  if (err instanceof LimitReached) return { code: 'LIMIT', text: err.message };
  if (err instanceof SearchError) return { code: err.code, text: err.message };
  if (err instanceof StoreUnavailable) return { code: 'UNAVAILABLE', text: 'The mail store is unavailable; try again later' };
  return null;
}

type Cb = (err: Error | null, ...args: unknown[]) => void;

export function createHooks(core: Core, notifier: ImapNotifier, log: HookLog) {
  const state = (session: ImapSession): BureauState => {
    if (!session.bureau) throw new Forbidden('not logged in');
    return session.bureau;
  };
  const account = (session: ImapSession): number => state(session).accountId;

  /** Runs a hook's work; a refusal answers NO [CODE] text (through `refuse` for hooks whose callback differs). */
  const answer = (session: ImapSession, callback: Cb, work: () => Promise<unknown[]>, options: { conflict?: string; notFound?: string; refuse?: (code: string) => unknown[] } = {}): void => {
    work().then(
      (args) => callback(null, ...args),
      (err: unknown) => {
        let r = refusal(err, options.conflict);
        if (r && err instanceof NotFound && options.notFound) r = { ...r, code: options.notFound };
        if (!r) {
          log.warn(`imap: ${(err as Error).stack ?? String(err)}`);
          return callback(err as Error);
        }
        if (session.bureau) session.bureau.reply = { code: r.code, text: responseText(r.text) };
        callback(null, ...(options.refuse ? options.refuse(r.code) : [r.code]));
      },
    );
  };

  const selectionOf = (mailbox: unknown): Selection => {
    if (!(mailbox instanceof Selection)) throw new NotFound('no mailbox is selected');
    return mailbox;
  };
  const find = (session: ImapSession, path: string): Promise<Mailbox> => core.mail.mailboxes.find(account(session), path);
  const listing = (mailboxes: readonly Mailbox[]): { path: string; specialUse?: string }[] =>
    mailboxes.map((m) => (m.role && SPECIAL_USE[m.role] ? { path: m.path, specialUse: SPECIAL_USE[m.role]! } : { path: m.path }));

  return {
    onAuth(login: { username: string; password: string }, session: ImapSession, callback: Cb): void {
      (async () => {
        // failures are throttled per client address and per account, as on every door
        const keys = loginKeys(session.remoteAddress, login.username);
        const wait = await core.throttle.blockedFor(keys);
        if (wait > 0) {
          return callback(Object.assign(new Error(`Too many failed logins from this address or for this account; try again in ${Math.ceil(wait / 60_000)} minute(s)`),
            { response: 'NO', code: 'UNAVAILABLE' }));
        }
        const found = await core.throttle.guard(keys, () => core.accounts.authenticate(login.username, login.password, 'imap'));
        if (!found) return callback(null, {});
        if (!(await core.plans.allows(found, 'clients'))) {
          const err = Object.assign(new Error(responseText(
            `The plan of ${found.address} does not include mail programs (IMAP, SMTP): use the web site, or ask for a plan with clients`)), { response: 'NO', code: 'ALERT' });
          return callback(err);
        }
        // the password may have changed since it was checked: the watch, then one more look (notifier.guard)
        const gone = await notifier.guard(session, found.id, found.passwordHash);
        if (gone !== null) return callback(Object.assign(new Error(responseText(gone)), { response: 'NO', code: 'AUTHENTICATIONFAILED' }));
        // a client gone meanwhile: imap-core tells of the close of logged-in sessions only
        if (session.connection?._closed) notifier.releaseConnection({ session });
        session.bureau = { accountId: found.id, reply: null, readOnly: false, copyUidSent: false };
        callback(null, { user: { id: found.id, username: found.address } });
      })().catch((err: unknown) => {
        log.warn(`imap: authentication failed with an error: ${(err as Error).message}`);
        callback(Object.assign(new Error('Authentication is unavailable; try again later'), { response: 'NO', code: 'UNAVAILABLE' }));
      });
    },

    onList(_query: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => [listing(await core.mail.mailboxes.list(account(session)))]);
    },

    onLsub(_query: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => [listing((await core.mail.mailboxes.list(account(session))).filter((m) => m.subscribed))]);
    },

    onSubscribe(path: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        await core.mail.mailboxes.subscribe(account(session), path, true);
        return [true];
      });
    },

    onUnsubscribe(path: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        await core.mail.mailboxes.subscribe(account(session), path, false);
        return [true];
      });
    },

    onCreate(path: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const m = await core.mail.mailboxes.create(account(session), path);
        return [true, m.id];
      }, { conflict: 'ALREADYEXISTS' });
    },

    onRename(path: string, newname: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const m = await core.mail.mailboxes.rename(account(session), path, newname);
        return [true, m.id];
      }, { conflict: 'ALREADYEXISTS' });
    },

    onDelete(path: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        await core.mail.mailboxes.remove(account(session), path);
        return [true];
      });
    },

    onOpen(path: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const accountId = account(session);
        const m = await find(session, path);
        const opened = await core.mail.messages.open(accountId, m.id);
        state(session).readOnly = !holds(m.rights, 'write');
        return [{
          _id: new Selection(m.id, accountId, session, opened.uids),
          // sequence numbers are found by binary search in it (imap-core's indexOf)
          uidList: UidList.fromAscending(opened.uids),
          uidValidity: m.collection.uidValidity,
          uidNext: opened.uidNext,
          modifyIndex: opened.highestModseq,
          flags: [],
        }];
      });
    },

    onStatus(path: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const m = await find(session, path);
        const s = await core.mail.messages.status(account(session), m.id);
        return [{ messages: s.messages, uidNext: s.uidNext, uidValidity: s.uidValidity, unseen: s.unseen, highestModseq: s.highestModseq }];
      });
    },

    onAppend(path: string, flags: string[], date: string | false, raw: Buffer, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const m = await find(session, path);
        const internalDate = date ? new Date(date).getTime() : Date.now();
        const r = await core.mail.messages.append(account(session), m.id, raw, { flags, internalDate });
        await notifier.refresh(session, m.id);
        return [true, { uidValidity: r.uidValidity, uid: r.uid }];
      }, { notFound: 'TRYCREATE' });
    },

    onStore(mailbox: unknown, update: { value: string[]; action: FlagOperation; silent: boolean; messages: number[]; unchangedSince: number; isUid?: boolean }, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const selection = selectionOf(mailbox);
        const sel = session.selected;
        if (sel && sel.readOnly) throw new Forbidden('the mailbox is open read-only');
        const result = await notifier.ownWrite(selection,
          () => core.mail.messages.setFlags(selection.accountId, selection.collectionId, update.messages, update.action, update.value,
            update.unchangedSince ? { unchangedSince: update.unchangedSince } : {}),
          (r) => r.changed.map((c) => c.modseq));
        const condstore = !!(sel && sel.condstoreEnabled);
        if (!update.silent || condstore) {
          for (const c of [...result.changed, ...(update.silent ? [] : result.unchanged)].sort((a, b) => a.uid - b.uid)) {
            session.writeStream.write(session.formatResponse('FETCH', c.uid, {
              uid: update.isUid ? c.uid : false, flags: c.flags, modseq: condstore ? c.modseq : false,
            }));
          }
        }
        return [true, result.refused];
      });
    },

    onExpunge(mailbox: unknown, update: { isUid: boolean; messages?: number[]; silent?: boolean }, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const selection = selectionOf(mailbox);
        const removed = await core.mail.messages.expunge(selection.accountId, selection.collectionId, update.isUid ? update.messages ?? [] : undefined);
        if (!update.silent && session.selected && session.selected.mailbox === selection) {
          for (const uid of removed) session.writeStream.write(session.formatResponse('EXPUNGE', uid));
        }
        return [true];
      });
    },

    onCopy(_connection: unknown, mailbox: unknown, update: { destination: string; messages: number[] }, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const selection = selectionOf(mailbox);
        const target = await find(session, update.destination);
        const r = await core.mail.messages.copy(selection.accountId, selection.collectionId, update.messages, target.id);
        await notifier.refresh(session, target.id);
        return [true, { uidValidity: r.uidValidity, sourceUid: r.pairs.map((p) => p[0]), destinationUid: r.pairs.map((p) => p[1]) }];
      }, { notFound: 'TRYCREATE' });
    },

    onMove(mailbox: unknown, update: { destination: string; messages: number[] }, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const selection = selectionOf(mailbox);
        const target = await find(session, update.destination);
        const r = await core.mail.messages.move(selection.accountId, selection.collectionId, update.messages, target.id);
        const info = { uidValidity: r.uidValidity, sourceUid: r.pairs.map((p) => p[0]), destinationUid: r.pairs.map((p) => p[1]) };
        if (r.pairs.length > 0) {
          // RFC 6851: COPYUID in an untagged OK before the EXPUNGEs
          session.writeStream.write({ tag: '*', command: 'OK', attributes: [
            { type: 'SECTION', section: [{ type: 'TEXT', value: `COPYUID ${info.uidValidity} ${packed(info.sourceUid)} ${packed(info.destinationUid)}` }] },
            { type: 'TEXT', value: 'Moved' },
          ] });
          state(session).copyUidSent = true;
        }
        if (session.selected && session.selected.mailbox === selection) {
          for (const uid of info.sourceUid) session.writeStream.write(session.formatResponse('EXPUNGE', uid));
        }
        return [true, info];
      }, { notFound: 'TRYCREATE' });
    },

    onSearch(mailbox: unknown, options: { query: never[]; terms: string[]; isUid: boolean }, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const selection = selectionOf(mailbox);
        const search = toMailSearch(options.query);
        const uids = await core.mail.messages.search(selection.accountId, selection.collectionId, search);
        let highestModseq = 0;
        if (options.terms.includes('modseq') && uids.length > 0) {
          for await (const page of core.mail.messages.read(selection.accountId, selection.collectionId, uids)) {
            for (const m of page) highestModseq = Math.max(highestModseq, m.modseq);
          }
        }
        return [{ uidList: uids, highestModseq }];
      }, { refuse: (code) => [{ uidList: code }] });
    },

    onFetch(mailbox: unknown, options: FetchOptions, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        await fetchMessages(core, notifier, session, selectionOf(mailbox), options);
        return [true];
      });
    },

    onGetQuotaRoot(path: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const m = await find(session, path);
        const q = await core.mail.messages.quotaOf(account(session), m.id);
        return [{ root: q.root, quota: q.limitBytes, storageUsed: q.usedBytes }];
      });
    },

    onGetQuota(root: string, session: ImapSession, callback: Cb): void {
      answer(session, callback, async () => {
        const q = await core.mail.quotaOfRoot(account(session), Buffer.from(root, 'binary').toString('utf8'));
        return [{ root: q.root, quota: q.limitBytes, storageUsed: q.usedBytes }];
      });
    },
  };
}

/** 1,2,3,7 → "1:3,7" */
function packed(uids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < uids.length; i++) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    out.push(j === i ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j;
  }
  return out.join(',');
}
