// Docker's defaults for a verified HostConfig: what `docker inspect` shows for
// a setting the request left out, and the adjustments older API versions get.
import type { HostFacts } from './hostfacts';
import type { HostConfig } from './types';
import { discardUnsupportedResources } from './verify';

/** Docker's default /dev/shm size. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** The kernel's bounds for cpu.shares, which API versions before 1.19 are clamped to. */
const MIN_CPU_SHARES = 2;
const MAX_CPU_SHARES = 262144;

/**
 * Compares two API versions (`1.41` against `1.9`) number by number:
 * negative when `a` is older, 0 when equal, positive when newer.
 */
export function compareApiVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    // A missing or non-numeric part counts as 0, as Docker's comparison does.
    const x = Number.parseInt(left[i] ?? '0', 10) || 0;
    const y = Number.parseInt(right[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export interface AdaptOptions {
  /** The request's API version (`1.41`). */
  apiVersion: string;
  host: HostFacts;
}

/**
 * A new HostConfig with Docker's defaults filled in and the settings the host
 * cannot honour dropped (those `verifyContainerSettings` warned about).
 * `container:<name>` modes are left for the caller, which can resolve names.
 */
export function adaptContainerSettings(hostConfig: HostConfig, options: AdaptOptions): HostConfig {
  const { apiVersion, host } = options;
  const older = (version: string): boolean => compareApiVersions(apiVersion, version) < 0;
  const hc: HostConfig = discardUnsupportedResources(structuredClone(hostConfig), host);

  // What Docker's router adjusts for the request's API version.
  if (older('1.19') && (hc.CpuShares ?? 0) > 0) {
    hc.CpuShares = Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, hc.CpuShares ?? 0));
  }
  if (older('1.25')) {
    // Clients that old remove the container themselves.
    hc.AutoRemove = false;
  }
  if (older('1.40')) {
    // Fields those versions did not have.
    hc.KernelMemoryTCP = 0;
    for (const mount of hc.Mounts ?? []) {
      if (mount.BindOptions) mount.BindOptions.NonRecursive = false;
    }
    // Their default IPC mode was what is now called shareable.
    if (!hc.IpcMode) hc.IpcMode = 'shareable';
  }
  if (older('1.41') && host.cgroupVersion === 1 && !hc.CgroupnsMode) hc.CgroupnsMode = 'host';
  // 0 and negative limits both mean "unlimited".
  if (hc.PidsLimit !== null && hc.PidsLimit !== undefined && hc.PidsLimit <= 0) hc.PidsLimit = null;

  if (!hc.NetworkMode) hc.NetworkMode = 'default';
  hc.RestartPolicy = { Name: hc.RestartPolicy?.Name || 'no', MaximumRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0 };
  hc.LogConfig = { Type: hc.LogConfig?.Type || 'json-file', Config: hc.LogConfig?.Config ?? {} };
  if ((hc.Memory ?? 0) > 0 && !hc.MemorySwap) hc.MemorySwap = 2 * (hc.Memory ?? 0);
  if (!hc.ShmSize) hc.ShmSize = DEFAULT_SHM_SIZE;
  if (!hc.IpcMode) hc.IpcMode = 'private';
  // cgroup v2 unshares the cgroup namespace, even for privileged containers.
  if (!hc.CgroupnsMode) hc.CgroupnsMode = host.cgroupVersion === 2 ? 'private' : 'host';
  if (!hc.Runtime) hc.Runtime = 'runc';
  // Sharing the host's IPC or PID namespace, or running privileged, cannot
  // work under an SELinux label; Docker records that only when the request
  // named no security options of its own.
  if ((hc.SecurityOpt === null || hc.SecurityOpt === undefined) && (hc.IpcMode === 'host' || hc.PidMode === 'host' || hc.Privileged)) {
    hc.SecurityOpt = ['label=disable'];
  }
  if (hc.OomKillDisable === null || hc.OomKillDisable === undefined) hc.OomKillDisable = false;
  return hc;
}
