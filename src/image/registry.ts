// A client for the OCI distribution (registry v2) API: what `docker pull`
// needs and nothing more. Everything that comes back is verified before it is
// trusted: manifests against the digest asked for (and the registry's
// Docker-Content-Digest), blobs against their descriptor's size and digest as
// they stream.
import { createHash, type Hash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable, Transform, type TransformCallback } from 'node:stream';

export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const MEDIA_TYPE_DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
const MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

const MANIFEST_TYPES = new Set([MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_MANIFEST]);
const INDEX_TYPES = new Set([MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_INDEX]);
const SCHEMA1_TYPES = new Set([MEDIA_TYPE_DOCKER_SCHEMA1, MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED]);

// Schema 1 is left out on purpose: a registry that can convert will then
// serve schema 2, and one that cannot gets a clear refusal below.
const MANIFEST_ACCEPT = [MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST].join(', ');

/** Manifests are small; a huge one is an attack or a mistake (containerd caps at ~4 MiB too). */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_TOKEN_BODY = 1024 * 1024;
const MAX_REDIRECTS = 10;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Token lifetime when the auth server does not say (distribution's token spec). */
const DEFAULT_TOKEN_SECONDS = 60;
const DOCKER_HUB_HOST = 'registry-1.docker.io';
const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', DOCKER_HUB_HOST]);

// distribution's reference grammar, anchored: repository path components and tags.
const REPO_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPO_RE = new RegExp(`^${REPO_COMPONENT}(?:/${REPO_COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const HOST_RE = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;
const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
}

export interface PlatformDescriptor extends Descriptor {
  platform?: Platform & { 'os.version'?: string; 'os.features'?: string[] };
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: PlatformDescriptor[];
}

export interface ManifestResult {
  /** Digest of `raw`: the requested digest, or sha256 of the bytes when asked by tag. */
  digest: string;
  mediaType: string;
  manifest: ImageManifest;
  /** The bytes as served, which is what the digest covers. */
  raw: Buffer;
  /** Set when the reference named a manifest list / image index that the platform was picked from. */
  indexDigest?: string;
}

export interface RegistryClientOptions {
  /** `host[:port]`; `docker.io` means Docker Hub. */
  registry: string;
  /** Plain HTTP instead of HTTPS. */
  insecure?: boolean;
  username?: string;
  password?: string;
  /** Idle time allowed on a connection before the request fails; default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
}

export interface FetchBlobOptions {
  /** Called as bytes arrive; `total` is the descriptor's size. */
  onProgress?: (bytesSoFar: number, total: number) => void;
}

export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/**
 * Every failure of the client. `code` is the registry's error code when it
 * sent one (`MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `NAME_UNKNOWN`, `UNAUTHORIZED`,
 * `DENIED`, ...), a client-side code (`DIGEST_MISMATCH`, `SIZE_MISMATCH`,
 * `MANIFEST_INVALID`, `MANIFEST_UNSUPPORTED`, `NO_MATCHING_MANIFEST`,
 * `TOO_LARGE`, `TOO_MANY_REDIRECTS`, `UNKNOWN`), or Node's system code for network
 * failures (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, ...).
 */
export class RegistryError extends Error {
  readonly code: string;
  /** The HTTP status, when the failure was an HTTP response. */
  readonly statusCode?: number;
  /** The registry's `errors` array, when the body had one. */
  readonly errors: RegistryErrorEntry[];

  constructor(message: string, init: { code: string; statusCode?: number; errors?: RegistryErrorEntry[]; cause?: unknown }) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    Object.defineProperty(this, 'name', { value: 'RegistryError', enumerable: false, configurable: true });
    this.code = init.code;
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    this.errors = init.errors ?? [];
  }
}

/** Go's errcode text: `MANIFEST_UNKNOWN` reads `manifest unknown`. */
function codeText(code: string): string {
  return code.toLowerCase().replace(/_/g, ' ');
}

// ---------------------------------------------------------------------------
// Validation of names and wire data

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

function checkRepo(repo: string): void {
  if (typeof repo !== 'string' || repo.length > 255 || !REPO_RE.test(repo)) {
    throw new TypeError(`invalid repository name ${JSON.stringify(repo)}: must match ${REPO_RE.source}`);
  }
}

function checkDigest(digest: string): void {
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw new TypeError(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 hex> or sha512:<128 hex>`);
  }
}

function hashFor(digest: string): Hash {
  return createHash(digest.slice(0, digest.indexOf(':')));
}

function digestOf(data: Buffer, like: string): string {
  const alg = like.slice(0, like.indexOf(':'));
  return `${alg}:${createHash(alg).update(data).digest('hex')}`;
}

function invalidManifest(what: string, detail: string): RegistryError {
  return new RegistryError(`invalid manifest for ${what}: ${detail}`, { code: 'MANIFEST_INVALID' });
}

function parseDescriptor(v: unknown, where: string, what: string): Descriptor {
  if (!isRecord(v)) throw invalidManifest(what, `${where} is not an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalidManifest(what, `${where} has no mediaType`);
  // The digest later names files in the content store: it must be exactly the grammar.
  if (typeof digest !== 'string' || !isDigest(digest)) throw invalidManifest(what, `${where} has an invalid digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidManifest(what, `${where} has an invalid size`);
  const d: Descriptor = { mediaType, digest, size };
  if (Array.isArray(v.urls) && v.urls.every((u): u is string => typeof u === 'string')) d.urls = v.urls;
  if (isRecord(v.annotations)) d.annotations = stringRecord(v.annotations);
  return d;
}

function stringRecord(r: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(r)) if (typeof val === 'string') out[k] = val;
  return out;
}

function parsePlatform(v: unknown): PlatformDescriptor['platform'] {
  if (!isRecord(v) || typeof v.os !== 'string' || typeof v.architecture !== 'string') return undefined;
  const p: NonNullable<PlatformDescriptor['platform']> = { os: v.os, architecture: v.architecture };
  if (typeof v.variant === 'string' && v.variant !== '') p.variant = v.variant;
  if (typeof v['os.version'] === 'string') p['os.version'] = v['os.version'];
  if (Array.isArray(v['os.features'])) p['os.features'] = v['os.features'].filter((f): f is string => typeof f === 'string');
  return p;
}

/** The platform names Go and OCI use, from the aliases people type. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  switch (architecture) {
    case 'x86_64':
    case 'x86-64':
      architecture = 'amd64';
      break;
    case 'aarch64':
      architecture = 'arm64';
      break;
    case 'i386':
    case 'i686':
      architecture = '386';
      break;
    case 'armhf':
      architecture = 'arm';
      variant ??= 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant ??= 'v6';
      break;
  }
  // arm64 has one variant in practice; images label it v8 or not at all.
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/**
 * The entry of an index for `want`: os and architecture must match; a wanted
 * variant must match too, and without one an entry with no variant is preferred.
 */
export function selectPlatform(index: ImageIndex, want: Platform): PlatformDescriptor | undefined {
  const w = normalizePlatform(want);
  const candidates = index.manifests.filter((m) => {
    if (!m.platform) return false;
    const p = normalizePlatform(m.platform);
    if (p.os !== w.os || p.architecture !== w.architecture) return false;
    return w.variant === undefined || p.variant === w.variant;
  });
  return candidates.find((m) => m.platform && normalizePlatform(m.platform).variant === undefined) ?? candidates[0];
}

function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

// ---------------------------------------------------------------------------
// WWW-Authenticate

export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** RFC 7235 challenges: `Bearer realm="...",service="...",scope="..."`, several per header allowed. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  const token = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < header.length && chars.test(header[i])) i++;
  };
  while (i < header.length) {
    skip(/[\s,]/);
    token.lastIndex = i;
    const m = token.exec(header);
    if (!m) {
      i++;
      continue;
    }
    i = token.lastIndex;
    const afterName = i;
    skip(/\s/);
    if (header[i] !== '=' || out.length === 0) {
      // A token not followed by `=` starts a new challenge.
      out.push({ scheme: m[0].toLowerCase(), params: {} });
      i = afterName;
      continue;
    }
    i++;
    skip(/\s/);
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < header.length && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < header.length) i++;
        value += header[i++];
      }
      i++;
    } else {
      const start = i;
      while (i < header.length && header[i] !== ',' && !/\s/.test(header[i])) i++;
      value = header.slice(start, i);
    }
    out[out.length - 1].params[m[0].toLowerCase()] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------
// The blob verifier

/** Passes bytes through, and fails instead of ending unless they are exactly the descriptor's. */
class BlobVerifier extends Transform {
  private received = 0;
  private readonly hash: Hash;

  constructor(
    private readonly descriptor: Descriptor,
    private readonly onProgress?: (bytesSoFar: number, total: number) => void,
  ) {
    super();
    this.hash = hashFor(descriptor.digest);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    // Stop at the first byte too many rather than download an unbounded body.
    if (this.received > this.descriptor.size) {
      callback(sizeMismatch(this.descriptor, `more than ${this.descriptor.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    try {
      this.onProgress?.(this.received, this.descriptor.size);
    } catch (e) {
      callback(e as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.received !== this.descriptor.size) {
      callback(sizeMismatch(this.descriptor, `${this.received} bytes`));
      return;
    }
    const alg = this.descriptor.digest.slice(0, this.descriptor.digest.indexOf(':'));
    const got = `${alg}:${this.hash.digest('hex')}`;
    if (got !== this.descriptor.digest) {
      callback(new RegistryError(`digest mismatch for ${this.descriptor.digest}: the registry sent content with digest ${got}`, { code: 'DIGEST_MISMATCH' }));
      return;
    }
    callback();
  }
}

function sizeMismatch(d: Descriptor, got: string): RegistryError {
  return new RegistryError(`size mismatch for ${d.digest}: expected ${d.size} bytes, the registry sent ${got}`, { code: 'SIZE_MISMATCH' });
}

// ---------------------------------------------------------------------------
// The client

interface CachedToken {
  token: string;
  expiresAt: number;
}

type AuthMode = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: URL; service?: string };

/** What a request is for, so that failures read like Docker's. */
type RequestContext =
  | { kind: 'ping' }
  | { kind: 'token' }
  | { kind: 'manifest'; repo: string; reference: string }
  | { kind: 'blob'; repo: string; digest: string };

export class RegistryClient {
  /** The registry as given (`docker.io`, `127.0.0.1:5000`), for messages. */
  readonly registry: string;
  private readonly base: URL;
  private readonly username?: string;
  private readonly password?: string;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  // Own agents, so close() can drop this client's kept-alive sockets.
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private auth: AuthMode = { kind: 'none' };
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(options: RegistryClientOptions) {
    const given = options.registry.trim().toLowerCase();
    const host = DOCKER_HUB_NAMES.has(given) ? DOCKER_HUB_HOST : given;
    // Only a host and a port: anything else would let a caller smuggle a path or credentials into URLs.
    if (!HOST_RE.test(host)) throw new TypeError(`invalid registry ${JSON.stringify(options.registry)}: expected host[:port]`);
    // Docker Hub is always HTTPS, whatever `insecure` says.
    const base = new URL(`${options.insecure && host !== DOCKER_HUB_HOST ? 'http' : 'https'}://${host}/`);
    if ((options.username === undefined) !== (options.password === undefined)) {
      throw new TypeError('username and password go together');
    }
    this.registry = options.registry;
    this.base = base;
    this.username = options.username;
    this.password = options.password;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = options.userAgent ?? `berth/0.1 node/${process.versions.node}`;
  }

  /** Closes kept-alive connections; the client may still be used afterwards. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** `GET /v2/`: resolves when the registry speaks v2 and accepts us (authenticating if it asks). */
  async ping(): Promise<void> {
    const res = await this.request('/v2/', undefined, {});
    if (res.statusCode === 200) {
      res.resume();
      return;
    }
    throw await this.responseError(res, { kind: 'ping' });
  }

  /**
   * The image manifest for `reference` (a tag or a digest). When that names a
   * manifest list / image index, the entry for `platform` is fetched (by digest).
   */
  async getManifest(repo: string, reference: string, platform: Platform = { os: 'linux', architecture: 'amd64' }): Promise<ManifestResult> {
    checkRepo(repo);
    if (typeof reference !== 'string' || !(TAG_RE.test(reference) || isDigest(reference))) {
      throw new TypeError(`invalid reference ${JSON.stringify(reference)}: expected a tag or a sha256/sha512 digest`);
    }
    const top = await this.fetchManifestDocument(repo, reference);
    if (top.kind === 'manifest') return top.result;
    const chosen = selectPlatform(top.index, platform);
    if (!chosen) {
      throw new RegistryError(`no matching manifest for ${platformString(normalizePlatform(platform))} in the manifest list entries`, {
        code: 'NO_MATCHING_MANIFEST',
      });
    }
    const child = await this.fetchManifestDocument(repo, chosen.digest, chosen);
    if (child.kind !== 'manifest') {
      throw invalidManifest(this.refName(repo, reference), `index entry ${chosen.digest} is itself an index`);
    }
    return { ...child.result, indexDigest: top.digest };
  }

  /**
   * Streams a blob. The stream fails with a `RegistryError` (`DIGEST_MISMATCH`,
   * `SIZE_MISMATCH`, a registry code or a network code) instead of ending when
   * the bytes are not exactly the descriptor's; the bytes already emitted must
   * then be thrown away, so write them somewhere temporary until the end.
   */
  fetchBlob(repo: string, descriptor: Descriptor, options: FetchBlobOptions = {}): Readable {
    checkRepo(repo);
    checkDigest(descriptor.digest);
    if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) throw new TypeError(`invalid size ${descriptor.size} for ${descriptor.digest}`);
    const out = new BlobVerifier(descriptor, options.onProgress);
    this.openBlob(repo, descriptor).then(
      (res) => {
        if (out.destroyed) {
          res.destroy();
          return;
        }
        res.on('error', (e) => out.destroy(this.networkError('GET', this.blobUrl(repo, descriptor.digest), e, `reading blob ${descriptor.digest}`)));
        // The consumer gave up (or the verifier failed): stop downloading.
        out.on('close', () => {
          if (!res.complete) res.destroy();
        });
        res.pipe(out);
      },
      (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
    );
    return out;
  }

  /** A whole (small) blob, verified; for image configs. */
  async fetchBlobBuffer(repo: string, descriptor: Descriptor, options: FetchBlobOptions & { maxBytes?: number } = {}): Promise<Buffer> {
    const max = options.maxBytes ?? 64 * 1024 * 1024;
    if (descriptor.size > max) {
      throw new RegistryError(`blob ${descriptor.digest} is ${descriptor.size} bytes, more than the ${max} allowed here`, { code: 'TOO_LARGE' });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.fetchBlob(repo, descriptor, options)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  // -------------------------------------------------------------------------

  private async openBlob(repo: string, descriptor: Descriptor): Promise<http.IncomingMessage> {
    const context: RequestContext = { kind: 'blob', repo, digest: descriptor.digest };
    const res = await this.request(this.blobUrl(repo, descriptor.digest), scopeFor(repo), {});
    if (res.statusCode !== 200) throw await this.responseError(res, context);
    const length = res.headers['content-length'];
    if (length !== undefined && Number(length) !== descriptor.size) {
      res.destroy();
      throw sizeMismatch(descriptor, `Content-Length ${length}`);
    }
    return res;
  }

  private blobUrl(repo: string, digest: string): string {
    return `/v2/${repo}/blobs/${digest}`;
  }

  private async fetchManifestDocument(
    repo: string,
    reference: string,
    expected?: Descriptor,
  ): Promise<{ kind: 'manifest'; digest: string; result: ManifestResult } | { kind: 'index'; digest: string; index: ImageIndex }> {
    const context: RequestContext = { kind: 'manifest', repo, reference };
    const what = this.refName(repo, reference);
    const res = await this.request(`/v2/${repo}/manifests/${reference}`, scopeFor(repo), { accept: MANIFEST_ACCEPT });
    if (res.statusCode !== 200) throw await this.responseError(res, context);
    const raw = await this.readBody(res, MAX_MANIFEST_SIZE, `manifest for ${what}`);

    const byDigest = isDigest(reference);
    if (byDigest && digestOf(raw, reference) !== reference) {
      throw new RegistryError(`digest mismatch for ${reference}: the registry sent a manifest with digest ${digestOf(raw, reference)}`, {
        code: 'DIGEST_MISMATCH',
      });
    }
    const header = res.headers['docker-content-digest'];
    // A malformed header is ignored (some proxies mangle it); a well-formed one must be right.
    if (typeof header === 'string' && isDigest(header.trim()) && digestOf(raw, header.trim()) !== header.trim()) {
      throw new RegistryError(`digest mismatch for ${what}: Docker-Content-Digest says ${header.trim()}, the manifest is ${digestOf(raw, header.trim())}`, {
        code: 'DIGEST_MISMATCH',
      });
    }
    if (expected && raw.length !== expected.size) {
      throw new RegistryError(`size mismatch for ${expected.digest}: the index says ${expected.size} bytes, the manifest is ${raw.length}`, {
        code: 'SIZE_MISMATCH',
      });
    }
    const digest = byDigest ? reference : digestOf(raw, 'sha256:');

    let doc: unknown;
    try {
      doc = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw invalidManifest(what, `not JSON (${(e as Error).message})`);
    }
    if (!isRecord(doc)) throw invalidManifest(what, 'not a JSON object');
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const mediaType = this.manifestMediaType(doc, contentType, what);

    if (SCHEMA1_TYPES.has(mediaType)) {
      throw new RegistryError(
        `unsupported manifest for ${what}: Docker Image manifest version 2, schema 1 is not supported; ` +
          'it must be pushed again as an OCI or Docker schema 2 image',
        { code: 'MANIFEST_UNSUPPORTED' },
      );
    }
    if (INDEX_TYPES.has(mediaType)) {
      if (!Array.isArray(doc.manifests)) throw invalidManifest(what, 'index has no manifests array');
      const manifests = doc.manifests.map((m, i): PlatformDescriptor => {
        const d: PlatformDescriptor = parseDescriptor(m, `manifests[${i}]`, what);
        const platform = parsePlatform((m as Record<string, unknown>).platform);
        if (platform) d.platform = platform;
        return d;
      });
      return { kind: 'index', digest, index: { schemaVersion: Number(doc.schemaVersion), mediaType, manifests } };
    }
    if (!MANIFEST_TYPES.has(mediaType)) {
      throw new RegistryError(`unsupported manifest media type ${JSON.stringify(mediaType)} for ${what}`, { code: 'MANIFEST_UNSUPPORTED' });
    }
    if (doc.schemaVersion !== 2) throw invalidManifest(what, `schemaVersion ${JSON.stringify(doc.schemaVersion)}, expected 2`);
    if (!Array.isArray(doc.layers)) throw invalidManifest(what, 'no layers array');
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType,
      config: parseDescriptor(doc.config, 'config', what),
      layers: doc.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`, what)),
    };
    if (isRecord(doc.annotations)) manifest.annotations = stringRecord(doc.annotations);
    return { kind: 'manifest', digest, result: { digest, mediaType, manifest, raw } };
  }

  /** The body's mediaType, which must agree with Content-Type when both are specific. */
  private manifestMediaType(doc: Record<string, unknown>, contentType: string, what: string): string {
    const known = (t: string): boolean => MANIFEST_TYPES.has(t) || INDEX_TYPES.has(t) || SCHEMA1_TYPES.has(t);
    const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
    if (declared !== undefined && known(contentType) && declared !== contentType) {
      throw invalidManifest(what, `mediaType ${declared} differs from Content-Type ${contentType}`);
    }
    if (declared !== undefined) return declared;
    if (known(contentType)) return contentType;
    // OCI documents may omit mediaType; registries may serve plain JSON.
    if (doc.schemaVersion === 1) return MEDIA_TYPE_DOCKER_SCHEMA1;
    if (Array.isArray(doc.manifests)) return MEDIA_TYPE_OCI_INDEX;
    if (doc.config !== undefined && Array.isArray(doc.layers)) return MEDIA_TYPE_OCI_MANIFEST;
    throw invalidManifest(what, 'unknown document type (no mediaType)');
  }

  private refName(repo: string, reference: string): string {
    return `${this.repoName(repo)}${isDigest(reference) ? '@' : ':'}${reference}`;
  }

  /** The name as `docker pull` would print it. */
  private repoName(repo: string): string {
    if (this.base.host === DOCKER_HUB_HOST) return repo.startsWith('library/') ? repo.slice('library/'.length) : repo;
    return `${this.registry}/${repo}`;
  }

  // -------------------------------------------------------------------------
  // HTTP with authentication and redirects

  /**
   * A GET to the registry, authenticated as its 401 challenges ask, following
   * redirects. Returns the final response unread, whatever its status.
   */
  private async request(path: string, scope: string | undefined, headers: Record<string, string>): Promise<http.IncomingMessage> {
    const url = new URL(path, this.base);
    let tokenScope = scope;
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.authorization(tokenScope);
      const { res, url: finalUrl } = await this.follow(url, headers, authorization);
      // A 401 from a redirect target (a CDN) is not the registry's challenge.
      if (res.statusCode !== 401 || finalUrl.origin !== this.base.origin || attempt > 0) return res;
      const challenges = parseWwwAuthenticate(headerList(res.headers['www-authenticate']).join(', '));
      const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (bearer) {
        let realm: URL;
        try {
          realm = new URL(bearer.params.realm);
        } catch {
          return res;
        }
        if (realm.protocol !== 'https:' && realm.protocol !== 'http:') return res;
        this.auth = { kind: 'bearer', realm, service: bearer.params.service };
        tokenScope = scope ?? bearer.params.scope;
        // The token we sent (if any) was refused: fetch a new one.
        this.tokens.delete(tokenScope ?? '');
      } else if (basic && this.username !== undefined && this.auth.kind !== 'basic') {
        this.auth = { kind: 'basic' };
      } else {
        return res;
      }
      res.resume();
    }
  }

  private basicCredentials(): string | undefined {
    if (this.username === undefined || this.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
  }

  private async authorization(scope: string | undefined): Promise<string | undefined> {
    switch (this.auth.kind) {
      case 'none':
        return undefined;
      case 'basic':
        return this.basicCredentials();
      case 'bearer': {
        const key = scope ?? '';
        let pending = this.tokens.get(key);
        if (pending) {
          const cached = await pending.catch(() => undefined);
          if (!cached || cached.expiresAt <= Date.now()) {
            if (this.tokens.get(key) === pending) this.tokens.delete(key);
            pending = undefined;
          }
        }
        if (!pending) {
          pending = this.fetchToken(this.auth.realm, this.auth.service, scope);
          this.tokens.set(key, pending);
          // A failed fetch must not stick in the cache.
          pending.catch(() => {
            if (this.tokens.get(key) === pending) this.tokens.delete(key);
          });
        }
        return `Bearer ${(await pending).token}`;
      }
    }
  }

  private async fetchToken(realm: URL, service: string | undefined, scope: string | undefined): Promise<CachedToken> {
    const url = new URL(realm);
    if (service !== undefined) url.searchParams.set('service', service);
    if (scope !== undefined) url.searchParams.append('scope', scope);
    const { res } = await this.follow(url, { accept: 'application/json' }, this.basicCredentials());
    if (res.statusCode !== 200) {
      const err = await this.responseError(res, { kind: 'token' });
      const why = this.username === undefined ? 'failed to fetch anonymous token' : 'failed to fetch token (check the username and password)';
      throw new RegistryError(`${why}: ${err.message}`, { code: err.code, statusCode: err.statusCode, errors: err.errors });
    }
    const body = await this.readBody(res, MAX_TOKEN_BODY, `token from ${realm.origin}`);
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryError(`invalid token response from ${realm.origin}: not JSON`, { code: 'UNAUTHORIZED' });
    }
    const token = isRecord(doc) ? (typeof doc.token === 'string' && doc.token !== '' ? doc.token : doc.access_token) : undefined;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(`invalid token response from ${realm.origin}: no token`, { code: 'UNAUTHORIZED' });
    }
    const expiresIn = isRecord(doc) && typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_SECONDS;
    // Renew a little early so a token never expires between check and use.
    return { token, expiresAt: Date.now() + expiresIn * 900 };
  }

  /** GETs `url`, following redirects; `authorization` is sent only to `url`'s own origin. */
  private async follow(url: URL, headers: Record<string, string>, authorization: string | undefined): Promise<{ res: http.IncomingMessage; url: URL }> {
    let current = url;
    for (let hops = 0; ; hops++) {
      const h: Record<string, string> = { 'user-agent': this.userAgent, ...headers };
      if (authorization !== undefined && current.origin === url.origin) h.authorization = authorization;
      const res = await this.rawGet(current, h);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return { res, url: current };
      res.resume();
      if (hops >= MAX_REDIRECTS) {
        throw new RegistryError(`GET ${url.href}: stopped after ${MAX_REDIRECTS} redirects`, { code: 'TOO_MANY_REDIRECTS' });
      }
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new RegistryError(`GET ${current.href}: invalid redirect location ${JSON.stringify(location)}`, { code: 'UNKNOWN' });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new RegistryError(`GET ${current.href}: refusing redirect to ${next.protocol} URL`, { code: 'UNKNOWN' });
      }
      current = next;
    }
  }

  private rawGet(url: URL, headers: Record<string, string>): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      let response: http.IncomingMessage | undefined;
      const req = (secure ? https : http).request(url, { method: 'GET', headers, agent: secure ? this.httpsAgent : this.httpAgent }, (res) => {
        response = res;
        resolve(res);
      });
      req.setTimeout(this.timeoutMs, () => {
        const e = Object.assign(new Error(`no data for ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' });
        // Once the body streams, its consumer must hear about the stall.
        if (response) response.destroy(e);
        req.destroy(e);
      });
      req.on('error', (e) => reject(this.networkError('GET', url.href, e)));
      req.end();
    });
  }

  private networkError(method: string, url: string, e: Error, doing?: string): RegistryError {
    if (e instanceof RegistryError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    const where = url.startsWith('/') ? new URL(url, this.base).href : url;
    return new RegistryError(`${method} ${where}: ${doing ? `${doing}: ` : ''}${e.message}`, { code, cause: e });
  }

  private readBody(res: http.IncomingMessage, limit: number, what: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const length = Number(res.headers['content-length']);
      if (Number.isFinite(length) && length > limit) {
        res.destroy();
        reject(new RegistryError(`${what} is ${length} bytes, more than the ${limit} allowed`, { code: 'TOO_LARGE' }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          res.destroy();
          reject(new RegistryError(`${what} is more than the ${limit} bytes allowed`, { code: 'TOO_LARGE' }));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', (e) => reject(new RegistryError(`reading ${what}: ${e.message}`, { code: (e as NodeJS.ErrnoException).code ?? 'UNKNOWN', cause: e })));
    });
  }

  /** The error for a non-success response, worded as Docker words it. */
  private async responseError(res: http.IncomingMessage, context: RequestContext): Promise<RegistryError> {
    const status = res.statusCode ?? 0;
    let errors: RegistryErrorEntry[] = [];
    try {
      const body = await this.readBody(res, MAX_ERROR_BODY, 'error body');
      const doc: unknown = JSON.parse(body.toString('utf8'));
      if (isRecord(doc) && Array.isArray(doc.errors)) {
        errors = doc.errors.filter(isRecord).map((e) => {
          const entry: RegistryErrorEntry = {
            code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
            message: typeof e.message === 'string' ? e.message : '',
          };
          if (e.detail !== undefined) entry.detail = e.detail;
          return entry;
        });
      }
    } catch {
      // Not JSON (a proxy's HTML page, an empty body): fall back on the status.
      res.destroy();
    }
    if (errors.length === 0) errors = [fallbackError(status, res.statusMessage, context)];
    const code = errors[0].code;
    const inner = errors
      .map((e) => (e.code === 'UNKNOWN' && e.message ? e.message : e.message ? `${codeText(e.code)}: ${e.message}` : codeText(e.code)))
      .join('; ');
    let message = inner;
    if (context.kind === 'manifest') {
      if (code === 'MANIFEST_UNKNOWN') message = `manifest for ${this.refName(context.repo, context.reference)} not found: ${inner}`;
      else if (code === 'NAME_UNKNOWN') message = `repository ${this.repoName(context.repo)} not found: ${inner}`;
      else if (code === 'DENIED' || (code === 'UNAUTHORIZED' && this.username === undefined)) {
        message = `pull access denied for ${this.repoName(context.repo)}, repository does not exist or may require 'docker login': ${inner}`;
      }
    } else if (context.kind === 'blob') {
      message = `fetching blob ${context.digest} of ${this.repoName(context.repo)}: ${inner}`;
    }
    return new RegistryError(message, { code, statusCode: status, errors });
  }
}

function fallbackError(status: number, statusMessage: string | undefined, context: RequestContext): RegistryErrorEntry {
  switch (status) {
    case 401:
      return { code: 'UNAUTHORIZED', message: 'authentication required' };
    case 403:
      return { code: 'DENIED', message: 'requested access to the resource is denied' };
    case 404:
      if (context.kind === 'manifest') return { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' };
      if (context.kind === 'blob') return { code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' };
      if (context.kind === 'ping') return { code: 'UNKNOWN', message: 'registry does not support the v2 API (404 on /v2/)' };
      break;
    case 429:
      return { code: 'TOOMANYREQUESTS', message: 'too many requests' };
  }
  return { code: 'UNKNOWN', message: `received unexpected HTTP status: ${status} ${statusMessage ?? ''}`.trim() };
}

function headerList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function scopeFor(repo: string): string {
  return `repository:${repo}:pull`;
}
