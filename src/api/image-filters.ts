// `GET /images/json?filters=`: dangling, label, reference, before, since,
// applied to the engine's list the way dockerd applies them.
import type { ImageSummary } from '../engine/engine';
import { invalidParameter } from '../errors';
import { checkFilterKeys, type Filters } from './query';
import { parseTimestampNs } from './timestamp';

export const IMAGE_FILTERS = ['before', 'dangling', 'label', 'reference', 'since', 'until'] as const;

/** Go's path.Match as a regular expression: `*` and `?` never cross a `/`. */
export function globToRegExp(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeRe(pattern[++i]);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw invalidParameter(`invalid reference filter ${JSON.stringify(pattern)}: syntax error in pattern`);
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('^')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else out += escapeRe(c);
  }
  return new RegExp(`${out}$`);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** `name` of `name:tag` or `name@digest` (a `:` in a registry host is not a tag). */
function nameOf(reference: string): string {
  const at = reference.indexOf('@');
  const noDigest = at >= 0 ? reference.slice(0, at) : reference;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

function labelMatches(labels: Record<string, string> | null, wanted: string): boolean {
  const eq = wanted.indexOf('=');
  if (eq < 0) return labels !== null && wanted in labels;
  return labels !== null && labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

function parseBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidParameter(`invalid filter '${key}=${value}'`);
}

/**
 * Filters `images`. `createdOf` resolves a `before`/`since` reference to its
 * image's creation time (seconds), throwing 404 for an unknown one.
 */
export function filterImages(images: ImageSummary[], filters: Filters, createdOf: (reference: string) => number): ImageSummary[] {
  checkFilterKeys(filters, IMAGE_FILTERS);
  let out = images;
  const dangling = filters.dangling;
  if (dangling !== undefined && dangling.length > 0) {
    const want = parseBool('dangling', dangling[dangling.length - 1]);
    out = out.filter((image) => (image.RepoTags.length === 0) === want);
  }
  const labels = filters.label;
  if (labels !== undefined && labels.length > 0) {
    out = out.filter((image) => labels.every((l) => labelMatches(image.Labels, l)));
  }
  const references = filters.reference;
  if (references !== undefined && references.length > 0) {
    const patterns = references.map(globToRegExp);
    out = out.filter((image) =>
      [...image.RepoTags, ...image.RepoDigests].some((ref) => patterns.some((p) => p.test(ref) || p.test(nameOf(ref)))),
    );
  }
  for (const before of filters.before ?? []) {
    const t = createdOf(before);
    out = out.filter((image) => image.Created < t);
  }
  for (const since of filters.since ?? []) {
    const t = createdOf(since);
    out = out.filter((image) => image.Created > t);
  }
  for (const until of filters.until ?? []) {
    const t = parseTimestampNs(until, 'until') / 1e9;
    out = out.filter((image) => image.Created <= t);
  }
  return out;
}
