// HTTP Basic authentication for DAV clients (the listener is TLS only): the
// account's address and password, checked by core with a cache of verified
// credentials, and the plan's `clients` feature.
import type { IncomingMessage } from 'node:http';
import type { Core } from '../../core/index.ts';
import type { Account } from '../../core/types.ts';
import { DavError } from './errors.ts';

export async function authenticate(core: Core, req: IncomingMessage): Promise<Account> {
  const header = req.headers.authorization;
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) throw new DavError(401, 'authentication is required: log in with your e-mail address and password');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new DavError(401, 'the credentials are malformed');
  const account = await core.accounts.authenticateRequest(decoded.slice(0, colon), decoded.slice(colon + 1), 'dav');
  if (!account) throw new DavError(401, 'the address or the password is wrong');
  if (!(await core.plans.allows(account, 'clients'))) {
    throw new DavError(403, `the plan ${account.plan} does not include access by other programs (WebDAV, CalDAV, CardDAV); use the web site, or change plans`);
  }
  return account;
}
