// Names of the filesystems a driver's home can sit on, as Docker's
// `Backing Filesystem` names them, from statfs f_type.
export const FS_MAGIC_AUFS = 0x61756673;
export const FS_MAGIC_BTRFS = 0x9123683e;
export const FS_MAGIC_ECRYPTFS = 0xf15f;
export const FS_MAGIC_OVERLAY = 0x794c7630;

// statfs f_type values, named as Docker's `Backing Filesystem` names them.
const BACKING_FS_NAMES: ReadonlyMap<number, string> = new Map([
  [0xef53, 'extfs'],
  [0x58465342, 'xfs'],
  [0x01021994, 'tmpfs'],
  [FS_MAGIC_OVERLAY, 'overlayfs'],
  [FS_MAGIC_AUFS, 'aufs'],
  [FS_MAGIC_BTRFS, 'btrfs'],
  [FS_MAGIC_ECRYPTFS, 'ecryptfs'],
  [0x2fc12fc1, 'zfs'],
  [0xf2f52010, 'f2fs'],
  [0x6969, 'nfs'],
  [0x858458f6, 'ramfs'],
]);

/** Docker's name for a backing filesystem, or its magic number in hex. */
export function backingFsName(magic: number): string {
  // f_type can arrive sign-extended from a 32-bit field.
  const type = magic >>> 0;
  return BACKING_FS_NAMES.get(type) ?? `0x${type.toString(16)}`;
}
