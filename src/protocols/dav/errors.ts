// One error type for the DAV door, carrying its HTTP status and, where the
// RFCs name one, the precondition element of the DAV:error body. Core errors
// are translated here, in one place. A DAV client never gets an HTML page.
import type { ServerResponse } from 'node:http';
import {
  Conflict, Forbidden, InvalidInput, LimitReached, NotFound, PreconditionFailed, QuotaExceeded, StoreUnavailable,
} from '../../core/errors.ts';
import { DAV, esc } from './xml.ts';

export class DavError extends Error {
  override name = 'DavError';
  readonly status: number;
  /** a precondition or postcondition element (RFC 4918 section 16), e.g. { ns: DAV, name: 'lock-token-submitted' } */
  readonly condition: { readonly ns: string; readonly name: string; readonly inner?: string } | null;
  constructor(status: number, message: string, condition: DavError['condition'] = null) {
    super(message);
    this.status = status;
    this.condition = condition;
  }
}

export function fromCore(err: unknown): DavError {
  if (err instanceof DavError) return err;
  if (err instanceof NotFound) return new DavError(404, err.message);
  if (err instanceof Forbidden) return new DavError(403, err.message);
  if (err instanceof InvalidInput) return new DavError(400, err.message);
  if (err instanceof PreconditionFailed) return new DavError(412, err.message);
  if (err instanceof QuotaExceeded) return new DavError(507, err.message, { ns: DAV, name: 'quota-not-exceeded' });
  if (err instanceof LimitReached) return new DavError(403, err.message);
  if (err instanceof Conflict) return new DavError(409, err.message);
  if (err instanceof StoreUnavailable) return new DavError(503, 'the store is unavailable; try again later');
  return new DavError(500, 'the server failed to handle the request');
}

export function sendError(res: ServerResponse, err: DavError, head: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let body: string;
  let type: string;
  if (err.condition) {
    const c = err.condition;
    const el = c.ns === DAV ? `D:${c.name}` : `C:${c.name}`;
    const nsDecl = c.ns === DAV ? '' : ` xmlns:C="${esc(c.ns)}"`;
    body = `<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"${nsDecl}><${el}>${c.inner ?? ''}</${el}><D:responsedescription>${esc(err.message)}</D:responsedescription></D:error>\n`;
    type = 'application/xml; charset=utf-8';
  } else {
    body = `${err.message}\n`;
    type = 'text/plain; charset=utf-8';
  }
  const headers: Record<string, string | number> = { 'content-type': type, 'content-length': Buffer.byteLength(body) };
  if (err.status === 401) headers['www-authenticate'] = 'Basic realm="Bureau", charset="UTF-8"';
  res.writeHead(err.status, headers);
  res.end(head ? undefined : body);
}
