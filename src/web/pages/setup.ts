// Client set-up: what mail, calendar and drive programs read to configure
// themselves, and the help pages per tool.
//   - Thunderbird autoconfig: /.well-known/autoconfig/mail/config-v1.1.xml and
//     /mail/config-v1.1.xml (what autoconfig.DOMAIN is asked), for any Host;
//   - Outlook autodiscover (POX): POST or GET /autodiscover/autodiscover.xml;
//   - an Apple configuration profile (.mobileconfig) for the logged-in account:
//     the server's own CA (when it has one), mail (IMAP in, SMTP submission
//     out), CalDAV, CardDAV; no password in it;
//   - /help, /help/mail, /help/calendars, /help/drive, /help/apple, every host
//     and port taken from the configuration.
// The machine-facing answers are a Koa middleware placed before the form and
// CSRF checks (Outlook POSTs XML, not a form).
import { createHash, X509Certificate } from 'node:crypto';
import type Koa from 'koa';
import type Router from '@koa/router';
import { render, requireAccount, type Ctx, type Site, type WebState } from '../app.ts';
import { esc, html, type Html } from '../html.ts';
import { t, th, type Lang } from '../i18n.ts';

/** Where the clients find the server: the configured hostname and ports (0: off). */
export interface ClientHosts {
  readonly hostname: string;
  readonly https: number;
  readonly imap: number;
  readonly imaps: number;
  readonly submission: number;
  readonly submissions: number;
}

const AUTODISCOVER_LIMIT = 16 * 1024;
const LOCAL_ADDRESS = /^[^\s@<>"]{1,64}@([A-Za-z0-9.-]{1,253})$/;

export function hostsOf(site: Site): ClientHosts {
  const c = site.settings.clients;
  if (c) return c;
  const url = new URL(site.settings.baseUrl);
  return { hostname: url.hostname, https: Number(url.port || 443), imap: 143, imaps: 993, submission: 587, submissions: 465 };
}

function webOrigin(h: ClientHosts): string {
  return `https://${h.hostname}${h.https === 443 ? '' : `:${h.https}`}`;
}

async function hostedDomains(site: Site): Promise<string[]> {
  const others = (await site.core.domains.list()).map((d) => d.name.toLowerCase()).filter((d) => d !== site.core.settings.domain.toLowerCase());
  return [site.core.settings.domain.toLowerCase(), ...others.sort()];
}

/** The address asked about, if well formed and on a hosted domain; '' when none was given; null when refused. */
async function askedAddress(site: Site, given: string): Promise<string | null> {
  const a = given.trim().toLowerCase();
  if (a === '') return '';
  const m = LOCAL_ADDRESS.exec(a);
  if (!m) return null;
  return (await hostedDomains(site)).includes(m[1]!) ? a : null;
}

// ---- Thunderbird autoconfig ----

export function autoconfigXml(h: ClientHosts, domains: readonly string[], address: string): string {
  const user = address || '%EMAILADDRESS%';
  const incoming: string[] = [];
  if (h.imaps) incoming.push(server('incomingServer', 'imap', h.hostname, h.imaps, 'SSL', user));
  if (h.imap) incoming.push(server('incomingServer', 'imap', h.hostname, h.imap, 'STARTTLS', user));
  const outgoing: string[] = [];
  if (h.submissions) outgoing.push(server('outgoingServer', 'smtp', h.hostname, h.submissions, 'SSL', user));
  if (h.submission) outgoing.push(server('outgoingServer', 'smtp', h.hostname, h.submission, 'STARTTLS', user));
  const origin = webOrigin(h);
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="${esc(domains[0]!)}">
${domains.map((d) => `    <domain>${esc(d)}</domain>\n`).join('')}    <displayName>Bureau (${esc(h.hostname)})</displayName>
    <displayShortName>Bureau</displayShortName>
${incoming.join('')}${outgoing.join('')}    <documentation url="${esc(origin)}/help/mail"><descr lang="en">Setting up mail for Bureau</descr></documentation>
  </emailProvider>
  <addressBook type="carddav">
    <username>${esc(user)}</username>
    <authentication>http-basic</authentication>
    <serverURL>${esc(origin)}/.well-known/carddav</serverURL>
  </addressBook>
  <calendar type="caldav">
    <username>${esc(user)}</username>
    <authentication>http-basic</authentication>
    <serverURL>${esc(origin)}/.well-known/caldav</serverURL>
  </calendar>
</clientConfig>
`;
}

function server(tag: string, type: string, host: string, port: number, socket: string, user: string): string {
  return `    <${tag} type="${type}">
      <hostname>${esc(host)}</hostname>
      <port>${port}</port>
      <socketType>${socket}</socketType>
      <authentication>password-cleartext</authentication>
      <username>${esc(user)}</username>
    </${tag}>
`;
}

// ---- Outlook autodiscover (POX) ----

const AD_RESPONSE = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
const AD_OUTLOOK = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

export function autodiscoverXml(h: ClientHosts, address: string): string {
  const protocol = (type: string, port: number, tls: 'ssl' | 'starttls'): string => `      <Protocol>
        <Type>${type}</Type>
        <Server>${esc(h.hostname)}</Server>
        <Port>${port}</Port>
        <DomainRequired>off</DomainRequired>
        <LoginName>${esc(address)}</LoginName>
        <SPA>off</SPA>
${tls === 'ssl' ? '        <SSL>on</SSL>\n' : '        <SSL>off</SSL>\n        <Encryption>TLS</Encryption>\n'}        <AuthRequired>on</AuthRequired>
${type === 'SMTP' ? '        <UsePOPAuth>on</UsePOPAuth>\n        <SMTPLast>off</SMTPLast>\n' : ''}      </Protocol>
`;
  const imap = h.imaps ? protocol('IMAP', h.imaps, 'ssl') : h.imap ? protocol('IMAP', h.imap, 'starttls') : '';
  const smtp = h.submissions ? protocol('SMTP', h.submissions, 'ssl') : h.submission ? protocol('SMTP', h.submission, 'starttls') : '';
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="${AD_RESPONSE}">
  <Response xmlns="${AD_OUTLOOK}">
    <User>
      <DisplayName>${esc(address)}</DisplayName>
    </User>
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
${imap}${smtp}    </Account>
  </Response>
</Autodiscover>
`;
}

function autodiscoverError(code: number, message: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="${AD_RESPONSE}">
  <Response>
    <Error Time="${new Date().toISOString().slice(11, 19)}" Id="1">
      <ErrorCode>${code}</ErrorCode>
      <Message>${esc(message)}</Message>
      <DebugData />
    </Error>
  </Response>
</Autodiscover>
`;
}

async function readBody(ctx: Ctx, limit: number): Promise<string | null> {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function xmlText(xml: string, local: string): string {
  const m = new RegExp(`<(?:[A-Za-z][\\w.-]*:)?${local}(?:\\s[^>]*)?>\\s*([^<]*?)\\s*</(?:[A-Za-z][\\w.-]*:)?${local}>`).exec(xml);
  return m ? m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>') : '';
}

function sendXml(ctx: Ctx, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'application/xml; charset=utf-8';
  ctx.body = body;
}

/** Autoconfig and autodiscover, before the site's forms and CSRF checks. */
export function clientSetupMiddleware(site: Site): Koa.Middleware<WebState> {
  return async (ctx, next) => {
    const path = ctx.path.toLowerCase();
    if (path === '/.well-known/autoconfig/mail/config-v1.1.xml' || path === '/mail/config-v1.1.xml') {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') { ctx.set('allow', 'GET, HEAD'); ctx.status = 405; ctx.body = ''; return; }
      const given = String(ctx.query.emailaddress ?? '');
      const address = await askedAddress(site, given);
      if (address === null) { sendXml(ctx, 404, '<?xml version="1.0" encoding="UTF-8"?>\n<error>This server hosts no such address.</error>\n'); return; }
      const domains = await hostedDomains(site);
      const own = address ? address.slice(address.indexOf('@') + 1) : domains[0]!;
      sendXml(ctx, 200, autoconfigXml(hostsOf(site), [own, ...domains.filter((d) => d !== own)], address));
      return;
    }
    if (path === '/autodiscover/autodiscover.xml') {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'POST') { ctx.set('allow', 'GET, HEAD, POST'); ctx.status = 405; ctx.body = ''; return; }
      let given = String(ctx.query.emailaddress ?? ctx.query.EmailAddress ?? '');
      if (ctx.method === 'POST') {
        const body = await readBody(ctx, AUTODISCOVER_LIMIT);
        if (body === null) { sendXml(ctx, 413, autodiscoverError(600, 'Request too large')); return; }
        const schema = xmlText(body, 'AcceptableResponseSchema');
        if (schema && schema !== AD_OUTLOOK) { sendXml(ctx, 200, autodiscoverError(600, 'Invalid Request')); return; }
        given = xmlText(body, 'EMailAddress') || given;
      }
      const address = await askedAddress(site, given);
      if (!address) { sendXml(ctx, 200, autodiscoverError(500, 'The e-mail address cannot be found.')); return; }
      // the same answer whether the address exists or not
      sendXml(ctx, 200, autodiscoverXml(hostsOf(site), address));
      return;
    }
    await next();
  };
}

// ---- Apple configuration profile ----

function uuidOf(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

type PlistValue = string | number | boolean | Uint8Array | PlistValue[] | { [k: string]: PlistValue };

function plist(v: PlistValue, indent: string): string {
  if (typeof v === 'string') return `${indent}<string>${esc(v)}</string>\n`;
  if (typeof v === 'number') return `${indent}<integer>${v}</integer>\n`;
  if (typeof v === 'boolean') return `${indent}<${v}/>\n`;
  if (v instanceof Uint8Array) return `${indent}<data>${Buffer.from(v).toString('base64')}</data>\n`;
  if (Array.isArray(v)) return `${indent}<array>\n${v.map((x) => plist(x, `${indent}  `)).join('')}${indent}</array>\n`;
  return `${indent}<dict>\n${Object.entries(v).map(([k, x]) => `${indent}  <key>${esc(k)}</key>\n${plist(x, `${indent}  `)}`).join('')}${indent}</dict>\n`;
}

/** The DER bytes of the first certificate of a PEM text; throws when it holds none. */
export function certificateDer(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).raw);
}

/**
 * The profile. `caDer`: the server's own CA certificate, installed first as a
 * com.apple.security.root payload so that the accounts after it trust the
 * server (the user still turns on full trust for it in Certificate Trust
 * Settings); null when the operator's certificate needs no local CA.
 */
export function appleProfile(h: ClientHosts, account: { id: number; address: string; name: string }, caDer: Uint8Array | null = null): string {
  const base = `${h.hostname.split('.').reverse().join('.')}.bureau.${account.id}`;
  const payload = (type: string, suffix: string, description: string, fields: Record<string, PlistValue>): Record<string, PlistValue> => ({
    PayloadType: type, PayloadVersion: 1, PayloadIdentifier: `${base}.${suffix}`, PayloadUUID: uuidOf(`${base}.${suffix}`),
    PayloadDisplayName: description, PayloadDescription: description, ...fields,
  });
  const payloads: Record<string, PlistValue>[] = [];
  if (caDer) {
    payloads.push(payload('com.apple.security.root', 'ca', `Certificate authority of ${h.hostname}`, {
      PayloadCertificateFileName: 'bureau-ca.cer', PayloadContent: caDer,
    }));
  }
  const inPort = h.imaps || h.imap;
  const outPort = h.submissions || h.submission;
  if (inPort && outPort) {
    payloads.push(payload('com.apple.mail.managed', 'mail', `Mail of ${account.address}`, {
      EmailAccountDescription: `Bureau: ${account.address}`, EmailAccountName: account.name, EmailAccountType: 'EmailTypeIMAP', EmailAddress: account.address,
      IncomingMailServerAuthentication: 'EmailAuthPassword', IncomingMailServerHostName: h.hostname, IncomingMailServerPortNumber: inPort,
      IncomingMailServerUseSSL: true, IncomingMailServerUsername: account.address,
      OutgoingMailServerAuthentication: 'EmailAuthPassword', OutgoingMailServerHostName: h.hostname, OutgoingMailServerPortNumber: outPort,
      OutgoingMailServerUseSSL: true, OutgoingMailServerUsername: account.address, OutgoingPasswordSameAsIncomingPassword: true,
    }));
  }
  payloads.push(payload('com.apple.caldav.account', 'caldav', `Calendars of ${account.address}`, {
    CalDAVAccountDescription: `Bureau calendars: ${account.address}`, CalDAVHostName: h.hostname, CalDAVPort: h.https,
    CalDAVUseSSL: true, CalDAVUsername: account.address, CalDAVPrincipalURL: `${webOrigin(h)}/.well-known/caldav`,
  }));
  payloads.push(payload('com.apple.carddav.account', 'carddav', `Contacts of ${account.address}`, {
    CardDAVAccountDescription: `Bureau contacts: ${account.address}`, CardDAVHostName: h.hostname, CardDAVPort: h.https,
    CardDAVUseSSL: true, CardDAVUsername: account.address, CardDAVPrincipalURL: `${webOrigin(h)}/.well-known/carddav`,
  }));
  const profile: Record<string, PlistValue> = {
    PayloadContent: payloads, PayloadDisplayName: `Bureau: ${account.address}`,
    PayloadDescription: `Mail, calendars and contacts of ${account.address} on ${h.hostname}. The password is asked when the profile is installed.`,
    PayloadIdentifier: base, PayloadOrganization: 'Bureau', PayloadRemovalDisallowed: false, PayloadType: 'Configuration',
    PayloadUUID: uuidOf(base), PayloadVersion: 1,
  };
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
${plist(profile, '')}</plist>
`;
}

// ---- help pages ----

function trustCa(l: Lang): Html {
  return html`<p>${th(l, 'If the server uses its own generated certificate, first make the computer trust the server\'s <code>ca.pem</code> (ask the operator for it; it is in the server\'s <code>certs</code> folder). Windows: double-click it, <em>Install Certificate</em>, <em>Local Machine</em>, <em>Trusted Root Certification Authorities</em>. macOS: open it in Keychain Access and set it to <em>Always Trust</em>. Linux: copy it to <code>/usr/local/share/ca-certificates/bureau.crt</code> and run <code>update-ca-certificates</code>.')}</p>`;
}

function helpTitle(l: Lang, tool: string): string | null {
  switch (tool) {
    case 'mail': return t(l, 'Help: mail');
    case 'calendars': return t(l, 'Help: calendars and contacts');
    case 'drive': return t(l, 'Help: the drive');
    case 'apple': return t(l, 'Help: iPhone, iPad and Mac');
    default: return null;
  }
}

function helpBody(l: Lang, tool: string, h: ClientHosts, address: string): Html | null {
  const origin = webOrigin(h);
  const user = address || t(l, 'your full address');
  const incoming = t(l, 'incoming (IMAP)');
  const outgoing = t(l, 'outgoing (SMTP)');
  switch (tool) {
    case 'mail': return html`<p>${th(l, 'Most programs set themselves up from your address and password alone: Thunderbird reads <code>{autoconfig}</code>, Outlook reads <code>{autodiscover}</code>. Otherwise, give these settings.', { autoconfig: `${origin}/.well-known/autoconfig/mail/config-v1.1.xml`, autodiscover: `${origin}/autodiscover/autodiscover.xml` })}</p>
<table><tr><th>${t(l, 'what')}</th><th>${t(l, 'server')}</th><th>${t(l, 'port')}</th><th>${t(l, 'security')}</th></tr>
${h.imaps ? html`<tr><td>${incoming}</td><td>${h.hostname}</td><td>${h.imaps}</td><td>SSL/TLS</td></tr>` : ''}
${h.imap ? html`<tr><td>${incoming}</td><td>${h.hostname}</td><td>${h.imap}</td><td>STARTTLS</td></tr>` : ''}
${h.submissions ? html`<tr><td>${outgoing}</td><td>${h.hostname}</td><td>${h.submissions}</td><td>SSL/TLS</td></tr>` : ''}
${h.submission ? html`<tr><td>${outgoing}</td><td>${h.hostname}</td><td>${h.submission}</td><td>STARTTLS</td></tr>` : ''}</table>
<p>${t(l, 'User name: {user}, for both; password: your account\'s password (normal password).', { user })}</p>`;
    case 'calendars': return html`<p>${th(l, 'CalDAV (calendars) and CardDAV (contacts) at <code>{origin}/</code>; programs find your calendars and address books through <code>{origin}/.well-known/caldav</code> and <code>{origin}/.well-known/carddav</code>. User name: {user}; password: your account\'s password.', { origin, user })}</p>
<ul><li>${th(l, 'Thunderbird: <em>New Calendar</em> → <em>On the Network</em> → user name {user}, location <code>{origin}/</code>; address books: <em>New CardDAV Address Book</em>, same location.', { origin, user })}</li>
<li>${th(l, 'Android (DAVx⁵): <em>Login with URL and user name</em>, base URL <code>{origin}/</code>.', { origin })}</li>
<li>${th(l, 'iPhone, iPad, Mac: <a href="/help/apple">install the configuration profile</a>.')}</li></ul>`;
    case 'drive': return html`<p>${th(l, 'Your documents are a network drive (WebDAV) at <code>{origin}/files/</code>, for your address and password.', { origin })}</p>
${trustCa(l)}
<h2>Windows</h2><p>${th(l, 'Explorer: <em>This PC</em> → <em>Map network drive</em> → Folder <code>{origin}/files/</code> → tick <em>Connect using different credentials</em> → your address and password. Windows refuses files over 50 MB unless <code>{key}</code> is raised (for example to <code>0xffffffff</code> for 4 GiB) and the WebClient service restarted.', { origin, key: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters\\FileSizeLimitInBytes' })}</p>
<h2>macOS</h2><p>${th(l, 'Finder: <em>Go</em> → <em>Connect to Server</em> (⌘K) → <code>{origin}/files/</code> → <em>Registered User</em> with your address and password.', { origin })}</p>
<h2>Linux</h2><p>${th(l, 'GNOME Files: <em>Other Locations</em> → <code>{davs}</code>. Or davfs2: <code>{davfs}</code>. Or rclone: <code>{rclone}</code>.', {
    davs: `davs://${h.hostname}${h.https === 443 ? '' : `:${h.https}`}/files/`,
    davfs: `sudo mount -t davfs ${origin}/files/ /mnt/bureau`,
    rclone: `rclone config create bureau webdav url=${origin}/files/ vendor=other user=${address || 'ADDRESS'} pass=$(rclone obscure PASSWORD)`,
  })}</p>`;
    case 'apple': return html`<p>${t(l, 'One profile sets up mail, calendars and contacts on an iPhone, an iPad or a Mac. It holds no password: the device asks for it while installing.')}</p>
<p>${address ? html`<a href="/setup/apple.mobileconfig">${t(l, 'Download the profile for {address}', { address })}</a>` : th(l, '<a href="/login">Log in</a> first, then come back here to download your profile.')}</p>
<p>${th(l, 'iPhone and iPad: open the downloaded file in <em>Settings</em> → <em>Profile Downloaded</em> → <em>Install</em>. Mac: double-click it, then <em>System Settings</em> → <em>Privacy &amp; Security</em> → <em>Profiles</em> → <em>Install</em>.')}</p>
${trustCa(l)}`;
    default: return null;
  }
}

export function setupRoutes(router: Router<WebState>, site: Site): void {
  const caDer = site.settings.caCertificate ? certificateDer(site.settings.caCertificate) : null;
  router.get('/setup/apple.mobileconfig', (ctx) => {
    const a = requireAccount(ctx);
    if (!a) return;
    const h = hostsOf(site);
    ctx.type = 'application/x-apple-aspen-config';
    ctx.set('content-disposition', `attachment; filename="bureau-${a.address.replace(/[^A-Za-z0-9._-]/g, '_')}.mobileconfig"`);
    ctx.body = appleProfile(h, a, caDer);
  });

  router.get('/help', (ctx) => {
    render(ctx, t(ctx.state.lang, 'Help'), helpIndex(ctx.state.lang, hostsOf(site)));
  });

  router.get('/help/:tool', (ctx, next) => {
    const l = ctx.state.lang;
    const tool = String(ctx.params.tool ?? '');
    const body = helpBody(l, tool, hostsOf(site), ctx.state.account?.address ?? '');
    const title = helpTitle(l, tool);
    if (!body || !title) return next();
    render(ctx, title, body);
  });
}

/** The help index: where each tool is, every host and port from the configuration (a port set to 0 is left out). */
function helpIndex(l: Lang, h: ClientHosts): Html {
  const origin = webOrigin(h);
  const ports = (list: [number, string][]): string => list.filter(([p]) => p > 0).map(([p, how]) => `${p} (${how})`).join(` ${t(l, 'or')} `);
  const imap = ports([[h.imaps, 'TLS'], [h.imap, 'STARTTLS']]);
  const smtp = ports([[h.submissions, 'TLS'], [h.submission, 'STARTTLS']]);
  return html`<h2>${t(l, 'Mail')}</h2><p>${imap ? t(l, 'Incoming mail (IMAP) at {host}, port {ports}.', { host: h.hostname, ports: imap }) : t(l, 'This server offers no IMAP access.')} ${smtp ? t(l, 'Outgoing mail (SMTP submission) at {host}, port {ports}.', { host: h.hostname, ports: smtp }) : t(l, 'This server offers no SMTP submission.')} ${t(l, 'The user name is your full address.')}</p>
<h2>${t(l, 'Calendars and contacts')}</h2><p>${th(l, 'CalDAV and CardDAV at <code>{origin}/</code> (found through <code>{origin}/.well-known/caldav</code> and <code>{origin}/.well-known/carddav</code>).', { origin })}</p>
<h2>${t(l, 'Documents')}</h2><p>${th(l, 'Mount <code>{origin}/files/</code> as a network drive (WebDAV).', { origin })}</p>
<h2>${t(l, 'Step by step')}</h2>${helpLinks(l)}`;
}

/** The links of the help index. */
export function helpLinks(l: Lang): Html {
  return html`<ul><li><a href="/help/mail">${t(l, 'Mail')}</a></li><li><a href="/help/calendars">${t(l, 'Calendars and contacts')}</a></li><li><a href="/help/drive">${t(l, 'The drive (Windows, macOS, Linux)')}</a></li><li><a href="/help/apple">${t(l, 'iPhone, iPad and Mac (configuration profile)')}</a></li></ul>`;
}
