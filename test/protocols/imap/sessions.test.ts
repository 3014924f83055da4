// Several sessions at once, on both backends: IDLE hears new mail, flag
// changes and expunges made by another session or another door within a
// second; twenty concurrent APPENDs get unique increasing uids; a group's
// mailbox is visible only to those authorize allows, and a removed member
// loses it at once, in an open session too.
import { expect } from 'chai';
import { BACKENDS } from '../../support/store.ts';
import { eventually, startTestImap, type TestImap } from './support.ts';

const msg = (subject: string): string => `From: a@example.org\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

for (const backend of BACKENDS) {
  describe(`imap sessions on ${backend}`, function () {
    this.timeout(30_000);
    let s: TestImap;
    before(async () => { s = await startTestImap(backend); });
    after(() => s.stop());

    it('IDLE in one session sees new mail, flag changes and expunges of another session and of delivery, each within a second', async () => {
      const a = await s.account();
      const idle = await s.raw({ secure: true });
      await idle.login(a.address);
      await idle.command('SELECT INBOX');
      idle.write('i1 IDLE\r\n');
      await idle.until(/\+ idling\r\n/);
      const other = await s.client(a);
      let t0 = Date.now();
      await other.append('INBOX', msg('one'));
      expect(await idle.until(/\* 1 EXISTS\r\n/, 1000)).to.contain('* 1 EXISTS');
      const exists = Date.now() - t0;
      // another door: delivery into the INBOX
      t0 = Date.now();
      await s.t.core.mail.messages.deliver(a.id, Buffer.from(msg('two')));
      await idle.until(/\* 2 EXISTS\r\n/, 1000);
      const delivered = Date.now() - t0;
      const lock = await other.getMailboxLock('INBOX');
      t0 = Date.now();
      await other.messageFlagsAdd('1', ['\\Flagged']);
      await idle.until(/\* 1 FETCH \(FLAGS \(\\Flagged\)\)/, 1000);
      const flagged = Date.now() - t0;
      t0 = Date.now();
      await other.messageDelete('1');
      await idle.until(/\* 1 EXPUNGE\r\n/, 1000);
      const expunged = Date.now() - t0;
      lock.release();
      expect(Math.max(exists, delivered, flagged, expunged)).to.be.below(1000);
      idle.write('DONE\r\n');
      expect(await idle.until(/i1 OK/)).to.contain('i1 OK');
      // a session that is not idling hears it with its next command
      await s.t.core.mail.messages.deliver(a.id, Buffer.from(msg('three')));
      expect(await idle.command('NOOP')).to.contain('* 2 EXISTS');
      await other.logout();
    });

    it('two imapflow sessions: one appends and flags, the other\'s IDLE gets the exists and flags events', async () => {
      const a = await s.account();
      const watcher = await s.client(a);
      const writer = await s.client(a);
      const events: string[] = [];
      watcher.on('exists', (e: { count: number }) => events.push(`exists ${e.count}`));
      watcher.on('flags', (e: { flags: Set<string> }) => events.push(`flags ${[...e.flags].join(' ')}`));
      watcher.on('expunge', () => events.push('expunge'));
      const lock = await watcher.getMailboxLock('INBOX');
      void watcher.idle();
      await writer.append('INBOX', msg('a'));
      await writer.append('INBOX', msg('b'));
      await eventually('two messages announced', () => events.includes('exists 2'), 2000);
      const w = await writer.getMailboxLock('INBOX');
      await writer.messageFlagsAdd('2', ['\\Seen']);
      await eventually('the flag announced', () => events.some((e) => e === 'flags \\Seen'), 2000);
      await writer.messageDelete('1');
      await eventually('the expunge announced', () => events.includes('expunge'), 2000);
      w.release();
      lock.release();
      await watcher.logout();
      await writer.logout();
    });

    it('thirty sessions in IDLE on one mailbox each hear every one of messages delivered in quick succession, and flag changes between them', async () => {
      const a = await s.account();
      const sessions = await Promise.all(Array.from({ length: 30 }, async () => {
        const c = await s.raw({ secure: true });
        await c.login(a.address);
        await c.command('SELECT INBOX');
        c.write('i1 IDLE\r\n');
        await c.until(/\+ idling\r\n/);
        return c;
      }));
      // deliveries one right after the other: notices arrive while the sessions are still reading the changes of the one before
      const writer = await s.client(a);
      for (let i = 1; i <= 6; i++) {
        if (i % 2) await s.t.core.mail.messages.deliver(a.id, Buffer.from(msg(`burst ${i}`)));
        else await writer.append('INBOX', msg(`burst ${i}`));
      }
      const lock = await writer.getMailboxLock('INBOX');
      await writer.messageFlagsAdd('3', ['\\Flagged']);
      lock.release();
      await s.t.core.mail.messages.deliver(a.id, Buffer.from(msg('last')));
      for (const c of sessions) {
        const heard = await c.until(/\* 7 EXISTS\r\n/, 3000);
        expect(heard).to.match(/\* 7 EXISTS/);
        c.write('DONE\r\n');
        await c.until(/i1 OK/);
        // what each session was told, and the state it sees now, agree with the mailbox
        const listing = await c.command('FETCH 1:* (FLAGS)');
        expect(listing.match(/\* \d+ FETCH/g)).to.have.length(7);
        expect(listing).to.match(/\* 3 FETCH \(FLAGS \(\\Flagged\)\)/);
      }
      await writer.logout();
    });

    it('twenty concurrent APPENDs into one mailbox over twenty connections get unique, increasing uids', async () => {
      const a = await s.account();
      const clients = await Promise.all(Array.from({ length: 20 }, () => s.client(a, { compress: false })));
      const results = await Promise.all(clients.map((c, i) => c.append('INBOX', msg(`parallel ${i}`))));
      const uids = results.map((r) => (r as { uid: number }).uid).sort((x, y) => x - y);
      expect(uids).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      const status = await clients[0]!.status('INBOX', { messages: true, uidNext: true });
      expect(status).to.include({ messages: 20, uidNext: 21 });
      await Promise.all(clients.map((c) => c.logout()));
    });

    it('a group\'s mailbox appears only for members; a removed member loses it at once, even with it selected', async () => {
      const admin = await s.account();
      const member = await s.account();
      const outsider = await s.account();
      const group = await s.t.core.groups.create(`Support ${admin.id}`, admin.id);
      await s.t.core.groups.addMember(group.id, member.id);
      const path = `Groups/${group.name}/Tickets`;
      const adminClient = await s.client(admin);
      await adminClient.mailboxCreate(path);
      await adminClient.append(path, msg('ticket 1'));
      const m = await s.raw({ secure: true });
      await m.login(member.address);
      expect(await m.command('LIST "" "Groups/*"')).to.contain(`"${path}"`);
      const sel = await m.command(`SELECT "${path}"`);
      expect(sel).to.contain('* 1 EXISTS').and.contain('[READ-ONLY]');
      expect(await m.command('FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).to.contain('Subject: ticket 1');
      // members read; writing needs the administrator's grant
      expect(await m.command(`APPEND "${path}" {8}\r\nSubject:`)).to.match(/NO \[NOPERM\]/);
      const o = await s.raw({ secure: true });
      await o.login(outsider.address);
      expect(await o.command('LIST "" "*"')).to.not.contain('Tickets');
      expect(await o.command(`SELECT "${path}"`)).to.match(/NO \[NONEXISTENT\]/);
      // removal takes effect on the member's next command, mailbox still selected
      await s.t.core.groups.removeMember(group.id, member.id);
      expect(await m.command('FETCH 1 (BODY.PEEK[])')).to.match(/t\d+ NO/);
      expect(await m.command('UID SEARCH ALL')).to.match(/t\d+ NO/);
      expect(await m.command('LIST "" "*"')).to.not.contain('Tickets');
      expect(await m.command(`STATUS "${path}" (MESSAGES)`)).to.match(/NO \[NONEXISTENT\]/);
      // and a later change to the mailbox ends the selection
      await adminClient.append(path, msg('ticket 2'));
      expect(await m.until(/\* BYE/, 2000)).to.contain('BYE');
      await adminClient.logout();
    });

    it('ACL (RFC 4314): MYRIGHTS from core/acl, GETACL for those who may share, SETACL refused: sharing is done on the web site', async () => {
      const owner = await s.account();
      const member = await s.account();
      const group = await s.t.core.groups.create(`Acl ${owner.id}`, owner.id);
      await s.t.core.groups.addMember(group.id, member.id);
      const lists = await s.t.core.mail.mailboxes.create(owner.id, 'Lists');
      await s.t.core.sharing.share(owner.id, { collectionId: lists.id }, group.id, ['read', 'write']);
      await s.t.core.mail.mailboxes.create(owner.id, `Groups/${group.name}/Desk`);
      const o = await s.raw({ secure: true });
      await o.login(owner.address);
      expect(await o.command('CAPABILITY')).to.match(/ ACL RIGHTS=texk/);
      expect(await o.command('MYRIGHTS INBOX')).to.contain('* MYRIGHTS "INBOX" lrswipkxtea\r\n');
      expect(await o.command('GETACL Lists')).to.contain(`* ACL "Lists" "${owner.address}" lrswipkxtea "$${group.name}" lrswipk\r\n`);
      expect(await o.command(`GETACL "Groups/${group.name}/Desk"`)).to.contain(`"${owner.address}" lrswipkxtea "$${group.name}" lr`);
      expect(await o.command('LISTRIGHTS INBOX "$x"')).to.contain('* LISTRIGHTS "INBOX" "$x" "" l r swk ip xte a');
      expect(await o.command('SETACL INBOX "$x" lr')).to.match(/NO \[NOPERM\].*web site/);
      const m = await s.raw({ secure: true });
      await m.login(member.address);
      expect(await m.command(`MYRIGHTS "Shared with me/${owner.address}/Lists"`)).to.contain('lrswipk\r\n');
      expect(await m.command(`MYRIGHTS "Groups/${group.name}/Desk"`)).to.match(/MYRIGHTS "[^"]+" lr\r\n/);
      expect(await m.command(`GETACL "Groups/${group.name}/Desk"`)).to.match(/NO \[NOPERM\]/);
      expect(await m.command('MYRIGHTS "Nowhere"')).to.match(/NO \[NONEXISTENT\]/);
      const anonymous = await s.raw({ secure: true });
      await anonymous.until(/^\* OK/);
      expect(await anonymous.command('MYRIGHTS INBOX')).to.match(/BAD MYRIGHTS not allowed now/);
    });

    it('mailboxes shared with a group appear under "Shared with me/ADDRESS/" with the rights of the share', async () => {
      const owner = await s.account();
      const reader = await s.account();
      const group = await s.t.core.groups.create(`Readers ${owner.id}`, owner.id);
      await s.t.core.groups.addMember(group.id, reader.id);
      const lists = await s.t.core.mail.mailboxes.create(owner.id, 'Lists');
      await s.t.core.mail.messages.append(owner.id, lists.id, Buffer.from(msg('news')));
      await s.t.core.sharing.share(owner.id, { collectionId: lists.id }, group.id, ['read', 'write']);
      const c = await s.client(reader);
      const path = `Shared with me/${owner.address}/Lists`;
      expect((await c.list()).map((x) => x.path)).to.include(path);
      const lock = await c.getMailboxLock(path);
      await c.messageFlagsAdd('1', ['\\Seen']);
      const fetched = await c.fetchOne('1', { flags: true });
      expect(fetched && fetched.flags!.has('\\Seen')).to.equal(true);
      expect(await c.messageDelete('1')).to.equal(false);
      lock.release();
      await c.logout();
    });
  });
}
