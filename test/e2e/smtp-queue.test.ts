// The outbound queue of the whole server, on both backends, through a relay
// that offers STARTTLS with a certificate of its own: mail from the primary
// domain DKIM-signed once `bureau domain dns` made its key, arriving over TLS
// byte for byte; a temporary refusal retried with growing delays until the
// queue lifetime ends, then an RFC 3464 notice in the sender's INBOX (read
// with imapflow); a permanent refusal notified at once; a restart in the
// middle of the queue delivering after it. Timers are shortened through the
// server's settings (retries 0.2 s apart at first, a lifetime of 5 s).
import { expect } from 'chai';
import type { ImapFlow } from 'imapflow';
import { dkimVerify } from 'mailauth';
import nodemailer from 'nodemailer';
import { bureauCommand, freePort } from '../support/server.ts';
import { BACKENDS } from '../support/store.ts';
import { MailSite, PASS, Relay, sleep, until } from './mail-site.ts';

const RETRY_SECONDS = 0.2;
const QUEUE_SECONDS = 5;

/** A DNS answer for mailauth made of the printed `NAME IN TXT "..." "..."` line of the DKIM key. */
function resolverFrom(printed: string): (name: string, type: string) => Promise<string[][]> {
  const line = printed.split('\n').find((l) => /^bureau\._domainkey\.\S+ IN TXT /.test(l));
  if (!line) throw new Error(`no DKIM record in: ${printed}`);
  const name = line.split(' ')[0]!.replace(/\.$/, '');
  const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  return async (asked, type) => {
    if (type === 'TXT' && asked === name) return [strings];
    throw Object.assign(new Error(`no ${type} record for ${asked}`), { code: 'ENOTFOUND' });
  };
}

interface Notice {
  readonly type: string;
  readonly reportType: string;
  readonly parts: string[];
  readonly status: string;
  readonly human: string;
}

/** The delivery notices in the INBOX, as a mail program sees them: structure, then the delivery-status part. */
async function notices(c: ImapFlow): Promise<Notice[]> {
  const lock = await c.getMailboxLock('INBOX');
  const out: Notice[] = [];
  try {
    if ((c.mailbox as { exists: number }).exists === 0) return out;
    const found: { uid: number; structure: { type: string; parameters?: Record<string, string>; childNodes?: { type: string; part?: string }[] } }[] = [];
    for await (const m of c.fetch('1:*', { uid: true, bodyStructure: true })) found.push({ uid: m.uid, structure: m.bodyStructure as never });
    for (const m of found) {
      if (m.structure.type !== 'multipart/report') continue;
      const children = m.structure.childNodes ?? [];
      const read = async (type: string): Promise<string> => {
        const part = children.find((p) => p.type === type);
        if (!part?.part) return '';
        const { content } = await c.download(String(m.uid), part.part, { uid: true });
        const chunks: Buffer[] = [];
        for await (const chunk of content ?? []) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      };
      out.push({
        type: m.structure.type, reportType: m.structure.parameters?.['report-type'] ?? '',
        parts: children.map((p) => p.type), status: await read('message/delivery-status'), human: await read('text/plain'),
      });
    }
  } finally {
    lock.release();
  }
  return out;
}

for (const backend of BACKENDS) {
  describe(`e2e: the outbound queue (${backend})`, function () {
    this.timeout(120_000);
    const relay = new Relay();
    let site: MailSite;
    let client: ReturnType<typeof nodemailer.createTransport>;
    const noticesOf = (address: string): Promise<Notice[]> => site.imap(address, notices);
    const noticeFor = async (address: string, recipient: string): Promise<Notice> => {
      let found: Notice | undefined;
      await until(`a notice for ${recipient} in ${address}'s INBOX`, async () => {
        found = (await noticesOf(address)).find((n) => n.status.includes(`Final-Recipient: rfc822; ${recipient}\r\n`));
        return found !== undefined;
      });
      return found!;
    };

    before(async () => {
      await relay.start(await freePort(), true);
      site = new MailSite({ backend, relayPort: relay.port, retrySeconds: RETRY_SECONDS, queueSeconds: QUEUE_SECONDS });
      await site.start();
      await site.account('ann@example.test');
      client = nodemailer.createTransport({
        host: '127.0.0.1', port: site.ports.subs, secure: true, auth: { user: 'ann@example.test', pass: PASS }, tls: { rejectUnauthorized: false },
      });
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.log(site.logs.join('\n'));
    });
    after(async () => {
      client?.close();
      await site?.cleanup();
      await relay.stop();
    });

    it('mail from the primary domain, once `bureau domain dns` made its key, leaves DKIM-signed over STARTTLS, byte for byte', async () => {
      const printed = await bureauCommand(site.env, ['domain', 'dns', 'example.test'], '', 30_000);
      expect(printed).to.match(/^bureau\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=rsa; p=/m);
      // a message as a mail program writes it: 8-bit text, a line that starts with a dot, a long line
      const raw = Buffer.from([
        'From: Ann <ann@example.test>', 'To: far@tls.example', 'Subject: =?UTF-8?Q?signed_=C3=A9t=C3=A9?=',
        `Message-ID: <signed.${backend}@example.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit', '', 'Été à la plage.', '.a line that starts with a dot', '..and two', 'x'.repeat(900), 'end', '',
      ].join('\r\n'), 'utf8');
      await client.sendMail({ envelope: { from: 'ann@example.test', to: ['far@tls.example'] }, raw });
      await until('the message at the relay', () => relay.to('far@tls.example').length > 0);
      const [got] = relay.to('far@tls.example');
      expect(got!.secure, 'delivered over STARTTLS').to.equal(true);
      expect(got!.tlsVersion).to.match(/^TLSv1\.[23]$/);
      expect(got!.from).to.equal('ann@example.test');
      // what left is the submitted message itself, after the signature and the Received line
      expect(got!.raw.subarray(got!.raw.length - raw.length).equals(raw), 'the submitted bytes intact at the end').to.equal(true);
      const added = got!.raw.subarray(0, got!.raw.length - raw.length).toString('latin1');
      expect(added).to.match(/^DKIM-Signature: [^]*\r\nReceived: from [^]*\r\n$/);
      expect(added.match(/^\S[^:]*:/gm)).to.deep.equal(['DKIM-Signature:', 'Received:']);
      const resolver = resolverFrom(printed);
      const verified = await dkimVerify(got!.raw, { resolver } as Parameters<typeof dkimVerify>[1]);
      expect(verified.results.map((r) => [r.signingDomain, r.selector, r.status.result])).to.deep.equal([['example.test', 'bureau', 'pass']]);
      // the check can fail: one byte of the body changed
      const tampered = Buffer.from(got!.raw);
      tampered[tampered.indexOf('plage')] = 0x50;
      const broken = await dkimVerify(tampered, { resolver } as Parameters<typeof dkimVerify>[1]);
      expect(broken.results.map((r) => [r.status.result, r.status.comment])).to.deep.equal([['neutral', 'body hash did not verify']]);
    });

    it('a temporary refusal is retried with growing delays until the queue lifetime ends; then an RFC 3464 notice in the sender\'s INBOX', async () => {
      relay.answer = (to) => (to === 'later@slow.example' ? { code: 451, text: '4.7.1 greylisted, try again later' } : null);
      const sent = Date.now();
      await client.sendMail({ from: 'ann@example.test', to: ['ok@slow.example', 'later@slow.example'], subject: 'slow going', text: 'x' });
      const notice = await noticeFor('ann@example.test', 'later@slow.example');
      const noticed = Date.now();
      // the recipient accepted at the first attempt is not sent to again
      expect(relay.to('ok@slow.example')).to.have.length(1);
      expect(relay.to('later@slow.example')).to.have.length(0);
      const times = relay.attemptsFor('later@slow.example').map((a) => a.at);
      expect(times.length, `attempts at ${times.map((t) => t - sent).join(', ')} ms`).to.be.within(4, 6);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // each delay at least twice the one before (0.2 s, 0.4 s, 0.8 s, 1.6 s...), whatever the worker's rhythm adds
      gaps.forEach((gap, i) => expect(gap, `gap ${i + 1} of ${gaps.join(', ')} ms`).to.be.at.least(RETRY_SECONDS * 1000 * 2 ** i - 10));
      // given up when the next try would pass the lifetime, not before
      expect(noticed - sent).to.be.within(QUEUE_SECONDS * 1000 * 0.5, QUEUE_SECONDS * 1000 * 3);
      expect(notice.type).to.equal('multipart/report');
      expect(notice.reportType).to.equal('delivery-status');
      expect(notice.parts).to.deep.equal(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
      expect(notice.status).to.match(/^Reporting-MTA: dns; localhost\r\n/)
        .and.match(/\r\nFinal-Recipient: rfc822; later@slow\.example\r\nAction: failed\r\nStatus: 4\.4\.7\r\n/)
        .and.match(/Diagnostic-Code: smtp; .*greylisted/);
      expect(notice.status).not.to.include('ok@slow.example');
      expect(notice.human).to.match(/although it was tried for [3-9] seconds:\r\n\r\n  later@slow\.example: .*greylisted/);
      await sleep(800);
      expect(relay.attemptsFor('later@slow.example')).to.have.length(times.length);
      expect(await site.core.store.listOutbound()).to.deep.equal([]);
    });

    it('a permanent refusal is notified at once, without retries', async () => {
      relay.answer = (to) => (to === 'bad@hard.example' ? { code: 550, text: '5.1.1 no such user here' } : null);
      await client.sendMail({ from: 'ann@example.test', to: 'bad@hard.example', subject: 'to nobody', text: 'x' });
      const notice = await noticeFor('ann@example.test', 'bad@hard.example');
      expect(notice.status).to.match(/Final-Recipient: rfc822; bad@hard\.example\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; 127\.0\.0\.1\r\n/)
        .and.match(/Diagnostic-Code: smtp; 550 5\.1\.1 no such user here/);
      expect(notice.human).to.match(/permanent/);
      await sleep(RETRY_SECONDS * 1000 * 4);
      expect(relay.attemptsFor('bad@hard.example')).to.have.length(1);
      expect(await site.core.store.listOutbound()).to.deep.equal([]);
    });

    it('a message waiting in the queue when the server stops is delivered after it starts again, once', async () => {
      let paused = true;
      relay.answer = (to) => (to === 'wait@pause.example' && paused ? { code: 421, text: '4.3.2 not now' } : null);
      await client.sendMail({ from: 'ann@example.test', to: 'wait@pause.example', subject: 'across a restart', text: 'x' });
      await until('a first attempt', () => relay.attemptsFor('wait@pause.example').length > 0);
      const queued = await site.core.store.listOutbound();
      expect(queued.map((m) => m.recipients)).to.deep.equal([['wait@pause.example']]);
      client.close();
      await site.restart(() => { paused = false; });
      client = nodemailer.createTransport({
        host: '127.0.0.1', port: site.ports.subs, secure: true, auth: { user: 'ann@example.test', pass: PASS }, tls: { rejectUnauthorized: false },
      });
      await until('the message after the restart', () => relay.to('wait@pause.example').length > 0);
      await sleep(RETRY_SECONDS * 1000 * 4);
      expect(relay.to('wait@pause.example')).to.have.length(1);
      expect(relay.to('wait@pause.example')[0]!.raw.toString()).to.match(/Subject: across a restart/);
      expect(await site.core.store.listOutbound()).to.deep.equal([]);
      expect((await noticesOf('ann@example.test')).filter((n) => n.status.includes('wait@pause.example'))).to.have.length(0);
    });
  });
}
