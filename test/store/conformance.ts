// The store conformance suite: one set of tests, run against every backend
// (test/store/sqlite.test.ts, test/store/postgres.test.ts), the way sabre/dav
// runs one PDO suite per engine. Each `describe` opens one fresh database;
// each test makes its own accounts (unique addresses), so tests do not depend
// on each other or on their order. Everything is asserted through the Store
// interface (and the blob files on disk), as a user of the store sees it.
import type { Backend } from '../support/store.ts';
import { accountsConformance } from './conformance/accounts.ts';
import { groupsConformance } from './conformance/groups.ts';
import { collectionsConformance } from './conformance/collections.ts';
import { itemsConformance } from './conformance/items.ts';
import { changesQuotaConformance } from './conformance/changes-quota.ts';
import { grantsConformance } from './conformance/grants.ts';
import { eventsBlobsConformance } from './conformance/events-blobs.ts';
import { searchConformance } from './conformance/search.ts';
import { mailConformance } from './conformance/mail.ts';
import { locksConformance } from './conformance/locks.ts';
import { recoveryConformance } from './conformance/recovery.ts';
import { countedConformance } from './conformance/counted.ts';
import { bulkReadsConformance } from './conformance/bulk-reads.ts';
import { outboundConformance } from './conformance/outbound.ts';
import { ratesConformance } from './conformance/rates.ts';

export function storeConformance(backend: Backend): void {
  describe(`store conformance (${backend})`, function () {
    this.timeout(30_000);

    accountsConformance(backend);
    groupsConformance(backend);
    collectionsConformance(backend);
    itemsConformance(backend);
    changesQuotaConformance(backend);
    grantsConformance(backend);
    eventsBlobsConformance(backend);
    searchConformance(backend);
    mailConformance(backend);
    locksConformance(backend);
    recoveryConformance(backend);
    countedConformance(backend);
    bulkReadsConformance(backend);
    outboundConformance(backend);
    ratesConformance(backend);
  });
}
