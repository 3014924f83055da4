// The direction of imports is the architecture: protocols and web → core →
// store, never back; protocol folders never import each other. This test
// reads every import of src/ and fails on a back edge.
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');

/** The layer of a file, by its folder under the source root. */
function layerOf(root: string, file: string): string {
  const parts = relative(root, file).split('/');
  if (parts[0] === 'protocols' && parts.length > 2) return `protocols/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : 'main';
}

/** What each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  disk: [],
  store: ['disk'],
  config: [],
  core: ['store'],
  tls: ['disk'],
  web: ['core'],
  cli: ['core', 'config', 'boot', 'store'],
  server: ['core', 'config', 'tls', 'web', 'protocols', 'boot'],
  main: ['core', 'config', 'server', 'store', 'tls', 'web', 'protocols', 'boot', 'cli'],
};

function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  if (from.startsWith('protocols/')) return to === 'core';
  const list = ALLOWED[from] ?? [];
  return list.some((l) => to === l || (l === 'protocols' && to.startsWith('protocols/')) || (l === 'boot' && to === 'main'));
}

async function* files(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

async function backEdges(root: string = SRC): Promise<string[]> {
  const bad: string[] = [];
  for await (const file of files(root)) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      const target = resolve(dirname(file), m[1]!);
      const from = layerOf(root, file);
      const to = layerOf(root, target);
      if (!allowed(from, to)) bad.push(`${relative(root, file)} imports ${relative(root, target)} (${from} → ${to})`);
    }
  }
  return bad;
}

describe('architecture: imports flow protocols → core → store', () => {
  it('src/ has no back edge', async () => {
    expect(await backEdges()).to.deep.equal([]);
  });

  it('the check sees a back edge when there is one', async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const root = await mkdtemp(join(tmpdir(), 'bureau-imports-'));
    try {
      await mkdir(join(root, 'store'));
      await mkdir(join(root, 'core'));
      await writeFile(join(root, 'core', 'acl.ts'), "import { x } from '../store/types.ts';\n");
      await writeFile(join(root, 'store', 'types.ts'), "import { authorize } from '../core/acl.ts';\nexport const x = 1;\n");
      const edges = await backEdges(root);
      expect(edges).to.deep.equal(['store/types.ts imports core/acl.ts (store → core)']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
