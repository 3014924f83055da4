// The plain HTTP port's answer. The web site itself is the Koa application of
// app.ts, served on the HTTPS port beside the DAV doors.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The plain HTTP port: everything moves to HTTPS (ACME challenges will be answered here too). */
export function redirectHandler(hostname: string, httpsPort: number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
    res.writeHead(301, { location: `https://${hostname}${port}${path}`, 'content-length': 0 });
    res.end();
  };
}
