// The addon on real files: fs-style errors, the batch executor's confinement
// to its root (openat2 and the O_NOFOLLOW walk), and the tree copy.
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import * as native from '../../../src/native';
import { describeAsRoot, destroyTempRoot, makeTempRoot } from '../../support/temp-root';

describeAsRoot('native addon', () => {
  let root = '';
  let layer = '';
  let sentinel = '';

  beforeEach(() => {
    root = makeTempRoot();
    layer = path.join(root, 'layer');
    sentinel = path.join(root, 'host-sentinel');
    mkdirSync(layer);
    mkdirSync(sentinel);
    writeFileSync(path.join(sentinel, 'victim'), 'original');
    chmodSync(path.join(sentinel, 'victim'), 0o600);
  });

  afterEach(async () => {
    await destroyTempRoot(root);
  });

  test('rejects with fs-style errors that carry the caller stack', async () => {
    await native.batch(layer, [{ op: 'mkdir', path: '/x', mode: 0o755 }]);
    const err = await native.batch(layer, [{ op: 'mkdir', path: '/x', mode: 0o755 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'EEXIST', errno: -17, syscall: 'mkdirat', path: '/x' });
    expect((err as Error).message).toMatch(/^EEXIST: file already exists, mkdirat '\/x'/);
    expect((err as Error).stack).toContain('native.test.ts');
    await expect(native.mount('none', path.join(root, 'missing'), 'tmpfs', 0, '')).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'mount',
      path: path.join(root, 'missing'),
    });
    await expect(native.fsMount('overlay', [['no_such_option', 'x']])).rejects.toMatchObject({
      code: 'EINVAL',
      syscall: 'fsconfig',
    });
    await expect(native.getxattr(layer, 'user.absent')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  test('applies every op kind and reports what existed', async () => {
    writeFileSync(path.join(layer, 'kept'), 'image content');
    const outcomes = await native.batch(layer, [
      { op: 'mkdir', path: '/a/b/c', mode: 0o750, parents: true, uid: 12, gid: 34 },
      { op: 'mkdir', path: '/a/b/c', mode: 0o750, parents: true },
      { op: 'file', path: '/kept', mode: 0o644, skipExisting: true },
      { op: 'file', path: '/new', mode: 0o4755, data: 'hello' },
      { op: 'symlink', path: '/a/link', target: '/proc/mounts' },
      { op: 'mknod', path: '/wh', mode: native.S_IFCHR, major: 0, minor: 0 },
      { op: 'mknod', path: '/fifo', mode: native.S_IFIFO | 0o640, major: 0, minor: 0 },
      { op: 'write', path: '/kept', data: 'replaced', mode: 0o600 },
      { op: 'chown', path: '/new', uid: 1000, gid: 1001 },
      { op: 'chmod', path: '/new', mode: 0o700 },
      { op: 'setxattr', path: '/a', name: 'trusted.overlay.opaque', value: 'y' },
      { op: 'rename', path: '/new', target: '/a/renamed' },
      { op: 'remove', path: '/a/b' },
      { op: 'remove', path: '/never-was' },
    ]);
    expect(outcomes).toEqual([
      'done', 'existed', 'existed', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'absent',
    ]);
    expect(readFileSync(path.join(layer, 'kept'), 'utf8')).toBe('replaced');
    expect(statSync(path.join(layer, 'kept')).mode & 0o7777).toBe(0o600);
    expect(readdirSync(layer).filter((n) => n.includes('berth-tmp'))).toEqual([]);
    const renamed = statSync(path.join(layer, 'a/renamed'));
    expect([renamed.uid, renamed.gid, renamed.mode & 0o7777]).toEqual([1000, 1001, 0o700]);
    expect(readFileSync(path.join(layer, 'a/renamed'), 'utf8')).toBe('hello');
    expect(readlinkSync(path.join(layer, 'a/link'))).toBe('/proc/mounts');
    const wh = lstatSync(path.join(layer, 'wh'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(lstatSync(path.join(layer, 'fifo')).isFIFO()).toBe(true);
    expect((await native.getxattr(path.join(layer, 'a'), 'trusted.overlay.opaque')).toString()).toBe('y');
    expect(existsSync(path.join(layer, 'a/b'))).toBe(false);
  });

  test('new parents get the mode and owner asked for, existing ones are left alone', async () => {
    mkdirSync(path.join(layer, 'etc'), { mode: 0o700 });
    await native.batch(layer, [{ op: 'file', path: '/etc/deep/er/f', mode: 0o644, parents: true, uid: 7, gid: 8 }]);
    expect(statSync(path.join(layer, 'etc')).mode & 0o777).toBe(0o700);
    const deep = statSync(path.join(layer, 'etc/deep'));
    expect([deep.mode & 0o777, deep.uid, deep.gid]).toEqual([0o755, 7, 8]);
  });

  const hostileLinks: Array<[string, () => string]> = [
    ['an absolute path outside', () => sentinel],
    ['../../..', () => '../../..'],
    ['/', () => '/'],
  ];

  for (const [label, target] of hostileLinks) {
    test(`never leaves the root through a symlink to ${label}`, async () => {
      symlinkSync(target(), path.join(layer, 'evil'));
      symlinkSync(path.join(sentinel, 'victim'), path.join(layer, 'victim-link'));
      const hostEtc = readdirSync('/etc').length;
      await native.batch(layer, [
        { op: 'mkdir', path: '/evil/made-dir', mode: 0o755, parents: true },
        { op: 'file', path: '/evil/made-file', mode: 0o644, parents: true },
        { op: 'write', path: '/evil/victim', data: 'pwned', mode: 0o777, parents: true },
        { op: 'symlink', path: '/evil/made-link', target: '/etc/shadow', parents: true },
        { op: 'mknod', path: '/evil/made-node', mode: native.S_IFIFO | 0o600, major: 0, minor: 0, parents: true },
        { op: 'chmod', path: '/victim-link', mode: 0o777 },
        { op: 'chown', path: '/victim-link', uid: 4242, gid: 4242 },
      ]);
      // The host's files are untouched...
      expect(readdirSync(sentinel)).toEqual(['victim']);
      expect(readFileSync(path.join(sentinel, 'victim'), 'utf8')).toBe('original');
      const victim = statSync(path.join(sentinel, 'victim'));
      expect([victim.mode & 0o777, victim.uid]).toEqual([0o600, 0]);
      expect(readdirSync('/etc').length).toBe(hostEtc);
      expect(readdirSync(root).sort()).toEqual(['host-sentinel', 'layer']);
      // ...and everything landed inside the layer, where the link resolves in the root.
      const inside = target() === sentinel ? path.join(layer, sentinel) : layer;
      expect(readdirSync(inside).sort()).toEqual(
        expect.arrayContaining(['made-dir', 'made-file', 'made-link', 'made-node', 'victim']),
      );
      expect(lstatSync(path.join(layer, 'victim-link')).isSymbolicLink()).toBe(true);
    });
  }

  test('hardlinks, times and streamed files resolve both ends in the root', async () => {
    symlinkSync(sentinel, path.join(layer, 'evil'));
    writeFileSync(path.join(layer, 'inside'), 'inside');
    symlinkSync(path.join(sentinel, 'victim'), path.join(layer, 'victim-link'));
    await native.batch(layer, [
      { op: 'link', path: '/hard', target: '/inside' },
      { op: 'utimes', path: '/inside', atime: [1000, 0], mtime: [2000, 500] },
      { op: 'utimes', path: '/victim-link', mtime: [3000, 0] },
    ]);
    expect(statSync(path.join(layer, 'hard')).ino).toBe(statSync(path.join(layer, 'inside')).ino);
    expect(statSync(path.join(layer, 'inside'), { bigint: true }).mtimeNs).toBe(2000000000500n);
    expect(lstatSync(path.join(layer, 'victim-link')).mtimeMs).toBe(3000000);
    // A link target through a symlink out resolves in the root, where it does not exist.
    await expect(
      native.batch(layer, [{ op: 'link', path: '/stolen', target: '/evil/victim' }]),
    ).rejects.toMatchObject({ code: 'ENOENT', path: '/stolen' });
    // A link to the symlink itself links the symlink, never the host file behind it.
    await native.batch(layer, [{ op: 'link', path: '/link-of-link', target: '/victim-link' }]);
    expect(lstatSync(path.join(layer, 'link-of-link')).isSymbolicLink()).toBe(true);
    expect(statSync(path.join(sentinel, 'victim')).nlink).toBe(1);
    expect(statSync(path.join(sentinel, 'victim')).mtimeMs).not.toBe(3000000);

    const fd = await native.openInRoot(layer, '/evil/streamed', 0o640, { parents: true });
    require('node:fs').writeSync(fd, 'streamed content');
    require('node:fs').closeSync(fd);
    expect(readFileSync(path.join(layer, sentinel, 'streamed'), 'utf8')).toBe('streamed content');
    expect(statSync(path.join(layer, sentinel, 'streamed')).mode & 0o777).toBe(0o640);
    expect(readdirSync(sentinel)).toEqual(['victim']);
    await expect(native.openInRoot(layer, '/inside', 0o644)).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(native.openInRoot(layer, '/victim-link', 0o644)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(path.join(sentinel, 'victim'), 'utf8')).toBe('original');
  });

  test('the O_NOFOLLOW walk refuses symlinked directories instead of following them', async () => {
    symlinkSync(sentinel, path.join(layer, 'evil'));
    mkdirSync(path.join(layer, 'real'));
    await expect(
      native.batch(layer, [{ op: 'file', path: '/evil/x', mode: 0o644 }], { walk: true }),
    ).rejects.toMatchObject({ code: 'ENOTDIR', path: '/evil/x' });
    await expect(
      native.batch(layer, [{ op: 'mkdir', path: '/evil/y', mode: 0o755, parents: true }], { walk: true }),
    ).rejects.toMatchObject({ path: '/evil/y' });
    expect(readdirSync(sentinel)).toEqual(['victim']);
    await native.batch(layer, [{ op: 'mkdir', path: '/real/a/b', mode: 0o755, parents: true }], { walk: true });
    expect(statSync(path.join(layer, 'real/a/b')).isDirectory()).toBe(true);
  });

  test('refuses ".." and the root itself as targets', async () => {
    await expect(native.batch(layer, [{ op: 'file', path: '/../escape', mode: 0o644 }])).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(native.batch(layer, [{ op: 'remove', path: '/' }])).rejects.toMatchObject({ code: 'EINVAL' });
    expect(existsSync(path.join(root, 'escape'))).toBe(false);
    expect(existsSync(layer)).toBe(true);
  });

  test('a detached overlay mount serves as a batch root and vanishes when its fd closes', async () => {
    for (const d of ['lower', 'upper', 'work']) mkdirSync(path.join(root, d));
    writeFileSync(path.join(root, 'lower/from-lower'), 'x');
    const fd = await native.fsMount('overlay', [
      ['lowerdir+', path.join(root, 'lower')],
      ['upperdir', path.join(root, 'upper')],
      ['workdir', path.join(root, 'work')],
    ]);
    const outcomes = await native.batch(fd, [
      { op: 'file', path: '/from-lower', mode: 0o644, skipExisting: true },
      { op: 'file', path: '/etc/hosts', mode: 0o644, parents: true },
    ]);
    require('node:fs').closeSync(fd);
    expect(outcomes).toEqual(['existed', 'done']);
    expect(existsSync(path.join(root, 'upper/etc/hosts'))).toBe(true);
    expect(existsSync(path.join(root, 'upper/from-lower'))).toBe(false);
  });

  test('statfs, fsync and xattrs by path', async () => {
    expect((await native.statfs('/proc')).type).toBe(0x9fa0);
    writeFileSync(path.join(layer, 'f'), 'x');
    await native.fsync(path.join(layer, 'f'));
    await native.fsync(layer);
    await native.setxattr(path.join(layer, 'f'), 'user.berth', 'v1');
    expect((await native.getxattr(path.join(layer, 'f'), 'user.berth')).toString()).toBe('v1');
    await native.mknod(path.join(layer, 'wh'), native.S_IFCHR, 0, 0);
    expect(lstatSync(path.join(layer, 'wh')).isCharacterDevice()).toBe(true);
  });

  test('copyTree keeps hardlinks, symlinks, devices, owners, modes, xattrs and times', async () => {
    const src = path.join(root, 'src');
    mkdirSync(path.join(src, 'd/e'), { recursive: true });
    writeFileSync(path.join(src, 'd/file'), 'content');
    linkSync(path.join(src, 'd/file'), path.join(src, 'hardlink'));
    symlinkSync('d/file', path.join(src, 'sym'));
    await native.mknod(path.join(src, 'null'), native.S_IFCHR | 0o666, 1, 3);
    await native.mknod(path.join(src, 'fifo'), native.S_IFIFO | 0o600, 0, 0);
    chownSync(path.join(src, 'd/file'), 1234, 5678);
    chmodSync(path.join(src, 'd/file'), 0o4751);
    chmodSync(path.join(src, 'd'), 0o711);
    await native.setxattr(path.join(src, 'd/file'), 'user.color', 'blue');
    await native.setxattr(path.join(src, 'd/e'), 'trusted.overlay.opaque', 'y');
    utimesSync(path.join(src, 'd/file'), 1000, 2000);
    const dst = path.join(root, 'dst');
    await native.copyTree(src, dst);
    const file = statSync(path.join(dst, 'd/file'));
    expect([file.uid, file.gid, file.mode & 0o7777, file.mtimeMs]).toEqual([1234, 5678, 0o4751, 2000000]);
    expect(statSync(path.join(dst, 'hardlink')).ino).toBe(file.ino);
    expect(statSync(path.join(dst, 'hardlink')).ino).not.toBe(statSync(path.join(src, 'hardlink')).ino);
    expect(readlinkSync(path.join(dst, 'sym'))).toBe('d/file');
    expect(lstatSync(path.join(dst, 'null')).rdev).toBe(lstatSync(path.join(src, 'null')).rdev);
    expect(lstatSync(path.join(dst, 'fifo')).isFIFO()).toBe(true);
    expect(statSync(path.join(dst, 'd')).mode & 0o777).toBe(0o711);
    expect((await native.getxattr(path.join(dst, 'd/file'), 'user.color')).toString()).toBe('blue');
    expect((await native.getxattr(path.join(dst, 'd/e'), 'trusted.overlay.opaque')).toString()).toBe('y');
    await expect(native.copyTree(src, dst)).rejects.toMatchObject({ code: 'EEXIST', syscall: 'mkdir' });
  });
});
