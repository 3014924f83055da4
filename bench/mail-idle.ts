// The IDLE figure of issue 3: BENCH_IDLE (1,000) IMAP sessions in IDLE on
// one INBOX at once, on Bureau and, in the same run, on Dovecot
// (../shared/verify/dovecot-ref.sh, high-performance mode):
//  - memory per connection: the server's memory with every session in IDLE
//    less its memory before the first (after one session warmed it up),
//    divided by the number of sessions. RSS, and PSS (shared pages divided
//    among the processes sharing them), of every process of the server: one
//    for Bureau; Dovecot's master, login, auth and one imap process per
//    session;
//  - delay from a delivery to the EXISTS: BENCH_IDLE_ROUNDS (3) messages,
//    one at a time, each once every session has heard of the one before;
//    per session and message, the time from the delivery's last byte to the
//    `* N EXISTS` on that session; p50, p99 and max over all of them.
//    Bureau: by SMTP on port 25 (from the end of DATA) and by APPEND from
//    another IMAP session (from the end of the literal); Dovecot: by APPEND
//    the same way, and by dovecot-lda (from the start of its process).
// Sessions use TLS (IMAPS) on both, opened 20 at a time. Dovecot allows
// 500 sessions per user and client address: they come from 127.0.0.1,
// 127.0.0.2, ... (all loopback). Needs a limit on open files of at least
// twice the sessions (the benchmark and the servers are on one machine).
//
//   npm run bench:mail-idle
//   BENCH_IDLE=200 npm run bench:mail-idle   # a quick run
//   BENCH_DOVECOT=0 ...                      # Bureau only
import { readFile, writeFile } from 'node:fs/promises';
import {
  figure as print, Line, log, memoryOf, sleep, SmtpSender, startBureau, startDovecot, type LineOptions,
} from './mail-support.ts';
import { ascending, percentile } from './support.ts';

const N = Number(process.env.BENCH_IDLE ?? 1000);
const ROUNDS = Number(process.env.BENCH_IDLE_ROUNDS ?? 3);
const OPEN_AT_ONCE = 20;
const PER_ADDRESS = 400;
const WITH_DOVECOT = process.env.BENCH_DOVECOT !== '0';
const rows: [string, string, string][] = [];
const figure = (server: string, name: string, values: Record<string, number | string>): void => {
  rows.push([server, name, print('idle', server, name, values)]);
};

function message(tag: string, i: number): Buffer {
  return Buffer.from([
    'From: Sender <sender@example.org>', 'To: <idle@example.test>', `Subject: idle ${tag} ${i}`,
    `Message-ID: <idle.${tag}.${i}.${Date.now()}@example.org>`, `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8', '', `Message ${i} of the IDLE benchmark.`, '',
  ].join('\r\n'));
}

interface Sessions {
  /** per session, when it was told of each message count: seen[s].get(n) */
  readonly seen: Map<number, number>[];
  /** resolves once every session has been told of at least `n` messages, or after `timeoutMs` */
  all(n: number, timeoutMs: number): Promise<{ missing: number }>;
  close(): void;
}

/** Opens `n` sessions, each logged in, INBOX selected, in IDLE. */
async function openSessions(n: number, port: number, user: string, password: string, options: LineOptions, addresses: boolean): Promise<Sessions> {
  const lines: Line[] = [];
  const seen: Map<number, number>[] = [];
  let highest: number[] = [];
  let next = 0;
  let opened = 0;
  await Promise.all(Array.from({ length: OPEN_AT_ONCE }, async () => {
    while (next < n) {
      const i = next++;
      const local = addresses ? { localAddress: `127.0.0.${1 + Math.floor(i / PER_ADDRESS)}` } : {};
      const line = await Line.open(port, { ...options, ...local });
      lines[i] = line;
      await line.greeting();
      await line.command(`LOGIN "${user}" "${password}"`);
      await line.command('SELECT INBOX');
      line.send('idle IDLE\r\n');
      await line.until((t) => /\+ [^\r]*\r\n$/.test(t));
      const times = new Map<number, number>();
      seen[i] = times;
      line.watch((text) => {
        const now = performance.now();
        for (const m of text.matchAll(/\* (\d+) EXISTS/g)) {
          const count = Number(m[1]);
          if (!times.has(count)) times.set(count, now);
          highest[i] = Math.max(highest[i] ?? 0, count);
        }
        line.forget();
      });
      if (++opened % 200 === 0) log(`  ${opened} sessions in IDLE`);
    }
  }));
  return {
    seen,
    async all(count: number, timeoutMs: number): Promise<{ missing: number }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let missing = 0;
        for (let i = 0; i < n; i++) if ((highest[i] ?? 0) < count) missing++;
        if (missing === 0 || Date.now() > deadline) return { missing };
        await sleep(5);
      }
    },
    close: () => {
      for (const l of lines) l?.close();
    },
  };
}

/** Delivers ROUNDS messages one at a time; per session, the delay from each delivery to its EXISTS. */
async function rounds(server: string, name: string, sessions: Sessions, startCount: number, deliver: (i: number) => Promise<number>, extra: Record<string, string>): Promise<number> {
  const delays: number[] = [];
  let missing = 0;
  let count = startCount;
  for (let r = 0; r < ROUNDS; r++) {
    count++;
    const t0 = await deliver(r);
    const result = await sessions.all(count, 30_000);
    missing += result.missing;
    for (const times of sessions.seen) {
      const t = times?.get(count);
      if (t !== undefined) delays.push(t - t0);
    }
    await sleep(500);
  }
  figure(server, name, {
    sessions: N, deliveries: ROUNDS, p50_ms: percentile(ascending(delays), 50), p99_ms: percentile(ascending(delays), 99), max_ms: Math.max(...delays), missed: missing, ...extra,
  });
  return count;
}

async function memoryFigure(server: string, before: { rss: number; pss: number }, after: { rss: number; pss: number; processes: number }): Promise<void> {
  figure(server, 'memory', {
    sessions: N, rss_before_mb: before.rss / 1e6, rss_after_mb: after.rss / 1e6,
    rss_per_session_kb: (after.rss - before.rss) / N / 1024, pss_per_session_kb: (after.pss - before.pss) / N / 1024, processes: after.processes,
  });
}

async function bureau(): Promise<void> {
  const server = await startBureau();
  try {
    const password = 'bench password 1';
    const user = 'idle@example.test';
    await server.addUser(user, password);
    const tls: LineOptions = { tls: { ca: server.ca } };
    const warm = await warmUp(server.imapsPort, user, password, tls, false);
    const before = await memoryOf([server.pid]);
    const t = performance.now();
    const sessions = await openSessions(N, server.imapsPort, user, password, tls, false);
    log(`bureau: ${N} sessions in IDLE in ${Math.round(performance.now() - t)} ms`);
    await sleep(3000);
    await memoryFigure('bureau', before, await memoryOf([server.pid]));
    const smtp = await SmtpSender.open(server.smtpPort);
    let count = await rounds('bureau', 'exists_after_smtp', sessions, 0, async (i) => {
      let sent = 0;
      await smtp.send('sender@example.org', user, message('smtp', i), () => { sent = performance.now(); });
      return sent;
    }, { how: 'from the end of DATA on port 25' });
    await smtp.close();
    count = await rounds('bureau', 'exists_after_append', sessions, count, (i) => appendOne(warm, message('append', i)), { how: 'from the end of an APPEND literal' });
    warm.close();
    sessions.close();
  } finally {
    await server.stop();
  }
}

/**
 * Before the memory is first read: as many sessions as are opened at once
 * are opened and closed again (the server then holds what serving them at
 * once takes, e.g. Bureau's password hashing, 19 MiB per login under way),
 * and one session stays, selected, for the APPENDs.
 */
async function warmUp(port: number, user: string, password: string, tls: LineOptions, addresses: boolean): Promise<Line> {
  const some = await openSessions(OPEN_AT_ONCE, port, user, password, tls, addresses);
  some.close();
  const warm = await Line.login(port, user, password, tls);
  await warm.command('SELECT INBOX');
  await sleep(2000);
  return warm;
}

/** APPEND from a session of its own (synchronizing literal); resolves with when the literal's last byte was sent. */
async function appendOne(line: Line, raw: Buffer): Promise<number> {
  line.send(`ap APPEND INBOX {${raw.length}}\r\n`);
  await line.until((t) => /\+ [^\r]*\r\n$/.test(t));
  line.send(Buffer.concat([raw, Buffer.from('\r\n')]));
  const sent = performance.now();
  const answer = (await line.until((t) => /(^|\r\n)ap (OK|NO|BAD)[^\r]*\r\n$/.test(t))).toString('latin1');
  if (!/ap OK/.test(answer)) throw new Error(`APPEND: ${answer.trim().slice(-200)}`);
  return sent;
}

const INOTIFY = '/proc/sys/fs/inotify/max_user_instances';

/**
 * Dovecot's IDLE hears of new mail through one inotify instance per imap
 * process; past the kernel's limit per user (128 by default) it falls back
 * to looking every 30 seconds (mailbox_idle_check_interval). The limit is
 * raised for the run where it can be (root), and put back after.
 */
async function raiseInotify(needed: number): Promise<{ limit: number; restore(): Promise<void> }> {
  const before = Number((await readFile(INOTIFY, 'utf8').catch(() => '0')).trim());
  if (before >= needed) return { limit: before, restore: async () => undefined };
  try {
    await writeFile(INOTIFY, String(needed));
    log(`dovecot: ${INOTIFY} raised from ${before} to ${needed} for the run`);
    return { limit: needed, restore: () => writeFile(INOTIFY, String(before)).catch((e: Error) => log(`${INOTIFY} not put back to ${before}: ${e.message}`)) };
  } catch (err) {
    log(`dovecot: ${INOTIFY} is ${before} and cannot be raised (${(err as Error).message}): sessions past it look for new mail every 30 s`);
    return { limit: before, restore: async () => undefined };
  }
}

async function dovecot(): Promise<void> {
  const inotify = await raiseInotify(N + OPEN_AT_ONCE + 100);
  const ref = await startDovecot().catch(async (err: unknown) => {
    await inotify.restore();
    throw err;
  });
  try {
    const user = 'testuser1';
    const tls: LineOptions = { tls: {} };
    const warm = await warmUp(ref.imapsPort, user, ref.password, tls, true);
    const before = await memoryOf(await ref.pids());
    const t = performance.now();
    const sessions = await openSessions(N, ref.imapsPort, user, ref.password, tls, true);
    log(`dovecot: ${N} sessions in IDLE in ${Math.round(performance.now() - t)} ms`);
    await sleep(3000);
    await memoryFigure('dovecot', before, await memoryOf(await ref.pids()));
    let count = await rounds('dovecot', 'exists_after_append', sessions, 0, (i) => appendOne(warm, message('append', i)),
      { how: 'from the end of an APPEND literal', inotify_instances: String(inotify.limit) });
    count = await rounds('dovecot', 'exists_after_lda', sessions, count, async (i) => {
      const t0 = performance.now();
      await ref.deliver(user, message('lda', i));
      return t0;
    }, { how: 'from the start of dovecot-lda', inotify_instances: String(inotify.limit) });
    warm.close();
    sessions.close();
  } finally {
    await ref.stop();
    await inotify.restore();
  }
}

const limit = Number(/^Max open files\s+(\d+)/m.exec(await readFile('/proc/self/limits', 'utf8'))?.[1] ?? 0);
if (limit < 2 * N + 200) {
  log(`bench: ${N} sessions need a limit on open files of at least ${2 * N + 200} (ulimit -n is ${limit}); raise it (ulimit -n) or lower BENCH_IDLE`);
  process.exit(1);
}
log(`bench: ${N} IDLE sessions, ${ROUNDS} deliveries per way`);
await bureau();
if (WITH_DOVECOT) {
  try {
    await dovecot();
  } catch (err) {
    log(`dovecot: not measured: ${(err as Error).message}`);
  }
}
process.stdout.write('\n| server | figure | values |\n| --- | --- | --- |\n');
for (const [server, name, text] of rows) process.stdout.write(`| ${server} | ${name} | ${text} |\n`);
