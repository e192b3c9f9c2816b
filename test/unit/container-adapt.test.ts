// Docker's defaults and API-version adjustments, as dockerd 20.10 applied
// them to the same requests (CPU-shares clamp, shareable IPC and no
// auto-remove for old clients, PidsLimit <= 0 as unlimited).
import { adaptContainerSettings, compareApiVersions, DEFAULT_SHM_SIZE } from '../../src/container/adapt';
import type { HostFacts } from '../../src/container/hostfacts';
import type { HostConfig } from '../../src/container/types';

const v1Host: HostFacts = { cpus: 2, cpusetCpus: '0-1', cpusetMems: '0', cgroupVersion: 1, hostname: 'host' };
const v2Host: HostFacts = { ...v1Host, cgroupVersion: 2 };
const current = { apiVersion: '1.41', host: v1Host };

describe('compareApiVersions', () => {
  test.each([
    ['1.41', '1.41', 0],
    ['1.9', '1.19', -1],
    ['1.19', '1.9', 1],
    ['1.18', '1.19', -1],
    ['1.40', '1.4', 1],
    ['2.0', '1.99', 1],
    ['1.41', '1.41.0', 0],
    ['1.41.1', '1.41', 1],
  ])('%s against %s', (a, b, sign) => {
    expect(Math.sign(compareApiVersions(a, b))).toBe(sign);
  });
});

describe('adaptContainerSettings defaults', () => {
  test('an empty host config gets every Docker default', () => {
    expect(adaptContainerSettings({}, current)).toEqual({
      NetworkMode: 'default',
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      LogConfig: { Type: 'json-file', Config: {} },
      ShmSize: 67108864,
      IpcMode: 'private',
      CgroupnsMode: 'host',
      Runtime: 'runc',
      OomKillDisable: false,
    });
    expect(DEFAULT_SHM_SIZE).toBe(67108864);
  });

  test('what the request set is kept', () => {
    const requested: HostConfig = {
      NetworkMode: 'bridge',
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      LogConfig: { Type: 'none', Config: { a: 'b' } },
      ShmSize: 1024,
      IpcMode: 'shareable',
      CgroupnsMode: 'private',
      Runtime: 'crun',
      OomKillDisable: true,
      Memory: 7000000,
      MemorySwap: -1,
    };
    expect(adaptContainerSettings(requested, current)).toEqual(requested);
  });

  test('memory swap defaults to twice the memory', () => {
    expect(adaptContainerSettings({ Memory: 7000000 }, current).MemorySwap).toBe(14000000);
    expect(adaptContainerSettings({ Memory: 7000000, MemorySwap: 9000000 }, current).MemorySwap).toBe(9000000);
    expect(adaptContainerSettings({}, current).MemorySwap).toBeUndefined();
  });

  test('cgroup v2 unshares the cgroup namespace, even when privileged', () => {
    expect(adaptContainerSettings({}, { apiVersion: '1.41', host: v2Host }).CgroupnsMode).toBe('private');
    expect(adaptContainerSettings({ Privileged: true }, { apiVersion: '1.41', host: v2Host }).CgroupnsMode).toBe('private');
    expect(adaptContainerSettings({ Privileged: true }, current).CgroupnsMode).toBe('host');
  });

  test.each([
    ['IpcMode host', { IpcMode: 'host' }],
    ['PidMode host', { PidMode: 'host' }],
    ['Privileged', { Privileged: true }],
  ])('%s with no security options records label=disable', (_name, hostConfig: HostConfig) => {
    expect(adaptContainerSettings(hostConfig, current).SecurityOpt).toEqual(['label=disable']);
  });

  test('security options of the request are left as they are', () => {
    expect(adaptContainerSettings({ IpcMode: 'host', SecurityOpt: ['seccomp=unconfined'] }, current).SecurityOpt).toEqual(['seccomp=unconfined']);
    expect(adaptContainerSettings({}, current).SecurityOpt).toBeUndefined();
  });

  test('PidsLimit 0 or negative means unlimited', () => {
    expect(adaptContainerSettings({ PidsLimit: 0 }, current).PidsLimit).toBeNull();
    expect(adaptContainerSettings({ PidsLimit: -5 }, current).PidsLimit).toBeNull();
    expect(adaptContainerSettings({ PidsLimit: 5 }, current).PidsLimit).toBe(5);
  });

  test('settings the host cannot honour are dropped', () => {
    const adapted = adaptContainerSettings({ MemorySwappiness: 10, KernelMemory: 7000000, BlkioWeight: 100 }, {
      apiVersion: '1.41',
      host: { ...v2Host, features: { blkioWeight: false } },
    });
    expect(adapted.MemorySwappiness).toBeNull();
    expect(adapted.KernelMemory).toBe(0);
    expect(adapted.BlkioWeight).toBe(0);
  });

  test('swappiness -1 is stored as unset', () => {
    expect(adaptContainerSettings({ MemorySwappiness: -1 }, current).MemorySwappiness).toBeNull();
  });

  test('the input is not changed and shares nothing with the result', () => {
    const requested: HostConfig = {
      Memory: 7000000,
      RestartPolicy: { Name: '' },
      Mounts: [{ Type: 'bind', Source: '/a', Target: '/b', BindOptions: { NonRecursive: true } }],
    };
    const snapshot = structuredClone(requested);
    const adapted = adaptContainerSettings(requested, { apiVersion: '1.39', host: v1Host });
    adapted.Mounts![0]!.Target = '/changed';
    expect(requested).toEqual(snapshot);
  });
});

describe('adjustments for older API versions', () => {
  test.each([
    [1, 2],
    [300000, 262144],
    [500, 500],
    [-5, -5],
    [0, undefined],
  ])('below 1.19, CpuShares %d becomes %s', (shares, expected) => {
    const requested: HostConfig = shares === 0 ? {} : { CpuShares: shares };
    expect(adaptContainerSettings(requested, { apiVersion: '1.18', host: v1Host }).CpuShares).toBe(expected);
  });

  test('from 1.19 on, CpuShares is kept', () => {
    expect(adaptContainerSettings({ CpuShares: 1 }, { apiVersion: '1.19', host: v1Host }).CpuShares).toBe(1);
    expect(adaptContainerSettings({ CpuShares: 300000 }, current).CpuShares).toBe(300000);
  });

  test('below 1.25 the client removes the container itself', () => {
    expect(adaptContainerSettings({ AutoRemove: true }, { apiVersion: '1.24', host: v1Host }).AutoRemove).toBe(false);
    expect(adaptContainerSettings({ AutoRemove: true }, { apiVersion: '1.25', host: v1Host }).AutoRemove).toBe(true);
  });

  test('below 1.40 the default IPC mode is shareable and newer fields are cleared', () => {
    const adapted = adaptContainerSettings(
      { KernelMemoryTCP: 7000000, Mounts: [{ Type: 'bind', BindOptions: { NonRecursive: true } }] },
      { apiVersion: '1.39', host: v1Host },
    );
    expect(adapted.IpcMode).toBe('shareable');
    expect(adapted.KernelMemoryTCP).toBe(0);
    expect(adapted.Mounts?.[0]?.BindOptions?.NonRecursive).toBe(false);
    expect(adaptContainerSettings({ IpcMode: 'private' }, { apiVersion: '1.39', host: v1Host }).IpcMode).toBe('private');
    expect(adaptContainerSettings({}, { apiVersion: '1.40', host: v1Host }).IpcMode).toBe('private');
  });

  test('below 1.41 a cgroup v1 host keeps the host cgroup namespace', () => {
    expect(adaptContainerSettings({}, { apiVersion: '1.40', host: v1Host }).CgroupnsMode).toBe('host');
    expect(adaptContainerSettings({}, { apiVersion: '1.40', host: v2Host }).CgroupnsMode).toBe('private');
  });
});
