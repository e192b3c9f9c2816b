// engine.containers: the create pipeline (the seed's ContainerCreate, step by
// step, with the rollback its deferred rm gives) and the operations on
// containers: inspect, list, remove, mount, unmount, and restore at open.
import { hostname as osHostname } from 'node:os';
import * as path from 'node:path';
import { adaptContainerSettings, compareApiVersions } from '../container/adapt';
import { decodeCreateRequest } from '../container/decode';
import { hostnameFile, hostsFile, resolvConfFile } from '../container/etcfiles';
import { type ContainerFiles, type ContainerJson, type StoredContainer, type StoredMountPoint } from '../container/files';
import { readHostFacts } from '../container/hostfacts';
import { IdIndex, resolveContainerId } from '../container/lookup';
import { mergeImageConfig, pathAndArgs } from '../container/merge';
import { NameRegistry, generateContainerId, validateContainerName } from '../container/names';
import { normalizeConfig, normalizeHostConfig } from '../container/normalize';
import { securityOptions } from '../container/security';
import { verifyContainerSettings } from '../container/verify';
import type {
  ContainerConfig,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  HostConfig,
  ListContainersOptions,
  MountPointSummary,
  NetworkingConfig,
  RemoveContainerOptions,
  StringMap,
} from '../container/types';
import { EngineError, conflict, invalidParameter, notFound } from '../errors';
import { type ImageRecord, type ImageStore, type MountRecord, checkDepth } from '../image/store';
import type { LinkGraph, LinkRecord } from '../links/graph';
import { linkEnv, linkHostsEntries, parseLink } from '../links/legacy';
import * as native from '../native';
import type { GraphDriver } from '../storage/driver';
import { initLayerId, initLayerOps } from '../storage/initlayer';
import { copyUp } from '../volume/copyup';
import type { LocalVolumes } from '../volume/local';
import {
  type MountPoint,
  duplicateCheck,
  parseBindSpec,
  parseMountSpec,
  parseTmpfs,
  parseVolumesFrom,
  toMountSummary,
} from '../volume/mountspec';
import type { EventBus } from './events';

/** The newest API version berth speaks: the one requests without a version get. */
export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.12';

/** The steps of a create, in order: a test hook can fail the create at each. */
export const CREATE_STEPS = [
  'reserved',
  'directory',
  'layer-record',
  'init-layer',
  'rw-layer',
  'volumes',
  'copy-up',
  'links',
  'commit',
] as const;
export type CreateStep = (typeof CREATE_STEPS)[number];

/**
 * Thrown by a test's fault hook to stop a create as a crash would: no
 * rollback runs, and whatever the create made stays for restore to find.
 */
export class SimulatedCrash extends Error {
  constructor(readonly step: CreateStep) {
    super(`simulated crash at ${step}`);
    this.name = 'SimulatedCrash';
  }
}

/** What the containers API needs of the engine. */
export interface ContainerDeps {
  root: string;
  driver: GraphDriver;
  images: ImageStore;
  volumes: LocalVolumes;
  links: LinkGraph;
  files: ContainerFiles;
  events: EventBus;
  onWarning: (message: string) => void;
}

interface Container {
  json: ContainerJson;
  hostConfig: HostConfig;
  /** Outstanding engine.containers.mount() calls. */
  mounts: number;
  removing: boolean;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const NAME_FROM_ID_LENGTH = 12;

export class ContainersApi {
  private readonly containers = new Map<string, Container>();
  private readonly names = new NameRegistry();
  private ids = new IdIndex();
  /** Creates under way: their image, so that an rmi in the meantime sees them. */
  private readonly creating = new Map<string, string>();
  /** Test-only: called at each step of a create; throwing fails the create there. */
  faultHook: ((step: CreateStep, id: string) => void | Promise<void>) | null = null;

  constructor(private readonly deps: ContainerDeps) {}

  // --- create ------------------------------------------------------------

  /** `docker create`: returns `{Id, Warnings}`. */
  async create(request: ContainerCreateRequest): Promise<ContainerCreateResponse> {
    const decoded = decodeCreateRequest({
      config: request.config,
      hostConfig: request.hostConfig,
      networkingConfig: request.networkingConfig,
    });
    const requestedName = request.name ? validateContainerName(request.name) : null;
    const apiVersion = request.apiVersion ?? API_VERSION;
    const host = await readHostFacts();
    const warnings: string[] = [];

    const restartName = decoded.hostConfig.RestartPolicy?.Name || 'no';
    const verified: HostConfig = { ...decoded.hostConfig, RestartPolicy: { ...decoded.hostConfig.RestartPolicy, Name: restartName } };
    warnings.push(...verifyContainerSettings(decoded.config, verified, host));
    const hostConfig = adaptContainerSettings(verified, { apiVersion, host });
    // `container:<name>` modes name the container by ID from here on, as Docker records them.
    for (const key of ['NetworkMode', 'IpcMode', 'PidMode'] as const) {
      const mode = hostConfig[key];
      if (mode?.startsWith('container:')) hostConfig[key] = `container:${this.get(mode.slice('container:'.length)).json.ID}`;
    }

    const image = this.lookupImage(decoded.config.Image, request.platform, warnings);
    checkDepth(image.chainIds.length);
    const config = mergeImageConfig(decoded.config, image.config.config);
    const security = securityOptions(hostConfig);
    if (security.labelDisabled && !(hostConfig.SecurityOpt ?? []).includes('label=disable')) {
      hostConfig.SecurityOpt = [...(hostConfig.SecurityOpt ?? []), 'label=disable'];
    }
    const { Path, Args } = pathAndArgs(config);

    // Everything that can be refused without side effects is checked before the name is taken.
    const mountPoints = this.planMounts(config, hostConfig);
    const links = this.planLinks(hostConfig);

    const id = generateContainerId();
    if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? osHostname() : id.slice(0, NAME_FROM_ID_LENGTH);
    const name = requestedName !== null ? (this.names.reserve(requestedName, id), requestedName) : this.names.reserveGenerated(id);
    this.creating.set(id, image.id);

    const undo: Array<() => Promise<unknown> | unknown> = [() => this.names.releaseAll(id), () => this.creating.delete(id)];
    const step = async (s: CreateStep): Promise<void> => {
      if (this.faultHook) await this.faultHook(s, id);
    };
    try {
      await step('reserved');
      const dir = this.deps.files.dir(id);
      // Armed first: a begin that fails after its mkdir leaves a directory. (The ID is
      // 256 random bits, so the directory cannot be another create's.)
      undo.push(() => this.deps.files.removeDir(dir));
      await this.deps.files.begin(id, {
        hostname: hostnameFile(config.Hostname, config.Domainname ?? ''),
        // Links' lines need the linked container's address, which it gets when it starts.
        hosts: hostsFile(hostConfig, []),
        resolvConf: resolvConfFile(hostConfig),
      });
      await step('directory');

      const top = image.topLayer;
      const mountId = generateContainerId();
      const record: MountRecord = { mountId, initId: initLayerId(mountId), parent: top?.chainId ?? '' };
      await this.deps.images.createMount(id, record);
      undo.push(() => this.deps.images.removeMount(id));
      await step('layer-record');

      await this.deps.driver.createReadWrite(record.initId, top?.cacheId ?? null, { populate: initLayerOps() });
      undo.push(() => this.deps.driver.remove(record.initId));
      await step('init-layer');
      await this.deps.driver.createReadWrite(mountId, record.initId);
      undo.push(() => this.deps.driver.remove(mountId));
      await step('rw-layer');

      const stored = await this.makeVolumes(id, mountPoints, undo);
      await step('volumes');
      await this.copyUpVolumes(mountId, stored, config);
      await step('copy-up');

      const json = this.containerJson({ id, name, image, config, hostConfig, Path, Args, mountPoints: stored, dir, security, platform: request.platform, networking: decoded.networkingConfig });
      if (links.length > 0) {
        const rows = links.map((l) => this.linkRow(name, id, l.alias, l.child));
        // Link names point at the linked container, not this one: undone one by one, only those taken here.
        for (const row of rows) {
          this.names.reserve(row.name, row.childId);
          undo.push(() => this.names.release(row.name));
        }
        this.deps.links.addMany(rows);
        undo.push(() => this.deps.links.removeContainer(id));
        // Docker keeps links as `/child:/parent/alias`.
        hostConfig.Links = links.map((l) => `${l.child.json.Name}:${name}/${l.alias}`);
        json.LinkNames = Object.fromEntries(rows.map((row) => [row.name, row.childId]));
      }
      await step('links');

      const container: Container = { json, hostConfig, mounts: 0, removing: false };
      await this.deps.files.commit({ json, hostConfig });
      await step('commit');
      this.containers.set(id, container);
      this.ids.add(id);
      this.creating.delete(id);
      this.emit('create', container);
      return { Id: id, Warnings: warnings };
    } catch (e) {
      if (e instanceof SimulatedCrash) throw e;
      for (const action of undo.reverse()) {
        try {
          await action();
        } catch (cleanupError) {
          this.deps.onWarning(`rollback of container ${id}: ${(cleanupError as Error).message}`);
        }
      }
      throw e;
    }
  }

  private lookupImage(reference: string | undefined, platform: string | undefined, warnings: string[]): ImageRecord {
    if (!reference) throw invalidParameter('config.Image must be specified'); // the API's `docker create` always sends one
    const image = this.deps.images.resolve(reference);
    const os = image.config.os || 'linux';
    const arch = image.config.architecture || 'amd64';
    const hostArch = process.arch === 'x64' ? 'amd64' : process.arch;
    if (platform) {
      const [wantOs, wantArch] = platform.split('/');
      if (wantOs !== os || (wantArch !== undefined && wantArch !== arch)) {
        throw notFound(`image with reference ${reference} was found but does not match the specified platform: wanted ${platform}, actual: ${os}/${arch}`);
      }
    } else if (os !== 'linux' || arch !== hostArch) {
      warnings.push(
        `The requested image's platform (${os}/${arch}) does not match the detected host platform (linux/${hostArch}) and no specific platform was requested`,
      );
    }
    return image;
  }

  /**
   * The container's mount points, in Docker's order of precedence: volumes
   * from other containers, then binds (-v), then Mounts, then tmpfs, then the
   * anonymous volumes Config.Volumes asks for where nothing else is mounted.
   */
  private planMounts(config: ContainerConfig, hostConfig: HostConfig): MountPoint[] {
    const byDestination = new Map<string, MountPoint>();
    for (const spec of hostConfig.VolumesFrom ?? []) {
      const { container: ref, mode } = parseVolumesFrom(spec);
      const source = this.get(ref);
      for (const p of Object.values(source.json.MountPoints)) {
        const rw = mode === '' ? p.RW : mode === 'rw' && p.RW;
        byDestination.set(p.Destination, { ...p, RW: rw, CopyData: false, Mode: '' });
      }
    }
    const explicit: MountPoint[] = [
      ...(hostConfig.Binds ?? []).map(parseBindSpec),
      ...(hostConfig.Mounts ?? []).map(parseMountSpec),
      ...parseTmpfs(hostConfig.Tmpfs ?? {}),
    ];
    duplicateCheck(explicit);
    for (const p of explicit) byDestination.set(p.Destination, p);
    for (const destination of Object.keys(config.Volumes ?? {})) {
      const clean = path.posix.normalize(destination).replace(/(.)\/+$/, '$1');
      if (!clean.startsWith('/') || clean === '/') throw invalidParameter(`invalid volume specification: '${destination}'`);
      if (byDestination.has(clean)) continue;
      // An image VOLUME (or `-v /dst`): an anonymous volume, as dockerd records it.
      byDestination.set(clean, {
        Type: 'volume', Source: '', Destination: clean, RW: true, Name: '', Driver: 'local',
        Mode: '', Relabel: '', Propagation: '', CopyData: true, Spec: {},
      });
    }
    return [...byDestination.values()].map((p) => this.withRootPropagation(p));
  }

  /**
   * A bind of something under the engine's root must not hide the engine's
   * own later mounts from the container: Docker makes it rslave and refuses
   * a private or shared propagation there.
   */
  private withRootPropagation(p: MountPoint): MountPoint {
    if (p.Type !== 'bind') return p;
    const rel = path.relative(this.deps.root, p.Source);
    const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    if (!inside) return p;
    const explicit = /(^|,)r?(private|shared|slave)(,|$)/.test(p.Mode) || Boolean(p.Spec.BindOptions?.Propagation);
    if (explicit && p.Propagation !== 'rslave' && p.Propagation !== 'rshared') {
      throw invalidParameter(
        `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: "${this.deps.root}", bind mount source: "${p.Source}", propagation: "${p.Propagation}"`,
      );
    }
    return explicit ? p : { ...p, Propagation: 'rslave' };
  }

  /** The containers `HostConfig.Links` names, checked before anything is made. */
  private planLinks(hostConfig: HostConfig): Array<{ alias: string; child: Container }> {
    const seen = new Set<string>();
    return (hostConfig.Links ?? []).map((spec) => {
      const { name, alias } = parseLink(spec);
      let child: Container;
      try {
        child = this.get(name);
      } catch {
        throw invalidParameter(`could not get container for ${name.replace(/^\//, '')}`);
      }
      if (child.hostConfig.NetworkMode === 'host') {
        throw invalidParameter("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
      }
      if (seen.has(alias)) throw invalidParameter(`duplicate link alias: ${alias}`);
      seen.add(alias);
      return { alias, child };
    });
  }

  /** A legacy link's row: the env vars and hosts lines it implies, for start to use. */
  private linkRow(parentName: string, parentId: string, alias: string, child: Container): LinkRecord {
    const childName = child.json.Name;
    return {
      parentId,
      childId: child.json.ID,
      alias,
      name: `${parentName}/${alias}`,
      env: linkEnv({
        alias,
        parentName,
        childName,
        childIp: '',
        exposedPorts: Object.keys(child.json.Config.ExposedPorts ?? {}),
        childEnv: child.json.Config.Env ?? [],
      }),
      hosts: linkHostsEntries({ alias, childHostname: child.json.Config.Hostname ?? '', childName: childName.replace(/^\//, ''), childIp: '' }),
    };
  }

  /**
   * Creates the volumes the mount points name (journalled first, so that a
   * crash cannot orphan them) and takes this container's reference to each.
   */
  private async makeVolumes(id: string, points: MountPoint[], undo: Array<() => unknown>): Promise<StoredMountPoint[]> {
    const volumes = this.deps.volumes;
    const anonymous = new Set(points.filter((p) => p.Type === 'volume' && p.Name === ''));
    // Anonymous names are chosen now so that the journal can name them.
    for (const p of anonymous) p.Name = generateContainerId();
    const maybeNew = points.filter((p) => p.Type === 'volume' && (anonymous.has(p) || volumes.get(p.Name) === undefined));
    if (maybeNew.length > 0) await this.deps.files.journal(id, maybeNew.map((p) => p.Name));
    const stored: StoredMountPoint[] = [];
    for (const p of points) {
      if (p.Type !== 'volume') {
        stored.push({ ...p, CopyData: false });
        continue;
      }
      const { volume, created } = await volumes.create({ Name: p.Name, anonymous: anonymous.has(p), Labels: volumeLabels(p) });
      volumes.addRef(volume.Name, id);
      undo.push(async () => {
        volumes.removeRef(volume.Name, id);
        if (created && volumes.refs(volume.Name).length === 0) await volumes.remove(volume.Name, { force: true });
      });
      stored.push({ ...p, Name: volume.Name, Source: volume.Mountpoint, Driver: 'local', CopyData: p.CopyData && created, Anonymous: anonymous.has(p) });
    }
    return stored;
  }

  /**
   * Docker copies the image's content at a volume's path into the volume when
   * the volume is new. That is the one part of a create that needs the rootfs
   * mounted, so the mount happens only when some volume is to be filled.
   */
  private async copyUpVolumes(mountId: string, points: StoredMountPoint[], config: ContainerConfig): Promise<void> {
    const toFill = points.filter((p) => p.Type === 'volume' && p.CopyData);
    if (toFill.length === 0) return;
    const rootfs = await this.deps.driver.get(mountId);
    try {
      const ops: native.BatchOp[] = toFill.map((p) => ({ op: 'mkdir', path: p.Destination, mode: 0o755, parents: true }));
      if (config.WorkingDir) ops.push({ op: 'mkdir', path: config.WorkingDir, mode: 0o755, parents: true });
      for (const p of toFill) await copyUp(rootfs, p.Destination, this.deps.volumes.dataPath(p.Name));
      // The mount points exist in the rootfs, as Docker leaves them after a create.
      await native.batch(rootfs, ops);
    } finally {
      await this.deps.driver.put(mountId);
    }
  }

  private containerJson(p: {
    id: string;
    name: string;
    image: ImageRecord;
    config: ContainerConfig;
    hostConfig: HostConfig;
    Path: string;
    Args: string[];
    mountPoints: StoredMountPoint[];
    dir: string;
    security: ReturnType<typeof securityOptions>;
    platform: string | undefined;
    networking: NetworkingConfig;
  }): ContainerJson {
    return {
      State: {
        Running: false,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        RemovalInProgress: false,
        Dead: false,
        Pid: 0,
        ExitCode: 0,
        Error: '',
        StartedAt: ZERO_TIME,
        FinishedAt: ZERO_TIME,
        Health: null,
      },
      ID: p.id,
      Created: new Date().toISOString(),
      Managed: false,
      Path: p.Path,
      Args: p.Args,
      Config: p.config,
      Image: p.image.id,
      NetworkSettings: networkSettings(p.hostConfig, p.networking),
      LogPath: '',
      Name: p.name,
      Driver: this.deps.driver.name,
      OS: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      RestartCount: 0,
      HasBeenStartedBefore: false,
      HasBeenManuallyStopped: false,
      MountPoints: Object.fromEntries(p.mountPoints.map((m) => [m.Destination, m])),
      AppArmorProfile: p.security.apparmorProfile,
      HostnamePath: path.join(p.dir, 'hostname'),
      HostsPath: path.join(p.dir, 'hosts'),
      ShmPath: '',
      ResolvConfPath: path.join(p.dir, 'resolv.conf'),
      SeccompProfile: p.security.seccompProfile,
      NoNewPrivileges: p.security.noNewPrivileges,
      ...(p.platform ? { Platform: p.platform } : {}),
    };
  }

  // --- lookups -----------------------------------------------------------

  private get(idOrName: string): Container {
    const id = resolveContainerId(idOrName, this.names, this.ids);
    const container = this.containers.get(id);
    if (!container) throw notFound(`No such container: ${idOrName}`);
    return container;
  }

  /** IDs of containers (finished or being made) on an image: what rmi must respect. */
  usersOfImage(imageId: string): string[] {
    const users = [...this.containers.values()].filter((c) => c.json.Image === imageId).map((c) => c.json.ID);
    for (const [id, image] of this.creating) if (image === imageId) users.push(id);
    return users;
  }

  get count(): number {
    return this.containers.size;
  }

  // --- inspect and list --------------------------------------------------

  /** `docker inspect`: by full ID, name (with or without `/`), or unique ID prefix. */
  inspect(idOrName: string): ContainerInspect {
    const c = this.get(idOrName);
    const j = c.json;
    const record = this.deps.images.mount(j.ID);
    return {
      Id: j.ID,
      Created: j.Created,
      Path: j.Path,
      Args: j.Args,
      State: {
        Status: c.removing ? 'removing' : 'created',
        Running: false,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 0,
        ExitCode: 0,
        Error: '',
        StartedAt: ZERO_TIME,
        FinishedAt: ZERO_TIME,
      },
      Image: j.Image,
      ResolvConfPath: j.ResolvConfPath,
      HostnamePath: j.HostnamePath,
      HostsPath: j.HostsPath,
      LogPath: j.LogPath,
      Name: j.Name,
      RestartCount: j.RestartCount,
      Driver: j.Driver,
      Platform: 'linux',
      MountLabel: j.MountLabel,
      ProcessLabel: j.ProcessLabel,
      AppArmorProfile: j.AppArmorProfile,
      ExecIDs: null,
      HostConfig: normalizeHostConfig(c.hostConfig),
      GraphDriver: { Name: this.deps.driver.name, Data: record ? this.graphDriverData(record) : null },
      Mounts: this.mountSummaries(c),
      Config: normalizeConfig(j.Config),
      NetworkSettings: inspectNetworkSettings(j.NetworkSettings),
    };
  }

  private graphDriverData(record: MountRecord): StringMap {
    const driver = this.deps.driver;
    const lowers = [driver.diffPath(record.initId)];
    let layer = record.parent ? this.deps.images.getLayer(record.parent) : undefined;
    while (layer) {
      lowers.push(driver.diffPath(layer.cacheId));
      layer = layer.parent ? this.deps.images.getLayer(layer.parent) : undefined;
    }
    const layerDir = path.dirname(driver.diffPath(record.mountId));
    return {
      LowerDir: lowers.join(':'),
      MergedDir: path.join(layerDir, 'merged'),
      UpperDir: driver.diffPath(record.mountId),
      WorkDir: path.join(layerDir, 'work'),
    };
  }

  private mountSummaries(c: Container): MountPointSummary[] {
    return Object.values(c.json.MountPoints).map((p) =>
      toMountSummary(p as MountPoint, p.Type === 'volume' ? this.deps.volumes.get(p.Name)?.Mountpoint : undefined),
    );
  }

  /** `docker ps`: every container here is "created" (berth does not run them), so `all` changes nothing but is honoured. */
  list(options: ListContainersOptions = {}): ContainerSummary[] {
    const filters = options.filters ?? {};
    let out = [...this.containers.values()]
      .filter((c) => this.matches(c, filters))
      .sort((a, b) => (a.json.Created < b.json.Created ? 1 : a.json.Created > b.json.Created ? -1 : 0));
    if (options.all !== true && !(filters.status ?? []).length) {
      // Docker lists only running containers without `all`; none of ours run.
      out = [];
    }
    if (options.limit !== undefined && options.limit > 0) out = out.slice(0, options.limit);
    return out.map((c) => this.summary(c));
  }

  private matches(c: Container, filters: Record<string, string[]>): boolean {
    const j = c.json;
    const labels = j.Config.Labels ?? {};
    for (const [key, values] of Object.entries(filters)) {
      if (values.length === 0) continue;
      let ok: boolean;
      switch (key) {
        case 'id':
          ok = values.some((v) => j.ID.startsWith(v));
          break;
        case 'name':
          ok = values.some((v) => {
            let re: RegExp;
            try {
              re = new RegExp(v);
            } catch {
              throw invalidParameter(`invalid filter 'name=${v}': not a regular expression`);
            }
            return this.names.namesOf(j.ID).some((n) => re.test(n));
          });
          break;
        case 'label':
          ok = values.every((v) => {
            const eq = v.indexOf('=');
            return eq < 0 ? v in labels : labels[v.slice(0, eq)] === v.slice(eq + 1);
          });
          break;
        case 'ancestor':
          ok = values.some((v) => this.isAncestor(v, j));
          break;
        case 'status':
          for (const v of values) {
            if (!['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'].includes(v)) {
              throw invalidParameter(`invalid filter 'status=${v}'`);
            }
          }
          ok = values.includes(c.removing ? 'removing' : 'created');
          break;
        case 'volume':
          ok = values.some((v) => Object.values(j.MountPoints).some((p) => p.Name === v || p.Destination === v));
          break;
        default:
          throw invalidParameter(`invalid filter '${key}'`);
      }
      if (!ok) return false;
    }
    return true;
  }

  private isAncestor(reference: string, j: ContainerJson): boolean {
    try {
      return this.deps.images.resolve(reference).id === j.Image;
    } catch {
      return j.Config.Image === reference;
    }
  }

  private summary(c: Container): ContainerSummary {
    const j = c.json;
    const command = [j.Path, ...j.Args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
    const imageName = this.deps.images.hasImage(j.Image) ? (j.Config.Image ?? j.Image) : j.Image;
    return {
      Id: j.ID,
      Names: this.names.namesOf(j.ID),
      Image: imageName,
      ImageID: j.Image,
      Command: command,
      Created: Math.floor(Date.parse(j.Created) / 1000),
      Ports: [],
      Labels: j.Config.Labels ?? {},
      State: c.removing ? 'removing' : 'created',
      Status: c.removing ? 'Removal In Progress' : 'Created',
      HostConfig: { NetworkMode: c.hostConfig.NetworkMode ?? 'default' },
      NetworkSettings: { Networks: (inspectNetworkSettings(j.NetworkSettings).Networks as Record<string, unknown>) ?? {} },
      Mounts: this.mountSummaries(c),
    };
  }

  // --- remove ------------------------------------------------------------

  /** `docker rm`. */
  async remove(idOrName: string, options: RemoveContainerOptions = {}): Promise<void> {
    if (options.link) return this.removeLink(idOrName);
    const c = this.get(idOrName);
    const id = c.json.ID;
    if (c.removing) throw conflict(`removal of container ${id.slice(0, 12)} is already in progress`);
    if (c.mounts > 0 && !options.force) {
      throw conflict(`You cannot remove a mounted container ${id.slice(0, 12)}. Unmount the container before attempting removal or force remove`);
    }
    c.removing = true;
    let dir: string;
    try {
      dir = await this.deps.files.markRemoving(id, options.v === true);
    } catch (e) {
      c.removing = false;
      throw e;
    }
    // From here the container is gone for a restore; what follows is cleanup that restore would finish.
    this.containers.delete(id);
    this.ids.delete(id);
    this.names.releaseAll(id);
    for (const name of Object.keys(c.json.LinkNames ?? {})) this.names.release(name);
    try {
      await this.dismantle(id, { json: c.json, hostConfig: c.hostConfig }, dir, { removeVolumes: options.v === true, mounts: c.mounts });
    } finally {
      this.emit('destroy', c);
    }
  }

  /** Removes what is left of a container whose directory is marked for removal. */
  private async dismantle(id: string, stored: StoredContainer | null, dir: string, o: { removeVolumes: boolean; mounts: number }): Promise<void> {
    const record = this.deps.images.mount(id);
    if (record) {
      for (let i = 0; i < o.mounts; i++) await this.deps.driver.put(record.mountId).catch(() => undefined);
      // A record torn by a crash may lack an id; its layers are then orphans that restore sweeps.
      for (const layer of [record.mountId, record.initId]) {
        if (layer && (await this.deps.driver.exists(layer))) await this.deps.driver.remove(layer);
      }
      await this.deps.images.removeMount(id);
    }
    this.deps.links.removeContainer(id);
    for (const p of Object.values(stored?.json.MountPoints ?? {})) {
      if (p.Type !== 'volume') continue;
      this.deps.volumes.removeRef(p.Name, id);
      if (o.removeVolumes && p.Anonymous && this.deps.volumes.refs(p.Name).length === 0) {
        await this.deps.volumes.remove(p.Name, { force: true }).catch((e: Error) => this.deps.onWarning(`removing volume ${p.Name}: ${e.message}`));
      }
    }
    await this.deps.files.removeDir(dir);
  }

  private async removeLink(name: string): Promise<void> {
    const full = name.startsWith('/') ? name : `/${name}`;
    const parts = full.split('/').filter(Boolean);
    if (parts.length < 2) throw invalidParameter(`Conflict, cannot remove the default link name of the container`);
    const link = this.deps.links.get(full);
    if (!link) throw notFound(`Could not find entity for ${name}`);
    const parent = this.containers.get(link.parentId);
    this.deps.links.remove(full);
    this.names.release(full);
    if (parent) {
      const linkNames = { ...(parent.json.LinkNames ?? {}) };
      delete linkNames[full];
      parent.json.LinkNames = linkNames;
      parent.hostConfig.Links = (parent.hostConfig.Links ?? []).filter((l) => !l.endsWith(`:${full}`));
      await this.deps.files.save({ json: parent.json, hostConfig: parent.hostConfig });
      this.emit('unlink', parent);
    }
  }

  // --- mount -------------------------------------------------------------

  /** Mounts the container's rootfs (refcounted); returns the merged path. */
  async mount(idOrName: string): Promise<string> {
    const c = this.get(idOrName);
    const record = this.deps.images.mount(c.json.ID);
    if (!record) throw new EngineError(`container ${c.json.ID} has no layers`, 'EIO');
    const merged = await this.deps.driver.get(record.mountId);
    c.mounts += 1;
    this.emit('mount', c);
    return merged;
  }

  async unmount(idOrName: string): Promise<void> {
    const c = this.get(idOrName);
    if (c.mounts === 0) throw conflict(`container ${c.json.ID.slice(0, 12)} is not mounted`);
    const record = this.deps.images.mount(c.json.ID);
    if (record) await this.deps.driver.put(record.mountId);
    c.mounts -= 1;
    this.emit('unmount', c);
  }

  // --- restore -----------------------------------------------------------

  /**
   * Brings every finished container back, finishes interrupted removals,
   * rolls back interrupted creates, and removes layers and link rows that
   * belong to no container.
   */
  async restore(): Promise<{ restored: number; rolledBack: number; orphans: number }> {
    const { files, images, driver, volumes, links } = this.deps;
    const found = await files.load();
    let rolledBack = 0;
    let orphans = 0;
    for (const r of found.removing) {
      await this.dismantle(r.id, r.container, r.dir, { removeVolumes: r.removeVolumes, mounts: 0 });
    }
    for (const stored of found.complete) {
      const id = stored.json.ID;
      const c: Container = { json: stored.json, hostConfig: stored.hostConfig, mounts: 0, removing: false };
      this.containers.set(id, c);
      try {
        this.names.reserve(stored.json.Name, id);
      } catch (e) {
        // Two containers on disk claiming one name cannot come from berth; the engine must still open.
        const name = this.names.reserveGenerated(id);
        this.deps.onWarning(`container ${id}: ${(e as Error).message}; it is known as ${name} now`);
        c.json.Name = name;
      }
      for (const p of Object.values(stored.json.MountPoints)) {
        if (p.Type === 'volume' && volumes.get(p.Name)) volumes.addRef(p.Name, id);
      }
      if (!images.mount(id)) this.deps.onWarning(`container ${id} has lost its layers`);
    }
    for (const inc of found.incomplete) {
      await this.rollBackInterrupted(inc.id, inc.volumes);
      rolledBack++;
    }
    this.ids = new IdIndex(this.containers.keys());
    // Link rows and link names: only between containers that exist. The
    // graph is not fsynced on every write; config.v2.json is, and says which
    // links a container made, so any the graph lost are made again.
    orphans += links.retainOnly(new Set(this.containers.keys()));
    const known = new Set(links.all().map((l) => l.name));
    for (const c of this.containers.values()) {
      for (const [name, childId] of Object.entries(c.json.LinkNames ?? {})) {
        const child = this.containers.get(childId);
        if (known.has(name) || !child) continue;
        links.add(this.linkRow(c.json.Name, c.json.ID, name.slice(name.lastIndexOf('/') + 1), child));
      }
    }
    for (const link of links.all()) this.names.reserve(link.name, link.childId);
    // Layers no container record explains: a crash between the driver and the record.
    for (const [id] of images.mountRecords()) {
      if (!this.containers.has(id)) {
        await this.removeLayersOf(id);
        orphans++;
      }
    }
    const knownLayers = images.layerCacheIds();
    for (const record of images.mountRecords().values()) {
      knownLayers.add(record.mountId);
      knownLayers.add(record.initId);
    }
    for (const layer of await driver.list()) {
      if (!knownLayers.has(layer)) {
        await driver.remove(layer).catch((e: Error) => this.deps.onWarning(`orphan layer ${layer}: ${e.message}`));
        orphans++;
      }
    }
    for (const stray of found.strays) await files.removeDir(stray);
    return { restored: this.containers.size, rolledBack, orphans };
  }

  private async rollBackInterrupted(id: string, journalVolumes: string[]): Promise<void> {
    await this.removeLayersOf(id);
    this.deps.links.removeContainer(id);
    for (const name of journalVolumes) {
      if (this.deps.volumes.get(name) && this.deps.volumes.refs(name).length === 0) {
        await this.deps.volumes.remove(name, { force: true });
      }
    }
    await this.deps.files.removeDir(this.deps.files.dir(id));
  }

  private async removeLayersOf(id: string): Promise<void> {
    const record = this.deps.images.mount(id);
    if (!record) return;
    for (const layer of [record.mountId, record.initId]) {
      if (layer && (await this.deps.driver.exists(layer))) await this.deps.driver.remove(layer);
    }
    await this.deps.images.removeMount(id);
  }

  /** Puts every mount this API holds (engine shutdown). */
  async unmountAll(): Promise<void> {
    for (const c of this.containers.values()) {
      const record = this.deps.images.mount(c.json.ID);
      for (; c.mounts > 0; c.mounts--) if (record) await this.deps.driver.put(record.mountId).catch(() => undefined);
    }
  }

  private emit(action: string, c: Container): void {
    const attributes: StringMap = { ...(c.json.Config.Labels ?? {}), image: c.json.Config.Image ?? c.json.Image, name: c.json.Name.replace(/^\//, '') };
    this.deps.events.emit('container', action, c.json.ID, attributes);
  }
}

function volumeLabels(p: MountPoint): StringMap | null {
  const labels = (p.Spec as { VolumeOptions?: { Labels?: StringMap | null } | null } | undefined)?.VolumeOptions?.Labels;
  return labels ?? null;
}

const EMPTY_ENDPOINT = {
  IPAMConfig: null,
  Links: null,
  Aliases: null,
  NetworkID: '',
  EndpointID: '',
  Gateway: '',
  IPAddress: '',
  IPPrefixLen: 0,
  IPv6Gateway: '',
  GlobalIPv6Address: '',
  GlobalIPv6PrefixLen: 0,
  MacAddress: '',
  DriverOpts: null,
};

/** NetworkSettings as config.v2.json keeps it for a container that has not started. */
function networkSettings(hostConfig: HostConfig, networking: NetworkingConfig): Record<string, unknown> {
  const mode = hostConfig.NetworkMode ?? 'default';
  const networks: Record<string, unknown> = {};
  const endpoints = networking.EndpointsConfig ?? {};
  if (Object.keys(endpoints).length > 0) {
    for (const [name, settings] of Object.entries(endpoints)) networks[name] = { ...EMPTY_ENDPOINT, ...(settings ?? {}) };
  } else if (!mode.startsWith('container:')) {
    networks[mode === 'default' ? 'bridge' : mode] = { ...EMPTY_ENDPOINT };
  }
  return {
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: {},
    SandboxKey: '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: networks,
  };
}

function inspectNetworkSettings(stored: Record<string, unknown>): Record<string, unknown> {
  return stored;
}

// Re-exported so the engine's callers can compare API versions without reaching into src/container.
export { compareApiVersions };
