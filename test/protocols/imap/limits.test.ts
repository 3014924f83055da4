// imap-core's limits lifted at Bureau's IMAP door, on both backends, through
// real sockets: the greeting goes out without waiting for a reverse DNS
// lookup (with a resolver that never answers); sequence numbers stay right
// through expunges and appends now that imap-core finds them by binary search
// (SEARCH, FETCH and STORE by sequence number); LITERAL- (RFC 7888); a
// password change landing between a login's password check and its watch;
// the BYE of a password change never lands inside a streaming FETCH.
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import dns from 'node:dns';
import { connect as netConnect, type Socket } from 'node:net';
import { UidList } from '../../../src/protocols/imap/uid-list.ts';
import { TEST_SETTINGS } from '../../support/core.ts';
import { BACKENDS } from '../../support/store.ts';
import { eventually, PASSWORD, startTestImap, type RawClient, type TestImap } from './support.ts';

const CHANGED = 'The password of this account was changed; log in again.';

/** A DNS query (as sent on the wire) asks for the PTR name of that IPv4 address. */
const asksFor = (address: string) => (query: Buffer): boolean => {
  const labels = [...address.split('.').reverse(), 'in-addr', 'arpa'];
  return query.includes(Buffer.concat(labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]))));
};

/** The responses in what a server said (a binary string): each a line, or lines joined by the literals they announce. */
function responses(text: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = pos;
    for (;;) {
      const nl = text.indexOf('\r\n', end);
      if (nl < 0) throw new Error(`an incomplete response at byte ${pos}: ${JSON.stringify(text.slice(pos, pos + 120))}`);
      const m = /\{(\d+)\}$/.exec(text.slice(Math.max(end, nl - 24), nl));
      if (!m) {
        end = nl + 2;
        break;
      }
      end = nl + 2 + Number(m[1]);
    }
    out.push(text.slice(pos, end - 2));
    pos = end;
  }
  return out;
}

const message = (subject: string, bytes: number): Buffer => {
  const head = `From: ann@example.test\r\nTo: bob@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n\r\n`;
  const line = `${'The quick brown fox jumps over the lazy dog. '.repeat(2).slice(0, 78)}\r\n`;
  let body = '';
  while (head.length + body.length + line.length <= bytes) body += line;
  body += 'x'.repeat(bytes - head.length - body.length);
  return Buffer.from(head + body, 'binary');
};

describe('UidList: imap-core\'s uid list with a binary-search indexOf', () => {
  it('answers indexOf as a plain array does through pushes, removals and an out-of-order push', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const plain: number[] = [];
    let next = 1;
    for (let i = 0; i < 500; i++) {
      next += 1 + random(3);
      plain.push(next);
    }
    const list = UidList.fromAscending(plain);
    for (let round = 0; round < 300; round++) {
      if (random(3) === 0) {
        next += 1 + random(5);
        plain.push(next);
        list.push(next);
      } else if (plain.length > 0) {
        const at = random(plain.length);
        plain.splice(at, 1);
        list.splice(at, 1);
      }
      for (let probe = 0; probe < 20; probe++) {
        const uid = random(next + 3);
        expect(list.indexOf(uid), `uid ${uid}`).to.equal(plain.indexOf(uid));
      }
    }
    // a smaller uid pushed (never done by the door): still right, by the linear search
    plain.push(3);
    list.push(3);
    for (const uid of [3, plain[0]!, plain[plain.length - 2]!, next + 1]) expect(list.indexOf(uid)).to.equal(plain.indexOf(uid));
    expect(list.map((u) => u)).to.not.be.instanceOf(UidList);
  });
});

for (const backend of BACKENDS) {
  describe(`imap-core's limits lifted at the IMAP door (${backend})`, function () {
    this.timeout(120_000);
    let s: TestImap;
    before(async () => {
      // a plan with room for the streaming FETCH's 16 MB
      const huge = { name: 'huge', mailBytes: 100_000_000, filesBytes: 50_000, maxGroups: 5, maxGroupMembers: 10, features: ['clients'], paid: true };
      s = await startTestImap(backend, { settings: { ...TEST_SETTINGS, plans: [...TEST_SETTINGS.plans, huge] } });
    });
    after(() => s.stop());
    afterEach(function () {
      if (this.currentTest?.state === 'failed' && s.warnings.length) console.error(s.warnings.join('\n'));
    });

    const loggedIn = async (address: string): Promise<RawClient> => {
      const r = await s.raw({ secure: true });
      await r.until(/^\* OK .*\r\n/);
      await r.login(address);
      return r;
    };

    it('greets at once, without a reverse DNS lookup of the client, while the resolver never answers', async () => {
      // a resolver that hears every query and answers none
      const silent = createSocket('udp4');
      const queries: Buffer[] = [];
      silent.on('message', (q) => queries.push(q));
      await new Promise<void>((ok) => silent.bind(0, '127.0.0.1', () => ok()));
      const servers = dns.getServers();
      dns.setServers([`127.0.0.1:${silent.address().port}`]);
      let socket: Socket | undefined;
      try {
        // a lookup of our own, through the same resolver: it reaches the silent one, and stays pending
        let probeAnswered = false;
        dns.reverse('127.0.0.3', () => { probeAnswered = true; });
        await eventually('the probe lookup reaching the silent resolver', () => queries.some(asksFor('127.0.0.3')));
        // a client from an address no hosts file names: a lookup of it would go to the silent resolver
        socket = netConnect({ host: '127.0.0.1', port: s.port, localAddress: '127.0.0.2' });
        let text = '';
        socket.setEncoding('binary');
        socket.on('data', (d: string) => { text += d; });
        socket.on('error', () => undefined);
        await eventually('the greeting', () => /\r\n/.test(text), 5_000);
        expect(text).to.match(/^\* OK Bureau ready for requests from 127\.0\.0\.2 \S+\r\n$/);
        // the greeting came while the resolver was still silent, and no lookup of the client went out before it
        expect(probeAnswered).to.equal(false);
        expect(queries.filter(asksFor('127.0.0.2'))).to.have.length(0);
        socket.write('a CAPABILITY\r\n');
        await eventually('the CAPABILITY answer', () => /\r\na OK/.test(text), 5_000);
        expect(queries.filter(asksFor('127.0.0.2'))).to.have.length(0);
      } finally {
        socket?.destroy();
        dns.setServers(servers);
        silent.close();
      }
    });

    it('sequence numbers stay right through expunges and appends: non-UID SEARCH, FETCH and STORE by sequence number', async () => {
      const a = await s.account();
      const other = await s.client(a);
      /** the model: the uids the session knows, in order, and those flagged */
      const uids: number[] = [];
      const flagged = new Set<number>();
      let n = 0;
      const add = async (): Promise<number> => {
        n++;
        const flags = n % 3 === 0 ? ['\\Flagged'] : [];
        const r = (await other.append('INBOX', message(`seq ${n}`, 300), flags)) as { uid: number };
        if (flags.length > 0) flagged.add(r.uid);
        return r.uid;
      };
      for (let i = 0; i < 40; i++) uids.push(await add());
      const r = await loggedIn(a.address);
      expect(await r.command('SELECT INBOX')).to.match(/\* 40 EXISTS/);

      /** what the session must see: SEARCH, FETCH and STORE by sequence number against the model */
      const check = async (): Promise<void> => {
        const expected = uids.flatMap((u, i) => (flagged.has(u) ? [i + 1] : []));
        expect(await r.command('SEARCH FLAGGED')).to.match(new RegExp(`\\* SEARCH${expected.map((q) => ` ${q}`).join('')}\\r\\n`));
        expect(await r.command('SEARCH ALL')).to.match(new RegExp(`\\* SEARCH${uids.map((_, i) => ` ${i + 1}`).join('')}\\r\\n`));
        const mid = Math.floor(uids.length / 2);
        expect(await r.command(`SEARCH UID ${uids[mid]}`)).to.match(new RegExp(`\\* SEARCH ${mid + 1}\\r\\n`));
        const fetched = [...(await r.command('FETCH 1:* (UID)')).matchAll(/\* (\d+) FETCH \(UID (\d+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
        expect(fetched).to.deep.equal(uids.map((u, i) => [i + 1, u]));
      };
      await check();

      // another session expunges five, the first and the last among them
      const gone = [uids[0]!, uids[5]!, uids[6]!, uids[20]!, uids[39]!];
      await other.mailboxOpen('INBOX');
      await other.messageDelete(gone.join(','), { uid: true });
      const noop = await r.command('NOOP');
      expect([...noop.matchAll(/\* (\d+) EXPUNGE/g)]).to.have.length(5);
      for (const u of gone) uids.splice(uids.indexOf(u), 1);
      await check();

      // and appends five more; this session expunges its third itself
      for (let i = 0; i < 5; i++) uids.push(await add());
      expect(await r.command('NOOP')).to.match(new RegExp(`\\* ${uids.length} EXISTS`));
      await r.command('STORE 3 +FLAGS.SILENT (\\Deleted)');
      expect(await r.command('EXPUNGE')).to.match(/\* 3 EXPUNGE\r\n/);
      uids.splice(2, 1);
      await check();

      // STORE by sequence number reaches the messages at those places
      const last = uids.length;
      const stored = await r.command(`STORE 2,4,${last} +FLAGS (\\Seen)`);
      expect([...stored.matchAll(/\* (\d+) FETCH/g)].map((m) => Number(m[1]))).to.deep.equal([2, 4, last]);
      expect(await r.command('UID SEARCH SEEN')).to.match(new RegExp(`\\* SEARCH ${uids[1]} ${uids[3]} ${uids[last - 1]}\\r\\n`));
      expect(await r.command('SEARCH SEEN')).to.match(new RegExp(`\\* SEARCH 2 4 ${last}\\r\\n`));
      await other.logout();
    });

    it('LITERAL- (RFC 7888): announced; {n+} up to 4,096 bytes is read without a continuation; {n} still gets one', async () => {
      const a = await s.account();
      const r = await s.raw({ secure: true });
      await r.until(/^\* OK .*\r\n/);
      expect(await r.command('CAPABILITY')).to.match(/^\* CAPABILITY IMAP4rev1 (\S+ )*LITERAL-[ \r]/);
      // LOGIN with both strings as non-synchronizing literals, in one write
      r.write(`l1 LOGIN {${a.address.length}+}\r\n${a.address} {${PASSWORD.length}+}\r\n${PASSWORD}\r\n`);
      const login = await r.until(/l1 (OK|NO|BAD)[^\r\n]*\r\n/);
      expect(login).to.match(/l1 OK/);
      expect(login).to.not.match(/(^|\r\n)\+/);
      // two APPENDs pipelined in one write, the first exactly 4,096 bytes: no continuation, both stored
      const m1 = message('literal minus 4096', 4096);
      const m2 = message('literal minus small', 700);
      r.write(Buffer.concat([
        Buffer.from(`a1 APPEND INBOX (\\Seen) {${m1.length}+}\r\n`), m1, Buffer.from('\r\n'),
        Buffer.from(`a2 APPEND INBOX {${m2.length}+}\r\n`), m2, Buffer.from('\r\n'),
      ]));
      const appended = await r.until(/a2 (OK|NO|BAD)[^\r\n]*\r\n/);
      expect(appended).to.not.match(/(^|\r\n)\+/);
      const uid1 = Number(/a1 OK \[APPENDUID \d+ (\d+)\]/.exec(appended)?.[1]);
      const uid2 = Number(/a2 OK \[APPENDUID \d+ (\d+)\]/.exec(appended)?.[1]);
      expect(uid2).to.equal(uid1 + 1);
      // a synchronizing literal still waits for the continuation
      r.write('a3 APPEND INBOX {7}\r\n');
      expect(await r.until(/(^|\r\n)\+ [^\r\n]*\r\n/)).to.not.match(/a3 /);
      r.write('x: y\r\n\r\n');
      expect(await r.until(/a3 (OK|NO|BAD)[^\r\n]*\r\n/)).to.match(/a3 OK/);
      // byte for byte, read back by imapflow, which itself appends with LITERAL- up to 4,096 bytes and {n} above
      const c = await s.client(a);
      const m3 = message('imapflow small', 3000);
      const m4 = message('imapflow big', 6000);
      const uid3 = ((await c.append('INBOX', m3)) as { uid: number }).uid;
      const uid4 = ((await c.append('INBOX', m4)) as { uid: number }).uid;
      await c.mailboxOpen('INBOX');
      for (const [uid, m] of [[uid1, m1], [uid2, m2], [uid3, m3], [uid4, m4]] as const) {
        const got = await c.fetchOne(String(uid), { source: true }, { uid: true });
        expect(got && Buffer.compare(got.source!, m), `uid ${uid}`).to.equal(0);
      }
      await c.logout();
    });

    it('LITERAL-: {n+} over 4,096 bytes gets BAD [TOOBIG] and the connection ends; a refused command with {n+} ends it too; their bytes are never run', async () => {
      const a = await s.account();
      const c = await s.client(a);
      const names = async (): Promise<string[]> => (await c.list()).map((m) => m.path);
      // the literal's bytes look like commands: they must not be run
      const injected = (name: string, bytes: number): string => `z CREATE ${name}\r\n`.repeat(Math.ceil(bytes / 20)).slice(0, bytes);

      const big = await loggedIn(a.address);
      const body = injected('InjectedA', 5000);
      big.write(`b1 APPEND INBOX {${body.length}+}\r\n${body}\r\n`);
      const said = await big.until(/\* BYE [^\r\n]*\r\n/);
      expect(said).to.match(/b1 BAD \[TOOBIG\] [^\r\n]*4096/);
      expect(said).to.not.match(/(^|\r\n)\+/);
      await eventually('the connection closed', () => big.closed, 5_000);

      // a literal too big for SELECT (imap-core allows 1,024 bytes outside APPEND), sent without waiting
      const refused = await loggedIn(a.address);
      const select = injected('InjectedB', 2000);
      refused.write(`s1 SELECT {${select.length}+}\r\n${select}\r\n`);
      const answer = await refused.until(/\* BYE [^\r\n]*\r\n/);
      expect(answer).to.match(/s1 NO [^\r\n]*\r\n/);
      await eventually('the connection closed', () => refused.closed, 5_000);

      // an unknown command with {n+}
      const unknown = await loggedIn(a.address);
      const frob = injected('InjectedC', 100);
      unknown.write(`u1 FROBNICATE {${frob.length}+}\r\n${frob}\r\n`);
      expect(await unknown.until(/\* BYE [^\r\n]*\r\n/)).to.match(/u1 BAD Unknown command/);
      await eventually('the connection closed', () => unknown.closed, 5_000);

      expect((await names()).filter((n) => n.startsWith('Injected'))).to.deep.equal([]);
      const status = await c.status('INBOX', { messages: true });
      expect(status && status.messages).to.equal(0);
      // other sessions go on
      expect((await loggedIn(a.address)) && (await c.noop(), c.usable)).to.equal(true);
      await c.logout();
    });

    it('a password change landing between a login\'s password check and its watch refuses the login', async () => {
      const a = await s.account();
      const plans = s.t.core.plans;
      const allows = plans.allows;
      // the plan check runs between the password check and the watch: the password changes right then
      plans.allows = async function (...args: Parameters<typeof allows>) {
        const ok = await allows.apply(plans, args);
        await s.t.core.accounts.setPassword(a.id, 'changed in between');
        return ok;
      };
      try {
        const r = await s.raw({ secure: true });
        await r.until(/^\* OK .*\r\n/);
        const answer = await r.command(`LOGIN "${a.address}" "${PASSWORD}"`);
        expect(answer).to.match(new RegExp(`t1 NO \\[AUTHENTICATIONFAILED\\] ${CHANGED.replace(/[.;]/g, '\\$&')}\\r\\n`));
        expect(await r.command('SELECT INBOX')).to.match(/t2 BAD /);
      } finally {
        delete (plans as { allows?: unknown }).allows;
      }
      expect(plans.allows).to.equal(allows);
      // the new password works
      const r = await s.raw({ secure: true });
      await r.until(/^\* OK .*\r\n/);
      expect(await r.command(`LOGIN "${a.address}" "changed in between"`)).to.match(/t1 OK/);
    });

    it('a password change while a FETCH streams: the BYE comes after whole responses, never inside one, and nothing after it', async () => {
      const a = await s.account('huge');
      const inbox = await s.t.core.mail.mailboxes.find(a.id, 'INBOX');
      const stored = new Map<number, Buffer>();
      for (let i = 0; i < 40; i++) {
        const m = message(`stream ${i}`, 400_000);
        stored.set((await s.t.core.mail.messages.append(a.id, inbox.id, m)).uid, m);
      }
      const r = await loggedIn(a.address);
      expect(await r.command('SELECT INBOX')).to.match(/\* 40 EXISTS/);
      r.take();
      // the client stops reading: the FETCH's output backs up in the server
      r.socket.pause();
      r.write('f1 FETCH 1:* (UID BODY.PEEK[])\r\n');
      await new Promise((ok) => setTimeout(ok, 500));
      await s.t.core.accounts.setPassword(a.id, 'changed mid-fetch');
      await new Promise((ok) => setTimeout(ok, 300));
      r.socket.resume();
      await eventually('the connection closed', () => r.closed, 20_000);
      const all = responses(r.take());
      const last = all[all.length - 1] ?? '';
      expect(last.length > 200 ? `${last.slice(0, 100)}…${last.slice(-100)}` : last, 'the last response').to.equal(`* BYE ${CHANGED}`);
      const fetches = all.slice(0, -1);
      expect(fetches.length).to.be.above(0);
      const uids = [...stored.keys()];
      fetches.forEach((text, i) => {
        const m = /^\* (\d+) FETCH \(UID (\d+) BODY\[\] \{(\d+)\}\r\n/.exec(text);
        expect(m, `response ${i + 1}: ${JSON.stringify(text.slice(0, 80))}…${JSON.stringify(text.slice(-80))}`).to.not.equal(null);
        expect(Number(m![1])).to.equal(i + 1);
        expect(Number(m![2])).to.equal(uids[i]);
        const literal = text.slice(m![0].length);
        expect(literal.endsWith(')'), `response ${i + 1} ends with its parenthesis`).to.equal(true);
        expect(Buffer.compare(Buffer.from(literal.slice(0, -1), 'binary'), stored.get(uids[i]!)!)).to.equal(0);
      });
      console.log(`      (${fetches.length} of 40 FETCH responses before the BYE)`);
    });
  });
}
