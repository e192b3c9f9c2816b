// `berth create` flags → the `POST /containers/create` request, translated
// as the docker CLI translates them (cli/command/container/opts.go): what it
// checks itself, what it fills in, and what it leaves for the daemon.
import { isIP } from 'node:net';
import type { ContainerConfig, ContainerCreateRequest, HostConfig, MountSpec, RestartPolicy } from '../container/types';
import { type Environment, buildEnv, buildLabels } from './env-flags';
import { parseMountFlag, volumeFlags } from './mount-flags';
import { publishedPorts } from './ports';

/** The create flags, already typed by their option parsers (sizes in bytes, counts as numbers). */
export interface CreateOptions {
  name?: string;
  env: string[];
  envFile: string[];
  volume: string[];
  mount: string[];
  volumesFrom: string[];
  link: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  label: string[];
  labelFile: string[];
  hostname?: string;
  domainname?: string;
  ipc?: string;
  pid?: string;
  uts?: string;
  userns?: string;
  cgroupns?: string;
  securityOpt: string[];
  memory?: number;
  memorySwap?: number;
  memorySwappiness?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpus?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuPeriod?: number;
  cpuQuota?: number;
  pidsLimit?: number;
  oomScoreAdj?: number;
  restart?: string;
  rm?: boolean;
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  network?: string;
  addHost: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  capAdd: string[];
  capDrop: string[];
  groupAdd: string[];
  sysctl: string[];
  privileged?: boolean;
  readOnly?: boolean;
  tmpfs: string[];
  shmSize?: number;
  stopSignal?: string;
  stopTimeout?: number;
  init?: boolean;
  tty?: boolean;
  interactive?: boolean;
  pull: string;
  cidfile?: string;
  platform?: string;
  quiet?: boolean;
}

export interface TranslationContext {
  /** The client's environment (for `-e NAME`). */
  env: Environment;
  /** Where `./x` bind sources are relative to. */
  cwd: string;
  /** Reads a local file (env files, label files, seccomp profiles). */
  readFile: (path: string) => string;
}

export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export function validatePullPolicy(value: string): PullPolicy {
  if ((PULL_POLICIES as readonly string[]).includes(value)) return value as PullPolicy;
  throw new Error(`invalid pull option: '${value}': must be one of "always", "missing" or "never"`);
}

/** `no`, `always`, `unless-stopped`, `on-failure[:N]`; the daemon checks the name. */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return {};
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  const result: RestartPolicy = { Name: name };
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    result.MaximumRetryCount = Number(count);
  }
  return result;
}

/** `net_admin` → `CAP_NET_ADMIN`; `ALL` stays. */
export function normalizeCapabilities(caps: string[]): string[] {
  return caps.map((c) => {
    const upper = c.trim().toUpperCase();
    return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  });
}

export function validateLink(value: string): string {
  if (value === '') throw new Error('empty string specified for links');
  if (value.split(':').length > 2) throw new Error(`bad format for links: ${value}`);
  return value;
}

/** `host:ip` or `host=ip` (IPv6 in brackets or not, or `host-gateway`) → `host:ip` as the API takes it. */
export function validateExtraHost(value: string): string {
  let sep = value.indexOf('=');
  if (sep < 0) sep = value.indexOf(':');
  const host = sep < 0 ? '' : value.slice(0, sep);
  let address = sep < 0 ? '' : value.slice(sep + 1);
  if (sep < 0 || host === '' || host.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(value)}`);
  if (address !== 'host-gateway') {
    if (address.length > 2 && address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
    if (isIP(address) === 0) throw new Error(`invalid IP address in add-host: ${JSON.stringify(address)}`);
  }
  return `${host}:${address}`;
}

export function validateIpAddress(value: string): string {
  const trimmed = value.trim();
  if (isIP(trimmed) === 0) throw new Error(`IP address is not correctly formatted: ${value}`);
  return trimmed;
}

/** `seccomp=<file>` carries the profile's JSON itself; other options pass as given. */
function securityOptions(options: string[], readFile: (p: string) => string): string[] {
  return options.map((opt) => {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const value = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || value === '') && key !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (key !== 'seccomp' || value === 'unconfined' || value === 'builtin') return opt;
    let profile: string;
    try {
      profile = readFile(value);
    } catch (e) {
      throw new Error(`opening seccomp profile (${value}) failed: ${(e as Error).message}`);
    }
    try {
      return `seccomp=${JSON.stringify(JSON.parse(profile))}`;
    } catch (e) {
      throw new Error(`compacting json for seccomp profile (${value}) failed: ${(e as Error).message}`);
    }
  });
}

function namespaceModes(o: CreateOptions): void {
  const pid = o.pid ?? '';
  if (!(pid === '' || pid === 'host' || (pid.startsWith('container:') && pid.length > 'container:'.length))) {
    throw new Error('--pid: invalid PID mode');
  }
  if (!['', 'host'].includes(o.uts ?? '')) throw new Error('--uts: invalid UTS mode');
  if (!['', 'host'].includes(o.userns ?? '')) throw new Error('--userns: invalid USER mode');
  if (!['', 'host', 'private'].includes(o.cgroupns ?? '')) throw new Error('--cgroupns: invalid CGROUP mode');
}

/** docker's client sends these lists as null when no flag filled them. */
const nullIfEmpty = (list: string[]): string[] | null => (list.length === 0 ? null : list);

function keyValueMap(entries: string[], what: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`invalid ${what} format: ${entry}`);
    map[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return map;
}

/**
 * The request `docker create [OPTIONS] IMAGE [COMMAND] [ARG...]` sends.
 * @throws Error with the docker CLI's wording for what the CLI itself refuses.
 */
export function buildCreateRequest(image: string, command: string[], o: CreateOptions, ctx: TranslationContext): ContainerCreateRequest {
  namespaceModes(o);
  if (o.memorySwappiness !== undefined && o.memorySwappiness !== -1 && (o.memorySwappiness < 0 || o.memorySwappiness > 100)) {
    throw new Error(`invalid value: ${o.memorySwappiness}. Valid memory swappiness range is 0-100`);
  }
  const envFiles = o.envFile.map((f) => ctx.readFile(f));
  const labelFiles = o.labelFile.map((f) => ctx.readFile(f));
  const { volumes, binds } = volumeFlags(o.volume, ctx.cwd);
  const mounts: MountSpec[] = o.mount.map((m) => parseMountFlag(m, ctx.cwd));
  const { exposedPorts, portBindings } = publishedPorts(o.publish, o.expose);
  const tmpfs: Record<string, string> = {};
  for (const t of o.tmpfs) {
    const colon = t.indexOf(':');
    if (colon < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, colon)] = t.slice(colon + 1);
  }

  let entrypoint: string[] | null = null;
  // `--entrypoint ""` clears the image's entrypoint, which [""] tells the daemon.
  if (o.entrypoint !== undefined) entrypoint = [o.entrypoint];

  const config: ContainerConfig = {
    Hostname: o.hostname ?? '',
    Domainname: o.domainname ?? '',
    User: o.user ?? '',
    AttachStdin: o.interactive === true,
    AttachStdout: true,
    AttachStderr: true,
    ExposedPorts: exposedPorts,
    Tty: o.tty === true,
    OpenStdin: o.interactive === true,
    // docker create -i: the stdin of the first attach is the container's, and closes with it.
    StdinOnce: o.interactive === true,
    Env: buildEnv(envFiles, o.env, ctx.env),
    Cmd: command.length > 0 ? command : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: o.workdir ?? '',
    Entrypoint: entrypoint,
    Labels: buildLabels(labelFiles, o.label),
  };
  if (o.stopSignal !== undefined) config.StopSignal = o.stopSignal;
  if (o.stopTimeout !== undefined) config.StopTimeout = o.stopTimeout;

  const network = o.network ?? 'default';
  const hostConfig: HostConfig = {
    Binds: nullIfEmpty(binds),
    ContainerIDFile: o.cidfile ?? '',
    NetworkMode: network,
    PortBindings: portBindings,
    RestartPolicy: parseRestartPolicy(o.restart ?? ''),
    AutoRemove: o.rm === true,
    VolumesFrom: nullIfEmpty(o.volumesFrom),
    CapAdd: nullIfEmpty(normalizeCapabilities(o.capAdd)),
    CapDrop: nullIfEmpty(normalizeCapabilities(o.capDrop)),
    CgroupnsMode: o.cgroupns ?? '',
    Dns: o.dns.map(validateIpAddress),
    DnsOptions: o.dnsOption,
    DnsSearch: o.dnsSearch,
    ExtraHosts: nullIfEmpty(o.addHost.map(validateExtraHost)),
    GroupAdd: nullIfEmpty(o.groupAdd),
    IpcMode: o.ipc ?? '',
    Links: nullIfEmpty(o.link.map(validateLink)),
    OomScoreAdj: o.oomScoreAdj ?? 0,
    PidMode: o.pid ?? '',
    Privileged: o.privileged === true,
    PublishAllPorts: o.publishAll === true,
    ReadonlyRootfs: o.readOnly === true,
    SecurityOpt: nullIfEmpty(securityOptions(o.securityOpt, ctx.readFile)),
    Tmpfs: tmpfs,
    UTSMode: o.uts ?? '',
    UsernsMode: o.userns ?? '',
    ShmSize: o.shmSize ?? 0,
    Sysctls: keyValueMap(o.sysctl, 'sysctl'),
    CpuShares: o.cpuShares ?? 0,
    Memory: o.memory ?? 0,
    NanoCpus: o.cpus ?? 0,
    CpuPeriod: o.cpuPeriod ?? 0,
    CpuQuota: o.cpuQuota ?? 0,
    CpusetCpus: o.cpusetCpus ?? '',
    CpusetMems: o.cpusetMems ?? '',
    MemoryReservation: o.memoryReservation ?? 0,
    MemorySwap: o.memorySwap ?? 0,
    Mounts: mounts,
  };
  if (o.memorySwappiness !== undefined) hostConfig.MemorySwappiness = o.memorySwappiness;
  if (o.pidsLimit !== undefined) hostConfig.PidsLimit = o.pidsLimit;
  if (o.init !== undefined) hostConfig.Init = o.init;

  return {
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.platform ? { platform: o.platform } : {}),
    config,
    hostConfig,
    networkingConfig: { EndpointsConfig: { [network]: {} } },
  };
}
