// Blobs on disk: raw messages, files, large objects. One file per blob, named by
// a random id that is never reused, in a two-level fan-out. A write goes to a
// temporary file, is fsynced, renamed into place, and the folder is fsynced, so
// a blob that `write` returned survives a crash.
//
// Freeing: items reference blobs by id (items.blob_id; copies share a blob).
// When a transaction removes the last item referencing a blob it moves the id
// to `blob_trash` in the same transaction; after the commit the store removes
// the file and the trash row. Ids are random and never reused, so no new writer
// can race a removal. A crash between the two steps leaves a trash row, emptied
// at the next start; a crash between `write` and the commit that references it
// leaves an orphan file, which `collectGarbage` (store/sql/store.ts) removes
// once it is old enough.
import { randomBytes, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobInfo, BlobStore } from './types.ts';
import { QuotaExceeded } from './errors.ts';
import { syncDir } from '../disk/durable.ts';

const ID = /^[0-9a-f]{32}$/;
/** how much of a stream is gathered before one write to disk */
const WRITE_BATCH_BYTES = 1024 * 1024;

export class DiskBlobStore implements BlobStore {
  readonly root: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.root = root;
    this.tmp = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    // temporary files of writes that never finished
    for (const name of await readdir(this.tmp)) await rm(join(this.tmp, name), { force: true });
  }

  private pathOf(id: string): string {
    if (!ID.test(id)) throw new Error(`blob id ${JSON.stringify(id)} is malformed`);
    return join(this.root, id.slice(0, 2), id.slice(2, 4), id);
  }

  async write(data: Uint8Array | AsyncIterable<Uint8Array>, options: { maxBytes?: number } = {}): Promise<BlobInfo> {
    const id = randomBytes(16).toString('hex');
    const tmpPath = join(this.tmp, id);
    const hash = createHash('sha256');
    let size = 0;
    const file = await open(tmpPath, 'wx', 0o600);
    try {
      const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = data instanceof Uint8Array ? [data] : data;
      // small network chunks (16 KiB over TLS) are gathered into larger writes
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const buffer = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        let offset = 0;
        while (offset < buffer.byteLength) {
          const { bytesWritten } = await file.write(buffer, offset, buffer.byteLength - offset);
          offset += bytesWritten;
        }
      };
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          throw new QuotaExceeded(`the data is larger than the ${options.maxBytes} bytes left`, 0, options.maxBytes, size);
        }
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
      }
      await flush();
      await file.sync();
      await file.close();
    } catch (err) {
      await file.close().catch(() => undefined);
      await unlink(tmpPath).catch(() => undefined);
      throw err;
    }
    const finalPath = this.pathOf(id);
    const dir = join(this.root, id.slice(0, 2), id.slice(2, 4));
    await mkdir(dir, { recursive: true });
    await rename(tmpPath, finalPath);
    await syncDir(dir);
    return { id, size, sha256: hash.digest('hex') };
  }

  async read(id: string): Promise<Uint8Array> {
    return readFile(this.pathOf(id));
  }

  stream(id: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    return createReadStream(this.pathOf(id), range ? { start: range.start, end: range.end } : {});
  }

  async exists(id: string): Promise<boolean> {
    try {
      await stat(this.pathOf(id));
      return true;
    } catch {
      return false;
    }
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  async *list(): AsyncIterable<{ id: string; mtimeMs: number }> {
    for (const a of await readdir(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await readdir(join(this.root, a))) {
        for (const id of await readdir(join(this.root, a, b))) {
          if (!ID.test(id)) continue;
          const s = await stat(join(this.root, a, b, id)).catch(() => null);
          if (s) yield { id, mtimeMs: s.mtimeMs };
        }
      }
    }
  }
}

