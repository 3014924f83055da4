// The local CA and server certificate on real files in a temporary folder, real
// TLS handshakes against them, and the operator's own certificate and key.
import { expect } from 'chai';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import {
  CertificateError, loadOrCreateCertificates, type CertificateOptions, type TlsMaterial,
} from '../../src/tls/certificates.ts';

const FILES = ['ca-key.pem', 'ca.pem', 'server-key.pem', 'server.pem'];

function local(certsDir: string, hostname = 'localhost'): CertificateOptions {
  return { certsDir, hostname, tlsCert: null, tlsKey: null };
}

function operator(tlsCert: string, tlsKey: string): CertificateOptions {
  return { certsDir: '/nonexistent/unused', hostname: 'localhost', tlsCert, tlsKey };
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) out.set(name, (await readFile(join(dir, name))).toString('base64'));
  return out;
}

async function expectCertificateError(promise: Promise<unknown>): Promise<CertificateError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(CertificateError);
    const e = err as CertificateError;
    expect(e.name).to.equal('CertificateError');
    expect(e.message).not.to.match(/[\r\n]/);
    return e;
  }
  throw new Error('expected a CertificateError');
}

/** Serves `material` on 127.0.0.1 and connects trusting only `caPath`; resolves to the client's `authorized`. */
async function handshake(material: TlsMaterial, caPath: string, servername: string): Promise<boolean> {
  const server = tls.createServer({ cert: material.cert, key: material.key }, (socket) => socket.end());
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<boolean>((done, fail) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(caPath), servername }, () => {
        const authorized = socket.authorized;
        socket.end();
        done(authorized);
      });
      socket.on('error', fail);
    });
  } finally {
    await new Promise<void>((done) => server.close(() => done()));
  }
}

/** Signs a certificate for `publicKeyPem` with forge; self-signed when no issuer is given. */
function forgeCertificate(options: {
  publicKeyPem: string; signingKeyPem: string; notBefore: Date; notAfter: Date;
  issuerPem?: string; dnsNames?: string[];
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(options.publicKeyPem);
  cert.serialNumber = '01';
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  cert.setSubject([{ name: 'commonName', value: 'test' }]);
  const issuer = options.issuerPem === undefined ? null : forge.pki.certificateFromPem(options.issuerPem);
  cert.setIssuer(issuer === null ? cert.subject.attributes : issuer.subject.attributes);
  const exts: object[] = [{ name: 'basicConstraints', cA: false }];
  if (options.dnsNames) exts.push({ name: 'subjectAltName', altNames: options.dnsNames.map((value) => ({ type: 2, value })) });
  cert.setExtensions(exts);
  cert.sign(forge.pki.privateKeyFromPem(options.signingKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

function rsaPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

describe('tls/certificates', function () {
  let root: string;
  // One generated set per hostname, made once and copied into fresh folders for
  // the tests that change files, which keeps the suite fast.
  let localhostDir: string;
  let localhostMaterial: TlsMaterial;
  let exampleDir: string;
  let exampleMaterial: TlsMaterial;
  let counter = 0;

  async function copyOf(dir: string): Promise<string> {
    const target = join(root, `copy-${++counter}`);
    await mkdir(target);
    for (const name of FILES) await copyFile(join(dir, name), join(target, name));
    return target;
  }

  before(async function () {
    root = await mkdtemp(join(tmpdir(), 'bureau-certs-test-'));
    localhostDir = join(root, 'localhost', 'certs'); // the folder does not exist yet
    localhostMaterial = await loadOrCreateCertificates(local(localhostDir));
    exampleDir = join(root, 'example');
    exampleMaterial = await loadOrCreateCertificates(local(exampleDir, 'mail.example.test'));
  });

  after(async function () {
    await rm(root, { recursive: true, force: true });
  });

  describe('the local CA', function () {
    it('makes the four files on the first start, keys readable by the owner only', async function () {
      expect(localhostMaterial.generated).to.equal(true);
      expect((await readdir(localhostDir)).sort()).to.deep.equal(FILES);
      for (const name of ['ca-key.pem', 'server-key.pem']) {
        expect((await stat(join(localhostDir, name))).mode & 0o777).to.equal(0o600);
      }
      expect(localhostMaterial.caPath).to.equal(join(localhostDir, 'ca.pem'));
      expect(localhostMaterial.certPath).to.equal(join(localhostDir, 'server.pem'));
      expect(localhostMaterial.keyPath).to.equal(join(localhostDir, 'server-key.pem'));
      const server = await readFile(join(localhostDir, 'server.pem'), 'utf8');
      const ca = await readFile(join(localhostDir, 'ca.pem'), 'utf8');
      expect(localhostMaterial.cert).to.equal(server + ca);
      expect(localhostMaterial.key).to.equal(await readFile(join(localhostDir, 'server-key.pem'), 'utf8'));
    });

    it('signs a server certificate with the CA that names the hostname and the loopback addresses', async function () {
      const ca = new X509Certificate(await readFile(exampleMaterial.caPath!));
      const server = new X509Certificate(await readFile(exampleMaterial.certPath));
      expect(ca.ca).to.equal(true);
      expect(ca.subject).to.include('Bureau local CA (mail.example.test)');
      expect(server.ca).to.equal(false);
      expect(server.verify(ca.publicKey)).to.equal(true);
      expect(server.checkIssued(ca)).to.equal(true);
      expect(server.checkPrivateKey(createPrivateKey(exampleMaterial.key))).to.equal(true);
      const san = server.subjectAltName ?? '';
      for (const name of ['DNS:mail.example.test', 'DNS:localhost', 'IP Address:127.0.0.1']) expect(san).to.include(name);
      expect(server.checkIP('::1')).to.equal('::1');
      expect(server.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']); // serverAuth
      const days = (server.validToDate.getTime() - Date.now()) / 86_400_000;
      expect(days).to.be.within(820, 826);
      // localhost as the hostname is listed once
      const localSan = new X509Certificate(await readFile(localhostMaterial.certPath)).subjectAltName ?? '';
      expect(localSan.match(/DNS:localhost/g)).to.have.length(1);
    });

    it('completes a TLS handshake that trusts only ca.pem, for localhost', async function () {
      expect(await handshake(localhostMaterial, localhostMaterial.caPath!, 'localhost')).to.equal(true);
    });

    it('completes a TLS handshake that trusts only ca.pem, for a configured hostname', async function () {
      expect(await handshake(exampleMaterial, exampleMaterial.caPath!, 'mail.example.test')).to.equal(true);
      // the other CA is not trusted
      const other = await handshake(exampleMaterial, localhostMaterial.caPath!, 'mail.example.test').catch(() => false);
      expect(other).to.equal(false);
    });

    it('reuses the files on a later start', async function () {
      const before = await snapshot(localhostDir);
      const again = await loadOrCreateCertificates(local(localhostDir));
      expect(again.generated).to.equal(false);
      expect(again.cert).to.equal(localhostMaterial.cert);
      expect(again.key).to.equal(localhostMaterial.key);
      expect(await snapshot(localhostDir)).to.deep.equal(before);
    });

    it('makes a new server certificate with the same CA when the hostname changes', async function () {
      const dir = await copyOf(localhostDir);
      const before = await snapshot(dir);
      const renewed = await loadOrCreateCertificates(local(dir, 'mail.example.test'));
      expect(renewed.generated).to.equal(true);
      const after = await snapshot(dir);
      expect(after.get('ca.pem')).to.equal(before.get('ca.pem'));
      expect(after.get('ca-key.pem')).to.equal(before.get('ca-key.pem'));
      expect(after.get('server-key.pem')).to.equal(before.get('server-key.pem'));
      expect(after.get('server.pem')).not.to.equal(before.get('server.pem'));
      expect([...after.keys()]).to.deep.equal(FILES); // no temporary files left
      expect(await handshake(renewed, renewed.caPath!, 'mail.example.test')).to.equal(true);
      // and now it is stable again
      expect((await loadOrCreateCertificates(local(dir, 'mail.example.test'))).generated).to.equal(false);
    });

    it('makes a new server certificate when the current one expires within 30 days', async function () {
      const dir = await copyOf(localhostDir);
      const serverKey = await readFile(join(dir, 'server-key.pem'), 'utf8');
      const shortLived = forgeCertificate({
        publicKeyPem: createPublicKey(serverKey).export({ type: 'spki', format: 'pem' }).toString(),
        signingKeyPem: await readFile(join(dir, 'ca-key.pem'), 'utf8'),
        issuerPem: await readFile(join(dir, 'ca.pem'), 'utf8'),
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 10 * 86_400_000),
        dnsNames: ['localhost'],
      });
      await writeFile(join(dir, 'server.pem'), shortLived);
      const renewed = await loadOrCreateCertificates(local(dir));
      expect(renewed.generated).to.equal(true);
      const server = new X509Certificate(await readFile(join(dir, 'server.pem')));
      expect(server.validToDate.getTime() - Date.now()).to.be.greaterThan(800 * 86_400_000);
    });
  });

  describe('a damaged certs folder', function () {
    it('refuses a garbage server.pem in one line and leaves the files as they were', async function () {
      const dir = await copyOf(localhostDir);
      await writeFile(join(dir, 'server.pem'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a, 0xff]));
      const before = await snapshot(dir);
      const err = await expectCertificateError(loadOrCreateCertificates(local(dir)));
      expect(err.message).to.include(join(dir, 'server.pem'));
      expect(err.message).to.include('remove the certs folder');
      expect(await snapshot(dir)).to.deep.equal(before);
      // a hostname change must not tempt it into replacing the file either
      await expectCertificateError(loadOrCreateCertificates(local(dir, 'other.example.test')));
      expect(await snapshot(dir)).to.deep.equal(before);
    });

    it('refuses a set with ca-key.pem missing and creates nothing', async function () {
      const dir = await copyOf(localhostDir);
      await unlink(join(dir, 'ca-key.pem'));
      const before = await snapshot(dir);
      const err = await expectCertificateError(loadOrCreateCertificates(local(dir)));
      expect(err.message).to.include(join(dir, 'ca-key.pem'));
      expect(await snapshot(dir)).to.deep.equal(before);
    });

    it('refuses a server certificate that another CA signed', async function () {
      const dir = await copyOf(localhostDir);
      await copyFile(join(exampleDir, 'server.pem'), join(dir, 'server.pem'));
      await copyFile(join(exampleDir, 'server-key.pem'), join(dir, 'server-key.pem'));
      const err = await expectCertificateError(loadOrCreateCertificates(local(dir)));
      expect(err.message).to.include(join(dir, 'server.pem'));
      expect(err.message).to.include('not signed by the CA');
    });

    it('refuses a server key that does not match server.pem', async function () {
      const dir = await copyOf(localhostDir);
      await copyFile(join(exampleDir, 'server-key.pem'), join(dir, 'server-key.pem'));
      const err = await expectCertificateError(loadOrCreateCertificates(local(dir)));
      expect(err.message).to.include(join(dir, 'server-key.pem'));
      expect(err.message).to.include('does not match');
    });

    it('names the folder and the errno code when the certs folder cannot be made', async function () {
      const file = join(root, 'a-file');
      await writeFile(file, 'not a folder');
      const err = await expectCertificateError(loadOrCreateCertificates(local(join(file, 'certs'))));
      expect(err.message).to.include(join(file, 'certs'));
      expect(err.message).to.include('ENOTDIR');
    });
  });

  describe("the operator's certificate", function () {
    it('is returned as given, with no CA path', async function () {
      const certPath = join(exampleDir, 'server.pem');
      const keyPath = join(exampleDir, 'server-key.pem');
      const material = await loadOrCreateCertificates(operator(certPath, keyPath));
      expect(material).to.deep.equal({
        cert: await readFile(certPath, 'utf8'),
        key: await readFile(keyPath, 'utf8'),
        caPath: null,
        certPath,
        keyPath,
        generated: false,
      });
    });

    it('accepts a self-signed certificate and a chain file', async function () {
      const pair = rsaPair();
      const self = forgeCertificate({
        publicKeyPem: pair.publicKey, signingKeyPem: pair.privateKey,
        notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000),
      });
      const certPath = join(root, 'self.pem');
      const keyPath = join(root, 'self-key.pem');
      await writeFile(certPath, self);
      await writeFile(keyPath, pair.privateKey);
      expect((await loadOrCreateCertificates(operator(certPath, keyPath))).cert).to.equal(self);
      const chainPath = join(root, 'chain.pem');
      await writeFile(chainPath, exampleMaterial.cert);
      const chain = await loadOrCreateCertificates(operator(chainPath, exampleMaterial.keyPath));
      expect(chain.cert).to.equal(exampleMaterial.cert);
    });

    it('refuses a key that does not match the certificate', async function () {
      const certPath = join(exampleDir, 'server.pem');
      const keyPath = join(localhostDir, 'server-key.pem');
      const err = await expectCertificateError(loadOrCreateCertificates(operator(certPath, keyPath)));
      expect(err.message).to.equal(
        `BUREAU_TLS_KEY ${keyPath} does not match the certificate in BUREAU_TLS_CERT ${certPath}`);
    });

    it('names the path and the errno code when the certificate file is missing', async function () {
      const certPath = join(root, 'missing.pem');
      const err = await expectCertificateError(
        loadOrCreateCertificates(operator(certPath, join(exampleDir, 'server-key.pem'))));
      expect(err.message).to.include(`BUREAU_TLS_CERT ${certPath}`);
      expect(err.message).to.include('ENOENT');
    });

    it('refuses files that are not PEM', async function () {
      const garbage = join(root, 'garbage.pem');
      await writeFile(garbage, 'hello\nworld\n');
      const certErr = await expectCertificateError(
        loadOrCreateCertificates(operator(garbage, join(exampleDir, 'server-key.pem'))));
      expect(certErr.message).to.equal(`BUREAU_TLS_CERT ${garbage} is not a PEM certificate`);
      const keyErr = await expectCertificateError(
        loadOrCreateCertificates(operator(join(exampleDir, 'server.pem'), garbage)));
      expect(keyErr.message).to.include(`BUREAU_TLS_KEY ${garbage}`);
    });

    it('refuses an expired certificate and says when it expired', async function () {
      const pair = rsaPair();
      const expired = forgeCertificate({
        publicKeyPem: pair.publicKey, signingKeyPem: pair.privateKey,
        notBefore: new Date('2023-01-01T00:00:00Z'), notAfter: new Date('2024-01-01T12:00:00Z'),
      });
      const certPath = join(root, 'expired.pem');
      const keyPath = join(root, 'expired-key.pem');
      await writeFile(certPath, expired);
      await writeFile(keyPath, pair.privateKey);
      const err = await expectCertificateError(loadOrCreateCertificates(operator(certPath, keyPath)));
      expect(err.message).to.equal(`BUREAU_TLS_CERT ${certPath} expired on 2024-01-01`);
    });

    it('refuses a certificate without a key', async function () {
      const err = await expectCertificateError(loadOrCreateCertificates({
        certsDir: root, hostname: 'localhost', tlsCert: join(exampleDir, 'server.pem'), tlsKey: null,
      }));
      expect(err.message).to.include('BUREAU_TLS_KEY');
    });
  });
});
