// Sequence sets against a session's uid list (src/protocols/imap/ranges.ts):
// the same answers as the plain definition, on random sets and lists, and in
// time that follows the answer rather than the mailbox.
import { expect } from 'chai';
import { messageRange } from '../../../src/protocols/imap/ranges.ts';

/** The definition: every message tested against every range (what imap-core does). */
function reference(uids: readonly number[], range: string, isUid: boolean): number[] {
  const star = isUid ? Math.max(0, ...uids) : uids.length;
  const ranges = range.split(',').map((p) => {
    const [a = '', b] = p.split(':');
    const from = a === '*' ? star : Number(a) || 1;
    const to = b === undefined ? from : b === '*' ? star : Number(b) || from;
    return [Math.min(from, to), Math.max(from, to)] as const;
  });
  return uids.filter((u, i) => ranges.some(([lo, hi]) => (isUid ? u : i + 1) >= lo && (isUid ? u : i + 1) <= hi));
}

describe('imap: sequence sets', () => {
  it('answers like the definition on random uid lists and sets', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let t = 0; t < 3000; t++) {
      const uids: number[] = [];
      for (let i = 0, u = 0; i < rnd(30); i++) uids.push((u += 1 + rnd(3)));
      const value = (): string => (rnd(7) === 0 ? '*' : String(rnd(40)));
      const range = Array.from({ length: 1 + rnd(4) }, () => (rnd(2) ? value() : `${value()}:${value()}`)).join(',');
      for (const isUid of [true, false]) expect(messageRange(uids, range, isUid), `${range} ${isUid} ${uids}`).to.deep.equal(reference(uids, range, isUid));
    }
  });

  it('50 numbers over 100,000 messages take well under a millisecond', () => {
    const uids = Array.from({ length: 100_000 }, (_, i) => i + 1);
    const set = Array.from({ length: 50 }, (_, k) => 1 + k * 2000).join(',');
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) messageRange(uids, set, false);
    expect((performance.now() - t0) / 100).to.be.below(1);
    expect(messageRange(uids, '1:*', true)).to.have.length(100_000);
  });
});
