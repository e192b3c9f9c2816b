// Create-time checks against Docker's texts. Most refusals were checked
// against dockerd 20.10 on this machine; where newer Docker words a check
// differently (restart policy, namespaces, hostname), the newer text is used.
import { readHostFacts, type HostFacts } from '../../src/container/hostfacts';
import type { ContainerConfig, HostConfig } from '../../src/container/types';
import { discardUnsupportedResources, normalizeCapabilities, reviewResources, verifyContainerSettings } from '../../src/container/verify';
import { EngineError } from '../../src/errors';

/** A cgroup v1 host with every controller, two CPUs and one memory node. */
const host: HostFacts = { cpus: 2, cpusetCpus: '0-1', cpusetMems: '0', cgroupVersion: 1, hostname: 'host' };
/** A stock cgroup v2 host. */
const v2Host: HostFacts = { ...host, cgroupVersion: 2 };
/** A cgroup v1 host where nothing can be limited. */
const bareHost: HostFacts = {
  ...host,
  features: {
    memoryLimit: false, swapLimit: false, memoryReservation: false, oomKillDisable: false, memorySwappiness: false,
    kernelMemory: false, kernelMemoryTCP: false, pidsLimit: false, cpuShares: false, cpuCfs: false, cpuRealtime: false,
    cpuset: false, blkioWeight: false, blkioWeightDevice: false, blkioReadBpsDevice: false, blkioWriteBpsDevice: false,
    blkioReadIOpsDevice: false, blkioWriteIOpsDevice: false, cgroupNamespaces: false,
  },
};

const MB = 1024 * 1024;
const image: ContainerConfig = { Image: 'bbref' };

function refusal(config: ContainerConfig, hostConfig: HostConfig, facts: HostFacts = host): EngineError {
  try {
    verifyContainerSettings(config, hostConfig, facts);
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify({ config, hostConfig })}`);
}

describe('settings Docker refuses', () => {
  const long = 'a'.repeat(65);
  const table: Array<[string, ContainerConfig, HostConfig, string]> = [
    // network-mode combinations
    ['container: without a name', image, { NetworkMode: 'container:' }, 'Invalid network mode: invalid container format container:<name|id>'],
    ['container without a colon', image, { NetworkMode: 'container' }, 'Invalid network mode: invalid container format container:<name|id>'],
    ['container net + hostname', { ...image, Hostname: 'x' }, { NetworkMode: 'container:c' }, 'conflicting options: hostname and the network mode'],
    ['container net + links', image, { NetworkMode: 'container:c', Links: ['a:b'] }, "conflicting options: container type network can't be used with links. This would result in undefined behavior"],
    ['container net + dns', image, { NetworkMode: 'container:c', Dns: ['1.1.1.1'] }, 'conflicting options: dns and the network mode'],
    ['container net + extra hosts', image, { NetworkMode: 'container:c', ExtraHosts: ['a:1.1.1.1'] }, 'conflicting options: custom host-to-IP mapping and the network mode'],
    ['container net + mac', { ...image, MacAddress: '02:42:ac:11:00:02' }, { NetworkMode: 'container:c' }, 'conflicting options: mac-address and the network mode'],
    ['container net + port bindings', image, { NetworkMode: 'container:c', PortBindings: { '80/tcp': [{ HostPort: '80' }] } }, 'conflicting options: port publishing and the container type network mode'],
    ['container net + publish all', image, { NetworkMode: 'container:c', PublishAllPorts: true }, 'conflicting options: port publishing and the container type network mode'],
    ['container net + exposed ports', { ...image, ExposedPorts: { '80/tcp': {} } }, { NetworkMode: 'container:c' }, 'conflicting options: port exposing and the container type network mode'],
    ['host UTS + hostname', { ...image, Hostname: 'x' }, { UTSMode: 'host' }, 'conflicting options: hostname and the UTS mode'],
    ['host net + links', image, { NetworkMode: 'host', Links: ['a:b'] }, "conflicting options: host type networking can't be used with links. This would result in undefined behavior"],
    ['isolation', image, { Isolation: 'hyperv' }, 'Invalid isolation: "hyperv" - linux only supports \'default\''],
    ['maximum IO bandwidth', image, { IOMaximumBandwidth: 5 }, 'Invalid QoS settings: linux does not support configuration of maximum bandwidth'],
    ['maximum IOPs', image, { IOMaximumIOps: 5 }, 'Invalid QoS settings: linux does not support configuration of maximum IOPs'],
    ['real-time runtime over period', image, { CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 2000 }, 'cpu real-time runtime cannot be higher than cpu real-time period'],
    // config
    ['relative working dir', { ...image, WorkingDir: 'rel' }, {}, "the working directory 'rel' is invalid, it needs to be an absolute path"],
    ['unknown signal', { ...image, StopSignal: 'FOO' }, {}, 'invalid signal: FOO'],
    ['signal 0', { ...image, StopSignal: '0' }, {}, 'invalid signal: 0'],
    ['SIGUNUSED', { ...image, StopSignal: 'SIGUNUSED' }, {}, 'invalid signal: SIGUNUSED'],
    ['RTMAX-15', { ...image, StopSignal: 'RTMAX-15' }, {}, 'invalid signal: RTMAX-15'],
    ['signal with a space', { ...image, StopSignal: ' 9' }, {}, 'invalid signal:  9'],
    ['env =x', { ...image, Env: ['A=1', '=x'] }, {}, 'invalid environment variable: =x'],
    ['env empty', { ...image, Env: [''] }, {}, 'invalid environment variable: '],
    ['health interval', { ...image, Healthcheck: { Interval: 5 } }, {}, 'Interval in Healthcheck cannot be less than 1ms'],
    ['health timeout negative', { ...image, Healthcheck: { Timeout: -5 } }, {}, 'Timeout in Healthcheck cannot be less than 1ms'],
    ['health retries', { ...image, Healthcheck: { Retries: -1 } }, {}, 'Retries in Healthcheck cannot be negative'],
    ['health start period', { ...image, Healthcheck: { StartPeriod: 5 } }, {}, 'StartPeriod in Healthcheck cannot be less than 1ms'],
    ['health start interval', { ...image, Healthcheck: { StartInterval: 999_999 } }, {}, 'StartInterval in Healthcheck cannot be less than 1ms'],
    // host config
    ['auto-remove with restart policy', image, { AutoRemove: true, RestartPolicy: { Name: 'always' } }, "can't create 'AutoRemove' container with restart policy"],
    ['add-host without ip', image, { ExtraHosts: ['foo'] }, 'bad format for add-host: "foo"'],
    ['add-host without name', image, { ExtraHosts: [':1.2.3.4'] }, 'bad format for add-host: ":1.2.3.4"'],
    ['add-host bad ip', image, { ExtraHosts: ['foo:1.2.3'] }, 'invalid IP address in add-host: "1.2.3"'],
    ['add-host leading zero', image, { ExtraHosts: ['h:01.2.3.4'] }, 'invalid IP address in add-host: "01.2.3.4"'],
    ['add-host zone', image, { ExtraHosts: ['h=fe80::1%eth0'] }, 'invalid IP address in add-host: "fe80::1%eth0"'],
    ['container port range', image, { PortBindings: { '80-90/tcp': [] } }, 'invalid port specification: "80-90"'],
    ['container port 0', image, { PortBindings: { '0/tcp': [] } }, 'invalid port specification: "0"'],
    ['container port too big', image, { PortBindings: { '65536/tcp': [] } }, 'invalid port specification: "65536"'],
    ['container port empty', image, { PortBindings: { '': [] } }, 'invalid port specification: ""'],
    ['host port text', image, { PortBindings: { '80/tcp': [{ HostPort: 'x' }] } }, 'invalid port specification: "x"'],
    ['host port reversed range', image, { PortBindings: { '80/tcp': [{ HostPort: '90-80' }] } }, 'invalid port specification: "90-80"'],
    ['binding proto', image, { PortBindings: { '80/foo': [] } }, 'invalid proto: foo'],
    ['exposed port text', { ...image, ExposedPorts: { 'abc/tcp': {} } }, {}, 'invalid port specification: "abc"'],
    ['exposed proto', { ...image, ExposedPorts: { '80/foo': {} } }, {}, 'invalid proto: foo'],
    ['restart always with count', image, { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }, "invalid restart policy: maximum retry count can only be used with 'on-failure'"],
    ['restart no with negative count', image, { RestartPolicy: { Name: 'no', MaximumRetryCount: -3 } }, "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"],
    ['restart unless-stopped with count', image, { RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 1 } }, "invalid restart policy: maximum retry count can only be used with 'on-failure'"],
    ['restart on-failure negative', image, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } }, 'invalid restart policy: maximum retry count cannot be negative'],
    ['restart unknown', image, { RestartPolicy: { Name: 'bogus' } }, "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"],
    ['unknown CapAdd', image, { CapAdd: ['FOO'] }, 'invalid CapAdd: unknown capability: "CAP_FOO"'],
    ['unknown CapDrop', image, { CapDrop: ['chown', 'cap_nope'] }, 'invalid CapDrop: unknown capability: "CAP_NOPE"'],
    ['empty annotation key', image, { Annotations: { '': 'x' } }, 'invalid Annotations: the empty string is not permitted as an annotation key'],
    ['link with three parts', image, { Links: ['a:b:c'] }, 'bad format for links: a:b:c'],
    ['empty link', image, { Links: [''] }, 'empty string specified for links'],
    // resources
    ['memory below 6MB', image, { Memory: 1000 }, 'Minimum memory limit allowed is 6MB'],
    ['negative memory', image, { Memory: -1 }, 'Minimum memory limit allowed is 6MB'],
    ['swap below memory', image, { Memory: 7 * MB, MemorySwap: 6 * MB }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
    ['swap without memory', image, { MemorySwap: 6 * MB }, 'You should always set the Memory limit when using Memoryswap limit, see usage'],
    ['swappiness over 100', image, { MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100'],
    ['swappiness -2', image, { MemorySwappiness: -2 }, 'Invalid value: -2, valid memory swappiness range is 0-100'],
    ['reservation below 6MB', image, { MemoryReservation: 1000 }, 'Minimum memory reservation allowed is 6MB'],
    ['memory below reservation', image, { Memory: 7 * MB, MemoryReservation: 8 * MB }, 'Minimum memory limit can not be less than memory reservation limit, see usage'],
    ['kernel memory below 6MB', image, { KernelMemory: 1000 }, 'Minimum kernel memory limit allowed is 6MB'],
    ['nano cpus + period', image, { NanoCpus: 1000, CpuPeriod: 5000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set'],
    ['nano cpus + quota', image, { NanoCpus: 1000, CpuQuota: 5000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set'],
    ['nano cpus over the host', image, { NanoCpus: 3e9 }, 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['negative nano cpus', image, { NanoCpus: -1 }, 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['cfs period too small', image, { CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    ['cfs period too large', image, { CpuPeriod: 1_000_001 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    ['cfs quota too small', image, { CpuQuota: 10 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)'],
    ['cpus not on the host', image, { CpusetCpus: '0-9' }, 'Requested CPUs are not available - requested 0-9, available: 0-1'],
    ['cpus malformed', image, { CpusetCpus: 'a' }, 'Invalid value a for cpuset cpus: invalid format: a'],
    ['cpus reversed range', image, { CpusetCpus: '1-0' }, 'Invalid value 1-0 for cpuset cpus: invalid format: 1-0'],
    ['cpus past the maximum', image, { CpusetCpus: '9000' }, 'Invalid value 9000 for cpuset cpus: value of out range, maximum is 8192'],
    ['mems not on the host', image, { CpusetMems: '3' }, 'Requested memory nodes are not available - requested 3, available: 0'],
    ['mems malformed', image, { CpusetMems: 'x' }, 'Invalid value x for cpuset mems: invalid format: x'],
    ['blkio weight too small', image, { BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000'],
    ['blkio weight too large', image, { BlkioWeight: 1001 }, 'Range of blkio weight is from 10 to 1000'],
    // namespaces, runtime, tmpfs
    ['hostname of 65 bytes', { ...image, Hostname: long }, {}, `hostname "${long}" is too long (maximum 64 bytes)`],
    ['hostname of 33 two-byte characters', { ...image, Hostname: 'é'.repeat(33) }, {}, `hostname "${'é'.repeat(33)}" is too long (maximum 64 bytes)`],
    ['ipc mode', image, { IpcMode: 'foo' }, 'invalid IPC mode: foo'],
    ['ipc container without name', image, { IpcMode: 'container:' }, 'invalid IPC mode: container:'],
    ['pid mode', image, { PidMode: 'foo' }, 'invalid PID mode: foo'],
    ['pid container without name', image, { PidMode: 'container:' }, 'invalid PID mode: container:'],
    ['negative shm', image, { ShmSize: -1 }, 'SHM size can not be less than 0'],
    ['uts mode', image, { UTSMode: 'container:x' }, 'invalid UTS mode: container:x'],
    ['userns mode', image, { UsernsMode: 'foo' }, 'invalid userns mode: foo'],
    ['oom score over 1000', image, { OomScoreAdj: 1001 }, 'Invalid value 1001, range for oom score adj is [-1000, 1000]'],
    ['oom score under -1000', image, { OomScoreAdj: -1001 }, 'Invalid value -1001, range for oom score adj is [-1000, 1000]'],
    ['unknown runtime', image, { Runtime: 'foo' }, 'unknown or invalid runtime name: foo'],
    ['relative tmpfs', image, { Tmpfs: { relative: '' } }, "invalid mount path: 'relative' mount path must be absolute"],
    ['tmpfs on /', image, { Tmpfs: { '/': '' } }, "invalid specification: destination can't be '/'"],
    ['tmpfs on /./', image, { Tmpfs: { '/./': '' } }, "invalid specification: destination can't be '/'"],
    ['cgroupns mode', image, { CgroupnsMode: 'foo' }, 'invalid cgroup namespace mode: foo'],
  ];
  test.each(table)('%s', (_name, config, hostConfig, message) => {
    const err = refusal(config, hostConfig);
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe(message);
  });

  test('real-time settings on a host without the real-time scheduler', () => {
    expect(refusal(image, { CpuRealtimePeriod: 1000 }, v2Host).message).toBe('Your kernel does not support CPU real-time scheduler');
  });

  test('nano cpus on a host without CFS', () => {
    expect(refusal(image, { NanoCpus: 1e9 }, bareHost).message).toBe(
      'NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted',
    );
  });

  test('the first fault in Docker\'s order is the one reported', () => {
    // Network-mode conflicts come from the request decoder, before the config checks.
    expect(refusal({ ...image, WorkingDir: 'rel', Hostname: 'x' }, { NetworkMode: 'container:c' }).message).toBe(
      'conflicting options: hostname and the network mode',
    );
    expect(refusal({ ...image, WorkingDir: 'rel' }, { Memory: 1 }).message).toMatch(/^the working directory/);
    expect(refusal(image, { Memory: 1, IpcMode: 'foo' }).message).toBe('Minimum memory limit allowed is 6MB');
  });
});

describe('settings Docker accepts', () => {
  const table: Array<[string, ContainerConfig, HostConfig]> = [
    ['nothing set', image, {}],
    ['a 64-byte hostname', { ...image, Hostname: 'a'.repeat(64) }, {}],
    ['signals by name, number and real-time offset', { ...image, StopSignal: 'sigterm' }, {}],
    ['SIGRTMIN+3', { ...image, StopSignal: 'SIGRTMIN+3' }, {}],
    ['rtmax-14', { ...image, StopSignal: 'rtmax-14' }, {}],
    ['negative and signed numbers (Go Atoi)', { ...image, StopSignal: '-1' }, {}],
    ['+5', { ...image, StopSignal: '+5' }, {}],
    ['env without a value', { ...image, Env: ['A', 'B=', 'C=x=y'] }, {}],
    ['healthcheck at the minimum', { ...image, Healthcheck: { Interval: 1_000_000, Timeout: 0, Retries: 0 } }, {}],
    ['restart on-failure with a count', image, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 } }],
    ['a count with no policy (old clients)', image, { RestartPolicy: { Name: '', MaximumRetryCount: 2 } }],
    ['auto-remove with policy no', image, { AutoRemove: true, RestartPolicy: { Name: 'no' } }],
    ['extra hosts in every form', image, { ExtraHosts: ['h:host-gateway', 'h:::1', 'h: 1.2.3.4', 'h=1.2.3.4', 'h:[::1]', 'h=[fe80::1]'] }],
    ['port bindings', image, { PortBindings: { '80/tcp': [{ HostPort: '' }, { HostPort: '8080-8090' }], '53/udp': null, '9/SCTP': [], '81': [] } }],
    ['exposed port ranges', { ...image, ExposedPorts: { '8000-8002/tcp': {}, '53/udp': {}, '80': {} } }, {}],
    ['capabilities in every spelling', image, { CapAdd: ['net_admin', 'CAP_SYS_ADMIN', 'ALL'], CapDrop: ['cap_chown'] }],
    ['links', image, { Links: ['a', 'a:b', '/a:/c/b'] }],
    ['memory with swap', image, { Memory: 7 * MB, MemorySwap: -1 }],
    ['swappiness -1 (unset)', image, { MemorySwappiness: -1 }],
    ['cpusets on the host', image, { CpusetCpus: '0,1', CpusetMems: '0' }],
    ['namespace modes', image, { IpcMode: 'shareable', PidMode: 'container:c', UTSMode: 'host', UsernsMode: 'host', CgroupnsMode: 'private' }],
    ['ipc none', image, { IpcMode: 'none' }],
    ['runtimes', image, { Runtime: 'crun' }],
    ['default isolation in any case', image, { Isolation: 'Default' }],
    ['a user-defined network with a colon', image, { NetworkMode: 'foo:bar' }],
    ['tmpfs', image, { Tmpfs: { '/run': 'size=1m', '/tmp': '' } }],
  ];
  test.each(table)('%s', (_name, config, hostConfig) => {
    expect(verifyContainerSettings(config, hostConfig, host)).toEqual([]);
  });
});

describe('warnings', () => {
  test('published ports with host networking', () => {
    expect(verifyContainerSettings(image, { NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '80' }] } }, host)).toEqual([
      'Published ports are discarded when using host network mode',
    ]);
  });

  test('OOM killer disabled without a memory limit', () => {
    expect(verifyContainerSettings(image, { OomKillDisable: true }, host)).toEqual([
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    ]);
  });

  test('CPU percent on Linux', () => {
    expect(verifyContainerSettings(image, { CpuPercent: 5 }, host)).toEqual(['linux does not support CPU percent. Percent discarded.']);
  });

  test('kernel memory, where the kernel still has it', () => {
    expect(verifyContainerSettings(image, { KernelMemory: 7 * MB }, host)).toEqual([
      'Specifying a kernel memory limit is deprecated and will be removed in a future release.',
    ]);
  });

  test('cgroup v2 drops what it lacks: swappiness, kernel memory, OOM-kill disable', () => {
    expect(
      verifyContainerSettings(image, { MemorySwappiness: 200, KernelMemory: 1000, KernelMemoryTCP: 7 * MB, OomKillDisable: true, Memory: 7 * MB }, v2Host),
    ).toEqual([
      'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
      'Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
      'Your kernel does not support kernel memory TCP limit capabilities or the cgroup is not mounted. Limitation discarded.',
      'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
    ]);
  });

  test('a host without controllers warns for every limit and drops it', () => {
    const requested: HostConfig = {
      Memory: 7 * MB, MemoryReservation: 7 * MB, PidsLimit: 10, CpuShares: 512, CpuPeriod: 10, CpuQuota: 10,
      CpusetCpus: '9', BlkioWeight: 5, BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 10 }],
      BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }], BlkioDeviceWriteBps: [{ Path: '/dev/sda', Rate: 1 }],
      BlkioDeviceReadIOps: [{ Path: '/dev/sda', Rate: 1 }], BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 1 }],
      CgroupnsMode: 'private',
    };
    expect(verifyContainerSettings(image, requested, bareHost)).toEqual([
      'Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
      'Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.',
      'Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.',
      'Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.',
      'Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.',
      'Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.',
      'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
      'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
      'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
      'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.',
      'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.',
      'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.',
      'Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.',
    ]);
    expect(discardUnsupportedResources(requested, bareHost)).toEqual({
      ...requested,
      Memory: 0, MemorySwap: -1, MemoryReservation: 0, PidsLimit: null, CpuShares: 0, CpuPeriod: 0, CpuQuota: 0,
      CpusetCpus: '', CpusetMems: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [],
      BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
    });
  });

  test('a host with memory limits but no swap limit limits without swap', () => {
    const noSwap: HostFacts = { ...host, features: { swapLimit: false } };
    const review = reviewResources({ Memory: 7 * MB, MemorySwap: 6 * MB }, noSwap);
    expect(review.error).toBeUndefined();
    expect(review.warnings).toEqual([
      'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    ]);
    expect(review.hostConfig.MemorySwap).toBe(-1);
  });

  test('asking to keep the OOM killer needs no warning where it cannot be disabled', () => {
    expect(verifyContainerSettings(image, { OomKillDisable: false }, v2Host)).toEqual([]);
  });
});

describe('reviewResources', () => {
  test('does not change its input and reports the refusal instead of throwing', () => {
    const requested: HostConfig = { MemorySwappiness: -1, Memory: 1 };
    const review = reviewResources(requested, host);
    expect(review.error).toBe('Minimum memory limit allowed is 6MB');
    expect(requested).toEqual({ MemorySwappiness: -1, Memory: 1 });
  });

  test('swappiness -1 is stored as unset', () => {
    expect(reviewResources({ MemorySwappiness: -1 }, host).hostConfig.MemorySwappiness).toBeNull();
  });
});

describe('normalizeCapabilities', () => {
  test('upper-cases, prefixes CAP_ and keeps ALL', () => {
    expect(normalizeCapabilities(['net_admin', 'CAP_chown', 'all', 'Sys_Admin'])).toEqual(['CAP_NET_ADMIN', 'CAP_CHOWN', 'ALL', 'CAP_SYS_ADMIN']);
    expect(normalizeCapabilities(null)).toEqual([]);
  });

  test('refuses a capability Linux does not have', () => {
    expect(() => normalizeCapabilities(['MAGIC'])).toThrow('unknown capability: "CAP_MAGIC"');
  });
});

describe('readHostFacts', () => {
  test('describes this machine and is read once', async () => {
    const facts = await readHostFacts();
    expect(facts.cpus).toBeGreaterThanOrEqual(1);
    expect(facts.cpusetCpus).toMatch(/^\d+([-,]\d+)*$/);
    expect(facts.cpusetMems).toMatch(/^\d+([-,]\d+)*$/);
    expect([1, 2]).toContain(facts.cgroupVersion);
    expect(facts.hostname.length).toBeGreaterThan(0);
    // A container asking for every CPU the host offers is accepted.
    expect(verifyContainerSettings(image, { CpusetCpus: facts.cpusetCpus, CpusetMems: facts.cpusetMems }, facts)).toEqual([]);
    expect(await readHostFacts()).toBe(facts);
  });
});
