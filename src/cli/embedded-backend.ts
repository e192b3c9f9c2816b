// The Backend of an engine opened in this process: calls go straight to
// engine.images/containers/volumes/events, and the engine's errors are
// answered as the daemon would answer them (classifyError's statuses).
import * as os from 'node:os';
import type { Readable } from 'node:stream';
import { STATUS_OF_CLASS } from '../api/http-errors';
import { engineId, goArch, osRelease, packageVersion } from '../api/server-info';
import { API_VERSION, MIN_API_VERSION } from '../api/version';
import type {
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  EngineEvent,
  ListContainersOptions,
  RemoveContainerOptions,
  VolumeCreateRequest,
  VolumeInspect,
} from '../container/types';
import { Engine } from '../engine/engine';
import type { ImageInspect, ImageSummary } from '../engine/engine';
import { matchesEventFilters } from '../engine/events';
import { classifyError } from '../errors';
import type { JSONMessage } from '../image/pull';
import type { Platform } from '../image/registry';
import type { RemoveResult } from '../image/store';
import type { StorageDriverName } from '../storage';
import {
  type ArchiveSource,
  type Backend,
  BackendError,
  type EventQuery,
  type Filters,
  type ImportOptions,
  type PullOptions,
  type ServerVersion,
  type SystemInfo,
} from './backend';
import { apiTimestampToNs } from './timestamps';

/** An engine error as the daemon would answer it. */
export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new BackendError(STATUS_OF_CLASS[classifyError(e)], message);
}

async function answer<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw toBackendError(e);
  }
}

function platformOf(value: string): Platform {
  const [osName, architecture = 'amd64', variant] = value.split('/');
  return { os: osName, architecture, ...(variant ? { variant } : {}) };
}

export interface EmbeddedOptions {
  root: string;
  storageDriver?: StorageDriverName;
  /** Where the engine's own warnings go (a driver fallback, say). */
  onWarning?: (message: string) => void;
}

export class EmbeddedBackend implements Backend {
  readonly kind = 'embedded' as const;

  private constructor(
    private readonly engine: Engine,
    readonly location: string,
  ) {}

  /** Opens the engine on `root`; a root another engine holds is a clear error, not a wait. */
  static async open(options: EmbeddedOptions): Promise<EmbeddedBackend> {
    const engine = await Engine.open({ root: options.root, storageDriver: options.storageDriver, onWarning: options.onWarning });
    return new EmbeddedBackend(engine, engine.root);
  }

  async ping(): Promise<void> {
    // The engine is right here.
  }

  async version(): Promise<ServerVersion> {
    return {
      Platform: { Name: 'berth (embedded engine)' },
      Version: packageVersion(),
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      Os: process.platform,
      Arch: goArch(),
      KernelVersion: os.release(),
      GoVersion: `node ${process.version}`,
      Components: [{ Name: 'Engine', Version: packageVersion(), Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION } }],
    };
  }

  async info(): Promise<SystemInfo> {
    return answer(() => {
      const containers = this.engine.containers.list({ all: true });
      const running = containers.filter((c) => c.State === 'running').length;
      const paused = containers.filter((c) => c.State === 'paused').length;
      return {
        ID: engineId(this.engine.root),
        Containers: containers.length,
        ContainersRunning: running,
        ContainersPaused: paused,
        ContainersStopped: containers.length - running - paused,
        Images: this.engine.images.list().length,
        Driver: this.engine.driver.name,
        DriverStatus: this.engine.driver.status(),
        DockerRootDir: this.engine.root,
        KernelVersion: os.release(),
        OperatingSystem: osRelease().prettyName,
        OSVersion: osRelease().versionId,
        OSType: process.platform,
        Architecture: os.machine(),
        NCPU: os.cpus().length,
        MemTotal: os.totalmem(),
        Name: os.hostname(),
        ServerVersion: packageVersion(),
      };
    });
  }

  createContainer(request: ContainerCreateRequest): Promise<ContainerCreateResponse> {
    return answer(() => this.engine.containers.create(request));
  }

  inspectContainer(idOrName: string): Promise<ContainerInspect> {
    return answer(() => this.engine.containers.inspect(idOrName));
  }

  listContainers(options: ListContainersOptions): Promise<ContainerSummary[]> {
    return answer(() => this.engine.containers.list(options));
  }

  removeContainer(idOrName: string, options: RemoveContainerOptions): Promise<void> {
    return answer(() => this.engine.containers.remove(idOrName, options));
  }

  mountContainer(idOrName: string): Promise<string> {
    return answer(() => this.engine.containers.mount(idOrName));
  }

  unmountContainer(idOrName: string): Promise<void> {
    return answer(() => this.engine.containers.unmount(idOrName));
  }

  async pullImage(reference: string, options: PullOptions, onProgress: (message: JSONMessage) => void): Promise<void> {
    await answer(() =>
      this.engine.images.pull(reference, { onProgress, ...(options.platform ? { platform: platformOf(options.platform) } : {}) }),
    );
  }

  async loadImages(archive: ArchiveSource, onLine: (line: string) => void): Promise<void> {
    await answer(() => this.engine.images.load('file' in archive ? archive.file : archive.stream, { onMessage: onLine }));
  }

  async importImage(archive: Readable, options: ImportOptions): Promise<string> {
    const target = options.platform ? platformOf(options.platform) : undefined;
    const image = await answer(() =>
      this.engine.images.import(archive, {
        ...(options.reference !== undefined ? { reference: options.reference } : {}),
        ...(options.message ? { message: options.message } : {}),
        ...(target ? { os: target.os, architecture: target.architecture } : {}),
      }),
    );
    return image.id;
  }

  listImages(): Promise<ImageSummary[]> {
    return answer(() => this.engine.images.list());
  }

  inspectImage(reference: string): Promise<ImageInspect> {
    return answer(() => this.engine.images.inspect(reference));
  }

  tagImage(source: string, target: string): Promise<void> {
    return answer(() => this.engine.images.tag(source, target));
  }

  removeImage(reference: string, options: { force?: boolean }): Promise<RemoveResult[]> {
    return answer(async () => {
      const image = this.engine.images.inspect(reference);
      // The containers on the image keep it (or, forced, keep its content).
      const usedBy = this.engine.containers
        .list({ all: true })
        .filter((c) => c.ImageID === image.Id)
        .map((c) => c.Id);
      return this.engine.images.remove(reference, { force: options.force, usedBy });
    });
  }

  createVolume(request: VolumeCreateRequest): Promise<VolumeInspect> {
    return answer(() => this.engine.volumes.create(request));
  }

  inspectVolume(name: string): Promise<VolumeInspect> {
    return answer(() => this.engine.volumes.inspect(name));
  }

  listVolumes(filters: Filters): Promise<{ Volumes: VolumeInspect[]; Warnings: string[] }> {
    return answer(() => this.engine.volumes.list(filters));
  }

  removeVolume(name: string, options: { force?: boolean }): Promise<void> {
    return answer(() => this.engine.volumes.remove(name, options));
  }

  async events(query: EventQuery, onEvent: (event: EngineEvent) => void, signal: AbortSignal): Promise<void> {
    const sinceNs = query.since !== undefined ? apiTimestampToNs(query.since) : undefined;
    const untilNs = query.until !== undefined ? apiTimestampToNs(query.until) : undefined;
    const wanted = (e: EngineEvent): boolean =>
      (sinceNs === undefined || e.timeNano >= sinceNs) && (untilNs === undefined || e.timeNano <= untilNs) && matchesEventFilters(e, query.filters);
    const seen = new Set<EngineEvent>();
    const live: EngineEvent[] = [];
    let replaying = true;
    const unsubscribe = this.engine.events.subscribe((e) => {
      if (!wanted(e)) return;
      if (replaying) live.push(e);
      else onEvent(e);
    });
    try {
      if (sinceNs !== undefined) {
        for (const e of this.engine.events.recent(sinceNs, untilNs)) {
          if (!matchesEventFilters(e, query.filters)) continue;
          seen.add(e);
          onEvent(e);
        }
      }
      for (const e of live) if (!seen.has(e)) onEvent(e);
      replaying = false;
      const untilMs = untilNs === undefined ? undefined : untilNs / 1e6 - Date.now();
      if (untilMs !== undefined && untilMs <= 0) return;
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const timer = untilMs === undefined ? undefined : setTimeout(resolve, Math.min(untilMs, 2 ** 31 - 1));
        signal.addEventListener(
          'abort',
          () => {
            if (timer !== undefined) clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    } finally {
      unsubscribe();
    }
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
