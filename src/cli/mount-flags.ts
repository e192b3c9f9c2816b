// The client side of `-v/--volume` and `--mount`, as the docker CLI reads
// them before anything reaches the daemon: a `-v` with a source is a bind or
// a named volume (HostConfig.Binds), one without is an anonymous volume
// (Config.Volumes); a relative bind source starting with `.` is made
// absolute. `--mount` is a CSV of key=value fields.
import * as path from 'node:path';
import type { MountSpec } from '../container/types';
import { parseBytes } from './units';

// ---------------------------------------------------------------- -v

interface VolumeSpecParts {
  source: string;
  target: string;
}

/**
 * Splits `-v` as docker's CLI does (the daemon checks the rest): one part is
 * a target, then source, target and a mode.
 */
export function splitVolumeSpec(spec: string): VolumeSpecParts {
  if (spec === '') throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { source: '', target: spec };
  const fields = spec.split(':');
  if (fields.some((f) => f === '')) throw new Error(`invalid spec: ${spec}: empty section between colons`);
  if (fields.length === 1) return { source: '', target: spec };
  if (fields.length > 3) throw new Error(`invalid spec: ${spec}: too many colons`);
  return { source: fields[0], target: fields[1] };
}

/** Whether a `-v` source names a host path rather than a volume. */
const isHostPath = (source: string): boolean => source !== '' && (source[0] === '.' || source[0] === '/' || source[0] === '~');

export interface VolumeFlags {
  /** Config.Volumes: targets of anonymous volumes. */
  volumes: Record<string, Record<string, never>>;
  /** HostConfig.Binds, relative host paths made absolute against `cwd`. */
  binds: string[];
}

export function volumeFlags(specs: string[], cwd: string): VolumeFlags {
  const volumes: Record<string, Record<string, never>> = {};
  const binds: string[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    // docker keeps the values in a set: a repeated spec counts once.
    if (seen.has(spec)) continue;
    seen.add(spec);
    const parts = splitVolumeSpec(spec);
    if (parts.source === '') {
      volumes[spec] = {};
      continue;
    }
    if (isHostPath(parts.source) && !path.isAbsolute(parts.source) && parts.source.startsWith('.')) {
      binds.push(path.resolve(cwd, parts.source) + spec.slice(parts.source.length));
    } else {
      binds.push(spec);
    }
  }
  return { volumes, binds };
}

// ---------------------------------------------------------------- --mount

/** One CSV record (Go's encoding/csv): commas split, double quotes group, `""` is a quote. */
export function splitCsv(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let i = 0;
  let quoted = false;
  let fieldStart = true;
  while (i < line.length) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        current += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        if (i < line.length && line[i] !== ',') throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        continue;
      }
      current += c;
      i++;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      i++;
      continue;
    }
    if (c === ',') {
      fields.push(current);
      current = '';
      fieldStart = true;
      i++;
      continue;
    }
    if (c === '"') throw new Error(`parse error on line 1, column ${i + 1}: bare " in non-quoted-field`);
    current += c;
    fieldStart = false;
    i++;
  }
  if (quoted) throw new Error(`parse error on line 1, column ${line.length + 1}: extraneous or missing " in quoted-field`);
  fields.push(current);
  return fields;
}

function parseBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

function setKeyValue(map: Record<string, string>, value: string): void {
  const eq = value.indexOf('=');
  if (eq < 0) map[value] = '';
  else map[value.slice(0, eq)] = value.slice(eq + 1);
}

const BARE_KEYS = new Set(['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive']);

/**
 * `type=bind,source=./data,target=/data,readonly` → a HostConfig.Mounts entry.
 * The type defaults to `volume`; `target` is required.
 */
export function parseMountFlag(value: string, cwd: string): MountSpec {
  const mount: MountSpec = { Type: 'volume' };
  const bind = (): NonNullable<MountSpec['BindOptions']> => (mount.BindOptions ??= {});
  // As docker's client makes them: any volume option brings an empty driver config along.
  const volume = (): NonNullable<MountSpec['VolumeOptions']> => (mount.VolumeOptions ??= { DriverConfig: {} });
  const tmpfs = (): NonNullable<MountSpec['TmpfsOptions']> => (mount.TmpfsOptions ??= {});
  let recursive: string | undefined;

  for (const field of splitCsv(value)) {
    const eq = field.indexOf('=');
    const rawKey = eq < 0 ? field : field.slice(0, eq);
    const key = rawKey.toLowerCase();
    let val = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      if (!BARE_KEYS.has(key)) throw new Error(`invalid field '${field}' must be a key=value pair`);
      val = 'true';
    }
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = parseBool(key, val);
        break;
      case 'consistency':
        mount.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bind().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bind().NonRecursive = parseBool(key, val);
        break;
      case 'bind-recursive':
        if (!['enabled', 'disabled', 'writable', 'readonly'].includes(val)) {
          throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        }
        recursive = val;
        break;
      case 'volume-subpath':
        volume().Subpath = val;
        break;
      case 'volume-nocopy':
        volume().NoCopy = parseBool(key, val);
        break;
      case 'volume-label':
        setKeyValue((volume().Labels ??= {}), val);
        break;
      case 'volume-driver':
        (volume().DriverConfig ??= {}).Name = val;
        break;
      case 'volume-opt': {
        const driver = (volume().DriverConfig ??= {});
        setKeyValue((driver.Options ??= {}), val);
        break;
      }
      case 'tmpfs-size':
        try {
          tmpfs().SizeBytes = parseBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val)) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = parseInt(val, 8);
        break;
      default:
        throw new Error(`unexpected key '${rawKey}' in '${field}'`);
    }
  }

  if (!mount.Target) throw new Error('target is required');
  if (recursive !== undefined) {
    if (recursive === 'disabled') bind().NonRecursive = true;
    if (recursive === 'writable' || recursive === 'readonly') {
      if (!mount.ReadOnly) throw new Error(`option 'bind-recursive=${recursive}' requires 'readonly' to be specified in conjunction`);
      if (recursive === 'writable') bind().ReadOnlyNonRecursive = true;
      else {
        if (mount.BindOptions?.Propagation !== 'rprivate') {
          throw new Error(`option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction`);
        }
        bind().ReadOnlyForceRecursive = true;
      }
    }
  }
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  if (mount.Type === 'bind' && mount.Source && mount.Source.startsWith('.') && !path.isAbsolute(mount.Source)) {
    mount.Source = path.resolve(cwd, mount.Source);
  }
  return mount;
}
