// The mail service (core/mail) on both backends: mailboxes and their paths,
// append and delivery, search from the index, flags, copy, move, expunge,
// quota, and who sees which mailbox (core/acl) as groups and shares change.
import { expect } from 'chai';
import type { Core } from '../../../src/core/index.ts';
import { Conflict, Forbidden, InvalidInput, NotFound, QuotaExceeded } from '../../../src/core/errors.ts';
import type { Account } from '../../../src/store/types.ts';
import { makeTestCore, type TestCore } from '../../support/core.ts';
import { BACKENDS } from '../../support/store.ts';
import { fixture } from './fixtures.ts';

const DAY = 86_400_000;
const msg = (subject: string, body = 'hello', extra = ''): Buffer =>
  Buffer.from(`From: Ann <ann@example.org>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n${extra}\r\n${body}\r\n`);

async function rejects(p: Promise<unknown>, type: new (...a: never[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(type);
    return err as Error;
  }
  return expect.fail(`expected ${type.name}`);
}

for (const backend of BACKENDS) {
  describe(`core/mail on ${backend}`, function () {
    this.timeout(30_000);
    let t: TestCore;
    let core: Core;
    let n = 0;
    const account = (plan = 'big'): Promise<Account> => t.account(`m${++n}`, plan);
    before(async () => {
      t = await makeTestCore(backend);
      core = t.core;
    });
    after(() => t.cleanup());

    const pathOf = async (a: Account, path: string): Promise<number> => (await core.mail.mailboxes.find(a.id, path)).id;

    it('every account has the special-use mailboxes; create, rename (children follow) and delete; subscriptions per account', async () => {
      const a = await account();
      const list = await core.mail.mailboxes.list(a.id);
      expect(list.map((m) => [m.path, m.role])).to.deep.equal([
        ['INBOX', 'inbox'], ['Archive', 'archive'], ['Drafts', 'drafts'], ['Junk', 'junk'], ['Sent', 'sent'], ['Trash', 'trash'],
      ]);
      await core.mail.mailboxes.create(a.id, 'Projects/2024/Q1');
      await rejects(core.mail.mailboxes.create(a.id, 'Projects/2024'), Conflict);
      const q1 = await core.mail.mailboxes.find(a.id, 'Projects/2024/Q1');
      await core.mail.messages.append(a.id, q1.id, msg('kept'));
      await core.mail.mailboxes.rename(a.id, 'Projects', 'Work/Old projects');
      const paths = (await core.mail.mailboxes.list(a.id)).map((m) => m.path);
      expect(paths).to.include.members(['Work', 'Work/Old projects', 'Work/Old projects/2024', 'Work/Old projects/2024/Q1']);
      expect(paths).to.not.include('Projects');
      const moved = await core.mail.mailboxes.find(a.id, 'Work/Old projects/2024/Q1');
      expect(moved.id).to.equal(q1.id);
      expect(moved.collection.uidValidity).to.equal(q1.collection.uidValidity);
      expect((await core.mail.messages.status(a.id, moved.id)).messages).to.equal(1);
      await rejects(core.mail.mailboxes.remove(a.id, 'Work/Old projects'), Conflict);
      await rejects(core.mail.mailboxes.remove(a.id, 'Sent'), Conflict);
      await rejects(core.mail.mailboxes.rename(a.id, 'INBOX', 'Old'), Conflict);
      await rejects(core.mail.mailboxes.create(a.id, 'Groups/x'), Forbidden);
      await rejects(core.mail.mailboxes.create(a.id, 'a//b'), InvalidInput);
      await core.mail.mailboxes.remove(a.id, 'Work/Old projects/2024/Q1');
      await rejects(core.mail.mailboxes.find(a.id, 'Work/Old projects/2024/Q1'), NotFound);
      // a new mailbox of the same name gets another UIDVALIDITY
      const again = await core.mail.mailboxes.create(a.id, 'Work/Old projects/2024/Q1');
      expect(again.collection.uidValidity).to.not.equal(q1.collection.uidValidity);
      await core.mail.mailboxes.subscribe(a.id, 'Work', false);
      expect((await core.mail.mailboxes.find(a.id, 'Work')).subscribed).to.equal(false);
      expect((await core.mail.mailboxes.find(a.id, 'inbox')).path).to.equal('INBOX');
    });

    it('append keeps the bytes as received; search is answered from the index with decoded non-ASCII text', async () => {
      const a = await account();
      const inbox = await pathOf(a, 'INBOX');
      const raws = [
        fixture('gmail-iso-8859-1-encoded-words.eml'),
        fixture('thunderbird-mixed-alternative-related-attachment.eml'),
        fixture('missing-final-boundary.eml'),
        fixture('netscape-8bit-latin1-from-header.eml'),
      ];
      const uids: number[] = [];
      for (const [i, raw] of raws.entries()) {
        uids.push((await core.mail.messages.append(a.id, inbox, raw, { flags: i === 0 ? ['\\Seen'] : [], internalDate: Date.UTC(2024, 0, 1 + i, 12) })).uid);
      }
      const pages = [];
      for await (const page of core.mail.messages.read(a.id, inbox, uids)) pages.push(...page);
      for (const [i, m] of pages.entries()) expect(Buffer.from(await core.mail.messages.content(m)).equals(raws[i]!)).to.equal(true);
      const s = (q: Parameters<Core['mail']['messages']['search']>[2]): Promise<number[]> => core.mail.messages.search(a.id, inbox, q);
      expect(await s({ header: 'subject', contains: 'FOUCHÉ' })).to.deep.equal([uids[0]]);
      expect(await s({ header: 'from', contains: 'lütkebohle' })).to.deep.equal([uids[3]]);
      expect(await s({ body: 'hähä' })).to.deep.equal([uids[1]]);
      expect(await s({ text: 'some body' })).to.deep.equal([uids[2]]);
      expect(await s({ text: 'bob@example.com' })).to.deep.equal([uids[2]]);
      expect(await s({ flag: '\\Seen', set: false })).to.deep.equal(uids.slice(1));
      expect(await s({ internalDate: { since: Date.UTC(2024, 0, 2), before: Date.UTC(2024, 0, 2) + DAY } })).to.deep.equal([uids[1]]);
      expect(await s({ sentDate: { before: Date.UTC(2000, 0, 1) } })).to.deep.equal([uids[3]]);
      expect(await s({ size: { smaller: 300 } })).to.deep.equal([uids[2]]);
      expect(await s({ or: [{ uids: [[uids[0]!, uids[0]!]] }, { not: { header: 'subject', contains: '' } }] })).to.deep.equal([uids[0]]);
      expect(await s({ and: [{ header: 'x-mailer', contains: '' }, { not: { flag: '\\Seen', set: true } }] })).to.deep.equal([uids[3]]);
      expect(await s({ header: 'message-id', contains: '<33C7E4E1.2A12445E@blank.pages.de>' })).to.deep.equal([uids[3]]);
    });

    it('flags: add, remove, set, UNCHANGEDSINCE; the index follows; expunge removes only \\Deleted', async () => {
      const a = await account();
      const inbox = await pathOf(a, 'INBOX');
      const uids: number[] = [];
      for (let i = 0; i < 4; i++) uids.push((await core.mail.messages.append(a.id, inbox, msg(`m${i}`))).uid);
      const r1 = await core.mail.messages.setFlags(a.id, inbox, uids.slice(0, 2), 'add', ['\\Flagged', '$Work']);
      expect(r1.changed.map((c) => [c.uid, c.flags])).to.deep.equal([[uids[0], ['\\Flagged', '$Work']], [uids[1], ['\\Flagged', '$Work']]]);
      expect(await core.mail.messages.search(a.id, inbox, { flag: '$work', set: true })).to.deep.equal(uids.slice(0, 2));
      const r2 = await core.mail.messages.setFlags(a.id, inbox, uids.slice(0, 2), 'remove', ['$WORK']);
      expect(r2.changed.map((c) => c.flags)).to.deep.equal([['\\Flagged'], ['\\Flagged']]);
      const since = r2.changed[0]!.modseq;
      const r3 = await core.mail.messages.setFlags(a.id, inbox, uids, 'set', ['\\Deleted'], { unchangedSince: since });
      expect(r3.refused).to.deep.equal([uids[1]]);
      expect(r3.changed.map((c) => c.uid)).to.deep.equal([uids[0], uids[2], uids[3]]);
      expect(await core.mail.messages.expunge(a.id, inbox, [uids[0]!, uids[1]!, uids[2]!])).to.deep.equal([uids[0], uids[2]]);
      expect(await core.mail.messages.expunge(a.id, inbox)).to.deep.equal([uids[3]]);
      const left = await core.mail.messages.open(a.id, inbox);
      expect(left.uids).to.deep.equal([uids[1]]);
      const changes = await core.mail.messages.changes(a.id, inbox, 0);
      expect(changes.changes.filter((c) => c.op === 'delete').map((c) => c.uid)).to.deep.equal([uids[0], uids[2], uids[3]]);
      expect(changes.changes.find((c) => c.uid === uids[1])!.flags).to.deep.equal(['\\Flagged']);
      await rejects(core.mail.messages.setFlags(a.id, inbox, uids, 'add', ['\\Recent']), InvalidInput);
    });

    it('copy and move keep flags and search, give new uids with COPYUID pairs; quota stops APPEND, COPY and delivery', async () => {
      const a = await account('small');
      const inbox = await pathOf(a, 'INBOX');
      const trash = await pathOf(a, 'Trash');
      const big = Buffer.concat([msg('big'), Buffer.alloc(3_000, 'x')]);
      const u1 = (await core.mail.messages.append(a.id, inbox, big, { flags: ['\\Answered'] })).uid;
      const u2 = (await core.mail.messages.append(a.id, inbox, big)).uid;
      const copied = await core.mail.messages.copy(a.id, inbox, [u1], trash);
      expect(copied.pairs).to.deep.equal([[u1, 1]]);
      expect(await core.mail.messages.search(a.id, trash, { flag: '\\Answered', set: true })).to.deep.equal([1]);
      // 3 × ~3.1 KB used of 10 KB: a fourth fits nowhere
      await rejects(core.mail.messages.append(a.id, inbox, big), QuotaExceeded);
      await rejects(core.mail.messages.copy(a.id, inbox, [u1, u2], trash), QuotaExceeded);
      await rejects(core.mail.messages.deliver(a.id, big), QuotaExceeded);
      expect((await core.mail.messages.status(a.id, trash)).messages).to.equal(1);
      // a move inside the space needs no room
      const moved = await core.mail.messages.move(a.id, inbox, [u1, u2], trash);
      expect(moved.pairs).to.deep.equal([[u1, 2], [u2, 3]]);
      expect((await core.mail.messages.open(a.id, inbox)).uids).to.deep.equal([]);
      const q = await core.mail.messages.quotaOf(a.id, trash);
      expect(q.root).to.equal('');
      expect(q.limitBytes).to.equal(10_000);
      expect(q.usedBytes).to.equal(3 * big.length);
      // nothing of the refused writes is left behind
      expect((await core.mail.quotaOfRoot(a.id, '')).usedBytes).to.equal(3 * big.length);
    });

    it('twenty concurrent appends into one mailbox get unique, increasing uids', async () => {
      const a = await account();
      const inbox = await pathOf(a, 'INBOX');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => core.mail.messages.append(a.id, inbox, msg(`c${i}`))));
      const uids = results.map((r) => r.uid).sort((x, y) => x - y);
      expect(new Set(uids).size).to.equal(20);
      expect(uids).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await core.mail.messages.open(a.id, inbox)).uidNext).to.equal(21);
    });

    it('deliver puts mail in the INBOX whatever its name, and delivery works for an account whose plan has no clients', async () => {
      const a = await account('small');
      const r = await core.mail.messages.deliver(a.id, fixture('windows-1252-encoded-word-and-8bit-subject.eml'));
      expect(r.mailboxId).to.equal(await pathOf(a, 'INBOX'));
      expect(await core.mail.messages.search(a.id, r.mailboxId, { header: 'subject', contains: 'formação' })).to.deep.equal([r.uid]);
    });

    it('a group\'s mailboxes: members read, the admin writes, a removed member loses them at once; shared mailboxes likewise', async () => {
      const admin = await account();
      const member = await account();
      const stranger = await account();
      const group = await core.groups.create(`Team ${n}`, admin.id);
      await core.groups.addMember(group.id, member.id);
      const box = await core.mail.mailboxes.create(admin.id, `Groups/${group.name}/Support`);
      expect(box.path).to.equal(`Groups/${group.name}/Support`);
      await rejects(core.mail.mailboxes.create(member.id, `Groups/${group.name}/Mine`), Forbidden);
      const { uid } = await core.mail.messages.append(admin.id, box.id, msg('for the team'));
      const seen = await core.mail.mailboxes.find(member.id, `Groups/${group.name}/Support`);
      expect(seen.rights).to.include('read').and.not.include('write');
      expect(await core.mail.messages.search(member.id, box.id, { all: true })).to.deep.equal([uid]);
      await rejects(core.mail.messages.setFlags(member.id, box.id, [uid], 'add', ['\\Seen']), Forbidden);
      await rejects(core.mail.messages.expunge(member.id, box.id), Forbidden);
      await rejects(core.mail.messages.search(stranger.id, box.id, { all: true }), NotFound);
      expect((await core.mail.mailboxes.list(stranger.id)).map((m) => m.path)).to.not.include(box.path);
      await core.groups.grant(group.id, member.id, ['write']);
      await core.mail.messages.setFlags(member.id, box.id, [uid], 'add', ['\\Seen']);
      await core.groups.removeMember(group.id, member.id);
      await rejects(core.mail.messages.search(member.id, box.id, { all: true }), NotFound);
      expect((await core.mail.mailboxes.list(member.id)).map((m) => m.path)).to.not.include(box.path);
      // a personal mailbox shared with a group, and its children
      await core.groups.addMember(group.id, stranger.id);
      const lists = await core.mail.mailboxes.create(admin.id, 'Lists');
      await core.mail.mailboxes.create(admin.id, 'Lists/Node');
      const grant = await core.sharing.share(admin.id, { collectionId: lists.id }, group.id, ['read']);
      const visible = (await core.mail.mailboxes.list(stranger.id)).map((m) => m.path);
      expect(visible).to.include.members([`Shared with me/${admin.address}/Lists`, `Shared with me/${admin.address}/Lists/Node`]);
      expect(visible).to.not.include(`Shared with me/${admin.address}/INBOX`);
      await rejects(core.mail.mailboxes.create(stranger.id, `Shared with me/${admin.address}/Lists/x`), Forbidden);
      await core.sharing.withdraw(admin.id, grant.id);
      expect((await core.mail.mailboxes.list(stranger.id)).some((m) => m.path.startsWith('Shared with me'))).to.equal(false);
    });
  });
}
