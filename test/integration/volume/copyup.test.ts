// Resolving paths inside a hostile root filesystem, and copying image
// content into a fresh volume without ever leaving the root or the volume.
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../../../src/errors';
import { getxattr, setxattr } from '../../../src/native';
import { copyUp } from '../../../src/volume/copyup';
import { resolveInRoot } from '../../../src/volume/resolve';
import { describeAsRoot, destroyTempRoot, makeTempRoot, snapshotTree } from '../../support/temp-root';

describeAsRoot('resolveInRoot', () => {
  let top = '';
  let root = '';

  beforeEach(() => {
    top = makeTempRoot();
    root = path.join(top, 'rootfs');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    mkdirSync(path.join(root, 'deep', 'er'), { recursive: true });
    writeFileSync(path.join(root, 'file'), 'x');
    // The host directory a hostile link would like to reach.
    mkdirSync(path.join(top, 'etc'));
  });

  afterEach(async () => {
    await destroyTempRoot(top);
  });

  const inRoot = (...parts: string[]): string => path.join(root, ...parts);

  test('plain paths, "." and ".." clamped at the root', async () => {
    expect(await resolveInRoot(root, '/')).toBe(root);
    expect(await resolveInRoot(root, '')).toBe(root);
    expect(await resolveInRoot(root, '/etc')).toBe(inRoot('etc'));
    expect(await resolveInRoot(root, 'etc/./')).toBe(inRoot('etc'));
    expect(await resolveInRoot(root, '/../../..')).toBe(root);
    expect(await resolveInRoot(root, '/../../etc/../../x')).toBe(inRoot('x'));
    expect(await resolveInRoot(`${root}/`, '/etc')).toBe(inRoot('etc'));
  });

  test('an absolute link restarts at the root, its ".." stops there', async () => {
    symlinkSync('/../../etc', inRoot('a'));
    expect(await resolveInRoot(root, '/a')).toBe(inRoot('etc'));
    expect(await resolveInRoot(root, '/a/passwd')).toBe(inRoot('etc', 'passwd'));
    symlinkSync(path.join(top, 'etc'), inRoot('hostpath'));
    expect(await resolveInRoot(root, '/hostpath/x')).toBe(path.join(root, top, 'etc', 'x'));
  });

  test('a relative link climbing out lands on the root', async () => {
    symlinkSync('../../..', inRoot('b'));
    expect(await resolveInRoot(root, '/b')).toBe(root);
    expect(await resolveInRoot(root, '/b/etc')).toBe(inRoot('etc'));
    symlinkSync('../../../../../etc', inRoot('deep', 'er', 'up'));
    expect(await resolveInRoot(root, '/deep/er/up')).toBe(inRoot('etc'));
  });

  test('".." after a link applies to where the link led', async () => {
    symlinkSync('/deep/er', inRoot('p'));
    expect(await resolveInRoot(root, '/p/..')).toBe(inRoot('deep'));
    symlinkSync('er', inRoot('deep', 'rel'));
    expect(await resolveInRoot(root, '/deep/rel/../er')).toBe(inRoot('deep', 'er'));
  });

  test('missing components and components under a file are kept as written', async () => {
    expect(await resolveInRoot(root, '/nope/a/../b')).toBe(inRoot('nope', 'b'));
    expect(await resolveInRoot(root, '/file/x')).toBe(inRoot('file', 'x'));
    symlinkSync('/missing/target', inRoot('dangling'));
    expect(await resolveInRoot(root, '/dangling/y')).toBe(inRoot('missing', 'target', 'y'));
  });

  test('a link inside a missing-looking path is still followed', async () => {
    // "nope" does not exist, but after ".." the walk is back on real ground.
    symlinkSync('/../..', inRoot('etc', 'escape'));
    expect(await resolveInRoot(root, '/nope/../etc/escape/x')).toBe(inRoot('x'));
  });

  test('loops end in ELOOP', async () => {
    symlinkSync('self', inRoot('self'));
    symlinkSync('l2', inRoot('l1'));
    symlinkSync('/l1', inRoot('l2'));
    await expect(resolveInRoot(root, '/self')).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(resolveInRoot(root, '/l1/x')).rejects.toMatchObject({ code: 'ELOOP' });
  });

  test('255 links are followed, the 256th is refused', async () => {
    mkdirSync(inRoot('chain'));
    for (let i = 0; i < 256; i++) symlinkSync(`c${i + 1}`, inRoot('chain', `c${i}`));
    mkdirSync(inRoot('chain', 'c256'));
    // From c1: 255 links to reach c256.
    expect(await resolveInRoot(root, '/chain/c1')).toBe(inRoot('chain', 'c256'));
    await expect(resolveInRoot(root, '/chain/c0')).rejects.toMatchObject({ code: 'ELOOP' });
  });

  test('whatever the links say, the answer stays under the root', async () => {
    const targets = ['/', '..', '../..', '/../../..', `${top}`, '../etc', '/deep/../..', 'x/../../../..', '//etc', '../../../etc/passwd'];
    targets.forEach((target, i) => symlinkSync(target, inRoot(`h${i}`)));
    for (let i = 0; i < targets.length; i++) {
      for (const suffix of ['', '/..', '/../..', '/etc', `/h${(i + 1) % targets.length}/..`]) {
        const resolved = await resolveInRoot(root, `/h${i}${suffix}`);
        expect(resolved === root || resolved.startsWith(`${root}/`)).toBe(true);
      }
    }
  });
});

describeAsRoot('copyUp', () => {
  let top = '';
  let rootfs = '';
  let volumeData = '';
  let outside = '';

  beforeEach(() => {
    top = makeTempRoot();
    rootfs = path.join(top, 'rootfs');
    outside = path.join(top, 'outside');
    volumeData = path.join(top, 'volume', '_data');
    mkdirSync(rootfs);
    mkdirSync(volumeData, { recursive: true, mode: 0o755 });
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'host-secret'), 'host');
  });

  afterEach(async () => {
    await destroyTempRoot(top);
  });

  /** An image directory with every kind of entry worth copying. */
  function makeImageTree(dir: string): void {
    mkdirSync(path.join(dir, 'sub', 'inner'), { recursive: true });
    writeFileSync(path.join(dir, 'file'), 'content');
    chmodSync(path.join(dir, 'file'), 0o640);
    chownSync(path.join(dir, 'file'), 1000, 1001);
    writeFileSync(path.join(dir, 'sub', 'inner', 'deep'), 'deep');
    chmodSync(path.join(dir, 'sub'), 0o2750);
    chownSync(path.join(dir, 'sub'), 33, 33);
    linkSync(path.join(dir, 'file'), path.join(dir, 'hardlink'));
    symlinkSync('file', path.join(dir, 'rel-link'));
    symlinkSync(path.join(outside, 'host-secret'), path.join(dir, 'out-link'));
    symlinkSync('../../../../outside', path.join(dir, 'climb-link'));
    chmodSync(dir, 0o750);
    chownSync(dir, 1234, 5678);
  }

  test('copies files, dirs, links as links, modes and owners; the volume takes the directory\'s mode and owner', async () => {
    const image = path.join(rootfs, 'data');
    mkdirSync(image);
    makeImageTree(image);
    let xattrs = true;
    await setxattr(path.join(image, 'file'), 'user.berth', 'v').catch(() => {
      xattrs = false;
    });

    expect(await copyUp(rootfs, '/data', volumeData)).toBe('copied');

    expect(await snapshotTree(volumeData)).toEqual(await snapshotTree(image));
    expect(readFileSync(path.join(volumeData, 'file'), 'utf8')).toBe('content');
    expect(readFileSync(path.join(volumeData, 'sub', 'inner', 'deep'), 'utf8')).toBe('deep');
    const file = statSync(path.join(volumeData, 'file'));
    expect([file.mode & 0o7777, file.uid, file.gid]).toEqual([0o640, 1000, 1001]);
    expect(statSync(path.join(volumeData, 'hardlink')).ino).toBe(file.ino);
    const sub = statSync(path.join(volumeData, 'sub'));
    expect([sub.mode & 0o7777, sub.uid, sub.gid]).toEqual([0o2750, 33, 33]);
    expect(readlinkSync(path.join(volumeData, 'rel-link'))).toBe('file');
    expect(readlinkSync(path.join(volumeData, 'out-link'))).toBe(path.join(outside, 'host-secret'));
    expect(lstatSync(path.join(volumeData, 'out-link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(volumeData, 'climb-link'))).toBe('../../../../outside');
    const volumeRoot = statSync(volumeData);
    expect([volumeRoot.mode & 0o7777, volumeRoot.uid, volumeRoot.gid]).toEqual([0o750, 1234, 5678]);
    if (xattrs) expect((await getxattr(path.join(volumeData, 'file'), 'user.berth')).toString()).toBe('v');
    // The host file the links point at was neither read into the volume nor touched.
    expect(readdirSync(outside)).toEqual(['host-secret']);
    expect(readFileSync(path.join(outside, 'host-secret'), 'utf8')).toBe('host');
  });

  test('a path whose parent links out of the root resolves inside it', async () => {
    symlinkSync('../../../outside', path.join(rootfs, 'esc'));
    symlinkSync(outside, path.join(rootfs, 'abs'));
    // Nothing there inside the root yet: the host directory must not be copied.
    expect(await copyUp(rootfs, '/esc/.', volumeData)).toBe('absent');
    expect(await copyUp(rootfs, '/abs', volumeData)).toBe('absent');
    expect(readdirSync(volumeData)).toEqual([]);

    mkdirSync(path.join(rootfs, 'outside'));
    writeFileSync(path.join(rootfs, 'outside', 'image-file'), 'image');
    expect(await copyUp(rootfs, '/esc', volumeData)).toBe('copied');
    expect(readdirSync(volumeData)).toEqual(['image-file']);
  });

  test('a link at the path itself is followed inside the root', async () => {
    mkdirSync(path.join(rootfs, 'real'));
    writeFileSync(path.join(rootfs, 'real', 'f'), 'f');
    symlinkSync('/../real', path.join(rootfs, 'data'));
    expect(await copyUp(rootfs, '/data', volumeData)).toBe('copied');
    expect(readdirSync(volumeData)).toEqual(['f']);
  });

  test('a file at the path is refused', async () => {
    mkdirSync(path.join(rootfs, 'etc'));
    writeFileSync(path.join(rootfs, 'etc', 'hosts'), '');
    const err = await copyUp(rootfs, '/etc/hosts', volumeData).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toBe(`cannot mount volume over existing file, file exists ${path.join(rootfs, 'etc', 'hosts')}`);
    expect((err as EngineError).code).toBe('EINVAL');
    expect(readdirSync(volumeData)).toEqual([]);
  });

  test('a volume with content is left as it is', async () => {
    const image = path.join(rootfs, 'data');
    mkdirSync(image);
    makeImageTree(image);
    writeFileSync(path.join(volumeData, 'mine'), 'keep');
    chmodSync(volumeData, 0o755);
    expect(await copyUp(rootfs, '/data', volumeData)).toBe('empty');
    expect(readdirSync(volumeData)).toEqual(['mine']);
    expect(statSync(volumeData).mode & 0o7777).toBe(0o755);
    expect(statSync(volumeData).uid).toBe(0);
  });

  test('nothing at the path, or an empty directory', async () => {
    expect(await copyUp(rootfs, '/missing/dir', volumeData)).toBe('absent');
    expect(statSync(volumeData).mode & 0o7777).toBe(0o755);

    mkdirSync(path.join(rootfs, 'empty'), { mode: 0o700 });
    chmodSync(path.join(rootfs, 'empty'), 0o1777);
    chownSync(path.join(rootfs, 'empty'), 7, 8);
    expect(await copyUp(rootfs, '/empty', volumeData)).toBe('empty');
    const volumeRoot = statSync(volumeData);
    expect([volumeRoot.mode & 0o7777, volumeRoot.uid, volumeRoot.gid]).toEqual([0o1777, 7, 8]);
    expect(readdirSync(volumeData)).toEqual([]);
  });

  test('two copies into one fresh volume: the first fills it, the second keeps it', async () => {
    const image = path.join(rootfs, 'data');
    mkdirSync(image);
    makeImageTree(image);
    const outcomes = await Promise.all([copyUp(rootfs, '/data', volumeData), copyUp(rootfs, '/data', volumeData)]);
    expect(outcomes).toEqual(['copied', 'empty']);
    expect(await snapshotTree(volumeData)).toEqual(await snapshotTree(image));
  });
});
