// What other sessions and doors change reaches open IMAP sessions: the store
// announces every committed change (across processes on PostgreSQL), the
// notifier wakes the sessions that have that mailbox selected, and each reads
// the change log from its own modseq (EXISTS for new messages, FETCH FLAGS for
// changed ones, EXPUNGE for removed ones). imap-core shows them at once to an
// IDLE session and with the next command to the others.
//
// A password change, or the account disabled or destroyed, ends the
// account's sessions at once with a BYE saying why (`guard`).
//
// A session's own writes (STORE, a FETCH that sets \Seen) are answered by its
// command; their modseqs are remembered so that the same change does not come
// back as a notice. While such a write runs, wake-ups wait for it to finish.
import type { Core } from '../../core/index.ts';
import { Forbidden, NotFound } from '../../core/errors.ts';
import { byeAfterOutput } from './bye.ts';
import type { ImapConnection, ImapSession } from './engine.ts';

/** The mailbox a session has selected: what imap-core passes back to the hooks as `selected.mailbox`. */
export class Selection {
  readonly collectionId: number;
  readonly accountId: number;
  readonly session: ImapSession;
  /** modseqs of this session's own changes, not to be announced back to it */
  readonly own = new Set<number>();
  /** the highest uid the session knows or has been told of (EXISTS) */
  maxUid: number;
  writing = 0;
  reading = false;
  again = false;

  constructor(collectionId: number, accountId: number, session: ImapSession, uids: readonly number[]) {
    this.collectionId = collectionId;
    this.accountId = accountId;
    this.session = session;
    this.maxUid = uids.length > 0 ? uids[uids.length - 1]! : 0;
  }

  toString(): string {
    return `mailbox:${this.collectionId}:${this.session.id}`;
  }
}

interface Update {
  readonly command: 'EXISTS' | 'EXPUNGE' | 'FETCH';
  readonly uid: number;
  readonly modseq: number;
  readonly flags?: readonly string[];
}

type Listener = (message?: { command: string; mailbox?: unknown; reason?: string }) => void;

/** imap-core's listener is a method that reads `this` (harmlessly, as an empty object). */
function call(listener: Listener, message?: { command: string; mailbox?: unknown }): void {
  Reflect.apply(listener, {}, message ? [message] : []);
}

type ChangeList = Awaited<ReturnType<Core['mail']['messages']['changes']>>;

export class ImapNotifier {
  private readonly core: Core;
  private readonly listeners = new Map<ImapSession, Listener>();
  private readonly unsubscribe: () => void;
  /** how many change notices were heard: a read of the change log begun after the last one sees every change announced */
  private heard = 0;
  /** reads of the change log under way, shared by the sessions that ask the same (see `changes`) */
  private readonly reads = new Map<string, Promise<ChangeList>>();
  /** what stops the credential watch of each logged-in session */
  private readonly guards = new Map<ImapSession, () => void>();

  constructor(core: Core) {
    this.core = core;
    this.unsubscribe = core.store.onChange((event) => {
      this.heard++;
      for (const [session, listener] of this.listeners) {
        const sel = session.selected;
        if (sel && sel.mailbox instanceof Selection && sel.mailbox.collectionId === event.collectionId) this.wake(sel.mailbox, listener);
      }
    });
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
    for (const stop of this.guards.values()) stop();
    this.guards.clear();
  }

  /**
   * Ends the session, with a BYE saying why, as soon as its account's password
   * changes or the account is disabled or destroyed (core's CredentialWatch,
   * told by the store: in this process, by PostgreSQL's NOTIFY from the
   * others, by SQLite's data_version from the `bureau` command). The account
   * is read once more after the watch is in place, so that a change landing
   * between the login's password check and now is not missed: the reason the
   * login may not go on is returned then (null: it may).
   */
  async guard(session: ImapSession, accountId: number, passwordHash: string): Promise<string | null> {
    this.guards.get(session)?.();
    this.guards.delete(session);
    const watched = await this.core.accounts.credentials.watchChecked(accountId, passwordHash, (reason) => {
      this.guards.delete(session);
      const connection = session.connection;
      if (!connection || connection.state === 'Closed') return;
      // after the response being written, never inside it (a FETCH streaming)
      byeAfterOutput(connection, reason);
    });
    if (watched.refused !== null) return watched.refused;
    this.guards.set(session, watched.stop);
    return null;
  }

  // ----- what imap-core calls

  addListener(session: ImapSession, listener: Listener): void {
    this.listeners.set(session, listener);
  }

  removeListener(session: ImapSession): void {
    this.listeners.delete(session);
  }

  /** The connection of a logged-in session closed. */
  releaseConnection(info: { session: ImapSession }, callback?: () => void): void {
    this.guards.get(info.session)?.();
    this.guards.delete(info.session);
    callback?.();
  }

  getUpdates(selection: unknown, modifyIndex: number, callback: (err: Error | null, updates?: Update[]) => void): void {
    if (!(selection instanceof Selection)) return callback(null, []);
    if (selection.writing > 0 || selection.reading) {
      selection.again = true;
      return callback(null, []);
    }
    selection.reading = true;
    this.updates(selection, modifyIndex).then(
      (updates) => {
        selection.reading = false;
        callback(null, updates);
        this.settle(selection);
      },
      (err: unknown) => {
        selection.reading = false;
        const listener = this.listeners.get(selection.session);
        callback(null, []);
        if ((err instanceof NotFound || err instanceof Forbidden) && listener) {
          call(listener, { command: 'DROP', mailbox: selection });
        }
      },
    );
  }

  // ----- what the door calls

  private wake(selection: Selection, listener: Listener): void {
    if (selection.writing > 0 || selection.reading) {
      selection.again = true;
      return;
    }
    call(listener);
  }

  /** After a read or a write of the session: a wake-up that had to wait runs now. */
  private settle(selection: Selection): void {
    if (!selection.again || selection.writing > 0 || selection.reading) return;
    selection.again = false;
    const listener = this.listeners.get(selection.session);
    if (listener) setImmediate(() => this.wake(selection, listener));
  }

  /** Runs one of the session's own writes; its changes are not announced back to it. */
  async ownWrite<T>(selection: Selection | null, write: () => Promise<T>, modseqs: (result: T) => readonly number[]): Promise<T> {
    if (!selection) return write();
    selection.writing++;
    try {
      const result = await write();
      for (const m of modseqs(result)) selection.own.add(m);
      return result;
    } finally {
      selection.writing--;
      this.settle(selection);
    }
  }

  /**
   * After the session itself added messages to its selected mailbox (APPEND,
   * COPY): reads the changes now and shows them, so that the client hears
   * EXISTS before the command completes, in uid order with everything else.
   */
  async refresh(session: ImapSession, collectionId: number): Promise<void> {
    const connection = session.connection;
    const sel = session.selected;
    if (!connection || !sel || !(sel.mailbox instanceof Selection) || sel.mailbox.collectionId !== collectionId) return;
    await this.poll(connection);
    connection.emitNotifications();
  }

  /** NOOP, CHECK and IDLE: fetch what changed now, whatever notice was or was not heard. */
  async poll(connection: ImapConnection): Promise<void> {
    const sel = connection.selected;
    if (!sel || !(sel.mailbox instanceof Selection)) return;
    const selection = sel.mailbox;
    // a read in flight finishes first (its notices are queued in order)
    for (let i = 0; i < 100 && selection.reading; i++) await new Promise((r) => setTimeout(r, 5));
    if (selection.writing > 0 || selection.reading) return;
    selection.reading = true;
    try {
      const updates = await this.updates(selection, sel.modifyIndex);
      if (connection.selected === sel && updates.length > 0) sel.notifications = sel.notifications.concat(updates);
    } finally {
      selection.reading = false;
      this.settle(selection);
    }
  }

  /**
   * The changes of a mailbox since a modseq, for an account. Sessions that
   * ask the same while a read begun after the same notice is under way share
   * it: a thousand sessions in IDLE on one mailbox, woken by one delivery,
   * make one read instead of a thousand. A session woken by a later notice
   * does not join an earlier read, which may have missed that change.
   */
  private changes(accountId: number, collectionId: number, since: number): Promise<ChangeList> {
    const key = `${accountId}:${collectionId}:${since}:${this.heard}`;
    let read = this.reads.get(key);
    if (!read) {
      read = this.core.mail.messages.changes(accountId, collectionId, since);
      this.reads.set(key, read);
      const done = (): void => { this.reads.delete(key); };
      read.then(done, done);
    }
    return read;
  }

  private async updates(selection: Selection, since: number): Promise<Update[]> {
    const { modseq, changes } = await this.changes(selection.accountId, selection.collectionId, since);
    const sel = selection.session.selected;
    if (!sel || sel.mailbox !== selection) return [];
    const out: Update[] = [];
    const fresh: number[] = [];
    for (const c of changes) {
      if (selection.own.has(c.modseq)) continue;
      if (c.op === 'delete') out.push({ command: 'EXPUNGE', uid: c.uid, modseq: c.modseq });
      else if (c.uid > selection.maxUid) fresh.push(c.uid);
      // a message told of but not yet shown gets its flags with its EXISTS; imap-core drops this notice then
      else out.push({ command: 'FETCH', uid: c.uid, modseq: c.modseq, flags: c.flags ?? [] });
    }
    // new messages in uid order, after the rest (imap-core orders notices by modseq)
    for (const uid of fresh.sort((a, b) => a - b)) {
      out.push({ command: 'EXISTS', uid, modseq });
      selection.maxUid = uid;
    }
    for (const m of selection.own) if (m <= modseq) selection.own.delete(m);
    if (modseq > sel.modifyIndex) sel.modifyIndex = modseq;
    return out;
  }
}
