// The delivery figure of issue 3: messages per second accepted on port 25
// (the MX) from 10 parallel senders and visible in IMAP, for Bureau, with
// Dovecot measured in the same run.
//
// Bureau runs as its own process (src/main.ts, SQLite, durable writes). Ten
// SMTP connections send BENCH_DELIVERIES messages (gen-mbox.py's, 3,000 by
// default) to one account, one after another on each connection; an IMAP
// session (TLS) sits in IDLE on the INBOX and counts the EXISTS it is told.
// `accepted_per_s`: messages over the time until the last 250 after DATA;
// `visible_per_s`: over the time until the IDLE session was told of them all.
//
// Dovecot (../shared/verify/dovecot-ref.sh) has no SMTP listener of its own;
// its delivery paths are measured with the same 10-way parallelism:
//  - `lda`: dovecot-lda, Dovecot's delivery agent, one process per message
//    (what an MTA such as Postfix runs as its mailbox_command), 10 at a time;
//  - `imap_append`: APPEND by 10 IMAP connections (plain, on loopback).
// Bureau's APPEND by 10 IMAP connections is measured too, the same way.
// Each way counts visibility with an IDLE session as above.
//
//   npm run bench:mail-delivery
//   BENCH_DELIVERIES=1000 npm run bench:mail-delivery   # a quick run
//   BENCH_DOVECOT=0 ...                                  # Bureau only
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpus, figure as print, Line, log, SmtpSender, startBureau, startDovecot, type LineOptions } from './mail-support.ts';
import { ascending, percentile } from './support.ts';

const N = Number(process.env.BENCH_DELIVERIES ?? 3000);
const SENDERS = 10;
const WITH_DOVECOT = process.env.BENCH_DOVECOT !== '0';
const rows: [string, string, string][] = [];
const figure = (server: string, name: string, values: Record<string, number | string>): void => {
  rows.push([server, name, print('delivery', server, name, values)]);
};

/** An IDLE session on the INBOX; `seen(n)` resolves when the server has announced at least n messages. */
async function watcher(port: number, user: string, password: string, options: LineOptions): Promise<{ seen(n: number, timeoutMs: number): Promise<number>; close(): void }> {
  const line = await Line.login(port, user, password, options);
  const selected = (await line.command('SELECT INBOX')).answer.toString('latin1');
  let count = Number(/\* (\d+) EXISTS/.exec(selected)?.[1] ?? 0);
  line.send('idle1 IDLE\r\n');
  await line.until((t) => /\+ [^\r]*\r\n$/.test(t));
  return {
    async seen(n: number, timeoutMs: number): Promise<number> {
      await line.until((t) => {
        for (const m of t.matchAll(/\* (\d+) EXISTS/g)) count = Math.max(count, Number(m[1]));
        return count >= n;
      }, timeoutMs);
      return performance.now();
    },
    close: () => line.close(),
  };
}

/** Runs `work(i)` for i in 0..n-1 on `lanes` parallel lanes; each lane's `open` makes its connection first. */
async function lanes<C>(n: number, open: () => Promise<C>, work: (c: C, i: number) => Promise<void>, close: (c: C) => Promise<void> | void): Promise<number[]> {
  const conns = await Promise.all(Array.from({ length: SENDERS }, open));
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(conns.map(async (c) => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      await work(c, i);
      latencies.push(performance.now() - t);
    }
  }));
  await Promise.all(conns.map(close));
  return latencies;
}

/** APPEND over IMAP with a synchronizing literal (imap-core has no LITERAL+). */
async function append(line: Line, message: Buffer): Promise<void> {
  line.send(`ap APPEND INBOX {${message.length}}\r\n`);
  await line.until((t) => /\+ [^\r]*\r\n$/.test(t));
  line.send(Buffer.concat([message, Buffer.from('\r\n')]));
  const answer = (await line.until((t) => /(^|\r\n)ap (OK|NO|BAD)[^\r]*\r\n$/.test(t))).toString('latin1');
  if (!/ap OK/.test(answer)) throw new Error(`APPEND: ${answer.trim().slice(-200)}`);
}

/** APPEND of messages 0..N-1 by SENDERS IMAP sessions logged in as `user`; the latency of each. */
function appendAll(port: number, user: string, password: string, options: LineOptions, message: (i: number) => Buffer): Promise<number[]> {
  return lanes(N, () => Line.login(port, user, password, options), (l, i) => append(l, message(i)), (l) => l.close());
}

/** Measures one way of delivering `n` messages: accepted and visible rates, and the latency of each. */
async function measure(server: string, name: string, n: number, watch: Awaited<ReturnType<typeof watcher>>, deliverAll: () => Promise<number[]>, extra: Record<string, string> = {}): Promise<void> {
  const t0 = performance.now();
  const visible = watch.seen(n, 600_000);
  visible.catch(() => undefined);
  const latencies = ascending(await deliverAll());
  const accepted = performance.now();
  const seen = await visible;
  figure(server, name, {
    messages: n, senders: SENDERS,
    accepted_per_s: n / ((accepted - t0) / 1000), visible_per_s: n / ((seen - t0) / 1000),
    each_p50_ms: percentile(latencies, 50), each_p99_ms: percentile(latencies, 99), ...extra,
  });
}

async function bureau(message: (i: number) => Buffer): Promise<void> {
  const server = await startBureau();
  try {
    const password = 'bench password 1';
    const tls: LineOptions = { tls: { ca: server.ca } };
    for (const user of ['mx@example.test', 'append@example.test']) await server.addUser(user, password);
    const mx = await watcher(server.imapsPort, 'mx@example.test', password, tls);
    await measure('bureau', 'smtp_mx', N, mx, () => lanes(N, () => SmtpSender.open(server.smtpPort),
      (s, i) => s.send('sender@example.org', 'mx@example.test', message(i)), (s) => s.close()), { how: 'SMTP on port 25, no TLS' });
    mx.close();
    const ap = await watcher(server.imapsPort, 'append@example.test', password, tls);
    await measure('bureau', 'imap_append', N, ap, () => appendAll(server.imapsPort, 'append@example.test', password, tls, message), { how: 'APPEND over IMAPS' });
    ap.close();
  } finally {
    await server.stop();
  }
}

async function dovecot(message: (i: number) => Buffer): Promise<void> {
  const ref = await startDovecot();
  try {
    const tls: LineOptions = { tls: {} };
    const lda = await watcher(ref.imapsPort, 'testuser1', ref.password, tls);
    await measure('dovecot', 'lda', N, lda, () => lanes(N, async () => null, (_c, i) => ref.deliver('testuser1', message(i)), () => undefined),
      { how: 'dovecot-lda, a process per message' });
    lda.close();
    const ap = await watcher(ref.imapsPort, 'testuser2', ref.password, tls);
    await measure('dovecot', 'imap_append', N, ap, () => appendAll(ref.imapsPort, 'testuser2', ref.password, tls, message), { how: 'APPEND over IMAPS' });
    ap.close();
  } finally {
    await ref.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bench-mail-delivery-'));
try {
  log(`bench: ${N} messages by ${SENDERS} parallel senders; corpus from gen-mbox.py`);
  const message = await corpus(dir, N, 'delivery');
  await bureau(message);
  if (WITH_DOVECOT) {
    try {
      await dovecot(message);
    } catch (err) {
      log(`dovecot: not measured: ${(err as Error).message}`);
    }
  }
  process.stdout.write('\n| server | figure | values |\n| --- | --- | --- |\n');
  for (const [server, name, text] of rows) process.stdout.write(`| ${server} | ${name} | ${text} |\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
