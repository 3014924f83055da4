// Opens what every entry point needs: the validated configuration's store and
// the core on it. Used by the server (main.ts) and the `bureau` command line.
import type { Config } from './config/schema.ts';
import { createCore, type Core, type CoreSettings } from './core/index.ts';
import { openStore } from './store/open.ts';

export function coreSettings(config: Config): CoreSettings {
  return {
    domain: config.domain,
    hostname: config.hostname,
    defaultPlan: config.defaultPlan,
    password: config.password,
    files: config.files,
    addressHoldbackDays: config.addressHoldbackDays,
    plans: Object.entries(config.plans).map(([name, p]) => ({
      name,
      mailBytes: p.mail_bytes,
      filesBytes: p.files_bytes,
      maxGroups: p.max_groups,
      maxGroupMembers: p.max_group_members,
      features: p.features,
      paid: p.paid,
    })),
  };
}

export async function openCore(config: Config): Promise<Core> {
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await createCore(store, coreSettings(config));
  } catch (err) {
    await store.close();
    throw err;
  }
}
