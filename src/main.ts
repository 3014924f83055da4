// `npm start`: reads the configuration, starts every listener, prints one line
// per listener and the CA path, and stops cleanly on SIGINT or SIGTERM.
import { ConfigError, loadConfig } from './config/load.ts';
import { createLogger } from './server/log.ts';
import { startServer } from './server/start.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, log);
  } catch (err) {
    fail((err as Error).message);
  }
  for (const l of server.listeners) process.stdout.write(`listening: ${l.protocol} ${l.address}:${l.port}\n`);
  if (server.tls.caPath) process.stdout.write(`CA certificate: ${server.tls.caPath}\n`);
  process.stdout.write(`ready: Bureau serves ${config.hostname} (database: ${server.core.store.kind})\n`);

  let signals = 0;
  const shutdown = (signal: string): void => {
    signals++;
    if (signals > 1) {
      log.warn(`${signal} again: exiting at once`);
      process.exit(1);
    }
    log.info(`${signal}: stopping`);
    server.stop().then(() => {
      process.stdout.write('stopped\n');
      process.exit(0);
    }, (err: unknown) => {
      log.error(`stopping failed: ${(err as Error).message}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function fail(message: string): never {
  process.stderr.write(`bureau: ${message}\n`);
  process.exit(1);
}

await main();
