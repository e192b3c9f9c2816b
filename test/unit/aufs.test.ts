// aufs without aufs: the kernels we test on lack it, so the pure parts (mount
// plan, layers file, /proc/filesystems) are tested directly, and the driver's
// bookkeeping runs over a simulated mount(2) that needs neither root nor aufs.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as native from '../../src/native';
import type { BatchOp } from '../../src/native';
import {
  AufsDriver,
  aufsMountOptions,
  aufsMountPlan,
  aufsSupported,
  filesystemListed,
  formatLayersFile,
  parseLayersFile,
} from '../../src/storage/aufs';
import type { AufsMountStep } from '../../src/storage/aufs';
import { backingFsName } from '../../src/storage/backing-fs';
import { StorageError } from '../../src/storage/driver';

interface MockState {
  /** Pretend /proc/filesystems lists aufs. */
  aufs: boolean;
  /** Simulated mounts: mount point -> its read-write branch. */
  mounted: Map<string, string>;
  /** Fail the n-th mount(2) call from now on (0 = the next one); -1 never. */
  failMount: number;
  statfsType: number;
}
const mockState: MockState = { aufs: false, mounted: new Map(), failMount: -1, statfsType: 0xef53 };

function mockErrno(code: string, syscall: string, target: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${target}'`), { code, syscall, path: target });
}

jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises');
  return {
    ...actual,
    readFile: jest.fn((file: unknown, ...rest: unknown[]) =>
      mockState.aufs && file === '/proc/filesystems'
        ? Promise.resolve('nodev\tsysfs\nnodev\taufs\n\text4\n')
        : (actual.readFile as (...args: unknown[]) => Promise<unknown>)(file, ...rest),
    ),
  };
});

// Writes through a simulated union land in its read-write branch, which is
// where aufs puts them; the lower branches are not consulted.
jest.mock('../../src/native', () => {
  const actual = jest.requireActual<typeof import('../../src/native')>('../../src/native');
  return {
    ...actual,
    mount: jest.fn(async (_source: string, target: string, _fstype: string, flags: number, data: string) => {
      if (mockState.failMount === 0) {
        mockState.failMount = -1;
        throw mockErrno('EINVAL', 'mount', target);
      }
      if (mockState.failMount > 0) mockState.failMount--;
      if (flags === 0) {
        const rw = /^br:([^=]*)=rw/.exec(data);
        mockState.mounted.set(target, rw ? rw[1] : target);
      } else if (!mockState.mounted.has(target)) {
        throw mockErrno('EINVAL', 'mount', target);
      }
    }),
    umount: jest.fn(async (target: string) => {
      if (!mockState.mounted.delete(target)) throw mockErrno('EINVAL', 'umount2', target);
    }),
    statfs: jest.fn(async () => ({
      type: mockState.statfsType,
      bsize: 4096,
      blocks: 0,
      bfree: 0,
      bavail: 0,
      files: 0,
      ffree: 0,
      namelen: 255,
    })),
    batch: jest.fn((root: string | number, ops: BatchOp[], options?: { walk?: boolean }) =>
      actual.batch(typeof root === 'string' ? (mockState.mounted.get(root) ?? root) : root, ops, options),
    ),
  };
});

const mountMock = jest.mocked(native.mount);
const umountMock = jest.mocked(native.umount);

const XINO = 'dio,xino=/dev/shm/aufs.xino';
const hex64 = (n: number): string => n.toString(16).padStart(64, '0');

/** The branches a plan stacks, top to bottom, read back out of its data strings. */
function branchesOf(plan: AufsMountStep[], extra: string): string[] {
  const [first, ...rest] = plan;
  expect(first.flags).toBe(0);
  expect(first.data.startsWith('br:')).toBe(true);
  const tail = extra ? `,${extra}` : '';
  expect(first.data.endsWith(tail)).toBe(true);
  const list = first.data.slice('br:'.length, first.data.length - tail.length).split(':');
  const branches = list.map((b, i) => {
    const perm = i === 0 ? '=rw' : '=ro+wh';
    expect(b.endsWith(perm)).toBe(true);
    return b.slice(0, -perm.length);
  });
  for (const step of rest) {
    expect(step.flags).toBe(native.MS_REMOUNT);
    for (const piece of step.data.split(',')) {
      expect(piece).toMatch(/^append:.*=ro\+wh$/);
      branches.push(piece.slice('append:'.length, -'=ro+wh'.length));
    }
  }
  return branches;
}

const bytes = (s: string): number => Buffer.byteLength(s);

describe('aufsMountPlan', () => {
  it('mounts a lone read-write branch in one call', () => {
    expect(aufsMountPlan('/var/lib/berth/aufs/diff/base', [], { pageSize: 4096, extra: XINO })).toEqual([
      { flags: 0, data: `br:/var/lib/berth/aufs/diff/base=rw,${XINO}` },
    ]);
  });

  it('adds no trailing comma without extra options', () => {
    expect(aufsMountPlan('/d/top', ['/d/p'], { pageSize: 4096 })).toEqual([{ flags: 0, data: 'br:/d/top=rw:/d/p=ro+wh' }]);
    expect(aufsMountPlan('/d/top', [], { pageSize: 4096, extra: ',dio' })[0].data).toBe('br:/d/top=rw,dio');
  });

  it('writes Docker\'s branch syntax, read-write first, in the given order', () => {
    expect(aufsMountPlan('/d/top', ['/d/p1', '/d/p2', '/d/p3'], { pageSize: 4096, extra: XINO })).toEqual([
      { flags: 0, data: `br:/d/top=rw:/d/p1=ro+wh:/d/p2=ro+wh:/d/p3=ro+wh,${XINO}` },
    ]);
  });

  it('appends 127 long read-only branches with remounts that each fit a page', () => {
    const home = '/var/lib/berth-with-a-rather-long-root-directory-name/aufs/diff';
    const rw = `${home}/${hex64(999)}-init`;
    const ro = Array.from({ length: 127 }, (_, i) => `${home}/${hex64(i)}`);
    const extra = `${XINO},dirperm1`;
    const plan = aufsMountPlan(rw, ro, { pageSize: 4096, extra });

    expect(plan.length).toBeGreaterThan(2);
    for (const step of plan) expect(bytes(step.data)).toBeLessThan(4096);
    expect(branchesOf(plan, extra)).toEqual([rw, ...ro]);
    // The options belong to the first mount, once.
    expect(plan.filter((s) => s.data.includes('dirperm1'))).toHaveLength(1);
  });

  it('fills each call before starting the next (no call could take one more branch)', () => {
    const ro = Array.from({ length: 127 }, (_, i) => `/long/${'x'.repeat(i % 50)}/${hex64(i)}`);
    const plan = aufsMountPlan('/rw', ro, { pageSize: 4096, extra: XINO });
    const all = branchesOf(plan, XINO);
    let taken = 1;
    for (const [i, step] of plan.entries()) {
      const count = i === 0 ? step.data.split(':').length - 2 : step.data.split(',').length;
      taken += count;
      if (i === plan.length - 1) break;
      const following = all[taken];
      const grown =
        i === 0 ? bytes(step.data) + bytes(`:${following}=ro+wh`) : bytes(step.data) + bytes(`,append:${following}=ro+wh`);
      expect(grown).toBeGreaterThan(4095);
    }
    expect(taken).toBe(128);
  });

  it('keeps every call under the page for any page size and mixed lengths', () => {
    // Deterministic lengths: a little LCG, so a failure is reproducible.
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (const pageSize of [256, 512, 1024, 4096, 16384, 65536]) {
      const ro = Array.from({ length: 127 }, (_, i) => `/b${i}/${'y'.repeat(next() % Math.min(150, pageSize / 4))}`);
      const plan = aufsMountPlan('/top', ro, { pageSize, extra: 'dio' });
      for (const step of plan) expect(bytes(step.data)).toBeLessThanOrEqual(pageSize - 1);
      expect(branchesOf(plan, 'dio')).toEqual(['/top', ...ro]);
    }
  });

  it('uses the last byte before the kernel\'s NUL and not one more', () => {
    const rwFor = (total: number): string => `/${'r'.repeat(total - 'br:/=rw'.length)}`;
    const fits = aufsMountPlan(rwFor(255), [], { pageSize: 256 });
    expect(bytes(fits[0].data)).toBe(255);
    expect(() => aufsMountPlan(rwFor(256), [], { pageSize: 256 })).toThrow(/read-write branch/);
  });

  it('counts bytes, not UTF-16 units', () => {
    const ro = Array.from({ length: 40 }, (_, i) => `/é/${'ü'.repeat(20)}${i}`);
    const plan = aufsMountPlan('/top', ro, { pageSize: 512 });
    for (const step of plan) expect(bytes(step.data)).toBeLessThan(512);
    expect(branchesOf(plan, '')).toEqual(['/top', ...ro]);
  });

  it('refuses a branch that cannot fit even alone in a remount', () => {
    const huge = `/${'z'.repeat(300)}`;
    const call = (): AufsMountStep[] => aufsMountPlan('/top', ['/p', huge], { pageSize: 256, extra: XINO });
    expect(call).toThrow(StorageError);
    expect(call).toThrow(new RegExp(`appending branch ${huge}.*limit is 255`));
  });

  it('refuses a read-write branch and options that overflow the first call', () => {
    expect(() => aufsMountPlan(`/${'a'.repeat(4090)}`, [], { pageSize: 4096, extra: XINO })).toThrow(
      /aufs mount data too large: the read-write branch/,
    );
  });

  it.each([
    ['relative', 'diff/x'],
    ['comma', '/d/a,b'],
    ['colon', '/d/a:b'],
    ['equals', '/d/a=b'],
    ['newline', '/d/a\nb'],
  ])('refuses a branch path with a %s', (_what, bad) => {
    expect(() => aufsMountPlan('/top', [bad], { pageSize: 4096 })).toThrow(StorageError);
    expect(() => aufsMountPlan(bad, [], { pageSize: 4096 })).toThrow(StorageError);
  });

  it('refuses a nonsense page size', () => {
    for (const pageSize of [0, -4096, 4096.5, Number.NaN]) {
      expect(() => aufsMountPlan('/top', [], { pageSize })).toThrow(/invalid page size/);
    }
  });
});

describe('aufsMountOptions', () => {
  it('gives Docker\'s options in Docker\'s order', () => {
    expect(aufsMountOptions()).toBe('dio,xino=/dev/shm/aufs.xino');
    expect(aufsMountOptions({ dirperm1: true })).toBe('dio,xino=/dev/shm/aufs.xino,dirperm1');
    expect(aufsMountOptions({ xino: '/run/berth/aufs.xino', dirperm1: false })).toBe('dio,xino=/run/berth/aufs.xino');
  });

  it('refuses an xino path that would split the options', () => {
    expect(() => aufsMountOptions({ xino: '/tmp/a,b' })).toThrow(StorageError);
  });
});

describe('layers file', () => {
  it('is empty for a base layer', () => {
    expect(formatLayersFile([])).toBe('');
    expect(parseLayersFile('')).toEqual([]);
  });

  it('lists the parent, then every ancestor, one per line', () => {
    expect(formatLayersFile(['parent', 'grandparent', 'root'])).toBe('parent\ngrandparent\nroot\n');
  });

  it('reads back what it writes', () => {
    const chain = [hex64(3), `${hex64(2)}-init`, hex64(1)];
    expect(parseLayersFile(formatLayersFile(chain))).toEqual(chain);
  });

  it('skips blank lines and stray whitespace, as Docker\'s reader does', () => {
    expect(parseLayersFile('a\n\nb\r\n  c  \n\n')).toEqual(['a', 'b', 'c']);
  });

  it('refuses entries that are not layer ids, naming the file', () => {
    const call = (): string[] => parseLayersFile('good\n../../etc\n', '/x/layers/top');
    expect(call).toThrow(StorageError);
    expect(call).toThrow(/corrupt aufs \/x\/layers\/top: "..\/..\/etc" is not a layer id/);
    expect(() => formatLayersFile(['ok', 'not/ok'])).toThrow(StorageError);
  });
});

describe('/proc/filesystems and statfs', () => {
  const sample = 'nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n\tfuseblk\n';

  it('finds whole filesystem names only', () => {
    expect(filesystemListed(sample, 'ext4')).toBe(true);
    expect(filesystemListed(sample, 'overlay')).toBe(true);
    expect(filesystemListed(sample, 'aufs')).toBe(false);
    expect(filesystemListed(sample, 'fuse')).toBe(false);
    expect(filesystemListed(`${sample}nodev\taufs\n`, 'aufs')).toBe(true);
  });

  it('names backing filesystems as Docker does', () => {
    expect(backingFsName(0xef53)).toBe('extfs');
    expect(backingFsName(0x58465342)).toBe('xfs');
    expect(backingFsName(0x9123683e | 0)).toBe('btrfs');
    expect(backingFsName(0x1234)).toBe('0x1234');
  });
});

describe('on this kernel', () => {
  const kernelHasAufs = filesystemListed(readFileSync('/proc/filesystems', 'utf8'), 'aufs');

  it('reports aufs support as /proc/filesystems does', async () => {
    expect(await aufsSupported()).toBe(kernelHasAufs);
  });

  (kernelHasAufs ? it.skip : it)('refuses to open without aufs, clearly, and writes nothing', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-aufs-'));
    try {
      const opening = AufsDriver.open(root);
      await expect(opening).rejects.toThrow(StorageError);
      await expect(opening).rejects.toThrow(/aufs is not supported by this kernel/);
      expect(await fs.readdir(root)).toEqual([]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe('AufsDriver over a simulated aufs', () => {
  let root: string;
  let home: string;

  beforeEach(async () => {
    mockState.aufs = true;
    mockState.mounted.clear();
    mockState.failMount = -1;
    mockState.statfsType = 0xef53;
    mountMock.mockClear();
    umountMock.mockClear();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-aufs-'));
    home = path.join(root, 'aufs');
  });

  afterEach(async () => {
    mockState.aufs = false;
    await fs.rm(root, { recursive: true, force: true });
  });

  const open = (dirperm1 = false): Promise<AufsDriver> => AufsDriver.open(root, { dirperm1 });
  const ls = async (sub: string): Promise<string[]> => (await fs.readdir(path.join(home, sub))).sort();
  const layersText = (id: string): Promise<string> => fs.readFile(path.join(home, 'layers', id), 'utf8');
  const expectCode = async (p: Promise<unknown>, code: string, message?: RegExp): Promise<void> => {
    await expect(p).rejects.toBeInstanceOf(StorageError);
    await expect(p).rejects.toMatchObject({ code });
    if (message) await expect(p).rejects.toThrow(message);
  };

  it('opens with Docker\'s layout and describes itself', async () => {
    const driver = await open();
    expect(await ls('.')).toEqual(['diff', 'layers', 'mnt']);
    expect(driver.name).toBe('aufs');
    expect(driver.home).toBe(home);
    expect(driver.whiteoutFormat).toBe('aufs');
    expect(driver.mountsLayers).toBe(true);
    expect(driver.status()).toEqual([
      ['Root Dir', home],
      ['Backing Filesystem', 'extfs'],
      ['Dirs', '0'],
      ['Dirperm1 Supported', 'false'],
    ]);
    expect(mountMock).not.toHaveBeenCalled();
  });

  it('probes dirperm1 when not told, and leaves nothing of the probe', async () => {
    const driver = await AufsDriver.open(root);
    expect(mountMock).toHaveBeenCalledTimes(1);
    const [source, target, fstype, flags, data] = mountMock.mock.calls[0];
    expect([source, fstype, flags]).toEqual(['none', 'aufs', 0]);
    expect(data).toMatch(/^br:.*\/diff\/\.staging-[0-9a-f]+=rw,dirperm1,xino=\/dev\/shm\/aufs\.xino$/);
    expect(umountMock).toHaveBeenCalledWith(target, native.MNT_DETACH);
    expect(driver.status()).toContainEqual(['Dirperm1 Supported', 'true']);
    expect([...(await ls('diff')), ...(await ls('mnt'))]).toEqual([]);

    await driver.create('base', null);
    await driver.get('base');
    expect(mountMock.mock.calls[1][4]).toBe(`br:${home}/diff/base=rw,${XINO},dirperm1`);
    await driver.put('base');
  });

  it('goes without dirperm1 where the probe mount fails', async () => {
    mockState.failMount = 0;
    const driver = await AufsDriver.open(root);
    expect(driver.status()).toContainEqual(['Dirperm1 Supported', 'false']);
    expect([...(await ls('diff')), ...(await ls('mnt'))]).toEqual([]);
  });

  it('refuses backing filesystems aufs cannot stack on', async () => {
    mockState.statfsType = 0x9123683e;
    await expectCode(open(), 'EINVAL', /aufs is not supported over btrfs/);
  });

  it('creates layers with their ancestry in layers/<id>', async () => {
    const driver = await open();
    await driver.create('base', null);
    await driver.create('mid', 'base');
    await driver.createReadWrite('top', 'mid');

    expect(await layersText('base')).toBe('');
    expect(await layersText('mid')).toBe('base\n');
    expect(await layersText('top')).toBe('mid\nbase\n');
    expect(await ls('diff')).toEqual(['base', 'mid', 'top']);
    expect(await ls('layers')).toEqual(['base', 'mid', 'top']);
    expect(await ls('mnt')).toEqual(['base', 'mid', 'top']);
    expect(await driver.list()).toEqual(['base', 'mid', 'top']);
    expect(await driver.parent('top')).toBe('mid');
    expect(await driver.parent('base')).toBeNull();
    expect(await driver.ancestors('top')).toEqual(['mid', 'base']);
    expect(await driver.exists('mid')).toBe(true);
    expect(await driver.exists('nope')).toBe(false);
    expect(driver.diffPath('top')).toBe(path.join(home, 'diff', 'top'));
    expect(driver.status()).toContainEqual(['Dirs', '3']);
    expect(await driver.layerStatus('top')).toEqual({ id: 'top', parent: 'mid', mounted: false, references: 0 });
    expect(mountMock).not.toHaveBeenCalled();
  });

  it('refuses a taken id, an unknown parent and a bad id, leaving nothing behind', async () => {
    const driver = await open();
    await driver.create('base', null);
    await expectCode(driver.create('base', null), 'EEXIST', /layer already exists: base/);
    await expectCode(driver.create('child', 'ghost'), 'ENOENT', /layer does not exist: ghost/);
    await expect(driver.create('../escape', null)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(driver.create('ok', '../escape')).rejects.toMatchObject({ code: 'EINVAL' });
    expect(await ls('diff')).toEqual(['base']);
    expect(await ls('layers')).toEqual(['base']);
    expect(await ls('mnt')).toEqual(['base']);
    expect(() => driver.diffPath('a/b')).toThrow(StorageError);
  });

  it('populates a base layer straight in its diff, without mounting', async () => {
    const driver = await open();
    await driver.create('base', null, {
      populate: [{ op: 'mkdir', path: '/etc', mode: 0o755 }, { op: 'write', path: '/etc/hostname', data: 'box\n', mode: 0o644 }],
    });
    expect(await fs.readFile(path.join(driver.diffPath('base'), 'etc/hostname'), 'utf8')).toBe('box\n');
    expect(mountMock).not.toHaveBeenCalled();
  });

  it('populates a layer with parents through a mount of its staging diff', async () => {
    const driver = await open();
    await driver.create('base', null);
    await driver.create('mid', 'base');
    await driver.createReadWrite('top-init', 'mid', {
      populate: [{ op: 'mkdir', path: '/dev/pts', mode: 0o755, parents: true }, { op: 'file', path: '/.dockerenv', mode: 0o755 }],
    });

    expect(mountMock).toHaveBeenCalledTimes(1);
    const [source, target, fstype, flags, data] = mountMock.mock.calls[0];
    expect(path.dirname(target)).toBe(path.join(home, 'mnt'));
    expect(path.basename(target)).toMatch(/^\.staging-/);
    expect([source, fstype, flags]).toEqual(['none', 'aufs', 0]);
    const staging = path.join(home, 'diff', path.basename(target));
    expect(data).toBe(`br:${staging}=rw:${home}/diff/mid=ro+wh:${home}/diff/base=ro+wh,${XINO}`);
    expect(umountMock).toHaveBeenCalledWith(target, native.MNT_DETACH);
    expect(mockState.mounted.size).toBe(0);

    const diff = driver.diffPath('top-init');
    expect((await fs.stat(path.join(diff, 'dev/pts'))).isDirectory()).toBe(true);
    expect((await fs.stat(path.join(diff, '.dockerenv'))).isFile()).toBe(true);
    expect(await ls('diff')).toEqual(['base', 'mid', 'top-init']);
    expect(await ls('mnt')).toEqual(['base', 'mid', 'top-init']);
  });

  it('takes everything back when populating fails', async () => {
    const driver = await open();
    await driver.create('base', null);
    const failing: BatchOp[] = [
      { op: 'mkdir', path: '/made', mode: 0o755 },
      { op: 'chmod', path: '/missing', mode: 0o755 },
    ];
    await expect(driver.create('child', 'base', { populate: failing })).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(driver.create('other', null, { populate: failing })).rejects.toMatchObject({ code: 'ENOENT' });

    expect(mockState.mounted.size).toBe(0);
    expect(await ls('diff')).toEqual(['base']);
    expect(await ls('layers')).toEqual(['base']);
    expect(await ls('mnt')).toEqual(['base']);
    expect(await driver.exists('child')).toBe(false);
    // The failed child no longer holds its parent.
    await driver.remove('base');
  });

  it('mounts once per layer and unmounts on the last put', async () => {
    const driver = await open();
    await driver.create('base', null);
    await driver.createReadWrite('rw', 'base');

    const mnt = path.join(home, 'mnt', 'rw');
    expect(await driver.get('rw')).toBe(mnt);
    expect(await driver.get('rw')).toBe(mnt);
    expect(mountMock).toHaveBeenCalledTimes(1);
    expect(mountMock).toHaveBeenCalledWith('none', mnt, 'aufs', 0, `br:${home}/diff/rw=rw:${home}/diff/base=ro+wh,${XINO}`);
    expect(await driver.layerStatus('rw')).toEqual({ id: 'rw', parent: 'base', mounted: true, references: 2 });

    await driver.put('rw');
    expect(umountMock).not.toHaveBeenCalled();
    await driver.put('rw');
    expect(umountMock).toHaveBeenCalledWith(mnt, native.MNT_DETACH);
    expect(await driver.layerStatus('rw')).toEqual({ id: 'rw', parent: 'base', mounted: false, references: 0 });
    await driver.put('rw');
    expect(umountMock).toHaveBeenCalledTimes(1);
  });

  it('mounts a base layer as a single read-write branch', async () => {
    const driver = await open();
    await driver.create('base', null);
    expect(await driver.get('base')).toBe(path.join(home, 'mnt', 'base'));
    expect(mountMock).toHaveBeenCalledWith('none', path.join(home, 'mnt', 'base'), 'aufs', 0, `br:${home}/diff/base=rw,${XINO}`);
    await driver.put('base');
  });

  it('appends the branches of a deep layer with remounts', async () => {
    const driver = await open();
    const ids = Array.from({ length: 127 }, (_, i) => `${hex64(i)}${hex64(i)}`);
    let parent: string | null = null;
    for (const id of ids) {
      await driver.create(id, parent);
      parent = id;
    }
    await driver.createReadWrite('top', parent);
    expect((await layersText('top')).split('\n').filter(Boolean)).toEqual([...ids].reverse());

    await driver.get('top');
    const calls = mountMock.mock.calls;
    expect(calls.length).toBeGreaterThan(3);
    const plan = calls.map(([, target, , flags, data]) => {
      expect(target).toBe(path.join(home, 'mnt', 'top'));
      return { flags, data };
    });
    const diffs = (list: string[]): string[] => list.map((id) => path.join(home, 'diff', id));
    expect(branchesOf(plan, XINO)).toEqual(diffs(['top', ...[...ids].reverse()]));
    await driver.put('top');
    expect(mockState.mounted.size).toBe(0);
  });

  it('unmounts a half-made mount when a remount fails', async () => {
    const driver = await open();
    let parent: string | null = null;
    for (let i = 0; i < 60; i++) {
      await driver.create(`layer-${i}-${hex64(i)}`, parent);
      parent = `layer-${i}-${hex64(i)}`;
    }
    mockState.failMount = 1;
    await expect(driver.get(parent as string)).rejects.toMatchObject({ code: 'EINVAL' });
    expect(mockState.mounted.size).toBe(0);
    expect(await driver.layerStatus(parent as string)).toMatchObject({ mounted: false, references: 0 });
  });

  it('refuses get, put, remove and status of unknown layers', async () => {
    const driver = await open();
    await expectCode(driver.get('ghost'), 'ENOENT', /ghost/);
    await expectCode(driver.put('ghost'), 'ENOENT');
    await expectCode(driver.remove('ghost'), 'ENOENT', /layer does not exist: ghost/);
    await expectCode(driver.layerStatus('ghost'), 'ENOENT');
    await expectCode(driver.parent('ghost'), 'ENOENT');
  });

  it('removes a layer only when nothing mounts it or stands on it', async () => {
    const driver = await open();
    await driver.create('base', null);
    await driver.create('child', 'base');

    await expectCode(driver.remove('base'), 'EBUSY', /1 layer\(s\) stand on it/);
    await driver.get('child');
    await expectCode(driver.remove('child'), 'EBUSY', /mounted/);
    await driver.put('child');

    await driver.remove('child');
    expect(await driver.exists('child')).toBe(false);
    await driver.remove('base');
    expect(await driver.list()).toEqual([]);
    expect(driver.status()).toContainEqual(['Dirs', '0']);
    expect([...(await ls('diff')), ...(await ls('layers')), ...(await ls('mnt'))]).toEqual([]);
    await expectCode(driver.remove('base'), 'ENOENT');
  });

  it('does not let a parent go while a child of it is being created', async () => {
    const driver = await open();
    await driver.create('base', null);
    const creating = driver.create('child', 'base', { populate: [{ op: 'file', path: '/f', mode: 0o644 }] });
    await expectCode(driver.remove('base'), 'EBUSY');
    await creating;
    expect(await driver.parent('child')).toBe('base');
  });

  it('unmounts everything it counted on cleanup', async () => {
    const driver = await open();
    await driver.create('a', null);
    await driver.create('b', 'a');
    await driver.get('a');
    await driver.get('b');
    await driver.get('b');
    await driver.cleanup();
    expect(mockState.mounted.size).toBe(0);
    expect(await driver.layerStatus('b')).toMatchObject({ mounted: false, references: 0 });
  });

  it('sweeps what a crash left behind when it opens', async () => {
    const first = await open();
    await first.create('base', null);
    await first.create('child', 'base');

    const put = (rel: string, data = ''): Promise<void> => fs.writeFile(path.join(home, rel), data);
    const dir = (rel: string): Promise<string | undefined> => fs.mkdir(path.join(home, rel), { recursive: true });
    await dir('diff/.staging-0123/etc');
    await put('diff/.staging-0123/etc/hosts', 'x');
    await dir('diff/.removing-4567/usr/bin');
    await dir('mnt/.staging-0123');
    await put('layers/half-made', 'base\n');
    await dir('mnt/half-made');
    await put('layers/.berth-tmp-half-made-1-0', 'base\n');
    // Not this driver's state: kept, but not a layer.
    await dir('diff/foreign');

    const second = await open();
    expect(await ls('diff')).toEqual(['base', 'child', 'foreign']);
    expect(await ls('layers')).toEqual(['base', 'child']);
    expect(await ls('mnt')).toEqual(['base', 'child']);
    expect(await second.list()).toEqual(['base', 'child']);
    expect(await second.parent('child')).toBe('base');
    await expectCode(second.remove('base'), 'EBUSY', /stand on it/);
  });

  it('refuses to open over a corrupt layers file', async () => {
    const first = await open();
    await first.create('base', null);
    await fs.writeFile(path.join(home, 'layers', 'base'), '../../etc\n');
    await expectCode(open(), 'EINVAL', /corrupt aufs/);
  });
});
