// The IMAP door end to end on both backends: Bureau's listeners on real
// sockets, imapflow and a raw line client, a real store. Capabilities, TLS,
// mailboxes, APPEND and FETCH of real messages byte for byte, SEARCH from the
// index, STORE, COPY, MOVE, EXPUNGE with UIDPLUS, CONDSTORE, QUOTA, and the
// plan's `clients` feature.
import { expect } from 'chai';
import type { ImapFlow } from 'imapflow';
import { fixture, fixtureNames } from '../../core/mail/fixtures.ts';
import { BACKENDS } from '../../support/store.ts';
import { startTestImap, type TestImap } from './support.ts';

const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('binary');

for (const backend of BACKENDS) {
  describe(`imap door on ${backend}`, function () {
    this.timeout(30_000);
    let s: TestImap;
    before(async () => { s = await startTestImap(backend); });
    after(() => s.stop());
    afterEach(function () {
      if (this.currentTest?.state === 'failed' && s.warnings.length) console.error(s.warnings.join('\n'));
    });

    it('port 143: STARTTLS and LOGINDISABLED before TLS, no login in plain text; after STARTTLS, AUTH=PLAIN with SASL-IR', async () => {
      const a = await s.account();
      const r = await s.raw();
      await r.until(/^\* OK .*\r\n/);
      const caps = await r.command('CAPABILITY');
      for (const c of ['IMAP4rev1', 'STARTTLS', 'LOGINDISABLED', 'SASL-IR', 'ID']) expect(caps).to.contain(` ${c}`);
      expect(caps).to.not.contain('AUTH=');
      expect(await r.command(`LOGIN ${a.address} "correct horse battery"`)).to.match(/t2 (BAD|NO) /);
      const token = Buffer.from(`\0${a.address}\0correct horse battery`).toString('base64');
      expect(await r.command(`AUTHENTICATE PLAIN ${token}`)).to.match(/t3 (BAD|NO) /);
      // after STARTTLS, AUTH=PLAIN is announced
      expect(await r.command('STARTTLS')).to.match(/OK/);
      // imapflow over STARTTLS with Bureau's CA: AUTHENTICATE PLAIN with an initial response
      const c = await s.client(a, { secure: false });
      expect(c.secureConnection).to.equal(true);
      expect(c.authenticated).to.equal(true);
      await c.logout();
    });

    it('port 993: TLS from the first byte with Bureau\'s certificate; every capability of the issue after login', async () => {
      const a = await s.account();
      const c = await s.client(a);
      const caps = [...c.capabilities.keys()];
      for (const cap of ['IMAP4rev1', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'UNSELECT', 'SPECIAL-USE', 'CONDSTORE', 'ENABLE', 'ID', 'QUOTA', 'UTF8=ACCEPT', 'COMPRESS=DEFLATE']) {
        expect(caps, cap).to.include(cap);
      }
      expect(c.capabilities.get('APPENDLIMIT')).to.equal(50 * 1024 * 1024);
      expect(c.enabled.has('CONDSTORE')).to.equal(true);
      expect(c.enabled.has('UTF8=ACCEPT')).to.equal(true);
      // imapflow negotiates COMPRESS=DEFLATE when offered: this whole session ran compressed
      expect((c as unknown as { _deflate?: unknown })._deflate).to.not.equal(undefined);
      const id = await c.serverInfo;
      expect(id?.name).to.equal('Bureau');
      await c.logout();
    });

    it('wrong passwords fail with AUTHENTICATIONFAILED; a plan without `clients` is refused with an [ALERT] that says why', async () => {
      const r = await s.raw({ secure: true });
      await r.until(/^\* OK/);
      expect(await r.command('LOGIN nobody@example.test "correct horse battery"')).to.match(/t1 NO \[AUTHENTICATIONFAILED\]/);
      const small = await s.account('small');
      expect(await r.command(`LOGIN ${small.address} "correct horse battery"`)).to.match(/t2 NO \[ALERT\] The plan of .* does not include mail programs/);
      const token = Buffer.from(`\0${small.address}\0correct horse battery`).toString('base64');
      expect(await r.command(`AUTHENTICATE PLAIN ${token}`)).to.match(/t3 NO \[ALERT\] The plan of/);
      // activity is recorded by a successful login
      const a = await s.account();
      const before = (await s.t.core.accounts.get(a.id)).lastActivityAt;
      await r.login(a.address);
      expect((await s.t.core.accounts.get(a.id)).lastActivityAt).to.be.greaterThan(before ?? 0);
    });

    it('LIST with special uses, NAMESPACE, CREATE/RENAME (children follow)/DELETE, SUBSCRIBE/LSUB, STATUS, UTF-8 names', async () => {
      const a = await s.account();
      const c = await s.client(a);
      const list = await c.list();
      expect(list.map((m) => [m.path, m.specialUse ?? null]).sort()).to.deep.equal([
        ['Archive', '\\Archive'], ['Drafts', '\\Drafts'], ['INBOX', '\\Inbox'], ['Junk', '\\Junk'], ['Sent', '\\Sent'], ['Trash', '\\Trash'],
      ]);
      const ns = c.namespaces as unknown as { other: { prefix: string }[]; shared: { prefix: string }[] };
      expect(ns.other[0]!.prefix).to.equal('Shared with me/');
      expect(ns.shared[0]!.prefix).to.equal('Groups/');
      await c.mailboxCreate(['Projects', '2024']);
      await c.mailboxCreate('Größe');
      expect((await c.list()).map((m) => m.path)).to.include.members(['Projects', 'Projects/2024', 'Größe']);
      expect((await c.mailboxCreate('Projects')).created).to.equal(false);
      await c.mailboxRename('Projects', 'Work/Old');
      const paths = (await c.list()).map((m) => m.path);
      expect(paths).to.include.members(['Work', 'Work/Old', 'Work/Old/2024']).and.not.include('Projects');
      await c.mailboxUnsubscribe('Work/Old/2024');
      const withStatus = await c.list({ statusQuery: { messages: true } });
      expect(withStatus.find((m) => m.path === 'INBOX')!.status!.messages).to.equal(0);
      const r0 = await s.raw({ secure: true });
      await r0.login(a.address);
      const lsub = await r0.command('LSUB "" "*"');
      expect(lsub).to.contain('"Work/Old"').and.not.contain('"Work/Old/2024"');
      await c.mailboxDelete('Work/Old/2024');
      expect((await c.list()).map((m) => m.path)).to.not.include('Work/Old/2024');
      const status = await c.status('INBOX', { messages: true, uidNext: true, uidValidity: true, unseen: true, highestModseq: true });
      expect(status).to.include({ messages: 0, uidNext: 1, unseen: 0 });
      const r = await s.raw({ secure: true });
      await r.login(a.address);
      expect(await r.command('DELETE Sent')).to.match(/NO \[CANNOT\] Sent is a special-use mailbox/);
      expect(await r.command('DELETE Work')).to.match(/NO \[CANNOT\] Work has mailboxes inside it/);
      expect(await r.command('CREATE Work/Old')).to.match(/NO \[ALREADYEXISTS\]/);
      expect(await r.command('CREATE "Shared with me/x"')).to.match(/NO \[NOPERM\]/);
      expect(await r.command('SELECT Nowhere')).to.match(/NO \[NONEXISTENT\] there is no mailbox Nowhere/);
      // the UTF-7 name of Größe, as a client without UTF8=ACCEPT sees it
      expect(await r.command('LIST "" "Gr*"')).to.contain('"Gr&APYA3w-e"');
      await c.logout();
    });

    it('a group\'s mailbox shared with another group: under Shared with me/GROUP (group)/ for the other group\'s members, under Groups/ for its own, read-only, gone on withdrawal', async () => {
      const core = s.t.core;
      const admin = await s.account();
      const outsider = await s.account();
      const both = await s.account();
      const alpha = await core.groups.create(`Alpha ${admin.id}`, admin.id);
      const beta = await core.groups.create(`Beta ${admin.id}`, admin.id);
      await core.groups.addMember(beta.id, outsider.id);
      await core.groups.addMember(alpha.id, both.id);
      await core.groups.addMember(beta.id, both.id);
      const box = await core.mail.mailboxes.create(admin.id, `Groups/${alpha.name}/Support`);
      await core.mail.messages.append(admin.id, box.id, Buffer.from('Subject: for beta\r\n\r\nhello\r\n'));
      const grant = await core.sharing.share(admin.id, { collectionId: box.id }, beta.id, ['read']);
      const shared = `Shared with me/${alpha.name} (group)/Support`;
      const c = await s.client(outsider);
      const paths = (await c.list()).map((m) => m.path);
      expect(paths).to.include(shared);
      expect(paths.filter((p) => p.startsWith('Groups/'))).to.deep.equal([]);
      const lock = await c.getMailboxLock(shared);
      try {
        const subjects: string[] = [];
        for await (const m of c.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
        expect(subjects).to.deep.equal(['for beta']);
        expect((c.mailbox as { readOnly?: boolean }).readOnly).to.equal(true);
        await c.messageFlagsAdd('1', ['\\Seen']);
        const flags: string[][] = [];
        for await (const m of c.fetch('1:*', { flags: true })) flags.push([...(m.flags ?? [])]);
        expect(flags).to.deep.equal([[]]);
      } finally {
        lock.release();
      }
      expect((await c.mailboxCreate(`Shared with me/${alpha.name} (group)/Mine`).catch((e: Error) => e)) instanceof Error).to.equal(true);
      const d = await s.client(both);
      const bothPaths = (await d.list()).map((m) => m.path);
      expect(bothPaths).to.include(`Groups/${alpha.name}/Support`);
      expect(bothPaths.filter((p) => p.startsWith('Shared with me/'))).to.deep.equal([]);
      await d.logout();
      await core.sharing.withdraw(admin.id, grant.id);
      expect((await c.list()).map((m) => m.path)).to.not.include(shared);
      await c.logout();
    });

    it('APPEND keeps every real message byte for byte; FETCH BODY[] gives it back; structure, envelope, sections and partial fetches', async () => {
      const a = await s.account();
      const c = await s.client(a);
      const names = fixtureNames();
      const uids: number[] = [];
      for (const name of names) {
        const r = await c.append('INBOX', fixture(name), ['\\Seen'], new Date(Date.UTC(2020, 0, 2, 3, 4, 5))).catch((e: { response?: string }) => expect.fail(`${name}: ${e.response}`));
        expect(r && r.uidValidity).to.not.equal(undefined);
        uids.push((r as { uid: number }).uid);
      }
      const lock = await c.getMailboxLock('INBOX');
      try {
        for (const [i, name] of names.entries()) {
          const m = await c.fetchOne(String(uids[i]), { source: true, bodyStructure: true, envelope: true, internalDate: true, size: true }, { uid: true });
          expect(m && Buffer.compare(m.source!, fixture(name)), name).to.equal(0);
          expect(m && m.size).to.equal(fixture(name).length);
          expect(m && (m.internalDate as Date).toISOString()).to.equal('2020-01-02T03:04:05.000Z');
        }
        const tb = uids[names.indexOf('thunderbird-mixed-alternative-related-attachment.eml')]!;
        const m = await c.fetchOne(String(tb), { bodyStructure: true, envelope: true, bodyParts: ['1.1', '2', '1.2.1.MIME'] }, { uid: true });
        expect(m && m.bodyStructure!.childNodes!.map((n) => n.type)).to.deep.equal(['multipart/alternative', 'image/png']);
        expect(m && m.envelope!.subject).to.equal('30 plaintext + (HTML + embedded image) + attachment');
        expect(m && m.bodyParts!.get('2')!.toString()).to.match(/^iVBORw0KGgo/);
        expect(m && m.bodyParts!.get('1.2.1.mime')!.toString()).to.match(/^Content-Type: text\/html; charset=windows-1252\r?\n/i);
        const gm = uids[names.indexOf('gmail-iso-8859-1-encoded-words.eml')]!;
        const g = await c.fetchOne(String(gm), { envelope: true }, { uid: true });
        expect(g && g.envelope!.subject).to.equal('Nicolas Fouché has accepted your invitation to Gmail');
        expect(g && g.envelope!.to![0]!.name).to.equal('Nicolas Fouché');
        const nn = uids[names.indexOf('netscape-8bit-latin1-from-header.eml')]!;
        const n = await c.fetchOne(String(nn), { envelope: true }, { uid: true });
        expect(n && n.envelope!.from![0]!.name).to.equal('Ingo Lütkebohle');
      } finally {
        lock.release();
      }
      // partial fetches and sections, on the wire
      const r = await s.raw({ secure: true });
      await r.login(a.address);
      await r.command('SELECT INBOX');
      const fw = names.indexOf('forwarded-rfc822-with-inline-cid-image.eml') + 1;
      const part = await r.command(`FETCH ${fw} (BODY.PEEK[]<10.20> BODY.PEEK[2.HEADER.FIELDS (SUBJECT)] BODY.PEEK[HEADER.FIELDS.NOT (RECEIVED)]<0.4>)`);
      expect(part).to.contain(`BODY[]<10> {20}\r\n${fixture('forwarded-rfc822-with-inline-cid-image.eml').subarray(10, 30).toString('binary')}`);
      expect(part).to.contain('BODY[2.HEADER.FIELDS (SUBJECT)] {24}\r\nSubject: Another PDF\r\n\r\n');
      expect(part).to.match(/BODY\[HEADER\.FIELDS\.NOT \(RECEIVED\)\]<0> \{4\}\r\n/);
      const missing = await r.command(`FETCH ${fw} (BODY.PEEK[9.9])`);
      expect(missing).to.contain('BODY[9.9] {0}');
      // BODY[] without PEEK sets \Seen and says so
      await r.command(`STORE ${fw} -FLAGS (\\Seen)`);
      const seen = await r.command(`FETCH ${fw} (BODY[HEADER])`);
      expect(seen).to.match(/FLAGS \(\\Seen\)/);
      await c.logout();
    });

    it('SEARCH with every RFC 3501 key, answered from the index: decoded non-ASCII text, headers, dates, sizes, flags, sets, OR/NOT', async () => {
      const a = await s.account();
      const c = await s.client(a);
      const put = async (name: string, flags: string[], day: number): Promise<number> =>
        ((await c.append('INBOX', fixture(name), flags, new Date(Date.UTC(2024, 0, day, 12)))) as { uid: number }).uid;
      const gmail = await put('gmail-iso-8859-1-encoded-words.eml', ['\\Seen', '\\Flagged'], 1);
      const tb = await put('thunderbird-mixed-alternative-related-attachment.eml', ['$Work'], 2);
      const yahoo = await put('yahoo-calendar-invitation-request.eml', ['\\Answered', '\\Deleted'], 3);
      const w1252 = await put('windows-1252-encoded-word-and-8bit-subject.eml', ['\\Draft'], 4);
      const lock = await c.getMailboxLock('INBOX');
      const find = async (q: Record<string, unknown>): Promise<number[] | false | undefined> => c.search(q, { uid: true });
      try {
        expect(await find({ subject: 'fouché' })).to.deep.equal([gmail]);
        expect(await find({ subject: 'FORMAÇÃO' })).to.deep.equal([w1252]);
        expect(await find({ body: 'hähä' })).to.deep.equal([tb]);
        expect(await find({ text: 'vcalendar' })).to.deep.equal([yahoo]);
        expect(await find({ from: 'gmail-noreply@google.com' })).to.deep.equal([gmail]);
        expect(await find({ to: 'raph.ouazana' })).to.deep.equal([yahoo]);
        expect(await find({ header: { 'x-mailer': '' } })).to.deep.equal([]);
        expect(await find({ header: { 'content-type': 'multipart/mixed' } })).to.deep.equal([tb, yahoo]);
        expect(await find({ seen: true })).to.deep.equal([gmail]);
        expect(await find({ seen: false, draft: false })).to.deep.equal([tb, yahoo]);
        expect(await find({ flagged: true })).to.deep.equal([gmail]);
        expect(await find({ answered: true, deleted: true })).to.deep.equal([yahoo]);
        expect(await find({ keyword: '$work' })).to.deep.equal([tb]);
        expect(await find({ unKeyword: '$Work' })).to.deep.equal([gmail, yahoo, w1252]);
        expect(await find({ since: new Date(Date.UTC(2024, 0, 2)), before: new Date(Date.UTC(2024, 0, 4)) })).to.deep.equal([tb, yahoo]);
        expect(await find({ on: new Date(Date.UTC(2024, 0, 4)) })).to.deep.equal([w1252]);
        expect(await find({ sentBefore: new Date(Date.UTC(2010, 0, 1)) })).to.deep.equal([gmail]);
        expect(await find({ sentSince: new Date(Date.UTC(2017, 0, 23)) })).to.deep.equal([tb, yahoo]);
        expect(await find({ larger: 10_000 })).to.deep.equal([yahoo]);
        expect(await find({ smaller: 1_000 })).to.deep.equal([w1252]);
        expect(await find({ uid: `${tb}:${w1252}`, not: { deleted: true } })).to.deep.equal([tb, w1252]);
        expect(await find({ or: [{ flagged: true }, { draft: true }] })).to.deep.equal([gmail, w1252]);
        expect(await find({ all: true })).to.deep.equal([gmail, tb, yahoo, w1252]);
        expect(await find({ new: true })).to.deep.equal([]);
        expect(await find({ old: true })).to.deep.equal([gmail, tb, yahoo, w1252]);
        expect(await c.search({ seq: '2:3' })).to.deep.equal([2, 3]);
        expect(await find({ modseq: 1 })).to.have.length(4);
      } finally {
        lock.release();
      }
      const r = await s.raw({ secure: true });
      await r.login(a.address);
      await r.command('SELECT INBOX');
      expect(await r.command('SEARCH CHARSET KOI8-R TEXT x')).to.match(/NO \[BADCHARSET/);
      expect(await r.command(utf8('UID SEARCH CHARSET UTF-8 SUBJECT "Formação"'))).to.contain(`* SEARCH ${w1252}`);
      expect(await r.command('SEARCH FOO')).to.match(/BAD/);
      await c.logout();
    });

    it('STORE, COPY, MOVE and EXPUNGE with UIDPLUS codes; CONDSTORE CHANGEDSINCE and UNCHANGEDSINCE', async () => {
      const a = await s.account();
      const r = await s.raw({ secure: true });
      await r.login(a.address);
      await r.command('ENABLE CONDSTORE');
      for (let i = 0; i < 4; i++) await r.command(`APPEND INBOX {${22 + String(i).length}}\r\nSubject: m${i}\r\n\r\nbody ${i}\r\n`);
      const sel = await r.command('SELECT INBOX');
      expect(sel).to.contain('* 4 EXISTS').and.contain('[UIDNEXT 5]').and.match(/HIGHESTMODSEQ (\d+)/);
      const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(sel)![1]);
      const store = await r.command('STORE 1:2 +FLAGS (\\Flagged)');
      expect(store).to.match(/\* 1 FETCH \(FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)/).and.match(/\* 2 FETCH/);
      // with CONDSTORE on, even .SILENT answers with MODSEQ (RFC 7162 3.1.3)
      expect(await r.command('STORE 3 +FLAGS.SILENT (\\Seen)')).to.match(/\* 3 FETCH \(FLAGS \(\\Seen\) MODSEQ/);
      const changed = await r.command(`FETCH 1:* (UID FLAGS) (CHANGEDSINCE ${highest})`);
      expect(changed.match(/\* \d FETCH/g)).to.have.length(3);
      const cond = await r.command(`STORE 1,4 (UNCHANGEDSINCE ${highest}) FLAGS (\\Answered)`);
      expect(cond).to.match(/OK \[MODIFIED 1\]/);
      const copy = await r.command('UID COPY 1:2 Archive');
      expect(copy).to.match(/OK \[COPYUID \d+ 1:2 1:2\]/);
      const move = await r.command('UID MOVE 2:3 Trash');
      expect(move).to.match(/\* OK \[COPYUID \d+ 2:3 1:2\]/).and.contain('* 2 EXPUNGE').and.match(/t\d+ OK/);
      expect(move).to.not.match(/t\d+ OK \[COPYUID/);
      await r.command('UID STORE 1,4 +FLAGS (\\Deleted)');
      expect(await r.command('UID EXPUNGE 4')).to.contain('* 2 EXPUNGE');
      const left = await r.command('UID SEARCH ALL');
      expect(left).to.contain('* SEARCH 1\r\n');
      expect(await r.command('EXPUNGE')).to.contain('* 1 EXPUNGE');
      expect(await r.command('STATUS Trash (MESSAGES)')).to.contain('MESSAGES 2');
      expect(await r.command('COPY 1 Nowhere')).to.match(/NO \[(TRYCREATE|BAD)|BAD/);
      // EXAMINE opens read-only; STORE there changes nothing
      await r.command('SELECT Archive');
      expect(await r.command('EXAMINE Archive')).to.contain('[READ-ONLY]');
      expect(await r.command('STORE 1 +FLAGS (\\Deleted)')).to.not.contain('\\Deleted');
      expect(await r.command('UNSELECT')).to.match(/OK/);
    });

    it('QUOTA: GETQUOTAROOT reports use and the plan\'s limit; APPEND and COPY over it answer NO [OVERQUOTA]', async () => {
      const a = await s.account('big');
      await s.t.core.accounts.setPlan(a.id, 'big');
      const r = await s.raw({ secure: true });
      await r.login(a.address);
      const body = 'x'.repeat(400_000);
      const msg = `Subject: big\r\n\r\n${body}`;
      expect(await r.command(`APPEND INBOX {${msg.length}}\r\n${msg}`)).to.match(/OK \[APPENDUID/);
      expect(await r.command('GETQUOTAROOT INBOX')).to.contain('* QUOTAROOT "INBOX" ""').and.match(/\* QUOTA "" \(STORAGE 39\d 977\)/);
      expect(await r.command(`APPEND INBOX {${msg.length}}\r\n${msg}`)).to.match(/OK/);
      expect(await r.command(`APPEND Drafts {${msg.length}}\r\n${msg}`)).to.match(/NO \[OVERQUOTA\] Over quota: the mail quota is exceeded/);
      await r.command('SELECT INBOX');
      expect(await r.command('COPY 1:2 Archive')).to.match(/NO \[OVERQUOTA\]/);
      expect(await r.command('STATUS Archive (MESSAGES)')).to.contain('MESSAGES 0');
      expect(await r.command('MOVE 1 Archive')).to.match(/OK/);
      // over the APPENDLIMIT, the literal is refused before it is sent
      expect(await r.command('APPEND INBOX {60000000}')).to.match(/NO \[TOOBIG\]/);
    });
  });
}
