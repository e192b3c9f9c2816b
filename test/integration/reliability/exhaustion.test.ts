// Running out: an engine root on a small tmpfs fills up with volume copy-ups
// until a create fails with ENOSPC, which must say so and leave nothing of
// itself; a load larger than the free space leaves no partial image; and a
// thousand containers do not cost the engine a file descriptor each.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Engine } from '../../../src';
import { mount } from '../../../src/native';
import { buildImage, busyboxEntries, layerTar, writeDockerSave } from '../../support/image-fixtures';
import { loadBusybox } from '../../support/container-fixtures';
import { describeAsRoot, destroyTempRoot, makeTempRoot, mountPointsUnder } from '../../support/temp-root';

const TMPFS_SIZE = '24m';
const BLOB_BYTES = 2 * 1024 * 1024;
const MANY = 1000;
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Everything a create or a load can leave behind, to compare before and after a failure. */
async function stateOf(engine: Engine, engineRoot: string): Promise<Record<string, unknown>> {
  const ls = (dir: string): Promise<string[]> => fs.readdir(dir).then((n) => n.sort(), () => []);
  return {
    containers: engine.containers.list({ all: true }).map((c) => c.Names.join(',')).sort(),
    containerDirs: await ls(path.join(engineRoot, 'containers')),
    layers: (await engine.driver.list()).sort(),
    mountRecords: await ls(path.join(engineRoot, 'image/overlay2/layerdb/mounts')),
    imageLayers: await ls(path.join(engineRoot, 'image/overlay2/layerdb/sha256')),
    imageConfigs: await ls(path.join(engineRoot, 'image/overlay2/imagedb/content/sha256')),
    images: engine.images.list().map((i) => i.Id).sort(),
    volumes: engine.volumes.list().Volumes.map((v) => v.Name).sort(),
    volumeDirs: await ls(path.join(engineRoot, 'volumes')),
    links: engine.linkGraph.all().map((l) => l.name).sort(),
    mounts: (await mountPointsUnder(engineRoot)).filter((m) => m !== engineRoot),
    tmp: await ls(path.join(engineRoot, 'tmp')),
  };
}

/** Writes a docker-save archive of busybox plus `extra` layers; returns its path. */
async function writeImage(dir: string, name: string, extra: Buffer[], config: Record<string, unknown>): Promise<string> {
  const layers = [await layerTar(busyboxEntries()), ...extra];
  const file = path.join(dir, `${name.replace(/[:/]/g, '_')}.tar`);
  await writeDockerSave(file, buildImage({ layers, config: { Cmd: ['/bin/sh'], Env: [PATH_ENV], ...config } }), [name], layers);
  return file;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

describeAsRoot('exhaustion', () => {
  let dir = '';
  let small = '';
  let engine: Engine | undefined;

  beforeAll(async () => {
    dir = makeTempRoot();
    small = path.join(dir, 'small');
    await fs.mkdir(small);
    await mount('tmpfs', small, 'tmpfs', 0, `size=${TMPFS_SIZE},mode=0700`);
  });
  afterAll(async () => {
    await engine?.close();
    // Detaches the tmpfs too, whatever state a failed test left it in.
    if (dir) await destroyTempRoot(dir);
  });

  test(`a ${TMPFS_SIZE} root: volume copy-ups until ENOSPC, which is clear and leaves nothing; an oversized load leaves no partial image`, async () => {
    const engineRoot = small;
    engine = await Engine.open({ root: engineRoot });
    await loadBusybox(engine, dir);
    // Incompressible content, so that each copy-up really takes its size.
    const blobLayer = await layerTar([
      { type: 'dir', path: 'data' },
      { type: 'file', path: 'data/blob', content: randomBytes(BLOB_BYTES) },
    ]);
    await engine.images.load(await writeImage(dir, 'filler:latest', [blobLayer], { Volumes: { '/data': {} } }));

    let failure: (Error & { code?: string }) | undefined;
    let created = 0;
    for (let i = 0; i < 40 && failure === undefined; i++) {
      const before = await stateOf(engine, engineRoot);
      try {
        await engine.containers.create({ name: `fill-${i}`, config: { Image: 'filler:latest' }, hostConfig: { Binds: [`fill-vol-${i}:/data`] } });
        created++;
      } catch (e) {
        failure = e as Error & { code?: string };
        expect(await stateOf(engine, engineRoot)).toEqual(before);
      }
    }
    expect(created).toBeGreaterThan(0);
    expect(failure).toBeDefined();
    const text = `${failure?.code ?? ''} ${failure?.message ?? ''}`;
    expect(text).toMatch(/ENOSPC|no space left on device/i);

    // Bigger than the whole tmpfs, so it cannot fit whatever is free.
    const huge = await writeImage(dir, 'huge:latest', [await layerTar([{ type: 'file', path: 'huge.bin', content: randomBytes(32 * 1024 * 1024) }])], {});
    const beforeLoad = await stateOf(engine, engineRoot);
    const loadError = await engine.images.load(huge).then(
      () => new Error('loaded'),
      (e: Error & { code?: string }) => e,
    );
    expect(`${(loadError as { code?: string }).code ?? ''} ${loadError.message}`).toMatch(/ENOSPC|no space left on device/i);
    expect(await stateOf(engine, engineRoot)).toEqual(beforeLoad);
    expect(() => engine?.images.inspect('huge:latest')).toThrow();

    // Space freed, the engine works again.
    for (let i = 0; i < created; i++) await engine.containers.remove(`fill-${i}`);
    const again = await engine.containers.create({ name: 'after-full', config: { Image: 'filler:latest' }, hostConfig: { Binds: ['fill-vol-0:/data'] } });
    await engine.containers.remove(again.Id);
    await engine.close();
    engine = undefined;
  });

  test(`${MANY} containers do not grow the open file descriptors`, async () => {
    const engineRoot = path.join(dir, 'many');
    engine = await Engine.open({ root: engineRoot });
    await loadBusybox(engine, dir);
    const live = engine;
    // Warm-up: whatever the first creates open once (the link database, caches) is not a leak.
    for (let i = 0; i < 10; i++) await live.containers.create({ name: `warm-${i}`, config: { Image: 'busybox' } });
    const before = openFds();
    const workers = 4;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let i = w; i < MANY; i += workers) {
          await live.containers.create({ name: `many-${i}`, config: { Image: 'busybox' }, hostConfig: i % 10 === 0 ? { Binds: [`/anon-${i}`] } : {} });
        }
      }),
    );
    const after = openFds();
    expect(live.containers.list({ all: true })).toHaveLength(MANY + 10);
    // A leak of one descriptor per container would add a thousand; a few for libuv's pool are not one.
    expect(after - before).toBeLessThan(16);
    await engine.close();
    engine = undefined;
  }, 600_000);
});
