// vfs: every layer is a full copy of its parent plus its own changes, under
// <root>/vfs/dir/<id>. Slow and large, but it runs on any filesystem, which
// is what it is for. Nothing is mounted: get() returns the directory.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as native from '../native';
import type { CreateOptions, GraphDriver, LayerStatus } from './driver';
import { layerBusy, layerExists, layerNotFound, validateLayerId } from './driver';
import { KeyedLock } from './keyed-lock';
import { RefCounter } from './refcount';

const STAGING_PREFIX = '.staging-';
const REMOVING_PREFIX = '.removing-';

const randomSuffix = (): string => randomBytes(8).toString('hex');

export class VfsDriver implements GraphDriver {
  readonly name = 'vfs' as const;
  readonly whiteoutFormat = 'none' as const;
  readonly mountsLayers = false;

  private readonly locks = new KeyedLock();
  private readonly refs = new RefCounter();
  private readonly parents = new Map<string, string | null>();

  private constructor(readonly home: string) {}

  static async open(root: string): Promise<VfsDriver> {
    const home = path.join(path.resolve(root), 'vfs');
    await fs.mkdir(path.join(home, 'dir'), { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(home, 'parent'), { recursive: true, mode: 0o700 });
    const driver = new VfsDriver(home);
    await driver.recover();
    return driver;
  }

  private layerDir(id: string): string {
    return path.join(this.home, 'dir', id);
  }

  private parentFile(id: string): string {
    return path.join(this.home, 'parent', id);
  }

  diffPath(id: string): string {
    return this.layerDir(id);
  }

  async exists(id: string): Promise<boolean> {
    validateLayerId(id);
    if (this.parents.has(id)) return true;
    try {
      await fs.lstat(this.layerDir(id));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async parent(id: string): Promise<string | null> {
    validateLayerId(id);
    const cached = this.parents.get(id);
    if (cached !== undefined) return cached;
    if (!(await this.exists(id))) throw layerNotFound(id);
    let parent: string | null = null;
    try {
      parent = (await fs.readFile(this.parentFile(id), 'utf8')).trim() || null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.parents.set(id, parent);
    return parent;
  }

  create(id: string, parent: string | null, options: CreateOptions = {}): Promise<void> {
    return this.createLayer(id, parent, options);
  }

  createReadWrite(id: string, parent: string | null, options: CreateOptions = {}): Promise<void> {
    return this.createLayer(id, parent, options);
  }

  // The copy is made and populated under a staging name; the rename of the
  // directory is the commit point. The parent file is written before it, and
  // recover() drops parent files whose directory never arrived.
  private async createLayer(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      if (await this.exists(id)) throw layerExists(id);
      if (parent !== null && !(await this.exists(parent))) throw layerNotFound(parent);
      const staging = path.join(this.home, 'dir', `${STAGING_PREFIX}${id}-${randomSuffix()}`);
      try {
        if (parent === null) await fs.mkdir(staging, { mode: 0o755 });
        else await native.copyTree(this.layerDir(parent), staging);
        if (options.populate && options.populate.length > 0) await native.batch(staging, options.populate);
        await native.batch(this.home, [{ op: 'write', path: `parent/${id}`, data: parent ?? '', mode: 0o600 }]);
        await fs.rename(staging, this.layerDir(id));
      } catch (e) {
        await fs.rm(staging, { recursive: true, force: true });
        if (!(await this.exists(id))) await fs.rm(this.parentFile(id), { force: true });
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') throw layerExists(id);
        throw e;
      }
      this.parents.set(id, parent);
    });
  }

  async get(id: string): Promise<string> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      if (!(await this.exists(id))) throw layerNotFound(id);
      this.refs.increment(id);
      return this.layerDir(id);
    });
  }

  async put(id: string): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      if (!(await this.exists(id))) throw layerNotFound(id);
      this.refs.decrement(id);
    });
  }

  async remove(id: string): Promise<void> {
    validateLayerId(id);
    return this.locks.run(id, async () => {
      if (!(await this.exists(id))) throw layerNotFound(id);
      if (this.refs.get(id) > 0) throw layerBusy(id, `in use with ${this.refs.get(id)} reference(s)`);
      const doomed = path.join(this.home, 'dir', `${REMOVING_PREFIX}${id}-${randomSuffix()}`);
      await fs.rename(this.layerDir(id), doomed);
      this.parents.delete(id);
      await fs.rm(this.parentFile(id), { force: true });
      await fs.rm(doomed, { recursive: true, force: true });
    });
  }

  async list(): Promise<string[]> {
    return (await fs.readdir(path.join(this.home, 'dir'))).filter((n) => !n.startsWith('.'));
  }

  status(): Array<[string, string]> {
    return [['Root Dir', this.home]];
  }

  async layerStatus(id: string): Promise<LayerStatus> {
    const parent = await this.parent(id);
    return { id, parent, mounted: false, references: this.refs.get(id) };
  }

  async cleanup(): Promise<void> {
    for (const id of this.refs.ids()) this.refs.clear(id);
  }

  private async recover(): Promise<void> {
    const dirs = new Set(await fs.readdir(path.join(this.home, 'dir')));
    for (const name of dirs) {
      if (name.startsWith(STAGING_PREFIX) || name.startsWith(REMOVING_PREFIX)) {
        await fs.rm(path.join(this.home, 'dir', name), { recursive: true, force: true });
      }
    }
    for (const name of await fs.readdir(path.join(this.home, 'parent'))) {
      if (!dirs.has(name)) await fs.rm(path.join(this.home, 'parent', name), { force: true });
    }
  }
}
