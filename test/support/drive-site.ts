// The real server (a child process) serving the drive over HTTPS on a free
// loopback port, with one account made by the `bureau` command and its CA in
// the system's trust store, for the tests that drive real WebDAV clients
// (litmus, rclone, cadaver, davfs2). `stop` undoes whatever `start` did, even
// when `start` stopped half-way.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_PORTS_OFF, bureauCommand, freePort, spawnBureau, stop, waitFor, type Spawned } from './server.ts';
import { makeTestDatabase, type Backend, type TestDatabase } from './store.ts';
import { trustCa } from './trust.ts';

export class DriveSite {
  /** a folder of the test's own: the certificates are in `certs/` */
  dir = '';
  port = 0;
  server: Spawned | undefined;
  private db: TestDatabase | undefined;
  private untrust: (() => Promise<void>) | undefined;

  get caPath(): string {
    return join(this.dir, 'certs', 'ca.pem');
  }

  /** The Documents folder of the account, as clients are given it. */
  get documentsUrl(): string {
    return `https://localhost:${this.port}/files/Documents/`;
  }

  /** Starts the server on a fresh database of `backend`, makes `address` with `password`, trusts the CA. */
  async start(backend: Backend, folderPrefix: string, address: string, password: string): Promise<void> {
    this.db = await makeTestDatabase(backend);
    this.dir = await mkdtemp(join(tmpdir(), folderPrefix));
    this.port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...ALL_PORTS_OFF,
      BUREAU_HTTPS_PORT: String(this.port),
      BUREAU_DATA_DIR: this.db.dataDir,
      BUREAU_DATABASE_URL: this.db.url,
      BUREAU_CERTS_DIR: join(this.dir, 'certs'),
      BUREAU_DOMAIN: 'example.test',
    };
    this.server = spawnBureau(env);
    await waitFor(this.server, 'ready:', 60_000);
    await bureauCommand(env, ['user', 'add', address, '--plan', 'standard'], `${password}\n`, 60_000);
    this.untrust = await trustCa(this.caPath);
  }

  /** The server's last words on stderr, for a failure report. */
  serverLog(chars: number): string {
    return this.server?.stderr().slice(-chars) ?? '';
  }

  async stop(): Promise<void> {
    try {
      if (this.untrust) await this.untrust();
    } finally {
      if (this.server) await stop(this.server);
      await this.db?.cleanup();
      if (this.dir) await rm(this.dir, { recursive: true, force: true });
    }
  }
}
