// The image store: image configs by ID and layers by chain ID, in Docker's
// layout under <root>/image/<driver>/, with the references (tags and
// digests) in repositories.json.
//
//   imagedb/content/sha256/<hex>               the config JSON; its sha256 is the image ID
//   layerdb/sha256/<chain hex>/{diff,size,cache-id,parent}
//   layerdb/mounts/<container>/{mount-id,init-id,parent}   (containers' layers)
//   layerdb/tmp/                               staging and incomplete markers
//   repositories.json                          {"Repositories": {name: {ref: id}}}
//
// Layers are shared: each is stored once and counted (one reference per image
// whose top it is, per layer standing on it and per container mounted on it);
// the last release deletes it. A layer is written under layerdb/tmp and
// renamed into place; its driver layer is marked incomplete first, so that a
// crash leaves nothing that open() does not sweep.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as native from '../native';
import type { GraphDriver } from '../storage/driver';
import { KeyedLock } from '../storage/keyed-lock';
import { applyLayer } from './apply';
import {
  type ImageReference,
  InvalidReferenceError,
  familiarName,
  familiarString,
  parseAnyReference,
  parseReference,
  parseShortIdPrefix,
} from './reference';

/** The seed's MaxImageDepth: an image may have at most this many layers. */
export const MAX_IMAGE_DEPTH = 127;

export interface LayerRecord {
  chainId: string;
  diffId: string;
  parent: string | null;
  /** The graph driver's layer id. */
  cacheId: string;
  /** Bytes of regular files in this layer's diff. */
  size: number;
  /** Number of layers from the base, 1 for a base layer. */
  depth: number;
}

/** What an image config holds that the engine reads (Docker's field names). */
export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: Record<string, unknown>;
  container_config?: Record<string, unknown>;
  docker_version?: string;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: Array<Record<string, unknown>>;
}

/** A container's layers as layerdb/mounts/<container>/ records them. */
export interface MountRecord {
  /** The driver's id of the container's read-write layer. */
  mountId: string;
  /** The driver's id of its init layer. */
  initId: string;
  /** Chain ID of the image layer it stands on; '' for an image without layers. */
  parent: string;
}

export interface ImageRecord {
  id: string;
  config: ImageConfigJson;
  /** Chain IDs of the image's layers, base first. */
  chainIds: string[];
  /** The top layer, or null for an image without layers. */
  topLayer: LayerRecord | null;
  repoTags: string[];
  repoDigests: string[];
  /** Sum of its layers' sizes. */
  size: number;
}

export type ImageErrorCode = 'ENOENT' | 'EINVAL' | 'EEXIST' | 'EBUSY' | 'EAMBIGUOUS' | 'EDEPTH';

/** Errors with a code to switch on and Docker's wording in the message. */
export class ImageStoreError extends Error {
  constructor(
    message: string,
    readonly code: ImageErrorCode,
  ) {
    super(message);
    this.name = 'ImageStoreError';
  }
}

export const noSuchImage = (ref: string): ImageStoreError => new ImageStoreError(`No such image: ${ref}`, 'ENOENT');

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function chainIdOf(parent: string | null, diffId: string): string {
  return parent === null ? diffId : sha256Digest(`${parent} ${diffId}`);
}

/** ChainID(L0..n) for each n of a list of DiffIDs. */
export function chainIdsOf(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) out.push(chainIdOf(out.length ? out[out.length - 1] : null, diffId));
  return out;
}

const hexOf = (digest: string): string => digest.slice(digest.indexOf(':') + 1);
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/**
 * The DiffIDs an image config names, checked: load, pull and registerImage
 * all refuse a config whose rootfs.diff_ids are not sha256 digests.
 */
export function diffIdsOf(config: unknown): string[] {
  const diffIds = (config as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs?.diff_ids ?? [];
  if (!Array.isArray(diffIds) || !diffIds.every((d): d is string => typeof d === 'string' && DIGEST_RE.test(d))) {
    throw new ImageStoreError('invalid image config: rootfs.diff_ids must be sha256 digests', 'EINVAL');
  }
  return diffIds;
}
const randomHex = (bytes = 32): string => randomBytes(bytes).toString('hex');
const INCOMPLETE_PREFIX = 'incomplete-';

interface RepositoriesFile {
  Repositories: Record<string, Record<string, string>>;
}

export interface RemoveResult {
  Untagged?: string;
  Deleted?: string;
}

export interface RemoveOptions {
  force?: boolean;
  /** Containers using the image (their IDs); a used image is only untagged, and only when forced. */
  usedBy?: string[];
}

export class ImageStore {
  private readonly layers = new Map<string, LayerRecord>();
  /** References to each layer: images whose top it is, layers on it, containers on it. */
  private readonly layerRefs = new Map<string, number>();
  private readonly images = new Map<string, { config: ImageConfigJson; chainIds: string[] }>();
  /** Familiar repository name -> familiar reference string -> image ID, as repositories.json. */
  private repositories: RepositoriesFile = { Repositories: {} };
  private readonly lock = new KeyedLock();
  /** Containers' layers, by container ID (layerdb/mounts). */
  private readonly mounts = new Map<string, MountRecord>();

  private constructor(
    readonly home: string,
    readonly driver: GraphDriver,
  ) {}

  static async open(root: string, driver: GraphDriver): Promise<ImageStore> {
    const home = path.join(path.resolve(root), 'image', driver.name);
    for (const dir of ['imagedb/content/sha256', 'layerdb/sha256', 'layerdb/mounts', 'layerdb/tmp']) {
      await fs.mkdir(path.join(home, dir), { recursive: true, mode: 0o700 });
    }
    const store = new ImageStore(home, driver);
    await store.load();
    return store;
  }

  private layerDir(chainId: string): string {
    return path.join(this.home, 'layerdb', 'sha256', hexOf(chainId));
  }

  private imageFile(id: string): string {
    return path.join(this.home, 'imagedb', 'content', 'sha256', hexOf(id));
  }

  /**
   * Runs a whole store operation (a load, an import, a removal) alone, so
   * that one's cleanup never deletes a layer another is about to use. The
   * methods below do not take it themselves: they are the operations' parts.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.lock.run('store', work);
  }

  // --- startup -----------------------------------------------------------

  private async load(): Promise<void> {
    await this.sweepIncomplete();
    for (const hex of await fs.readdir(path.join(this.home, 'layerdb', 'sha256'))) {
      const record = await this.readLayer(`sha256:${hex}`);
      if (record) this.layers.set(record.chainId, record);
    }
    // Depths and child references need every layer loaded first.
    for (const layer of this.layers.values()) {
      layer.depth = this.depthOf(layer.chainId);
      if (layer.parent) this.addLayerRef(layer.parent);
    }
    for (const hex of await fs.readdir(path.join(this.home, 'imagedb', 'content', 'sha256'))) {
      if (!/^[a-f0-9]{64}$/.test(hex)) continue;
      const configJson = await fs.readFile(path.join(this.home, 'imagedb', 'content', 'sha256', hex));
      if (sha256Digest(configJson) !== `sha256:${hex}`) continue; // torn or foreign: not an image
      const config = JSON.parse(configJson.toString('utf8')) as ImageConfigJson;
      const chainIds = chainIdsOf(config.rootfs?.diff_ids ?? []);
      if (!chainIds.every((c) => this.layers.has(c))) continue;
      this.images.set(`sha256:${hex}`, { config, chainIds });
      if (chainIds.length) this.addLayerRef(chainIds[chainIds.length - 1]);
    }
    for (const containerId of await fs.readdir(path.join(this.home, 'layerdb', 'mounts'))) {
      const dir = path.join(this.home, 'layerdb', 'mounts', containerId);
      // Synchronous: one record per container, read before anyone is served.
      const read = (f: string): string => {
        try {
          return readFileSync(path.join(dir, f), 'utf8').trim();
        } catch {
          return '';
        }
      };
      const record: MountRecord = { mountId: read('mount-id'), initId: read('init-id'), parent: read('parent') };
      // A parent that is gone (or a record torn by a crash) holds nothing.
      if (!(DIGEST_RE.test(record.parent) && this.layers.has(record.parent))) record.parent = '';
      if (record.parent) this.addLayerRef(record.parent);
      this.mounts.set(containerId, record);
    }
    try {
      this.repositories = JSON.parse(await fs.readFile(path.join(this.home, 'repositories.json'), 'utf8')) as RepositoriesFile;
      this.repositories.Repositories ??= {};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // A load or a removal cut short leaves layers nobody references.
    for (const layer of [...this.layers.values()]) {
      if (this.layers.has(layer.chainId) && (this.layerRefs.get(layer.chainId) ?? 0) === 0) {
        await this.deleteLayer(layer.chainId);
      }
    }
  }

  private async sweepIncomplete(): Promise<void> {
    const tmp = path.join(this.home, 'layerdb', 'tmp');
    for (const name of await fs.readdir(tmp)) {
      if (name.startsWith(INCOMPLETE_PREFIX)) {
        const cacheId = name.slice(INCOMPLETE_PREFIX.length);
        if (await this.driver.exists(cacheId)) await this.driver.remove(cacheId);
      }
      await fs.rm(path.join(tmp, name), { recursive: true, force: true });
    }
  }

  private async readLayer(chainId: string): Promise<LayerRecord | null> {
    const dir = this.layerDir(chainId);
    const read = (f: string): Promise<string> => fs.readFile(path.join(dir, f), 'utf8').then((s) => s.trim());
    try {
      const [diffId, size, cacheId] = await Promise.all([read('diff'), read('size'), read('cache-id')]);
      const parent = await read('parent').catch(() => '');
      if (!DIGEST_RE.test(diffId) || !(await this.driver.exists(cacheId))) return null;
      return { chainId, diffId, size: Number(size) || 0, cacheId, parent: parent || null, depth: 0 };
    } catch {
      return null;
    }
  }

  private depthOf(chainId: string): number {
    let depth = 0;
    for (let c: string | null = chainId; c !== null; c = this.layers.get(c)?.parent ?? null) depth++;
    return depth;
  }

  // --- layers ------------------------------------------------------------

  getLayer(chainId: string): LayerRecord | undefined {
    return this.layers.get(chainId);
  }

  private addLayerRef(chainId: string): void {
    this.layerRefs.set(chainId, (this.layerRefs.get(chainId) ?? 0) + 1);
  }

  /**
   * Applies a layer tar on `parent` and records it. When the resulting chain
   * ID is already stored, the new copy is dropped and the stored one returned.
   * The layer starts with no reference: an image (or releaseLayer on failure)
   * must take it.
   */
  async registerLayer(parent: string | null, input: Readable, expectedDiffId?: string): Promise<LayerRecord> {
    const parentLayer = parent === null ? null : this.layers.get(parent);
    if (parent !== null && !parentLayer) {
      input.destroy();
      throw new ImageStoreError(`parent layer ${parent} does not exist`, 'ENOENT');
    }
    const depth = (parentLayer?.depth ?? 0) + 1;
    if (depth > MAX_IMAGE_DEPTH) {
      input.destroy();
      throw new ImageStoreError(`max depth exceeded: a layer on ${parent} would be layer ${depth} of at most ${MAX_IMAGE_DEPTH}`, 'EDEPTH');
    }
    if (expectedDiffId !== undefined) {
      const existing = this.layers.get(chainIdOf(parent, expectedDiffId));
      if (existing) {
        input.destroy();
        return existing;
      }
    }
    const cacheId = randomHex();
    const marker = path.join(this.home, 'layerdb', 'tmp', `${INCOMPLETE_PREFIX}${cacheId}`);
    await fs.writeFile(marker, '');
    try {
      await this.driver.create(cacheId, parentLayer?.cacheId ?? null);
      const { diffId, size } = await applyLayer(this.driver, cacheId, input, { expectedDiffId });
      const chainId = chainIdOf(parent, diffId);
      const existing = this.layers.get(chainId);
      if (existing) {
        await this.driver.remove(cacheId);
        await fs.rm(marker, { force: true });
        return existing;
      }
      const staging = `write-set-${randomHex(8)}`;
      await native.batch(path.join(this.home, 'layerdb'), [
        { op: 'mkdir', path: `tmp/${staging}`, mode: 0o755 },
        { op: 'file', path: `tmp/${staging}/diff`, mode: 0o644, data: diffId },
        { op: 'file', path: `tmp/${staging}/size`, mode: 0o644, data: String(size) },
        { op: 'file', path: `tmp/${staging}/cache-id`, mode: 0o644, data: cacheId },
        ...(parent === null ? [] : [{ op: 'file' as const, path: `tmp/${staging}/parent`, mode: 0o644, data: parent }]),
        { op: 'rename', path: `tmp/${staging}`, target: `sha256/${hexOf(chainId)}` },
      ]);
      const record: LayerRecord = { chainId, diffId, parent, cacheId, size, depth };
      this.layers.set(chainId, record);
      if (parent !== null) this.addLayerRef(parent);
      await fs.rm(marker, { force: true });
      return record;
    } catch (e) {
      input.destroy();
      if (await this.driver.exists(cacheId).catch(() => false)) await this.driver.remove(cacheId).catch(() => undefined);
      await fs.rm(marker, { force: true });
      throw e;
    }
  }

  /** Drops one reference to a layer; the last one deletes it, and releases its parent in turn. */
  async releaseLayer(chainId: string): Promise<string[]> {
    const left = (this.layerRefs.get(chainId) ?? 0) - 1;
    if (left > 0) {
      this.layerRefs.set(chainId, left);
      return [];
    }
    this.layerRefs.delete(chainId);
    return this.deleteLayer(chainId);
  }

  /** Deletes an unreferenced layer, then its parent if that was the last reference to it. */
  private async deleteLayer(chainId: string): Promise<string[]> {
    const layer = this.layers.get(chainId);
    if (!layer) return [];
    // Metadata goes first: from then on the layer does not exist, and a
    // driver layer left by a crash here is swept as an orphan.
    const doomed = path.join(this.home, 'layerdb', 'tmp', `removing-${randomHex(8)}`);
    await fs.rename(this.layerDir(chainId), doomed);
    this.layers.delete(chainId);
    await fs.writeFile(path.join(this.home, 'layerdb', 'tmp', `${INCOMPLETE_PREFIX}${layer.cacheId}`), '');
    await this.driver.remove(layer.cacheId);
    await fs.rm(path.join(this.home, 'layerdb', 'tmp', `${INCOMPLETE_PREFIX}${layer.cacheId}`), { force: true });
    await fs.rm(doomed, { recursive: true, force: true });
    const deleted = [chainId];
    if (layer.parent) deleted.push(...(await this.releaseLayer(layer.parent)));
    return deleted;
  }

  /** Deletes a layer (and the chain below it that only it used) if nothing references it. */
  async discardIfUnreferenced(chainId: string): Promise<string[]> {
    if (!this.layers.has(chainId) || (this.layerRefs.get(chainId) ?? 0) > 0) return [];
    return this.deleteLayer(chainId);
  }

  /** Takes a reference to a layer for a container mounted on it (released with releaseLayer). */
  retainLayer(chainId: string): void {
    if (!this.layers.has(chainId)) throw new ImageStoreError(`layer ${chainId} does not exist`, 'ENOENT');
    this.addLayerRef(chainId);
  }

  // --- containers' layers -------------------------------------------------

  /**
   * Records a container's layers before the driver makes them, and takes a
   * reference to the image layer below, so that neither a crash nor an rmi
   * can leave the layers without a record or the record without its parent.
   */
  async createMount(containerId: string, record: MountRecord): Promise<void> {
    if (this.mounts.has(containerId)) throw new ImageStoreError(`container ${containerId} already has layers`, 'EEXIST');
    if (record.parent) this.retainLayer(record.parent);
    this.mounts.set(containerId, record);
    try {
      await native.batch(path.join(this.home, 'layerdb', 'mounts'), [
        { op: 'mkdir', path: containerId, mode: 0o755 },
        { op: 'file', path: `${containerId}/mount-id`, mode: 0o644, data: record.mountId },
        { op: 'file', path: `${containerId}/init-id`, mode: 0o644, data: record.initId },
        { op: 'file', path: `${containerId}/parent`, mode: 0o644, data: record.parent },
      ]);
    } catch (e) {
      await this.removeMount(containerId).catch(() => undefined);
      throw e;
    }
  }

  /** Forgets a container's layers (the caller removed them) and releases the image layer. */
  async removeMount(containerId: string): Promise<void> {
    const record = this.mounts.get(containerId);
    // Renamed away first: a crash must leave the whole record or none, never one without its mount-id.
    const doomed = path.join(this.home, 'layerdb', 'tmp', `removing-mount-${containerId}`);
    try {
      await fs.rename(path.join(this.home, 'layerdb', 'mounts', containerId), doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await fs.rm(doomed, { recursive: true, force: true });
    if (!record) return;
    this.mounts.delete(containerId);
    if (!record.parent) return;
    // The last reference deletes layers: that must not cross a load that is about to reuse them.
    if ((this.layerRefs.get(record.parent) ?? 0) > 1) await this.releaseLayer(record.parent);
    else await this.exclusive(() => this.releaseLayer(record.parent));
  }

  mount(containerId: string): MountRecord | undefined {
    return this.mounts.get(containerId);
  }

  mountRecords(): ReadonlyMap<string, MountRecord> {
    return this.mounts;
  }

  /** Driver ids of every image layer (containers' layers are in mountRecords). */
  layerCacheIds(): Set<string> {
    return new Set([...this.layers.values()].map((l) => l.cacheId));
  }

  // --- images ------------------------------------------------------------

  /**
   * Records an image whose layers are already registered (its diff_ids must
   * form a stored chain). Registering an image that exists changes nothing.
   */
  async registerImage(configJson: Buffer): Promise<ImageRecord> {
    let config: ImageConfigJson;
    try {
      config = JSON.parse(configJson.toString('utf8')) as ImageConfigJson;
    } catch (e) {
      throw new ImageStoreError(`invalid image config: ${(e as Error).message}`, 'EINVAL');
    }
    if (typeof config !== 'object' || config === null) throw new ImageStoreError('invalid image config: not an object', 'EINVAL');
    const diffIds = diffIdsOf(config);
    checkDepth(diffIds.length);
    const chainIds = chainIdsOf(diffIds);
    const missing = chainIds.find((c) => !this.layers.has(c));
    if (missing) throw new ImageStoreError(`layer ${missing} of the image is not registered`, 'ENOENT');
    const id = sha256Digest(configJson);
    if (!this.images.has(id)) {
      await native.batch(path.join(this.home, 'imagedb', 'content', 'sha256'), [
        { op: 'write', path: hexOf(id), data: configJson, mode: 0o600 },
      ]);
      this.images.set(id, { config, chainIds });
      if (chainIds.length) this.addLayerRef(chainIds[chainIds.length - 1]);
    }
    return this.record(id);
  }

  private record(id: string): ImageRecord {
    const image = this.images.get(id);
    if (!image) throw noSuchImage(id);
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const refs of Object.values(this.repositories.Repositories)) {
      for (const [ref, target] of Object.entries(refs)) {
        if (target !== id) continue;
        (ref.includes('@') ? repoDigests : repoTags).push(ref);
      }
    }
    const topId = image.chainIds[image.chainIds.length - 1];
    return {
      id,
      config: image.config,
      chainIds: [...image.chainIds],
      topLayer: topId ? (this.layers.get(topId) ?? null) : null,
      repoTags: repoTags.sort(),
      repoDigests: repoDigests.sort(),
      size: image.chainIds.reduce((sum, c) => sum + (this.layers.get(c)?.size ?? 0), 0),
    };
  }

  list(): ImageRecord[] {
    return [...this.images.keys()].map((id) => this.record(id));
  }

  hasImage(id: string): boolean {
    return this.images.has(id);
  }

  /**
   * Finds an image as the daemon does: a full ID, a reference (name[:tag],
   * name@digest), then a unique short ID prefix.
   * @throws ImageStoreError ENOENT `No such image: <ref>`, EAMBIGUOUS, or an InvalidReferenceError.
   */
  resolve(refOrId: string): ImageRecord {
    const parsed = parseAnyReference(refOrId);
    if (parsed.kind === 'digest') {
      if (this.images.has(parsed.digest)) return this.record(parsed.digest);
      // A short `sha256:<prefix>` or a repo digest alone: fall through to the prefix search.
    } else {
      const id = this.lookupReference(parsed.ref);
      if (id) return this.record(id);
    }
    const prefix = parseShortIdPrefix(refOrId) ?? (parsed.kind === 'digest' ? hexOf(parsed.digest) : undefined);
    if (prefix !== undefined) {
      const matches = [...this.images.keys()].filter((id) => hexOf(id).startsWith(prefix));
      if (matches.length > 1) {
        throw new ImageStoreError(`multiple IDs found with provided prefix: ${prefix}`, 'EAMBIGUOUS');
      }
      if (matches.length === 1) return this.record(matches[0]);
    }
    throw noSuchImage(parsed.kind === 'named' ? familiarString(parsed.ref) : refOrId);
  }

  private lookupReference(ref: ImageReference): string | undefined {
    const refs = this.repositories.Repositories[familiarName(ref)];
    if (!refs) return undefined;
    if (ref.digest) return refs[familiarString({ ...ref, tag: undefined })];
    return refs[familiarString(ref)];
  }

  /** Points `reference` (name:tag or name@digest) at an image, replacing what it named before. */
  async tag(reference: string, imageId: string): Promise<void> {
    if (!this.images.has(imageId)) throw noSuchImage(imageId);
    const ref = parseReference(reference);
    if (ref.digest && ref.tag) {
      throw new InvalidReferenceError(`refusing to create a tag with a digest reference`, reference);
    }
    const name = familiarName(ref);
    const key = familiarString(ref);
    const next: RepositoriesFile = structuredClone(this.repositories);
    (next.Repositories[name] ??= {})[key] = imageId;
    await this.saveRepositories(next);
  }

  /** Removes a reference; returns the image it named. */
  async untag(reference: string): Promise<string> {
    const ref = parseReference(reference);
    const name = familiarName(ref);
    const key = familiarString(ref.digest ? { ...ref, tag: undefined } : ref);
    const id = this.repositories.Repositories[name]?.[key];
    if (!id) throw noSuchImage(familiarString(ref));
    const next: RepositoriesFile = structuredClone(this.repositories);
    delete next.Repositories[name][key];
    if (Object.keys(next.Repositories[name]).length === 0) delete next.Repositories[name];
    await this.saveRepositories(next);
    return id;
  }

  private async saveRepositories(next: RepositoriesFile): Promise<void> {
    await native.batch(this.home, [{ op: 'write', path: 'repositories.json', data: JSON.stringify(next), mode: 0o600 }]);
    this.repositories = next;
  }

  /**
   * Docker's image delete: a reference that is one of several names of an
   * image is only untagged; otherwise the image goes, with every layer no
   * other image (or container) still uses.
   */
  async remove(refOrId: string, options: RemoveOptions = {}): Promise<RemoveResult[]> {
    const image = this.resolve(refOrId);
    const short = hexOf(image.id).slice(0, 12);
    const names = [...image.repoTags, ...image.repoDigests];
    const byId = refOrId === image.id || hexOf(image.id).startsWith(refOrId.replace(/^sha256:/, ''));
    const usedBy = options.usedBy ?? [];
    const results: RemoveResult[] = [];

    if (!byId && names.length > 1 && usedBy.length === 0) {
      results.push({ Untagged: familiarString(parseReference(refOrId)) });
      await this.untag(refOrId);
      return results;
    }
    if (usedBy.length > 0 && !options.force) {
      throw new ImageStoreError(
        `conflict: unable to delete ${byId ? short : refOrId} (must be forced) - image is being used by stopped container ${usedBy[0].slice(0, 12)}`,
        'EBUSY',
      );
    }
    if (byId && image.repoTags.length > 1 && !options.force) {
      throw new ImageStoreError(
        `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
        'EBUSY',
      );
    }
    for (const name of names) {
      await this.untag(name);
      results.push({ Untagged: name });
    }
    // A container still stands on it: the names go, the image stays (dangling), as Docker does.
    if (usedBy.length > 0) return results;
    await fs.rm(this.imageFile(image.id), { force: true });
    const entry = this.images.get(image.id);
    this.images.delete(image.id);
    results.push({ Deleted: image.id });
    if (entry && entry.chainIds.length) {
      for (const chainId of await this.releaseLayer(entry.chainIds[entry.chainIds.length - 1])) {
        results.push({ Deleted: chainId });
      }
    }
    return results;
  }
}

export function checkDepth(layers: number): void {
  if (layers > MAX_IMAGE_DEPTH) {
    throw new ImageStoreError(
      `max depth exceeded: the image has ${layers} layers, more than the limit of ${MAX_IMAGE_DEPTH}`,
      'EDEPTH',
    );
  }
}
