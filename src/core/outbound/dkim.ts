// DKIM for hosted domains: one RSA 2048 key per domain, made when the domain
// is added and kept in the store; outgoing mail from the domain is signed with
// it. Also the DNS records an operator publishes for a domain.
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import type { DkimKey, Store } from '../../store/types.ts';

export const DKIM_SELECTOR = 'bureau';

export interface DnsRecord {
  readonly name: string;
  readonly type: 'MX' | 'TXT';
  readonly value: string;
}

export class Dkim {
  private readonly store: Store;
  private readonly hostname: string;
  constructor(store: Store, hostname: string) {
    this.store = store;
    this.hostname = hostname;
  }

  /** The domain's key, made now if it has none. */
  async ensureKey(domain: string): Promise<DkimKey> {
    const name = domain.toLowerCase();
    const known = await this.store.getDkimKey(name);
    if (known) return known;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key: DkimKey = {
      domain: name,
      selector: DKIM_SELECTOR,
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      createdAt: Date.now(),
    };
    await this.store.putDkimKey(key);
    return (await this.store.getDkimKey(name)) ?? key;
  }

  /** The records to publish for a hosted domain: MX, SPF, DKIM, DMARC. */
  async records(domain: string): Promise<DnsRecord[]> {
    const key = await this.ensureKey(domain);
    const txt = `v=DKIM1; k=rsa; p=${key.publicKey}`;
    return [
      { name: `${key.domain}.`, type: 'MX', value: `10 ${this.hostname}.` },
      { name: `${key.domain}.`, type: 'TXT', value: `"v=spf1 mx a:${this.hostname} ~all"` },
      // TXT strings are at most 255 characters: the key is split into several
      { name: `${key.selector}._domainkey.${key.domain}.`, type: 'TXT', value: (txt.match(/.{1,250}/g) ?? []).map((s) => `"${s}"`).join(' ') },
      { name: `_dmarc.${key.domain}.`, type: 'TXT', value: `"v=DMARC1; p=quarantine; rua=mailto:postmaster@${key.domain}"` },
    ];
  }

  /** The DKIM-Signature header (with its line break) for a message from `domain`, or '' when the domain has no key. */
  async signature(domain: string, raw: Uint8Array): Promise<string> {
    const key = await this.store.getDkimKey(domain.toLowerCase());
    if (!key) return '';
    const result = await dkimSign(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
      canonicalization: 'relaxed/relaxed',
      algorithm: 'rsa-sha256',
      // the typings ask for the key at the top; the library signs with signatureData only
      signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey }],
    } as unknown as Parameters<typeof dkimSign>[1]);
    const signature = (result.signatures ?? '').replace(/^(\r?\n)+/, '');
    return /^DKIM-Signature:/i.test(signature) ? signature : '';
  }
}
