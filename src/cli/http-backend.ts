// The Backend of a berth (or Docker) daemon: each operation is the Engine
// API call the docker CLI makes for it.
import { createReadStream } from 'node:fs';
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
import { parseReference } from '../image/reference';
import type { RemoveResult } from '../image/store';
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
import { DockerApiClient } from './client';

const encodeName = (name: string): string => encodeURIComponent(name);

/** Docker's filters query value (`{"label":{"a=b":true}}`, the form the docker CLI sends). */
export function filtersQuery(filters: Filters | undefined): string | undefined {
  if (filters === undefined) return undefined;
  const entries = Object.entries(filters).filter(([, values]) => values.length > 0);
  if (entries.length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(entries.map(([k, values]) => [k, Object.fromEntries(values.map((v) => [v, true]))])));
}

/** `fromImage` and `tag` for a reference, as the docker client splits it. */
function pullQuery(reference: string): { fromImage: string; tag?: string } {
  const ref = parseReference(reference, { defaultTag: false });
  const name = ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
  if (ref.digest !== undefined) return { fromImage: name, tag: ref.digest };
  return { fromImage: name, tag: ref.tag ?? 'latest' };
}

export class HttpBackend implements Backend {
  readonly kind = 'daemon' as const;
  private readonly client: DockerApiClient;

  constructor(readonly location: string) {
    this.client = new DockerApiClient(location);
  }

  ping(): Promise<void> {
    return this.client.ping();
  }

  version(): Promise<ServerVersion> {
    return this.client.call<ServerVersion>('GET', '/version');
  }

  info(): Promise<SystemInfo> {
    return this.client.call<SystemInfo>('GET', '/info');
  }

  createContainer(request: ContainerCreateRequest): Promise<ContainerCreateResponse> {
    return this.client.call<ContainerCreateResponse>('POST', '/containers/create', {
      query: { name: request.name, platform: request.platform },
      json: { ...(request.config ?? {}), HostConfig: request.hostConfig, NetworkingConfig: request.networkingConfig },
    });
  }

  inspectContainer(idOrName: string): Promise<ContainerInspect> {
    return this.client.call<ContainerInspect>('GET', `/containers/${encodeName(idOrName)}/json`);
  }

  listContainers(options: ListContainersOptions): Promise<ContainerSummary[]> {
    return this.client.call<ContainerSummary[]>('GET', '/containers/json', {
      query: {
        all: options.all ? true : undefined,
        limit: options.limit !== undefined && options.limit > 0 ? options.limit : undefined,
        filters: filtersQuery(options.filters),
      },
    });
  }

  async removeContainer(idOrName: string, options: RemoveContainerOptions): Promise<void> {
    await this.client.call('DELETE', `/containers/${encodeName(idOrName)}`, {
      query: { force: options.force || undefined, v: options.v || undefined, link: options.link || undefined },
    });
  }

  // The Engine API has no mount endpoint; these are berth's own, which a
  // daemon that lacks them answers with 404 "page not found".
  async mountContainer(idOrName: string): Promise<string> {
    const answer = await this.berthOnly(() => this.client.call<{ Path?: string }>('POST', `/containers/${encodeName(idOrName)}/mount`));
    if (typeof answer?.Path !== 'string') throw new BackendError(500, 'the daemon did not say where it mounted the container');
    return answer.Path;
  }

  async unmountContainer(idOrName: string): Promise<void> {
    await this.berthOnly(() => this.client.call('POST', `/containers/${encodeName(idOrName)}/unmount`));
  }

  private async berthOnly<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (e instanceof BackendError && e.status === 404 && e.message === 'page not found') {
        throw new BackendError(404, `this daemon (${this.location}) has no mount endpoint: mount and umount need berth's own API, or run them without -H on the engine's root`);
      }
      throw e;
    }
  }

  async pullImage(reference: string, options: PullOptions, onProgress: (message: JSONMessage) => void): Promise<void> {
    await this.client.stream('POST', '/images/create', { query: { ...pullQuery(reference), platform: options.platform } }, (value) => {
      if (typeof value.status === 'string') onProgress(value as unknown as JSONMessage);
    });
  }

  async loadImages(archive: ArchiveSource, onLine: (line: string) => void): Promise<void> {
    const body = 'file' in archive ? createReadStream(archive.file) : archive.stream;
    await this.client.stream('POST', '/images/load', { body, contentType: 'application/x-tar', query: { quiet: false } }, (value) => {
      if (typeof value.stream === 'string') onLine(value.stream.replace(/\n$/, ''));
      else if (typeof value.status === 'string') onLine(value.status);
    });
  }

  async importImage(archive: Readable, options: ImportOptions): Promise<string> {
    let repo: string | undefined;
    let tag: string | undefined;
    if (options.reference !== undefined) {
      const { fromImage, tag: t } = pullQuery(options.reference);
      repo = fromImage;
      tag = t;
    }
    let id = '';
    await this.client.stream(
      'POST',
      '/images/create',
      { body: archive, contentType: 'application/x-tar', query: { fromSrc: '-', repo, tag, message: options.message, platform: options.platform } },
      (value) => {
        if (typeof value.status === 'string') id = value.status;
      },
    );
    return id;
  }

  listImages(): Promise<ImageSummary[]> {
    return this.client.call<ImageSummary[]>('GET', '/images/json');
  }

  inspectImage(reference: string): Promise<ImageInspect> {
    return this.client.call<ImageInspect>('GET', `/images/${reference}/json`);
  }

  async tagImage(source: string, target: string): Promise<void> {
    const ref = parseReference(target, { defaultTag: false });
    const repo = ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
    await this.client.call('POST', `/images/${source}/tag`, { query: { repo, tag: ref.tag ?? 'latest' } });
  }

  removeImage(reference: string, options: { force?: boolean }): Promise<RemoveResult[]> {
    return this.client.call<RemoveResult[]>('DELETE', `/images/${reference}`, { query: { force: options.force || undefined } });
  }

  createVolume(request: VolumeCreateRequest): Promise<VolumeInspect> {
    return this.client.call<VolumeInspect>('POST', '/volumes/create', { json: request });
  }

  inspectVolume(name: string): Promise<VolumeInspect> {
    return this.client.call<VolumeInspect>('GET', `/volumes/${encodeName(name)}`);
  }

  async listVolumes(filters: Filters): Promise<{ Volumes: VolumeInspect[]; Warnings: string[] }> {
    const answer = await this.client.call<{ Volumes: VolumeInspect[] | null; Warnings: string[] | null }>('GET', '/volumes', {
      query: { filters: filtersQuery(filters) },
    });
    return { Volumes: answer.Volumes ?? [], Warnings: answer.Warnings ?? [] };
  }

  async removeVolume(name: string, options: { force?: boolean }): Promise<void> {
    await this.client.call('DELETE', `/volumes/${encodeName(name)}`, { query: { force: options.force || undefined } });
  }

  async events(query: EventQuery, onEvent: (event: EngineEvent) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    try {
      await this.client.stream(
        'GET',
        '/events',
        { query: { since: query.since, until: query.until, filters: filtersQuery(query.filters) }, signal },
        (value) => onEvent(value as unknown as EngineEvent),
      );
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
  }

  async close(): Promise<void> {
    // Each request has its own connection; nothing stays open.
  }
}
