// Password hashing with argon2id (node:crypto, no native module) and the
// password policy. Hashes are PHC strings, so that parameters can be raised
// later and old hashes still verify.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInput } from './errors.ts';

/** OWASP's first recommended argon2id setting: 19 MiB, 2 passes, 1 lane (about 30 ms here; bench/foundation.ts prints it). */
export const ARGON2_PARAMETERS = { memory: 19_456, passes: 2, parallelism: 1, tagLength: 32 } as const;

export interface PasswordPolicy {
  readonly minLength: number;
  readonly maxLength: number;
}

function derive(password: string, salt: Buffer, p: { memory: number; passes: number; parallelism: number; tagLength: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2('argon2id', { message: password, nonce: salt, ...p }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const p = ARGON2_PARAMETERS;
  const key = await derive(password, salt, p);
  return `$argon2id$v=19$m=${p.memory},t=${p.passes},p=${p.parallelism}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Compares in constant time; a malformed hash verifies nothing. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = PHC.exec(hash);
  if (!m) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await derive(password, Buffer.from(m[4]!, 'base64'), {
    memory: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]), tagLength: expected.length,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash to verify against when the account does not exist, so that both cases take the same time. */
let decoy: Promise<string> | null = null;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64'));
  return decoy;
}

export function checkPasswordPolicy(password: string, policy: PasswordPolicy): void {
  const length = [...password].length;
  if (length < policy.minLength) {
    throw new InvalidInput('password', `the password is too short: at least ${policy.minLength} characters are needed`);
  }
  if (length > policy.maxLength) {
    throw new InvalidInput('password', `the password is too long: at most ${policy.maxLength} characters are allowed`);
  }
  if (password.trim() === '') throw new InvalidInput('password', 'the password cannot be only spaces');
  if (password.includes('\0')) throw new InvalidInput('password', 'the password cannot contain a NUL character');
}
