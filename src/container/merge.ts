// The image's config folded into the user's, by Docker's rules: the user's
// values win, the image fills what the user left out, and a container must
// end up with something to run.
import { invalidParameter } from '../errors';
import type { ContainerConfig, EmptySet, HealthConfig, StringMap } from './types';

/**
 * Docker's merge of an image config (the `config` object of the image JSON)
 * into a create request's config. Returns a new config; neither input changes.
 * Throws `no command specified` when neither has an entrypoint or a command.
 */
export function mergeImageConfig(user: ContainerConfig, image: Record<string, unknown> | null | undefined): ContainerConfig {
  const merged: ContainerConfig = structuredClone(user);
  if (image) mergeInto(merged, readImageConfig(image));
  // `--entrypoint ""` arrives as [""]: it clears the image's entrypoint and
  // then means "no entrypoint".
  if (merged.Entrypoint?.length === 1 && merged.Entrypoint[0] === '') merged.Entrypoint = null;
  if (!merged.Entrypoint?.length && !merged.Cmd?.length) throw invalidParameter('no command specified');
  return merged;
}

function mergeInto(user: ContainerConfig, image: ContainerConfig): void {
  if (!user.User) user.User = image.User ?? '';
  user.ExposedPorts = unionSets(user.ExposedPorts, image.ExposedPorts);

  // Like Docker, an empty user list is replaced outright, even by nothing.
  if (!user.Env?.length) {
    user.Env = image.Env ? [...image.Env] : null;
  } else {
    const userKeys = new Set(user.Env.map(envKey));
    for (const entry of image.Env ?? []) {
      if (!userKeys.has(envKey(entry))) user.Env.push(entry);
    }
  }

  const labels: StringMap = user.Labels ?? {};
  for (const [key, value] of Object.entries(image.Labels ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(labels, key)) setOwn(labels, key, value);
  }
  user.Labels = labels;

  // A user entrypoint replaces the image's command along with its entrypoint.
  if (!user.Entrypoint?.length) {
    if (!user.Cmd?.length) {
      user.Cmd = image.Cmd ? [...image.Cmd] : null;
      user.ArgsEscaped = image.ArgsEscaped === true;
    }
    // An explicit empty entrypoint ([]) keeps the image's out.
    if (user.Entrypoint === null || user.Entrypoint === undefined) {
      user.Entrypoint = image.Entrypoint ? [...image.Entrypoint] : null;
    }
  }

  if (image.Healthcheck) user.Healthcheck = mergeHealthcheck(user.Healthcheck, image.Healthcheck);
  if (!user.WorkingDir) user.WorkingDir = image.WorkingDir ?? '';
  user.Volumes = unionSets(user.Volumes, image.Volumes);
  if (!user.StopSignal && image.StopSignal) user.StopSignal = image.StopSignal;
}

function mergeHealthcheck(user: HealthConfig | null | undefined, image: HealthConfig): HealthConfig {
  if (!user) return structuredClone(image);
  const merged: HealthConfig = { ...user };
  if (!merged.Test?.length && image.Test) merged.Test = [...image.Test];
  if (!merged.Interval && image.Interval) merged.Interval = image.Interval;
  if (!merged.Timeout && image.Timeout) merged.Timeout = image.Timeout;
  if (!merged.StartPeriod && image.StartPeriod) merged.StartPeriod = image.StartPeriod;
  if (!merged.StartInterval && image.StartInterval) merged.StartInterval = image.StartInterval;
  if (!merged.Retries && image.Retries) merged.Retries = image.Retries;
  return merged;
}

/** The user's set with the image's keys added; the image's own set (or none) when the user's is empty. */
function unionSets(user: EmptySet | null | undefined, image: EmptySet | null | undefined): EmptySet | null {
  if (!user || Object.keys(user).length === 0) return image ? { ...image } : null;
  const union: EmptySet = { ...user };
  if (!image) return union;
  for (const key of Object.keys(image)) {
    if (!Object.prototype.hasOwnProperty.call(union, key)) setOwn(union, key, {});
  }
  return union;
}

function envKey(entry: string): string {
  const equals = entry.indexOf('=');
  return equals < 0 ? entry : entry.slice(0, equals);
}

/** What a container runs: its entrypoint's first word, then the rest and the command. */
export function pathAndArgs(config: ContainerConfig): { Path: string; Args: string[] } {
  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (entrypoint.length === 0) return { Path: cmd[0] ?? '', Args: cmd.slice(1) };
  return { Path: entrypoint[0]!, Args: [...entrypoint.slice(1), ...cmd] };
}

// ---------------------------------------------------------------------------
// Reading an image config: it comes from an image file, so every field is
// taken only when it has the shape Docker writes.

function readImageConfig(raw: Record<string, unknown>): ContainerConfig {
  return {
    User: stringOf(raw.User),
    ExposedPorts: setOf(raw.ExposedPorts),
    Env: stringsOf(raw.Env),
    Cmd: stringsOf(raw.Cmd),
    ArgsEscaped: raw.ArgsEscaped === true,
    Healthcheck: healthcheckOf(raw.Healthcheck),
    Volumes: setOf(raw.Volumes),
    WorkingDir: stringOf(raw.WorkingDir),
    Entrypoint: stringsOf(raw.Entrypoint),
    Labels: stringMapOf(raw.Labels),
    StopSignal: stringOf(raw.StopSignal),
  };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringsOf(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return null;
  return value.filter((item): item is string => typeof item === 'string');
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function setOf(value: unknown): EmptySet | null {
  if (!isRecord(value)) return null;
  const set: EmptySet = {};
  for (const key of Object.keys(value)) setOwn(set, key, {});
  return set;
}

function stringMapOf(value: unknown): StringMap | null {
  if (!isRecord(value)) return null;
  const map: StringMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') setOwn(map, key, item);
  }
  return map;
}

function healthcheckOf(value: unknown): HealthConfig | null {
  if (!isRecord(value)) return null;
  const health: HealthConfig = {};
  const test = stringsOf(value.Test);
  if (test) health.Test = test;
  for (const field of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const number = numberOf(value[field]);
    if (number !== undefined) health[field] = number;
  }
  return health;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
