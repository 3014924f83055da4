// The HTTPS port serves the web site and the DAV doors side by side: this
// router sends each request to its door by path. DAV clients never reach the
// web site's pages, and the web site never answers a DAV request.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Doors {
  /** the drive (WebDAV), mounted at /files/ */
  readonly files: Handler;
  /** calendars and contacts (CalDAV, CardDAV), mounted at /dav/, with /.well-known/caldav and /.well-known/carddav */
  readonly groupware?: Handler;
  readonly site: Handler;
}

export function httpsRouter(doors: Doors): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/files' || path.startsWith('/files/') || (req.method === 'OPTIONS' && (path === '/' || path === '*'))) {
      return doors.files(req, res);
    }
    // a PROPFIND on the root comes from a CalDAV/CardDAV client looking for its principal
    if (doors.groupware && ((path === '/' && req.method === 'PROPFIND') || path === '/dav' || path.startsWith('/dav/') || /^\/\.well-known\/(caldav|carddav)\/?$/.test(path))) {
      return doors.groupware(req, res);
    }
    return doors.site(req, res);
  };
}
