// overlay2: Docker's layout under <root>/overlay2. Each layer has `diff/`
// (its own files), `link` (a 26-character name in `l/`), and when it has a
// parent, `lower` (the `l/` names of its ancestors, uppermost first) and
// `work/` and `merged/` (the mount point, made with the layer and kept).
//
// Mounting uses the new mount API where the kernel has `lowerdir+` (no limit
// on the number of layers), else mount(2) with short relative `l/` paths so
// that 128 lowers stay under the page-size limit.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as native from '../native';
import type { BatchOp } from '../native';
import type { CreateOptions, GraphDriver, LayerStatus } from './driver';
import { StorageError, layerBusy, layerExists, layerNotFound, validateLayerId } from './driver';
import { KeyedLock } from './keyed-lock';
import { mountsUnder } from './mountinfo';
import { PopulateCache } from './populate-cache';
import { RefCounter } from './refcount';
import { FS_MAGIC_OVERLAY, backingFsName } from './backing-fs';

/** 127 image layers plus the init layer, as Docker's overlay2 allows. */
export const OVERLAY_MAX_DEPTH = 128;
const LINK_DIR = 'l';
const LINK_LENGTH = 26;
const STAGING_PREFIX = '.staging-';
const REMOVING_PREFIX = '.removing-';
const PAGE_SIZE = 4096;

export type MountApi = 'new' | 'legacy';

export interface Overlay2Options {
  /** 'auto' (default) probes the kernel; 'legacy' forces mount(2) even where the new API exists. */
  mountApi?: 'auto' | MountApi;
}

interface LayerMeta {
  link: string;
  /** `l/` names of the ancestors, uppermost first; empty for a base layer. */
  lowers: string[];
}

interface Probe {
  mountApi: MountApi;
  indexOff: boolean;
  backingFs: string;
}

// Docker's short links are base32 (A-Z, 2-7): valid in any path and case-safe.
function newLinkName(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(LINK_LENGTH);
  let out = '';
  for (const b of bytes) out += alphabet[b & 31];
  return out;
}

const randomSuffix = (): string => randomBytes(8).toString('hex');


async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export async function overlaySupported(): Promise<boolean> {
  try {
    return /\toverlay\n/.test(await fs.readFile('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Mounts a throwaway overlay in `dir` to learn whether overlay works on this
 * filesystem and whether the kernel takes `lowerdir+`. Leaves nothing behind.
 */
export async function probeOverlay(dir: string, wanted: 'auto' | MountApi = 'auto'): Promise<Probe> {
  if (!(await overlaySupported())) throw new StorageError('overlay is not supported by this kernel', 'EINVAL');
  const backing = await native.statfs(path.dirname(dir));
  if (backing.type === FS_MAGIC_OVERLAY) {
    throw new StorageError(`overlay cannot stack on ${path.dirname(dir)}: it is itself an overlay`, 'EINVAL');
  }
  const indexOff = await pathExists('/sys/module/overlay/parameters/index');
  const probe = path.join(dir, `${STAGING_PREFIX}probe-${randomSuffix()}`);
  const [lower1, lower2, upper, work, merged] = ['l1', 'l2', 'u', 'w', 'm'].map((n) => path.join(probe, n));
  await fs.mkdir(probe, { recursive: true, mode: 0o700 });
  try {
    await Promise.all([lower1, lower2, upper, work, merged].map((d) => fs.mkdir(d)));
    if (wanted !== 'legacy') {
      try {
        const fd = await native.fsMount('overlay', [
          ...(indexOff ? ([['index', 'off']] as native.FsOption[]) : []),
          ['lowerdir+', lower1],
          ['lowerdir+', lower2],
          ['upperdir', upper],
          ['workdir', work],
        ]);
        closeSync(fd);
        return { mountApi: 'new', indexOff, backingFs: backingFsName(backing.type) };
      } catch (e) {
        if (wanted === 'new') throw e;
      }
    }
    const data = `${indexOff ? 'index=off,' : ''}lowerdir=${lower1}:${lower2},upperdir=${upper},workdir=${work}`;
    await native.mount('overlay', merged, 'overlay', 0, data);
    await native.umount(merged, 0);
    return { mountApi: 'legacy', indexOff, backingFs: backingFsName(backing.type) };
  } finally {
    await fs.rm(probe, { recursive: true, force: true });
  }
}

export class Overlay2Driver implements GraphDriver {
  readonly name = 'overlay2' as const;
  readonly whiteoutFormat = 'overlay' as const;
  readonly mountsLayers = true;

  private readonly locks = new KeyedLock();
  private readonly refs = new RefCounter();
  private readonly meta = new Map<string, LayerMeta>();
  private readonly populated = new PopulateCache();

  private constructor(
    readonly home: string,
    readonly mountApi: MountApi,
    private readonly indexOff: boolean,
    private readonly backingFs: string,
  ) {}

  static async open(root: string, options: Overlay2Options = {}): Promise<Overlay2Driver> {
    const home = path.join(path.resolve(root), 'overlay2');
    await fs.mkdir(path.join(home, LINK_DIR), { recursive: true, mode: 0o700 });
    await fs.chmod(home, 0o710);
    const probe = await probeOverlay(home, options.mountApi ?? 'auto');
    const driver = new Overlay2Driver(home, probe.mountApi, probe.indexOff, probe.backingFs);
    await driver.recover();
    return driver;
  }

  private dir(id: string): string {
    return path.join(this.home, id);
  }

  diffPath(id: string): string {
    return path.join(this.home, id, 'diff');
  }

  private mergedPath(id: string): string {
    return path.join(this.home, id, 'merged');
  }

  async exists(id: string): Promise<boolean> {
    validateLayerId(id);
    if (this.meta.has(id)) return true;
    return pathExists(path.join(this.dir(id), 'link'));
  }

  private async readMeta(id: string): Promise<LayerMeta> {
    validateLayerId(id);
    const cached = this.meta.get(id);
    if (cached) return cached;
    let link: string;
    try {
      link = (await fs.readFile(path.join(this.dir(id), 'link'), 'utf8')).trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw layerNotFound(id);
      throw e;
    }
    let lowers: string[] = [];
    try {
      const lower = (await fs.readFile(path.join(this.dir(id), 'lower'), 'utf8')).trim();
      lowers = lower ? lower.split(':').map((l) => l.slice(LINK_DIR.length + 1)) : [];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const meta = { link, lowers };
    this.meta.set(id, meta);
    return meta;
  }

  create(id: string, parent: string | null, options: CreateOptions = {}): Promise<void> {
    return this.createLayer(id, parent, options);
  }

  createReadWrite(id: string, parent: string | null, options: CreateOptions = {}): Promise<void> {
    return this.createLayer(id, parent, options);
  }

  // The layer is built under a staging name and renamed into place, so a
  // crash leaves either nothing or a whole layer; recover() sweeps staging.
  private async createLayer(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      // Only the cache is asked: a layer it does not know makes the final
      // rename fail (ENOTEMPTY), which saves every create a lookup on disk.
      if (this.meta.has(id)) throw layerExists(id);
      const lowers = parent === null ? [] : await this.parentLowers(parent);
      if (lowers.length > OVERLAY_MAX_DEPTH) {
        throw new StorageError(`max depth exceeded: ${parent} already has ${lowers.length - 1} ancestors`, 'EINVAL');
      }
      const link = newLinkName();
      const staging = `${STAGING_PREFIX}${id}-${randomSuffix()}`;
      const stagingDiff = path.join(this.home, staging, 'diff');
      const populate = options.populate ?? [];
      const opsHash = parent !== null && populate.length > 0 ? PopulateCache.hash(populate) : null;
      const source = parent !== null && opsHash !== null ? this.populated.find(parent, opsHash) : undefined;
      const layout: BatchOp[] = [
        { op: 'mkdir', path: staging, mode: 0o710 },
        { op: 'file', path: `${staging}/link`, mode: 0o644, data: link },
      ];
      // A copy of another layer's diff brings its own directory.
      if (source === undefined) layout.push({ op: 'mkdir', path: `${staging}/diff`, mode: 0o755 });
      if (lowers.length > 0) {
        layout.push(
          { op: 'mkdir', path: `${staging}/work`, mode: 0o700 },
          // Made now, in the same batch, so that get() is a single mount call.
          { op: 'mkdir', path: `${staging}/merged`, mode: 0o700 },
          { op: 'file', path: `${staging}/lower`, mode: 0o644, data: lowers.map((l) => `${LINK_DIR}/${l}`).join(':') },
        );
      }
      const commit: BatchOp[] = [
        { op: 'symlink', path: `${LINK_DIR}/${link}`, target: `../${id}/diff` },
        { op: 'rename', path: staging, target: id },
      ];
      try {
        if (populate.length === 0) {
          // Nothing to fill in: the whole layer is one native call.
          await native.batch(this.home, [...layout, ...commit]);
        } else {
          await native.batch(this.home, layout);
          if (source !== undefined && (await this.copyDiff(source, stagingDiff))) {
            // The same ops over the same parent: the diff is a copy of `source`'s.
          } else {
            if (source !== undefined) await fs.mkdir(stagingDiff, { mode: 0o755 });
            await this.populate(path.join(this.home, staging), lowers, populate);
          }
          await native.batch(this.home, commit);
        }
      } catch (e) {
        await fs.rm(path.join(this.home, staging), { recursive: true, force: true });
        await fs.rm(path.join(this.home, LINK_DIR, link), { force: true });
        if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw layerExists(id);
        }
        throw e;
      }
      this.meta.set(id, { link, lowers });
      if (parent !== null && opsHash !== null) this.populated.remember(parent, opsHash, id);
    });
  }

  // The source may be removed while it is copied: then the create goes the
  // long way, through a mount.
  private async copyDiff(source: string, diff: string): Promise<boolean> {
    try {
      await native.copyTree(this.diffPath(source), diff);
      return true;
    } catch (e) {
      await fs.rm(diff, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  private async parentLowers(parent: string): Promise<string[]> {
    let meta: LayerMeta;
    try {
      meta = await this.readMeta(parent);
    } catch (e) {
      if (e instanceof StorageError && e.code === 'ENOENT') throw layerNotFound(parent);
      throw e;
    }
    return [meta.link, ...meta.lowers];
  }

  // Runs ops against the union of a staged layer and its lowers. With the new
  // mount API the overlay is never attached anywhere: the batch resolves paths
  // from the detached mount's fd, and closing the fd releases it.
  private async populate(layerDir: string, lowers: string[], ops: BatchOp[]): Promise<void> {
    const diff = path.join(layerDir, 'diff');
    if (lowers.length === 0) {
      await native.batch(diff, ops);
      return;
    }
    const work = path.join(layerDir, 'work');
    if (this.mountApi === 'new') {
      const fd = await native.fsMount('overlay', this.newApiOptions(lowers, diff, work));
      try {
        await native.batch(fd, ops);
      } finally {
        // Closing the last fd of a detached mount releases it.
        closeSync(fd);
      }
      return;
    }
    const merged = path.join(layerDir, 'merged');
    const rel = path.relative(this.home, layerDir);
    await this.legacyMount(lowers, `${rel}/diff`, `${rel}/work`, `${rel}/merged`);
    try {
      await native.batch(merged, ops);
    } finally {
      await native.umount(merged, 0);
    }
  }

  private newApiOptions(lowers: string[], upper: string, work: string): native.FsOption[] {
    const options: native.FsOption[] = [];
    if (this.indexOff) options.push(['index', 'off']);
    for (const link of lowers) options.push(['lowerdir+', path.join(this.home, LINK_DIR, link)]);
    options.push(['upperdir', upper], ['workdir', work]);
    return options;
  }

  /** mount(2) data with absolute paths when it fits, else relative to home (as Docker does). */
  legacyMountData(lowers: string[], upperRel: string, workRel: string, relative: boolean): string {
    const base = relative ? '' : `${this.home}/`;
    const lowerdir = lowers.map((l) => `${base}${LINK_DIR}/${l}`).join(':');
    const index = this.indexOff ? 'index=off,' : '';
    return `${index}lowerdir=${lowerdir},upperdir=${base}${upperRel},workdir=${base}${workRel}`;
  }

  private async legacyMount(lowers: string[], upperRel: string, workRel: string, targetRel: string): Promise<void> {
    const absolute = this.legacyMountData(lowers, upperRel, workRel, false);
    if (absolute.length < PAGE_SIZE) {
      await native.mount('overlay', path.join(this.home, targetRel), 'overlay', 0, absolute);
      return;
    }
    const relative = this.legacyMountData(lowers, upperRel, workRel, true);
    if (relative.length >= PAGE_SIZE) {
      throw new StorageError(`cannot mount layer, mount data too large (${relative.length} bytes)`, 'EINVAL');
    }
    await native.mountIn(this.home, 'overlay', targetRel, 'overlay', 0, relative);
  }

  async get(id: string): Promise<string> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      const meta = await this.readMeta(id);
      // Whoever mounts a layer may change it: diffs derived from it are stale.
      this.populated.forget(id);
      // A base layer has nothing to stack: its diff is its view.
      if (meta.lowers.length === 0) {
        this.refs.increment(id);
        return this.diffPath(id);
      }
      const merged = this.mergedPath(id);
      if (this.refs.increment(id) > 1) return merged;
      const mount = (): Promise<void> =>
        this.mountApi === 'new'
          ? native.fsMount('overlay', this.newApiOptions(meta.lowers, this.diffPath(id), path.join(this.dir(id), 'work')), merged)
          : this.legacyMount(meta.lowers, `${id}/diff`, `${id}/work`, `${id}/merged`);
      try {
        // `merged` is made with the layer and outlives its mounts, so a get
        // is one native call; a layer from an older root may lack it.
        await mount().catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT' || (await pathExists(merged))) throw e;
          await fs.mkdir(merged, { mode: 0o700 });
          await mount();
        });
      } catch (e) {
        this.refs.decrement(id);
        throw e;
      }
      return merged;
    });
  }

  async put(id: string): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      const meta = await this.readMeta(id);
      if (this.refs.get(id) === 0) return;
      if (this.refs.decrement(id) > 0 || meta.lowers.length === 0) return;
      await this.unmountMerged(id);
    });
  }

  private async unmountMerged(id: string): Promise<void> {
    const merged = this.mergedPath(id);
    try {
      await native.umount(merged, native.MNT_DETACH);
    } catch (e) {
      // Not mounted (EINVAL) or already gone (ENOENT): the goal is reached.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOENT') throw e;
    }
  }

  async remove(id: string): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      const meta = await this.readMeta(id);
      if (this.refs.get(id) > 0) throw layerBusy(id, `mounted with ${this.refs.get(id)} reference(s)`);
      // The rename makes the layer vanish at once; the slow delete after it
      // is finished by recover() if a crash interrupts it.
      const doomed = `${REMOVING_PREFIX}${id}-${randomSuffix()}`;
      this.populated.forget(id);
      await fs.rename(this.dir(id), path.join(this.home, doomed));
      this.meta.delete(id);
      await fs.rm(path.join(this.home, LINK_DIR, meta.link), { force: true });
      await fs.rm(path.join(this.home, doomed), { recursive: true, force: true });
    });
  }

  async parent(id: string): Promise<string | null> {
    const meta = await this.readMeta(id);
    if (meta.lowers.length === 0) return null;
    const target = await fs.readlink(path.join(this.home, LINK_DIR, meta.lowers[0]));
    // `../<id>/diff`
    return path.basename(path.dirname(target));
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(this.home);
    return names.filter((n) => n !== LINK_DIR && !n.startsWith('.'));
  }

  status(): Array<[string, string]> {
    return [
      ['Root Dir', this.home],
      ['Backing Filesystem', this.backingFs],
      ['Supports d_type', 'true'],
      ['Native Overlay Diff', 'true'],
      ['Mount API', this.mountApi === 'new' ? 'fsopen (lowerdir+)' : 'mount(2)'],
    ];
  }

  async layerStatus(id: string): Promise<LayerStatus> {
    const meta = await this.readMeta(id);
    const references = this.refs.get(id);
    return { id, parent: await this.parent(id), mounted: references > 0 && meta.lowers.length > 0, references };
  }

  async cleanup(): Promise<void> {
    for (const id of this.refs.ids()) {
      await this.locks.run(id, async () => {
        this.refs.clear(id);
        await this.unmountMerged(id);
      });
    }
  }

  // Strictly below home: home itself may be a disk mounted there on purpose.
  private async unmountAllBelowHome(): Promise<void> {
    for (const m of await mountsUnder(this.home)) {
      if (m.mountPoint === this.home) continue;
      await native.umount(m.mountPoint, native.MNT_DETACH).catch(() => undefined);
    }
  }

  // What a crash can leave: mounts of a process that died, staged layers that
  // were never renamed into place, removals that did not finish, and with
  // either of the last two, short links whose layer is gone.
  private async recover(): Promise<void> {
    await this.unmountAllBelowHome();
    let interrupted = false;
    for (const name of await fs.readdir(this.home)) {
      if (name.startsWith(STAGING_PREFIX) || name.startsWith(REMOVING_PREFIX)) {
        interrupted = true;
        await fs.rm(path.join(this.home, name), { recursive: true, force: true });
      }
    }
    if (!interrupted) return;
    const linkDir = path.join(this.home, LINK_DIR);
    for (const link of await fs.readdir(linkDir)) {
      const linkPath = path.join(linkDir, link);
      try {
        await fs.access(linkPath, fsConstants.F_OK);
      } catch {
        await fs.rm(linkPath, { force: true });
      }
    }
  }
}
