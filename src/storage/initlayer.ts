// The init layer: what every container needs at its root before it starts,
// exactly the seed's list. Entries the image already has are left as they are.
import type { BatchOp } from '../native';

export interface RootIdentity {
  uid: number;
  gid: number;
}

export const INIT_DIRS = ['/dev/pts', '/dev/shm', '/proc', '/sys'] as const;
export const INIT_FILES = [
  '/.dockerinit',
  '/.dockerenv',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/hostname',
  '/dev/console',
] as const;
export const INIT_SYMLINKS: ReadonlyArray<readonly [path: string, target: string]> = [['/etc/mtab', '/proc/mounts']];

/** The init layer as one batch; run it with the image's layers below. */
export function initLayerOps(root: RootIdentity = { uid: 0, gid: 0 }): BatchOp[] {
  const owner = { uid: root.uid, gid: root.gid };
  return [
    ...INIT_DIRS.map((path): BatchOp => ({ op: 'mkdir', path, mode: 0o755, parents: true, ...owner })),
    ...INIT_FILES.map(
      (path): BatchOp => ({ op: 'file', path, mode: 0o755, parents: true, skipExisting: true, ...owner }),
    ),
    ...INIT_SYMLINKS.map(
      ([path, target]): BatchOp => ({ op: 'symlink', path, target, parents: true, skipExisting: true, ...owner }),
    ),
  ];
}

export const initLayerId = (containerLayerId: string): string => `${containerLayerId}-init`;
