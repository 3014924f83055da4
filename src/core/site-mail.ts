// The site's own messages (activation and password reset links): plain text,
// UTF-8, marked as automatic, from the site's no-reply sender.
import { randomBytes } from 'node:crypto';

export function plainMessage(from: string, to: string, subject: string, lines: readonly string[], now: number): Buffer {
  const raw = [
    `From: Bureau <${from}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Date: ${new Date(now).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${from.split('@')[1]}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'Auto-Submitted: auto-generated',
    '', lines.join('\r\n'),
  ].join('\r\n');
  return Buffer.from(raw, 'utf8');
}
