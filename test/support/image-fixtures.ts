// Real image fixtures built by the tests themselves: layer tars (plain or
// gzip), OCI image layouts and `docker save` archives, from the machine's
// busybox-static. Nothing is downloaded; digests are computed, not assumed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export type FixtureEntry =
  | { type: 'file'; path: string; content: string | Buffer; mode?: number; uid?: number; gid?: number; mtime?: Date }
  | { type: 'dir'; path: string; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string }
  | { type: 'char' | 'block'; path: string; major: number; minor: number; mode?: number }
  | { type: 'fifo'; path: string; mode?: number }
  /** An OCI whiteout (`.wh.<name>`) deleting `path` of the lower layers. */
  | { type: 'whiteout'; path: string }
  /** An opaque marker (`.wh..wh..opq`) in directory `path`. */
  | { type: 'opaque'; path: string }
  /** A raw header name, for hostile archives (`../x`, `/etc/x`...). */
  | { type: 'raw'; name: string; header: Partial<TarHeader>; content?: Buffer };

// tar-stream 3.2 ships its own types (no `Headers` export, unlike @types/tar-stream):
// take the header type from pack().entry so either typing works.
type TarHeader = Parameters<ReturnType<typeof tar.pack>['entry']>[0];

const EPOCH = new Date(0);

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Packs entries into an uncompressed tar, in order. */
export async function layerTar(entries: FixtureEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const add = (header: TarHeader, content?: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry(header, content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  for (const e of entries) {
    switch (e.type) {
      case 'file': {
        const content = Buffer.from(e.content);
        await add({ name: e.path, type: 'file', mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: e.mtime ?? EPOCH, size: content.length }, content);
        break;
      }
      case 'dir':
        await add({ name: e.path, type: 'directory', mode: e.mode ?? 0o755, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: EPOCH });
        break;
      case 'symlink':
        await add({ name: e.path, type: 'symlink', linkname: e.target, mode: 0o777, mtime: EPOCH });
        break;
      case 'hardlink':
        await add({ name: e.path, type: 'link', linkname: e.target, mtime: EPOCH });
        break;
      case 'char':
      case 'block':
        await add({
          name: e.path,
          type: e.type === 'char' ? 'character-device' : 'block-device',
          devmajor: e.major,
          devminor: e.minor,
          mode: e.mode ?? 0o666,
          mtime: EPOCH,
        });
        break;
      case 'fifo':
        await add({ name: e.path, type: 'fifo', mode: e.mode ?? 0o644, mtime: EPOCH });
        break;
      case 'whiteout': {
        const dir = path.posix.dirname(e.path);
        await add({ name: path.posix.join(dir, `.wh.${path.posix.basename(e.path)}`), type: 'file', size: 0, mode: 0o644, mtime: EPOCH });
        break;
      }
      case 'opaque':
        await add({ name: path.posix.join(e.path, '.wh..wh..opq'), type: 'file', size: 0, mode: 0o644, mtime: EPOCH });
        break;
      case 'raw':
        await add({ mode: 0o644, mtime: EPOCH, ...e.header, name: e.name, size: e.content?.length ?? 0 } as TarHeader, e.content);
        break;
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'true', 'false', 'id', 'hostname'];

export function busyboxPath(): string {
  const found = BUSYBOX_PATHS.find((p) => existsSync(p));
  if (!found) throw new Error('busybox not found: install busybox-static (scripts/install-deps.sh does)');
  return found;
}

/** A one-layer busybox rootfs: /bin/busybox, applet links, /etc/passwd, /tmp. */
export function busyboxEntries(): FixtureEntry[] {
  return [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', content: readFileSync(busyboxPath()), mode: 0o755 },
    ...APPLETS.map((a): FixtureEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ];
}

export interface ImageSpec {
  /** Uncompressed layer tars, base first. */
  layers: Buffer[];
  /** The image's `config` section (Cmd, Env, Volumes, ...). */
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  /** Store layer blobs gzip-compressed (as registries do). */
  gzip?: boolean;
}

export interface BuiltImage {
  configJson: Buffer;
  /** sha256 of the config JSON: the image ID Docker would compute. */
  imageId: string;
  diffIds: string[];
  /** ChainID(L0..n) for each n, as Docker's layer store names layers. */
  chainIds: string[];
  /** Layer blobs as stored (gzip or not) with their digests. */
  blobs: Array<{ digest: string; data: Buffer; mediaType: string }>;
  manifestJson: Buffer;
  manifestDigest: string;
}

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) out.push(out.length === 0 ? diffId : sha256(`${out[out.length - 1]} ${diffId}`));
  return out;
}

/** The config, OCI manifest and blobs of an image, with every digest computed. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const diffIds = spec.layers.map((l) => sha256(l));
  const configJson = Buffer.from(
    JSON.stringify({
      architecture: spec.architecture ?? 'amd64',
      os: spec.os ?? 'linux',
      config: spec.config ?? { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: spec.layers.map((_, i) => ({ created: '1970-01-01T00:00:00Z', created_by: `berth fixture layer ${i}` })),
    }),
  );
  const blobs = spec.layers.map((l) => {
    const data = spec.gzip ? gzipSync(l) : l;
    return {
      digest: sha256(data),
      data,
      mediaType: spec.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
    };
  });
  const manifestJson = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configJson), size: configJson.length },
      layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.data.length })),
    }),
  );
  return {
    configJson,
    imageId: sha256(configJson),
    diffIds,
    chainIds: chainIds(diffIds),
    blobs,
    manifestJson,
    manifestDigest: sha256(manifestJson),
  };
}

async function writeBlob(dir: string, digest: string, data: Buffer): Promise<void> {
  const [alg, hex] = digest.split(':');
  await fs.mkdir(path.join(dir, 'blobs', alg), { recursive: true });
  await fs.writeFile(path.join(dir, 'blobs', alg, hex), data);
}

/** Writes an OCI image layout directory (oci-layout, index.json, blobs/) holding one image. */
export async function writeOciLayout(dir: string, image: BuiltImage, refName?: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeBlob(dir, sha256(image.configJson), image.configJson);
  for (const b of image.blobs) await writeBlob(dir, b.digest, b.data);
  await writeBlob(dir, image.manifestDigest, image.manifestJson);
  const descriptor: Record<string, unknown> = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: image.manifestDigest,
    size: image.manifestJson.length,
  };
  if (refName) descriptor.annotations = { 'org.opencontainers.image.ref.name': refName };
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
}

export interface IndexEntry {
  image: BuiltImage;
  platform: { os: string; architecture: string; variant?: string };
}

/**
 * Writes an OCI image layout whose index.json names one image index (a
 * manifest list) with an entry per platform, as `skopeo copy --all` pushes it.
 * Returns the index's bytes and digest.
 */
export async function writeOciIndexLayout(dir: string, entries: IndexEntry[], refName?: string): Promise<{ indexJson: Buffer; indexDigest: string }> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const { image } of entries) {
    await writeBlob(dir, sha256(image.configJson), image.configJson);
    for (const b of image.blobs) await writeBlob(dir, b.digest, b.data);
    await writeBlob(dir, image.manifestDigest, image.manifestJson);
  }
  const indexJson = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: entries.map(({ image, platform }) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: image.manifestDigest,
        size: image.manifestJson.length,
        platform,
      })),
    }),
  );
  const indexDigest = sha256(indexJson);
  await writeBlob(dir, indexDigest, indexJson);
  const descriptor: Record<string, unknown> = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: indexJson.length };
  if (refName) descriptor.annotations = { 'org.opencontainers.image.ref.name': refName };
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
  return { indexJson, indexDigest };
}

/**
 * Writes a `docker save` archive as a tar file: manifest.json, the config and
 * the layers. `layout: 'blobs'` is today's docker (blobs/sha256/<hex>, plus
 * oci-layout and index.json); `'legacy'` is the older <hex>.json and <id>/layer.tar form.
 */
export async function writeDockerSave(
  file: string,
  image: BuiltImage,
  repoTags: string[],
  layers: Buffer[],
  layout: 'blobs' | 'legacy' = 'blobs',
): Promise<void> {
  const hex = (d: string): string => d.split(':')[1];
  const entries: FixtureEntry[] = [];
  const layerPaths: string[] = [];
  let configPath: string;
  if (layout === 'blobs') {
    configPath = `blobs/sha256/${hex(image.imageId)}`;
    entries.push({ type: 'dir', path: 'blobs' }, { type: 'dir', path: 'blobs/sha256' });
    entries.push({ type: 'file', path: configPath, content: image.configJson });
    layers.forEach((l, i) => {
      const p = `blobs/sha256/${hex(image.diffIds[i])}`;
      layerPaths.push(p);
      entries.push({ type: 'file', path: p, content: l });
    });
    entries.push({ type: 'file', path: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) });
  } else {
    configPath = `${hex(image.imageId)}.json`;
    entries.push({ type: 'file', path: configPath, content: image.configJson });
    layers.forEach((l, i) => {
      const dir = hex(image.chainIds[i]);
      layerPaths.push(`${dir}/layer.tar`);
      entries.push({ type: 'dir', path: dir }, { type: 'file', path: `${dir}/layer.tar`, content: l });
      entries.push({ type: 'file', path: `${dir}/VERSION`, content: '1.0' });
    });
  }
  entries.push({
    type: 'file',
    path: 'manifest.json',
    content: JSON.stringify([{ Config: configPath, RepoTags: repoTags, Layers: layerPaths }]),
  });
  if (repoTags.length > 0) {
    const repositories: Record<string, Record<string, string>> = {};
    for (const t of repoTags) {
      const i = t.lastIndexOf(':');
      (repositories[t.slice(0, i)] ??= {})[t.slice(i + 1)] = hex(image.chainIds[image.chainIds.length - 1]);
    }
    entries.push({ type: 'file', path: 'repositories', content: JSON.stringify(repositories) });
  }
  await fs.writeFile(file, await layerTar(entries));
}
