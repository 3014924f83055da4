// The ACL commands of RFC 4314, which imap-core lacks, answered from core/acl
// through the mail service: MYRIGHTS (what the account may do), GETACL (who
// may do what, for those who may share), LISTRIGHTS. Sharing itself is
// changed on the web site: SETACL and DELETEACL are refused with NOPERM.
import type { Core } from '../../core/index.ts';
import { Forbidden } from '../../core/errors.ts';
import type { ExtraCommand, ImapConnection } from './engine.ts';
import { refusal } from './hooks.ts';
import { letters, RIGHT_GROUPS } from './rights.ts';
import { createRequire } from 'node:module';

const tools = createRequire(import.meta.url)('wildduck/imap-core/lib/imap-tools.js') as { normalizeMailbox(path: string, utf7: boolean): string };

type Arg = { value?: unknown } | undefined;

/** An IMAP quoted string of a value as the client sent it (bytes as a binary string). */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function argument(parsed: { attributes?: unknown[] }, i: number): string {
  const a = parsed.attributes?.[i] as Arg;
  const v = a?.value;
  return Buffer.isBuffer(v) ? v.toString('binary') : String(v ?? '');
}

export function aclCommands(core: Core): Record<string, ExtraCommand> {
  const accountOf = (c: ImapConnection): number => {
    if (!c.session.bureau) throw new Forbidden('not logged in');
    return c.session.bureau.accountId;
  };
  const pathOf = (c: ImapConnection, raw: string): string =>
    tools.normalizeMailbox(Buffer.from(raw, 'binary').toString('utf8'), !(c as unknown as { acceptUTF8Enabled?: boolean }).acceptUTF8Enabled);
  const no = (err: unknown) => {
    const r = refusal(err);
    if (!r) throw err;
    return { untagged: [], response: 'NO' as const, code: r.code, text: Buffer.from(r.text, 'utf8').toString('binary') };
  };
  return {
    async MYRIGHTS(c, parsed) {
      const raw = argument(parsed, 0);
      if (!raw) return { untagged: [], response: 'BAD', text: 'MYRIGHTS needs a mailbox' };
      try {
        const m = await core.mail.mailboxes.find(accountOf(c), pathOf(c, raw));
        return { untagged: [`* MYRIGHTS ${quoted(raw)} ${letters(m.rights)}`], response: 'OK', text: 'MYRIGHTS completed' };
      } catch (err) {
        return no(err);
      }
    },
    async GETACL(c, parsed) {
      const raw = argument(parsed, 0);
      if (!raw) return { untagged: [], response: 'BAD', text: 'GETACL needs a mailbox' };
      try {
        const { entries } = await core.mail.mailboxes.access(accountOf(c), pathOf(c, raw));
        const list = entries.map((e) => `${quoted(Buffer.from(e.identifier, 'utf8').toString('binary'))} ${letters(e.rights) || '""'}`);
        return { untagged: [`* ACL ${quoted(raw)} ${list.join(' ')}`], response: 'OK', text: 'GETACL completed' };
      } catch (err) {
        return no(err);
      }
    },
    async LISTRIGHTS(c, parsed) {
      const raw = argument(parsed, 0);
      const identifier = argument(parsed, 1);
      if (!raw || !identifier) return { untagged: [], response: 'BAD', text: 'LISTRIGHTS needs a mailbox and an identifier' };
      try {
        await core.mail.mailboxes.find(accountOf(c), pathOf(c, raw));
        return { untagged: [`* LISTRIGHTS ${quoted(raw)} ${quoted(identifier)} "" ${RIGHT_GROUPS.join(' ')}`], response: 'OK', text: 'LISTRIGHTS completed' };
      } catch (err) {
        return no(err);
      }
    },
    async SETACL() {
      return no(new Forbidden('sharing is changed on the web site, with groups'));
    },
    async DELETEACL() {
      return no(new Forbidden('sharing is changed on the web site, with groups'));
    },
  };
}

