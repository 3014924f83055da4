// `npm start`: reads the configuration, starts every listener, prints one line
// per listener and the CA path, and stops cleanly on SIGINT or SIGTERM.
import { ConfigError, loadConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createLogger } from './server/log.ts';
import { startServer, type RunningServer } from './server/start.ts';

function fail(message: string): never {
  process.stderr.write(`bureau: ${message}\n`);
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
const log = createLogger(config.logLevel);

// Signals are heard from the first moment: one that arrives while starting
// stops the server as soon as it is up.
let starting: Promise<RunningServer | null> | null = null;
let signals = 0;
const shutdown = (signal: string): void => {
  signals++;
  if (signals > 1) {
    log.warn(`${signal} again: exiting at once`);
    process.exit(1);
  }
  log.info(`${signal}: stopping`);
  void (starting ?? Promise.resolve(null)).then(async (server) => {
    try {
      await server?.stop();
      process.stdout.write('stopped\n');
      process.exit(0);
    } catch (err) {
      log.error(`stopping failed: ${(err as Error).message}`);
      process.exit(1);
    }
  });
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

starting = startServer(config, log).catch((err: unknown) => fail((err as Error).message));
const server = await starting;
if (server && signals === 0) {
  for (const l of server.listeners) process.stdout.write(`listening: ${l.protocol} ${l.address}:${l.port}\n`);
  if (server.tls.caPath) process.stdout.write(`CA certificate: ${server.tls.caPath}\n`);
  process.stdout.write(`ready: Bureau serves ${config.hostname} (database: ${server.core.store.kind})\n`);
}
