// The one module that loads the addon. Every call captures the caller's stack
// before going native, and a rejection comes back as an fs-style error:
// code ('EEXIST'), errno (negative, as Node's), syscall, path.
import bindings from 'bindings';
import * as util from 'node:util';
import type { BatchOp, RawAddon, RawOutcome, RawStatfs } from './addon';

export type { BatchOp, RawStatfs as Statfs };

const addon = bindings('berth_native') as RawAddon;

export interface NativeError extends NodeJS.ErrnoException {
  code: string;
  errno: number;
  syscall: string;
  dest?: string;
  /** Extra words from the kernel (the fsconfig log) or which batch op failed. */
  detail?: string;
}

interface RawNativeError {
  native: true;
  errno: number;
  syscall: string;
  path?: string;
  dest?: string;
  detail?: string;
}

function isRawNativeError(e: unknown): e is RawNativeError {
  return typeof e === 'object' && e !== null && (e as { native?: unknown }).native === true;
}

const errorDescriptions = util.getSystemErrorMap();

/** Builds an error shaped like the ones node:fs rejects with. */
function systemError(errnoPositive: number, syscall: string, path?: string, dest?: string): NativeError {
  const errno = -Math.abs(errnoPositive);
  let code: string;
  try {
    code = util.getSystemErrorName(errno);
  } catch {
    code = `E${Math.abs(errno)}`;
  }
  const description = errorDescriptions.get(errno)?.[1] ?? 'unknown error';
  let message = `${code}: ${description}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message) as NativeError;
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  // The async hop loses the stack; keep the caller's to put on the rejection.
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, call);
  try {
    return await run();
  } catch (raw) {
    if (!isRawNativeError(raw)) throw raw;
    const err = systemError(raw.errno, raw.syscall, raw.path, raw.dest);
    if (raw.detail) {
      err.detail = raw.detail;
      err.message += ` (${raw.detail})`;
    }
    const callerFrames = (site.stack ?? '').split('\n').slice(1).join('\n');
    err.stack = `Error: ${err.message}\n${callerFrames}`;
    throw err;
  }
}

// mount(2) and umount2(2) flags used by berth (linux/mount.h).
export const MS_REMOUNT = 0x20;
export const MNT_DETACH = 0x2;
// File type bits for mknod.
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export function mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
  return call(() => addon.mount(source, target, fstype, flags, data));
}

/** mount(2) with `cwd` as the working directory, for relative paths in `data`. */
export function mountIn(cwd: string, source: string, target: string, fstype: string, flags: number, data: string): Promise<void> {
  return call(() => addon.mountIn(cwd, source, target, fstype, flags, data));
}

export function umount(target: string, flags = 0): Promise<void> {
  return call(() => addon.umount(target, flags));
}

export type FsOption = [key: string, value: string | null];

/**
 * Mounts with fsopen/fsconfig/fsmount. With a target the mount is attached
 * there; without, the detached mount's fd is returned (closing it releases
 * the mount).
 */
export async function fsMount(fstype: string, options: FsOption[], target: string): Promise<void>;
export async function fsMount(fstype: string, options: FsOption[]): Promise<number>;
export async function fsMount(fstype: string, options: FsOption[], target?: string): Promise<number | void> {
  const fd = await call(() => addon.fsMount(fstype, null, options, target ?? null, 0));
  if (target === undefined) {
    if (fd === undefined) throw new Error('fsMount returned no mount fd');
    return fd;
  }
}

export function mknod(path: string, mode: number, major: number, minor: number): Promise<void> {
  return call(() => addon.mknod(path, mode, major, minor));
}

export function setxattr(path: string, name: string, value: Buffer | string, flags = 0): Promise<void> {
  return call(() => addon.setxattr(path, name, Buffer.from(value), flags));
}

export function getxattr(path: string, name: string): Promise<Buffer> {
  return call(() => addon.getxattr(path, name));
}

export function statfs(path: string): Promise<RawStatfs> {
  return call(() => addon.statfs(path));
}

export function fsync(path: string): Promise<void> {
  return call(() => addon.fsync(path));
}

export type BatchOutcome = 'done' | 'existed' | 'absent';
const outcomeNames: Record<RawOutcome, BatchOutcome> = { 0: 'done', 1: 'existed', 2: 'absent' };

export interface BatchOptions {
  /** Resolve with the O_NOFOLLOW walk even where openat2 exists (tests of the fallback). */
  walk?: boolean;
}

/**
 * Applies ops in order inside `root` (a directory path or an open fd), all on
 * one worker thread. Every path resolves in the root: symlinks and ".." never
 * lead out of it. Stops at the first failure.
 */
export async function batch(root: string | number, ops: BatchOp[], options: BatchOptions = {}): Promise<BatchOutcome[]> {
  const raw = await call(() => addon.batch(root, ops, options));
  return raw.map((o) => outcomeNames[o]);
}

export interface OpenInRootOptions extends BatchOptions {
  /** Make missing parent directories (0755, owned as the file). */
  parents?: boolean;
  uid?: number;
  gid?: number;
}

/**
 * Creates a new regular file at `path` resolved in `root` (never through a
 * symlink out of it, never over an existing entry) and returns its fd, open
 * for writing: for content too large to travel in a batch. The caller closes it.
 */
export function openInRoot(root: string | number, path: string, mode: number, options: OpenInRootOptions = {}): Promise<number> {
  return call(() => addon.openInRoot(root, path, mode, options));
}

/**
 * Takes an exclusive flock(2) on `path` (created 0600 if missing) without
 * waiting and returns the fd that holds it; EWOULDBLOCK when it is held.
 * Closing the fd, or the process ending, releases it.
 */
export function lockFile(path: string): Promise<number> {
  return call(() => addon.lockFile(path));
}

/** Copies a tree faithfully (hardlinks, devices, xattrs, owners, modes, times); dst must not exist. */
export function copyTree(src: string, dst: string): Promise<void> {
  return call(() => addon.copyTree(src, dst));
}
