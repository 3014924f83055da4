// Sequence sets ("1:3,7,10:*") against a session's uid list. imap-core tests
// every message against every range (string splits included): a set of 50
// numbers over 100,000 messages costs five million tests. Here each range is
// parsed once and found by index (sequence numbers) or by binary search
// (uids), so the cost follows the size of the answer. Same results as
// imap-core's getMessageRange: the uids, in the list's order, each once.

/** The first index whose uid is at least `uid`. */
function lowerBound(uids: readonly number[], uid: number): number {
  let lo = 0;
  let hi = uids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (uids[mid]! < uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The uids a sequence set names; `isUid`: its numbers are uids, else sequence numbers. The list is sorted, as sessions keep it. */
export function messageRange(uidList: readonly number[], range: string, isUid: boolean): number[] {
  const total = uidList.length;
  if (total === 0) return [];
  const star = isUid ? uidList[total - 1]! : total;
  // index intervals [from, to) into the list
  const spans: [number, number][] = [];
  for (const part of String(range).split(',')) {
    const [a = '', b] = part.split(':');
    const from = a === '*' ? star : Number(a) || 1;
    const to = b === undefined ? from : b === '*' ? star : Number(b) || from;
    const lo = Math.min(from, to);
    const hi = Math.max(from, to);
    if (isUid) spans.push([lowerBound(uidList, lo), lowerBound(uidList, hi + 1)]);
    else spans.push([Math.max(0, lo - 1), Math.min(total, hi)]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  let next = 0;
  for (const [from, to] of spans) {
    for (let i = Math.max(from, next); i < to; i++) out.push(uidList[i]!);
    next = Math.max(next, to);
  }
  return out;
}
