// Making a write survive a crash: after a file is fsynced and renamed into a
// folder, the folder itself must be fsynced, or the new name may be lost.
import { open } from 'node:fs/promises';

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
