// The raw surface of build/Release/berth_native.node. Only src/native/index.ts
// imports it; everyone else uses the typed wrappers there.

/** One file operation of a batch. Paths are absolute within the batch root. */
export type BatchOp =
  | { op: 'mkdir'; path: string; mode: number; uid?: number; gid?: number; parents?: boolean; skipExisting?: boolean }
  | { op: 'file'; path: string; mode: number; data?: Buffer | string; uid?: number; gid?: number; parents?: boolean; skipExisting?: boolean }
  | { op: 'symlink'; path: string; target: string; uid?: number; gid?: number; parents?: boolean; skipExisting?: boolean }
  | {
      op: 'mknod';
      path: string;
      /** File type bits included (S_IFCHR, S_IFBLK, S_IFIFO...). */
      mode: number;
      major: number;
      minor: number;
      uid?: number;
      gid?: number;
      parents?: boolean;
      skipExisting?: boolean;
    }
  | { op: 'write'; path: string; data: Buffer | string; mode: number; uid?: number; gid?: number; parents?: boolean }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'setxattr'; path: string; name: string; value: Buffer | string }
  | { op: 'remove'; path: string }
  | { op: 'rename'; path: string; target: string }
  /** A hardlink at `path` to the entry at `target`, both in the root. */
  | { op: 'link'; path: string; target: string; parents?: boolean; skipExisting?: boolean }
  /** Times as [seconds, nanoseconds]; an absent one is left as it is. Never follows a symlink. */
  | { op: 'utimes'; path: string; atime?: [number, number]; mtime?: [number, number] }
  /** fsync(2) of a file or directory in the root (after renames into a directory, so they last). */
  | { op: 'fsync'; path: string };

/** 0: done, 1: the entry existed and was left alone, 2: nothing to remove. */
export type RawOutcome = 0 | 1 | 2;

export interface RawStatfs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namelen: number;
}

export interface RawAddon {
  mount(source: string, target: string, fstype: string, flags: number, data: string): Promise<void>;
  mountIn(cwd: string, source: string, target: string, fstype: string, flags: number, data: string): Promise<void>;
  umount(target: string, flags: number): Promise<void>;
  fsMount(
    fstype: string,
    source: string | null,
    options: Array<[string, string | null]>,
    target: string | null,
    attrFlags: number,
  ): Promise<number | undefined>;
  mknod(path: string, mode: number, major: number, minor: number): Promise<void>;
  setxattr(path: string, name: string, value: Buffer, flags: number): Promise<void>;
  getxattr(path: string, name: string): Promise<Buffer>;
  statfs(path: string): Promise<RawStatfs>;
  fsync(path: string): Promise<void>;
  batch(root: string | number, ops: BatchOp[], options?: { walk?: boolean }): Promise<RawOutcome[]>;
  openInRoot(
    root: string | number,
    path: string,
    mode: number,
    options?: { parents?: boolean; uid?: number; gid?: number; walk?: boolean },
  ): Promise<number>;
  copyTree(src: string, dst: string): Promise<void>;
  lockFile(path: string): Promise<number>;
}
