// The IMAP figures of issue 3, for Bureau and, in the same run, for Dovecot
// 2.3 (../shared/verify/dovecot-ref.sh) on the same messages:
//  - cold SELECT of a mailbox of BENCH_MESSAGES messages (100,000),
//  - UID FETCH 1:* (FLAGS),
//  - UID SEARCH on a header word and on body text, SEARCH (sequence numbers) on body text,
//  - FETCH of 50 whole messages.
// The messages are gen-mbox.py's (threads, HTML, attachments, non-ASCII
// headers): 1,000 of them, repeated with fresh Message-IDs up to the count.
// Bureau gets them by its delivery service (the path of SMTP mail), Dovecot as
// files in its Maildir. Both are driven by the same line client over plain
// IMAP on loopback (Dovecot allows it there; Bureau's test-only plain login),
// so TLS costs nothing to either. "cold" is the first SELECT after the server
// (re)opened its store: for Bureau a fresh store and door on the same files,
// for Dovecot the first SELECT of the Maildir (which also builds its index),
// then `again` is a SELECT on a new connection. It measures; it asserts nothing.
//
//   npm run bench:mail                      # 100,000 messages (long: loading is most of it)
//   BENCH_MESSAGES=10000 npm run bench:mail # a quick run
//   BENCH_DOVECOT=0 ...                     # Bureau only
//   BENCH_DIR=/tmp/x ...                    # Bureau's loaded store kept there and reused by the next run
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCore, type Core } from '../src/core/index.ts';
import { startImap, type ImapListener } from '../src/protocols/imap/listen.ts';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/types.ts';
import { loadOrCreateCertificates } from '../src/tls/certificates.ts';
import { freePort } from '../test/support/server.ts';
import { corpus, figure as print, Line, log, makeMaildir, startDovecot } from './mail-support.ts';
import { median } from './support.ts';

const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
const WITH_DOVECOT = process.env.BENCH_DOVECOT !== '0';
const REPEAT = 3;
const PASSWORD = 'bench password 1';
const HEADER_WORD = 'budget';
const BODY_TEXT = 'customer invoice';

const rows: [string, string, string][] = [];
function figure(server: string, name: string, values: Record<string, number | string>): void {
  rows.push([server, name, print('imap', server, name, values)]);
}

/** The same measurements against any server. */
async function measure(server: string, port: number, user: string, pass: string): Promise<void> {
  const first = await Line.login(port, user, pass);
  const cold = await first.command('SELECT INBOX');
  const exists = Number(/\* (\d+) EXISTS/.exec(cold.answer.toString('latin1'))?.[1] ?? 0);
  const again: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const c = await Line.login(port, user, pass);
    again.push((await c.command('SELECT INBOX')).ms);
    c.close();
  }
  figure(server, 'select', { cold_ms: cold.ms, again_ms: median(again), messages: exists });
  const flags: number[] = [];
  let lines = 0;
  for (let i = 0; i < REPEAT; i++) {
    const r = await first.command('UID FETCH 1:* (FLAGS)');
    flags.push(r.ms);
    lines = (r.answer.toString('latin1').match(/\* \d+ FETCH/g) ?? []).length;
  }
  figure(server, 'uid_fetch_all_flags', { first_ms: flags[0]!, median_ms: median(flags), messages: lines });
  // the last one without UID: each match turned into a sequence number (imap-core's uid list, binary-searched: src/protocols/imap/uid-list.ts)
  for (const [name, query] of [['uid_search_header', `UID SEARCH HEADER SUBJECT "${HEADER_WORD}"`], ['uid_search_body', `UID SEARCH BODY "${BODY_TEXT}"`],
    ['search_body', `SEARCH BODY "${BODY_TEXT}"`]] as const) {
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < REPEAT; i++) {
      const r = await first.command(query);
      times.push(r.ms);
      found = (/\* SEARCH([ \d]*)/.exec(r.answer.toString('latin1'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean).length;
    }
    figure(server, name, { first_ms: times[0]!, median_ms: median(times), found });
  }
  const whole: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REPEAT; i++) {
    // 50 messages spread over the mailbox, different ones each round
    const seqs = Array.from({ length: 50 }, (_, k) => 1 + ((k * Math.floor(exists / 50) + i * 7) % Math.max(1, exists)));
    const r = await first.command(`FETCH ${seqs.join(',')} (BODY.PEEK[])`);
    whole.push(r.ms);
    bytes = r.answer.length;
  }
  figure(server, 'fetch_50_whole', { first_ms: whole[0]!, median_ms: median(whole), response_bytes: bytes });
  first.close();
}

/** The corpus numbers of the messages of Bureau's INBOX, in uid order (parallel delivery mixes them a little). */
async function uidOrder(store: Store, address: string): Promise<number[]> {
  const account = (await store.getAccountByAddress(address))!;
  const inbox = (await store.findCollectionByRole(account.spaceId, 'mail', 'inbox'))!;
  const order: number[] = [];
  for (let after = 0; ;) {
    const rows = await store.listItemMeta(inbox.id, ['envelope'], { afterUid: after, limit: 5000 });
    if (rows.length === 0) break;
    for (const r of rows) order.push(Number(/<bench\.(\d+)\./.exec(String((r.meta.envelope as { messageId?: string }).messageId))?.[1] ?? -1));
    after = rows[rows.length - 1]!.uid;
  }
  return order;
}

async function bureau(dir: string, message: (i: number) => Buffer): Promise<number[]> {
  const settings = {
    domain: 'example.test', defaultPlan: 'bench', password: { minLength: 10, maxLength: 1024 },
    plans: [{ name: 'bench', mailBytes: 1e13, filesBytes: 1e9, maxGroups: 1, maxGroupMembers: 2, features: ['clients'], paid: true }],
  } as const;
  const databaseUrl = `sqlite:${join(dir, 'bureau.sqlite')}`;
  const open = async (): Promise<{ store: Store; core: Core }> => {
    const store = await openStore({ databaseUrl, dataDir: join(dir, 'data') });
    return { store, core: await createCore(store, settings as never) };
  };
  let { store, core } = await open();
  const address = 'bench@example.test';
  const kept = await store.getAccountByAddress(address);
  if (kept) {
    log(`bureau: the store in ${dir} is reused (loaded by an earlier run)`);
  } else {
    const account = await core.accounts.create({ address, password: PASSWORD });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < N) {
        const i = next++;
        await core.mail.messages.deliver(account.id, message(i));
        if ((i + 1) % 10_000 === 0) log(`bureau: ${i + 1} delivered`);
      }
    }));
    figure('bureau', 'load', { messages: N, per_s: N / ((performance.now() - t0) / 1000) });
  }
  const order = await uidOrder(store, address);
  await store.close();
  // a fresh store and door on the same files: the first SELECT is cold
  ({ store, core } = await open());
  const tls = await loadOrCreateCertificates({ certsDir: join(dir, 'certs'), hostname: 'localhost', tlsCert: null, tlsKey: null });
  const listeners: ImapListener[] = await startImap({
    core, tls, bind: '127.0.0.1', port: await freePort(), tlsPort: 0, hostname: 'localhost', allowPlainLogin: true,
    log: { debug: () => undefined, warn: log },
  });
  const rss = process.memoryUsage().rss;
  try {
    await measure('bureau', listeners[0]!.port, address, PASSWORD);
    figure('bureau', 'memory', { rss_mb: process.memoryUsage().rss / 1e6, rss_before_mb: rss / 1e6 });
  } finally {
    await Promise.all(listeners.map((l) => l.close(100)));
    await store.close();
  }
  return order;
}

/** `order`: the corpus numbers in Bureau's uid order, so that both mailboxes hold the same messages in the same order. */
async function dovecot(message: (i: number) => Buffer, order: readonly number[]): Promise<void> {
  const ref = await startDovecot();
  try {
    const maildir = ref.maildirOf('testuser1');
    const { uid, gid } = await makeMaildir(maildir);
    const t0 = performance.now();
    const base = Math.floor(Date.now() / 1000);
    for (let i = 0; i < order.length; i++) {
      // Maildir keeps LF line ends; Dovecot serves them as CRLF
      const file = join(maildir, 'cur', `${base + i}.M${i}P1.bench:2,`);
      await writeFile(file, message(order[i]! >= 0 ? order[i]! : i).toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
      await chown(file, uid, gid);
      if ((i + 1) % 10_000 === 0) log(`dovecot: ${i + 1} written`);
    }
    figure('dovecot', 'load', { messages: order.length, per_s: order.length / ((performance.now() - t0) / 1000), how: 'files in the Maildir, in the order of Bureau\'s uids' });
    await measure('dovecot', ref.imapPort, 'testuser1', ref.password);
  } finally {
    await ref.stop();
  }
}

const keep = process.env.BENCH_DIR;
const dir = keep ? resolve(keep) : await mkdtemp(join(tmpdir(), 'bench-mail-imap-'));
if (keep) await mkdir(dir, { recursive: true });
try {
  log(`bench: ${N} messages; corpus from gen-mbox.py`);
  const message = await corpus(dir, N);
  const order = await bureau(dir, message);
  if (WITH_DOVECOT) {
    try {
      await dovecot(message, order);
    } catch (err) {
      log(`dovecot: not measured: ${(err as Error).message}`);
    }
  }
  process.stdout.write('\n| server | figure | values |\n| --- | --- | --- |\n');
  for (const [server, name, text] of rows) process.stdout.write(`| ${server} | ${name} | ${text} |\n`);
} finally {
  if (!keep) await rm(dir, { recursive: true, force: true });
}
