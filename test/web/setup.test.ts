// Client set-up over real HTTPS on the real server: Thunderbird autoconfig,
// Outlook autodiscover (POX), the Apple configuration profile and the help
// pages, with the configured hostname and ports. Every XML answer is parsed.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SaxesParser } from 'saxes';
import { loadOrCreateCertificates } from '../../src/tls/certificates.ts';
import { startDav, DAV_PASSWORD, DOMAIN, type DavServer } from '../support/dav.ts';
import { freePort } from '../support/server.ts';
import type { Backend } from '../support/store.ts';
import { Browser } from './client.ts';

interface Node { name: string; attributes: Record<string, string>; children: Node[]; text: string }

/** Parses XML strictly (throws when not well formed) into a tree of local names. */
function parseXml(xml: string): Node {
  const parser = new SaxesParser({ xmlns: true });
  const root: Node = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: Node[] = [root];
  parser.on('opentag', (t) => {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.attributes)) attributes[k] = typeof v === 'string' ? v : v.value;
    const n: Node = { name: t.local ?? t.name, attributes, children: [], text: '' };
    stack.at(-1)!.children.push(n);
    stack.push(n);
  });
  parser.on('text', (t) => { stack.at(-1)!.text += t; });
  parser.on('closetag', () => { stack.pop(); });
  parser.write(xml).close();
  return root.children[0]!;
}

function all(n: Node, name: string): Node[] {
  const out: Node[] = [];
  const walk = (x: Node): void => { for (const c of x.children) { if (c.name === name) out.push(c); walk(c); } };
  walk(n);
  return out;
}
const text = (n: Node, name: string): string => all(n, name)[0]?.text.trim() ?? '';

/** A plist <dict> as an object (strings, integers, booleans, arrays, dicts). */
function plistValue(n: Node): unknown {
  switch (n.name) {
    case 'dict': {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n.children.length; i += 2) o[n.children[i]!.text] = plistValue(n.children[i + 1]!);
      return o;
    }
    case 'array': return n.children.map(plistValue);
    case 'integer': return Number(n.text);
    case 'data': return Buffer.from(n.text.replace(/\s+/g, ''), 'base64');
    case 'true': return true;
    case 'false': return false;
    default: return n.text;
  }
}

const BACKENDS: Backend[] = ['sqlite', 'postgres'];

for (const backend of BACKENDS) {
  describe(`client set-up (${backend})`, function () {
    let server: DavServer;
    let imaps: number;
    let submission: number;
    const browser = (): Browser => new Browser(server.port, server.ca);

    before(async () => {
      imaps = await freePort();
      submission = await freePort();
      server = await startDav(backend, { env: { BUREAU_IMAPS_PORT: String(imaps), BUREAU_SUBMISSION_PORT: String(submission), BUREAU_SMTP_RELAY: 'smtp://127.0.0.1:9' } });
      await server.core.domains.add('other.test', (await server.account('owner')).address);
    });
    after(async () => server?.stop());

    describe('with the operator\'s own certificate', () => {
      let certs: string;
      let own: DavServer;
      let ownImaps: number;
      before(async () => {
        ownImaps = await freePort();
        // a certificate the operator brings (made here by another CA than the server's), so there is no local CA
        certs = await mkdtemp(join(tmpdir(), 'bureau-operator-certs-'));
        const made = await loadOrCreateCertificates({ certsDir: certs, hostname: 'localhost', tlsCert: null, tlsKey: null });
        own = await startDav(backend, { env: { BUREAU_TLS_CERT: made.certPath, BUREAU_TLS_KEY: made.keyPath, BUREAU_IMAPS_PORT: String(ownImaps) } });
      });
      after(async () => {
        await own?.stop();
        await rm(certs, { recursive: true, force: true });
      });

      it('leaves the CA out of the Apple profile', async () => {
        const ca = await readFile(join(certs, 'ca.pem'));
        const b = new Browser(own.port, ca);
        const bo = await own.account('bo');
        await b.login(bo.address, DAV_PASSWORD);
        const r = await b.get('/setup/apple.mobileconfig');
        expect(r.status).to.equal(200);
        const profile = plistValue(parseXml(r.text).children[0]!) as Record<string, unknown>;
        const types = (profile.PayloadContent as Record<string, unknown>[]).map((p) => p.PayloadType);
        expect(types).to.deep.equal(['com.apple.caldav.account', 'com.apple.carddav.account']);
        expect(r.text).to.not.include('<data>');
        // and its /help shows that server's own ports: IMAP over TLS only, no submission
        const help = await b.get('/help');
        expect(help.text).to.include(`port ${ownImaps} (TLS).`).and.include('This server offers no SMTP submission.');
      });
    });

    describe('Thunderbird autoconfig', () => {
      for (const path of ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml']) {
        it(`answers ${path} with the configured host, ports and user name, for any Host`, async () => {
          const b = browser();
          const r = await b.raw('GET', `${path}?emailaddress=${encodeURIComponent(`ann@${DOMAIN}`)}`, undefined, { host: `autoconfig.${DOMAIN}` });
          expect(r.status).to.equal(200);
          expect(r.headers['content-type']).to.match(/^application\/xml/);
          expect(r.headers['set-cookie']).to.equal(undefined);
          const doc = parseXml(r.text);
          expect(doc.name).to.equal('clientConfig');
          expect(doc.attributes.version).to.equal('1.1');
          const provider = all(doc, 'emailProvider')[0]!;
          expect(provider.attributes.id).to.equal(DOMAIN);
          expect(all(provider, 'domain').map((d) => d.text)).to.include(DOMAIN);
          const incoming = all(doc, 'incomingServer');
          expect(incoming).to.have.length(1); // only IMAPS is on
          expect(incoming[0]!.attributes.type).to.equal('imap');
          expect(text(incoming[0]!, 'hostname')).to.equal('localhost');
          expect(text(incoming[0]!, 'port')).to.equal(String(imaps));
          expect(text(incoming[0]!, 'socketType')).to.equal('SSL');
          expect(text(incoming[0]!, 'username')).to.equal(`ann@${DOMAIN}`);
          const outgoing = all(doc, 'outgoingServer');
          expect(outgoing).to.have.length(1);
          expect(text(outgoing[0]!, 'port')).to.equal(String(submission));
          expect(text(outgoing[0]!, 'socketType')).to.equal('STARTTLS');
          expect(text(outgoing[0]!, 'username')).to.equal(`ann@${DOMAIN}`);
          expect(text(all(doc, 'calendar')[0]!, 'serverURL')).to.equal(`https://localhost:${server.port}/.well-known/caldav`);
          expect(text(all(doc, 'addressBook')[0]!, 'serverURL')).to.equal(`https://localhost:${server.port}/.well-known/carddav`);
        });
      }

      it('uses %EMAILADDRESS% without an address, names the address\'s own domain first, and refuses other domains', async () => {
        const b = browser();
        const plain = parseXml((await b.get('/mail/config-v1.1.xml')).text);
        expect(text(all(plain, 'incomingServer')[0]!, 'username')).to.equal('%EMAILADDRESS%');
        const other = parseXml((await b.get('/mail/config-v1.1.xml?emailaddress=zoe%40other.test')).text);
        expect(all(other, 'emailProvider')[0]!.attributes.id).to.equal('other.test');
        const foreign = await b.get('/mail/config-v1.1.xml?emailaddress=x%40gmail.com');
        expect(foreign.status).to.equal(404);
        parseXml(foreign.text);
        expect((await b.get('/mail/config-v1.1.xml?emailaddress=not-an-address')).status).to.equal(404);
        expect((await b.raw('PUT', '/mail/config-v1.1.xml', 'x')).status).to.equal(405);
      });
    });

    describe('Outlook autodiscover', () => {
      const request = (address: string, schema = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'): string => `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request><EMailAddress>${address}</EMailAddress><AcceptableResponseSchema>${schema}</AcceptableResponseSchema></Request>
</Autodiscover>`;

      it('answers a POST (no CSRF token, XML body) with IMAP and SMTP settings', async () => {
        await server.account('ann');
        const r = await browser().raw('POST', '/Autodiscover/Autodiscover.xml', request(`ann@${DOMAIN}`), { 'content-type': 'text/xml' });
        expect(r.status).to.equal(200);
        const doc = parseXml(r.text);
        expect(doc.name).to.equal('Autodiscover');
        expect(text(doc, 'DisplayName')).to.equal(`ann@${DOMAIN}`);
        const protocols = all(doc, 'Protocol');
        const imap = protocols.find((p) => text(p, 'Type') === 'IMAP')!;
        const smtp = protocols.find((p) => text(p, 'Type') === 'SMTP')!;
        expect(text(imap, 'Server')).to.equal('localhost');
        expect(text(imap, 'Port')).to.equal(String(imaps));
        expect(text(imap, 'SSL')).to.equal('on');
        expect(text(imap, 'LoginName')).to.equal(`ann@${DOMAIN}`);
        expect(text(smtp, 'Port')).to.equal(String(submission));
        expect(text(smtp, 'Encryption')).to.equal('TLS');
        expect(text(smtp, 'LoginName')).to.equal(`ann@${DOMAIN}`);
      });

      it('answers a GET, and says no to foreign addresses and mobile-sync requests (without telling whether an address exists)', async () => {
        const b = browser();
        const get = parseXml((await b.get(`/autodiscover/autodiscover.xml?emailaddress=nobody%40${DOMAIN}`)).text);
        expect(text(get, 'LoginName')).to.equal(`nobody@${DOMAIN}`);
        expect(text(get, 'DisplayName')).to.equal(`nobody@${DOMAIN}`);
        const foreign = parseXml((await b.raw('POST', '/autodiscover/autodiscover.xml', request('x@gmail.com'), { 'content-type': 'text/xml' })).text);
        expect(text(foreign, 'ErrorCode')).to.equal('500');
        const mobile = parseXml((await b.raw('POST', '/autodiscover/autodiscover.xml', request(`ann@${DOMAIN}`, 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006'), { 'content-type': 'text/xml' })).text);
        expect(text(mobile, 'ErrorCode')).to.equal('600');
        const big = await b.raw('POST', '/autodiscover/autodiscover.xml', 'x'.repeat(20_000), { 'content-type': 'text/xml' });
        expect(big.status).to.equal(413);
      });
    });

    describe('Apple configuration profile', () => {
      it('sends a logged-out visitor to the login page', async () => {
        const r = await browser().get('/setup/apple.mobileconfig');
        expect(r.status).to.equal(302);
        expect(r.location).to.equal('/login');
      });

      it('holds the server\'s own CA, mail (IMAP in, SMTP submission out), CalDAV and CardDAV for the account, and no password', async () => {
        const bea = await server.account('bea');
        const b = browser();
        await b.login(bea.address, DAV_PASSWORD);
        const r = await b.get('/setup/apple.mobileconfig');
        expect(r.status).to.equal(200);
        expect(r.headers['content-type']).to.equal('application/x-apple-aspen-config');
        expect(r.headers['content-disposition']).to.match(/attachment; filename="bureau-bea_example\.test\.mobileconfig"/);
        expect(r.text).to.not.include(DAV_PASSWORD);
        expect(r.text).to.not.match(/Password<\/key>\s*<string>/);
        const doc = parseXml(r.text);
        expect(doc.name).to.equal('plist');
        const profile = plistValue(doc.children[0]!) as Record<string, unknown>;
        expect(profile.PayloadType).to.equal('Configuration');
        const payloads = profile.PayloadContent as Record<string, unknown>[];
        expect(payloads.map((p) => p.PayloadType)).to.deep.equal(['com.apple.security.root', 'com.apple.mail.managed', 'com.apple.caldav.account', 'com.apple.carddav.account']);
        // the generated CA, first, so that the accounts after it trust the server
        const root = payloads.shift()!;
        const ca = new X509Certificate(server.ca);
        const given = new X509Certificate(root.PayloadContent as Buffer);
        expect(given.fingerprint256).to.equal(ca.fingerprint256);
        expect(given.ca).to.equal(true);
        expect(root.PayloadCertificateFileName).to.match(/\.cer$/);
        const mail = payloads[0]!;
        expect(mail).to.include({
          EmailAccountType: 'EmailTypeIMAP', EmailAddress: bea.address,
          IncomingMailServerHostName: 'localhost', IncomingMailServerPortNumber: imaps, IncomingMailServerUseSSL: true, IncomingMailServerUsername: bea.address,
          OutgoingMailServerHostName: 'localhost', OutgoingMailServerPortNumber: submission, OutgoingMailServerUsername: bea.address,
        });
        expect(payloads[1]).to.include({ CalDAVHostName: 'localhost', CalDAVPort: server.port, CalDAVUseSSL: true, CalDAVUsername: bea.address });
        expect(payloads[2]).to.include({ CardDAVHostName: 'localhost', CardDAVPort: server.port, CardDAVUseSSL: true, CardDAVUsername: bea.address });
        const uuids = [profile.PayloadUUID, root.PayloadUUID, ...payloads.map((p) => p.PayloadUUID)];
        expect(new Set(uuids).size).to.equal(5);
        for (const u of uuids) expect(u).to.match(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-A[0-9A-F]{3}-[0-9A-F]{12}$/);
        for (const p of payloads) expect(Object.keys(p).filter((k) => /password/i.test(k) && k !== 'OutgoingPasswordSameAsIncomingPassword')).to.deep.equal([]);
      });
    });

    describe('help pages', () => {
      it('shows on /help only the configured host and ports (here non-standard, some turned off)', async () => {
        const index = await browser().get('/help');
        expect(index.status).to.equal(200);
        const ports = [...index.text.matchAll(/port ([\d (),A-Za-z]+?)\./g)].flatMap((m) => [...m[1]!.matchAll(/(\d+) \((TLS|STARTTLS)\)/g)].map((p) => `${p[1]} ${p[2]}`));
        expect(ports).to.deep.equal([`${imaps} TLS`, `${submission} STARTTLS`]);
        expect(index.text).to.include('Incoming mail (IMAP) at localhost').and.include('Outgoing mail (SMTP submission) at localhost');
        expect(index.text).to.include(`https://localhost:${server.port}/files/`).and.include(`https://localhost:${server.port}/.well-known/caldav`);
        expect(index.text).to.not.match(/\b(993|143|465|587)\b/);
      });

      it('has a page per tool, with the drive mounted on Windows, macOS and Linux, linked from /help', async () => {
        const b = browser();
        const index = await b.get('/help');
        for (const t of ['mail', 'calendars', 'drive', 'apple']) expect(index.text).to.include(`href="/help/${t}"`);
        const drive = await b.get('/help/drive');
        expect(drive.status).to.equal(200);
        expect(drive.text).to.include('<h2>Windows</h2>').and.include('<h2>macOS</h2>').and.include('<h2>Linux</h2>');
        expect(drive.text).to.include(`https://localhost:${server.port}/files/`).and.include(`davs://localhost:${server.port}/files/`);
        const mail = await b.get('/help/mail');
        expect(mail.text).to.include(`<td>${imaps}</td>`).and.include(`<td>${submission}</td>`);
        expect((await b.get('/help/apple')).text).to.include('href="/login"');
        expect((await b.get('/help/nothing')).status).to.equal(404);
        const cal = await browser().get('/help/calendars');
        expect(cal.text).to.include('/.well-known/caldav');
      });
    });
  });
}
