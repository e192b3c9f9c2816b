// Inspect shapes against dockerd 20.10's own output for the reference
// container (`docker create --name refc -e X=1 -v /tmp:/host:ro -v named1:/named
// -l l1=v1 --link refc0:al bbref`), byte for byte, key order included.
import { adaptContainerSettings } from '../../src/container/adapt';
import { decodeCreateRequest } from '../../src/container/decode';
import type { HostFacts } from '../../src/container/hostfacts';
import { mergeImageConfig } from '../../src/container/merge';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  normalizeConfig,
  normalizeHostConfig,
} from '../../src/container/normalize';

const REFERENCE_HOST_CONFIG =
  '{"Binds":["/tmp:/host:ro","named1:/named"],"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"private","Cgroup":"","Links":["/refc0:/refc/al"],"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":67108864,"Runtime":"runc","ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":false,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],"ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]}';
const REFERENCE_CONFIG =
  '{"Hostname":"a2a29bd6f1ef","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["X=1","FOO=bar","PATH=/usr/bin:/bin"],"Cmd":["/bin/sh"],"Image":"bbref","Volumes":{"/data":{}},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":"b","l1":"v1"}}';

const bbref = { Env: ['FOO=bar', 'PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'], Volumes: { '/data': {} }, Labels: { a: 'b' } };
const v1Host: HostFacts = { cpus: 2, cpusetCpus: '0-1', cpusetMems: '0', cgroupVersion: 1, hostname: 'host' };

describe('the reference container', () => {
  test('a minimal API request comes out as dockerd showed the CLI-made container', () => {
    // Only what the request carried; normalization supplies Docker's zero shapes.
    const decoded = decodeCreateRequest({
      config: { Image: 'bbref', AttachStdout: true, AttachStderr: true, Env: ['X=1'], Labels: { l1: 'v1' } },
      hostConfig: { Binds: ['/tmp:/host:ro', 'named1:/named'], Links: ['refc0:al'] },
    });
    const hostConfig = adaptContainerSettings(decoded.hostConfig, { apiVersion: '1.41', host: v1Host });
    // What the engine does with names, outside these functions.
    hostConfig.Links = ['/refc0:/refc/al'];
    const config = mergeImageConfig(decoded.config, bbref);
    config.Hostname = 'a2a29bd6f1ef';

    expect(JSON.stringify(normalizeHostConfig(hostConfig))).toBe(REFERENCE_HOST_CONFIG);
    expect(JSON.stringify(normalizeConfig(config))).toBe(REFERENCE_CONFIG);
  });

  test('normalizing the reference shapes changes nothing', () => {
    expect(JSON.stringify(normalizeHostConfig(JSON.parse(REFERENCE_HOST_CONFIG)))).toBe(REFERENCE_HOST_CONFIG);
    expect(JSON.stringify(normalizeConfig(JSON.parse(REFERENCE_CONFIG)))).toBe(REFERENCE_CONFIG);
  });
});

describe('normalizeConfig', () => {
  test('an empty config has every always-written field at its zero value', () => {
    expect(JSON.stringify(normalizeConfig({}))).toBe(
      '{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}',
    );
  });

  test('fields Docker writes only when set appear in their place', () => {
    const config = normalizeConfig({
      Shell: ['sh'],
      StopTimeout: 0,
      StopSignal: 'SIGINT',
      MacAddress: 'm',
      NetworkDisabled: true,
      ArgsEscaped: true,
      Healthcheck: { Test: ['NONE'], Interval: 0, Retries: 2 },
      ExposedPorts: { '80/tcp': {} },
    });
    expect(Object.keys(config)).toEqual([
      'Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin',
      'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'NetworkDisabled',
      'MacAddress', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell',
    ]);
    expect(config.Healthcheck).toEqual({ Test: ['NONE'], Retries: 2 });
    expect(config.StopTimeout).toBe(0);
  });

  test('empty optional fields stay out', () => {
    const config = normalizeConfig({ Shell: [], StopTimeout: null, StopSignal: '', ExposedPorts: {}, ArgsEscaped: false, Healthcheck: null });
    for (const key of ['Shell', 'StopTimeout', 'StopSignal', 'ExposedPorts', 'ArgsEscaped', 'Healthcheck']) expect(config).not.toHaveProperty(key);
  });

  test('map keys are sorted as Go writes them', () => {
    const config = normalizeConfig({ Labels: { z: '1', a: '2', m: '3' }, Volumes: { '/z': {}, '/a': {} }, ExposedPorts: { '90/tcp': {}, '443/tcp': {} } });
    expect(Object.keys(config.Labels ?? {})).toEqual(['a', 'm', 'z']);
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/a', '/z']);
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(['443/tcp', '90/tcp']);
  });

  test('the result shares nothing with the input', () => {
    const input = { Env: ['A=1'], Labels: { a: 'b' } };
    const config = normalizeConfig(input);
    config.Env!.push('B=2');
    config.Labels!.c = 'd';
    expect(input).toEqual({ Env: ['A=1'], Labels: { a: 'b' } });
  });
});

describe('normalizeHostConfig', () => {
  test('an unprivileged container gets the default masked and read-only paths', () => {
    const hostConfig = normalizeHostConfig({});
    expect(hostConfig.MaskedPaths).toEqual(DEFAULT_MASKED_PATHS);
    expect(hostConfig.ReadonlyPaths).toEqual(DEFAULT_READONLY_PATHS);
  });

  test('a privileged container gets none', () => {
    const hostConfig = normalizeHostConfig({ Privileged: true });
    expect(hostConfig.MaskedPaths).toBeNull();
    expect(hostConfig.ReadonlyPaths).toBeNull();
  });

  test('paths the request set, even empty, are kept', () => {
    const hostConfig = normalizeHostConfig({ MaskedPaths: [], ReadonlyPaths: ['/x'] });
    expect(hostConfig.MaskedPaths).toEqual([]);
    expect(hostConfig.ReadonlyPaths).toEqual(['/x']);
  });

  test('fields Docker writes only when set appear in their place', () => {
    const hostConfig = normalizeHostConfig({
      Init: false,
      Mounts: [{ Type: 'tmpfs', Target: '/t' }],
      Annotations: { b: '1', a: '2' },
      Sysctls: { 'net.b': '1', 'net.a': '0' },
      Tmpfs: { '/run': '' },
      StorageOpt: { size: '1G' },
      Runtime: 'runc',
    });
    const keys = Object.keys(hostConfig);
    const order = ['SecurityOpt', 'StorageOpt', 'Tmpfs', 'UTSMode', 'UsernsMode', 'ShmSize', 'Sysctls', 'Runtime', 'ConsoleSize', 'Annotations', 'Isolation'];
    expect(keys.filter((key) => order.includes(key))).toEqual(order);
    expect(keys.slice(-4)).toEqual(['Mounts', 'MaskedPaths', 'ReadonlyPaths', 'Init']);
    expect(Object.keys(hostConfig.Annotations ?? {})).toEqual(['a', 'b']);
    expect(Object.keys(hostConfig.Sysctls ?? {})).toEqual(['net.a', 'net.b']);
    expect(hostConfig.Init).toBe(false);
  });

  test('empty optional fields stay out', () => {
    const hostConfig = normalizeHostConfig({ Mounts: [], Annotations: {}, Sysctls: null, Tmpfs: {}, StorageOpt: {}, Runtime: '', Init: null });
    for (const key of ['Mounts', 'Annotations', 'Sysctls', 'Tmpfs', 'StorageOpt', 'Runtime', 'Init']) expect(hostConfig).not.toHaveProperty(key);
  });

  test('values set are kept, with ConsoleSize as a pair', () => {
    const hostConfig = normalizeHostConfig({ Memory: 7000000, ConsoleSize: [24, 80], Dns: ['1.1.1.1'], CapAdd: ['NET_ADMIN'], PidsLimit: 5 });
    expect(hostConfig).toMatchObject({ Memory: 7000000, ConsoleSize: [24, 80], Dns: ['1.1.1.1'], CapAdd: ['NET_ADMIN'], PidsLimit: 5 });
  });

  test('the result shares nothing with the input', () => {
    const input = { Binds: ['/a:/b'], PortBindings: { '80/tcp': [{ HostPort: '1' }] } };
    const hostConfig = normalizeHostConfig(input);
    hostConfig.Binds!.push('/c:/d');
    hostConfig.PortBindings!['80/tcp']![0]!.HostPort = '2';
    expect(input).toEqual({ Binds: ['/a:/b'], PortBindings: { '80/tcp': [{ HostPort: '1' }] } });
  });
});
