// Open mail sessions after a password change, on both backends: an IMAP
// session in IDLE and one with a mailbox selected (imapflow), and a raw one
// that reads the BYE, all end within 2 s of a password change made through
// the core (the web settings and reset link go through it) and through
// `bureau user passwd` in another process; an SMTP submission session logged
// in before is refused its next command (421, connection closed); a new login
// works with the new password only. Destroying an account ends its sessions
// as well.
import { expect } from 'chai';
import { ImapFlow } from 'imapflow';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { bureauCommand } from '../support/server.ts';
import { BACKENDS } from '../support/store.ts';
import { MailSite, PASS, Talk, until } from './mail-site.ts';

const CHANGED = 'The password of this account was changed; log in again.';

/** An IMAP session on a raw TLS socket, logged in, INBOX selected; keeps everything the server says. */
class RawImap {
  text = '';
  closed = false;
  private readonly socket: TLSSocket;
  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => { this.text += d.toString('utf8'); });
    socket.on('close', () => { this.closed = true; });
    socket.on('error', () => undefined);
  }
  static async open(port: number, address: string, password: string): Promise<RawImap> {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const r = new RawImap(socket);
    await until('the greeting', () => r.text.includes('* OK'), 10_000);
    socket.write(`a LOGIN "${address}" "${password}"\r\n`);
    await until('the login', () => /\r\na (OK|NO)/.test(`\r\n${r.text}`), 10_000);
    expect(r.text).to.match(/\r\na OK/);
    socket.write('b SELECT INBOX\r\n');
    await until('the select', () => /\r\nb OK/.test(r.text), 10_000);
    return r;
  }
  destroy(): void {
    this.socket.destroy();
  }
}

interface Sessions {
  readonly idle: ImapFlow;
  readonly selected: ImapFlow;
  readonly raw: RawImap;
  readonly closedAt: { idle: number; selected: number };
}

for (const backend of BACKENDS) {
  describe(`e2e: open mail sessions after a password change (${backend})`, function () {
    this.timeout(120_000);
    let site: MailSite;

    const client = (address: string, pass: string, idle: boolean): ImapFlow => new ImapFlow({
      host: 'localhost', port: site.ports.imaps, secure: true, auth: { user: address, pass }, logger: false,
      tls: { ca: [site.ca] }, disableAutoIdle: !idle,
    });

    /** An IMAP session in IDLE, one with INBOX selected and doing nothing, a raw one: all logged in with `pass`. */
    const open = async (address: string, pass: string): Promise<Sessions> => {
      const closedAt = { idle: 0, selected: 0 };
      const idle = client(address, pass, true);
      const selected = client(address, pass, false);
      for (const [c, key] of [[idle, 'idle'], [selected, 'selected']] as const) {
        c.on('error', () => undefined);
        c.on('close', () => { closedAt[key] = Date.now(); });
        await c.connect();
        await c.mailboxOpen('INBOX');
      }
      void idle.idle().catch(() => undefined);
      await until('IDLE under way', () => (idle as unknown as { idling: boolean }).idling === true, 10_000);
      return { idle, selected, raw: await RawImap.open(site.ports.imaps, address, pass), closedAt };
    };

    const login = async (address: string, pass: string): Promise<boolean> => {
      const c = client(address, pass, false);
      c.on('error', () => undefined);
      try {
        await c.connect();
      } catch {
        return false;
      }
      await c.logout();
      return true;
    };

    /** Every session closed within 2 s of `since`, the raw one after the BYE that says why. */
    const allClosed = async (s: Sessions, since: number, reason: string): Promise<void> => {
      await until('all sessions closed', () => s.closedAt.idle > 0 && s.closedAt.selected > 0 && s.raw.closed, 5_000);
      expect(s.closedAt.idle - since).to.be.below(2_000);
      expect(s.closedAt.selected - since).to.be.below(2_000);
      expect(s.raw.text).to.include(`\r\n* BYE ${reason}\r\n`);
      expect(s.idle.usable).to.equal(false);
      expect(s.selected.usable).to.equal(false);
    };

    before(async () => {
      site = new MailSite({ backend });
      await site.start();
      await site.account('ann@example.test');
      await site.account('bob@example.test');
    });
    after(async function () {
      if (this.currentTest?.state === 'failed') console.log(site.logs.join('\n'));
      await site.cleanup();
    });

    it('a password change through the core ends the IMAP sessions (IDLE and selected) and refuses the next SMTP command', async () => {
      const s = await open('ann@example.test', PASS);
      const bobs = await open('bob@example.test', PASS);
      const smtp = await Talk.login(site.ports.subs, 'ann@example.test');
      try {
        const since = Date.now();
        await site.core.accounts.setPassword((await site.core.accounts.byAddress('ann@example.test')).id, 'a brand new password');
        await allClosed(s, since, CHANGED);
        // the SMTP session goes no further, and is closed
        expect(await smtp.send('MAIL FROM:<ann@example.test>')).to.match(new RegExp(`^421 4\\.7\\.0 ${CHANGED.replace(/[.;]/g, '\\$&')}`));
        await until('the SMTP connection closed', () => smtp.socket.destroyed || smtp.socket.readableEnded, 5_000);
        // another account's sessions go on
        expect(bobs.selected.usable).to.equal(true);
        const status = await bobs.selected.status('INBOX', { messages: true });
        expect(status && status.messages).to.equal(0);
        expect(bobs.raw.closed).to.equal(false);
        // the old password is refused, the new one works
        expect(await login('ann@example.test', PASS)).to.equal(false);
        expect(await login('ann@example.test', 'a brand new password')).to.equal(true);
      } finally {
        smtp.close();
        s.raw.destroy();
        for (const c of [bobs.idle, bobs.selected]) await c.logout().catch(() => c.close());
        bobs.raw.destroy();
      }
    });

    it('`bureau user passwd` in another process ends them too', async () => {
      const s = await open('ann@example.test', 'a brand new password');
      try {
        await bureauCommand(site.env, ['user', 'passwd', 'ann@example.test'], 'set from the command line\n', 30_000);
        const since = Date.now();
        await allClosed(s, since, CHANGED);
        expect(await login('ann@example.test', 'a brand new password')).to.equal(false);
        expect(await login('ann@example.test', 'set from the command line')).to.equal(true);
      } finally {
        s.raw.destroy();
      }
    });

    it('destroying the account ends its sessions with a BYE that says so', async () => {
      const s = await open('bob@example.test', PASS);
      try {
        const since = Date.now();
        await site.core.accounts.destroy((await site.core.accounts.byAddress('bob@example.test')).id);
        await allClosed(s, since, 'This account was closed.');
      } finally {
        s.raw.destroy();
      }
    });
  });
}
