// A small browser for request-level tests of the web site: a cookie jar, forms
// sent urlencoded with the CSRF token read from the last page, no redirects
// followed unless asked.
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly location: string | null;
}

export class Browser {
  readonly cookies = new Map<string, string>();
  private readonly agent: Agent;
  private readonly port: number;
  userAgent = 'test-browser';

  constructor(port: number, ca: Buffer) {
    this.port = port;
    this.agent = new Agent({ ca, keepAlive: false });
  }

  raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.rawBytes(method, path, body === undefined ? undefined : Buffer.from(body, 'utf8'), headers);
  }

  rawBytes(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const h: Record<string, string | number> = { host: `localhost:${this.port}`, 'user-agent': this.userAgent, ...headers };
      if (this.cookies.size > 0) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      if (body !== undefined) h['content-length'] = body.length;
      const req = request({ host: '127.0.0.1', servername: 'localhost', port: this.port, method, path, headers: h, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const [pair] = c.split(';');
            const i = pair!.indexOf('=');
            const name = pair!.slice(0, i);
            const value = pair!.slice(i + 1);
            if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), location: (res.headers.location as string | undefined) ?? null });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path: string): Promise<Answer> {
    return this.raw('GET', path);
  }

  /** The CSRF token of a page (the first form's). */
  static csrf(page: Answer): string {
    const m = /name="csrf" value="([^"]+)"/.exec(page.text);
    if (!m) throw new Error(`no CSRF token on the page: ${page.text.slice(0, 300)}`);
    return m[1]!;
  }

  /** Loads `from` for its token, then posts the form to `action`. */
  async submit(from: string, action: string, fields: Record<string, string>): Promise<Answer> {
    const page = await this.get(from);
    return this.post(action, { csrf: Browser.csrf(page), ...fields });
  }

  post(action: string, fields: Record<string, string>): Promise<Answer> {
    return this.raw('POST', action, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
  }

  /** Posts a multipart/form-data form (a file upload) as a browser does: text fields, then files. */
  upload(action: string, fields: Record<string, string>, files: Record<string, { filename: string; type: string; data: Buffer }>): Promise<Answer> {
    const boundary = `----browser${Math.random().toString(16).slice(2)}`;
    const parts: Buffer[] = [];
    for (const [name, value] of Object.entries(fields)) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    }
    for (const [name, f] of Object.entries(files)) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${f.filename}"\r\nContent-Type: ${f.type}\r\n\r\n`), f.data, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.rawBytes('POST', action, Buffer.concat(parts), { 'content-type': `multipart/form-data; boundary=${boundary}` });
  }

  async login(address: string, password: string): Promise<Answer> {
    const page = await this.get('/login');
    const form = page.status === 302 ? await this.get('/') : page;
    return this.post('/login', { csrf: Browser.csrf(form), address, password });
  }
}
