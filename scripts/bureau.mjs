#!/usr/bin/env node
// The `bureau` command (the package's "bin"). Plain JavaScript, so that any
// Node.js on PATH can start it: Bureau itself is TypeScript run by Node.js 24's
// type stripping. Under Node.js 24 it runs src/cli/main.ts in this process;
// under an older Node.js it starts the Node.js 24 that `npm ci` put into
// node_modules (the `node` package) on src/cli/main.ts, with the same
// arguments, standard input and output, and passes on its exit code or signal.
// Both ways use Node.js's compile cache (in the temporary folder, unless
// NODE_COMPILE_CACHE says where or NODE_DISABLE_COMPILE_CACHE is set), which
// keeps the stripped TypeScript: a command then starts in a third of the time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src', 'cli', 'main.ts');
const args = process.argv.slice(2);
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24 && process.features.typescript) {
  module.enableCompileCache?.();
  const { runAsCommand } = await import(pathToFileURL(entry).href);
  await runAsCommand(args);
} else {
  reexec();
}

/** Node.js 24 from the `node` package: this checkout's, or the one beside it when Bureau is itself a dependency. */
function projectNode() {
  const candidates = [
    join(root, 'node_modules', 'node', 'bin', 'node'),
    join(root, 'node_modules', '.bin', 'node'),
    join(root, '..', 'node', 'bin', 'node'),
    join(root, '..', '.bin', 'node'),
  ];
  return candidates.find((p) => existsSync(p)) ?? null;
}

function reexec() {
  const node = projectNode();
  if (node === null) {
    process.stderr.write(`bureau: Node.js 24 or later is needed, and this is Node.js ${process.versions.node}; `
      + `run \`npm ci\` in ${root} to install it into node_modules\n`);
    process.exit(1);
  }
  const env = { ...process.env };
  if (env.NODE_COMPILE_CACHE === undefined && env.NODE_DISABLE_COMPILE_CACHE === undefined) {
    env.NODE_COMPILE_CACHE = join(tmpdir(), 'node-compile-cache');
  }
  const child = spawn(node, ['--disable-warning=ExperimentalWarning', entry, ...args], { stdio: 'inherit', env });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const s of signals) process.on(s, forward);
  child.on('error', (err) => {
    process.stderr.write(`bureau: ${node} cannot be started: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal !== null) {
      // end as the child ended: by the same signal, or else with the shell's code for it
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 1)), 100).unref();
      return;
    }
    process.exit(code ?? 1);
  });
}
