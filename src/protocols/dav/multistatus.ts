// Writing 207 Multi-Status answers.
import type { ServerResponse } from 'node:http';
import { esc, propElement } from './xml.ts';

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  412: 'Precondition Failed', 423: 'Locked', 424: 'Failed Dependency', 507: 'Insufficient Storage',
};

export const statusLine = (status: number): string => `HTTP/1.1 ${status} ${REASONS[status] ?? ''}`.trim();

export interface PropStat {
  readonly status: number;
  /** Clark name → inner XML */
  readonly props: ReadonlyMap<string, string>;
  readonly description?: string;
  readonly condition?: string;
}

export function responseXml(href: string, propstats: readonly PropStat[]): string {
  const parts = propstats.filter((p) => p.props.size > 0).map((p) => {
    const props = [...p.props].map(([k, v]) => propElement(k, v)).join('');
    const error = p.condition ? `<D:error>${p.condition}</D:error>` : '';
    const desc = p.description ? `<D:responsedescription>${esc(p.description)}</D:responsedescription>` : '';
    return `<D:propstat><D:prop>${props}</D:prop><D:status>${statusLine(p.status)}</D:status>${error}${desc}</D:propstat>`;
  });
  return `<D:response><D:href>${esc(href)}</D:href>${parts.join('')}</D:response>`;
}

export function statusResponseXml(href: string, status: number, condition?: string): string {
  return `<D:response><D:href>${esc(href)}</D:href><D:status>${statusLine(status)}</D:status>${condition ? `<D:error>${condition}</D:error>` : ''}</D:response>`;
}

export function sendMultistatus(res: ServerResponse, responses: readonly string[]): void {
  const body = `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${responses.join('')}</D:multistatus>\n`;
  res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
