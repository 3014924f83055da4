// The uid list of a selected mailbox, as imap-core keeps it (the message
// sequence number of a uid is its place in the list, plus one). imap-core
// finds that place with `indexOf` wherever it turns uids into sequence
// numbers (SEARCH, STORE's MODIFIED, EXPUNGE, FETCH notices): linear per uid,
// so a non-UID SEARCH matching half of 100,000 messages cost billions of
// comparisons. The list is ascending (uids only grow, EXISTS appends the
// newest, EXPUNGE removes), so `indexOf` here is a binary search. Should the
// list ever stop being ascending (something pushing a smaller uid), it falls
// back to the linear search, which is always right.

export class UidList extends Array<number> {
  /** the list is in ascending order (what the binary search needs) */
  private ascending = true;

  /** map, filter, slice and the like make plain arrays */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** A list of uids already in ascending order (as the store gives them). */
  static fromAscending(uids: readonly number[]): UidList {
    const list = new UidList();
    for (let i = 0; i < uids.length; i++) {
      if (i > 0 && !(uids[i]! > uids[i - 1]!)) list.ascending = false;
      list[i] = uids[i]!;
    }
    return list;
  }

  override push(...items: number[]): number {
    for (const uid of items) {
      const last = this.length > 0 ? this[this.length - 1]! : -Infinity;
      if (!(uid > last)) this.ascending = false;
      super.push(uid);
    }
    return this.length;
  }

  override unshift(...items: number[]): number {
    if (items.length > 0) this.ascending = false;
    return super.unshift(...items);
  }

  override splice(start: number, deleteCount?: number, ...items: number[]): number[] {
    // removing keeps the order; inserting may not
    if (items.length > 0) this.ascending = false;
    return deleteCount === undefined ? super.splice(start) : super.splice(start, deleteCount, ...items);
  }

  override sort(compare?: (a: number, b: number) => number): this {
    super.sort(compare);
    this.recheck();
    return this;
  }

  override reverse(): this {
    super.reverse();
    this.recheck();
    return this;
  }

  private recheck(): void {
    this.ascending = true;
    for (let i = 1; i < this.length && this.ascending; i++) if (!(this[i]! > this[i - 1]!)) this.ascending = false;
  }

  override indexOf(uid: number, fromIndex?: number): number {
    if (!this.ascending || fromIndex !== undefined || typeof uid !== 'number') return super.indexOf(uid, fromIndex);
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this[mid]!;
      if (v === uid) return mid;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  override includes(uid: number, fromIndex?: number): boolean {
    return fromIndex === undefined ? this.indexOf(uid) >= 0 : super.includes(uid, fromIndex);
  }
}
