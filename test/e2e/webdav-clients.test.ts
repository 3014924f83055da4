// Real Debian WebDAV clients against the drive of the real server, over HTTPS
// with the server's CA trusted by the system, on each database backend:
//   rclone  — a tree of 1,000 files (nested folders, non-ASCII names, 0 B to
//             1 MiB) copied up, checked, hashed on the server, copied back
//             down and compared file by file with sha256;
//   cadaver — a scripted session (mkcol, put, ls, propset/propget, lock,
//             discover, put under the lock, unlock, copy, move, get, delete,
//             rmcol), asserted command by command;
//   davfs2  — the drive mounted as a file system (when this machine can mount
//             FUSE file systems at all), written, renamed, deleted through,
//             then checked over HTTPS after the unmount.
// Every external command has a time limit; what a test starts it stops, by
// its pid, and every temporary folder goes.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, mkdtemp, readFile, readdir, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { basename, dirname, join, relative, sep } from 'node:path';
import { DriveSite } from '../support/drive-site.ts';
import { BACKENDS } from '../support/store.ts';
import { clientEnv, describeRun, run, type RunResult } from '../support/trust.ts';

const MiB = 1024 * 1024;
const USER = 'clients@example.test';

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every file under `root`: relative path (with '/') → sha256 and size. */
async function hashTree(root: string): Promise<Map<string, { sha: string; size: number }>> {
  const out = new Map<string, { sha: string; size: number }>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const data = await readFile(p);
        out.set(relative(root, p).split(sep).join('/'), { sha: sha256(data), size: data.length });
      }
    }
  };
  await walk(root);
  return out;
}

function diffTrees(want: Map<string, { sha: string; size: number }>, got: Map<string, { sha: string; size: number }>): string[] {
  const problems: string[] = [];
  for (const [p, w] of want) {
    const g = got.get(p);
    if (!g) problems.push(`missing: ${p}`);
    else if (g.sha !== w.sha || g.size !== w.size) problems.push(`differs: ${p} (${w.size} B → ${g.size} B)`);
  }
  for (const p of got.keys()) if (!want.has(p)) problems.push(`extra: ${p}`);
  return problems;
}

/** Folders of the rclone tree: nested up to six levels, some with non-ASCII names. */
const FOLDERS = [
  '', 'docs', 'docs/2024', 'docs/2024/Q1', 'docs/2024/Q2 — été', 'docs/archive/old/older/oldest',
  'Données', 'Données/Résumés', 'Ünïcødé ✓', '日本語', '日本語/サブフォルダ', 'Ελληνικά/φάκελος',
  'русский', 'emoji 🎉', 'a & b + c', 'photos', 'photos/raw', 'photos/raw/2023', 'photos/edited',
  'music/Björk', 'music/Sigur Rós/Ágætis byrjun', 'deep/a/b/c/d/e', 'x', 'x/y', 'x/y/z',
];
/** A few names that are hard on URLs and encodings. */
const SPECIAL_NAMES = [
  'Ünïcødé ✓.txt', 'résumé – final (2).txt', '日本語のファイル.txt', 'Ελληνικά.md', 'файл.txt',
  '🎉 party.bin', 'a & b + c.txt', "it's here.txt", 'hash #1.txt', '100% done.txt', 'x%20y.txt',
  'semi;colon=eq.txt', 'ÆØÅ æøå.txt', 'naïve café.txt', 'Zürich Straße.txt', 'tab-free, comma.txt',
  'z.with.many.dots.tar.gz', 'UPPER lower.TXT', '中文 文件.txt', 'ﬁle ligature.txt',
];
const SMALL_SIZES = [0, 1, 2, 10, 100, 511, 1000, 4096, 4097, 16_384, 65_536, 100_000];

function treeFileSize(i: number): number {
  if (i === 0) return 0;
  if (i % 100 === 1) return MiB; // the largest: exactly 1 MiB
  if (i % 100 === 2) return MiB - 1;
  if (i % 100 === 3) return 512 * 1024 + 3;
  return SMALL_SIZES[i % SMALL_SIZES.length]!;
}

/** Writes the 1,000-file tree; answers its file count and total bytes. */
async function makeTree(root: string): Promise<{ files: number; bytes: number; maxSize: number; nonAscii: number }> {
  let bytes = 0;
  let maxSize = 0;
  let nonAscii = 0;
  for (let i = 0; i < 1000; i++) {
    const folder = FOLDERS[i % FOLDERS.length]!;
    const name = i % 50 === 7 ? SPECIAL_NAMES[(i - 7) / 50]! : `file-${String(i).padStart(4, '0')}.bin`;
    const size = treeFileSize(i);
    const path = join(root, folder, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, randomBytes(size));
    bytes += size;
    maxSize = Math.max(maxSize, size);
    if (/[^\x00-\x7f]/.test(join(folder, name))) nonAscii++;
  }
  return { files: 1000, bytes, maxSize, nonAscii };
}

interface DavAnswer { status: number; headers: IncomingHttpHeaders; body: Buffer }

for (const backend of BACKENDS) {
  describe(`e2e: real WebDAV clients against the drive (${backend})`, function () {
    this.timeout(15 * 60_000);
    const site = new DriveSite();
    let ca: Buffer;
    const pass = `Clients-${randomBytes(8).toString('hex')}`;
    const base = (): string => site.documentsUrl;

    /** One request to the drive, as the test account, trusting the server's CA for this request only. */
    function dav(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<DavAnswer> {
      return new Promise((ok, fail) => {
        const req = request(new URL(path, base()), {
          method, ca, agent: false, timeout: 60_000,
          headers: { authorization: `Basic ${Buffer.from(`${USER}:${pass}`).toString('base64')}`, ...headers },
        }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', fail);
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
        req.on('error', fail);
        req.end(body);
      });
    }
    const enc = (p: string): string => p.split('/').map(encodeURIComponent).join('/');
    const serverLog = (): string => `\nserver stderr (last lines):\n${site.serverLog(3000)}`;

    before(async () => {
      await site.start(backend, 'bureau-clients-', USER, pass);
      ca = await readFile(site.caPath);
    });
    after(() => site.stop());

    // ------------------------------------------------------------------ rclone
    it('rclone: copies a tree of 1,000 files up, checks it, hashes it on the server, copies it back identical', async function () {
      const R = join(site.dir, 'rclone');
      const src = join(R, 'src');
      const back = join(R, 'back');
      await mkdir(back, { recursive: true });
      const tree = await makeTree(src);
      const want = await hashTree(src);
      expect(want.size).to.equal(1000);
      const obscured = await run('rclone', ['obscure', pass], { timeoutMs: 30_000 });
      expect(obscured.code, describeRun('rclone obscure', obscured)).to.equal(0);
      const conf = join(R, 'rclone.conf');
      await writeFile(conf, `[dut]\ntype = webdav\nurl = ${base()}\nvendor = other\nuser = ${USER}\npass = ${obscured.stdout.trim()}\n`, { mode: 0o600 });
      // one try per transfer: a retry would hide a server error
      const rclone = (args: string[], timeoutMs = 300_000): Promise<RunResult> =>
        run('rclone', ['--config', conf, '--contimeout', '10s', '--timeout', '60s', '--retries', '1', '--low-level-retries', '1', ...args],
          { timeoutMs, cwd: R, env: clientEnv({ RCLONE_CONFIG: conf }) });
      const remote = 'dut:rclone-tree';
      const must = (what: string, r: RunResult): void => {
        expect(r.timedOut, describeRun(what, r) + serverLog()).to.equal(false);
        expect(r.code, describeRun(what, r) + serverLog()).to.equal(0);
      };

      const up = await rclone(['copy', '--transfers', '4', '--checkers', '8', '-v', src, remote]);
      must('rclone copy up', up);
      expect(up.stderr.match(/: Copied \(new\)/g)?.length ?? 0, describeRun('rclone copy up', up)).to.equal(1000);

      const size = await rclone(['size', '--json', remote], 120_000);
      must('rclone size', size);
      expect(JSON.parse(size.stdout)).to.include({ count: 1000, bytes: tree.bytes });

      // plain WebDAV offers rclone no hashes: `check` compares sizes, `check --download` every byte
      const check = await rclone(['check', src, remote], 120_000);
      must('rclone check', check);
      expect(check.stderr).to.match(/\b0 differences found/).and.match(/\b1000 matching files/);
      const checkDl = await rclone(['check', '--download', src, remote], 300_000);
      must('rclone check --download', checkDl);
      expect(checkDl.stderr).to.match(/\b0 differences found/).and.match(/\b1000 matching files/);

      // sha256 of what the server serves, computed by rclone, against the originals
      const hashes = await rclone(['hashsum', 'sha256', '--download', remote], 300_000);
      must('rclone hashsum sha256 --download', hashes);
      const served = new Map<string, string>();
      for (const line of hashes.stdout.split('\n').filter(Boolean)) {
        const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
        expect(m, `hashsum line: ${line}`).to.not.equal(null);
        served.set(m![2]!, m![1]!);
      }
      const hashProblems = [...want].filter(([p, w]) => served.get(p) !== w.sha).map(([p]) => p);
      expect(served.size, 'files hashed on the server').to.equal(1000);
      expect(hashProblems, 'files whose served sha256 differs').to.deep.equal([]);

      // a second copy up finds everything in place: the listing is stable, names survive
      const again = await rclone(['copy', '-v', src, remote]);
      must('rclone copy up again', again);
      expect(again.stderr, describeRun('rclone copy up again', again)).to.not.match(/: Copied/);

      const down = await rclone(['copy', '--transfers', '4', '-v', remote, back]);
      must('rclone copy down', down);
      const got = await hashTree(back);
      expect(diffTrees(want, got), 'files copied back that differ from the originals').to.deep.equal([]);

      const purge = await rclone(['purge', remote], 120_000);
      must('rclone purge', purge);
      const gone = await dav('PROPFIND', 'rclone-tree/', { depth: '0' });
      expect(gone.status).to.equal(404);
      console.log(`      rclone (${backend}): ${tree.files} files (${tree.nonAscii} with non-ASCII paths, ${FOLDERS.length} folders, max ${tree.maxSize} B), ` +
        `${(tree.bytes / MiB).toFixed(1)} MiB: up ${(up.ms / 1000).toFixed(1)} s (${(tree.bytes / MiB / (up.ms / 1000)).toFixed(1)} MiB/s), ` +
        `check ${(check.ms / 1000).toFixed(1)} s, check --download ${(checkDl.ms / 1000).toFixed(1)} s, hashsum ${(hashes.ms / 1000).toFixed(1)} s, ` +
        `down ${(down.ms / 1000).toFixed(1)} s, purge ${(purge.ms / 1000).toFixed(1)} s`);
    });

    // ------------------------------------------------------------------ cadaver
    it('cadaver: a scripted session — mkcol, put, ls, propset/propget, lock, put under the lock, unlock, copy, move, get, delete, rmcol', async function () {
      const C = join(site.dir, 'cadaver');
      const home = join(C, 'home');
      await mkdir(home, { recursive: true });
      await writeFile(join(home, '.netrc'), `machine localhost\nlogin ${USER}\npassword ${pass}\n`, { mode: 0o600 });
      const data = randomBytes(100_000);
      const data2 = randomBytes(54_321);
      await writeFile(join(C, 'f1.bin'), data);
      await writeFile(join(C, 'f1-new.bin'), data2);
      const col = `cad-${randomBytes(3).toString('hex')}`;
      const commands = [
        `mkcol ${col}`, `cd ${col}`, 'put f1.bin', 'ls',
        'propset f1.bin myprop myvalue', 'propget f1.bin myprop',
        'lock f1.bin', 'discover f1.bin', 'put f1-new.bin f1.bin', 'unlock f1.bin', 'discover f1.bin',
        'copy f1.bin f2.bin', 'propget f2.bin myprop', 'move f2.bin f3.bin', 'get f3.bin back.bin', 'ls',
        'delete f1.bin', 'delete f3.bin', 'ls', 'cd ..', `rmcol ${col}`, 'quit',
      ];
      const r = await run('cadaver', ['-t', base()], {
        cwd: C, input: `${commands.join('\n')}\n`, timeoutMs: 120_000, env: clientEnv({ HOME: home }),
      });
      const report = describeRun('cadaver', r) + serverLog();
      expect(r.timedOut, report).to.equal(false);
      expect(r.code, report).to.equal(0);
      // the answer to each command: what follows its echo after the prompt
      const parts = r.stdout.split(/^dav:[^\n>]*> /m).slice(1);
      const answer = new Map<string, string>();
      const seen = new Map<string, number>();
      for (const part of parts) {
        const nl = part.indexOf('\n');
        const cmd = (nl < 0 ? part : part.slice(0, nl)).trim();
        const n = (seen.get(cmd) ?? 0) + 1;
        seen.set(cmd, n);
        answer.set(n === 1 ? cmd : `${cmd} #${n}`, nl < 0 ? '' : part.slice(nl + 1));
      }
      expect([...seen.keys()], report).to.deep.equal([...new Set(commands)]);
      const say = (cmd: string): string => {
        expect(answer.has(cmd), `no answer to "${cmd}"\n${report}`).to.equal(true);
        return answer.get(cmd)!;
      };
      const ok = (cmd: string): void => { expect(say(cmd), `${cmd}\n${report}`).to.match(/succeeded\.\s*$/); };
      expect(r.stdout, report).to.not.match(/failed|error|denied|refused|Could not/i);
      ok(`mkcol ${col}`);
      ok('put f1.bin');
      expect(say('ls'), report).to.match(/^\s+f1\.bin\s+100000\s/m);
      ok('propset f1.bin myprop myvalue');
      expect(say('propget f1.bin myprop'), report).to.contain('Value of myprop is: myvalue');
      ok('lock f1.bin');
      expect(say('discover f1.bin'), report).to.match(/Lock token <[^>]+>/).and.match(/Scope: exclusive\s+Type: write/);
      ok('put f1-new.bin f1.bin');
      ok('unlock f1.bin');
      expect(say('discover f1.bin #2'), report).to.not.match(/Lock token/);
      ok('copy f1.bin f2.bin');
      // COPY copies dead properties (RFC 4918 §9.8.2)
      expect(say('propget f2.bin myprop'), report).to.contain('Value of myprop is: myvalue');
      ok('move f2.bin f3.bin');
      ok('get f3.bin back.bin');
      const ls2 = say('ls #2');
      expect(ls2, report).to.match(/^\s+f1\.bin\s+54321\s/m).and.match(/^\s+f3\.bin\s+54321\s/m).and.not.match(/f2\.bin/);
      ok('delete f1.bin');
      ok('delete f3.bin');
      expect(say('ls #3'), report).to.contain('collection is empty');
      ok(`rmcol ${col}`);
      expect(await readFile(join(C, 'back.bin'))).to.deep.equal(data2);
      expect((await dav('PROPFIND', `${col}/`, { depth: '0' })).status).to.equal(404);
      const succeeded = r.stdout.match(/succeeded\./g)?.length ?? 0;
      console.log(`      cadaver (${backend}): ${commands.length} commands, ${succeeded} "succeeded", 154,321 B up, 54,321 B down, ${(r.ms / 1000).toFixed(1)} s`);
    });

    // ------------------------------------------------------------------ davfs2
    it('davfs2: mounts the drive; files written, renamed and deleted through the mount are on the server after the unmount', async function () {
      // The one allowed skip: this machine cannot mount a FUSE file system at all.
      const cannotMount = (reason: string): never => {
        this.test!.title += ` — SKIPPED: this machine cannot mount it: ${reason}`;
        console.log(`      davfs2 (${backend}): SKIPPED, this machine cannot mount it: ${reason}`);
        return this.skip();
      };
      if (!existsSync('/dev/fuse')) cannotMount('no /dev/fuse (no FUSE in this container)');
      if (!/\bfuse$/m.test(readFileSync('/proc/filesystems', 'utf8'))) cannotMount('the kernel has no fuse file system (/proc/filesystems)');
      expect(existsSync('/usr/sbin/mount.davfs'), 'mount.davfs is not installed (Debian package davfs2)').to.equal(true);

      // mount.davfs runs as user davfs2 once mounted: its folders must be reachable by it
      const D = await mkdtemp('/tmp/bureau-davfs-');
      await chmod(D, 0o755);
      const mnt = join(D, 'mnt');
      const cache = join(D, 'cache');
      await mkdir(mnt, { mode: 0o755 });
      await mkdir(cache, { mode: 0o775 });
      const davfsGid = Number(/^davfs2:[^:]*:(\d+):/m.exec(readFileSync('/etc/group', 'utf8'))?.[1] ?? NaN);
      expect(Number.isInteger(davfsGid), 'no davfs2 group (Debian package davfs2)').to.equal(true);
      await chown(cache, 0, davfsGid);
      await chmod(cache, 0o775);
      const conf = join(D, 'davfs2.conf');
      await writeFile(conf, [
        'ask_auth 0', 'use_locks 1', 'delay_upload 0', 'dir_refresh 1', 'file_refresh 1', `cache_dir ${cache}`,
        // davfs2 1.6/1.7.1 on Linux >= 6.16: readdir fails with EINVAL unless the buffer is larger
        // (github.com/alisarctl/davfs2/issues/22); the same happens against Apache mod_dav
        'buf_size 64', '',
      ].join('\n'));

      const col = `davfs-${randomBytes(3).toString('hex')}`;
      // what is on the server before the mount
      const fromServer = 'written over HTTPS before the mount\n';
      const inner = randomBytes(200_000);
      expect((await dav('MKCOL', `${col}/`)).status).to.equal(201);
      expect((await dav('MKCOL', `${col}/${enc('Ünïcødé dir')}/`)).status).to.equal(201);
      expect((await dav('PUT', `${col}/from-server.txt`, {}, fromServer)).status).to.equal(201);
      expect((await dav('PUT', `${col}/${enc('Ünïcødé dir')}/inner.bin`, {}, inner)).status).to.equal(201);

      let daemonPid: number | undefined;
      let mounted = false;
      try {
        const m = await run('mount', ['-t', 'davfs', '-o', `username=${USER},conf=${conf}`, base(), mnt], {
          input: `${pass}\n`, timeoutMs: 60_000,
        });
        // the kernel refusing FUSE (no module, no device access, mount(2) not permitted), not a server or config problem
        if (m.code !== 0 && /can't open fuse device|loading kernel module fuse failed|(^|: )mounting failed/m.test(m.stderr)) {
          cannotMount(m.stderr.replace(/\s+/g, ' ').trim());
        }
        expect(m.code, describeRun('mount -t davfs', m) + serverLog()).to.equal(0);
        mounted = true;
        const pidDir = '/var/run/mount.davfs';
        for (const f of existsSync(pidDir) ? await readdir(pidDir) : []) {
          if (f.includes(basename(D)) && f.endsWith('.pid')) daemonPid = Number(readFileSync(join(pidDir, f), 'utf8').trim());
        }
        const started = Date.now();
        const top = join(mnt, col);

        // reading what the server had
        expect((await readdir(top)).sort()).to.include.members(['Ünïcødé dir', 'from-server.txt']);
        expect(await readFile(join(top, 'from-server.txt'), 'utf8')).to.equal(fromServer);
        expect(sha256(await readFile(join(top, 'Ünïcødé dir', 'inner.bin')))).to.equal(sha256(inner));

        // writing a small tree through the mount
        const written = new Map<string, Buffer>();
        const sizes = [0, 1, 100, 4096, 65_536, 300_000, MiB];
        const names = ['plain.txt', 'résumé ✓.txt', '日本語.bin', 'a & b.txt', 'space name.bin', 'Ελληνικά.txt', 'emoji 🎉.bin'];
        for (let i = 0; i < 21; i++) {
          const folder = ['up', 'up/nested', 'up/nested/Dossier été'][i % 3]!;
          const rel = `${folder}/${i}-${names[i % names.length]!}`;
          const body = randomBytes(sizes[i % sizes.length]!);
          await mkdir(join(top, folder), { recursive: true });
          await writeFile(join(top, rel), body);
          written.set(rel, body);
        }
        await writeFile(join(top, 'up', 'rename-me.txt'), 'to be renamed\n');
        await mkdir(join(top, 'up', 'old dir'));
        await writeFile(join(top, 'up', 'old dir', 'in-old.txt'), 'moves with its folder\n');
        await writeFile(join(top, 'up', 'delete-me.bin'), randomBytes(5000));
        await mkdir(join(top, 'up', 'empty-gone'));
        await mkdir(join(top, 'up', 'empty-kept'));
        // renaming, deleting, editing an existing file (davfs2 locks it while open for writing)
        await rename(join(top, 'up', 'rename-me.txt'), join(top, 'up', 'renamed ✓.txt'));
        await rename(join(top, 'up', 'old dir'), join(top, 'up', 'new dir'));
        await unlink(join(top, 'up', 'delete-me.bin'));
        await rmdir(join(top, 'up', 'empty-gone'));
        await appendFile(join(top, 'from-server.txt'), 'appended through davfs2\n');
        expect((await readdir(join(top, 'up'))).sort()).to.include.members(['renamed ✓.txt', 'new dir', 'empty-kept', 'nested'])
          .and.not.include.members(['rename-me.txt', 'old dir', 'delete-me.bin', 'empty-gone']);
        const writtenBytes = [...written.values()].reduce((n, b) => n + b.length, 0);

        // the unmount waits until davfs2 has uploaded everything
        const u = await run('umount', [mnt], { timeoutMs: 180_000 });
        expect(u.code, describeRun('umount', u) + serverLog()).to.equal(0);
        mounted = false;
        const ms = Date.now() - started;

        // what the server holds now
        for (const [rel, body] of written) {
          const g = await dav('GET', `${col}/${enc(rel)}`);
          expect(g.status, `GET ${rel}`).to.equal(200);
          expect(sha256(g.body), `sha256 of ${rel} on the server`).to.equal(sha256(body));
        }
        expect((await dav('GET', `${col}/up/${enc('renamed ✓.txt')}`)).body.toString()).to.equal('to be renamed\n');
        expect((await dav('GET', `${col}/up/${enc('new dir')}/in-old.txt`)).body.toString()).to.equal('moves with its folder\n');
        for (const gone of ['up/rename-me.txt', 'up/old dir/in-old.txt', 'up/delete-me.bin']) {
          expect((await dav('GET', `${col}/${enc(gone)}`)).status, `GET ${gone}`).to.equal(404);
        }
        expect((await dav('PROPFIND', `${col}/up/empty-gone/`, { depth: '0' })).status).to.equal(404);
        expect((await dav('PROPFIND', `${col}/up/empty-kept/`, { depth: '0' })).status).to.equal(207);
        expect((await dav('GET', `${col}/from-server.txt`)).body.toString()).to.equal(`${fromServer}appended through davfs2\n`);
        // no lock left behind by the edit
        const lockd = await dav('PROPFIND', `${col}/from-server.txt`, { depth: '0', 'content-type': 'application/xml' },
          '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/></D:prop></D:propfind>');
        expect(lockd.status).to.equal(207);
        expect(lockd.body.toString()).to.not.contain('activelock');
        console.log(`      davfs2 (${backend}): mounted, read 2 files, wrote ${written.size + 3} files (${writtenBytes} B) in 3 folders, ` +
          `2 renames, 1 delete, 1 rmdir, 1 in-place append; unmounted and verified in ${(ms / 1000).toFixed(1)} s`);
      } finally {
        if (mounted) await run('umount', [mnt], { timeoutMs: 180_000 });
        // still mounted (the unmount failed or hung): end the daemon we started, if it is still that one
        const stillMounted = readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);
        if (stillMounted && daemonPid && existsSync(`/proc/${daemonPid}/comm`) && readFileSync(`/proc/${daemonPid}/comm`, 'utf8').trim() === 'mount.davfs') {
          process.kill(daemonPid, 'SIGTERM');
          await new Promise((r) => setTimeout(r, 2000));
          await run('umount', ['-l', mnt], { timeoutMs: 30_000 });
        }
        await rm(D, { recursive: true, force: true });
        await dav('DELETE', `${col}/`).catch(() => undefined);
      }
    });
  });
}
