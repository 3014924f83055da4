// The message reader (core/mail/mime.ts, text.ts, addresses.ts, message.ts):
// real messages from ../shared/fixtures/eml, and hostile ones.
import { expect } from 'chai';
import { parseAddressList } from '../../../src/core/mail/addresses.ts';
import { describeMessage, normaliseFlags, parseMailDate } from '../../../src/core/mail/message.ts';
import { MIME_LIMITS, parseMessage, parseStructured, partAt, type MimePart } from '../../../src/core/mail/mime.ts';
import { decodeQuotedPrintable, decodeWords } from '../../../src/core/mail/text.ts';
import { InvalidInput } from '../../../src/core/errors.ts';
import { fixture } from './fixtures.ts';


const shape = (p: MimePart): unknown =>
  p.parts ? [`${p.type}/${p.subtype}`, ...p.parts.map(shape)]
    : p.message ? [`${p.type}/${p.subtype}`, shape(p.message.root)] : `${p.type}/${p.subtype}`;
const text = (raw: Buffer, p: MimePart): string => raw.subarray(p.bodyStart, p.end).toString('latin1');

describe('core/mail: reading messages', () => {
  it('reads the structure of real messages from many clients', () => {
    const tb = parseMessage(fixture('thunderbird-mixed-alternative-related-attachment.eml'));
    expect(shape(tb.root)).to.deep.equal(['multipart/mixed', ['multipart/alternative', 'text/plain', ['multipart/related', 'text/html', 'image/png']], 'image/png']);
    const fw = fixture('forwarded-rfc822-with-inline-cid-image.eml');
    const fwd = parseMessage(fw);
    expect(shape(fwd.root)).to.deep.equal(['multipart/mixed', ['multipart/related', ['multipart/alternative', 'text/html'], 'image/png'], ['message/rfc822', 'text/plain']]);
    const inner = partAt(fwd.root, [2])!;
    expect(inner.message!.envelope.subject).to.equal('Another PDF');
    expect(inner.disposition).to.equal('attachment');
    const yahoo = parseMessage(fixture('yahoo-calendar-invitation-request.eml'));
    const cal = partAt(yahoo.root, [1, 3])!;
    expect([cal.type, cal.subtype, cal.encoding]).to.deep.equal(['text', 'calendar', 'base64']);
    expect(cal.params).to.deep.include(['method', 'REQUEST']);
    // part bodies end before the CRLF that belongs to the next delimiter
    const tbRaw = fixture('thunderbird-mixed-alternative-related-attachment.eml');
    const plain = partAt(tb.root, [1, 1])!;
    expect(text(tbRaw, plain)).to.match(/\n$/).and.not.to.contain('--------------');
  });

  it('keeps broken MIME readable: missing final boundary, unquoted boundaries with =, spaces around =, empty embedded message, repeated close', () => {
    const missing = fixture('missing-final-boundary.eml');
    const m = parseMessage(missing);
    expect(shape(m.root)).to.deep.equal(['multipart/alternative', 'text/plain']);
    expect(text(missing, m.root.parts![0]!)).to.equal('Some body\n');
    const oe = parseMessage(fixture('outlook-express-unquoted-boundary.eml'));
    expect(shape(oe.root)).to.deep.equal(['multipart/alternative', 'text/plain', 'text/html']);
    expect(oe.root.parts![0]!.encoding).to.equal('quoted-printable');
    const broken = parseMessage(fixture('broken-empty-rfc822-double-close-delimiter.eml'));
    expect(shape(broken.root)).to.deep.equal(['multipart/mixed', ['multipart/alternative', 'text/plain', 'text/html'], ['message/rfc822', 'text/plain']]);
    const empty = partAt(broken.root, [2])!;
    expect(empty.end - empty.bodyStart).to.equal(0);
  });

  it('decodes encoded words, RFC 2231 parameters, 8-bit headers and addresses', () => {
    const apple = parseMessage(fixture('apple-mail-rfc2231-iso-8859-1-filename.eml'));
    const jpeg = apple.root.parts![0]!;
    expect(jpeg.dispositionParams).to.deep.include(['filename', 'Eelanalüüsi päring.jpg']);
    expect(jpeg.params).to.deep.include(['name', 'Eelanalüüsi päring.jpg']);
    expect(decodeWords(apple.envelope.subject!)).to.equal('Eelanalüüsi päring');
    const netscape = parseMessage(fixture('netscape-8bit-latin1-from-header.eml'));
    expect(netscape.envelope.from).to.deep.equal([{ name: 'Ingo Lütkebohle', mailbox: 'ingo', host: 'blank.pages.de' }]);
    const w1252 = parseMessage(fixture('windows-1252-encoded-word-and-8bit-subject.eml'));
    expect(w1252.envelope.subject).to.equal('Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro');
    expect((w1252.envelope.from![0] as { name: string }).name).to.equal('Formação Frenetikpolis');
    expect(decodeWords('=?utf-8?q?caf=C3?= =?utf-8?q?=A9?= ok')).to.equal('café ok');
    expect(decodeWords('=?bogus-charset?B?w6k=?=')).to.equal('é');
    expect(parseStructured('attachment; filename*0*=utf-8\'\'a%C3%A9; filename*1=".txt"').params).to.deep.equal([['filename', 'aé.txt']]);
    expect(parseAddressList('Team: a@x.org, "B, Jr." <b@y.org>;, c@z.org (Carl), <@route:d@w.org>')).to.deep.equal([
      { group: 'Team', members: [{ name: null, mailbox: 'a', host: 'x.org' }, { name: 'B, Jr.', mailbox: 'b', host: 'y.org' }] },
      { name: 'Carl', mailbox: 'c', host: 'z.org' },
      { name: null, mailbox: 'd', host: 'w.org' },
    ]);
    expect(parseAddressList('undisclosed-recipients:;')).to.deep.equal([{ group: 'undisclosed-recipients', members: [] }]);
    expect(Buffer.from(decodeQuotedPrintable(Buffer.from('a=3Db=\r\nc=ZZ=')))).to.deep.equal(Buffer.from('a=bc=ZZ'));
    expect(parseMailDate('Sat, 12 Jul 1997 13:10:53 -0700 (PDT)')).to.equal(Date.UTC(1997, 6, 12, 20, 10, 53));
    expect(parseMailDate('not a date')).to.equal(null);
  });

  it('indexes decoded, lower-cased text of every text part and every header', () => {
    const gmail = describeMessage(fixture('gmail-iso-8859-1-encoded-words.eml'), ['\\seen', 'Work'], 1_000);
    expect(gmail.index.fields!['header:subject']).to.deep.equal(['nicolas fouché has accepted your invitation to gmail']);
    expect(gmail.index.fields!['header:to']!.join(' ')).to.contain('nicolas fouché');
    expect(gmail.index.fields!.flag).to.deep.equal(['\\seen', 'work']);
    expect(gmail.meta.flags).to.deep.equal(['\\Seen', 'Work']);
    expect(gmail.index.ranges).to.deep.include({ kind: 'internaldate', start: 1_000, end: 1_001 });
    const tb = describeMessage(fixture('thunderbird-mixed-alternative-related-attachment.eml'), [], 0);
    // quoted-printable windows-1252 text and html, decoded
    expect(tb.index.fields!.body![0]).to.contain('search for hähä').and.not.to.contain('<');
    const yahoo = describeMessage(fixture('yahoo-calendar-invitation-request.eml'), [], 0);
    // a base64 text/calendar part is text too
    expect(yahoo.index.fields!.body![0]).to.contain('begin:vcalendar');
    for (const values of Object.values(yahoo.index.fields!)) for (const v of values) expect(v).to.not.contain('\u0000');
  });

  it('refuses flags that are no IMAP flags, and keeps keywords once', () => {
    expect(normaliseFlags(['\\SEEN', 'Junk', 'junk', '$Label1'])).to.deep.equal(['\\Seen', 'Junk', '$Label1']);
    expect(() => normaliseFlags(['\\Recent'])).to.throw(InvalidInput);
    expect(() => normaliseFlags(['a b'])).to.throw(InvalidInput);
    expect(() => normaliseFlags(['x'.repeat(200)])).to.throw(InvalidInput);
  });

  it('bounds hostile structures: deep nesting, many parts, many header fields, no blank line, NUL bytes', () => {
    let deep = '';
    for (let i = 0; i < 200; i++) deep += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
    const d = parseMessage(Buffer.from(deep));
    let depth = 0;
    for (let p: MimePart | undefined = d.root; p; p = p.parts?.[0]) depth++;
    expect(depth).to.be.at.most(MIME_LIMITS.depth + 1);
    const many = `Content-Type: multipart/mixed; boundary=x\r\n\r\n${'--x\r\n\r\nhi\r\n'.repeat(10_000)}--x--\r\n`;
    expect(parseMessage(Buffer.from(many)).root.parts!.length).to.be.at.most(MIME_LIMITS.parts);
    const headers = `${'X-A: b\r\n'.repeat(50_000)}\r\nbody`;
    const h = describeMessage(Buffer.from(headers), [], 0);
    expect(h.meta.mime.bodyStart).to.equal(headers.length - 4);
    const noBlank = parseMessage(Buffer.from('Subject: only a header'));
    expect(noBlank.envelope.subject).to.equal('only a header');
    expect(noBlank.root.bodyStart).to.equal(noBlank.root.end);
    const nul = describeMessage(Buffer.from('Subject: a\u0000b\r\n\r\nx\u0000y'), [], 0);
    expect(nul.index.fields!['header:subject']).to.deep.equal(['a b']);
    expect(() => parseMessage(Buffer.alloc(0))).to.not.throw();
    expect(() => parseMessage(Buffer.from('\r\n\r\n\r\n'))).to.not.throw();
  });
});
