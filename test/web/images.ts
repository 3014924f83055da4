// Pictures made in the tests themselves, byte by byte: no binary fixtures.
import { crc32, deflateSync } from 'node:zlib';

/** A real PNG of w×h pixels of one colour (IHDR, IDAT, IEND with their CRCs). */
export function png(w: number, h: number, pad = 0): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  // each row: filter type 0, then w pixels of #3366cc
  const row = Buffer.concat([Buffer.from([0]), ...Array.from({ length: w }, () => Buffer.from([0x33, 0x66, 0xcc]))]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  const extra = pad > 0 ? [chunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(pad, 0x61)]))] : [];
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...extra, chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
