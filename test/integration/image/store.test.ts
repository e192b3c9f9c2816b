// The image store with real archives: `docker save` (both layouts), OCI
// layouts, import; Docker's IDs; shared layers; depth limits; hostile and
// broken archives that must leave the store as it was; recovery on open.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ImageStore, MAX_IMAGE_DEPTH } from '../../../src/image/store';
import { importImage, loadImages } from '../../../src/image/load';
import type { GraphDriver } from '../../../src/storage/driver';
import { Overlay2Driver } from '../../../src/storage/overlay2';
import { VfsDriver } from '../../../src/storage/vfs';
import {
  type FixtureEntry,
  buildImage,
  busyboxEntries,
  layerTar,
  sha256,
  writeDockerSave,
  writeOciLayout,
} from '../../support/image-fixtures';
import { describeAsRoot, destroyTempRoot, makeTempRoot, snapshotTree } from '../../support/temp-root';

const drivers: Array<[string, (root: string) => Promise<GraphDriver>]> = [
  ['overlay2', (root) => Overlay2Driver.open(root)],
  ['vfs', (root) => VfsDriver.open(root)],
];

for (const [driverName, openDriver] of drivers) {
  describeAsRoot(`image store on ${driverName}`, () => {
    let root = '';
    let work = '';
    let driver: GraphDriver;
    let store: ImageStore;
    let busyboxLayer: Buffer;

    beforeAll(async () => {
      busyboxLayer = await layerTar(busyboxEntries());
    });

    beforeEach(async () => {
      root = makeTempRoot();
      work = path.join(root, 'work');
      await fs.mkdir(work);
      driver = await openDriver(path.join(root, 'engine'));
      store = await ImageStore.open(path.join(root, 'engine'), driver);
    });

    afterEach(async () => {
      await driver.cleanup();
      await destroyTempRoot(root);
    });

    const load = (source: string | Readable): ReturnType<typeof loadImages> =>
      loadImages(store, source, { tmpDir: path.join(root, 'engine', 'tmp') });

    const storeState = async (): Promise<string[]> => [
      ...(await driver.list()).sort(),
      ...(await snapshotTree(store.home)).filter((p) => !p.includes('layerdb/tmp/')),
    ];

    /** Mounts the image's top layer read-only-ish and runs busybox in it. */
    async function runInImage(imageRef: string, script: string): Promise<string> {
      const image = store.resolve(imageRef);
      const top = image.topLayer;
      if (!top) throw new Error('image has no layers');
      await driver.createReadWrite('probe', top.cacheId);
      const view = await driver.get('probe');
      try {
        return execFileSync('chroot', [view, '/bin/sh', '-c', script], { encoding: 'utf8' });
      } finally {
        await driver.put('probe');
        await driver.remove('probe');
      }
    }

    test('loads a docker save archive with the IDs Docker computes, in Docker\'s layout', async () => {
      const image = buildImage({ layers: [busyboxLayer], config: { Cmd: ['/bin/sh'], Volumes: { '/data': {} } } });
      const archive = path.join(work, 'busybox.tar');
      await writeDockerSave(archive, image, ['busybox:latest'], [busyboxLayer]);
      const messages: string[] = [];
      const loaded = await loadImages(store, archive, { tmpDir: path.join(root, 'engine', 'tmp'), onMessage: (m) => messages.push(m) });
      expect(loaded).toEqual([{ id: image.imageId, tags: ['busybox:latest'] }]);
      expect(messages).toEqual(['Loaded image: busybox:latest']);
      const record = store.resolve('busybox');
      expect(record.id).toBe(image.imageId);
      expect(record.chainIds).toEqual(image.chainIds);
      expect(record.repoTags).toEqual(['busybox:latest']);
      expect(record.config.config).toMatchObject({ Cmd: ['/bin/sh'], Volumes: { '/data': {} } });
      // Docker's on-disk layout.
      const layerDir = path.join(store.home, 'layerdb/sha256', image.chainIds[0].slice(7));
      expect(readFileSync(path.join(layerDir, 'diff'), 'utf8')).toBe(image.diffIds[0]);
      expect(Number(readFileSync(path.join(layerDir, 'size'), 'utf8'))).toBeGreaterThan(500000);
      expect(await driver.exists(readFileSync(path.join(layerDir, 'cache-id'), 'utf8'))).toBe(true);
      expect(existsSync(path.join(layerDir, 'parent'))).toBe(false);
      expect(readFileSync(path.join(store.home, 'imagedb/content/sha256', image.imageId.slice(7)))).toEqual(image.configJson);
      expect(JSON.parse(readFileSync(path.join(store.home, 'repositories.json'), 'utf8'))).toEqual({
        Repositories: { busybox: { 'busybox:latest': image.imageId } },
      });
      // Lookups as the daemon does them.
      for (const ref of ['busybox:latest', 'docker.io/library/busybox', image.imageId, image.imageId.slice(7), image.imageId.slice(7, 19)]) {
        expect(store.resolve(ref).id).toBe(image.imageId);
      }
      expect(() => store.resolve('nope')).toThrow('No such image: nope:latest');
      expect(() => store.resolve('busybox:1.36')).toThrow('No such image: busybox:1.36');
      expect(await runInImage('busybox', 'echo hello from $(cat /etc/passwd | head -c 4)')).toBe('hello from root\n');
    });

    test('loads the legacy docker save layout, a gzipped archive, an OCI layout dir and an OCI tar to the same image', async () => {
      const second = await layerTar([{ type: 'file', path: 'etc/motd', content: 'layer two\n' }]);
      const image = buildImage({ layers: [busyboxLayer, second] });
      const legacy = path.join(work, 'legacy.tar');
      await writeDockerSave(legacy, image, ['legacy:v1'], [busyboxLayer, second], 'legacy');
      expect((await load(legacy))[0].id).toBe(image.imageId);

      const gz = path.join(work, 'saved.tar.gz');
      const plain = path.join(work, 'saved.tar');
      await writeDockerSave(plain, image, ['gz:v1'], [busyboxLayer, second]);
      await fs.writeFile(gz, gzipSync(readFileSync(plain)));
      expect((await load(createReadStream(gz)))[0]).toEqual({ id: image.imageId, tags: ['gz:v1'] });

      const gzImage = buildImage({ layers: [busyboxLayer, second], gzip: true });
      const ociDir = path.join(work, 'oci');
      await writeOciLayout(ociDir, gzImage, 'docker.io/library/oci:v2');
      expect(await load(ociDir)).toEqual([{ id: image.imageId, tags: ['oci:v2'] }]);
      const ociTar = path.join(work, 'oci.tar');
      execFileSync('tar', ['-C', ociDir, '-cf', ociTar, '.']);
      expect((await load(ociTar))[0].id).toBe(image.imageId);

      // One image, one copy of each layer, every name on it.
      expect(store.list()).toHaveLength(1);
      expect(store.resolve('legacy:v1').repoTags).toEqual(['gz:v1', 'legacy:v1', 'oci:v2']);
      expect((await driver.list()).length).toBe(2);
      expect(await runInImage('oci:v2', 'cat /etc/motd')).toBe('layer two\n');
    });

    test('loads the docker-archive that skopeo writes (a docker save producer other than ours)', async () => {
      if (!existsSync('/usr/bin/skopeo')) {
        // eslint-disable-next-line no-console
        console.warn('skipped the skopeo docker-archive case: skopeo is not installed');
        return;
      }
      const second = await layerTar([{ type: 'file', path: 'etc/motd', content: 'via skopeo\n' }]);
      const image = buildImage({ layers: [busyboxLayer, second], gzip: true });
      const ociDir = path.join(work, 'oci-src');
      await writeOciLayout(ociDir, image);
      const archive = path.join(work, 'skopeo-docker-archive.tar');
      execFileSync('skopeo', ['--insecure-policy', 'copy', '--quiet', `oci:${ociDir}`, `docker-archive:${archive}:skopeo/made:v1`]);
      expect(await load(archive)).toEqual([{ id: image.imageId, tags: ['skopeo/made:v1'] }]);
      expect(store.resolve('skopeo/made:v1').chainIds).toEqual(image.chainIds);
      expect(await runInImage('skopeo/made:v1', 'cat /etc/motd')).toBe('via skopeo\n');
    });

    test('shares layers between images and removes them with the last image that uses them', async () => {
      const appA = await layerTar([{ type: 'file', path: 'app', content: 'A' }]);
      const appB = await layerTar([{ type: 'file', path: 'app', content: 'B' }]);
      const a = buildImage({ layers: [busyboxLayer, appA] });
      const b = buildImage({ layers: [busyboxLayer, appB] });
      await writeDockerSave(path.join(work, 'a.tar'), a, ['app:a'], [busyboxLayer, appA]);
      await writeDockerSave(path.join(work, 'b.tar'), b, ['app:b', 'app:also-b'], [busyboxLayer, appB]);
      await load(path.join(work, 'a.tar'));
      await load(path.join(work, 'b.tar'));
      expect((await driver.list()).length).toBe(3);

      // A name among several: only untagged.
      expect(await store.remove('app:also-b')).toEqual([{ Untagged: 'app:also-b' }]);
      // In use by a container: refused unless forced, and then only untagged.
      await expect(store.remove('app:a', { usedBy: ['c'.repeat(64)] })).rejects.toMatchObject({
        code: 'EBUSY',
        message: expect.stringContaining('image is being used by stopped container cccccccccccc'),
      });
      expect(await store.remove('app:b')).toEqual([
        { Untagged: 'app:b' },
        { Deleted: b.imageId },
        { Deleted: b.chainIds[1] },
      ]);
      expect((await driver.list()).length).toBe(2);
      expect(await runInImage('app:a', 'cat /app')).toBe('A');
      expect(await store.remove(a.imageId)).toEqual([
        { Untagged: 'app:a' },
        { Deleted: a.imageId },
        { Deleted: a.chainIds[1] },
        { Deleted: a.chainIds[0] },
      ]);
      expect(await driver.list()).toEqual([]);
      expect(store.list()).toEqual([]);
    });

    test(`loads a ${MAX_IMAGE_DEPTH}-layer image and refuses one of ${MAX_IMAGE_DEPTH + 1} before writing anything`, async () => {
      const layers: Buffer[] = [busyboxLayer];
      for (let i = 1; i <= MAX_IMAGE_DEPTH; i++) layers.push(await layerTar([{ type: 'file', path: `layer-${i}`, content: String(i) }]));
      const deep = buildImage({ layers: layers.slice(0, MAX_IMAGE_DEPTH) });
      const tooDeep = buildImage({ layers });
      await writeDockerSave(path.join(work, 'too-deep.tar'), tooDeep, ['deep:128'], layers);
      const before = await storeState();
      await expect(load(path.join(work, 'too-deep.tar'))).rejects.toMatchObject({
        code: 'EDEPTH',
        message: `max depth exceeded: the image has ${MAX_IMAGE_DEPTH + 1} layers, more than the limit of ${MAX_IMAGE_DEPTH}`,
      });
      expect(await storeState()).toEqual(before);
      await writeDockerSave(path.join(work, 'deep.tar'), deep, ['deep:127'], layers.slice(0, MAX_IMAGE_DEPTH));
      expect((await load(path.join(work, 'deep.tar')))[0].id).toBe(deep.imageId);
      expect(store.resolve('deep:127').chainIds).toEqual(deep.chainIds);
      expect(await runInImage('deep:127', `cat /layer-1 /layer-${MAX_IMAGE_DEPTH - 1}`)).toBe(`1${MAX_IMAGE_DEPTH - 1}`);
    }, 300000);

    test('whiteouts and opaque directories of an image show in its merged view', async () => {
      const lower = await layerTar([
        ...busyboxEntries(),
        { type: 'file', path: 'etc/removed', content: 'x' },
        { type: 'dir', path: 'cache' },
        { type: 'file', path: 'cache/old', content: 'old' },
      ]);
      const upper = await layerTar([
        { type: 'whiteout', path: 'etc/removed' },
        { type: 'dir', path: 'cache' },
        { type: 'opaque', path: 'cache' },
        { type: 'file', path: 'cache/new', content: 'new' },
      ]);
      const image = buildImage({ layers: [lower, upper] });
      await writeDockerSave(path.join(work, 'wh.tar'), image, ['wh:1'], [lower, upper]);
      await load(path.join(work, 'wh.tar'));
      expect(await runInImage('wh:1', 'ls /cache; ls /etc')).toBe('new\ngroup\npasswd\n');
    });

    const hostile: Array<[string, FixtureEntry[], RegExp]> = [
      ['a ".." entry', [{ type: 'raw', name: '../../escaped', header: { type: 'file' }, content: Buffer.from('x') }], /escaped/],
      ['an absolute entry', [{ type: 'raw', name: '/etc/berth-absolute', header: { type: 'file' }, content: Buffer.from('x') }], /berth-absolute/],
      ['a hardlink to /etc/shadow', [{ type: 'hardlink', path: 'shadow', target: '/etc/shadow' }], /shadow/],
    ];
    for (const [label, entries, named] of hostile) {
      test(`refuses a layer with ${label}, naming the entry, and keeps the store as it was`, async () => {
        const evil = await layerTar(entries);
        const image = buildImage({ layers: [busyboxLayer, evil] });
        await writeDockerSave(path.join(work, 'evil.tar'), image, ['evil:1'], [busyboxLayer, evil]);
        const before = await storeState();
        const hostShadow = readFileSync('/etc/shadow');
        await expect(load(path.join(work, 'evil.tar'))).rejects.toThrow(named);
        expect(await storeState()).toEqual(before);
        expect(readFileSync('/etc/shadow')).toEqual(hostShadow);
        expect(existsSync('/etc/berth-absolute')).toBe(false);
        expect(readdirSync(root).sort()).toEqual(['engine', 'work']);
      });
    }

    test('contains a layer whose symlink points out: its entries land inside the image', async () => {
      const evil = await layerTar([
        { type: 'symlink', path: 'escape', target: '/' },
        { type: 'file', path: 'escape/etc/berth-was-here', content: 'contained' },
      ]);
      const image = buildImage({ layers: [busyboxLayer, evil] });
      await writeDockerSave(path.join(work, 'symlink.tar'), image, ['symlink:1'], [busyboxLayer, evil]);
      await load(path.join(work, 'symlink.tar'));
      expect(existsSync('/etc/berth-was-here')).toBe(false);
      expect(await runInImage('symlink:1', 'cat /etc/berth-was-here')).toBe('contained');
    });

    test('rejects a layer whose DiffID differs from the config and leaves nothing behind', async () => {
      const image = buildImage({ layers: [busyboxLayer] });
      const other = await layerTar([{ type: 'file', path: 'not-busybox', content: 'x' }]);
      await writeDockerSave(path.join(work, 'lie.tar'), image, ['lie:1'], [other]);
      const before = await storeState();
      await expect(load(path.join(work, 'lie.tar'))).rejects.toThrow(/invalid diffID for layer/);
      expect(await storeState()).toEqual(before);
      await expect(load(path.join(work, 'missing.tar'))).rejects.toMatchObject({ code: 'ENOENT' });
      await fs.writeFile(path.join(work, 'junk.tar'), await layerTar([{ type: 'file', path: 'readme', content: 'hi' }]));
      await expect(load(path.join(work, 'junk.tar'))).rejects.toThrow(/neither manifest.json/);
      expect(await storeState()).toEqual(before);
    });

    test('imports a plain rootfs tar as a one-layer image', async () => {
      const loaded = await importImage(store, Readable.from([gzipSync(busyboxLayer)]), {
        reference: 'imported:v1',
        config: { Cmd: ['/bin/sh'] },
      });
      expect(loaded.tags).toEqual(['imported:v1']);
      const image = store.resolve('imported:v1');
      expect(image.config.rootfs?.diff_ids).toEqual([sha256(busyboxLayer)]);
      expect(image.chainIds).toEqual([sha256(busyboxLayer)]);
      expect(await runInImage('imported:v1', 'echo ok')).toBe('ok\n');
    });

    test('finds images by unique short ID only, and tags and untags', async () => {
      const one = buildImage({ layers: [busyboxLayer], config: { Cmd: ['one'] } });
      const two = buildImage({ layers: [busyboxLayer], config: { Cmd: ['two'] } });
      await writeDockerSave(path.join(work, 'one.tar'), one, [], [busyboxLayer]);
      await writeDockerSave(path.join(work, 'two.tar'), two, [], [busyboxLayer]);
      expect(await load(path.join(work, 'one.tar'))).toEqual([{ id: one.imageId, tags: [] }]);
      await load(path.join(work, 'two.tar'));
      const ids = [one.imageId.slice(7), two.imageId.slice(7)];
      let common = 0;
      while (ids[0][common] === ids[1][common]) common++;
      expect(store.resolve(ids[0].slice(0, common + 1)).id).toBe(one.imageId);
      if (common > 0) {
        expect(() => store.resolve(ids[0].slice(0, common))).toThrow(/multiple IDs found with provided prefix/);
      }
      await store.tag('localhost:5000/team/app:1.0', one.imageId);
      expect(store.resolve('localhost:5000/team/app:1.0').repoTags).toEqual(['localhost:5000/team/app:1.0']);
      await store.tag('localhost:5000/team/app:1.0', two.imageId);
      expect(store.resolve('localhost:5000/team/app:1.0').id).toBe(two.imageId);
      expect(await store.untag('localhost:5000/team/app:1.0')).toBe(two.imageId);
      expect(() => store.resolve('localhost:5000/team/app:1.0')).toThrow('No such image: localhost:5000/team/app:1.0');
      await expect(store.tag('Bad:Name', one.imageId)).rejects.toThrow(/invalid reference format/);
    });

    test('re-opens after a crash mid-load: half-made and unreferenced layers are swept, images kept', async () => {
      const image = buildImage({ layers: [busyboxLayer] });
      await writeDockerSave(path.join(work, 'keep.tar'), image, ['keep:1'], [busyboxLayer]);
      await load(path.join(work, 'keep.tar'));
      // A load killed after its layer was recorded but before its image: a layer nobody uses.
      const orphan = await store.registerLayer(null, Readable.from([await layerTar([{ type: 'file', path: 'o', content: 'o' }])]));
      // A load killed while applying: an incomplete driver layer.
      await driver.create('f'.repeat(64), null);
      await fs.writeFile(path.join(store.home, 'layerdb/tmp', `incomplete-${'f'.repeat(64)}`), '');
      const reopenedDriver = await openDriver(path.join(root, 'engine'));
      const reopened = await ImageStore.open(path.join(root, 'engine'), reopenedDriver);
      expect(reopened.getLayer(orphan.chainId)).toBeUndefined();
      expect(await reopenedDriver.exists('f'.repeat(64))).toBe(false);
      expect(await reopenedDriver.exists(orphan.cacheId)).toBe(false);
      expect(reopened.resolve('keep:1').id).toBe(image.imageId);
      expect(readdirSync(path.join(store.home, 'layerdb/tmp'))).toEqual([]);
      store = reopened;
      driver = reopenedDriver;
    });
  });
}
