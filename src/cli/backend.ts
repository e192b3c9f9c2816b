// What the commands need from an engine, whether it runs in this process
// (EmbeddedBackend) or behind a daemon's socket (HttpBackend). Both report
// failures the same way, as the daemon would answer them: a status and
// Docker's message.
import type { Readable } from 'node:stream';
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
import type { ImageInspect, ImageSummary } from '../engine/engine';
import type { JSONMessage } from '../image/pull';
import type { RemoveResult } from '../image/store';

/** A failure as the daemon reports it: an HTTP status and Docker's message. */
export class BackendError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

export type Filters = Record<string, string[]>;

/** `GET /version`'s answer (the fields berth fills). */
export interface ServerVersion {
  Platform?: { Name: string };
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  BuildTime?: string;
  Components?: Array<{ Name: string; Version: string; Details?: Record<string, string> }>;
  [field: string]: unknown;
}

/** `GET /info`'s answer (the fields berth fills). */
export interface SystemInfo {
  ID?: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus?: Array<[string, string]> | null;
  DockerRootDir: string;
  KernelVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  Name: string;
  ServerVersion: string;
  [field: string]: unknown;
}

export interface PullOptions {
  /** `os[/arch[/variant]]` */
  platform?: string;
}

/** An archive named by its path, or a stream of it (stdin). */
export type ArchiveSource = { file: string } | { stream: Readable };

export interface ImportOptions {
  /** `repository[:tag]` for the new image. */
  reference?: string;
  message?: string;
  platform?: string;
}

export interface EventQuery {
  /** Docker's `seconds[.nanoseconds]`, as `toApiTimestamp` gives it. */
  since?: string;
  until?: string;
  filters: Filters;
}

export interface Backend {
  /** `embedded` runs the engine here; `daemon` talks to one over its socket. */
  readonly kind: 'embedded' | 'daemon';
  /** The root directory or the daemon's address, for messages. */
  readonly location: string;

  ping(): Promise<void>;
  version(): Promise<ServerVersion>;
  info(): Promise<SystemInfo>;

  createContainer(request: ContainerCreateRequest): Promise<ContainerCreateResponse>;
  inspectContainer(idOrName: string): Promise<ContainerInspect>;
  listContainers(options: ListContainersOptions): Promise<ContainerSummary[]>;
  removeContainer(idOrName: string, options: RemoveContainerOptions): Promise<void>;
  /** Mounts the container's root filesystem; returns the merged path. */
  mountContainer(idOrName: string): Promise<string>;
  unmountContainer(idOrName: string): Promise<void>;

  pullImage(reference: string, options: PullOptions, onProgress: (message: JSONMessage) => void): Promise<void>;
  /** `docker load`: each line is what docker prints (`Loaded image: busybox:latest`). */
  loadImages(archive: ArchiveSource, onLine: (line: string) => void): Promise<void>;
  /** `docker import`: returns the new image's ID. */
  importImage(archive: Readable, options: ImportOptions): Promise<string>;
  listImages(): Promise<ImageSummary[]>;
  inspectImage(reference: string): Promise<ImageInspect>;
  tagImage(source: string, target: string): Promise<void>;
  removeImage(reference: string, options: { force?: boolean }): Promise<RemoveResult[]>;

  createVolume(request: VolumeCreateRequest): Promise<VolumeInspect>;
  inspectVolume(name: string): Promise<VolumeInspect>;
  listVolumes(filters: Filters): Promise<{ Volumes: VolumeInspect[]; Warnings: string[] }>;
  removeVolume(name: string, options: { force?: boolean }): Promise<void>;

  /**
   * Calls `onEvent` for the events from `since` (kept ones first), until
   * `until` passes or `signal` aborts.
   */
  events(query: EventQuery, onEvent: (event: EngineEvent) => void, signal: AbortSignal): Promise<void>;

  close(): Promise<void>;
}
