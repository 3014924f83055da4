// Opens the store named by a database URL: `sqlite:PATH` or `postgres://…`,
// with its blob store in the data folder, and applies the migrations.
import { join, resolve } from 'node:path';
import { DiskBlobStore } from './blobs.ts';
import { PostgresDriver } from './postgres/driver.ts';
import { SqliteDriver } from './sqlite/driver.ts';
import { SqlStore } from './sql/store.ts';
import type { SqlDriver } from './sql/driver.ts';
import type { Store } from './types.ts';

export interface OpenStoreOptions {
  readonly databaseUrl: string;
  readonly dataDir: string;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const url = options.databaseUrl;
  let driver: SqlDriver;
  if (url.startsWith('sqlite:')) {
    driver = SqliteDriver.open(resolve(options.dataDir, url.slice('sqlite:'.length)));
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    driver = await PostgresDriver.open(url);
  } else {
    throw new Error(`the database URL must start with sqlite: or postgres://, not ${url.split(':')[0]}:`);
  }
  const store = new SqlStore(driver, new DiskBlobStore(join(options.dataDir, 'blobs')));
  try {
    await store.init();
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
  return store;
}
