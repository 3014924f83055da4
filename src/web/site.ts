// The web door, for now: a front page saying what is served here, and 404 for
// the rest. The web-site issue replaces this with the Koa application; DAV
// mounts beside it on the same HTTPS port.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SiteInfo {
  readonly hostname: string;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
} as const;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function siteHandler(info: SiteInfo) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') {
      const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bureau</title></head>` +
        `<body><h1>Bureau</h1><p>Mail, calendars, contacts and documents for ${escapeHtml(info.hostname)}.</p></body></html>\n`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const body = 'Not found\n';
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** The plain HTTP port: everything moves to HTTPS (ACME challenges will be answered here too). */
export function redirectHandler(hostname: string, httpsPort: number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
    res.writeHead(301, { location: `https://${hostname}${port}${path}`, 'content-length': 0 });
    res.end();
  };
}
