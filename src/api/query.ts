// Query parameters read the way dockerd reads them: booleans are true unless
// empty/0/no/false/none, filters are JSON in either of Docker's two shapes.
import { invalidParameter } from '../errors';

/** The raw query as fastify parses it: a repeated key gives an array. */
export type RawQuery = Record<string, string | string[] | undefined>;

/** The first value of `key`, as Go's `FormValue` takes it. */
export function queryValue(query: RawQuery, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[0] : v;
}

const FALSE_WORDS = new Set(['', '0', 'no', 'false', 'none']);

/** Docker's `BoolValue`: absent gives `fallback`; present, anything but a "false" word is true. */
export function queryBool(query: RawQuery, key: string, fallback = false): boolean {
  const v = queryValue(query, key);
  if (v === undefined) return fallback;
  return !FALSE_WORDS.has(v.trim().toLowerCase());
}

/** An integer parameter; absent or empty gives undefined, anything else not an integer is a 400. */
export function queryInt(query: RawQuery, key: string): number | undefined {
  const v = queryValue(query, key);
  if (v === undefined || v === '') return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw invalidParameter(`invalid value for ${key}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

export type Filters = Record<string, string[]>;

/**
 * Parses `filters=`: `{"key":["v1","v2"]}` or the older `{"key":{"v1":true}}`
 * (every listed value counts, as in Docker). Empty gives no filters.
 */
export function parseFilters(raw: string | undefined): Filters {
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw invalidParameter(`invalid filters ${JSON.stringify(raw)}: ${(e as Error).message}`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter(`invalid filters ${JSON.stringify(raw)}: must be a JSON object`);
  }
  const filters: Filters = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) {
      filters[key] = value;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'boolean')) {
      filters[key] = Object.keys(value);
    } else {
      throw invalidParameter(`invalid filters ${JSON.stringify(raw)}: the value of ${JSON.stringify(key)} must be a list of strings or a map of strings to booleans`);
    }
  }
  return filters;
}

/** Refuses filter keys the endpoint does not know, with Docker's text. */
export function checkFilterKeys(filters: Filters, accepted: readonly string[]): void {
  for (const key of Object.keys(filters)) {
    if (!accepted.includes(key)) throw invalidParameter(`invalid filter '${key}'`);
  }
}
