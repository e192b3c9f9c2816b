// Every check Docker makes on a create request before it looks up the image:
// a refusal is a 400 with Docker's wording; a setting the host cannot honour
// is a warning (and the setting is dropped by adaptContainerSettings).
// The order of the checks is Docker's, so that a request with several faults
// is refused for the same one.
import { isIP } from 'node:net';
import { posix } from 'node:path';
import { invalidParameter } from '../errors';
import { cgroupFeaturesOf, type HostFacts } from './hostfacts';
import { goQuote } from './security';
import type { ContainerConfig, HostConfig } from './types';

/** Docker's floor for memory limits: room for a container to start at all. */
const MIN_MEMORY = 6 * 1024 * 1024;
const ONE_MS_IN_NS = 1_000_000;
const MAX_CPUSET_ID = 8192;

/**
 * Checks a create request's settings; throws `invalidParameter` with Docker's
 * text on the first fault and returns Docker's warnings otherwise.
 */
export function verifyContainerSettings(config: ContainerConfig, hostConfig: HostConfig, host: HostFacts): string[] {
  // What Docker's request decoder refuses, before the daemon sees the request.
  checkNetworkModeConflicts(config, hostConfig);
  checkIsolation(hostConfig);
  checkQoS(hostConfig);
  checkRealtime(hostConfig, host);

  checkContainerConfig(config);
  checkHostConfig(config, hostConfig);

  const review = reviewResources(hostConfig, host);
  if (review.error !== undefined) throw invalidParameter(review.error);
  const warnings = [...review.warnings];
  warnings.push(...checkPlatformSettings(config, hostConfig, host));
  return warnings;
}

// ---------------------------------------------------------------------------
// Network-mode combinations

function checkNetworkModeConflicts(config: ContainerConfig, hostConfig: HostConfig): void {
  const networkMode = hostConfig.NetworkMode ?? '';
  if (networkMode === 'container' || networkMode.startsWith('container:')) {
    if (networkMode.slice('container:'.length) === '') {
      throw invalidParameter('Invalid network mode: invalid container format container:<name|id>');
    }
    if (config.Hostname) throw invalidParameter('conflicting options: hostname and the network mode');
    if (nonEmpty(hostConfig.Links)) {
      throw invalidParameter("conflicting options: container type network can't be used with links. This would result in undefined behavior");
    }
    if (nonEmpty(hostConfig.Dns)) throw invalidParameter('conflicting options: dns and the network mode');
    if (nonEmpty(hostConfig.ExtraHosts)) throw invalidParameter('conflicting options: custom host-to-IP mapping and the network mode');
    if (config.MacAddress) throw invalidParameter('conflicting options: mac-address and the network mode');
    if (keyCount(hostConfig.PortBindings) > 0 || hostConfig.PublishAllPorts) {
      throw invalidParameter('conflicting options: port publishing and the container type network mode');
    }
    if (keyCount(config.ExposedPorts) > 0) {
      throw invalidParameter('conflicting options: port exposing and the container type network mode');
    }
  }
  if (hostConfig.UTSMode === 'host' && config.Hostname) {
    throw invalidParameter('conflicting options: hostname and the UTS mode');
  }
  if (networkMode === 'host' && nonEmpty(hostConfig.Links)) {
    throw invalidParameter("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
  }
}

function checkIsolation(hostConfig: HostConfig): void {
  const isolation = hostConfig.Isolation ?? '';
  if (isolation !== '' && isolation.toLowerCase() !== 'default') {
    throw invalidParameter(`Invalid isolation: ${goQuote(isolation)} - linux only supports 'default'`);
  }
}

function checkQoS(hostConfig: HostConfig): void {
  if (hostConfig.IOMaximumBandwidth) {
    throw invalidParameter('Invalid QoS settings: linux does not support configuration of maximum bandwidth');
  }
  if (hostConfig.IOMaximumIOps) {
    throw invalidParameter('Invalid QoS settings: linux does not support configuration of maximum IOPs');
  }
}

function checkRealtime(hostConfig: HostConfig, host: HostFacts): void {
  const period = hostConfig.CpuRealtimePeriod ?? 0;
  const runtime = hostConfig.CpuRealtimeRuntime ?? 0;
  if ((period !== 0 || runtime !== 0) && !cgroupFeaturesOf(host).cpuRealtime) {
    throw invalidParameter('Your kernel does not support CPU real-time scheduler');
  }
  if (period !== 0 && runtime !== 0 && runtime > period) {
    throw invalidParameter('cpu real-time runtime cannot be higher than cpu real-time period');
  }
}

// ---------------------------------------------------------------------------
// Config

function checkContainerConfig(config: ContainerConfig): void {
  const workingDir = config.WorkingDir ?? '';
  if (workingDir !== '' && !workingDir.startsWith('/')) {
    throw invalidParameter(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  }
  if (config.StopSignal && !isValidSignal(config.StopSignal)) {
    throw invalidParameter(`invalid signal: ${config.StopSignal}`);
  }
  for (const entry of config.Env ?? []) {
    if (entry.split('=', 1)[0] === '') throw invalidParameter(`invalid environment variable: ${entry}`);
  }
  checkHealthcheck(config);
}

function checkHealthcheck(config: ContainerConfig): void {
  const health = config.Healthcheck;
  if (!health) return;
  const belowMinimum = (value: number | undefined): boolean => value !== undefined && value !== 0 && value < ONE_MS_IN_NS;
  if (belowMinimum(health.Interval)) throw invalidParameter('Interval in Healthcheck cannot be less than 1ms');
  if (belowMinimum(health.Timeout)) throw invalidParameter('Timeout in Healthcheck cannot be less than 1ms');
  if ((health.Retries ?? 0) < 0) throw invalidParameter('Retries in Healthcheck cannot be negative');
  if (belowMinimum(health.StartPeriod)) throw invalidParameter('StartPeriod in Healthcheck cannot be less than 1ms');
  if (belowMinimum(health.StartInterval)) throw invalidParameter('StartInterval in Healthcheck cannot be less than 1ms');
}

/** Signal names Docker knows on Linux (moby/sys/signal), without `SIG`. */
const SIGNAL_NAMES = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF',
  'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2',
  'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX',
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `RTMAX-${i + 1}`),
]);

/** Docker accepts any non-zero number Go's Atoi reads, or a known name. */
function isValidSignal(raw: string): boolean {
  if (/^[+-]?\d+$/.test(raw)) {
    const value = BigInt(raw);
    return value !== 0n && value >= -(2n ** 63n) && value < 2n ** 63n;
  }
  const upper = raw.toUpperCase();
  return SIGNAL_NAMES.has(upper.startsWith('SIG') ? upper.slice(3) : upper);
}

// ---------------------------------------------------------------------------
// HostConfig (platform-independent checks)

function checkHostConfig(config: ContainerConfig, hostConfig: HostConfig): void {
  const restartName = hostConfig.RestartPolicy?.Name ?? '';
  if (hostConfig.AutoRemove && restartName !== '' && restartName !== 'no') {
    throw invalidParameter("can't create 'AutoRemove' container with restart policy");
  }
  for (const entry of hostConfig.ExtraHosts ?? []) checkExtraHost(entry);
  checkPortBindings(hostConfig);
  checkExposedPorts(config);
  checkRestartPolicy(hostConfig);
  checkCapabilities('CapAdd', hostConfig.CapAdd);
  checkCapabilities('CapDrop', hostConfig.CapDrop);
  if (hostConfig.Annotations && Object.prototype.hasOwnProperty.call(hostConfig.Annotations, '')) {
    throw invalidParameter('invalid Annotations: the empty string is not permitted as an annotation key');
  }
  for (const link of hostConfig.Links ?? []) checkLink(link);
}

/** `name:ip` or `name=ip`; the IP may be `[bracketed]` or `host-gateway`. */
function checkExtraHost(entry: string): void {
  let separator = entry.indexOf('=');
  if (separator < 0) separator = entry.indexOf(':');
  const name = separator < 0 ? '' : entry.slice(0, separator);
  if (separator < 0 || name === '' || name.includes(':')) {
    throw invalidParameter(`bad format for add-host: ${goQuote(entry)}`);
  }
  let address = entry.slice(separator + 1);
  if (address === 'host-gateway') return;
  if (address.length > 2 && address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  if (!isGoIP(address.trim())) throw invalidParameter(`invalid IP address in add-host: ${goQuote(address)}`);
}

/** Go's net.ParseIP: no zone suffix, no leading zeros in IPv4 octets. */
function isGoIP(text: string): boolean {
  return !text.includes('%') && isIP(text) !== 0;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function splitProto(spec: string): { port: string; proto: string } {
  const slash = spec.indexOf('/');
  if (slash < 0) return { port: spec, proto: 'tcp' };
  return { port: spec.slice(0, slash), proto: spec.slice(slash + 1) || 'tcp' };
}

function parsePortNumber(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value <= 65535 ? value : undefined;
}

/** `80` or `8000-8010`; undefined when malformed or reversed. */
function parsePortRange(text: string): [number, number] | undefined {
  const dash = text.indexOf('-');
  const start = parsePortNumber(dash < 0 ? text : text.slice(0, dash));
  const end = dash < 0 ? start : parsePortNumber(text.slice(dash + 1));
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function checkProto(proto: string): void {
  if (!PROTOCOLS.has(proto.toLowerCase())) throw invalidParameter(`invalid proto: ${proto}`);
}

function checkPortBindings(hostConfig: HostConfig): void {
  for (const [key, bindings] of Object.entries(hostConfig.PortBindings ?? {})) {
    const { port, proto } = splitProto(key);
    // A published container port is one port; Docker's own clients expand ranges.
    const number = parsePortNumber(port);
    if (number === undefined || number === 0) throw invalidParameter(`invalid port specification: ${goQuote(port)}`);
    checkProto(proto);
    for (const binding of bindings ?? []) {
      const hostPort = binding.HostPort ?? '';
      // An empty host port asks for an ephemeral one.
      if (hostPort !== '' && parsePortRange(hostPort) === undefined) {
        throw invalidParameter(`invalid port specification: ${goQuote(hostPort)}`);
      }
    }
  }
}

function checkExposedPorts(config: ContainerConfig): void {
  for (const key of Object.keys(config.ExposedPorts ?? {})) {
    const { port, proto } = splitProto(key);
    const range = parsePortRange(port);
    if (range === undefined || range[0] === 0) throw invalidParameter(`invalid port specification: ${goQuote(port)}`);
    checkProto(proto);
  }
}

function checkRestartPolicy(hostConfig: HostConfig): void {
  const name = hostConfig.RestartPolicy?.Name ?? '';
  const retries = hostConfig.RestartPolicy?.MaximumRetryCount ?? 0;
  switch (name) {
    case '':
      // Older clients send a count with no policy; Docker lets it pass.
      return;
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (retries !== 0) {
        const negative = retries < 0 ? ' and cannot be negative' : '';
        throw invalidParameter(`invalid restart policy: maximum retry count can only be used with 'on-failure'${negative}`);
      }
      return;
    case 'on-failure':
      if (retries < 0) throw invalidParameter('invalid restart policy: maximum retry count cannot be negative');
      return;
    default:
      throw invalidParameter(
        `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
  }
}

/** Linux capabilities by number (capability.h), as Docker lists them. */
const CAPABILITIES = new Set(
  [
    'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
    'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
    'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
    'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
    'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
    'CHECKPOINT_RESTORE',
  ].map((name) => `CAP_${name}`),
);

/**
 * Docker's spelling of a capability list: upper case, `CAP_` prefixed, `ALL`
 * kept as is. Throws `unknown capability: "CAP_X"` for one Linux lacks.
 */
export function normalizeCapabilities(capabilities: readonly string[] | null | undefined): string[] {
  return (capabilities ?? []).map((capability) => {
    const upper = capability.toUpperCase();
    if (upper === 'ALL') return upper;
    const normalized = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!CAPABILITIES.has(normalized)) throw invalidParameter(`unknown capability: ${goQuote(normalized)}`);
    return normalized;
  });
}

function checkCapabilities(field: 'CapAdd' | 'CapDrop', capabilities: string[] | null | undefined): void {
  try {
    normalizeCapabilities(capabilities);
  } catch (err) {
    throw invalidParameter(`invalid ${field}: ${(err as Error).message}`);
  }
}

/** `name` or `name:alias` (or the stored `/name:/parent/alias`). */
function checkLink(link: string): void {
  if (link === '') throw invalidParameter('empty string specified for links');
  if (link.split(':').length > 2) throw invalidParameter(`bad format for links: ${link}`);
}

// ---------------------------------------------------------------------------
// Resources (cgroups)

export interface ResourceReview {
  /** The host config with what the host cannot honour dropped. */
  hostConfig: HostConfig;
  warnings: string[];
  /** Docker's text for the first refused setting, if any. */
  error?: string;
}

/**
 * Docker's resource checks, in Docker's order: some drop a setting the host
 * lacks (with a warning), some refuse the request; later checks see what the
 * earlier ones dropped. Never throws.
 */
export function reviewResources(source: HostConfig, host: HostFacts): ResourceReview {
  const hc: HostConfig = { ...source };
  const features = cgroupFeaturesOf(host);
  const warnings: string[] = [];
  const refuse = (error: string): ResourceReview => ({ hostConfig: hc, warnings, error });
  const n = (value: number | null | undefined): number => value ?? 0;

  // -1 is how clients say "the kernel's default".
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = null;

  if (n(hc.Memory) !== 0 && n(hc.Memory) < MIN_MEMORY) return refuse('Minimum memory limit allowed is 6MB');
  if (n(hc.Memory) > 0 && !features.memoryLimit) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    hc.Memory = 0;
    hc.MemorySwap = -1;
  }
  if (n(hc.Memory) > 0 && hc.MemorySwap !== -1 && !features.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    hc.MemorySwap = -1;
  }
  if (n(hc.Memory) > 0 && n(hc.MemorySwap) > 0 && n(hc.MemorySwap) < n(hc.Memory)) {
    return refuse('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (n(hc.Memory) === 0 && n(hc.MemorySwap) > 0) {
    return refuse('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (hc.MemorySwappiness !== null && hc.MemorySwappiness !== undefined && !features.memorySwappiness) {
    warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    hc.MemorySwappiness = null;
  }
  if (hc.MemorySwappiness !== null && hc.MemorySwappiness !== undefined && (hc.MemorySwappiness < 0 || hc.MemorySwappiness > 100)) {
    return refuse(`Invalid value: ${hc.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if (n(hc.MemoryReservation) > 0 && !features.memoryReservation) {
    warnings.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    hc.MemoryReservation = 0;
  }
  if (n(hc.MemoryReservation) > 0 && n(hc.MemoryReservation) < MIN_MEMORY) return refuse('Minimum memory reservation allowed is 6MB');
  if (n(hc.Memory) > 0 && n(hc.MemoryReservation) > 0 && n(hc.Memory) < n(hc.MemoryReservation)) {
    return refuse('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (n(hc.KernelMemory) > 0) {
    if (!features.kernelMemory) {
      warnings.push('Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
      hc.KernelMemory = 0;
    } else if (n(hc.KernelMemory) < MIN_MEMORY) {
      return refuse('Minimum kernel memory limit allowed is 6MB');
    } else {
      warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
    }
  }
  if (n(hc.KernelMemoryTCP) > 0 && !features.kernelMemoryTCP) {
    warnings.push('Your kernel does not support kernel memory TCP limit capabilities or the cgroup is not mounted. Limitation discarded.');
    hc.KernelMemoryTCP = 0;
  }
  if (hc.OomKillDisable !== null && hc.OomKillDisable !== undefined && !features.oomKillDisable) {
    // Asking for the default (OOM killer on) needs no warning.
    if (hc.OomKillDisable) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    hc.OomKillDisable = null;
  }
  if (hc.OomKillDisable === true && n(hc.Memory) === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (hc.PidsLimit !== null && hc.PidsLimit !== undefined && !features.pidsLimit) {
    if (hc.PidsLimit > 0) warnings.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    hc.PidsLimit = null;
  }

  if (n(hc.NanoCpus) > 0 && n(hc.CpuPeriod) > 0) return refuse('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (n(hc.NanoCpus) > 0 && n(hc.CpuQuota) > 0) return refuse('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (n(hc.NanoCpus) > 0 && !features.cpuCfs) {
    return refuse('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  }
  if (n(hc.NanoCpus) !== 0 && (n(hc.NanoCpus) < 0 || n(hc.NanoCpus) > host.cpus * 1e9)) {
    return refuse(`range of CPUs is from 0.01 to ${host.cpus}.00, as there are only ${host.cpus} CPUs available`);
  }
  if (n(hc.CpuShares) > 0 && !features.cpuShares) {
    warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    hc.CpuShares = 0;
  }
  if ((n(hc.CpuPeriod) !== 0 || n(hc.CpuQuota) !== 0) && !features.cpuCfs) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    hc.CpuPeriod = 0;
    hc.CpuQuota = 0;
  }
  if (n(hc.CpuPeriod) !== 0 && (n(hc.CpuPeriod) < 1000 || n(hc.CpuPeriod) > 1_000_000)) {
    return refuse('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (n(hc.CpuQuota) > 0 && n(hc.CpuQuota) < 1000) return refuse('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (n(hc.CpuPercent) > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    hc.CpuPercent = 0;
  }

  if ((hc.CpusetCpus || hc.CpusetMems) && !features.cpuset) {
    warnings.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    hc.CpusetCpus = '';
    hc.CpusetMems = '';
  }
  const cpusError = cpusetError(hc.CpusetCpus ?? '', host.cpusetCpus, 'cpus', 'Requested CPUs are not available');
  if (cpusError) return refuse(cpusError);
  const memsError = cpusetError(hc.CpusetMems ?? '', host.cpusetMems, 'mems', 'Requested memory nodes are not available');
  if (memsError) return refuse(memsError);

  if (n(hc.BlkioWeight) > 0 && !features.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    hc.BlkioWeight = 0;
  }
  if (n(hc.BlkioWeight) > 0 && (n(hc.BlkioWeight) < 10 || n(hc.BlkioWeight) > 1000)) {
    return refuse('Range of blkio weight is from 10 to 1000');
  }
  if (nonEmpty(hc.BlkioWeightDevice) && !features.blkioWeightDevice) {
    warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    hc.BlkioWeightDevice = [];
  }
  if (nonEmpty(hc.BlkioDeviceReadBps) && !features.blkioReadBpsDevice) {
    warnings.push('Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.');
    hc.BlkioDeviceReadBps = [];
  }
  if (nonEmpty(hc.BlkioDeviceWriteBps) && !features.blkioWriteBpsDevice) {
    warnings.push('Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.');
    hc.BlkioDeviceWriteBps = [];
  }
  if (nonEmpty(hc.BlkioDeviceReadIOps) && !features.blkioReadIOpsDevice) {
    warnings.push('Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.');
    hc.BlkioDeviceReadIOps = [];
  }
  if (nonEmpty(hc.BlkioDeviceWriteIOps) && !features.blkioWriteIOpsDevice) {
    warnings.push('Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.');
    hc.BlkioDeviceWriteIOps = [];
  }
  return { hostConfig: hc, warnings };
}

/** Docker's error for a cpuset list that is malformed or asks for more than the host has. */
function cpusetError(requested: string, available: string, kind: 'cpus' | 'mems', unavailable: string): string | undefined {
  const availableIds = parseIdList(available, 0);
  if (typeof availableIds === 'string') return `Invalid value ${requested} for cpuset ${kind}: ${availableIds}`;
  // Accept ids up to Linux's usual CPU maximum, or more if the host has more.
  const maximum = Math.max(MAX_CPUSET_ID, ...availableIds);
  const requestedIds = parseIdList(requested, maximum);
  if (typeof requestedIds === 'string') return `Invalid value ${requested} for cpuset ${kind}: ${requestedIds}`;
  for (const id of requestedIds) {
    if (!availableIds.has(id)) return `${unavailable} - requested ${requested}, available: ${available}`;
  }
  return undefined;
}

/** `0-3,6` into a set; a string is the parse error, in Docker's words. */
function parseIdList(list: string, maximum: number): Set<number> | string {
  const ids = new Set<number>();
  if (list === '') return ids;
  const invalid = `invalid format: ${list}`;
  for (const part of list.split(',')) {
    const dash = part.indexOf('-');
    const low = dash < 0 ? part : part.slice(0, dash);
    const high = dash < 0 ? part : part.slice(dash + 1);
    if (!/^\d+$/.test(low) || !/^\d+$/.test(high)) return invalid;
    const start = Number(low);
    const end = Number(high);
    if (end < start) return invalid;
    if (maximum !== 0 && end > maximum) return `value of out range, maximum is ${maximum}`;
    for (let id = start; id <= end; id++) ids.add(id);
  }
  return ids;
}

/** The host config with every resource setting the host cannot honour dropped, as Docker stores it. */
export function discardUnsupportedResources(hostConfig: HostConfig, host: HostFacts): HostConfig {
  return reviewResources(hostConfig, host).hostConfig;
}

// ---------------------------------------------------------------------------
// Namespaces, runtime, tmpfs (Docker's verifyPlatformContainerSettings)

const IPC_MODES = new Set(['', 'none', 'private', 'host', 'shareable']);
const RUNTIMES = new Set(['', 'runc', 'crun', 'io.containerd.runc.v2']);

function checkPlatformSettings(config: ContainerConfig, hostConfig: HostConfig, host: HostFacts): string[] {
  const warnings: string[] = [];
  const hostname = config.Hostname ?? '';
  if (Buffer.byteLength(hostname, 'utf8') > 64) {
    throw invalidParameter(`hostname ${goQuote(hostname)} is too long (maximum 64 bytes)`);
  }
  const ipcMode = hostConfig.IpcMode ?? '';
  if (!IPC_MODES.has(ipcMode) && !namesContainer(ipcMode)) throw invalidParameter(`invalid IPC mode: ${ipcMode}`);
  const pidMode = hostConfig.PidMode ?? '';
  if (pidMode !== '' && pidMode !== 'host' && !namesContainer(pidMode)) throw invalidParameter(`invalid PID mode: ${pidMode}`);
  if ((hostConfig.ShmSize ?? 0) < 0) throw invalidParameter('SHM size can not be less than 0');
  const utsMode = hostConfig.UTSMode ?? '';
  if (utsMode !== '' && utsMode !== 'host') throw invalidParameter(`invalid UTS mode: ${utsMode}`);
  const usernsMode = hostConfig.UsernsMode ?? '';
  if (usernsMode !== '' && usernsMode !== 'host') throw invalidParameter(`invalid userns mode: ${usernsMode}`);
  const oomScoreAdj = hostConfig.OomScoreAdj ?? 0;
  if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
    throw invalidParameter(`Invalid value ${oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  if (hostConfig.NetworkMode === 'host' && keyCount(hostConfig.PortBindings) > 0) {
    warnings.push('Published ports are discarded when using host network mode');
  }
  const runtime = hostConfig.Runtime ?? '';
  if (!RUNTIMES.has(runtime)) throw invalidParameter(`unknown or invalid runtime name: ${runtime}`);
  for (const destination of Object.keys(hostConfig.Tmpfs ?? {})) checkTmpfsDestination(destination);
  const cgroupnsMode = hostConfig.CgroupnsMode ?? '';
  if (cgroupnsMode !== '' && cgroupnsMode !== 'host' && cgroupnsMode !== 'private') {
    throw invalidParameter(`invalid cgroup namespace mode: ${cgroupnsMode}`);
  }
  if (cgroupnsMode === 'private' && !cgroupFeaturesOf(host).cgroupNamespaces) {
    warnings.push('Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.');
  }
  return warnings;
}

/** `container:<name|id>` with a name. */
function namesContainer(mode: string): boolean {
  return mode.startsWith('container:') && mode.length > 'container:'.length;
}

function checkTmpfsDestination(destination: string): void {
  const slashed = destination.replace(/\\/g, '/');
  if (posix.normalize(slashed) === '/') throw invalidParameter("invalid specification: destination can't be '/'");
  if (!slashed.startsWith('/')) throw invalidParameter(`invalid mount path: '${slashed}' mount path must be absolute`);
}

function nonEmpty(list: readonly unknown[] | null | undefined): boolean {
  return (list?.length ?? 0) > 0;
}

function keyCount(map: object | null | undefined): number {
  return map ? Object.keys(map).length : 0;
}
