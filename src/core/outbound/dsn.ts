// Delivery status notifications (RFC 3464): a multipart/report telling the
// sender which recipients could not be reached and why, with the headers of
// the original message.
import { randomBytes } from 'node:crypto';

export interface FailedRecipient {
  readonly address: string;
  /** enhanced status code, e.g. 5.1.1 */
  readonly status: string;
  /** what the remote server (or Bureau) said */
  readonly diagnostic: string;
  readonly remoteMta?: string;
}

function headersOf(raw: Uint8Array): string {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 2 : lf >= 0 ? lf + 1 : Math.min(buf.length, 64 * 1024);
  return buf.subarray(0, Math.min(end, 64 * 1024)).toString('latin1').replace(/\r?\n/g, '\r\n');
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ').slice(0, 900);

/** "5 days", "3 hours", "12 minutes", "40 seconds": how long a message was tried. */
function duration(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1 || name === 'second') return `${Math.max(1, n)} ${name}${Math.max(1, n) === 1 ? '' : 's'}`;
  }
  return '1 second';
}

export function buildDsn(input: {
  readonly hostname: string;
  /** who receives the notification */
  readonly to: string;
  readonly original: Uint8Array;
  readonly arrivalDate: number;
  readonly failed: readonly FailedRecipient[];
  /** true when the message expired in the queue rather than being refused */
  readonly expired?: boolean;
}): Buffer {
  const boundary = `bureau-dsn-${randomBytes(12).toString('hex')}`;
  const id = `<${randomBytes(16).toString('hex')}@${input.hostname}>`;
  const list = input.failed.map((f) => `  ${f.address}: ${oneLine(f.diagnostic)}`).join('\r\n');
  const human = input.expired
    ? `Your message could not be delivered to these recipients, although it was tried for ${duration(Date.now() - input.arrivalDate)}:\r\n\r\n${list}\r\n\r\nThe message has been given up.`
    : `Your message could not be delivered to these recipients:\r\n\r\n${list}\r\n\r\nThis failure is permanent; the message will not be tried again.`;
  const perRecipient = input.failed.map((f) => [
    `Final-Recipient: rfc822; ${f.address}`,
    'Action: failed',
    `Status: ${f.status}`,
    ...(f.remoteMta ? [`Remote-MTA: dns; ${f.remoteMta}`] : []),
    `Diagnostic-Code: smtp; ${oneLine(f.diagnostic)}`,
  ].join('\r\n')).join('\r\n\r\n');
  const text = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.hostname}>`,
    `To: <${input.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${id}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    'This is a delivery status notification (RFC 3464).',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${input.hostname}`,
    `Arrival-Date: ${new Date(input.arrivalDate).toUTCString().replace('GMT', '+0000')}`,
    '',
    perRecipient,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    headersOf(input.original).replace(/\r\n$/, ''),
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return Buffer.from(text, 'utf8');
}
