// An in-memory Backend for running the CLI in-process without an engine:
// it records what the commands asked for and answers from canned data.
// Shared by the unit tests (test/unit/cli-*.test.ts).
import { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import type { ContainerCreateRequest, ContainerInspect, ContainerSummary, EngineEvent, VolumeInspect } from '../../../src/container/types';
import type { ImageInspect, ImageSummary } from '../../../src/engine/engine';
import type { JSONMessage } from '../../../src/image/pull';
import type { RemoveResult } from '../../../src/image/store';
import { type Backend, BackendError, type ServerVersion, type SystemInfo } from '../../../src/cli/backend';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';

export interface Call {
  op: string;
  args: unknown[];
}

export class FakeBackend implements Backend {
  readonly kind: 'embedded' | 'daemon' = 'daemon';
  readonly location = 'unix:///fake.sock';
  readonly calls: Call[] = [];
  /** Images that exist; a create of anything else is a 404 until it is pulled. */
  readonly images = new Set<string>(['busybox:latest']);
  containers: ContainerSummary[] = [];
  inspected: Record<string, ContainerInspect> = {};
  imageList: ImageSummary[] = [];
  imageInspects: Record<string, ImageInspect> = {};
  volumes: VolumeInspect[] = [];
  createWarnings: string[] = [];
  pullMessages: JSONMessage[] = [
    { status: 'Pulling from library/alpine', id: 'latest' },
    { status: 'Pulling fs layer', id: 'abc123' },
    { status: 'Downloading', id: 'abc123', progressDetail: { current: 512, total: 1024 } },
    { status: 'Download complete', id: 'abc123' },
    { status: 'Pull complete', id: 'abc123' },
    { status: 'Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111' },
    { status: 'Status: Downloaded newer image for alpine:latest' },
  ];
  pullError: BackendError | undefined;
  createError: BackendError | undefined;
  events_: EngineEvent[] = [];
  closed = false;

  private record(op: string, ...args: unknown[]): void {
    this.calls.push({ op, args });
  }

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  lastCreate(): ContainerCreateRequest {
    const call = [...this.calls].reverse().find((c) => c.op === 'createContainer');
    if (!call) throw new Error('no create was made');
    return call.args[0] as ContainerCreateRequest;
  }

  async ping(): Promise<void> {
    this.record('ping');
  }
  async version(): Promise<ServerVersion> {
    this.record('version');
    return { Platform: { Name: 'fake' }, Version: '9.9.9', ApiVersion: '1.50', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64', KernelVersion: '6.0' };
  }
  async info(): Promise<SystemInfo> {
    this.record('info');
    return {
      Containers: 3, ContainersRunning: 0, ContainersPaused: 0, ContainersStopped: 3, Images: 2, Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs']], DockerRootDir: '/var/lib/berth', KernelVersion: '6.0', OperatingSystem: 'Debian',
      OSType: 'linux', Architecture: 'x86_64', NCPU: 2, MemTotal: 4114448384, Name: 'host', ServerVersion: '9.9.9',
    };
  }
  async createContainer(request: ContainerCreateRequest) {
    this.record('createContainer', request);
    if (this.createError) throw this.createError;
    const image = request.config?.Image ?? '';
    const key = image.includes(':') ? image : `${image}:latest`;
    if (!this.images.has(key)) throw new BackendError(404, `No such image: ${key}`);
    return { Id: 'f'.repeat(64), Warnings: this.createWarnings };
  }
  async inspectContainer(idOrName: string) {
    this.record('inspectContainer', idOrName);
    const found = this.inspected[idOrName];
    if (!found) throw new BackendError(404, `No such container: ${idOrName}`);
    return found;
  }
  async listContainers(options: Parameters<Backend['listContainers']>[0]) {
    this.record('listContainers', options);
    return this.containers;
  }
  async removeContainer(idOrName: string, options: Parameters<Backend['removeContainer']>[1]) {
    this.record('removeContainer', idOrName, options);
    if (!this.inspected[idOrName]) throw new BackendError(404, `No such container: ${idOrName}`);
  }
  async mountContainer(idOrName: string) {
    this.record('mountContainer', idOrName);
    return `/fake/${idOrName}/merged`;
  }
  async unmountContainer(idOrName: string) {
    this.record('unmountContainer', idOrName);
  }
  async pullImage(reference: string, options: Parameters<Backend['pullImage']>[1], onProgress: (m: JSONMessage) => void) {
    this.record('pullImage', reference, options);
    if (this.pullError) throw this.pullError;
    for (const m of this.pullMessages) onProgress(m);
    this.images.add(reference.includes(':') ? reference : `${reference}:latest`);
  }
  async loadImages(archive: Parameters<Backend['loadImages']>[0], onLine: (line: string) => void) {
    this.record('loadImages', 'file' in archive ? archive.file : 'stream');
    onLine('Loaded image: busybox:latest');
  }
  async importImage(archive: Readable, options: Parameters<Backend['importImage']>[1]) {
    const chunks: Buffer[] = [];
    for await (const c of archive) chunks.push(Buffer.from(c as Buffer));
    this.record('importImage', Buffer.concat(chunks).toString(), options);
    return `sha256:${'e'.repeat(64)}`;
  }
  async listImages() {
    this.record('listImages');
    return this.imageList;
  }
  async inspectImage(reference: string) {
    this.record('inspectImage', reference);
    const found = this.imageInspects[reference];
    if (!found) throw new BackendError(404, `No such image: ${reference}`);
    return found;
  }
  async tagImage(source: string, target: string) {
    this.record('tagImage', source, target);
  }
  async removeImage(reference: string, options: { force?: boolean }): Promise<RemoveResult[]> {
    this.record('removeImage', reference, options);
    if (reference === 'missing') throw new BackendError(404, 'No such image: missing:latest');
    return [{ Untagged: `${reference}:latest` }, { Deleted: `sha256:${'d'.repeat(64)}` }];
  }
  async createVolume(request: Parameters<Backend['createVolume']>[0]) {
    this.record('createVolume', request);
    return { Name: request.Name || 'a'.repeat(64), Driver: 'local', Mountpoint: '/v', CreatedAt: '', Labels: request.Labels ?? null, Scope: 'local' as const, Options: null };
  }
  async inspectVolume(name: string) {
    this.record('inspectVolume', name);
    const found = this.volumes.find((v) => v.Name === name);
    if (!found) throw new BackendError(404, `get ${name}: no such volume`);
    return found;
  }
  async listVolumes(filters: Record<string, string[]>) {
    this.record('listVolumes', filters);
    return { Volumes: this.volumes, Warnings: [] };
  }
  async removeVolume(name: string, options: { force?: boolean }) {
    this.record('removeVolume', name, options);
    if (!this.volumes.some((v) => v.Name === name)) throw new BackendError(404, `get ${name}: no such volume`);
  }
  async events(query: Parameters<Backend['events']>[0], onEvent: (e: EngineEvent) => void) {
    this.record('events', query);
    for (const e of this.events_) onEvent(e);
  }
  async close() {
    this.closed = true;
  }
}

export class Capture extends Writable {
  text = '';
  override _write(chunk: unknown, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.text += String(chunk);
    cb();
  }
}

export interface FakeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process against `backend`. */
export async function runWith(backend: FakeBackend, argv: string[], io: Partial<CliIo> = {}): Promise<FakeRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env: {},
    isTTY: false,
    stdinIsTTY: false,
    cwd: '/work/dir',
    now: () => Date.UTC(2025, 0, 1, 12, 0, 0),
    openBackend: async () => backend,
    ...io,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
