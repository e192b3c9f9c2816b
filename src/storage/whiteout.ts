// Deletions recorded in a layer's diff, in the form its driver understands.
import type { BatchOp } from '../native';
import { S_IFCHR } from '../native';
import type { WhiteoutFormat } from './driver';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

function split(path: string): [dir: string, base: string] {
  const i = path.lastIndexOf('/');
  return [path.slice(0, i) || '/', path.slice(i + 1)];
}

/** Ops that hide `path` of the lower layers, applied to the diff directory. */
export function whiteoutOps(format: WhiteoutFormat, path: string): BatchOp[] {
  const [dir, base] = split(path);
  switch (format) {
    case 'overlay':
      return [{ op: 'mknod', path, mode: S_IFCHR | 0o000, major: 0, minor: 0, uid: 0, gid: 0 }];
    case 'aufs':
      return [{ op: 'file', path: `${dir === '/' ? '' : dir}/${WHITEOUT_PREFIX}${base}`, mode: 0o444 }];
    case 'none':
      return [{ op: 'remove', path }];
  }
}

/**
 * Ops that make directory `path` hide all lower children (it must exist in
 * the diff). `mode` is the directory's own mode, needed where it is remade.
 */
export function opaqueOps(format: WhiteoutFormat, path: string, mode = 0o755): BatchOp[] {
  switch (format) {
    case 'overlay':
      return [{ op: 'setxattr', path, name: OVERLAY_OPAQUE_XATTR, value: 'y' }];
    case 'aufs':
      return [{ op: 'file', path: `${path === '/' ? '' : path}/${OPAQUE_MARKER}`, mode: 0o444 }];
    case 'none':
      // A full copy holds the lower children in the same directory: start it afresh.
      return [
        { op: 'remove', path },
        { op: 'mkdir', path, mode },
      ];
  }
}
