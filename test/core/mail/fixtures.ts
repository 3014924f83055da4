// Real messages from ../shared/fixtures/eml (beside the project's root; CI has them there too).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const EML = resolve(import.meta.dirname, '../../../../shared/fixtures/eml');
export const fixture = (name: string): Buffer => readFileSync(resolve(EML, name));
export const fixtureNames = (): string[] => readdirSync(EML).filter((f) => f.endsWith('.eml')).sort();
