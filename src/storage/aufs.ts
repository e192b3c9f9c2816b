// aufs: Docker's layout under <root>/aufs. `layers/<id>` names the parent and
// then every further ancestor, one per line; `diff/<id>/` holds the layer's own
// files; `mnt/<id>/` is where get() mounts the union of those diffs.
//
// A layer exists once `diff/<id>` does: it is built as `diff/.staging-*` with
// its `layers/<id>` file already written, and renamed into place last. Removal
// renames it to `diff/.removing-*` first. open() sweeps what a crash leaves.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as native from '../native';
import type { BatchOp } from '../native';
import type { CreateOptions, GraphDriver, LayerStatus } from './driver';
import { StorageError, layerBusy, layerExists, layerNotFound, validateLayerId } from './driver';
import { KeyedLock } from './keyed-lock';
import { mountsUnder } from './mountinfo';
import { RefCounter } from './refcount';
import { FS_MAGIC_AUFS, FS_MAGIC_BTRFS, FS_MAGIC_ECRYPTFS, backingFsName } from './backing-fs';

const STAGING_PREFIX = '.staging-';
const REMOVING_PREFIX = '.removing-';
// Temp names of the native `write` op (written next to the target, then renamed).
const NATIVE_TEMP_PREFIX = '.berth-tmp-';
/** Where Docker keeps the aufs inode translation table: shared by all mounts. */
export const AUFS_DEFAULT_XINO = '/dev/shm/aufs.xino';
// The smallest Linux page: assuming it is safe on kernels with larger pages.
const DEFAULT_PAGE_SIZE = 4096;

/** Is `name` one of the filesystems in a /proc/filesystems text? */
export function filesystemListed(procFilesystems: string, name: string): boolean {
  // Each line is "[nodev]\t<name>".
  return procFilesystems.split('\n').some((line) => line.split('\t').pop()?.trim() === name);
}

/** True only when the running kernel lists aufs in /proc/filesystems. */
export async function aufsSupported(): Promise<boolean> {
  try {
    return filesystemListed(await fs.readFile('/proc/filesystems', 'utf8'), 'aufs');
  } catch {
    return false;
  }
}

/** The `layers/<id>` text: the parent, then its ancestors nearest first, one per line. */
export function formatLayersFile(ancestors: readonly string[]): string {
  for (const id of ancestors) validateLayerId(id);
  return ancestors.map((id) => `${id}\n`).join('');
}

/**
 * Reads a `layers/<id>` text back. Blank lines are skipped as Docker skips
 * them; anything that is not a layer id is refused, because each entry
 * becomes a path under `diff/`.
 */
export function parseLayersFile(text: string, source = 'layers file'): string[] {
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const id = line.trim();
    if (!id) continue;
    try {
      validateLayerId(id);
    } catch {
      throw new StorageError(`corrupt aufs ${source}: ${JSON.stringify(id)} is not a layer id`, 'EINVAL');
    }
    ids.push(id);
  }
  return ids;
}

/** The options after the branch list in the first mount: Docker's, in Docker's order. */
export function aufsMountOptions(opts: { xino?: string; dirperm1?: boolean } = {}): string {
  const xino = opts.xino ?? AUFS_DEFAULT_XINO;
  checkOptionValue(xino, 'xino path');
  return `dio,xino=${xino}${opts.dirperm1 ? ',dirperm1' : ''}`;
}

export interface AufsMountStep {
  /** 0 for the mount, MS_REMOUNT for each `append:` that follows. */
  flags: number;
  data: string;
}

export interface AufsPlanOptions {
  /** The kernel copies one page of mount data and ends it with a NUL. */
  pageSize: number;
  /** Options appended to the first mount's branch list (see aufsMountOptions). */
  extra?: string;
}

// aufs splits its options on ',', the branch list on ':' and a branch on '=':
// a path holding one of them would be read as something else.
function checkOptionValue(value: string, what: string): void {
  if (/[,:=\n\0]/.test(value)) {
    throw new StorageError(`aufs cannot take ${what} ${JSON.stringify(value)}: it contains ',', ':', '=' or a control character`, 'EINVAL');
  }
}

function checkBranch(branch: string): void {
  if (!path.isAbsolute(branch)) throw new StorageError(`aufs branch must be an absolute path: ${JSON.stringify(branch)}`, 'EINVAL');
  checkOptionValue(branch, 'branch');
}

/**
 * The mount(2) calls that stack `rwBranch` over `roBranches` (uppermost first).
 * The first step mounts as many branches as fit in one page of data; the rest
 * are appended, in order, by remounts, each of which also fits in a page.
 */
export function aufsMountPlan(rwBranch: string, roBranches: readonly string[], opts: AufsPlanOptions): AufsMountStep[] {
  if (!Number.isInteger(opts.pageSize) || opts.pageSize <= 0) {
    throw new StorageError(`invalid page size: ${opts.pageSize}`, 'EINVAL');
  }
  // The kernel overwrites the page's last byte with a NUL.
  const limit = opts.pageSize - 1;
  checkBranch(rwBranch);
  for (const branch of roBranches) checkBranch(branch);
  const extra = opts.extra?.replace(/^,+/, '') ?? '';
  const tail = extra ? `,${extra}` : '';
  const tailBytes = Buffer.byteLength(tail);

  let first = `br:${rwBranch}=rw`;
  let firstBytes = Buffer.byteLength(first);
  if (firstBytes + tailBytes > limit) {
    throw new StorageError(
      `aufs mount data too large: the read-write branch ${rwBranch} and options take ${firstBytes + tailBytes} bytes, the limit is ${limit}`,
      'EINVAL',
    );
  }
  let next = 0;
  for (; next < roBranches.length; next++) {
    const piece = `:${roBranches[next]}=ro+wh`;
    const pieceBytes = Buffer.byteLength(piece);
    // Branches must stay in order: the first that does not fit ends the list.
    if (firstBytes + pieceBytes + tailBytes > limit) break;
    first += piece;
    firstBytes += pieceBytes;
  }
  const steps: AufsMountStep[] = [{ flags: 0, data: first + tail }];

  let data = '';
  let dataBytes = 0;
  for (; next < roBranches.length; next++) {
    const piece = `append:${roBranches[next]}=ro+wh`;
    const pieceBytes = Buffer.byteLength(piece);
    if (pieceBytes > limit) {
      throw new StorageError(
        `aufs mount data too large: appending branch ${roBranches[next]} takes ${pieceBytes} bytes, the limit is ${limit}`,
        'EINVAL',
      );
    }
    if (dataBytes > 0 && dataBytes + 1 + pieceBytes > limit) {
      steps.push({ flags: native.MS_REMOUNT, data });
      data = '';
      dataBytes = 0;
    }
    data = dataBytes > 0 ? `${data},${piece}` : piece;
    dataBytes += (dataBytes > 0 ? 1 : 0) + pieceBytes;
  }
  if (dataBytes > 0) steps.push({ flags: native.MS_REMOUNT, data });
  return steps;
}

export interface AufsOptions {
  /** Mount with `dirperm1`. Left out, open() probes whether aufs takes it, as Docker does. */
  dirperm1?: boolean;
  /** The xino file of every mount (Docker's `/dev/shm/aufs.xino` by default). */
  xino?: string;
  /** Page size assumed for mount data (4096 by default). */
  pageSize?: number;
}

const randomSuffix = (): string => randomBytes(8).toString('hex');

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

// Unmounting something that is not (or no longer) mounted reaches the goal.
async function unmountQuiet(target: string): Promise<void> {
  try {
    await native.umount(target, native.MNT_DETACH);
  } catch (e) {
    const code = errorCode(e);
    if (code !== 'EINVAL' && code !== 'ENOENT') throw e;
  }
}

export class AufsDriver implements GraphDriver {
  readonly name = 'aufs' as const;
  readonly whiteoutFormat = 'aufs' as const;
  readonly mountsLayers = true;

  private readonly locks = new KeyedLock();
  private readonly refs = new RefCounter();
  /** Every layer on disk and its parent. Loaded by open(); this engine owns the root. */
  private readonly parents = new Map<string, string | null>();
  /** Layers standing on each layer, counting those still being created. */
  private readonly children = new Map<string, number>();

  // Set once open() knows whether aufs takes dirperm1.
  private mountOptions = '';
  private dirperm1 = false;

  private constructor(
    readonly home: string,
    private readonly backingFs: string,
    private readonly pageSize: number,
  ) {}

  static async open(root: string, options: AufsOptions = {}): Promise<AufsDriver> {
    if (!(await aufsSupported())) {
      throw new StorageError(
        'aufs is not supported by this kernel (no "aufs" in /proc/filesystems): load the aufs module or use the overlay2 or vfs storage driver',
        'EINVAL',
      );
    }
    const home = path.join(path.resolve(root), 'aufs');
    await fs.mkdir(home, { recursive: true, mode: 0o700 });
    const magic = (await native.statfs(home)).type >>> 0;
    const backingFs = backingFsName(magic);
    // As Docker: aufs refuses these as branches, or misbehaves on them.
    if (magic === FS_MAGIC_AUFS || magic === FS_MAGIC_BTRFS || magic === FS_MAGIC_ECRYPTFS) {
      throw new StorageError(`aufs is not supported over ${backingFs} (${home})`, 'EINVAL');
    }
    for (const sub of ['layers', 'diff', 'mnt']) await fs.mkdir(path.join(home, sub), { recursive: true, mode: 0o700 });
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const xino = options.xino ?? AUFS_DEFAULT_XINO;
    checkOptionValue(xino, 'xino path');
    const driver = new AufsDriver(home, backingFs, pageSize);
    await driver.recover();
    driver.dirperm1 = options.dirperm1 ?? (await driver.probeDirperm1(xino));
    driver.mountOptions = aufsMountOptions({ xino, dirperm1: driver.dirperm1 });
    return driver;
  }

  private layersFile(id: string): string {
    return path.join(this.home, 'layers', id);
  }

  diffPath(id: string): string {
    validateLayerId(id);
    return path.join(this.home, 'diff', id);
  }

  private mountPath(id: string): string {
    return path.join(this.home, 'mnt', id);
  }

  // The staging names live in the same directories as the layers, so that
  // commit and removal are renames within one directory.
  private stagingDiff(tag: string): string {
    return path.join(this.home, 'diff', tag);
  }

  private pin(parent: string | null): void {
    if (parent !== null) this.children.set(parent, (this.children.get(parent) ?? 0) + 1);
  }

  private unpin(parent: string | null): void {
    if (parent === null) return;
    const left = (this.children.get(parent) ?? 0) - 1;
    if (left > 0) this.children.set(parent, left);
    else this.children.delete(parent);
  }

  async exists(id: string): Promise<boolean> {
    validateLayerId(id);
    return this.parents.has(id);
  }

  private known(id: string): string | null {
    validateLayerId(id);
    const parent = this.parents.get(id);
    if (parent === undefined) throw layerNotFound(id);
    return parent;
  }

  async parent(id: string): Promise<string | null> {
    return this.known(id);
  }

  /** The layer's ancestors, nearest first, as its `layers/<id>` file lists them. */
  async ancestors(id: string): Promise<string[]> {
    this.known(id);
    const file = this.layersFile(id);
    return parseLayersFile(await fs.readFile(file, 'utf8'), file);
  }

  async list(): Promise<string[]> {
    return [...this.parents.keys()].sort();
  }

  status(): Array<[string, string]> {
    return [
      ['Root Dir', this.home],
      ['Backing Filesystem', this.backingFs],
      ['Dirs', String(this.parents.size)],
      ['Dirperm1 Supported', String(this.dirperm1)],
    ];
  }

  async layerStatus(id: string): Promise<LayerStatus> {
    const parent = this.known(id);
    const references = this.refs.get(id);
    return { id, parent, mounted: references > 0, references };
  }

  async create(id: string, parent: string | null, options: CreateOptions = {}): Promise<void> {
    return this.createLayer(id, parent, options);
  }

  // aufs has no read-only layers of its own: an image layer is a diff like any other.
  async createReadWrite(id: string, parent: string | null, options: CreateOptions = {}): Promise<void> {
    return this.createLayer(id, parent, options);
  }

  // async, so that a bad id rejects like every other failure instead of throwing.
  private async createLayer(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    validateLayerId(id);
    if (parent !== null) validateLayerId(parent);
    return this.locks.run(id, async () => {
      if (this.parents.has(id)) throw layerExists(id);
      if (parent !== null && !this.parents.has(parent)) throw layerNotFound(parent);
      // Pinned in the same tick as the check, so a remove of the parent cannot slip in between.
      this.pin(parent);
      try {
        await this.build(id, parent, options.populate ?? []);
      } catch (e) {
        this.unpin(parent);
        throw e;
      }
      this.parents.set(id, parent);
      // The rename is durable only once its directory is; a failure here is
      // an I/O error on the disk, reported although the layer is in place.
      await native.fsync(path.join(this.home, 'diff'));
    });
  }

  private async build(id: string, parent: string | null, populate: BatchOp[]): Promise<void> {
    const ancestors = parent === null ? [] : [parent, ...(await this.ancestors(parent))];
    const tag = `${STAGING_PREFIX}${randomSuffix()}`;
    const staging = this.stagingDiff(tag);
    const throughMount = populate.length > 0 && ancestors.length > 0;
    const stagingMount = path.join(this.home, 'mnt', tag);
    const target = this.diffPath(id);
    try {
      const layout: BatchOp[] = [
        { op: 'mkdir', path: `/diff/${tag}`, mode: 0o755 },
        { op: 'mkdir', path: `/mnt/${id}`, mode: 0o755, skipExisting: true },
      ];
      if (throughMount) layout.push({ op: 'mkdir', path: `/mnt/${tag}`, mode: 0o700 });
      await native.batch(this.home, layout);
      if (throughMount) {
        await this.populateThroughMount(stagingMount, staging, ancestors, populate);
      } else if (populate.length > 0) {
        // Nothing below a base layer: its diff is its whole view.
        await native.batch(staging, populate);
      }
      // The layers file must be durable before the rename that makes the layer exist.
      await native.batch(this.home, [{ op: 'write', path: `/layers/${id}`, data: formatLayersFile(ancestors), mode: 0o644 }]);
      await native.fsync(path.join(this.home, 'layers'));
      await fs.rename(staging, target);
    } catch (e) {
      // The layer never existed: take back every piece of it.
      await Promise.allSettled([
        fs.rm(staging, { recursive: true, force: true }),
        fs.rm(this.layersFile(id), { force: true }),
        fs.rmdir(this.mountPath(id)),
        fs.rmdir(stagingMount),
      ]);
      if (errorCode(e) === 'ENOTEMPTY' || errorCode(e) === 'EEXIST') {
        throw new StorageError(`cannot create layer ${id}: ${target} is in the way (${(e as Error).message})`, 'EEXIST');
      }
      throw e;
    }
  }

  private async populateThroughMount(mountPoint: string, rw: string, ancestors: string[], ops: BatchOp[]): Promise<void> {
    await this.mountBranches(mountPoint, rw, ancestors.map((a) => this.diffPath(a)));
    try {
      await native.batch(mountPoint, ops);
    } finally {
      await unmountQuiet(mountPoint);
    }
    await fs.rmdir(mountPoint);
  }

  private async mountBranches(target: string, rw: string, ro: string[], extra = this.mountOptions): Promise<void> {
    const plan = aufsMountPlan(rw, ro, { pageSize: this.pageSize, extra });
    let mounted = false;
    try {
      for (const step of plan) {
        await native.mount('none', target, 'aufs', step.flags, step.data);
        mounted = true;
      }
    } catch (e) {
      // A mount missing some of its lower branches would show a wrong tree.
      if (mounted) await unmountQuiet(target).catch(() => undefined);
      throw e;
    }
  }

  async get(id: string): Promise<string> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      this.known(id);
      const mountPoint = this.mountPath(id);
      if (this.refs.get(id) > 0) {
        this.refs.increment(id);
        return mountPoint;
      }
      const ancestors = await this.ancestors(id);
      // A base layer mounts too (one rw branch), so get() always answers mnt/<id>.
      await this.mountBranches(mountPoint, this.diffPath(id), ancestors.map((a) => this.diffPath(a)));
      this.refs.increment(id);
      return mountPoint;
    });
  }

  async put(id: string): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      this.known(id);
      // A put without a get is forgiven, as Docker forgives it.
      if (this.refs.get(id) === 0) return;
      if (this.refs.decrement(id) > 0) return;
      try {
        await unmountQuiet(this.mountPath(id));
      } catch (e) {
        this.refs.increment(id);
        throw e;
      }
    });
  }

  async remove(id: string): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      this.known(id);
      const references = this.refs.get(id);
      if (references > 0) throw layerBusy(id, `mounted with ${references} reference(s)`);
      // A mount this driver does not count (made by hand, or by another process).
      if ((await mountsUnder(this.mountPath(id))).length > 0) throw layerBusy(id, `${this.mountPath(id)} is mounted`);
      const standing = this.children.get(id) ?? 0;
      if (standing > 0) throw layerBusy(id, `${standing} layer(s) stand on it`);
      const parent = this.known(id);
      // Forgotten in the same tick as the checks, so no create can pin it from now on.
      this.parents.delete(id);
      this.unpin(parent);
      const doomed = `${REMOVING_PREFIX}${randomSuffix()}`;
      try {
        await fs.rename(this.diffPath(id), path.join(this.home, 'diff', doomed));
      } catch (e) {
        this.parents.set(id, parent);
        this.pin(parent);
        throw e;
      }
      // The layer is gone from here on. What follows is tidying that open()
      // redoes if it fails or a crash cuts it short, so failures are not the caller's.
      await Promise.allSettled([
        fs.rm(this.layersFile(id), { force: true }),
        fs.rmdir(this.mountPath(id)),
        native.batch(path.join(this.home, 'diff'), [{ op: 'remove', path: `/${doomed}` }]),
      ]);
    });
  }

  async cleanup(): Promise<void> {
    // Only what get() counted: a sweep of mnt/ would also catch the mount of
    // a create still populating, and its writes would land outside the layer.
    for (const id of this.refs.ids()) {
      await this.locks.run(id, async () => {
        await unmountQuiet(this.mountPath(id));
        this.refs.clear(id);
      });
    }
  }

  // Docker's test: can aufs mount a branch with dirperm1? Made under the
  // staging names, so a crash mid-probe is swept by the next recover().
  private async probeDirperm1(xino: string): Promise<boolean> {
    const tag = `${STAGING_PREFIX}${randomSuffix()}`;
    const branch = this.stagingDiff(tag);
    const target = path.join(this.home, 'mnt', tag);
    await native.batch(this.home, [
      { op: 'mkdir', path: `/diff/${tag}`, mode: 0o700 },
      { op: 'mkdir', path: `/mnt/${tag}`, mode: 0o700 },
    ]);
    try {
      try {
        await this.mountBranches(target, branch, [], `dirperm1,xino=${xino}`);
      } catch {
        return false;
      }
      await unmountQuiet(target);
      return true;
    } finally {
      await Promise.allSettled([fs.rm(branch, { recursive: true, force: true }), fs.rmdir(target)]);
    }
  }

  // What a crash can leave: mounts of a process that died, staged layers
  // never renamed into place (and their layers files), removals cut short.
  private async recover(): Promise<void> {
    // Only what is below mnt/: home or mnt/ itself may well be a disk mounted there on purpose.
    const mntDir = path.join(this.home, 'mnt');
    for (const m of await mountsUnder(mntDir)) {
      if (m.mountPoint !== mntDir) await unmountQuiet(m.mountPoint);
    }

    const [diffs, layerFiles, mounts] = await Promise.all(
      ['diff', 'layers', 'mnt'].map((sub) => fs.readdir(path.join(this.home, sub))),
    );
    const leftovers = diffs.filter((n) => n.startsWith(STAGING_PREFIX) || n.startsWith(REMOVING_PREFIX));
    if (leftovers.length > 0) {
      await native.batch(
        path.join(this.home, 'diff'),
        leftovers.map((n): BatchOp => ({ op: 'remove', path: `/${n}` })),
      );
    }
    const isId = (n: string): boolean => {
      try {
        validateLayerId(n);
        return true;
      } catch {
        return false;
      }
    };
    const haveDiff = new Set(diffs.filter(isId));
    const haveFile = new Set(layerFiles.filter(isId));

    const staleFiles = layerFiles.filter((n) => n.startsWith(NATIVE_TEMP_PREFIX) || (isId(n) && !haveDiff.has(n)));
    await Promise.all(staleFiles.map((n) => fs.rm(this.layersFile(n), { force: true })));
    // rmdir, never a recursive delete: a mount point that would not unmount
    // must not have the tree behind it deleted.
    const staleMounts = mounts.filter((n) => n.startsWith(STAGING_PREFIX) || (isId(n) && !haveDiff.has(n)));
    await Promise.allSettled(staleMounts.map((n) => fs.rmdir(this.mountPath(n))));

    for (const id of haveDiff) {
      // Not a state this driver writes (the file goes in before the diff):
      // not a layer, but its data is not ours to delete either.
      if (!haveFile.has(id)) continue;
      const file = this.layersFile(id);
      const ancestors = parseLayersFile(await fs.readFile(file, 'utf8'), file);
      const parent = ancestors[0] ?? null;
      this.parents.set(id, parent);
      this.pin(parent);
    }
  }
}
