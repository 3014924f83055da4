// Each recipient answered for itself, on both backends: port 25 to a mailbox
// over quota (452 4.2.2 at RCPT, nothing stored, the other recipients
// delivered; a mailbox that fills between RCPT and DATA gets a notice to the
// sender rather than a refusal of all), two messages in one connection
// (each to its own recipients only), submission to several recipients of
// which one is full (refused alone at RCPT; the client's retry to that one
// does not duplicate the others), and the per-account sending rate.
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { Outbound } from '../../src/core/outbound/queue.ts';
import { startSmtp, type SmtpListener } from '../../src/protocols/smtp/listen.ts';
import { freePort } from '../support/server.ts';
import { BACKENDS } from '../support/store.ts';
import { MailSite, messageOf, PASS, Relay, sleep, Talk, TINY_MAIL_BYTES, until } from './mail-site.ts';

const countSubject = (messages: readonly string[], subject: string): number => messages.filter((m) => m.includes(`Subject: ${subject}\r\n`)).length;

for (const backend of BACKENDS) {
  describe(`e2e: SMTP recipients answered one by one (${backend})`, function () {
    this.timeout(120_000);
    const relay = new Relay();
    let site: MailSite;
    const ids: Record<string, number> = {};

    before(async () => {
      await relay.start(await freePort());
      // the sending rate lowered by its setting: no account here sends to more than 6 recipients but dan, in the last test
      site = new MailSite({ backend, relayPort: relay.port, retrySeconds: 1, env: { BUREAU_SUBMISSION_RATE_PER_HOUR: '6' } });
      await site.start();
      for (const name of ['ann', 'bob', 'cat', 'dan', 'eve']) ids[name] = await site.account(`${name}@example.test`);
      for (const name of ['full', 'nearly']) ids[name] = await site.account(`${name}@example.test`, 'tiny');
      // full: at its limit to the byte; nearly: 5,000 bytes left
      await site.core.mail.messages.deliver(ids.full!, messageOf(TINY_MAIL_BYTES, 'filler'));
      await site.core.mail.messages.deliver(ids.nearly!, messageOf(TINY_MAIL_BYTES - 5_000, 'filler'));
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(site.logs.join('\n'));
    });
    after(async () => {
      await site?.cleanup();
      await relay.stop();
    });

    it('port 25: a full mailbox is refused with 452 4.2.2 at RCPT, nothing stored; the other recipient gets the message', async () => {
      const before = await site.mailState('full@example.test');
      // (IMAP QUOTA counts in KiB, rounded up)
      expect(before).to.deep.equal({ messages: 1, usedBytes: Math.ceil(TINY_MAIL_BYTES / 1024) * 1024 });
      const t = await Talk.open(site.ports.smtp);
      await t.send('EHLO client.example');
      expect(await t.send('MAIL FROM:<sender@elsewhere.example>')).to.match(/^250/);
      expect(await t.send('RCPT TO:<full@example.test>')).to.match(/^452 4\.2\.2 <full@example\.test>: Mailbox full/);
      expect(await t.send('RCPT TO:<ann@example.test>')).to.match(/^250/);
      expect(await t.data(messageOf(600, 'mx-to-full-and-ann', 'sender@elsewhere.example'))).to.match(/^250/);
      // alone, the full recipient leaves nothing to send: DATA is refused for want of recipients
      expect(await t.send('MAIL FROM:<sender@elsewhere.example>')).to.match(/^250/);
      expect(await t.send('RCPT TO:<full@example.test>')).to.match(/^452 4\.2\.2/);
      expect(await t.send('DATA')).to.match(/^503 /);
      t.close();
      expect(countSubject(await site.inbox('ann@example.test'), 'mx-to-full-and-ann')).to.equal(1);
      expect(await site.mailState('full@example.test')).to.deep.equal(before);
      expect(countSubject(await site.inbox('full@example.test'), 'mx-to-full-and-ann')).to.equal(0);
    });

    it('port 25: a size announced over what the mailbox has left is refused at RCPT; one that fills up at DATA gets a notice to the sender', async () => {
      const nearly = await site.mailState('nearly@example.test');
      const t = await Talk.open(site.ports.smtp);
      await t.send('EHLO client.example');
      expect(await t.send('MAIL FROM:<sender@elsewhere.example> SIZE=6000')).to.match(/^250/);
      expect(await t.send('RCPT TO:<nearly@example.test>')).to.match(/^452 4\.2\.2/);
      expect(await t.send('RSET')).to.match(/^250/);
      // no size announced: accepted at RCPT, found too big at DATA
      expect(await t.send('MAIL FROM:<sender@elsewhere.example>')).to.match(/^250/);
      expect(await t.send('RCPT TO:<nearly@example.test>')).to.match(/^250/);
      expect(await t.send('RCPT TO:<bob@example.test>')).to.match(/^250/);
      expect(await t.data(messageOf(6_000, 'mx-grew-too-big', 'sender@elsewhere.example'))).to.match(/^250/);
      // only the full one: nothing is kept, and the sender's server is told to try later
      expect(await t.send('MAIL FROM:<sender@elsewhere.example>')).to.match(/^250/);
      expect(await t.send('RCPT TO:<nearly@example.test>')).to.match(/^250/);
      expect(await t.data(messageOf(6_000, 'mx-too-big-alone', 'sender@elsewhere.example'))).to.match(/^452 4\.2\.2/);
      t.close();
      expect(countSubject(await site.inbox('bob@example.test'), 'mx-grew-too-big')).to.equal(1);
      expect(await site.mailState('nearly@example.test')).to.deep.equal(nearly);
      // the notice goes to the (remote) sender through the queue: a bounce, with an empty envelope sender
      await until('the notice at the relay', () => relay.to('sender@elsewhere.example').length > 0);
      const [notice] = relay.to('sender@elsewhere.example');
      expect(notice!.from).to.equal('');
      const text = notice!.raw.toString();
      expect(text).to.match(/Content-Type: multipart\/report; report-type=delivery-status/)
        .and.match(/Final-Recipient: rfc822; nearly@example\.test\r\nAction: failed\r\nStatus: 5\.2\.2/)
        .and.match(/Subject: mx-grew-too-big/);
      expect(text).not.to.match(/bob@example\.test\r\nAction/);
      expect(relay.to('sender@elsewhere.example')).to.have.length(1);
    });

    it('port 25: two messages in one connection each go to their own recipients only', async () => {
      const t = await Talk.open(site.ports.smtp);
      await t.send('EHLO client.example');
      await t.send('MAIL FROM:<sender@elsewhere.example>');
      expect(await t.send('RCPT TO:<cat@example.test>')).to.match(/^250/);
      expect(await t.data(messageOf(500, 'first-of-two', 'sender@elsewhere.example'))).to.match(/^250/);
      await t.send('MAIL FROM:<sender@elsewhere.example>');
      expect(await t.send('RCPT TO:<dan@example.test>')).to.match(/^250/);
      expect(await t.data(messageOf(500, 'second-of-two', 'sender@elsewhere.example'))).to.match(/^250/);
      t.close();
      const cat = await site.inbox('cat@example.test');
      const dan = await site.inbox('dan@example.test');
      expect([countSubject(cat, 'first-of-two'), countSubject(cat, 'second-of-two')]).to.deep.equal([1, 0]);
      expect([countSubject(dan, 'first-of-two'), countSubject(dan, 'second-of-two')]).to.deep.equal([0, 1]);
    });

    it('submission: a full local recipient is refused alone at RCPT; the retry to it alone duplicates nothing', async () => {
      const client = nodemailer.createTransport({
        host: '127.0.0.1', port: site.ports.sub, secure: false, requireTLS: true, auth: { user: 'ann@example.test', pass: PASS }, tls: { rejectUnauthorized: false },
      });
      const mail = { from: 'ann@example.test', subject: 'to-bob-and-full', text: 'one copy each' };
      const info = await client.sendMail({ ...mail, to: ['bob@example.test', 'full@example.test'] });
      expect(info.accepted).to.deep.equal(['bob@example.test']);
      expect(info.rejected).to.deep.equal(['full@example.test']);
      const refusal = (info as unknown as { rejectedErrors: { response: string }[] }).rejectedErrors[0]!.response;
      expect(refusal).to.match(/^452 4\.2\.2 <full@example\.test>: Mailbox full/);
      // full makes room; the client sends again to the refused recipient only
      await site.imap('full@example.test', async (c) => {
        const lock = await c.getMailboxLock('INBOX');
        try {
          await c.messageDelete('1:*');
        } finally {
          lock.release();
        }
      });
      const retry = await client.sendMail({ ...mail, to: info.rejected as string[] });
      expect(retry.accepted).to.deep.equal(['full@example.test']);
      client.close();
      expect(countSubject(await site.inbox('bob@example.test'), 'to-bob-and-full')).to.equal(1);
      expect(countSubject(await site.inbox('full@example.test'), 'to-bob-and-full')).to.equal(1);
    });

    it('submission: a mailbox that fills up between RCPT and DATA is reported to the sender; the others have the message once', async () => {
      const before = await site.mailState('nearly@example.test');
      const t = await Talk.login(site.ports.subs, 'ann@example.test');
      expect(await t.send('MAIL FROM:<ann@example.test>')).to.match(/^250/);
      expect(await t.send('RCPT TO:<nearly@example.test>')).to.match(/^250/);
      expect(await t.send('RCPT TO:<eve@example.test>')).to.match(/^250/);
      expect(await t.data(messageOf(6_000, 'sub-grew-too-big', 'ann@example.test'))).to.match(/^250/);
      t.close();
      expect(countSubject(await site.inbox('eve@example.test'), 'sub-grew-too-big')).to.equal(1);
      expect(await site.mailState('nearly@example.test')).to.deep.equal(before);
      const notice = (await site.inbox('ann@example.test')).filter((m) => m.includes('report-type=delivery-status'));
      expect(notice).to.have.length(1);
      expect(notice[0]).to.match(/Final-Recipient: rfc822; nearly@example\.test\r\nAction: failed\r\nStatus: 5\.2\.2/)
        .and.match(/Subject: sub-grew-too-big/).and.not.match(/Final-Recipient: rfc822; eve@/);
    });

    it('the sending rate set by BUREAU_SUBMISSION_RATE_PER_HOUR: the recipients over it are refused with 451 4.7.1, the others get the message', async () => {
      const client = nodemailer.createTransport({ host: '127.0.0.1', port: site.ports.subs, secure: true, auth: { user: 'dan@example.test', pass: PASS }, tls: { rejectUnauthorized: false } });
      const to = ['ann', 'bob', 'cat', 'eve', 'far1', 'far2', 'far3'].map((n) => (n.startsWith('far') ? `${n}@remote.example` : `${n}@example.test`));
      const info = await client.sendMail({ from: 'dan@example.test', to, subject: 'rate-by-setting', text: 'x' });
      client.close();
      expect(info.accepted).to.deep.equal(to.slice(0, 6));
      expect(info.rejected).to.deep.equal(['far3@remote.example']);
      const refusal = (info as unknown as { rejectedErrors: { response: string }[] }).rejectedErrors[0]!.response;
      expect(refusal).to.match(/^451 4\.7\.1 Sending rate limit reached: dan@example\.test may send to 6 recipients an hour; try again in (59|60) minutes$/);
      expect(countSubject(await site.inbox('eve@example.test'), 'rate-by-setting')).to.equal(1);
      await until('the two remote recipients at the relay', () => relay.to('far1@remote.example').length + relay.to('far2@remote.example').length > 0);
      expect(relay.messages.filter((m) => m.raw.includes('rate-by-setting')).flatMap((m) => m.to)).to.deep.equal(['far1@remote.example', 'far2@remote.example']);
    });

    it('the sending rate: recipients over the limit get 451 4.7.1 saying so, and sending works again once the window has moved on', async () => {
      // a submission listener on this server's core with the limit lowered to 3 recipients in a window of 2 seconds
      const port = await freePort();
      const config = site.config;
      const unstarted = new Outbound(site.core, {
        relay: null, hostname: 'localhost', retryBaseMs: 1000, maxDelayMs: 1000, expireMs: 60_000, pollMs: 1000, timeoutMs: 5000, log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
      });
      const listeners: SmtpListener[] = await startSmtp({
        core: site.core, tls: site.server.tls, bind: '127.0.0.1', hostname: 'localhost', port: 0, submissionPort: 0, submissionsPort: port,
        maxBytes: config.smtp.maxBytes, relay: null, ratePerHour: 3, rateWindowMs: 2_000, retryBaseSeconds: 1, expireHours: 1,
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined }, outbound: unstarted,
      });
      try {
        const client = nodemailer.createTransport({ host: '127.0.0.1', port, secure: true, auth: { user: 'cat@example.test', pass: PASS }, tls: { rejectUnauthorized: false } });
        const first = await client.sendMail({ from: 'cat@example.test', to: ['ann@example.test', 'bob@example.test', 'dan@example.test', 'eve@example.test'], subject: 'rate-first', text: 'x' });
        const started = Date.now();
        expect(first.accepted).to.deep.equal(['ann@example.test', 'bob@example.test', 'dan@example.test']);
        expect(first.rejected).to.deep.equal(['eve@example.test']);
        const over = (first as unknown as { rejectedErrors: { response: string }[] }).rejectedErrors[0]!.response;
        expect(over).to.match(/^451 4\.7\.1 Sending rate limit reached: cat@example\.test may send to 3 recipients an hour; try again in [12] seconds?$/);
        const refused = await client.sendMail({ from: 'cat@example.test', to: 'eve@example.test', subject: 'rate-refused', text: 'x' }).then(() => null, (e: { response?: string }) => e.response ?? '');
        expect(refused).to.match(/^451 4\.7\.1 Sending rate limit reached/);
        await sleep(Math.max(0, started + 2_100 - Date.now()));
        const later = await client.sendMail({ from: 'cat@example.test', to: 'eve@example.test', subject: 'rate-later', text: 'x' });
        expect(later.accepted).to.deep.equal(['eve@example.test']);
        client.close();
        const eve = await site.inbox('eve@example.test');
        expect([countSubject(eve, 'rate-first'), countSubject(eve, 'rate-refused'), countSubject(eve, 'rate-later')]).to.deep.equal([0, 0, 1]);
        expect(countSubject(await site.inbox('dan@example.test'), 'rate-first')).to.equal(1);
      } finally {
        await Promise.all(listeners.map((l) => l.close(0)));
      }
    });
  });
}
