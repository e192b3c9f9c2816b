// The Engine API versions berth answers to: a `/vX.Y` prefix outside the range
// is refused with Docker's own texts, so that clients show their usual hint.
import { invalidParameter } from '../errors';

/** What the installed docker CLI (28.2) speaks, and what every response announces. */
export const API_VERSION = '1.50';
/** dockerd's historic floor; older clients send shapes berth does not parse. */
export const MIN_API_VERSION = '1.12';
/** Below this, Docker answered errors as plain text rather than `{"message": ...}`. */
export const JSON_ERRORS_SINCE = '1.24';

/** Compares dotted versions numerically, part by part, a missing part counting as 0 (as Docker's versions.compare does). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10) || 0;
    const y = Number.parseInt(pb[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Throws a 400 for a version outside [MIN_API_VERSION, API_VERSION]. */
export function checkApiVersion(version: string): void {
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw invalidParameter(
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw invalidParameter(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
}

const VERSION_PREFIX = /^\/v([0-9.]+)(\/.*)$/;

/**
 * Splits `/v1.41/containers/json` into the version and the route path. Like
 * dockerd's router, only digits and dots make a version: `/vabc/...` is no
 * prefix at all (and so no route).
 */
export function splitVersionPrefix(url: string): { version: string | undefined; path: string } {
  const m = VERSION_PREFIX.exec(url);
  return m === null ? { version: undefined, path: url } : { version: m[1], path: m[2] };
}

/** Whether answers to a request of this version use Docker's JSON error bodies. */
export const wantsJsonErrors = (version: string | undefined): boolean =>
  version === undefined || compareVersions(version, JSON_ERRORS_SINCE) >= 0;
