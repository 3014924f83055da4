// `npm start` as an operator meets it: first start on an empty machine, the
// lines it prints, a second start reusing what the first made, a clean stop
// on SIGINT and SIGTERM, and starts that fail with one clear line.
import { expect } from 'chai';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:tls';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_PORTS_OFF, freePort, spawnBureau, stop, waitFor } from '../support/server.ts';
import { BACKENDS, makeTestDatabase } from '../support/store.ts';

function get(url: string, ca?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('e2e: starting and stopping the server', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'bureau-start-')); });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const env = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...ALL_PORTS_OFF, BUREAU_DATA_DIR: join(dir, 'data'), BUREAU_CERTS_DIR: join(dir, 'certs'), ...over,
  });

  it('first start makes the data folder, the database, a CA and a certificate, prints the listeners, and serves HTTPS', async () => {
    const https = await freePort();
    const http = await freePort();
    const s = spawnBureau(env({ BUREAU_HTTPS_PORT: String(https), BUREAU_HTTP_PORT: String(http) }));
    try {
      await waitFor(s, 'ready:');
      const lines = s.stdout().trim().split('\n');
      expect(lines).to.deep.equal([
        `listening: https 127.0.0.1:${https}`,
        `listening: http 127.0.0.1:${http}`,
        `CA certificate: ${join(dir, 'certs', 'ca.pem')}`,
        'ready: Bureau serves localhost (database: sqlite)',
      ]);
      expect(existsSync(join(dir, 'data', 'bureau.sqlite'))).to.equal(true);
      expect((await readdir(join(dir, 'certs'))).sort()).to.deep.equal(['ca-key.pem', 'ca.pem', 'server-key.pem', 'server.pem']);
      const ca = await readFile(join(dir, 'certs', 'ca.pem'));
      const page = await get(`https://localhost:${https}/`, ca);
      expect(page.status).to.equal(200);
      expect(page.body).to.contain('<h1>Bureau</h1>');
      expect(page.headers['content-security-policy']).to.contain("default-src 'none'");
      const redirect = await get(`http://127.0.0.1:${http}/files/x?y=1`);
      expect(redirect.status).to.equal(301);
      expect(redirect.headers.location).to.equal(`https://localhost:${https}/files/x?y=1`);
      expect(await stop(s, 'SIGTERM')).to.equal(0);
      expect(s.stdout()).to.match(/stopped\n$/);
    } finally {
      await stop(s, 'SIGKILL');
    }
  });

  it('a second start reuses the certificates and the database; SIGINT stops it with exit 0, closing an open connection', async () => {
    const https = await freePort();
    const first = spawnBureau(env({ BUREAU_HTTPS_PORT: String(https) }));
    await waitFor(first, 'ready:');
    expect(await stop(first, 'SIGINT')).to.equal(0);
    const caBefore = await readFile(join(dir, 'certs', 'ca.pem'));
    const serverBefore = await readFile(join(dir, 'certs', 'server.pem'));
    const second = spawnBureau(env({ BUREAU_HTTPS_PORT: String(https), BUREAU_SHUTDOWN_GRACE_SECONDS: '1' }));
    try {
      await waitFor(second, 'ready:');
      expect(second.stderr()).to.not.contain('made TLS certificates');
      expect(await readFile(join(dir, 'certs', 'ca.pem'))).to.deep.equal(caBefore);
      expect(await readFile(join(dir, 'certs', 'server.pem'))).to.deep.equal(serverBefore);
      // a client that connects and says nothing must not hold the stop for ever
      const idle = connect({ host: '127.0.0.1', port: https, ca: caBefore, servername: 'localhost' });
      await new Promise<void>((ok, fail) => { idle.once('secureConnect', ok); idle.once('error', fail); });
      const closed = new Promise<void>((ok) => idle.once('close', () => ok()));
      const started = Date.now();
      expect(await stop(second, 'SIGINT')).to.equal(0);
      await closed;
      expect(Date.now() - started).to.be.below(10_000);
    } finally {
      await stop(second, 'SIGKILL');
    }
  });

  it('a port of 0 turns its listener off', async () => {
    const s = spawnBureau(env());
    try {
      await waitFor(s, 'ready:');
      expect(s.stdout()).to.not.contain('listening:');
    } finally {
      expect(await stop(s)).to.equal(0);
    }
  });

  it('a wrong setting stops the start with one line naming it, and creates nothing', async () => {
    const s = spawnBureau(env({ BUREAU_IMAP_PORT: 'abc' }));
    expect(await s.exited).to.equal(1);
    expect(s.stderr()).to.equal('bureau: setting imap_port (BUREAU_IMAP_PORT): "abc" is not allowed; expected a port number from 0 to 65535 (0 turns the listener off)\n');
    expect(s.stdout()).to.equal('');
    expect(existsSync(join(dir, 'data'))).to.equal(false);
    expect(existsSync(join(dir, 'certs'))).to.equal(false);
  });

  it('an unreachable PostgreSQL stops the start with one line, and creates nothing', async () => {
    const port = await freePort();
    const s = spawnBureau(env({ BUREAU_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/bureau` }));
    expect(await s.exited).to.equal(1);
    expect(s.stderr()).to.equal(`bureau: PostgreSQL at 127.0.0.1:${port}/bureau cannot be reached: ECONNREFUSED\n`);
    expect(existsSync(join(dir, 'data'))).to.equal(false);
    expect(existsSync(join(dir, 'certs'))).to.equal(false);
  });

  it('an unwritable data folder stops the start with one line', async () => {
    await writeFile(join(dir, 'file'), 'not a folder');
    const s = spawnBureau(env({ BUREAU_DATA_DIR: join(dir, 'file', 'data') }));
    expect(await s.exited).to.equal(1);
    expect(s.stderr()).to.equal(`bureau: data folder ${join(dir, 'file', 'data')} cannot be written: ENOTDIR\n`);
    expect(readFileSync(join(dir, 'file'), 'utf8')).to.equal('not a folder');
  });

  it('a corrupted certificate stops the start with one line and is left as it was', async () => {
    const first = spawnBureau(env());
    await waitFor(first, 'ready:');
    expect(await stop(first)).to.equal(0);
    await writeFile(join(dir, 'certs', 'server.pem'), 'garbage\n');
    const s = spawnBureau(env());
    expect(await s.exited).to.equal(1);
    const lines = s.stderr().trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^bureau: .*server\.pem/);
    expect(await readFile(join(dir, 'certs', 'server.pem'), 'utf8')).to.equal('garbage\n');
  });

  it('a port already taken stops the start with one line naming it', async () => {
    const https = await freePort();
    const holder = spawnBureau(env({ BUREAU_HTTPS_PORT: String(https) }));
    try {
      await waitFor(holder, 'ready:');
      const s = spawnBureau({ ...env({ BUREAU_HTTPS_PORT: String(https) }), BUREAU_DATA_DIR: join(dir, 'data2') });
      expect(await s.exited).to.equal(1);
      expect(s.stderr()).to.equal(`bureau: cannot listen on 127.0.0.1:${https} (https): EADDRINUSE\n`);
    } finally {
      expect(await stop(holder)).to.equal(0);
    }
  });

  if (BACKENDS.includes('postgres')) {
    it('starts on PostgreSQL and says so', async () => {
      const db = await makeTestDatabase('postgres');
      const s = spawnBureau(env({ BUREAU_DATABASE_URL: db.url }));
      try {
        await waitFor(s, 'ready:');
        expect(s.stdout()).to.contain('(database: postgres)');
        expect(await stop(s)).to.equal(0);
      } finally {
        await stop(s, 'SIGKILL');
        await db.cleanup();
      }
    });
  }
});
