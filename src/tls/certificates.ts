// TLS material for every listener. Either the operator's own certificate and key
// (BUREAU_TLS_CERT / BUREAU_TLS_KEY), checked and returned as given, or a local
// certificate authority and a server certificate signed by it, kept in the certs
// folder:
//
//   ca.pem           CA certificate; clients and tests trust this file
//   ca-key.pem       CA private key (0600)
//   server.pem       server certificate, SAN = hostname, localhost, 127.0.0.1, ::1
//   server-key.pem   server private key (0600)
//
// The first start makes all four. Later starts reuse them; when the server
// certificate no longer names the configured hostname or is about to expire, a
// new one is signed with the same CA and the same server key, so clients that
// trust ca.pem keep working and only server.pem changes (one atomic rename).
//
// Anything wrong with existing files is reported as one line and nothing on disk
// is touched: a broken certs folder is the operator's to look at, not ours to
// overwrite. Callers print `caPath`; this module prints nothing.
import {
  X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject,
} from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import forge from 'node-forge';
import { syncDir } from '../disk/durable.ts';

export class CertificateError extends Error {
  override name = 'CertificateError';
}

export interface TlsMaterial {
  /** PEM: server certificate followed by the CA certificate (the chain to send). */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
  /** CA certificate clients should trust; null when the operator configured their own certificate. */
  readonly caPath: string | null;
  readonly certPath: string;
  readonly keyPath: string;
  /** True when this call wrote new files. */
  readonly generated: boolean;
}

export interface CertificateOptions {
  readonly certsDir: string;
  readonly hostname: string;
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
}

const CA_YEARS = 10;
// 825 days is the longest lifetime Apple platforms accept for a server certificate.
const SERVER_DAYS = 825;
const RENEW_BEFORE_DAYS = 30;
// Back-date notBefore a little so a client whose clock is slightly behind accepts a fresh certificate.
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
// X.520 upper bound for commonName; longer values are not valid DER for strict parsers.
const MAX_CN = 64;

const FIX = 'remove the certs folder to make new ones, or set BUREAU_TLS_CERT and BUREAU_TLS_KEY';

export async function loadOrCreateCertificates(options: CertificateOptions): Promise<TlsMaterial> {
  if (options.tlsCert !== null || options.tlsKey !== null) {
    if (options.tlsCert === null || options.tlsKey === null) {
      throw new CertificateError('BUREAU_TLS_CERT and BUREAU_TLS_KEY: set both or neither');
    }
    return loadOperatorFiles(options.tlsCert, options.tlsKey);
  }
  return loadOrCreateLocal(resolve(options.certsDir), options.hostname.toLowerCase());
}

// ---------------------------------------------------------------------------
// Small helpers

/** Error messages are printed as one line at start; nested messages may carry newlines. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : oneLine(err instanceof Error ? err.message : String(err));
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function isPemCertificate(text: string): boolean {
  return text.includes('-----BEGIN CERTIFICATE-----');
}

function parseCertificate(text: string): X509Certificate | null {
  // X509Certificate also takes DER; TLS needs PEM, so insist on the PEM armour.
  if (!isPemCertificate(text)) return null;
  try {
    return new X509Certificate(text);
  } catch {
    return null;
  }
}

function parseKey(text: string): KeyObject | null {
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch {
    return null;
  }
}

function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // e.g. an EC key against an RSA certificate
  }
}

function signedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Whether the certificate's subjectAltName covers `hostname` (a DNS name or an IP address). */
function names(cert: X509Certificate, hostname: string): boolean {
  return isIP(hostname) !== 0
    ? cert.checkIP(hostname) !== undefined
    : cert.checkHost(hostname, { subject: 'never' }) !== undefined;
}

// ---------------------------------------------------------------------------
// Operator's certificate and key

async function readOperatorFile(label: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CertificateError(`${label} ${path} cannot be read: ${errnoOf(err)}`);
  }
}

async function loadOperatorFiles(certPath: string, keyPath: string): Promise<TlsMaterial> {
  const certText = await readOperatorFile('BUREAU_TLS_CERT', certPath);
  const keyText = await readOperatorFile('BUREAU_TLS_KEY', keyPath);
  // With a chain in the file, X509Certificate reads the first one: the leaf, which the key belongs to.
  const cert = parseCertificate(certText);
  if (cert === null) throw new CertificateError(`BUREAU_TLS_CERT ${certPath} is not a PEM certificate`);
  const key = parseKey(keyText);
  if (key === null) {
    throw new CertificateError(`BUREAU_TLS_KEY ${keyPath} is not an unencrypted PEM private key`);
  }
  if (!keyMatches(cert, key)) {
    throw new CertificateError(
      `BUREAU_TLS_KEY ${keyPath} does not match the certificate in BUREAU_TLS_CERT ${certPath}`);
  }
  if (cert.validToDate.getTime() <= Date.now()) {
    throw new CertificateError(`BUREAU_TLS_CERT ${certPath} expired on ${day(cert.validToDate)}`);
  }
  return { cert: certText, key: keyText, caPath: null, certPath, keyPath, generated: false };
}

// ---------------------------------------------------------------------------
// Local CA: paths, reading, checking

interface LocalPaths {
  readonly dir: string;
  readonly ca: string;
  readonly caKey: string;
  readonly server: string;
  readonly serverKey: string;
}

interface LocalTexts {
  readonly ca: string;
  readonly caKey: string;
  readonly server: string;
  readonly serverKey: string;
}

type FileRole = keyof LocalTexts;
const ROLES: readonly FileRole[] = ['ca', 'caKey', 'server', 'serverKey'];

function localPaths(dir: string): LocalPaths {
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    server: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
  };
}

function corrupt(path: string, problem: string): CertificateError {
  return new CertificateError(`${path} ${problem}; ${FIX}`);
}

async function exists(path: string, dir: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new CertificateError(`certs folder ${dir} cannot be read: ${errnoOf(err)}`);
  }
}

async function readLocal(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CertificateError(`${path} cannot be read: ${errnoOf(err)}`);
  }
}

interface LocalSet {
  readonly ca: X509Certificate;
  readonly server: X509Certificate;
  readonly serverKey: KeyObject;
}

/** Checks that the four files form one intact set; throws a one-line CertificateError otherwise. */
function checkLocal(paths: LocalPaths, texts: LocalTexts): LocalSet {
  const ca = parseCertificate(texts.ca);
  if (ca === null) throw corrupt(paths.ca, 'is not a PEM certificate');
  if (!ca.ca) throw corrupt(paths.ca, 'is not a CA certificate');
  const caKey = parseKey(texts.caKey);
  if (caKey === null) throw corrupt(paths.caKey, 'is not a PEM private key');
  if (!keyMatches(ca, caKey)) throw corrupt(paths.caKey, 'does not match ca.pem');
  const server = parseCertificate(texts.server);
  if (server === null) throw corrupt(paths.server, 'is not a PEM certificate');
  if (!signedBy(server, ca)) throw corrupt(paths.server, 'is not signed by the CA in ca.pem');
  const serverKey = parseKey(texts.serverKey);
  if (serverKey === null) throw corrupt(paths.serverKey, 'is not a PEM private key');
  if (!keyMatches(server, serverKey)) throw corrupt(paths.serverKey, 'does not match server.pem');
  // An expired CA cannot sign a usable server certificate, and clients reject it anyway.
  if (ca.validToDate.getTime() <= Date.now()) throw corrupt(paths.ca, `expired on ${day(ca.validToDate)}`);
  return { ca, server, serverKey };
}

function serverNeedsRenewal(server: X509Certificate, hostname: string, now: number): boolean {
  if (!names(server, hostname)) return true;
  return server.validToDate.getTime() - now < RENEW_BEFORE_DAYS * DAY_MS;
}

function material(paths: LocalPaths, serverPem: string, caPem: string, keyPem: string, generated: boolean): TlsMaterial {
  const chain = serverPem.endsWith('\n') ? serverPem + caPem : `${serverPem}\n${caPem}`;
  return { cert: chain, key: keyPem, caPath: paths.ca, certPath: paths.server, keyPath: paths.serverKey, generated };
}

async function loadOrCreateLocal(dir: string, hostname: string): Promise<TlsMaterial> {
  const paths = localPaths(dir);
  const present: FileRole[] = [];
  for (const role of ROLES) if (await exists(paths[role], dir)) present.push(role);
  if (present.length === 0) return createLocal(paths, hostname);
  if (present.length < ROLES.length) {
    const missing = ROLES.filter((role) => !present.includes(role));
    throw corrupt(paths[missing[0]!], 'is missing while other certificate files are there');
  }
  const texts: LocalTexts = {
    ca: await readLocal(paths.ca),
    caKey: await readLocal(paths.caKey),
    server: await readLocal(paths.server),
    serverKey: await readLocal(paths.serverKey),
  };
  const set = checkLocal(paths, texts);
  if (!serverNeedsRenewal(set.server, hostname, Date.now())) {
    return material(paths, texts.server, texts.ca, texts.serverKey, false);
  }
  const serverPem = renewServer(paths, texts, set.serverKey, hostname);
  await writeFiles(dir, [{ path: paths.server, text: serverPem, mode: 0o644 }]);
  return material(paths, serverPem, texts.ca, texts.serverKey, true);
}

// ---------------------------------------------------------------------------
// Making certificates (node:crypto for keys, node-forge for X.509)

interface KeyPair {
  readonly privatePem: string;
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly publicKey: forge.pki.rsa.PublicKey;
}

/** RSA 2048 from OpenSSL: forge's pure-JS key generation takes seconds. */
function newKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privatePem: privateKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
  };
}

/** 16 random bytes with the top bit clear (a positive INTEGER) and a non-zero first byte (minimal DER). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}

function commonName(text: string): string {
  return text.length <= MAX_CN ? text : text.slice(0, MAX_CN);
}

function newCertificate(publicKey: forge.pki.PublicKey, notBefore: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return cert;
}

function buildCa(hostname: string, keys: KeyPair, now: number): forge.pki.Certificate {
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const cert = newCertificate(keys.publicKey, new Date(now - CLOCK_SKEW_MS), notAfter);
  const subject = [
    { name: 'commonName', value: commonName(`Bureau local CA (${hostname})`) },
    { name: 'organizationName', value: 'Bureau' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return cert;
}

/** subjectAltName entries: the hostname plus the loopback names, each once. */
function altNames(hostname: string): { type: number; value?: string; ip?: string }[] {
  const seen = new Set<string>();
  const out: { type: number; value?: string; ip?: string }[] = [];
  for (const name of [hostname, 'localhost', '127.0.0.1', '::1']) {
    if (seen.has(name)) continue;
    seen.add(name);
    // GeneralName tags: 2 = dNSName, 7 = iPAddress
    out.push(isIP(name) !== 0 ? { type: 7, ip: name } : { type: 2, value: name });
  }
  return out;
}

function buildServer(
  hostname: string, publicKey: forge.pki.PublicKey, ca: forge.pki.Certificate, caKey: forge.pki.rsa.PrivateKey, now: number,
): forge.pki.Certificate {
  const cert = newCertificate(publicKey, new Date(now - CLOCK_SKEW_MS), new Date(now + SERVER_DAYS * DAY_MS));
  cert.setSubject([
    { name: 'commonName', value: commonName(hostname) },
    { name: 'organizationName', value: 'Bureau' },
  ]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNames(hostname) },
    { name: 'subjectKeyIdentifier' },
    // forge's `keyIdentifier: true` would take the server's own key; the issuer's is what belongs here.
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return cert;
}

function renewServer(paths: LocalPaths, texts: LocalTexts, serverKey: KeyObject, hostname: string): string {
  let ca: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  let publicKey: forge.pki.PublicKey;
  try {
    ca = forge.pki.certificateFromPem(texts.ca);
    caKey = forge.pki.privateKeyFromPem(texts.caKey);
    const spki = createPublicKey(serverKey).export({ type: 'spki', format: 'pem' }).toString();
    publicKey = forge.pki.publicKeyFromPem(spki);
  } catch (err) {
    // Files that Node accepts but forge cannot use (e.g. not RSA) were not made by Bureau.
    const why = oneLine(err instanceof Error ? err.message : String(err));
    throw corrupt(paths.dir, `holds keys that cannot sign a new server certificate (${why})`);
  }
  return forge.pki.certificateToPem(buildServer(hostname, publicKey, ca, caKey, Date.now()));
}

async function createLocal(paths: LocalPaths, hostname: string): Promise<TlsMaterial> {
  const now = Date.now();
  const caKeys = newKeyPair();
  const ca = buildCa(hostname, caKeys, now);
  const serverKeys = newKeyPair();
  const server = buildServer(hostname, serverKeys.publicKey, ca, caKeys.privateKey, now);
  const caPem = forge.pki.certificateToPem(ca);
  const serverPem = forge.pki.certificateToPem(server);
  try {
    await mkdir(paths.dir, { recursive: true });
  } catch (err) {
    throw new CertificateError(`certs folder ${paths.dir} cannot be created: ${errnoOf(err)}`);
  }
  await writeFiles(paths.dir, [
    { path: paths.caKey, text: caKeys.privatePem, mode: 0o600 },
    { path: paths.ca, text: caPem, mode: 0o644 },
    { path: paths.serverKey, text: serverKeys.privatePem, mode: 0o600 },
    { path: paths.server, text: serverPem, mode: 0o644 },
  ]);
  return material(paths, serverPem, caPem, serverKeys.privatePem, true);
}

// ---------------------------------------------------------------------------
// Atomic writes

interface PendingFile {
  readonly path: string;
  readonly text: string;
  readonly mode: number;
}

/** Writes `text` to a fresh temporary file next to `path` and fsyncs it; returns the temporary path. */
async function stage(file: PendingFile): Promise<string> {
  const tmp = `${file.path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', file.mode);
  try {
    await handle.writeFile(file.text, 'utf8');
    await handle.chmod(file.mode); // the umask may have narrowed the mode given to open
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}


/**
 * Stages every file first and renames them only once all are on disk, so a crash
 * leaves either whole old files or whole new ones; the window in which only some
 * of a set are renamed is a few syscalls, and the next start reports it.
 */
async function writeFiles(dir: string, files: readonly PendingFile[]): Promise<void> {
  const staged: string[] = [];
  try {
    for (const file of files) staged.push(await stage(file));
    for (const [i, file] of files.entries()) await rename(staged[i]!, file.path);
    staged.length = 0;
    await syncDir(dir);
  } catch (err) {
    for (const tmp of staged) await unlink(tmp).catch(() => undefined);
    throw new CertificateError(`certs folder ${dir} cannot be written: ${errnoOf(err)}`);
  }
}
