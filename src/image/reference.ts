// Image references as the docker CLI and daemon read them: the grammar of
// distribution/reference (ParseNormalizedNamed, TagNameOnly, the familiar
// forms, ParseAnyReference) and go-digest's digest checks, with their error
// texts, so that a user sees from berth what `docker create` would print.
//
// A reference is plain data (JSON-safe) so it can be stored, logged and
// compared with toEqual; the helpers below are pure functions over it.

/** Docker Hub's canonical domain; names without a domain belong to it. */
export const DEFAULT_DOMAIN = 'docker.io';
/** Added by `parseReference` when a reference names neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** Limit on the repository path (domain excluded, as distribution/reference ≥ v0.6 counts it). */
export const REPOSITORY_NAME_MAX_LENGTH = 255;

// The name the Docker Index had; still accepted and folded into docker.io.
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
// Official images live here on Docker Hub; familiar names hide it.
const OFFICIAL_REPO_PREFIX = 'library/';

/** A parsed, normalized image reference: `domain/path[:tag][@digest]`. */
export interface ImageReference {
  /**
   * Registry host[:port], `docker.io` for Docker Hub. Empty only in Docker's
   * own corner case where the first component looks like a host (it has a
   * `.`) but is not one while the whole still fits the path grammar
   * (`a_b.com/x`): Docker then keeps the whole string as the path.
   */
  readonly domain: string;
  /** Repository path inside the registry, `library/busybox` for official images. */
  readonly path: string;
  readonly tag?: string;
  /** `algorithm:hex`, validated (sha256, sha384 or sha512, as Docker's daemon has them). */
  readonly digest?: string;
  /** True when the tag is `latest` only because the input named neither tag nor digest. */
  readonly defaultTagAdded: boolean;
}

/** The part of a reference that names a repository. */
export type RepositoryRef = Pick<ImageReference, 'domain' | 'path'>;
/** Anything that can be printed as a reference. */
export type PrintableRef = RepositoryRef & Pick<ImageReference, 'tag' | 'digest'>;

export interface ParseReferenceOptions {
  /** Add `:latest` when neither tag nor digest is given (Docker's TagNameOnly). Default true. */
  defaultTag?: boolean;
}

/**
 * Thrown for any reference, tag, digest or image ID that Docker would refuse.
 * The message is Docker's text; callers switch on `code`, never on the text.
 */
export class InvalidReferenceError extends Error {
  readonly code = 'EINVAL' as const;

  constructor(
    message: string,
    /** The string that was refused, as given. */
    readonly input: string,
  ) {
    super(message);
    this.name = 'InvalidReferenceError';
  }
}

// Docker's texts (distribution/reference, go-digest).
const INVALID_FORMAT = 'invalid reference format';
const INVALID_TAG_FORMAT = 'invalid tag format';
const INVALID_DIGEST_FORMAT = 'invalid digest format';
const NAME_UPPERCASE = 'repository name must be lowercase';
const NAME_TOO_LONG = `repository name must not be more than ${REPOSITORY_NAME_MAX_LENGTH} characters`;
const CHECKSUM_FORMAT = 'invalid checksum digest format';
const CHECKSUM_LENGTH = 'invalid checksum digest length';
const DIGEST_UNSUPPORTED = 'unsupported digest algorithm';

// The grammar, piece by piece, so the two anchored forms below share it.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
// Hosts may hold uppercase letters, paths may not: that asymmetry is Docker's.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const TAG = '\\w[\\w.-]{0,127}';
// Looser than what is finally accepted: the algorithm and hex are checked after the match.
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE_RE = new RegExp(`^((?:${DOMAIN_AND_PORT}/)?${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
// JS and Go both prefer the optional domain group when it can match, so the
// split below is the one Docker makes.
const NAME_RE = new RegExp(`^(?:(${DOMAIN_AND_PORT})/)?(${REMOTE_NAME})$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
// A bare image ID; refused as a repository name so `docker create <id>` can never mean a repository.
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
// go-digest's own grammar, which only decides "unsupported" versus "format" for unknown algorithms.
const GO_DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const LOWER_HEX_RE = /^[a-f0-9]+$/;
// The algorithms Docker's daemon links in (crypto/sha256, crypto/sha512), by hex length.
const DIGEST_HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);
// Docker looks up images by any non-empty prefix of the ID (its digest set has
// no minimum), with or without `sha256:`; 64 digits are a full ID, not a prefix.
const SHORT_ID_RE = /^(?:sha256:)?([a-f0-9]{1,63})$/;

function invalid(message: string, input: string): InvalidReferenceError {
  return new InvalidReferenceError(message, input);
}

// go-digest's Validate, in order, so each bad digest gets the text Docker gives it.
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon === digest.length - 1) return CHECKSUM_FORMAT;
  const hexLength = DIGEST_HEX_LENGTH.get(digest.slice(0, colon));
  if (hexLength === undefined) return GO_DIGEST_RE.test(digest) ? DIGEST_UNSUPPORTED : CHECKSUM_FORMAT;
  const encoded = digest.slice(colon + 1);
  if (encoded.length !== hexLength) return CHECKSUM_LENGTH;
  return LOWER_HEX_RE.test(encoded) ? undefined : CHECKSUM_FORMAT;
}

// Docker decides what the first component is from its look alone (no lookup),
// before the grammar runs, and then prefixes official images with `library/`.
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const first = name.slice(0, slash);
  // Uppercase counts as a host because Docker Hub namespaces cannot have it.
  const isHost = first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first;
  const domain = !isHost || first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
  let remainder = isHost ? name.slice(slash + 1) : name;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/**
 * Parses and normalizes a reference the way `docker create`/`docker pull` do:
 * `busybox` → `{ domain: 'docker.io', path: 'library/busybox', tag: 'latest', defaultTagAdded: true }`.
 * A reference with both a tag and a digest keeps both.
 * @throws InvalidReferenceError with Docker's message.
 */
export function parseReference(input: string, options: ParseReferenceOptions = {}): ImageReference {
  if (IDENTIFIER_RE.test(input)) {
    throw invalid(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`, input);
  }
  const [domain, remainder] = splitDockerDomain(input);
  // Docker cuts at the first `:` even when it belongs to a digest, hence
  // `(library/Busybox@sha256)` in its message for `Busybox@sha256:...`.
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`, input);
  }

  const full = `${domain}/${remainder}`;
  const match = REFERENCE_RE.exec(full);
  if (match === null) {
    const lower = full.toLowerCase();
    throw invalid(lower !== full && REFERENCE_RE.test(lower) ? NAME_UPPERCASE : INVALID_FORMAT, input);
  }
  const [, name, tag, digest] = match;
  const nameMatch = NAME_RE.exec(name);
  // Cannot fail: `name` already matched the same pattern inside REFERENCE_RE.
  if (nameMatch === null) throw invalid(INVALID_FORMAT, input);
  const path = nameMatch[2];
  if (path.length > REPOSITORY_NAME_MAX_LENGTH) throw invalid(NAME_TOO_LONG, input);
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) throw invalid(problem, input);
  }

  const addTag = tag === undefined && digest === undefined && options.defaultTag !== false;
  return build(nameMatch[1] ?? '', path, addTag ? DEFAULT_TAG : tag, digest, addTag);
}

function build(
  domain: string,
  path: string,
  tag: string | undefined,
  digest: string | undefined,
  defaultTagAdded: boolean,
): ImageReference {
  // Absent keys rather than `undefined` values keep JSON and toEqual output clean.
  return {
    domain,
    path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    defaultTagAdded,
  };
}

/** `docker.io/library/busybox`: the key image stores use for a repository. */
export function repositoryName(ref: RepositoryRef): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** `busybox`, `user/repo`, `localhost:5000/repo`: the name as the docker CLI prints it. */
export function familiarName(ref: RepositoryRef): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  // Only a single component after `library/` is shortened, as Docker does:
  // `library/a/b` would otherwise print as `a/b`, which parses back as a user repo.
  if (ref.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

function suffix(ref: PrintableRef): string {
  return `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `docker.io/library/busybox:latest` (tag and digest as present). */
export function normalizedString(ref: PrintableRef): string {
  return repositoryName(ref) + suffix(ref);
}

/** `busybox:latest`, `user/repo:tag`, `busybox@sha256:...`: what `docker images` and messages show. */
export function familiarString(ref: PrintableRef): string {
  return familiarName(ref) + suffix(ref);
}

/**
 * The same repository with `tag`; a digest is kept, as Docker's WithTag keeps it.
 * @throws InvalidReferenceError `invalid tag format`.
 */
export function withTag(ref: PrintableRef, tag: string): ImageReference {
  if (!TAG_RE.test(tag)) throw invalid(INVALID_TAG_FORMAT, tag);
  return build(ref.domain, ref.path, tag, ref.digest, false);
}

/**
 * The same repository with `digest`. A tag the user gave is kept; a tag that
 * parsing only defaulted is dropped, since Docker would never have added it
 * to a digested reference.
 * @throws InvalidReferenceError `invalid digest format`, or go-digest's text.
 */
export function withDigest(
  ref: PrintableRef & Partial<Pick<ImageReference, 'defaultTagAdded'>>,
  digest: string,
): ImageReference {
  if (!DIGEST_RE.test(digest)) throw invalid(INVALID_DIGEST_FORMAT, digest);
  const problem = digestProblem(digest);
  if (problem !== undefined) throw invalid(problem, digest);
  return build(ref.domain, ref.path, ref.defaultTagAdded === true ? undefined : ref.tag, digest, false);
}

/** Whether `s` is a digest Docker accepts: `sha256:<64 hex>` (or sha384/sha512), lowercase hex. */
export function isDigest(s: string): boolean {
  return digestProblem(s) === undefined;
}

/**
 * Validates a digest and returns it unchanged.
 * @throws InvalidReferenceError with go-digest's text.
 */
export function parseDigest(s: string): string {
  const problem = digestProblem(s);
  if (problem !== undefined) throw invalid(problem, s);
  return s;
}

/**
 * A full image ID, `sha256:<64 hex>` or the bare 64 hex digits, as `sha256:<hex>`.
 * @throws InvalidReferenceError with go-digest's text; `unsupported digest
 * algorithm` for other algorithms, since image IDs are sha256 of the config.
 */
export function parseImageId(s: string): string {
  const id = IDENTIFIER_RE.test(s) ? `sha256:${s}` : s;
  const problem = digestProblem(id);
  if (problem !== undefined) throw invalid(problem, s);
  if (!id.startsWith('sha256:')) throw invalid(DIGEST_UNSUPPORTED, s);
  return id;
}

/**
 * The hex digits of a short image ID (1 to 63 lowercase hex, optionally after
 * `sha256:`), or undefined. Docker tries a short ID only after the string
 * failed as a name (`docker create abc123` looks for `abc123:latest` first).
 */
export function parseShortIdPrefix(s: string): string | undefined {
  return SHORT_ID_RE.exec(s)?.[1];
}

/** Whether `s` can be looked up as a short image ID prefix. */
export function isShortIdPrefix(s: string): boolean {
  return parseShortIdPrefix(s) !== undefined;
}

/** What the daemon's image lookup makes of a string, before it searches stores. */
export type AnyReference =
  | { readonly kind: 'digest'; readonly digest: string }
  | { readonly kind: 'named'; readonly ref: ImageReference };

/**
 * Docker's ParseAnyReference: 64 hex digits are an image ID (`sha256:` added),
 * a valid digest is a digest, anything else is parsed as a name.
 * @throws InvalidReferenceError as `parseReference`.
 */
export function parseAnyReference(input: string, options: ParseReferenceOptions = {}): AnyReference {
  if (IDENTIFIER_RE.test(input)) return { kind: 'digest', digest: `sha256:${input}` };
  if (isDigest(input)) return { kind: 'digest', digest: input };
  return { kind: 'named', ref: parseReference(input, options) };
}
