// Type-checks a create request the way Docker's Go JSON decoder does, so that
// a request dockerd refuses is refused here with the same kind of message
// (`json: cannot unmarshal number into Go struct field ...`), and a request it
// accepts comes out as fresh, typed objects. Unknown fields are dropped, as Go
// drops them, because newer clients send fields older servers do not know.
import { invalidParameter } from '../errors';
import type { ContainerConfig, HostConfig, NetworkingConfig } from './types';

type IntKind = 'int' | 'int64' | 'uint' | 'uint16' | 'uint32' | 'uint64' | 'time.Duration' | 'fs.FileMode';

/** The Go shape of a field: what the decoder accepts, and how Go names it. */
type Shape =
  | { t: 'string'; go?: string }
  | { t: 'bool' }
  | { t: 'int'; go: IntKind }
  /** Docker's StrSlice: a string or an array of strings. */
  | { t: 'strslice'; go?: string }
  | { t: 'list'; of: Shape; go: string }
  /** Go's fixed-size array: extra elements are ignored, missing ones are zero. */
  | { t: 'array'; of: Shape; length: number; go: string }
  | { t: 'map'; of: Shape; go: string }
  /** Go's `map[K]struct{}`: the values must be objects and carry nothing. */
  | { t: 'set'; go: string }
  | StructShape
  /** A Go pointer: `null` stays `null` instead of meaning "leave at zero". */
  | { t: 'ptr'; of: Shape };

interface StructShape {
  t: 'struct';
  /** The Go type's bare name, which Go's errors put before the field path. */
  name: string;
  go: string;
  fields: Record<string, Shape>;
}

const str: Shape = { t: 'string' };
const bool: Shape = { t: 'bool' };
const int64: Shape = { t: 'int', go: 'int64' };
const int: Shape = { t: 'int', go: 'int' };
const strings: Shape = { t: 'list', of: str, go: '[]string' };
const stringMap: Shape = { t: 'map', of: str, go: 'map[string]string' };
const named = (go: string): Shape => ({ t: 'string', go });

const healthConfig: Shape = {
  t: 'struct',
  name: 'HealthConfig',
  go: 'container.HealthConfig',
  fields: {
    // Docker's own type is []string; a lone string is taken as one element,
    // as for the other command-like fields.
    Test: { t: 'strslice', go: '[]string' },
    Interval: { t: 'int', go: 'time.Duration' },
    Timeout: { t: 'int', go: 'time.Duration' },
    StartPeriod: { t: 'int', go: 'time.Duration' },
    StartInterval: { t: 'int', go: 'time.Duration' },
    Retries: int,
  },
};

const configFields: Record<string, Shape> = {
  Hostname: str,
  Domainname: str,
  User: str,
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  ExposedPorts: { t: 'set', go: 'nat.PortSet' },
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strings,
  Cmd: { t: 'strslice' },
  Healthcheck: { t: 'ptr', of: healthConfig },
  ArgsEscaped: bool,
  Image: str,
  Volumes: { t: 'set', go: 'map[string]struct {}' },
  WorkingDir: str,
  Entrypoint: { t: 'strslice' },
  NetworkDisabled: bool,
  MacAddress: str,
  OnBuild: strings,
  Labels: stringMap,
  StopSignal: str,
  StopTimeout: { t: 'ptr', of: int },
  Shell: { t: 'strslice' },
};

const throttleDevice: Shape = {
  t: 'ptr',
  of: { t: 'struct', name: 'ThrottleDevice', go: 'blkiodev.ThrottleDevice', fields: { Path: str, Rate: { t: 'int', go: 'uint64' } } },
};
const throttleDevices: Shape = { t: 'list', of: throttleDevice, go: '[]*blkiodev.ThrottleDevice' };

const mountShape: Shape = {
  t: 'struct',
  name: 'Mount',
  go: 'mount.Mount',
  fields: {
    Type: named('mount.Type'),
    Source: str,
    Target: str,
    ReadOnly: bool,
    Consistency: named('mount.Consistency'),
    BindOptions: {
      t: 'ptr',
      of: {
        t: 'struct',
        name: 'BindOptions',
        go: 'mount.BindOptions',
        fields: {
          Propagation: named('mount.Propagation'),
          NonRecursive: bool,
          CreateMountpoint: bool,
          ReadOnlyNonRecursive: bool,
          ReadOnlyForceRecursive: bool,
        },
      },
    },
    VolumeOptions: {
      t: 'ptr',
      of: {
        t: 'struct',
        name: 'VolumeOptions',
        go: 'mount.VolumeOptions',
        fields: {
          NoCopy: bool,
          Labels: stringMap,
          Subpath: str,
          DriverConfig: {
            t: 'ptr',
            of: { t: 'struct', name: 'Driver', go: 'mount.Driver', fields: { Name: str, Options: stringMap } },
          },
        },
      },
    },
    TmpfsOptions: {
      t: 'ptr',
      of: {
        t: 'struct',
        name: 'TmpfsOptions',
        go: 'mount.TmpfsOptions',
        fields: {
          SizeBytes: int64,
          Mode: { t: 'int', go: 'fs.FileMode' },
          Options: { t: 'list', of: strings, go: '[][]string' },
        },
      },
    },
  },
};

const hostConfigShape: StructShape = {
  t: 'struct',
  name: 'HostConfig',
  go: 'container.HostConfig',
  fields: {
    Binds: strings,
    ContainerIDFile: str,
    LogConfig: {
      t: 'struct',
      name: 'LogConfig',
      go: 'container.LogConfig',
      fields: { Type: str, Config: stringMap },
    },
    NetworkMode: named('container.NetworkMode'),
    PortBindings: {
      t: 'map',
      go: 'nat.PortMap',
      of: {
        t: 'list',
        go: '[]nat.PortBinding',
        of: { t: 'struct', name: 'PortBinding', go: 'nat.PortBinding', fields: { HostIp: str, HostPort: str } },
      },
    },
    RestartPolicy: {
      t: 'struct',
      name: 'RestartPolicy',
      go: 'container.RestartPolicy',
      fields: { Name: str, MaximumRetryCount: int },
    },
    AutoRemove: bool,
    VolumeDriver: str,
    VolumesFrom: strings,
    ConsoleSize: { t: 'array', of: { t: 'int', go: 'uint' }, length: 2, go: '[2]uint' },
    Annotations: stringMap,
    CapAdd: { t: 'strslice' },
    CapDrop: { t: 'strslice' },
    CgroupnsMode: named('container.CgroupnsMode'),
    Dns: strings,
    DnsOptions: strings,
    DnsSearch: strings,
    ExtraHosts: strings,
    GroupAdd: strings,
    IpcMode: named('container.IpcMode'),
    Cgroup: named('container.CgroupSpec'),
    Links: strings,
    OomScoreAdj: int,
    PidMode: named('container.PidMode'),
    Privileged: bool,
    PublishAllPorts: bool,
    ReadonlyRootfs: bool,
    SecurityOpt: strings,
    StorageOpt: stringMap,
    Tmpfs: stringMap,
    UTSMode: named('container.UTSMode'),
    UsernsMode: named('container.UsernsMode'),
    ShmSize: int64,
    Sysctls: stringMap,
    Runtime: str,
    Isolation: named('container.Isolation'),
    CpuShares: int64,
    Memory: int64,
    NanoCpus: int64,
    CgroupParent: str,
    BlkioWeight: { t: 'int', go: 'uint16' },
    BlkioWeightDevice: {
      t: 'list',
      go: '[]*blkiodev.WeightDevice',
      of: {
        t: 'ptr',
        of: { t: 'struct', name: 'WeightDevice', go: 'blkiodev.WeightDevice', fields: { Path: str, Weight: { t: 'int', go: 'uint16' } } },
      },
    },
    BlkioDeviceReadBps: throttleDevices,
    BlkioDeviceWriteBps: throttleDevices,
    BlkioDeviceReadIOps: throttleDevices,
    BlkioDeviceWriteIOps: throttleDevices,
    CpuPeriod: int64,
    CpuQuota: int64,
    CpuRealtimePeriod: int64,
    CpuRealtimeRuntime: int64,
    CpusetCpus: str,
    CpusetMems: str,
    Devices: {
      t: 'list',
      go: '[]container.DeviceMapping',
      of: {
        t: 'struct',
        name: 'DeviceMapping',
        go: 'container.DeviceMapping',
        fields: { PathOnHost: str, PathInContainer: str, CgroupPermissions: str },
      },
    },
    DeviceCgroupRules: strings,
    DeviceRequests: {
      t: 'list',
      go: '[]container.DeviceRequest',
      of: {
        t: 'struct',
        name: 'DeviceRequest',
        go: 'container.DeviceRequest',
        fields: {
          Driver: str,
          Count: int,
          DeviceIDs: strings,
          Capabilities: { t: 'list', of: strings, go: '[][]string' },
          Options: stringMap,
        },
      },
    },
    KernelMemory: int64,
    KernelMemoryTCP: int64,
    MemoryReservation: int64,
    MemorySwap: int64,
    MemorySwappiness: { t: 'ptr', of: int64 },
    OomKillDisable: { t: 'ptr', of: bool },
    PidsLimit: { t: 'ptr', of: int64 },
    Ulimits: {
      t: 'list',
      go: '[]*units.Ulimit',
      of: { t: 'ptr', of: { t: 'struct', name: 'Ulimit', go: 'units.Ulimit', fields: { Name: str, Hard: int64, Soft: int64 } } },
    },
    CpuCount: int64,
    CpuPercent: int64,
    IOMaximumIOps: { t: 'int', go: 'uint64' },
    IOMaximumBandwidth: { t: 'int', go: 'uint64' },
    Mounts: { t: 'list', of: mountShape, go: '[]mount.Mount' },
    MaskedPaths: strings,
    ReadonlyPaths: strings,
    Init: { t: 'ptr', of: bool },
  },
};

const endpointSettings: Shape = {
  t: 'ptr',
  of: {
    t: 'struct',
    name: 'EndpointSettings',
    go: 'network.EndpointSettings',
    fields: {
      IPAMConfig: {
        t: 'ptr',
        of: {
          t: 'struct',
          name: 'EndpointIPAMConfig',
          go: 'network.EndpointIPAMConfig',
          fields: { IPv4Address: str, IPv6Address: str, LinkLocalIPs: strings },
        },
      },
      Links: strings,
      Aliases: strings,
      MacAddress: str,
      DriverOpts: stringMap,
      NetworkID: str,
      EndpointID: str,
      Gateway: str,
      IPAddress: str,
      IPPrefixLen: int,
      IPv6Gateway: str,
      GlobalIPv6Address: str,
      GlobalIPv6PrefixLen: int,
      DNSNames: strings,
    },
  },
};

const networkingConfigShape: StructShape = {
  t: 'struct',
  name: 'NetworkingConfig',
  go: 'network.NetworkingConfig',
  fields: {
    EndpointsConfig: { t: 'map', of: endpointSettings, go: 'map[string]*network.EndpointSettings' },
  },
};

const WRAPPER = 'ContainerConfigWrapper';

const INT_RANGES: Record<IntKind, [number, number]> = {
  // The doubles nearest to Go's limits: JSON numbers past 2^53 are already
  // rounded by the time they reach here.
  int: [-(2 ** 63), 2 ** 63 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  'time.Duration': [-(2 ** 63), 2 ** 63 - 1],
  uint: [0, 2 ** 64 - 1],
  uint64: [0, 2 ** 64 - 1],
  uint32: [0, 2 ** 32 - 1],
  'fs.FileMode': [0, 2 ** 32 - 1],
  uint16: [0, 2 ** 16 - 1],
};

/** Where a value sits, for Go's `Go struct field <Struct>.<path>` wording. */
interface Site {
  struct: string;
  path: string;
}

export interface DecodedCreateRequest {
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig: NetworkingConfig;
}

/**
 * Checks the three parts of a create request against Docker's Go types and
 * returns fresh copies. Errors are 400s worded as Go's decoder words them.
 */
export function decodeCreateRequest(input: {
  config: unknown;
  hostConfig?: unknown;
  networkingConfig?: unknown;
}): DecodedCreateRequest {
  const { config: rawConfig, hostConfig: rawHost, networkingConfig: rawNetworking } = input;
  if (rawConfig !== null && rawConfig !== undefined && !isPlainObject(rawConfig)) {
    throw invalidParameter(`json: cannot unmarshal ${jsonKind(rawConfig)} into Go value of type runconfig.${WRAPPER}`);
  }
  // Go allocates the embedded Config only when a key names one of its fields.
  if (!isPlainObject(rawConfig) || !Object.keys(rawConfig).some((key) => matchField(configFields, key) !== undefined)) {
    throw invalidParameter('config cannot be empty in order to create a container');
  }
  const config = decodeFields(configFields, rawConfig, WRAPPER, '') as ContainerConfig;

  const hostConfig = decodeTopLevel(rawHost, 'HostConfig', hostConfigShape) as HostConfig;
  const networkingConfig = decodeTopLevel(rawNetworking, 'NetworkingConfig', networkingConfigShape) as NetworkingConfig;

  // Docker's decoder gives a config that came with a HostConfig an empty
  // Volumes set, which inspect then shows as {} rather than null.
  if (rawHost !== null && rawHost !== undefined && (config.Volumes === undefined || config.Volumes === null)) {
    config.Volumes = {};
  }
  return { config, hostConfig, networkingConfig };
}

function decodeTopLevel(raw: unknown, field: string, shape: StructShape): Record<string, unknown> {
  if (raw === null || raw === undefined) return {};
  if (!isPlainObject(raw)) {
    throw typeError(raw, { struct: WRAPPER, path: field }, shape.go);
  }
  return decodeFields(shape.fields, raw, shape.name, field);
}

function decodeFields(
  fields: Record<string, Shape>,
  raw: Record<string, unknown>,
  struct: string,
  prefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = matchField(fields, key);
    // undefined is how a library caller leaves a field out.
    if (name === undefined || value === undefined) continue;
    const shape = fields[name]!;
    const site = { struct, path: prefix ? `${prefix}.${name}` : name };
    if (value === null && !acceptsNull(shape)) {
      // Go leaves a non-pointer field at its zero value on null; a later key
      // for the same field may still set it.
      delete out[name];
      continue;
    }
    out[name] = decodeValue(shape, value, site);
  }
  return out;
}

function acceptsNull(shape: Shape): boolean {
  return shape.t === 'ptr' || shape.t === 'list' || shape.t === 'map' || shape.t === 'set' || shape.t === 'strslice';
}

/** Go matches JSON keys to fields exactly first, then ignoring ASCII case. */
function matchField(fields: Record<string, Shape>, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(fields, key)) return key;
  const lower = key.toLowerCase();
  return Object.keys(fields).find((name) => name.toLowerCase() === lower);
}

function decodeValue(shape: Shape, value: unknown, site: Site): unknown {
  switch (shape.t) {
    case 'string':
      if (typeof value === 'string') return value;
      throw typeError(value, site, shape.go ?? 'string');
    case 'bool':
      if (typeof value === 'boolean') return value;
      throw typeError(value, site, 'bool');
    case 'int':
      return decodeInt(shape.go, value, site);
    case 'strslice':
      if (value === null) return null;
      if (typeof value === 'string') return [value];
      if (Array.isArray(value) && value.every((item) => typeof item === 'string' || item === null)) {
        return value.map((item: string | null) => item ?? '');
      }
      throw typeError(value, site, shape.go ?? 'string');
    case 'list':
      if (value === null) return null;
      if (!Array.isArray(value)) throw typeError(value, site, shape.go);
      return value.map((item) => decodeElement(shape.of, item, site));
    case 'array': {
      if (!Array.isArray(value)) throw typeError(value, site, shape.go);
      const items: unknown[] = [];
      for (let i = 0; i < shape.length; i++) items.push(decodeElement(shape.of, value[i], site));
      return items;
    }
    case 'map': {
      if (value === null) return null;
      if (!isPlainObject(value)) throw typeError(value, site, shape.go);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) setOwn(out, key, decodeElement(shape.of, item, site));
      return out;
    }
    case 'set': {
      if (value === null) return null;
      if (!isPlainObject(value)) throw typeError(value, site, shape.go);
      const out: Record<string, Record<string, never>> = {};
      for (const [key, item] of Object.entries(value)) {
        if (item !== null && !isPlainObject(item)) throw typeError(item, site, 'struct {}');
        setOwn(out, key, {});
      }
      return out;
    }
    case 'struct':
      if (!isPlainObject(value)) throw typeError(value, site, shape.go);
      return decodeFields(shape.fields, value, shape.name, site.path);
    case 'ptr':
      if (value === null) return null;
      return decodeValue(shape.of, value, site);
  }
}

/** A list or map element: null is the element type's zero value. */
function decodeElement(shape: Shape, value: unknown, site: Site): unknown {
  if (value !== null && value !== undefined) return decodeValue(shape, value, site);
  switch (shape.t) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
      return 0;
    case 'struct':
      return {};
    // A nil pointer element has nothing to point at; its zero struct is the
    // one reading of it the rest of the engine can use.
    case 'ptr':
      return shape.of.t === 'struct' ? {} : null;
    default:
      return null;
  }
}

function decodeInt(kind: IntKind, value: unknown, site: Site): number {
  if (typeof value !== 'number') throw typeError(value, site, kind);
  const [min, max] = INT_RANGES[kind];
  if (!Number.isInteger(value) || value < min || value > max) {
    // Go names the literal when a number does not fit the integer type.
    throw invalidParameter(`json: cannot unmarshal number ${numberLiteral(value)} into Go struct field ${site.struct}.${site.path} of type ${kind}`);
  }
  return value;
}

function typeError(value: unknown, site: Site, goType: string): Error {
  return invalidParameter(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${site.struct}.${site.path} of type ${goType}`);
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'bool';
    case 'object':
      return 'object';
    default:
      // Library callers can pass what JSON cannot carry (undefined, functions).
      return typeof value;
  }
}

function numberLiteral(value: number): string {
  return Number.isFinite(value) ? JSON.stringify(value) : String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a key even when it is `__proto__`, as JSON.parse does. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
