// A fetch for tsdav that trusts the test server's CA (Node's own fetch takes
// no CA option): node:https underneath, redirects left to the caller.
import { request } from 'node:https';

export function trustingFetch(ca: Buffer): typeof globalThis.fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? {}).forEach((v, k) => { headers[k] = v; });
    const body = init.body === undefined || init.body === null ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(init.body as ArrayBuffer);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Response>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', servername: url.hostname, port: url.port, path: url.pathname + url.search, method: init.method ?? 'GET', headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 0;
          const nobody = status === 204 || status === 304 || (status >= 100 && status < 200);
          const r = new Response(nobody ? null : Buffer.concat(chunks), { status, headers: h });
          Object.defineProperty(r, 'url', { value: url.href });
          resolve(r);
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof globalThis.fetch;
}
