// Pull from a real docker-registry on 127.0.0.1, fixtures pushed with skopeo:
// Docker's IDs and progress stream, shared layers skipped, basic auth, a
// manifest list, and failures (corrupt blob, unknown tag, dead registry)
// that leave no image and no layer behind.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { type JSONMessage, pullImage } from '../../../src/image/pull';
import { ImageStore } from '../../../src/image/store';
import type { GraphDriver } from '../../../src/storage/driver';
import { Overlay2Driver } from '../../../src/storage/overlay2';
import { buildImage, busyboxEntries, layerTar, writeOciIndexLayout, writeOciLayout } from '../../support/image-fixtures';
import { type TestRegistry, blobDataPath, pushOciLayout, registrySkipReason, startRegistry } from '../../support/registry';
import { destroyTempRoot, isRoot, makeTempRoot, snapshotTree } from '../../support/temp-root';

const skip = !isRoot ? 'needs root (real mounts)' : registrySkipReason();
if (skip) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED pull tests: ${skip}`);
}

(skip ? describe.skip : describe)('pull from a real registry', () => {
  let registry: TestRegistry;
  let authRegistry: TestRegistry;
  let fixtures = '';
  let root = '';
  let driver: GraphDriver;
  let store: ImageStore;
  const creds = { user: 'berth', password: 's3cret-pw' };
  let base: Buffer;
  let app: Buffer;

  beforeAll(async () => {
    fixtures = makeTempRoot();
    base = await layerTar(busyboxEntries());
    app = await layerTar([{ type: 'file', path: 'app/hello', content: 'hello from the app layer\n' }]);
    registry = await startRegistry();
    authRegistry = await startRegistry({ htpasswd: creds });
  }, 60000);

  afterAll(async () => {
    await registry?.stop();
    await authRegistry?.stop();
    await destroyTempRoot(fixtures);
  });

  beforeEach(async () => {
    root = makeTempRoot();
    driver = await Overlay2Driver.open(root);
    store = await ImageStore.open(root, driver);
    // The engine's own temp directory, as the engine keeps it.
    await fs.mkdir(path.join(root, 'tmp'));
  });

  afterEach(async () => {
    await driver.cleanup();
    await destroyTempRoot(root);
  });

  async function push(name: string, layers: Buffer[], target: TestRegistry, withCreds = false) {
    const image = buildImage({ layers, gzip: true, config: { Cmd: ['/bin/sh'] } });
    const dir = path.join(fixtures, name.replace(/[:/]/g, '_'));
    await writeOciLayout(dir, image);
    await pushOciLayout(dir, target.host, name, withCreds ? creds : undefined);
    return image;
  }

  const pull = (ref: string, messages: JSONMessage[] = [], extra: { username?: string; password?: string } = {}) =>
    pullImage(store, ref, { tmpDir: path.join(root, 'tmp'), onProgress: (m) => messages.push(m), ...extra });

  async function run(view: string, script: string): Promise<string> {
    return execFileSync('chroot', [view, '/bin/sh', '-c', script], { encoding: 'utf8' });
  }

  async function runInImage(ref: string, script: string): Promise<string> {
    const top = store.resolve(ref).topLayer;
    if (!top) throw new Error('no layers');
    await driver.createReadWrite('probe', top.cacheId);
    try {
      return await run(await driver.get('probe'), script);
    } finally {
      await driver.put('probe');
      await driver.remove('probe');
    }
  }

  test('pulls an image with Docker\'s IDs, progress and digests, and skips what it has', async () => {
    const image = await push('team/app:1.0', [base, app], registry);
    const messages: JSONMessage[] = [];
    const record = await pull(`${registry.host}/team/app:1.0`, messages);
    expect(record.id).toBe(image.imageId);
    expect(record.chainIds).toEqual(image.chainIds);
    expect(record.repoTags).toEqual([`${registry.host}/team/app:1.0`]);
    expect(record.repoDigests).toEqual([`${registry.host}/team/app@${image.manifestDigest}`]);
    const statuses = messages.map((m) => m.status);
    expect(statuses[0]).toBe('Pulling from team/app');
    expect(statuses.filter((s) => s === 'Pulling fs layer')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'Pull complete')).toHaveLength(2);
    expect(messages.some((m) => m.status === 'Downloading' && (m.progressDetail?.total ?? 0) > 0)).toBe(true);
    expect(statuses.slice(-2)).toEqual([
      `Digest: ${image.manifestDigest}`,
      `Status: Downloaded newer image for ${registry.host}/team/app:1.0`,
    ]);
    expect(await runInImage(`${registry.host}/team/app:1.0`, 'cat /app/hello')).toBe('hello from the app layer\n');

    // Again: nothing to fetch.
    const again: JSONMessage[] = [];
    await pull(`${registry.host}/team/app:1.0`, again);
    expect(again.filter((m) => m.status === 'Already exists')).toHaveLength(2);
    expect(again[again.length - 1].status).toBe(`Status: Image is up to date for ${registry.host}/team/app:1.0`);

    // Another image on the same base: the base is not fetched again; by digest works too.
    const other = await push('team/other:2', [base, await layerTar([{ type: 'file', path: 'other', content: 'o' }])], registry);
    const third: JSONMessage[] = [];
    await pull(`${registry.host}/team/other@${other.manifestDigest}`, third);
    expect(third.filter((m) => m.status === 'Already exists')).toHaveLength(1);
    expect(store.resolve(`${registry.host}/team/other@${other.manifestDigest}`).id).toBe(other.imageId);
    expect((await driver.list()).length).toBe(3);
  });

  test('pulls with basic auth, and fails cleanly without it', async () => {
    const image = await push('private/app:1', [base], authRegistry, true);
    const before = await snapshotTree(root);
    await expect(pull(`${authRegistry.host}/private/app:1`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(pull(`${authRegistry.host}/private/app:1`, [], { username: creds.user, password: 'wrong' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(await snapshotTree(root)).toEqual(before);
    const record = await pull(`${authRegistry.host}/private/app:1`, [], { username: creds.user, password: creds.password });
    expect(record.id).toBe(image.imageId);
  });

  test('picks linux/amd64 from a manifest list', async () => {
    const amd64 = buildImage({ layers: [base], gzip: true, architecture: 'amd64' });
    const arm64 = buildImage({ layers: [base, app], gzip: true, architecture: 'arm64' });
    const dir = path.join(fixtures, 'multi');
    const { indexDigest } = await writeOciIndexLayout(dir, [
      { image: arm64, platform: { os: 'linux', architecture: 'arm64' } },
      { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    await pushOciLayout(dir, registry.host, 'multi:latest', undefined, { all: true });
    const messages: JSONMessage[] = [];
    const record = await pull(`${registry.host}/multi`, messages);
    expect(record.id).toBe(amd64.imageId);
    expect(record.repoDigests).toEqual([`${registry.host}/multi@${indexDigest}`]);
    expect(messages.map((m) => m.status)).toContain(`Digest: ${indexDigest}`);
  });

  test('a corrupt blob, an unknown tag or a dead registry fail the pull and leave nothing behind', async () => {
    const image = await push('corrupt/app:1', [base, app], registry);
    const blob = blobDataPath(registry, image.blobs[1].digest);
    const original = await fs.readFile(blob);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 10] ^= 0xff;
    writeFileSync(blob, flipped);
    const before = await snapshotTree(root);
    try {
      await expect(pull(`${registry.host}/corrupt/app:1`)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    } finally {
      writeFileSync(blob, original);
    }
    expect(await snapshotTree(root)).toEqual(before);
    expect(await driver.list()).toEqual([]);
    expect(store.list()).toEqual([]);

    await expect(pull(`${registry.host}/corrupt/app:nope`)).rejects.toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    await expect(pull('127.0.0.1:1/nothing/here:1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await snapshotTree(root)).toEqual(before);
    // Repaired, the same pull works.
    expect((await pull(`${registry.host}/corrupt/app:1`)).id).toBe(image.imageId);
  });
});
