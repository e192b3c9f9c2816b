// Create requests type-checked as Docker's Go decoder checks them. The error
// texts in the tables are what dockerd 20.10 answered for the same bodies.
import { decodeCreateRequest } from '../../src/container/decode';
import { EngineError } from '../../src/errors';

function refusal(input: Parameters<typeof decodeCreateRequest>[0]): EngineError {
  try {
    decodeCreateRequest(input);
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

const image = { Image: 'bbref' };

describe('a missing or empty config', () => {
  test.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
    ['only unknown fields', { Foo: 1 }],
    ['only the HostConfig key', { HostConfig: {} }],
  ])('%s is refused as empty', (_name, config) => {
    const err = refusal({ config });
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe('config cannot be empty in order to create a container');
  });

  test('a config that is not an object is a decode error', () => {
    expect(refusal({ config: [] }).message).toBe(
      'json: cannot unmarshal array into Go value of type runconfig.ContainerConfigWrapper',
    );
  });

  test('a known field set to null is enough for a config', () => {
    expect(decodeCreateRequest({ config: { Image: null } }).config).toEqual({});
  });
});

describe('fields of the wrong type name the field as Go does', () => {
  const table: Array<[string, Parameters<typeof decodeCreateRequest>[0], string]> = [
    ['Cmd number', { config: { ...image, Cmd: 5 } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string'],
    ['Entrypoint element', { config: { ...image, Entrypoint: [1] } }, 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.Entrypoint of type string'],
    ['Env string', { config: { ...image, Env: 'A=1' } }, 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Env of type []string'],
    ['Labels value', { config: { ...image, Labels: { a: 1 } } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels of type string'],
    ['ExposedPorts value', { config: { ...image, ExposedPorts: { '80/tcp': 1 } } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.ExposedPorts of type struct {}'],
    ['ExposedPorts list', { config: { ...image, ExposedPorts: ['80/tcp'] } }, 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.ExposedPorts of type nat.PortSet'],
    ['StopTimeout string', { config: { ...image, StopTimeout: '5' } }, 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.StopTimeout of type int'],
    ['Image number', { config: { Image: 5 } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Image of type string'],
    ['Tty number', { config: { ...image, Tty: 1 } }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Tty of type bool'],
    ['Healthcheck.Interval string', { config: { ...image, Healthcheck: { Interval: '5s' } } }, 'json: cannot unmarshal string into Go struct field HealthConfig.Healthcheck.Interval of type time.Duration'],
    ['Healthcheck.Interval fraction', { config: { ...image, Healthcheck: { Interval: 1.5 } } }, 'json: cannot unmarshal number 1.5 into Go struct field HealthConfig.Healthcheck.Interval of type time.Duration'],
    ['Healthcheck.Test number', { config: { ...image, Healthcheck: { Test: 5 } } }, 'json: cannot unmarshal number into Go struct field HealthConfig.Healthcheck.Test of type []string'],
    ['Memory string', { config: image, hostConfig: { Memory: 'x' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64'],
    ['Memory fraction', { config: image, hostConfig: { Memory: 1.5 } }, 'json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64'],
    ['Memory past int64', { config: image, hostConfig: { Memory: 2 ** 64 } }, `json: cannot unmarshal number ${2 ** 64} into Go struct field HostConfig.HostConfig.Memory of type int64`],
    ['Privileged string', { config: image, hostConfig: { Privileged: 'true' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Privileged of type bool'],
    ['Binds element', { config: image, hostConfig: { Binds: [1] } }, 'json: cannot unmarshal number into Go struct field HostConfig.HostConfig.Binds of type string'],
    ['BlkioWeight past uint16', { config: image, hostConfig: { BlkioWeight: 70000 } }, 'json: cannot unmarshal number 70000 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16'],
    ['BlkioWeight negative', { config: image, hostConfig: { BlkioWeight: -1 } }, 'json: cannot unmarshal number -1 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16'],
    ['ConsoleSize negative', { config: image, hostConfig: { ConsoleSize: [-1, 2] } }, 'json: cannot unmarshal number -1 into Go struct field HostConfig.HostConfig.ConsoleSize of type uint'],
    ['RestartPolicy.Name number', { config: image, hostConfig: { RestartPolicy: { Name: 5 } } }, 'json: cannot unmarshal number into Go struct field RestartPolicy.HostConfig.RestartPolicy.Name of type string'],
    ['RestartPolicy string', { config: image, hostConfig: { RestartPolicy: 'always' } }, 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.RestartPolicy of type container.RestartPolicy'],
    ['PortBindings HostPort number', { config: image, hostConfig: { PortBindings: { '80/tcp': [{ HostPort: 80 }] } } }, 'json: cannot unmarshal number into Go struct field PortBinding.HostConfig.PortBindings.HostPort of type string'],
    ['PortBindings value object', { config: image, hostConfig: { PortBindings: { '80/tcp': {} } } }, 'json: cannot unmarshal object into Go struct field HostConfig.HostConfig.PortBindings of type []nat.PortBinding'],
    ['Ulimits Soft string', { config: image, hostConfig: { Ulimits: [{ Name: 'nofile', Soft: '1' }] } }, 'json: cannot unmarshal string into Go struct field Ulimit.HostConfig.Ulimits.Soft of type int64'],
    ['LogConfig.Config value', { config: image, hostConfig: { LogConfig: { Config: { a: 1 } } } }, 'json: cannot unmarshal number into Go struct field LogConfig.HostConfig.LogConfig.Config of type string'],
    ['Tmpfs value', { config: image, hostConfig: { Tmpfs: { '/x': 1 } } }, 'json: cannot unmarshal number into Go struct field HostConfig.HostConfig.Tmpfs of type string'],
    ['Mounts Type', { config: image, hostConfig: { Mounts: [{ Type: 1 }] } }, 'json: cannot unmarshal number into Go struct field Mount.HostConfig.Mounts.Type of type mount.Type'],
    ['Mounts TmpfsOptions.Mode', { config: image, hostConfig: { Mounts: [{ TmpfsOptions: { Mode: 'x' } }] } }, 'json: cannot unmarshal string into Go struct field TmpfsOptions.HostConfig.Mounts.TmpfsOptions.Mode of type fs.FileMode'],
    ['Devices PathOnHost', { config: image, hostConfig: { Devices: [{ PathOnHost: 1 }] } }, 'json: cannot unmarshal number into Go struct field DeviceMapping.HostConfig.Devices.PathOnHost of type string'],
    ['BlkioWeightDevice Weight', { config: image, hostConfig: { BlkioWeightDevice: [{ Weight: -1 }] } }, 'json: cannot unmarshal number -1 into Go struct field WeightDevice.HostConfig.BlkioWeightDevice.Weight of type uint16'],
    ['HostConfig array', { config: image, hostConfig: [] }, 'json: cannot unmarshal array into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig'],
    ['HostConfig number', { config: image, hostConfig: 5 }, 'json: cannot unmarshal number into Go struct field ContainerConfigWrapper.HostConfig of type container.HostConfig'],
    ['NetworkingConfig string', { config: image, networkingConfig: 'x' }, 'json: cannot unmarshal string into Go struct field ContainerConfigWrapper.NetworkingConfig of type network.NetworkingConfig'],
    ['EndpointSettings Aliases', { config: image, networkingConfig: { EndpointsConfig: { bridge: { Aliases: 'x' } } } }, 'json: cannot unmarshal string into Go struct field EndpointSettings.NetworkingConfig.EndpointsConfig.Aliases of type []string'],
  ];
  test.each(table)('%s', (_name, input, message) => {
    const err = refusal(input);
    expect(err.code).toBe('EINVAL');
    expect(err.message).toBe(message);
  });
});

describe('values Go accepts', () => {
  test('string-or-list fields take a lone string as one element', () => {
    const { config, hostConfig } = decodeCreateRequest({
      config: { ...image, Cmd: 'echo hi', Entrypoint: '/bin/sh', Shell: 'bash', Healthcheck: { Test: 'CMD-SHELL true' } },
      hostConfig: { CapAdd: 'NET_ADMIN', CapDrop: ['CHOWN'] },
    });
    expect(config.Cmd).toEqual(['echo hi']);
    expect(config.Entrypoint).toEqual(['/bin/sh']);
    expect(config.Shell).toEqual(['bash']);
    expect(config.Healthcheck?.Test).toEqual(['CMD-SHELL true']);
    expect(hostConfig.CapAdd).toEqual(['NET_ADMIN']);
    expect(hostConfig.CapDrop).toEqual(['CHOWN']);
  });

  test('null elements of string lists become empty strings', () => {
    expect(decodeCreateRequest({ config: { ...image, Cmd: [null, 'x'], Env: [null] } }).config).toMatchObject({
      Cmd: ['', 'x'],
      Env: [''],
    });
  });

  test('null leaves a plain field at its zero value but keeps a null list, map or pointer', () => {
    const { config, hostConfig } = decodeCreateRequest({
      config: { ...image, Tty: null, Cmd: null, Labels: null, StopTimeout: null, Healthcheck: null },
      hostConfig: { Memory: null, RestartPolicy: null, Binds: null, MemorySwappiness: null, OomKillDisable: null, Init: null },
    });
    expect(config).toEqual({ Image: 'bbref', Cmd: null, Labels: null, StopTimeout: null, Healthcheck: null, Volumes: {} });
    expect(hostConfig).toEqual({ Binds: null, MemorySwappiness: null, OomKillDisable: null, Init: null });
  });

  test('unknown fields are dropped at every level', () => {
    const { config, hostConfig, networkingConfig } = decodeCreateRequest({
      config: { ...image, NewField: 1, Healthcheck: { Future: true, Retries: 2 } },
      hostConfig: { Nope: 'x', RestartPolicy: { Name: 'always', Extra: 1 } },
      networkingConfig: { EndpointsConfig: { bridge: { Aliases: ['a'], Later: 1 } }, Other: 2 },
    });
    expect(config).toEqual({ Image: 'bbref', Healthcheck: { Retries: 2 }, Volumes: {} });
    expect(hostConfig).toEqual({ RestartPolicy: { Name: 'always' } });
    expect(networkingConfig).toEqual({ EndpointsConfig: { bridge: { Aliases: ['a'] } } });
  });

  test('field names match without regard to case, as Go matches them', () => {
    const { config, hostConfig } = decodeCreateRequest({ config: { image: 'bbref', cmd: ['sh'] }, hostConfig: { memory: 7000000, dns: ['1.1.1.1'] } });
    expect(config).toEqual({ Image: 'bbref', Cmd: ['sh'], Volumes: {} });
    expect(hostConfig).toEqual({ Memory: 7000000, Dns: ['1.1.1.1'] });
  });

  test('ConsoleSize keeps two elements and fills missing ones with 0', () => {
    expect(decodeCreateRequest({ config: image, hostConfig: { ConsoleSize: [1, 2, 3] } }).hostConfig.ConsoleSize).toEqual([1, 2]);
    expect(decodeCreateRequest({ config: image, hostConfig: { ConsoleSize: [7] } }).hostConfig.ConsoleSize).toEqual([7, 0]);
  });

  test('ExposedPorts and Volumes values become empty objects', () => {
    const { config } = decodeCreateRequest({ config: { ...image, ExposedPorts: { '80/tcp': { x: 1 } }, Volumes: { '/x': null } } });
    expect(config.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(config.Volumes).toEqual({ '/x': {} });
  });

  test('a request with a HostConfig gets an empty Volumes set, one without does not', () => {
    expect(decodeCreateRequest({ config: image, hostConfig: {} }).config.Volumes).toEqual({});
    expect(decodeCreateRequest({ config: image }).config.Volumes).toBeUndefined();
  });

  test('missing HostConfig and NetworkingConfig decode as empty objects', () => {
    const decoded = decodeCreateRequest({ config: image, hostConfig: null });
    expect(decoded.hostConfig).toEqual({});
    expect(decoded.networkingConfig).toEqual({});
  });

  test('a map key named __proto__ stays an ordinary key', () => {
    const labels = JSON.parse('{"__proto__": "x", "a": "b"}') as unknown;
    const { config } = decodeCreateRequest({ config: { ...image, Labels: labels } });
    expect(Object.keys(config.Labels ?? {})).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(config.Labels)).toBe(Object.prototype);
  });

  test('the result shares nothing with the input', () => {
    const input = { ...image, Cmd: ['sh'], Labels: { a: 'b' }, Healthcheck: { Test: ['NONE'] } };
    const hostInput = { Binds: ['/a:/b'], RestartPolicy: { Name: 'no' }, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } };
    const { config, hostConfig } = decodeCreateRequest({ config: input, hostConfig: hostInput });
    config.Cmd!.push('x');
    config.Labels!.c = 'd';
    config.Healthcheck!.Test!.push('y');
    hostConfig.Binds!.push('/c:/d');
    hostConfig.RestartPolicy!.Name = 'always';
    hostConfig.PortBindings!['80/tcp']![0]!.HostPort = '1';
    expect(input).toEqual({ Image: 'bbref', Cmd: ['sh'], Labels: { a: 'b' }, Healthcheck: { Test: ['NONE'] } });
    expect(hostInput).toEqual({ Binds: ['/a:/b'], RestartPolicy: { Name: 'no' }, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } });
  });

  test('a full request decodes to the same values', () => {
    const config = {
      Hostname: 'h', Domainname: 'd', User: 'u', AttachStdin: true, AttachStdout: true, AttachStderr: true,
      ExposedPorts: { '80/tcp': {} }, Tty: true, OpenStdin: true, StdinOnce: true, Env: ['A=1'], Cmd: ['sh'],
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 2e9, StartPeriod: 3e9, StartInterval: 4e9, Retries: 3 },
      ArgsEscaped: true, Image: 'bbref', Volumes: { '/v': {} }, WorkingDir: '/w', Entrypoint: ['/e'], NetworkDisabled: true,
      MacAddress: '02:42:ac:11:00:02', OnBuild: ['RUN x'], Labels: { l: 'v' }, StopSignal: 'SIGINT', StopTimeout: 5, Shell: ['sh', '-c'],
    };
    const hostConfig = {
      Binds: ['/a:/b'], ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }, NetworkMode: 'bridge',
      PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      AutoRemove: false, VolumeDriver: '', VolumesFrom: ['c'], ConsoleSize: [24, 80], Annotations: { a: 'b' }, CapAdd: ['NET_ADMIN'],
      CapDrop: ['CHOWN'], CgroupnsMode: 'private', Dns: ['1.1.1.1'], DnsOptions: ['ndots:1'], DnsSearch: ['x'], ExtraHosts: ['h:1.2.3.4'],
      GroupAdd: ['g'], IpcMode: 'private', Cgroup: '', Links: ['a:b'], OomScoreAdj: 5, PidMode: '', Privileged: false, PublishAllPorts: true,
      ReadonlyRootfs: true, SecurityOpt: ['no-new-privileges'], StorageOpt: { size: '1G' }, Tmpfs: { '/t': 'size=1m' }, UTSMode: '',
      UsernsMode: '', ShmSize: 1024, Sysctls: { 'net.ipv4.ip_forward': '1' }, Runtime: 'runc', Isolation: '', CpuShares: 512,
      Memory: 7000000, NanoCpus: 1e9, CgroupParent: '', BlkioWeight: 100, BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 10 }],
      BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
      CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '0', CpusetMems: '0',
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n', CgroupPermissions: 'rwm' }], DeviceCgroupRules: ['c 1:3 r'],
      DeviceRequests: [{ Driver: 'nvidia', Count: -1, DeviceIDs: ['0'], Capabilities: [['gpu']], Options: { a: 'b' } }],
      KernelMemory: 0, KernelMemoryTCP: 0, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: 10, OomKillDisable: false, PidsLimit: 10,
      Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
      Mounts: [{
        Type: 'volume', Source: 'v', Target: '/m', ReadOnly: true, Consistency: 'cached',
        BindOptions: { Propagation: 'rslave', NonRecursive: true, CreateMountpoint: true, ReadOnlyNonRecursive: true, ReadOnlyForceRecursive: false },
        VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, Subpath: 's', DriverConfig: { Name: 'local', Options: { o: 'p' } } },
        TmpfsOptions: { SizeBytes: 1, Mode: 0o755, Options: [['uid', '0']] },
      }],
      MaskedPaths: ['/m'], ReadonlyPaths: ['/r'], Init: true,
    };
    const networkingConfig = {
      EndpointsConfig: {
        bridge: {
          IPAMConfig: { IPv4Address: '10.0.0.2', IPv6Address: '', LinkLocalIPs: ['169.254.0.1'] }, Links: ['a'], Aliases: ['b'],
          MacAddress: '', DriverOpts: { k: 'v' }, NetworkID: 'n', EndpointID: 'e', Gateway: 'g', IPAddress: 'i', IPPrefixLen: 16,
          IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: ['d'],
        },
      },
    };
    expect(decodeCreateRequest({ config, hostConfig, networkingConfig })).toEqual({ config, hostConfig, networkingConfig });
  });
});
