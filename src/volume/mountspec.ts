// Mount points from what a create request says: `-v`/HostConfig.Binds,
// HostConfig.Mounts, HostConfig.Tmpfs and --volumes-from, validated with
// Docker's rules and error texts. Pure, except the existence check of a
// Mounts bind source (a sync stat, as dockerd does it at create).
//
// The -v grammar is turned into a MountSpec first and validated as one, so a
// -v spec and the equivalent Mounts entry are refused for the same reasons;
// -v errors carry the `invalid volume specification: '<spec>': ` prefix.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MountPointSummary, MountSpec } from '../container/types';
import { EngineError, invalidParameter } from '../errors';

export type MountType = 'bind' | 'volume' | 'tmpfs';

/**
 * One mount of a container, close to an entry of dockerd's
 * config.v2.json `MountPoints` (keyed by Destination there).
 */
export interface MountPoint {
  Type: MountType;
  /** Host path of a bind; empty for volumes until the engine resolves them, and for tmpfs. */
  Source: string;
  /** Clean absolute path inside the container. */
  Destination: string;
  RW: boolean;
  /** Volume name; empty for an anonymous volume until one is created, and for binds and tmpfs. */
  Name: string;
  /** `local` for volumes, empty otherwise. */
  Driver: string;
  /** The -v mode string as given (`ro,z`); dockerd persists it under the JSON key `Relabel`. */
  Mode: string;
  /** The SELinux relabel part of Mode: `z`, `Z` or empty. */
  Relabel: string;
  /** rprivate by default for binds; empty for volumes and tmpfs. */
  Propagation: string;
  /** Copy the image's content at Destination into a fresh volume (false with `nocopy`). */
  CopyData: boolean;
  /** The request that made the mount, as dockerd records it. */
  Spec: MountSpec;
  /** For tmpfs: the mount(2) data string (`size=64m,mode=1777`). */
  TmpfsOptions?: { Data: string };
}

const propagationModes = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const defaultPropagation = 'rprivate';
const rwModes = new Set(['rw', 'ro']);
const labelModes = new Set(['z', 'Z']);
const copyModes = new Set(['nocopy']);
const consistencyModes = new Set(['consistent', 'cached', 'delegated']);
/** dockerd's local driver gives a volume mounted without a mode the relabel mode `z`. */
const defaultVolumeMode = 'z';
const allowedTmpfsOptions = new Set(['exec', 'noexec']);

const volumeNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Go's path.Clean: lexical, "" is ".", no trailing slash except for "/". */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const normalized = path.posix.normalize(p);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

/** Go's strings.SplitN: at most `n` parts, the last keeping the rest. */
function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  if (parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  for (const option of mode.split(',')) {
    if (rwModes.has(option)) counts.rw++;
    else if (labelModes.has(option)) counts.label++;
    else if (propagationModes.has(option)) counts.propagation++;
    else if (copyModes.has(option)) counts.copy++;
    else if (consistencyModes.has(option)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((count) => count <= 1);
}

const modeOptions = (mode: string): string[] => (mode === '' ? [] : mode.split(','));

const invalidSpec = (raw: string): EngineError => invalidParameter(`invalid volume specification: '${raw}'`);
const invalidMode = (mode: string): EngineError => invalidParameter(`invalid mode: ${mode}`);
const mountConfigError = (type: string | undefined, message: string): EngineError =>
  invalidParameter(`invalid mount config for type "${type ?? ''}": ${message}`);

/** The message of a destination that is `/` or relative; empty when it is fine. */
function destinationProblem(target: string): string {
  if (cleanPath(target) === '/') return "invalid specification: destination can't be '/'";
  if (!path.posix.isAbsolute(target)) return `invalid mount path: '${target}' mount path must be absolute`;
  return '';
}

/** Go's filepath.IsLocal on Unix: relative, non-empty, and not climbing out with "..". */
function isLocalPath(p: string): boolean {
  if (p === '' || path.posix.isAbsolute(p)) return false;
  const cleaned = cleanPath(p);
  return cleaned !== '..' && !cleaned.startsWith('../');
}

function bindSourceExists(source: string, type: string | undefined): boolean {
  try {
    fs.statSync(source);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw mountConfigError(type, (e as Error).message);
  }
}

/** The mount(2) data of a tmpfs Mounts entry; throws the bare reason when an option is refused. */
function tmpfsData(options: MountSpec['TmpfsOptions'], readOnly: boolean): string {
  const data: string[] = [];
  if (readOnly) data.push('ro');
  if (options?.Mode) data.push(`mode=${options.Mode.toString(8)}`);
  if (options?.SizeBytes) {
    let size = options.SizeBytes;
    let suffix = '';
    for (const [unit, divisor] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % divisor === 0) {
        size /= divisor;
        suffix = unit;
        break;
      }
    }
    data.push(`size=${size}${suffix}`);
  }
  for (const option of options?.Options ?? []) {
    if (option.length < 1 || option.length > 2) throw new Error('invalid option array length');
    if (!allowedTmpfsOptions.has(option[0])) throw new Error(`invalid option: ${option[0]}`);
    data.push(option.length === 1 ? option[0] : `${option[0]}=${option[1]}`);
  }
  return data.join(',');
}

/** dockerd's validateMountConfig; `checkBindSource` is off for -v binds, whose source may appear later. */
function validateMountSpec(m: MountSpec, checkBindSource: boolean): void {
  const fail = (message: string): never => {
    throw mountConfigError(m.Type, message);
  };
  const target = m.Target ?? '';
  if (target === '') fail('field Target must not be empty');
  const problem = destinationProblem(target);
  if (problem) fail(problem);
  const source = m.Source ?? '';
  switch (m.Type) {
    case 'bind': {
      if (source === '') fail('field Source must not be empty');
      const propagation = m.BindOptions?.Propagation ?? '';
      if (propagation !== '' && !propagationModes.has(propagation)) fail(`invalid propagation mode: ${propagation}`);
      if (m.VolumeOptions != null) fail('field VolumeOptions must not be specified');
      if (!path.posix.isAbsolute(source)) fail(`invalid mount path: '${source}' mount path must be absolute`);
      if (checkBindSource && !m.BindOptions?.CreateMountpoint && !bindSourceExists(source, m.Type)) {
        fail(`bind source path does not exist: ${source}`);
      }
      return;
    }
    case 'volume': {
      if (m.BindOptions != null) fail('field BindOptions must not be specified');
      const anonymous = source === '';
      const subpath = m.VolumeOptions?.Subpath ?? '';
      if (subpath !== '') {
        if (anonymous) fail('must not set Subpath when using anonymous volumes');
        if (!isLocalPath(subpath)) fail('subpath must be a relative path within the volume');
      }
      if (m.ReadOnly && anonymous) fail('must not set ReadOnly mode when using anonymous volumes');
      return;
    }
    case 'tmpfs': {
      if (m.BindOptions != null) fail('field BindOptions must not be specified');
      if (source !== '') fail('field Source must not be specified');
      try {
        tmpfsData(m.TmpfsOptions, m.ReadOnly === true);
      } catch (e) {
        fail((e as Error).message);
      }
      return;
    }
    default:
      fail('mount type unknown');
  }
}

/** Throws with the `create <name>: ` prefix dockerd's volume service puts on a refused name. */
function assertCreatableVolumeName(name: string): void {
  try {
    validateVolumeName(name);
  } catch (e) {
    if (e instanceof EngineError) throw new EngineError(`create ${name}: ${e.message}`, e.code);
    throw e;
  }
}

function relabelOf(mode: string): string {
  return modeOptions(mode).find((option) => labelModes.has(option)) ?? '';
}

/** A validated spec as a mount point; Mode is left for the caller (it differs for -v). */
function mountPointOf(m: MountSpec): MountPoint {
  const type = m.Type as MountType;
  const point: MountPoint = {
    Type: type,
    Source: '',
    Destination: cleanPath(m.Target ?? ''),
    RW: !m.ReadOnly,
    Name: '',
    Driver: '',
    Mode: '',
    Relabel: '',
    Propagation: '',
    CopyData: false,
    Spec: m,
  };
  switch (type) {
    case 'bind':
      point.Source = cleanPath(m.Source ?? '');
      point.Propagation = m.BindOptions?.Propagation || defaultPropagation;
      break;
    case 'volume':
      point.Name = m.Source ?? '';
      point.Driver = m.VolumeOptions?.DriverConfig?.Name || 'local';
      point.CopyData = !m.VolumeOptions?.NoCopy;
      break;
    case 'tmpfs':
      point.TmpfsOptions = { Data: tmpfsData(m.TmpfsOptions, m.ReadOnly === true) };
      break;
  }
  return point;
}

/**
 * One `-v` / HostConfig.Binds entry: `dst`, `src:dst` or `src:dst:mode`.
 * An absolute src is a bind (which need not exist yet); any other src names
 * a volume; no src is an anonymous volume.
 */
export function parseBindSpec(raw: string): MountPoint {
  const parts = splitN(raw, ':', 4);
  if (parts[0] === '') throw invalidSpec(raw);
  let source = '';
  let target: string;
  let mode = '';
  switch (parts.length) {
    case 1:
      target = parts[0];
      break;
    case 2:
      // `dst:mode` is not a volume: volumes cannot take a mode without a source.
      if (validMountMode(parts[1])) throw invalidSpec(raw);
      [source, target] = parts;
      break;
    case 3:
      [source, target, mode] = parts;
      break;
    default:
      throw invalidSpec(raw);
  }
  if (!validMountMode(mode)) throw invalidMode(mode);

  const options = modeOptions(mode);
  const type: MountType = path.posix.isAbsolute(source) ? 'bind' : 'volume';
  const spec: MountSpec = { Type: type };
  if (source !== '') spec.Source = source;
  spec.Target = target;
  if (options.includes('ro')) spec.ReadOnly = true;
  if (options.some((option) => copyModes.has(option))) spec.VolumeOptions = { NoCopy: true };
  const propagation = options.find((option) => propagationModes.has(option));
  if (propagation) spec.BindOptions = { Propagation: propagation };

  try {
    validateMountSpec(spec, false);
  } catch (e) {
    if (e instanceof EngineError) throw new EngineError(`invalid volume specification: '${raw}': ${e.message}`, e.code);
    throw e;
  }
  if (type === 'volume' && source !== '') assertCreatableVolumeName(source);

  const point = mountPointOf(spec);
  point.Mode = mode === '' && type === 'volume' ? defaultVolumeMode : mode;
  point.Relabel = relabelOf(point.Mode);
  return point;
}

/** One HostConfig.Mounts entry (the `--mount` flag). A bind source must exist unless BindOptions.CreateMountpoint. */
export function parseMountSpec(m: MountSpec): MountPoint {
  const spec = structuredClone(m);
  validateMountSpec(spec, true);
  if (spec.Type === 'volume' && spec.Source) assertCreatableVolumeName(spec.Source);
  const point = mountPointOf(spec);
  if (point.Type === 'volume') {
    point.Mode = defaultVolumeMode;
    point.Relabel = defaultVolumeMode;
  }
  return point;
}

/**
 * One --volumes-from entry, `container[:mode]`. mode is '' when none was
 * given (the source's RW stands), `ro` when it holds ro, else `rw`.
 */
export function parseVolumesFrom(spec: string): { container: string; mode: '' | 'ro' | 'rw' } {
  if (spec === '') throw invalidParameter('volumes-from specification cannot be an empty string');
  const colon = spec.indexOf(':');
  const container = colon < 0 ? spec : spec.slice(0, colon);
  const mode = colon < 0 ? '' : spec.slice(colon + 1);
  if (mode === '') return { container, mode: '' };
  if (!validMountMode(mode)) throw invalidMode(mode);
  const options = modeOptions(mode);
  // The copied mounts keep the source container's propagation, and a copy mode means nothing here.
  if (options.some((option) => propagationModes.has(option) || copyModes.has(option))) throw invalidMode(mode);
  return { container, mode: options.includes('ro') ? 'ro' : 'rw' };
}

/** HostConfig.Tmpfs: destination → mount options (`size=64m,noexec`). */
export function parseTmpfs(tmpfs: Record<string, string>): MountPoint[] {
  return Object.entries(tmpfs).map(([destination, data]) => {
    const problem = destinationProblem(destination);
    if (problem) throw invalidParameter(problem);
    return {
      Type: 'tmpfs',
      Source: '',
      Destination: cleanPath(destination),
      RW: !data.split(',').includes('ro'),
      Name: '',
      Driver: '',
      Mode: '',
      Relabel: '',
      Propagation: '',
      CopyData: false,
      Spec: { Type: 'tmpfs', Target: destination },
      TmpfsOptions: { Data: data },
    };
  });
}

/** The local driver's rule for volume names. */
/** A volume is a directory named after it: longer names than the filesystem takes are refused up front. */
const VOLUME_NAME_MAX_BYTES = 255;

export function validateVolumeName(name: string): void {
  if (Buffer.byteLength(name) > VOLUME_NAME_MAX_BYTES) {
    throw invalidParameter(`volume name is too long: ${Buffer.byteLength(name)} bytes, at most ${VOLUME_NAME_MAX_BYTES} are allowed`);
  }
  if (name.length === 1) {
    throw invalidParameter('volume name is too short, names should be at least two alphanumeric characters');
  }
  if (!volumeNamePattern.test(name)) {
    throw invalidParameter(
      `${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

/**
 * Two of the request's own mounts (binds, Mounts, tmpfs) at one destination.
 * Image volumes and --volumes-from mounts are not checked: a request's mount replaces them.
 */
export function duplicateCheck(points: MountPoint[]): void {
  const seen = new Set<string>();
  for (const point of points) {
    if (seen.has(point.Destination)) throw invalidParameter(`Duplicate mount point: ${point.Destination}`);
    seen.add(point.Destination);
  }
}

/**
 * The `Mounts` entry of inspect and list. Name and Driver appear only when
 * set, as dockerd omits them; `volumeMountpoint` is the volume's `_data`
 * path where the caller knows it (inspect), else the point's own Source.
 */
export function toMountSummary(p: MountPoint, volumeMountpoint?: string): MountPointSummary {
  return {
    Type: p.Type,
    ...(p.Name ? { Name: p.Name } : {}),
    Source: volumeMountpoint ?? p.Source,
    Destination: p.Destination,
    ...(p.Driver ? { Driver: p.Driver } : {}),
    Mode: p.Mode,
    RW: p.RW,
    Propagation: p.Propagation,
  };
}
