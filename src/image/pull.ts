// `docker pull`: resolve the manifest (picking linux/amd64 from a list),
// fetch the config, download the missing layers concurrently into private
// temp files (each verified against its digest), apply them in order, and
// record and tag the image. Progress is Docker's JSON message stream. A
// failure at any point leaves no image and no layer of its own behind.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Descriptor, type Platform, RegistryClient } from './registry';
import { type ImageReference, familiarString, parseReference } from './reference';
import { type ImageRecord, type ImageStore, ImageStoreError, chainIdsOf, checkDepth, diffIdsOf } from './store';

/** One message of Docker's pull progress stream (`/images/create`). */
export interface JSONMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

export interface PullOptions {
  /** Where layers are downloaded before they are applied: the engine's own filesystem. */
  tmpDir: string;
  username?: string;
  password?: string;
  /** Registries spoken to over plain HTTP; loopback ones always are, as Docker treats them. */
  insecureRegistries?: string[];
  platform?: Platform;
  /** Layers downloaded at once (Docker's default is 3). */
  concurrency?: number;
  onProgress?: (message: JSONMessage) => void;
}

const DOCKER_HUB = 'docker.io';
const PROGRESS_STEP = 512 * 1024;

function isLoopbackRegistry(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

const shortDigest = (digest: string): string => digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);

function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const human = (n: number): string =>
    n >= 1e9 ? `${(n / 1e9).toFixed(2)}GB` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}MB` : n >= 1e3 ? `${(n / 1e3).toFixed(2)}kB` : `${n}B`;
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  return `[${bar}] ${human(current)}/${human(total)}`;
}

/** Runs `work` over `items` with at most `limit` at a time; results in order. */
function limited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Array<Promise<R>> {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = (): void => {
    running--;
    queue.shift()?.();
  };
  return items.map(
    (item) =>
      new Promise<R>((resolve, reject) => {
        const start = (): void => {
          running++;
          work(item).then(resolve, reject).finally(next);
        };
        if (running < limit) start();
        else queue.push(start);
      }),
  );
}

export async function pullImage(store: ImageStore, reference: string, options: PullOptions): Promise<ImageRecord> {
  const ref = parseReference(reference);
  const emit = options.onProgress ?? ((): void => undefined);
  const host = ref.domain || DOCKER_HUB;
  const client = new RegistryClient({
    registry: host,
    insecure: isLoopbackRegistry(host) || (options.insecureRegistries ?? []).includes(host),
    username: options.username,
    password: options.password,
  });
  // Pulling by digest pins the content; a tag beside it is only a label (as Docker drops it).
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  const scratch = path.join(options.tmpDir, `pull-${randomBytes(8).toString('hex')}`);
  try {
    emit({ status: `Pulling from ${ref.path}`, id: ref.digest ? ref.digest : wanted });
    const manifest = await client.getManifest(ref.path, wanted, options.platform);
    const configJson = await client.fetchBlobBuffer(ref.path, manifest.manifest.config, { maxBytes: 16 * 1024 * 1024 });
    let config: unknown;
    try {
      config = JSON.parse(configJson.toString('utf8'));
    } catch (e) {
      throw new ImageStoreError(`invalid image config: ${(e as Error).message}`, 'EINVAL');
    }
    const diffIds = diffIdsOf(config);
    const layers = manifest.manifest.layers;
    if (diffIds.length !== layers.length) {
      throw new ImageStoreError(`invalid image: the config names ${diffIds.length} layers, the manifest ${layers.length}`, 'EINVAL');
    }
    checkDepth(layers.length);

    const chain = chainIdsOf(diffIds);
    const missing = layers.map((_, i) => !store.getLayer(chain[i]));
    layers.forEach((layer, i) => emit({ status: missing[i] ? 'Pulling fs layer' : 'Already exists', id: shortDigest(layer.digest) }));

    await fs.mkdir(scratch, { recursive: true, mode: 0o700 });
    const downloads = limited(
      layers.map((layer, i) => ({ layer, i })).filter(({ i }) => missing[i]),
      options.concurrency ?? 3,
      ({ layer }) => download(client, ref, layer, scratch, emit),
    );
    const fileOf = new Map<number, Promise<string>>();
    let d = 0;
    layers.forEach((_, i) => {
      if (missing[i]) fileOf.set(i, downloads[d++]);
    });
    // A failed download must not surface as an unhandled rejection while an earlier layer applies.
    for (const p of fileOf.values()) p.catch(() => undefined);

    const record = await store.exclusive(async () => {
      const fresh: string[] = [];
      try {
        let parent: string | null = null;
        for (const [i, layer] of layers.entries()) {
          const file = fileOf.get(i);
          if (file !== undefined && !store.getLayer(chain[i])) {
            const tmpFile = await file;
            emit({ status: 'Extracting', id: shortDigest(layer.digest), progressDetail: { current: 0, total: layer.size } });
            const registered = await store.registerLayer(parent, createReadStream(tmpFile), diffIds[i]);
            fresh.push(registered.chainId);
            await fs.rm(tmpFile, { force: true });
            emit({ status: 'Pull complete', id: shortDigest(layer.digest) });
          }
          parent = chain[i];
        }
        const existed = store.hasImage(manifest.manifest.config.digest);
        const image = await store.registerImage(configJson);
        if (ref.tag && !ref.digest) await store.tag(familiarString(ref), image.id);
        await store.tag(familiarString(withDigestOnly(ref, manifest.indexDigest ?? manifest.digest)), image.id);
        return { image, existed: existed && fresh.length === 0 };
      } catch (e) {
        if (fresh.length > 0) await store.discardIfUnreferenced(fresh[fresh.length - 1]);
        throw e;
      }
    });
    emit({ status: `Digest: ${manifest.indexDigest ?? manifest.digest}` });
    const name = familiarString(ref.digest ? withDigestOnly(ref, ref.digest) : ref);
    emit({ status: record.existed ? `Status: Image is up to date for ${name}` : `Status: Downloaded newer image for ${name}` });
    return store.resolve(record.image.id);
  } finally {
    client.close();
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

function withDigestOnly(ref: ImageReference, digest: string): ImageReference {
  return { domain: ref.domain, path: ref.path, digest, defaultTagAdded: false };
}

/** Streams a layer blob into a temp file; the client's stream fails on a digest or size mismatch. */
async function download(
  client: RegistryClient,
  ref: ImageReference,
  layer: Descriptor,
  dir: string,
  emit: (m: JSONMessage) => void,
): Promise<string> {
  const id = shortDigest(layer.digest);
  const file = path.join(dir, layer.digest.replace(':', '-'));
  let reported = 0;
  const blob = client.fetchBlob(ref.path, layer, {
    onProgress: (current, total) => {
      if (current - reported < PROGRESS_STEP && current < total) return;
      reported = current;
      emit({ status: 'Downloading', id, progressDetail: { current, total }, progress: progressBar(current, total) });
    },
  });
  await pipeline(blob, createWriteStream(file, { mode: 0o600 }));
  emit({ status: 'Verifying Checksum', id });
  emit({ status: 'Download complete', id });
  return file;
}

