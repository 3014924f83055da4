// Store conformance: rate counters (migration 012), the counts of the login
// throttle and of the hourly limits. Run through storeConformance
// (test/store/conformance.ts).
import { expect } from 'chai';
import { openStore } from '../../../src/store/open.ts';
import type { Store } from '../../../src/store/types.ts';
import type { Backend } from '../../support/store.ts';
import { next, useStore } from './support.ts';

export function ratesConformance(backend: Backend): void {
  describe('rate counters', () => {
    const s = useStore(backend);

    it('counts events in a window that begins with the first; the window ends, the next event begins a new one', async () => {
      const key = `k-${next()}`;
      expect(await s.store.countRate([key], 1_000, 100)).to.deep.equal([{ key, hits: 1, windowEnds: 1_100 }]);
      expect(await s.store.countRate([key], 1_050, 100)).to.deep.equal([{ key, hits: 2, windowEnds: 1_100 }]);
      expect(await s.store.countRate([key], 1_099, 100)).to.deep.equal([{ key, hits: 3, windowEnds: 1_100 }]);
      expect(await s.store.readRate([key], 1_099)).to.deep.equal([{ key, hits: 3, windowEnds: 1_100 }]);
      // the window has ended: nothing to read, and the next event starts again at 1
      expect(await s.store.readRate([key], 1_100)).to.deep.equal([]);
      expect(await s.store.countRate([key], 1_100, 100)).to.deep.equal([{ key, hits: 1, windowEnds: 1_200 }]);
      expect(await s.store.readRate([key], 1_150)).to.deep.equal([{ key, hits: 1, windowEnds: 1_200 }]);
    });

    it('counts several keys in one call, answered in the order asked; reads only the keys asked; clears the keys given', async () => {
      const [a, b, c] = [`a-${next()}`, `b-${next()}`, `c-${next()}`];
      await s.store.countRate([a], 5_000, 1_000);
      expect(await s.store.countRate([b, a], 5_010, 1_000)).to.deep.equal([{ key: b, hits: 1, windowEnds: 6_010 }, { key: a, hits: 2, windowEnds: 6_000 }]);
      await s.store.countRate([c], 5_020, 1_000);
      const read = await s.store.readRate([a, b, `none-${next()}`], 5_500);
      expect(read.sort((x, y) => x.key.localeCompare(y.key))).to.deep.equal([{ key: a, hits: 2, windowEnds: 6_000 }, { key: b, hits: 1, windowEnds: 6_010 }]);
      await s.store.clearRate([a, c]);
      expect(await s.store.readRate([a, b, c], 5_500)).to.deep.equal([{ key: b, hits: 1, windowEnds: 6_010 }]);
      await s.store.clearRate([]);
      expect(await s.store.countRate([], 5_500, 1_000)).to.deep.equal([]);
    });

    it('30 events at once from two stores on one database against a limit of 10: exactly 10 are within it', async function () {
      this.timeout(30_000);
      // a second store on the same database: what a second process sees
      const other: Store = await openStore({ databaseUrl: s.test.db.url, dataDir: s.test.db.dataDir });
      try {
        const key = `race-${next()}`;
        const now = Date.now();
        const counts = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? s.store : other).countRate([key, `race-ip-${i % 3}-${key}`], now, 60_000)));
        const hits = counts.map((c) => c[0]!.hits);
        // every event got its own count: none lost, none counted twice
        expect([...hits].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(hits.filter((h) => h <= 10)).to.have.length(10);
        expect(await other.readRate([key], now + 1)).to.deep.equal([{ key, hits: 30, windowEnds: now + 60_000 }]);
        // the second keys of those calls were counted as well, each once per call
        const perIp = await s.store.readRate([0, 1, 2].map((i) => `race-ip-${i}-${key}`), now + 1);
        expect(perIp.map((c) => c.hits)).to.deep.equal([10, 10, 10]);
      } finally {
        await other.close();
      }
    });

    it('a sweep removes the counts whose window has ended, and only those', async () => {
      const now = 10_000_000 + next();
      const [old1, old2, live] = [`old1-${next()}`, `old2-${next()}`, `live-${next()}`];
      await s.store.countRate([old1, old2], now - 2_000, 1_000);
      await s.store.countRate([live], now - 500, 1_000);
      // other tests' rows ended long before too (their times are small): at least these two go
      expect(await s.store.sweepRate(now)).to.be.at.least(2);
      expect(await s.store.readRate([old1, old2, live], 0)).to.deep.equal([{ key: live, hits: 1, windowEnds: now + 500 }]);
      expect(await s.store.sweepRate(now)).to.equal(0);
      expect(await s.store.sweepRate(now + 500)).to.be.at.least(1);
      expect(await s.store.readRate([live], 0)).to.deep.equal([]);
    });
  });
}
