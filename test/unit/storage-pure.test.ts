// Storage logic that needs no kernel: the init layer list, whiteout forms,
// mountinfo parsing, layer ids, the per-key lock and reference counts.
import { validateLayerId } from '../../src/storage/driver';
import { initLayerOps } from '../../src/storage/initlayer';
import { KeyedLock } from '../../src/storage/keyed-lock';
import { parseMountInfo } from '../../src/storage/mountinfo';
import { RefCounter } from '../../src/storage/refcount';
import { opaqueOps, whiteoutOps } from '../../src/storage/whiteout';

test("the init layer is exactly the seed's list", () => {
  const ops = initLayerOps();
  const summary = ops.map((o) => `${o.op} ${o.path}${o.op === 'symlink' ? ` -> ${o.target}` : ''}`);
  expect(summary.sort()).toEqual(
    [
      'mkdir /dev/pts',
      'mkdir /dev/shm',
      'mkdir /proc',
      'mkdir /sys',
      'file /.dockerinit',
      'file /.dockerenv',
      'file /etc/resolv.conf',
      'file /etc/hosts',
      'file /etc/hostname',
      'file /dev/console',
      'symlink /etc/mtab -> /proc/mounts',
    ].sort(),
  );
  for (const op of ops) {
    expect(op).toMatchObject({ parents: true, uid: 0, gid: 0 });
    if (op.op === 'file' || op.op === 'symlink') expect(op.skipExisting).toBe(true);
    if (op.op === 'file' || op.op === 'mkdir') expect(op.mode).toBe(0o755);
  }
  expect(initLayerOps({ uid: 100000, gid: 100000 })[0]).toMatchObject({ uid: 100000, gid: 100000 });
});

test('whiteouts take each driver form', () => {
  expect(whiteoutOps('overlay', '/etc/passwd')).toEqual([
    { op: 'mknod', path: '/etc/passwd', mode: 0o020000, major: 0, minor: 0, uid: 0, gid: 0 },
  ]);
  expect(whiteoutOps('aufs', '/etc/passwd')).toEqual([{ op: 'file', path: '/etc/.wh.passwd', mode: 0o444 }]);
  expect(whiteoutOps('aufs', '/top')).toEqual([{ op: 'file', path: '/.wh.top', mode: 0o444 }]);
  expect(whiteoutOps('none', '/etc/passwd')).toEqual([{ op: 'remove', path: '/etc/passwd' }]);
  expect(opaqueOps('overlay', '/dir')).toEqual([
    { op: 'setxattr', path: '/dir', name: 'trusted.overlay.opaque', value: 'y' },
  ]);
  expect(opaqueOps('aufs', '/dir')).toEqual([{ op: 'file', path: '/dir/.wh..wh..opq', mode: 0o444 }]);
  expect(opaqueOps('none', '/dir', 0o700)).toEqual([
    { op: 'remove', path: '/dir' },
    { op: 'mkdir', path: '/dir', mode: 0o700 },
  ]);
});

test('mountinfo lines are parsed with their escapes', () => {
  const text =
    '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n' +
    '44 27 0:39 / /var/lib/berth/overlay2/abc/merged rw,relatime shared:5 - overlay overlay rw,lowerdir=l/A\n';
  expect(parseMountInfo(text)).toEqual([
    { mountPoint: '/mnt/with space', fsType: 'ext3', source: '/dev/root', options: 'rw,errors=continue' },
    { mountPoint: '/var/lib/berth/overlay2/abc/merged', fsType: 'overlay', source: 'overlay', options: 'rw,lowerdir=l/A' },
  ]);
});

test('layer ids are one safe path component', () => {
  for (const ok of ['a'.repeat(64), 'abc-init', 'img0', 'sha256.x_y']) expect(() => validateLayerId(ok)).not.toThrow();
  for (const bad of ['', '.hidden', '../x', 'a/b', 'a..b', 'x'.repeat(129), 'sp ace']) {
    expect(() => validateLayerId(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  }
});

test('the keyed lock runs one task per key at a time, others in parallel, and survives failures', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const first = lock.run('a', async () => {
    log.push('a1 start');
    await gate;
    log.push('a1 end');
    throw new Error('a1 failed');
  });
  const second = lock.run('a', async () => {
    log.push('a2');
  });
  const other = lock.run('b', async () => {
    log.push('b');
  });
  await other;
  expect(log).toEqual(['a1 start', 'b']);
  release();
  await expect(first).rejects.toThrow('a1 failed');
  await second;
  expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
});

test('reference counts report the first get and the last put', () => {
  const refs = new RefCounter();
  expect(refs.increment('x')).toBe(1);
  expect(refs.increment('x')).toBe(2);
  expect(refs.decrement('x')).toBe(1);
  expect(refs.decrement('x')).toBe(0);
  expect(refs.decrement('x')).toBe(0);
  expect(refs.ids()).toEqual([]);
});
