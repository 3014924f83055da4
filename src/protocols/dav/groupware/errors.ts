// Core's calendar and contact errors in CalDAV/CardDAV terms: invalid data
// and UID conflicts are 403 with the RFC 4791 / RFC 6352 precondition;
// everything else goes through the DAV core's mapping.
import { UidConflict } from '../../../core/calendar/calendars.ts';
import { InvalidCalendarData } from '../../../core/calendar/ical.ts';
import { InvalidAddressData } from '../../../core/contacts/vcard.ts';
import { DavError, fromCore } from '../errors.ts';
import { esc } from '../xml.ts';
import { CALDAV, CARDDAV } from './tree.ts';

export function groupwareError(err: unknown, tool: 'calendar' | 'contacts' | null, existingHref?: (name: string) => string): DavError {
  if (err instanceof InvalidCalendarData) return new DavError(403, err.message, { ns: CALDAV, name: err.precondition });
  if (err instanceof InvalidAddressData) return new DavError(403, err.message, { ns: CARDDAV, name: err.precondition });
  if (err instanceof UidConflict) {
    const inner = existingHref ? `<D:href>${esc(existingHref(err.existingName))}</D:href>` : '';
    return new DavError(403, err.message, { ns: tool === 'contacts' ? CARDDAV : CALDAV, name: 'no-uid-conflict', inner });
  }
  return fromCore(err);
}
