// The real server as a child process (`node src/main.ts`, what `npm start`
// runs), on loopback and free ports, with its own data and certs folders.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const NODE = resolve(ROOT, 'node_modules/.bin/node');

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** Every port off, so a test turns on only what it needs. */
export const ALL_PORTS_OFF: NodeJS.ProcessEnv = {
  BUREAU_IMAP_PORT: '0', BUREAU_IMAPS_PORT: '0', BUREAU_SMTP_PORT: '0', BUREAU_SUBMISSION_PORT: '0',
  BUREAU_SUBMISSIONS_PORT: '0', BUREAU_HTTPS_PORT: '0', BUREAU_HTTP_PORT: '0',
};

export interface Spawned {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** resolves with the exit code (or the signal's name) */
  readonly exited: Promise<number | string>;
}

export function spawnBureau(env: NodeJS.ProcessEnv, args: readonly string[] = ['src/main.ts']): Spawned {
  const child = spawn(NODE, ['--disable-warning=ExperimentalWarning', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BUREAU_BIND: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | string>((ok) => child.once('exit', (code, signal) => ok(code ?? signal ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits (boundedly) until the output holds `text`, or the process ends. */
export async function waitFor(s: Spawned, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!s.stdout().includes(text)) {
    if (s.child.exitCode !== null) throw new Error(`the server exited (${s.child.exitCode}) before printing ${JSON.stringify(text)}: ${s.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms; output: ${s.stdout()} ${s.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ends the child we started, by its pid, and waits for it. */
export async function stop(s: Spawned, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill(signal);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
  try {
    return await s.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** What a run of the `bureau` command left: its exit, and what it printed. */
export interface BureauRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, in the order they came */
  readonly output: string;
}

export interface BureauRunOptions {
  /** the command's whole environment (nothing of the test process's is added) */
  readonly env: NodeJS.ProcessEnv;
  /** written to standard input, which is then closed */
  readonly input?: string;
  /** the folder it runs in; default the checkout */
  readonly cwd?: string;
  /** the Node.js that starts the launcher; default the project's Node.js 24 */
  readonly node?: string;
  /** flags for that Node.js, before the launcher */
  readonly nodeArgs?: readonly string[];
  /** killed (SIGKILL) after this long; default 120 s */
  readonly timeoutMs?: number;
}

export const LAUNCHER = resolve(ROOT, 'scripts/bureau.mjs');

/** Runs the `bureau` launcher (scripts/bureau.mjs) to its end, whatever its exit; fails only when it cannot start. */
export function runBureau(args: readonly string[], options: BureauRunOptions): Promise<BureauRun> {
  return new Promise((ok, fail) => {
    const child = spawn(options.node ?? NODE, [...(options.nodeArgs ?? []), LAUNCHER, ...args], {
      cwd: options.cwd ?? ROOT, env: options.env, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; output += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (err) => { clearTimeout(timer); fail(err); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stdout, stderr, output });
    });
    // a command that fails before reading its input closes the pipe: not an error here
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

/** The test process's environment without any BUREAU_ setting (nor NODE_OPTIONS), so that only a test's own apply. */
export function envWithoutBureau(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('BUREAU_') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return env;
}

/**
 * Runs the `bureau` command (scripts/bureau.mjs) to its end with `input` on
 * its stdin: resolves with what it printed (stdout and stderr), fails with
 * that output unless it exits 0, and is killed after `timeoutMs`.
 */
export async function bureauCommand(env: NodeJS.ProcessEnv, args: readonly string[], input = '', timeoutMs = 120_000): Promise<string> {
  const r = await runBureau(args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, input, timeoutMs, nodeArgs: ['--disable-warning=ExperimentalWarning'],
  });
  if (r.code !== 0) throw new Error(`bureau ${args.join(' ')}: ${r.code ?? r.signal} ${r.output}`);
  return r.output;
}
