// File and folder names every client of the drive can hold: the drive is
// mounted by Windows, macOS and Linux alike, so a name Windows cannot hold
// would break the folder for Windows users.
import { InvalidInput } from '../errors.ts';

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const FORBIDDEN_CHARS = /[<>:"/\\|?*\u0000-\u001f]/;
const MAX_NAME_BYTES = 255;

export function checkFileName(name: string): void {
  if (name === '' || name === '.' || name === '..') throw new InvalidInput('name', `${JSON.stringify(name)} is not a file name`);
  if (FORBIDDEN_CHARS.test(name)) {
    throw new InvalidInput('name', `${JSON.stringify(name)} holds a character Windows does not allow in names (< > : " / \\ | ? * or a control character)`);
  }
  if (/[. ]$/.test(name)) throw new InvalidInput('name', `${JSON.stringify(name)} ends with a dot or a space, which Windows does not allow`);
  if (RESERVED.test(name)) throw new InvalidInput('name', `${JSON.stringify(name)} is a name Windows reserves for devices`);
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw new InvalidInput('name', `a name has at most ${MAX_NAME_BYTES} bytes`);
}
