// What the host offers a container: CPU count, the cpusets a container may ask
// for, the cgroup version and which cgroup controls exist. Create-time checks
// and defaults depend on these, as Docker's depend on its sysinfo.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';

/** Cgroup features Docker probes before accepting a resource setting. */
export interface CgroupFeatures {
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  oomKillDisable: boolean;
  memorySwappiness: boolean;
  kernelMemory: boolean;
  kernelMemoryTCP: boolean;
  pidsLimit: boolean;
  cpuShares: boolean;
  cpuCfs: boolean;
  cpuRealtime: boolean;
  cpuset: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBpsDevice: boolean;
  blkioWriteBpsDevice: boolean;
  blkioReadIOpsDevice: boolean;
  blkioWriteIOpsDevice: boolean;
  cgroupNamespaces: boolean;
}

export interface HostFacts {
  cpus: number;
  /** Cpuset list (`0-3,6`) containers may use. */
  cpusetCpus: string;
  /** Memory-node list containers may use. */
  cpusetMems: string;
  cgroupVersion: 1 | 2;
  hostname: string;
  /**
   * Probed cgroup features; when absent, what a stock host of that cgroup
   * version offers (see `cgroupFeaturesOf`).
   */
  features?: Partial<CgroupFeatures>;
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * What Docker's sysinfo reports on a host whose cgroup files it has not
 * probed: cgroup v2 has no swappiness, kernel-memory, OOM-kill-disable or
 * real-time controls; v1 has them all.
 */
export function cgroupFeaturesOf(host: Pick<HostFacts, 'cgroupVersion' | 'features'>): CgroupFeatures {
  const v1 = host.cgroupVersion === 1;
  const defaults: CgroupFeatures = {
    memoryLimit: true,
    swapLimit: true,
    memoryReservation: true,
    oomKillDisable: v1,
    memorySwappiness: v1,
    kernelMemory: v1,
    kernelMemoryTCP: v1,
    pidsLimit: true,
    cpuShares: true,
    cpuCfs: true,
    cpuRealtime: v1,
    cpuset: true,
    blkioWeight: true,
    blkioWeightDevice: true,
    blkioReadBpsDevice: true,
    blkioWriteBpsDevice: true,
    blkioReadIOpsDevice: true,
    blkioWriteIOpsDevice: true,
    cgroupNamespaces: true,
  };
  return { ...defaults, ...host.features };
}

let cached: Promise<HostFacts> | undefined;

/** Reads the host's facts once per process; later calls share the result. */
export function readHostFacts(): Promise<HostFacts> {
  cached ??= probeHostFacts().catch((err: unknown) => {
    // A failed probe should not stick: the next create may try again.
    cached = undefined;
    throw err;
  });
  return cached;
}

async function probeHostFacts(): Promise<HostFacts> {
  const cgroupVersion: 1 | 2 = (await exists(`${CGROUP_ROOT}/cgroup.controllers`)) ? 2 : 1;
  const cpusetDir = cgroupVersion === 2 ? CGROUP_ROOT : `${CGROUP_ROOT}/cpuset`;
  const [cpusetCpus, cpusetMems, features] = await Promise.all([
    firstReadable(
      cgroupVersion === 2 ? [`${cpusetDir}/cpuset.cpus.effective`] : [`${cpusetDir}/cpuset.effective_cpus`, `${cpusetDir}/cpuset.cpus`],
      '/sys/devices/system/cpu/online',
    ),
    firstReadable(
      cgroupVersion === 2 ? [`${cpusetDir}/cpuset.mems.effective`] : [`${cpusetDir}/cpuset.effective_mems`, `${cpusetDir}/cpuset.mems`],
      '/sys/devices/system/node/online',
    ),
    cgroupVersion === 2 ? probeV2Features() : probeV1Features(),
  ]);
  // availableParallelism honours the CPU affinity mask, as Go's NumCPU does.
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return {
    cpus: Math.max(1, cpus),
    cpusetCpus: cpusetCpus ?? `0-${Math.max(0, cpus - 1)}`,
    cpusetMems: cpusetMems ?? '0',
    cgroupVersion,
    hostname: os.hostname(),
    features,
  };
}

async function probeV1Features(): Promise<Partial<CgroupFeatures>> {
  const probe = (file: string): Promise<boolean> => exists(`${CGROUP_ROOT}/${file}`);
  const [
    memoryLimit, swapLimit, memoryReservation, oomKillDisable, memorySwappiness, kernelMemory, kernelMemoryTCP,
    pidsLimit, cpuShares, cpuCfs, cpuRealtime, cpuset, blkioWeight, blkioWeightDevice,
    readBps, writeBps, readIOps, writeIOps, cgroupNamespaces,
  ] = await Promise.all([
    probe('memory/memory.limit_in_bytes'),
    probe('memory/memory.memsw.limit_in_bytes'),
    probe('memory/memory.soft_limit_in_bytes'),
    probe('memory/memory.oom_control'),
    probe('memory/memory.swappiness'),
    probe('memory/memory.kmem.limit_in_bytes'),
    probe('memory/memory.kmem.tcp.limit_in_bytes'),
    // The root of the pids hierarchy has no pids.max; the mount is the fact.
    probe('pids/cgroup.procs'),
    probe('cpu/cpu.shares'),
    probe('cpu/cpu.cfs_quota_us'),
    probe('cpu/cpu.rt_period_us'),
    probe('cpuset/cpuset.cpus'),
    probe('blkio/blkio.weight'),
    probe('blkio/blkio.weight_device'),
    probe('blkio/blkio.throttle.read_bps_device'),
    probe('blkio/blkio.throttle.write_bps_device'),
    probe('blkio/blkio.throttle.read_iops_device'),
    probe('blkio/blkio.throttle.write_iops_device'),
    exists('/proc/self/ns/cgroup'),
  ]);
  return {
    memoryLimit, swapLimit, memoryReservation, oomKillDisable, memorySwappiness, kernelMemory, kernelMemoryTCP,
    pidsLimit, cpuShares, cpuCfs, cpuRealtime, cpuset, blkioWeight, blkioWeightDevice,
    blkioReadBpsDevice: readBps, blkioWriteBpsDevice: writeBps, blkioReadIOpsDevice: readIOps,
    blkioWriteIOpsDevice: writeIOps, cgroupNamespaces,
  };
}

async function probeV2Features(): Promise<Partial<CgroupFeatures>> {
  const controllers = new Set((await readTrimmed(`${CGROUP_ROOT}/cgroup.controllers`) ?? '').split(/\s+/));
  const memory = controllers.has('memory');
  const io = controllers.has('io');
  return {
    memoryLimit: memory,
    swapLimit: memory,
    memoryReservation: memory,
    pidsLimit: controllers.has('pids'),
    cpuShares: controllers.has('cpu'),
    cpuCfs: controllers.has('cpu'),
    cpuset: controllers.has('cpuset'),
    blkioWeight: io,
    blkioWeightDevice: io,
    blkioReadBpsDevice: io,
    blkioWriteBpsDevice: io,
    blkioReadIOpsDevice: io,
    blkioWriteIOpsDevice: io,
    cgroupNamespaces: await exists('/proc/self/ns/cgroup'),
  };
}

async function firstReadable(candidates: string[], fallback: string): Promise<string | undefined> {
  for (const file of [...candidates, fallback]) {
    const text = await readTrimmed(file);
    if (text) return text;
  }
  return undefined;
}

async function readTrimmed(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
