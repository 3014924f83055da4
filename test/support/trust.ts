// For tests that drive real third-party clients (litmus, rclone, cadaver,
// davfs2) against the spawned server: running an external command with a
// time limit, and making the system trust the server's generated CA for as
// long as a test needs it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunResult {
  /** exit code, or null when a signal ended it */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** true when the time limit ended it */
  readonly timedOut: boolean;
  readonly ms: number;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly input?: string | Buffer;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** The environment of the clients: ours, without any proxy between them and the loopback server. */
export function clientEnv(over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(https?|all|no|ftp)_proxy$/i.test(k)) env[k] = v;
  }
  return { ...env, NO_PROXY: '*', no_proxy: '*', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', ...over };
}

/**
 * Runs a command in its own process group and waits for it. When the time
 * limit passes, that group (the command and whatever it started) gets SIGKILL.
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? clientEnv(),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, opts.timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); fail(err); });
    let settled = false;
    const finish = (code: number | null, signal: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ok({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    };
    child.once('close', finish);
    // a command that leaves a daemon behind (mount.davfs) may leave it our pipes: do not wait for them long
    child.once('exit', (code, signal) => {
      setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish(code, signal);
      }, 2_000).unref();
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => { /* the command may not read all of it */ });
      child.stdin!.end(opts.input);
    }
  });
}

/** What a command did, for assertion messages. */
export function describeRun(what: string, r: RunResult): string {
  const how = r.timedOut ? 'timed out' : r.code !== null ? `exit ${r.code}` : `signal ${r.signal}`;
  return `${what}: ${how} after ${r.ms} ms\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`;
}

const CA_DIR = '/usr/local/share/ca-certificates';
const PREFIX = 'bureau-test-';
const OURS = /^bureau-test-(\d+)-[0-9a-f]+\.crt$/;

async function updateCaCertificates(): Promise<void> {
  const r = await run('update-ca-certificates', [], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(describeRun('update-ca-certificates', r));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes the system (OpenSSL's and GnuTLS's store, which litmus, cadaver,
 * davfs2 and rclone read) trust `caFile` under a name of its own; returns
 * what takes it back. Certificates left by test processes that died before
 * taking theirs back are removed first. Needs root.
 */
export async function trustCa(caFile: string): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0) {
    throw new Error(`trusting the test CA needs root (it is copied to ${CA_DIR} and update-ca-certificates is run)`);
  }
  for (const name of await readdir(CA_DIR)) {
    const m = OURS.exec(name);
    if (m && !alive(Number(m[1]))) await rm(join(CA_DIR, name), { force: true });
  }
  const file = join(CA_DIR, `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}.crt`);
  await copyFile(caFile, file);
  try {
    await updateCaCertificates();
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await rm(file, { force: true });
    await updateCaCertificates();
  };
}
