// `docker load` and `docker import`: images from `docker save` archives (the
// current blobs/ layout and the older <id>/layer.tar one), from OCI image
// layouts (a directory or a tar of one), and a plain rootfs tar as a
// one-layer image. An archive is unpacked into a private temp directory
// first, since manifest.json may come after the layers it names.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { decompressed } from './compression';
import { familiarString, parseReference } from './reference';
import { DIGEST_RE, ImageStoreError, type ImageStore, chainIdOf, checkDepth, diffIdsOf, sha256Digest } from './store';

export interface LoadedImage {
  id: string;
  tags: string[];
}

export interface LoadOptions {
  /** Where the archive is unpacked: a directory on the engine's own filesystem. */
  tmpDir: string;
  /** Docker's progress lines: `Loaded image: busybox:latest`, `Loaded image ID: sha256:...`. */
  onMessage?: (line: string) => void;
}

interface ImageToLoad {
  configPath: string;
  layerPaths: string[];
  tags: string[];
}

const MAX_JSON = 16 * 1024 * 1024;

const loadError = (message: string): ImageStoreError => new ImageStoreError(message, 'EINVAL');

/** Names inside an archive are relative and never climb out of it. */
function cleanArchiveName(name: string): string {
  const stripped = name.replace(/^\.\//, '').replace(/\/+$/, '');
  if (stripped.startsWith('/') || stripped.split('/').includes('..')) {
    throw loadError(`invalid archive entry name: ${JSON.stringify(name)}`);
  }
  return path.posix.normalize(stripped);
}

/**
 * Unpacks regular files and directories; symlinks are kept as a map and
 * resolved lexically inside the archive (legacy `docker save` links repeated
 * layers), so that no archive can make the loader read a host file.
 */
async function unpack(input: Readable, dir: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      const name = cleanArchiveName(header.name);
      const target = path.join(dir, name);
      if (header.type === 'directory') {
        await fs.mkdir(target, { recursive: true, mode: 0o700 });
        entry.resume();
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
        const out = await fs.open(target, 'wx', 0o600);
        await pipeline(entry, out.createWriteStream());
      } else if (header.type === 'symlink' || header.type === 'link') {
        const linkname = header.linkname ?? '';
        // Hardlink names are archive paths; symlink targets are relative to the link's directory.
        const resolved =
          header.type === 'link' ? linkname : path.posix.join(path.posix.dirname(name), linkname);
        links.set(name, cleanArchiveName(resolved));
        entry.resume();
      } else {
        entry.resume();
      }
    }
  })();
  // `docker save | gzip` output loads as it is with docker; so here.
  const stages = await decompressed(input);
  await Promise.all([
    pipeline([...stages, extract]).catch((e: unknown) => {
      extract.destroy(e as Error);
      throw e;
    }),
    done,
  ]);
  return links;
}

class ArchiveDir {
  constructor(
    readonly dir: string,
    private readonly links: Map<string, string>,
  ) {}

  /** An archive path, through the archive's own links, as a path on disk. */
  resolve(name: string): string {
    let current = cleanArchiveName(name);
    for (let hops = 0; hops < 16; hops++) {
      const next = this.links.get(current);
      if (next === undefined) return path.join(this.dir, current);
      current = next;
    }
    throw loadError(`too many levels of links in the archive at ${name}`);
  }

  async exists(name: string): Promise<boolean> {
    return fs.access(this.resolve(name)).then(
      () => true,
      () => false,
    );
  }

  async readJson<T>(name: string): Promise<{ raw: Buffer; value: T }> {
    const file = this.resolve(name);
    const st = await fs.stat(file).catch(() => null);
    if (!st || !st.isFile()) throw loadError(`invalid archive: ${name} is missing`);
    if (st.size > MAX_JSON) throw loadError(`invalid archive: ${name} is too large`);
    const raw = await fs.readFile(file);
    try {
      return { raw, value: JSON.parse(raw.toString('utf8')) as T };
    } catch (e) {
      throw loadError(`invalid archive: ${name} is not valid JSON (${(e as Error).message})`);
    }
  }
}

interface DockerSaveManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

async function fromDockerSave(archive: ArchiveDir): Promise<ImageToLoad[]> {
  const { value } = await archive.readJson<DockerSaveManifestEntry[]>('manifest.json');
  if (!Array.isArray(value)) throw loadError('invalid archive: manifest.json is not a list');
  return value.map((entry, i) => {
    if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
      throw loadError(`invalid archive: manifest.json entry ${i} needs Config and Layers`);
    }
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    return { configPath: entry.Config, layerPaths: entry.Layers as string[], tags };
  });
}

interface OciDescriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

const blobPath = (digest: string): string => {
  if (!DIGEST_RE.test(digest)) throw loadError(`invalid archive: bad digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${digest.slice(7)}`;
};

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

async function fromOciLayout(archive: ArchiveDir): Promise<ImageToLoad[]> {
  const layout = await archive.readJson<{ imageLayoutVersion?: string }>('oci-layout');
  if (layout.value.imageLayoutVersion !== '1.0.0') throw loadError('invalid OCI layout: unsupported imageLayoutVersion');
  const { value: index } = await archive.readJson<{ manifests?: OciDescriptor[] }>('index.json');
  const images: ImageToLoad[] = [];

  async function visit(desc: OciDescriptor, tags: string[], depth: number): Promise<void> {
    if (depth > 4 || !desc.digest) return;
    const { raw, value } = await archive.readJson<{ mediaType?: string; manifests?: OciDescriptor[]; config?: OciDescriptor; layers?: OciDescriptor[] }>(
      blobPath(desc.digest),
    );
    if (sha256Digest(raw) !== desc.digest) throw loadError(`invalid OCI layout: blob ${desc.digest} does not match its digest`);
    const mediaType = value.mediaType ?? desc.mediaType ?? '';
    if (INDEX_TYPES.has(mediaType) || Array.isArray(value.manifests)) {
      // An index of platforms: the one this engine runs.
      const candidates = (value.manifests ?? []).filter(
        (m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === 'amd64'),
      );
      for (const m of candidates.slice(0, 1)) await visit(m, tags, depth + 1);
      return;
    }
    if (!value.config?.digest || !Array.isArray(value.layers)) return;
    images.push({
      configPath: blobPath(value.config.digest),
      layerPaths: value.layers.map((l) => blobPath(l.digest ?? '')),
      tags,
    });
  }

  for (const desc of index.manifests ?? []) {
    const annotations = desc.annotations ?? {};
    // containerd's (and docker's) full name first; an OCI ref.name counts only when it is a whole reference.
    const name = annotations['io.containerd.image.name'] ?? annotations['org.opencontainers.image.ref.name'];
    const tags: string[] = [];
    if (name) {
      try {
        const ref = parseReference(name, { defaultTag: false });
        if (ref.tag) tags.push(familiarString(ref));
      } catch {
        // A bare tag like "1.36" names no repository: the image loads untagged.
      }
    }
    await visit(desc, tags, 0);
  }
  return images;
}

/** Loads one image: every layer not yet stored is applied, then the config is recorded and tagged. */
async function loadImage(store: ImageStore, archive: ArchiveDir, image: ImageToLoad): Promise<LoadedImage> {
  const { raw: configJson, value: config } = await archive.readJson<unknown>(image.configPath);
  const diffIds = diffIdsOf(config);
  // Refused before anything is written.
  checkDepth(diffIds.length);
  if (diffIds.length !== image.layerPaths.length) {
    throw loadError(`invalid archive: the config names ${diffIds.length} layers, the manifest ${image.layerPaths.length}`);
  }
  for (const p of image.layerPaths) {
    if (!(await archive.exists(p))) throw loadError(`invalid archive: layer ${p} is missing`);
  }
  const fresh: string[] = [];
  let parent: string | null = null;
  try {
    for (const [i, diffId] of diffIds.entries()) {
      const chainId = chainIdOf(parent, diffId);
      if (!store.getLayer(chainId)) {
        const layer = await store.registerLayer(parent, createReadStream(archive.resolve(image.layerPaths[i])), diffId);
        fresh.push(layer.chainId);
      }
      parent = chainId;
    }
    const record = await store.registerImage(configJson);
    for (const tag of image.tags) await store.tag(tag, record.id);
    return { id: record.id, tags: image.tags.map((t) => familiarString(parseReference(t))) };
  } catch (e) {
    // Layers this load made and no image took: gone again, the store as it was.
    if (fresh.length > 0) await store.discardIfUnreferenced(fresh[fresh.length - 1]);
    throw e;
  }
}

/**
 * Loads every image of a `docker save` archive or OCI layout: a tar stream
 * (plain or gzip), a tar file, or an unpacked directory.
 */
export async function loadImages(store: ImageStore, source: Readable | string, options: LoadOptions): Promise<LoadedImage[]> {
  let dir: string;
  let links = new Map<string, string>();
  let scratch: string | null = null;
  if (typeof source === 'string' && (await fs.stat(source)).isDirectory()) {
    dir = source;
  } else {
    await fs.mkdir(options.tmpDir, { recursive: true, mode: 0o700 });
    scratch = path.join(options.tmpDir, `load-${randomBytes(8).toString('hex')}`);
    await fs.mkdir(scratch, { mode: 0o700 });
    dir = scratch;
  }
  try {
    if (scratch !== null) {
      links = await unpack(typeof source === 'string' ? createReadStream(source) : source, scratch);
    }
    const archive = new ArchiveDir(dir, links);
    let images: ImageToLoad[];
    if (await archive.exists('manifest.json')) images = await fromDockerSave(archive);
    else if (await archive.exists('oci-layout')) images = await fromOciLayout(archive);
    else throw loadError('invalid archive: neither manifest.json (docker save) nor oci-layout (OCI image layout) found');
    if (images.length === 0) throw loadError('invalid archive: it holds no image');
    // Deep images are refused before any of them writes a layer.
    for (const image of images) checkDepth(image.layerPaths.length);
    const loaded: LoadedImage[] = [];
    for (const image of images) {
      const result = await store.exclusive(() => loadImage(store, archive, image));
      loaded.push(result);
      if (result.tags.length === 0) options.onMessage?.(`Loaded image ID: ${result.id}`);
      for (const tag of result.tags) options.onMessage?.(`Loaded image: ${tag}`);
    }
    return loaded;
  } finally {
    if (scratch !== null) await fs.rm(scratch, { recursive: true, force: true });
  }
}

export interface ImportOptions {
  /** Repository[:tag] to give the image. */
  reference?: string;
  /** The commit message, recorded in history. */
  message?: string;
  /** Parts of the image's `config` (Cmd, Env, WorkingDir...). */
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
}

/** `docker import`: a plain rootfs tar (or tar.gz) as a one-layer image. */
export function importImage(store: ImageStore, input: Readable, options: ImportOptions = {}): Promise<LoadedImage> {
  return store.exclusive(() => importUnlocked(store, input, options));
}

async function importUnlocked(store: ImageStore, input: Readable, options: ImportOptions): Promise<LoadedImage> {
  const layer = await store.registerLayer(null, input);
  try {
    const created = new Date().toISOString();
    const configJson = Buffer.from(
      JSON.stringify({
        architecture: options.architecture ?? 'amd64',
        os: options.os ?? 'linux',
        created,
        config: options.config ?? {},
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        history: [{ created, created_by: 'berth import', ...(options.message ? { comment: options.message } : {}) }],
      }),
    );
    const image = await store.registerImage(configJson);
    const tags: string[] = [];
    if (options.reference) {
      await store.tag(options.reference, image.id);
      tags.push(familiarString(parseReference(options.reference)));
    }
    return { id: image.id, tags };
  } catch (e) {
    await store.discardIfUnreferenced(layer.chainId);
    throw e;
  }
}
