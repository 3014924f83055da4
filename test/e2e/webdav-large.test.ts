// A file over 4 GiB through the drive: streamed up, its size reported, a range
// near its end read back exactly, deleted again. The server must never hold
// it in memory: its peak resident size stays far below the file's size.
import { expect } from 'chai';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_PORTS_OFF, bureauCommand, freePort, spawnBureau, stop, waitFor, type Spawned } from '../support/server.ts';

const SIZE = 4 * 1024 ** 3 + 1024 ** 2 + 7; // just over 4 GiB, not a round number
const CHUNK = 1024 ** 2;

/**
 * The generated file: chunk k is variant k mod 17 of a pattern that differs
 * at every offset, so a chunk written to the wrong place is seen (unless it
 * is a multiple of 17 chunks away). The variants are made once.
 */
const VARIANTS = Array.from({ length: 17 }, (_, v) => {
  const b = Buffer.allocUnsafe(CHUNK);
  for (let i = 0; i < CHUNK; i++) b[i] = (i * 31 + v * 7) & 0xff;
  return b;
});

function chunkAt(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const pos = offset + done;
    const k = Math.floor(pos / CHUNK);
    const inChunk = pos - k * CHUNK;
    const n = Math.min(CHUNK - inChunk, length - done);
    VARIANTS[k % 17]!.copy(out, done, inChunk, inChunk + n);
    done += n;
  }
  return out;
}

describe('e2e: a file over 4 GiB on the drive', function () {
  this.timeout(600_000);
  let dir: string;
  let server: Spawned;
  let port: number;
  let ca: Buffer;
  const auth = `Basic ${Buffer.from('big@example.test:alongpassword1').toString('base64')}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bureau-large-'));
    port = await freePort();
    const env = { ...ALL_PORTS_OFF, BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'), BUREAU_DOMAIN: 'example.test', BUREAU_HTTPS_PORT: String(port) };
    await bureauCommand(env, ['user', 'add', 'big@example.test', '--plan', 'pro'], 'alongpassword1\n', 30_000);
    server = spawnBureau(env);
    await waitFor(server, 'ready:');
    ca = await readFile(join(dir, 'certs', 'ca.pem'));
  });
  after(async () => {
    if (server) await stop(server);
    await rm(dir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, headers: Record<string, string | number> = {}, body?: (req: ReturnType<typeof request>) => Promise<void>) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((ok, fail) => {
      const req = request({ host: '127.0.0.1', port, servername: 'localhost', ca, method, path, headers: { authorization: auth, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', fail);
      if (body) body(req).then(() => req.end(), fail);
      else req.end();
    });

  const peakKiB = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1] ?? NaN);

  it('streams it up and down by range, without holding it in memory', async () => {
    const put = await call('PUT', '/files/Documents/big.bin', { 'content-length': SIZE, 'content-type': 'application/octet-stream' }, async (req) => {
      for (let offset = 0; offset < SIZE; offset += CHUNK) {
        const n = Math.min(CHUNK, SIZE - offset);
        if (!req.write(chunkAt(offset, n))) await new Promise((r) => req.once('drain', r));
      }
    });
    expect(put.status, put.body.toString()).to.equal(201);
    expect(peakKiB() * 1024).to.be.below(512 * 1024 ** 2, 'the server held far less than the file in memory');

    const head = await call('HEAD', '/files/Documents/big.bin');
    expect(head.status).to.equal(200);
    expect(Number(head.headers['content-length'])).to.equal(SIZE);

    const start = SIZE - 5000;
    const part = await call('GET', '/files/Documents/big.bin', { range: `bytes=${start}-` });
    expect(part.status).to.equal(206);
    expect(part.headers['content-range']).to.equal(`bytes ${start}-${SIZE - 1}/${SIZE}`);
    expect(part.body.equals(chunkAt(start, 5000))).to.equal(true, 'the last bytes come back exactly');

    const across = 4 * 1024 ** 3 - 10; // a range across the 4 GiB boundary
    const mid = await call('GET', '/files/Documents/big.bin', { range: `bytes=${across}-${across + 99}` });
    expect(mid.status).to.equal(206);
    expect(mid.body.equals(chunkAt(across, 100))).to.equal(true);

    const props = await call('PROPFIND', '/files/Documents/big.bin', { depth: '0', 'content-type': 'application/xml' }, async (req) => {
      req.write('<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getcontentlength/><quota-used-bytes/></prop></propfind>');
    });
    expect(props.status).to.equal(207);
    expect(props.body.toString()).to.contain(`<D:getcontentlength>${SIZE}</D:getcontentlength>`);
    expect(props.body.toString()).to.contain(`<D:quota-used-bytes>${SIZE}</D:quota-used-bytes>`);

    const del = await call('DELETE', '/files/Documents/big.bin');
    expect(del.status).to.equal(204);
  });
});
