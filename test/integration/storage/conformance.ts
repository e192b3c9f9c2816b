// One conformance suite for every graph driver: each driver's test file calls
// graphDriverConformance() with a way to open it, and the same behaviour is
// demanded of all of them on real mounts in a fresh temp root.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as native from '../../../src/native';
import type { GraphDriver } from '../../../src/storage/driver';
import { INIT_DIRS, INIT_FILES, initLayerOps } from '../../../src/storage/initlayer';
import { opaqueOps, whiteoutOps } from '../../../src/storage/whiteout';
import { destroyTempRoot, makeTempRoot, mountPointsUnder, snapshotTree } from '../../support/temp-root';

export interface DriverUnderTest {
  name: string;
  open(root: string): Promise<GraphDriver>;
  /** Leaves in the driver's home what a process killed mid-create or mid-remove would leave. */
  plantCrashDebris(driver: GraphDriver): Promise<void>;
  /** Paths under the home that hold no layer; after recovery only these (and layers) remain. */
  isDebris(relPath: string): boolean;
  /** Why this driver cannot run here, or null (decided when the suite is defined). */
  skipReason(): string | null;
}

const S_IFMT = 0o170000;

async function writeInLayer(driver: GraphDriver, id: string, files: Record<string, string>): Promise<void> {
  await native.batch(
    driver.diffPath(id),
    Object.entries(files).map(([p, data]) => ({ op: 'write' as const, path: p, data, mode: 0o644, parents: true })),
  );
}

/** Creates `count` stacked image layers, each with its own `/layer-<i>` file. */
async function makeChain(driver: GraphDriver, count: number, prefix = 'img'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${i}`;
    await driver.create(id, i === 0 ? null : ids[i - 1]);
    await writeInLayer(driver, id, { [`/layer-${i}`]: String(i) });
    ids.push(id);
  }
  return ids;
}

/** What a container create does to storage: `<id>-init` filled in one batch, then the RW layer. */
async function makeContainerLayers(driver: GraphDriver, id: string, image: string): Promise<void> {
  await driver.createReadWrite(`${id}-init`, image, { populate: initLayerOps() });
  await driver.createReadWrite(id, `${id}-init`);
}

/** Is `name` listed in /proc/filesystems (read when suites are defined)? */
export function kernelHasFilesystem(name: string): boolean {
  try {
    return readFileSync('/proc/filesystems', 'utf8')
      .split('\n')
      .some((line) => line.split('\t').pop() === name);
  } catch {
    return false;
  }
}

export function graphDriverConformance(dut: DriverUnderTest): void {
  const skip = dut.skipReason();
  if (skip) {
    // eslint-disable-next-line no-console
    console.warn(`SKIPPED graph driver conformance for ${dut.name}: ${skip}`);
  }
  (skip ? describe.skip : describe)(`graph driver conformance: ${dut.name}`, () => {
    let root = '';
    let driver: GraphDriver;

    beforeEach(async () => {
      root = makeTempRoot();
      driver = await dut.open(root);
    });

    afterEach(async () => {
      try {
        await driver.cleanup();
        expect(await mountPointsUnder(root)).toEqual([]);
      } finally {
        await destroyTempRoot(root);
      }
    });

    const it = (name: string, fn: () => Promise<void>, timeout?: number): void => test(name, fn, timeout);

    for (const depth of [1, 2, 64, 127]) {
      it(`a chain of ${depth} image layers plus init and RW layers mounts and shows every layer`, async () => {
        const ids = await makeChain(driver, depth);
        await makeContainerLayers(driver, 'ctr', ids[ids.length - 1]);
        const view = await driver.get('ctr');
        for (let i = 0; i < depth; i++) {
          expect(readFileSync(path.join(view, `layer-${i}`), 'utf8')).toBe(String(i));
        }
        expect(existsSync(path.join(view, '.dockerenv'))).toBe(true);
        writeFileSync(path.join(view, 'written-by-container'), 'rw');
        expect(existsSync(path.join(driver.diffPath('ctr'), 'written-by-container'))).toBe(true);
        expect(existsSync(path.join(driver.diffPath(ids[ids.length - 1]), 'written-by-container'))).toBe(false);
        expect(await driver.parent('ctr')).toBe('ctr-init');
        expect(await driver.parent('ctr-init')).toBe(ids[ids.length - 1]);
        expect(await driver.parent(ids[0])).toBeNull();
        await driver.put('ctr');
        expect(await mountPointsUnder(root)).toEqual([]);
      }, 300000);
    }

    it('counts references: two gets and one put leave the layer mounted', async () => {
      const [base] = await makeChain(driver, 1);
      await makeContainerLayers(driver, 'ctr', base);
      const first = await driver.get('ctr');
      const second = await driver.get('ctr');
      expect(second).toBe(first);
      expect((await driver.layerStatus('ctr')).references).toBe(2);
      const mountedWhileHeld = driver.mountsLayers ? [first] : [];
      expect(await mountPointsUnder(root)).toEqual(mountedWhileHeld);
      await driver.put('ctr');
      expect(await mountPointsUnder(root)).toEqual(mountedWhileHeld);
      expect(readFileSync(path.join(first, 'layer-0'), 'utf8')).toBe('0');
      await driver.put('ctr');
      expect(await mountPointsUnder(root)).toEqual([]);
      expect((await driver.layerStatus('ctr')).references).toBe(0);
      // A put beyond the last reference changes nothing.
      await driver.put('ctr');
      expect((await driver.layerStatus('ctr')).references).toBe(0);
    });

    it('concurrent gets of one layer mount it once', async () => {
      const [base] = await makeChain(driver, 1);
      await makeContainerLayers(driver, 'ctr', base);
      const paths = await Promise.all(Array.from({ length: 8 }, () => driver.get('ctr')));
      expect(new Set(paths).size).toBe(1);
      expect((await mountPointsUnder(root)).length).toBe(driver.mountsLayers ? 1 : 0);
      await Promise.all(paths.map(() => driver.put('ctr')));
      expect(await mountPointsUnder(root)).toEqual([]);
    });

    it('whiteouts and opaque directories hide lower entries through the mount', async () => {
      await driver.create('base', null);
      await writeInLayer(driver, 'base', {
        '/gone': 'deleted above',
        '/dir/old-1': 'hidden by opaque',
        '/dir/old-2': 'hidden by opaque',
        '/kept/file': 'still here',
      });
      await driver.create('top', 'base');
      await native.batch(driver.diffPath('top'), [
        ...whiteoutOps(driver.whiteoutFormat, '/gone'),
        { op: 'mkdir', path: '/dir', mode: 0o755, parents: true },
        ...opaqueOps(driver.whiteoutFormat, '/dir'),
        { op: 'write', path: '/dir/new', data: 'from top', mode: 0o644 },
      ]);
      await makeContainerLayers(driver, 'ctr', 'top');
      const view = await driver.get('ctr');
      expect(existsSync(path.join(view, 'gone'))).toBe(false);
      expect(readdirSync(path.join(view, 'dir')).sort()).toEqual(['new']);
      expect(readFileSync(path.join(view, 'dir/new'), 'utf8')).toBe('from top');
      expect(readFileSync(path.join(view, 'kept/file'), 'utf8')).toBe('still here');
      // Nothing of the whiteout machinery shows through.
      expect(readdirSync(view).filter((n) => n.startsWith('.wh.'))).toEqual([]);
      await driver.put('ctr');
    });

    it("builds the init layer from the seed's list, with Docker's modes, keeping what the image has", async () => {
      await driver.create('base', null);
      await writeInLayer(driver, 'base', { '/etc/hosts': '127.0.0.1 image-hosts\n' });
      await makeContainerLayers(driver, 'ctr', 'base');
      const view = await driver.get('ctr');
      for (const dir of INIT_DIRS) {
        const st = statSync(path.join(view, dir));
        expect(st.isDirectory()).toBe(true);
        expect(st.mode & 0o7777).toBe(0o755);
        expect([st.uid, st.gid]).toEqual([0, 0]);
      }
      for (const file of INIT_FILES) {
        const st = lstatSync(path.join(view, file));
        expect(st.isFile()).toBe(true);
        if (file === '/etc/hosts') continue;
        expect(st.size).toBe(0);
        expect(st.mode & 0o7777).toBe(0o755);
      }
      expect(readFileSync(path.join(view, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 image-hosts\n');
      expect(lstatSync(path.join(view, 'etc/mtab')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(path.join(view, 'etc/mtab'))).toBe('/proc/mounts');
      // The entries belong to the init layer, not to the image or the RW layer.
      if (driver.whiteoutFormat !== 'none') {
        expect(existsSync(path.join(driver.diffPath('ctr-init'), '.dockerenv'))).toBe(true);
        expect(existsSync(path.join(driver.diffPath('base'), '.dockerenv'))).toBe(false);
        expect(readdirSync(driver.diffPath('ctr'))).toEqual([]);
      }
      await driver.put('ctr');
    });

    it('gives every container of an image the same init layer, and follows changes to the image', async () => {
      await driver.create('base', null);
      await writeInLayer(driver, 'base', { '/etc/os-release': 'demo\n' });
      await makeContainerLayers(driver, 'first', 'base');
      await makeContainerLayers(driver, 'second', 'base');
      expect(await snapshotTree(driver.diffPath('second-init'))).toEqual(await snapshotTree(driver.diffPath('first-init')));
      expect(await snapshotTree(driver.diffPath('second-init'))).toContain('f etc/hostname');
      for (const id of ['first', 'second']) {
        const view = await driver.get(id);
        expect(readFileSync(path.join(view, 'etc/os-release'), 'utf8')).toBe('demo\n');
        expect(lstatSync(path.join(view, 'etc/hostname')).isFile()).toBe(true);
        await driver.put(id);
      }
      // The image gains /etc/hostname through a mount of its own: a later init layer must keep it.
      const imageView = await driver.get('base');
      writeFileSync(path.join(imageView, 'etc/hostname'), 'from-image\n');
      await driver.put('base');
      await makeContainerLayers(driver, 'third', 'base');
      const view = await driver.get('third');
      expect(readFileSync(path.join(view, 'etc/hostname'), 'utf8')).toBe('from-image\n');
      if (driver.whiteoutFormat !== 'none') {
        expect(existsSync(path.join(driver.diffPath('third-init'), 'etc/hostname'))).toBe(false);
      }
      await driver.put('third');
    });

    for (const [label, target] of [
      ['/', '/'],
      ['../../..', '../../..'],
    ] as const) {
      it(`keeps the init layer inside the layer when the image's /etc is a symlink to ${label}`, async () => {
        await driver.create('evil', null);
        await native.batch(driver.diffPath('evil'), [{ op: 'symlink', path: '/etc', target }]);
        const hostHostname = readFileSync('/etc/hostname');
        const hostHostnameMtime = statSync('/etc/hostname').mtimeMs;
        const before = await snapshotTree(root);
        await makeContainerLayers(driver, 'ctr', 'evil');
        // Host files are untouched, and nothing landed beside the driver's home.
        expect(readFileSync('/etc/hostname')).toEqual(hostHostname);
        expect(statSync('/etc/hostname').mtimeMs).toBe(hostHostnameMtime);
        for (const leaked of ['hosts', 'hostname', 'resolv.conf', 'mtab']) {
          expect(existsSync(path.join(root, leaked))).toBe(false);
          expect(existsSync(path.join(path.dirname(driver.home), leaked))).toBe(false);
        }
        const outside = (await snapshotTree(root)).filter((p) => !p.includes(path.basename(driver.home)));
        expect(outside).toEqual(before.filter((p) => !p.includes(path.basename(driver.home))));
        // Inside the container, /etc still resolves to its root, where the files now are.
        const view = await driver.get('ctr');
        expect(lstatSync(path.join(view, 'etc')).isSymbolicLink()).toBe(true);
        expect(lstatSync(path.join(view, 'hosts')).isFile()).toBe(true);
        expect(readlinkSync(path.join(view, 'mtab'))).toBe('/proc/mounts');
        await driver.put('ctr');
      });
    }

    it('removes layers completely and leaves the home as it found it', async () => {
      const fresh = await snapshotTree(driver.home);
      const ids = await makeChain(driver, 3);
      await makeContainerLayers(driver, 'ctr', ids[2]);
      await driver.get('ctr');
      await driver.put('ctr');
      for (const id of ['ctr', 'ctr-init', ...ids.reverse()]) {
        await driver.remove(id);
        expect(await driver.exists(id)).toBe(false);
      }
      expect(await driver.list()).toEqual([]);
      expect(await snapshotTree(driver.home)).toEqual(fresh);
    });

    it('refuses unknown ids, missing parents, duplicates and removing a mounted layer, changing nothing', async () => {
      const [base] = await makeChain(driver, 1);
      await makeContainerLayers(driver, 'ctr', base);
      const view = await driver.get('ctr');
      const before = await snapshotTree(driver.home);
      await expect(driver.get('nope')).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('nope') });
      await expect(driver.put('nope')).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(driver.remove('nope')).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(driver.layerStatus('nope')).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(driver.create('orphan', 'no-such-parent')).rejects.toMatchObject({
        code: 'ENOENT',
        message: expect.stringContaining('no-such-parent'),
      });
      await expect(driver.createReadWrite(base, null)).rejects.toMatchObject({ code: 'EEXIST' });
      await expect(driver.create('../escape', null)).rejects.toMatchObject({ code: 'EINVAL' });
      if (driver.mountsLayers) {
        await expect(driver.remove('ctr')).rejects.toMatchObject({ code: 'EBUSY' });
      }
      // A populate step that fails takes the half-made layer with it.
      await expect(
        driver.createReadWrite('broken', base, { populate: [{ op: 'chown', path: '/does/not/exist', uid: 0, gid: 0 }] }),
      ).rejects.toMatchObject({ code: 'ENOENT', syscall: expect.any(String) });
      expect(await driver.exists('orphan')).toBe(false);
      expect(await driver.exists('broken')).toBe(false);
      expect(await snapshotTree(driver.home)).toEqual(before);
      expect(readFileSync(path.join(view, 'layer-0'), 'utf8')).toBe('0');
      await driver.put('ctr');
    });

    it('re-opens after a simulated crash: leftover mounts and half-made layers are swept, whole layers kept', async () => {
      const ids = await makeChain(driver, 2);
      await makeContainerLayers(driver, 'ctr', ids[1]);
      await driver.get('ctr');
      await dut.plantCrashDebris(driver);
      // The old driver "dies" without cleanup: its mount stays behind, as a killed process's would.
      const reopened = await dut.open(root);
      expect(await mountPointsUnder(root)).toEqual([]);
      const leftovers = (await snapshotTree(reopened.home)).map((p) => p.slice(2)).filter((p) => dut.isDebris(p));
      expect(leftovers).toEqual([]);
      expect((await reopened.list()).sort()).toEqual(['ctr', 'ctr-init', ...ids].sort());
      // A driver that has not read a layer yet still refuses to make it twice.
      await expect(reopened.createReadWrite('ctr-init', ids[1])).rejects.toMatchObject({ code: 'EEXIST' });
      const view = await reopened.get('ctr');
      expect(readFileSync(path.join(view, 'layer-1'), 'utf8')).toBe('1');
      expect(existsSync(path.join(view, 'etc/hostname'))).toBe(true);
      await reopened.put('ctr');
      driver = reopened;
    });

    it('fills a layer only through the batch: a populate op on a symlinked parent stays in the layer', async () => {
      const sentinel = path.join(root, 'host-sentinel');
      await fs.mkdir(sentinel);
      await driver.create('evil', null);
      await native.batch(driver.diffPath('evil'), [{ op: 'symlink', path: '/out', target: sentinel }]);
      await driver.createReadWrite('ctr', 'evil', {
        populate: [{ op: 'write', path: '/out/planted', data: 'x', mode: 0o644, parents: true }],
      });
      expect(readdirSync(sentinel)).toEqual([]);
      const view = await driver.get('ctr');
      expect(readFileSync(path.join(view, sentinel, 'planted'), 'utf8')).toBe('x');
      expect(lstatSync(path.join(view, 'out')).mode & S_IFMT).toBe(0o120000);
      await driver.put('ctr');
    });
  });
}
