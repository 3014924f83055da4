// The site's own messages (activation and password reset links): plain text,
// UTF-8, marked as automatic, from the site's no-reply sender, in the language
// of the web request that caused them (English or French).
import { randomBytes } from 'node:crypto';

/** The languages the site's messages are written in. */
export type MailLang = 'en' | 'fr';

export interface MailText {
  readonly subject: string;
  readonly lines: readonly string[];
}

/** A header value as RFC 2047 encoded words when it is not plain ASCII (each word at most 75 characters). */
export function headerText(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

export function plainMessage(from: string, to: string, subject: string, lines: readonly string[], now: number, lang: MailLang = 'en'): Buffer {
  const raw = [
    `From: Bureau <${from}>`,
    `To: <${to}>`,
    `Subject: ${headerText(subject)}`,
    `Date: ${new Date(now).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${from.split('@')[1]}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    `Content-Language: ${lang}`,
    'Auto-Submitted: auto-generated',
    '', lines.join('\r\n'),
  ].join('\r\n');
  return Buffer.from(raw, 'utf8');
}

const hostOf = (baseUrl: string): string => baseUrl.replace(/^https:\/\//, '');

/** The message carrying a sign-up's activation link. */
export function activationMail(lang: MailLang, o: { address: string; baseUrl: string; link: string; hours: number }): MailText {
  const host = hostOf(o.baseUrl);
  if (lang === 'fr') {
    return {
      subject: `Activez votre compte ${o.address}`,
      lines: [
        'Bonjour,', '',
        `quelqu’un (vous, espérons-le) a demandé le compte ${o.address} sur ${host}`,
        'en donnant cette adresse comme la sienne. Pour activer le compte, ouvrez ce lien :', '',
        o.link, '',
        `Le lien ne fonctionne qu’une fois, pendant ${o.hours} ${o.hours === 1 ? 'heure' : 'heures'}. Si vous n’avez rien demandé, ignorez ce message :`,
        'le compte sera supprimé.', '',
      ],
    };
  }
  return {
    subject: `Activate your account ${o.address}`,
    lines: [
      'Hello,', '',
      `someone (we hope you) asked for the account ${o.address} on ${host},`,
      'giving this address as theirs. To activate the account, open this link:', '',
      o.link, '',
      `The link works once, for ${o.hours} hours. If you did not ask for it, ignore this message:`,
      'the account will be removed.', '',
    ],
  };
}

/** The message carrying a password reset link. */
export function resetMail(lang: MailLang, o: { address: string; baseUrl: string; link: string; hours: number }): MailText {
  const host = hostOf(o.baseUrl);
  if (lang === 'fr') {
    return {
      subject: `Réinitialisation du mot de passe de ${o.address}`,
      lines: [
        'Bonjour,', '',
        `quelqu’un (vous, espérons-le) a demandé à réinitialiser le mot de passe de ${o.address}`,
        `sur ${host}. Pour choisir un nouveau mot de passe, ouvrez ce lien :`, '',
        o.link, '',
        `Le lien ne fonctionne qu’une fois, pendant ${o.hours} ${o.hours === 1 ? 'heure' : 'heures'}. Toutes les sessions ouvertes du compte`,
        'prennent fin quand le nouveau mot de passe est enregistré.', '',
        'Si vous n’avez rien demandé, ignorez ce message : votre mot de passe reste inchangé.', '',
      ],
    };
  }
  return {
    subject: `Reset the password of ${o.address}`,
    lines: [
      'Hello,', '',
      `someone (we hope you) asked to reset the password of ${o.address}`,
      `on ${host}. To choose a new password, open this link:`, '',
      o.link, '',
      `The link works once, for ${o.hours} ${o.hours === 1 ? 'hour' : 'hours'}. Every open session of the account`,
      'ends when the new password is set.', '',
      'If you did not ask for it, ignore this message: your password stays as it is.', '',
    ],
  };
}
