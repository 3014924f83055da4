// POST of a VFREEBUSY request to the scheduling outbox (RFC 6638 §5): for
// each ATTENDEE, busy periods only, where core gives `freebusy` on that
// account's calendars (co-members); others get request-status 3.8.
import type { Core } from '../../../core/index.ts';
import { Forbidden, NotFound } from '../../../core/errors.ts';
import type { Account } from '../../../core/types.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DavError } from '../errors.ts';
import { esc } from '../xml.ts';
import { readBytes } from '../body.ts';
import { parseUtc } from './reports.ts';
import { CALDAV } from './tree.ts';

export async function postOutbox(core: Core, account: Account, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const type = String(req.headers['content-type'] ?? '');
  const text = (await readBytes(req, 1_048_576)).toString('utf8');
  if (!/text\/calendar/i.test(type) && !/BEGIN:VCALENDAR/i.test(text)) throw new DavError(415, 'the outbox takes a text/calendar VFREEBUSY request');
  const lines = text.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const value = (name: string): string | undefined => lines.find((l) => new RegExp(`^${name}[;:]`, 'i').test(l))?.replace(/^[^:]*:/, '').trim();
  if (!/BEGIN:VFREEBUSY/i.test(text)) throw new DavError(403, 'only VFREEBUSY requests can be sent from the outbox', { ns: CALDAV, name: 'valid-calendar-data' });
  let start: number | undefined;
  let end: number | undefined;
  try {
    start = parseUtc(value('DTSTART'));
    end = parseUtc(value('DTEND'));
  } catch {
    throw new DavError(403, 'DTSTART and DTEND must be UTC date-times', { ns: CALDAV, name: 'valid-calendar-data' });
  }
  if (start === undefined || end === undefined || !(end > start)) throw new DavError(403, 'the request needs DTSTART and a later DTEND', { ns: CALDAV, name: 'valid-calendar-data' });
  const attendees = lines.filter((l) => /^ATTENDEE[;:]/i.test(l)).map((l) => l.replace(/^[^:]*:/, '').trim());
  if (attendees.length === 0) throw new DavError(403, 'the request names no ATTENDEE', { ns: CALDAV, name: 'valid-calendar-data' });
  const parts: string[] = [];
  for (const a of attendees) {
    const address = a.replace(/^mailto:/i, '').toLowerCase();
    let status: string;
    let data = '';
    const target = await core.store.getAccountByAddress(address);
    if (!target) {
      status = '3.7;Invalid calendar user';
    } else {
      try {
        const fb = await core.calendar.freeBusy(account.id, { accountId: target.id }, { start, end });
        status = '2.0;Success';
        data = `<C:calendar-data>${esc(fb.text)}</C:calendar-data>`;
      } catch (err) {
        if (err instanceof Forbidden || err instanceof NotFound) status = '3.8;No authority';
        else throw err;
      }
    }
    parts.push(`<C:response><C:recipient><D:href>${esc(a)}</D:href></C:recipient><C:request-status>${status}</C:request-status>${data}</C:response>`);
  }
  const body = `<?xml version="1.0" encoding="utf-8"?>\n<C:schedule-response xmlns:D="DAV:" xmlns:C="${CALDAV}">${parts.join('')}</C:schedule-response>\n`;
  res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
