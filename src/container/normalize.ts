// The complete Config and HostConfig that `docker inspect` shows for a created
// container: every field Docker always writes is present with Docker's zero
// value, in Docker's key order; the fields Docker writes only when set
// (`omitempty` in its Go types) appear only when set. Which lists are `[]`
// and which `null` follows what dockerd shows for a `docker create`. Maps are
// written with sorted keys, as Go's JSON encoder writes them.
import type { ContainerConfig, HealthConfig, HostConfig } from './types';

/** Paths Docker hides from unprivileged containers by default. */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];

/** Paths Docker mounts read-only in unprivileged containers by default. */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function normalizeConfig(config: ContainerConfig): ContainerConfig {
  const c = structuredClone(config);
  const out: ContainerConfig = {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
  };
  if (hasKeys(c.ExposedPorts)) out.ExposedPorts = sortedKeys(c.ExposedPorts);
  out.Tty = c.Tty ?? false;
  out.OpenStdin = c.OpenStdin ?? false;
  out.StdinOnce = c.StdinOnce ?? false;
  out.Env = c.Env ?? null;
  out.Cmd = c.Cmd ?? null;
  const healthcheck = c.Healthcheck ? normalizeHealthcheck(c.Healthcheck) : undefined;
  if (healthcheck) out.Healthcheck = healthcheck;
  if (c.ArgsEscaped) out.ArgsEscaped = true;
  out.Image = c.Image ?? '';
  out.Volumes = c.Volumes ? sortedKeys(c.Volumes) : null;
  out.WorkingDir = c.WorkingDir ?? '';
  out.Entrypoint = c.Entrypoint ?? null;
  if (c.NetworkDisabled) out.NetworkDisabled = true;
  if (c.MacAddress) out.MacAddress = c.MacAddress;
  out.OnBuild = c.OnBuild ?? null;
  out.Labels = c.Labels ? sortedKeys(c.Labels) : null;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.StopTimeout !== null && c.StopTimeout !== undefined) out.StopTimeout = c.StopTimeout;
  if (c.Shell?.length) out.Shell = c.Shell;
  return out;
}

/** Docker writes only the health-check fields that are set. */
function normalizeHealthcheck(health: HealthConfig): HealthConfig {
  const out: HealthConfig = {};
  if (health.Test?.length) out.Test = health.Test;
  if (health.Interval) out.Interval = health.Interval;
  if (health.Timeout) out.Timeout = health.Timeout;
  if (health.StartPeriod) out.StartPeriod = health.StartPeriod;
  if (health.StartInterval) out.StartInterval = health.StartInterval;
  if (health.Retries) out.Retries = health.Retries;
  return out;
}

export function normalizeHostConfig(hostConfig: HostConfig): HostConfig {
  const h = structuredClone(hostConfig);
  const out: HostConfig = {
    Binds: h.Binds ?? null,
    ContainerIDFile: h.ContainerIDFile ?? '',
    LogConfig: { Type: h.LogConfig?.Type ?? '', Config: sortedKeys(h.LogConfig?.Config ?? {}) },
    NetworkMode: h.NetworkMode ?? '',
    PortBindings: sortedKeys(h.PortBindings ?? {}),
    RestartPolicy: { Name: h.RestartPolicy?.Name ?? '', MaximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0 },
    AutoRemove: h.AutoRemove ?? false,
    VolumeDriver: h.VolumeDriver ?? '',
    VolumesFrom: h.VolumesFrom ?? null,
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    CgroupnsMode: h.CgroupnsMode ?? '',
    Dns: h.Dns ?? [],
    DnsOptions: h.DnsOptions ?? [],
    DnsSearch: h.DnsSearch ?? [],
    ExtraHosts: h.ExtraHosts ?? null,
    GroupAdd: h.GroupAdd ?? null,
    IpcMode: h.IpcMode ?? '',
    Cgroup: h.Cgroup ?? '',
    Links: h.Links ?? null,
    OomScoreAdj: h.OomScoreAdj ?? 0,
    PidMode: h.PidMode ?? '',
    Privileged: h.Privileged ?? false,
    PublishAllPorts: h.PublishAllPorts ?? false,
    ReadonlyRootfs: h.ReadonlyRootfs ?? false,
    SecurityOpt: h.SecurityOpt ?? null,
  };
  if (hasKeys(h.StorageOpt)) out.StorageOpt = sortedKeys(h.StorageOpt);
  if (hasKeys(h.Tmpfs)) out.Tmpfs = sortedKeys(h.Tmpfs);
  out.UTSMode = h.UTSMode ?? '';
  out.UsernsMode = h.UsernsMode ?? '';
  out.ShmSize = h.ShmSize ?? 0;
  if (hasKeys(h.Sysctls)) out.Sysctls = sortedKeys(h.Sysctls);
  if (h.Runtime) out.Runtime = h.Runtime;
  out.ConsoleSize = [h.ConsoleSize?.[0] ?? 0, h.ConsoleSize?.[1] ?? 0];
  if (hasKeys(h.Annotations)) out.Annotations = sortedKeys(h.Annotations);
  Object.assign(out, {
    Isolation: h.Isolation ?? '',
    CpuShares: h.CpuShares ?? 0,
    Memory: h.Memory ?? 0,
    NanoCpus: h.NanoCpus ?? 0,
    CgroupParent: h.CgroupParent ?? '',
    BlkioWeight: h.BlkioWeight ?? 0,
    BlkioWeightDevice: h.BlkioWeightDevice ?? [],
    BlkioDeviceReadBps: h.BlkioDeviceReadBps ?? [],
    BlkioDeviceWriteBps: h.BlkioDeviceWriteBps ?? [],
    BlkioDeviceReadIOps: h.BlkioDeviceReadIOps ?? [],
    BlkioDeviceWriteIOps: h.BlkioDeviceWriteIOps ?? [],
    CpuPeriod: h.CpuPeriod ?? 0,
    CpuQuota: h.CpuQuota ?? 0,
    CpuRealtimePeriod: h.CpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: h.CpuRealtimeRuntime ?? 0,
    CpusetCpus: h.CpusetCpus ?? '',
    CpusetMems: h.CpusetMems ?? '',
    Devices: h.Devices ?? [],
    DeviceCgroupRules: h.DeviceCgroupRules ?? null,
    DeviceRequests: h.DeviceRequests ?? null,
    KernelMemory: h.KernelMemory ?? 0,
    KernelMemoryTCP: h.KernelMemoryTCP ?? 0,
    MemoryReservation: h.MemoryReservation ?? 0,
    MemorySwap: h.MemorySwap ?? 0,
    MemorySwappiness: h.MemorySwappiness ?? null,
    OomKillDisable: h.OomKillDisable ?? null,
    PidsLimit: h.PidsLimit ?? null,
    Ulimits: h.Ulimits ?? [],
    CpuCount: h.CpuCount ?? 0,
    CpuPercent: h.CpuPercent ?? 0,
    IOMaximumIOps: h.IOMaximumIOps ?? 0,
    IOMaximumBandwidth: h.IOMaximumBandwidth ?? 0,
  } satisfies HostConfig);
  if (h.Mounts?.length) out.Mounts = h.Mounts;
  // Privileged containers see the host's /proc and /sys as they are.
  const privileged = out.Privileged === true;
  out.MaskedPaths = h.MaskedPaths ?? (privileged ? null : [...DEFAULT_MASKED_PATHS]);
  out.ReadonlyPaths = h.ReadonlyPaths ?? (privileged ? null : [...DEFAULT_READONLY_PATHS]);
  if (h.Init !== null && h.Init !== undefined) out.Init = h.Init;
  return out;
}

function hasKeys<T extends object>(map: T | null | undefined): map is T {
  return map !== null && map !== undefined && Object.keys(map).length > 0;
}

function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(map).sort()) {
    Object.defineProperty(sorted, key, { value: map[key], enumerable: true, writable: true, configurable: true });
  }
  return sorted;
}
