// Fresh temp roots for root integration tests, torn down even when a test
// fails: every mount under the root is detached, then the tree is removed.
import { mkdtempSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { umount, MNT_DETACH } from '../../src/native';
import { mountsUnder } from '../../src/storage/mountinfo';

export const isRoot = process.getuid?.() === 0;

/** `describe` for tests that need root; prints why they were skipped otherwise. */
export function describeAsRoot(name: string, body: () => void): void {
  if (!isRoot) {
    // eslint-disable-next-line no-console
    console.warn(`skipped "${name}": needs root (real mounts, mknod, trusted xattrs)`);
    describe.skip(name, body);
    return;
  }
  describe(name, body);
}

export function makeTempRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
}

export async function destroyTempRoot(root: string): Promise<void> {
  for (const m of await mountsUnder(root)) {
    await umount(m.mountPoint, MNT_DETACH).catch(() => undefined);
  }
  await fs.rm(root, { recursive: true, force: true });
}

/** Mount points under `dir` right now. */
export async function mountPointsUnder(dir: string): Promise<string[]> {
  return (await mountsUnder(dir)).map((m) => m.mountPoint);
}

/** A sorted listing of every path under `dir` with its type, to compare states. */
export async function snapshotTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const child = path.join(rel, e.name);
      const kind = e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isFile() ? 'f' : 'o';
      out.push(`${kind} ${child}`);
      if (e.isDirectory()) await walk(child);
    }
  }
  await walk('');
  return out.sort();
}
