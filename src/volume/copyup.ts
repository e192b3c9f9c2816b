// Docker's copy of image content into a fresh volume: what the image has at
// the volume's destination becomes the volume's first content, and the
// volume directory takes that directory's mode and owner.
import * as fs from 'node:fs/promises';
import { copyTree } from '../native';
import { KeyedLock } from '../storage/keyed-lock';
import { invalidParameter } from '../errors';
import { resolveInRoot } from './resolve';

/**
 * 'copied': the image directory's content is now in the volume.
 * 'empty': nothing was copied, as the image directory is empty (the volume
 *   still took its mode and owner) or the volume already holds data.
 * 'absent': the image has nothing at `containerPath`.
 */
export type CopyUpOutcome = 'copied' | 'empty' | 'absent';

async function isEmptyDirectory(dir: string): Promise<boolean> {
  const handle = await fs.opendir(dir);
  try {
    return (await handle.read()) === null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Copies the directory at `containerPath` of the mounted `rootfs` (resolved
 * inside it, hostile symlinks included) into `volumeData`, only when
 * `volumeData` is empty. Symlinks are copied as symlinks, never followed;
 * modes, owners, times and xattrs are kept.
 */
export async function copyUp(rootfs: string, containerPath: string, volumeData: string): Promise<CopyUpOutcome> {
  return copiesByVolume.run(volumeData, () => copyUpUnlocked(rootfs, containerPath, volumeData));
}

// Two creates sharing a fresh named volume: the second must find the first's
// copy in place (and keep it), not a volume directory removed mid-copy.
const copiesByVolume = new KeyedLock();

async function copyUpUnlocked(rootfs: string, containerPath: string, volumeData: string): Promise<CopyUpOutcome> {
  const source = await resolveInRoot(rootfs, containerPath);
  let sourceIsDirectory: boolean;
  try {
    sourceIsDirectory = (await fs.lstat(source)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
    throw e;
  }
  if (!sourceIsDirectory) throw invalidParameter(`cannot mount volume over existing file, file exists ${source}`);

  const target = await fs.lstat(volumeData);
  if (!target.isDirectory()) throw new Error(`volume data ${volumeData} is not a directory`);
  if (!(await isEmptyDirectory(volumeData))) return 'empty';
  const sourceIsEmpty = await isEmptyDirectory(source);

  // The tree copy makes its destination, and gives it the source's mode,
  // owner and xattrs on the way: make room by removing the empty directory.
  try {
    await fs.rmdir(volumeData);
  } catch (e) {
    // Something was written into it since the check: that is data to keep.
    if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY') return 'empty';
    throw e;
  }
  try {
    await copyTree(source, volumeData);
  } catch (e) {
    // Leave the volume usable (empty, as created) rather than half filled.
    await fs.rm(volumeData, { recursive: true, force: true }).catch(() => undefined);
    await fs.mkdir(volumeData, { mode: 0o755 }).catch(() => undefined);
    await fs.chmod(volumeData, target.mode & 0o7777).catch(() => undefined);
    await fs.chown(volumeData, target.uid, target.gid).catch(() => undefined);
    throw e;
  }
  return sourceIsEmpty ? 'empty' : 'copied';
}
