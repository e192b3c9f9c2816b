// The Engine: one root directory, one graph driver, the image store, and the
// operations people call, shaped like the Docker Engine API's answers.
// Containers come with the create pipeline; this is the part that stands.
import { closeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as native from '../native';
import { openDriver, type StorageDriverName } from '../storage';
import type { GraphDriver } from '../storage/driver';
import { type ImportOptions, type LoadedImage, importImage, loadImages } from '../image/load';
import { type JSONMessage, type PullOptions, pullImage } from '../image/pull';
import { ImageStore, type ImageRecord, type RemoveResult } from '../image/store';
import { familiarString, parseReference } from '../image/reference';
import { ContainerFiles } from '../container/files';
import { LinkGraph } from '../links/graph';
import { LocalVolumes } from '../volume/local';
import { ContainersApi } from './containers';
import { EventBus } from './events';
import { VolumesApi } from './volumes';

export const DEFAULT_ROOT = '/var/lib/berth';

export interface EngineOptions {
  /** The engine's root directory (default /var/lib/berth). */
  root?: string;
  storageDriver?: StorageDriverName;
  /** Why the engine chose something other than what it would prefer (vfs for lack of overlay, say). */
  onWarning?: (message: string) => void;
}

/** Docker's `GET /images/json` entry. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

/** Docker's `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: Record<string, unknown> | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

export class EngineLockedError extends Error {
  readonly code = 'EBUSY' as const;
  constructor(readonly root: string) {
    super(`another berth engine is using ${root} (its lock ${path.join(root, 'berth.lock')} is held)`);
    this.name = 'EngineLockedError';
  }
}

export class Engine {
  readonly images: ImagesApi;
  readonly containers: ContainersApi;
  readonly volumes: VolumesApi;
  readonly events = new EventBus();

  private constructor(
    readonly root: string,
    readonly driver: GraphDriver,
    readonly imageStore: ImageStore,
    readonly volumeStore: LocalVolumes,
    readonly linkGraph: LinkGraph,
    private lockFd: number | null,
    onWarning: (message: string) => void,
  ) {
    this.images = new ImagesApi(this);
    this.containers = new ContainersApi({
      root,
      driver,
      images: imageStore,
      volumes: volumeStore,
      links: linkGraph,
      files: new ContainerFiles(root),
      events: this.events,
      onWarning,
    });
    this.volumes = new VolumesApi(volumeStore, this.events);
  }

  static async open(options: EngineOptions = {}): Promise<Engine> {
    const root = path.resolve(options.root ?? DEFAULT_ROOT);
    await fs.mkdir(root, { recursive: true, mode: 0o711 });
    let lockFd: number;
    try {
      lockFd = await native.lockFile(path.join(root, 'berth.lock'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EWOULDBLOCK' || (e as NodeJS.ErrnoException).code === 'EAGAIN') {
        throw new EngineLockedError(root);
      }
      throw e;
    }
    let links: LinkGraph | undefined;
    try {
      const onWarning = options.onWarning ?? (() => undefined);
      const driver = await openDriver(root, { storageDriver: options.storageDriver, onFallback: options.onWarning });
      const store = await ImageStore.open(root, driver);
      // Downloads and unpacked archives stay on the engine's filesystem; a
      // previous run's leftovers are garbage.
      await fs.rm(path.join(root, 'tmp'), { recursive: true, force: true });
      await fs.mkdir(path.join(root, 'tmp'), { mode: 0o700 });
      const volumes = await LocalVolumes.open(path.join(root, 'volumes'));
      links = LinkGraph.open(path.join(root, 'linkgraph.db'));
      await new ContainerFiles(root).init();
      const engine = new Engine(root, driver, store, volumes, links, lockFd, onWarning);
      await engine.containers.restore();
      return engine;
    } catch (e) {
      links?.close();
      closeSync(lockFd);
      throw e;
    }
  }

  get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  /** Unmounts what the engine mounted and releases the root. */
  async close(): Promise<void> {
    if (this.lockFd === null) return;
    await this.containers.unmountAll();
    await this.driver.cleanup();
    this.linkGraph.close();
    closeSync(this.lockFd);
    this.lockFd = null;
  }
}

export interface LoadImageOptions {
  onMessage?: (line: string) => void;
}

export interface PullImageOptions extends Omit<PullOptions, 'tmpDir' | 'onProgress'> {
  onProgress?: (message: JSONMessage) => void;
}

export class ImagesApi {
  constructor(private readonly engine: Engine) {}

  private get store(): ImageStore {
    return this.engine.imageStore;
  }

  /** `docker load`: a `docker save` archive or OCI layout (tar stream, tar file or directory). */
  load(source: Readable | string, options: LoadImageOptions = {}): Promise<LoadedImage[]> {
    return loadImages(this.store, source, { tmpDir: this.engine.tmpDir, onMessage: options.onMessage });
  }

  /** `docker import`: a rootfs tar as a one-layer image. */
  import(input: Readable, options: ImportOptions = {}): Promise<LoadedImage> {
    return importImage(this.store, input, options);
  }

  /** `docker pull`. */
  async pull(reference: string, options: PullImageOptions = {}): Promise<ImageInspect> {
    const record = await pullImage(this.store, reference, { ...options, tmpDir: this.engine.tmpDir });
    return this.toInspect(record);
  }

  list(): ImageSummary[] {
    return this.store
      .list()
      .map((image): ImageSummary => {
        const config = image.config.config ?? {};
        return {
          Id: image.id,
          ParentId: '',
          RepoTags: image.repoTags,
          RepoDigests: image.repoDigests,
          Created: image.config.created ? Math.floor(Date.parse(image.config.created) / 1000) || 0 : 0,
          Size: image.size,
          SharedSize: -1,
          Labels: (config.Labels as Record<string, string> | undefined) ?? null,
          Containers: -1,
        };
      })
      .sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
  }

  inspect(reference: string): ImageInspect {
    return this.toInspect(this.store.resolve(reference));
  }

  /** `docker tag SOURCE TARGET`: TARGET without a tag means `:latest`. */
  async tag(source: string, target: string): Promise<void> {
    const image = this.store.resolve(source);
    await this.store.exclusive(() => this.store.tag(familiarString(parseReference(target)), image.id));
  }

  /** `docker rmi`: an image containers stand on is refused, or with `force` only untagged. */
  remove(reference: string, options: { force?: boolean; usedBy?: string[] } = {}): Promise<RemoveResult[]> {
    const image = this.store.resolve(reference);
    const usedBy = [...new Set([...(options.usedBy ?? []), ...this.engine.containers.usersOfImage(image.id)])];
    return this.store.exclusive(() => this.store.remove(reference, { ...options, usedBy }));
  }

  private toInspect(image: ImageRecord): ImageInspect {
    const config = image.config;
    const top = image.topLayer;
    let graphData: Record<string, string> | null = null;
    if (top) {
      const diffs = image.chainIds
        .map((c) => this.store.getLayer(c)?.cacheId)
        .filter((c): c is string => c !== undefined)
        .map((c) => this.engine.driver.diffPath(c))
        .reverse();
      graphData = { UpperDir: diffs[0], ...(diffs.length > 1 ? { LowerDir: diffs.slice(1).join(':') } : {}) };
    }
    const comment = config.history?.[config.history.length - 1]?.comment;
    return {
      Id: image.id,
      RepoTags: image.repoTags,
      RepoDigests: image.repoDigests,
      Parent: '',
      Comment: typeof comment === 'string' ? comment : '',
      Created: config.created ?? '0001-01-01T00:00:00Z',
      DockerVersion: config.docker_version ?? '',
      Author: config.author ?? '',
      Config: config.config ?? null,
      Architecture: config.architecture ?? '',
      ...(config.variant ? { Variant: config.variant } : {}),
      Os: config.os ?? '',
      Size: image.size,
      GraphDriver: { Name: this.engine.driver.name, Data: graphData },
      RootFS: { Type: 'layers', Layers: config.rootfs?.diff_ids ?? [] },
      Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    };
  }
}
