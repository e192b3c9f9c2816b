// The layer applier on real drivers (overlay2 and vfs), as root: content and
// metadata land in the diff as the tar says, whiteouts and opaque markers give
// the right union view, and hostile archives are refused or stay inside.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { applyLayer } from '../../../src/image/apply';
import * as native from '../../../src/native';
import type { GraphDriver } from '../../../src/storage/driver';
import { Overlay2Driver } from '../../../src/storage/overlay2';
import { VfsDriver } from '../../../src/storage/vfs';
import { busyboxEntries, layerTar, sha256, type FixtureEntry } from '../../support/image-fixtures';
import { describeAsRoot, destroyTempRoot, makeTempRoot, snapshotTree } from '../../support/temp-root';

const kernelHasOverlay = (): boolean => {
  try {
    return readFileSync('/proc/filesystems', 'utf8').split('\n').some((line) => line.endsWith('\toverlay'));
  } catch {
    return false;
  }
};

/** A stream that hands the bytes over in small pieces (the first one shorter than any magic). */
function chunked(data: Buffer, size = 16 * 1024): Readable {
  const pieces: Buffer[] = [data.subarray(0, 3)];
  for (let i = 3; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
  return Readable.from(pieces);
}

const major = (rdev: number): number => ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
const minor = (rdev: number): number => (rdev & 0xff) | ((rdev >> 12) & ~0xff);

// A v2 vfs_cap_data: effective, permitted = CAP_SETUID (bit 7) | CAP_NET_RAW (bit 13).
// The 0x80 byte is what a UTF-8 decode of the PAX record would mangle.
const CAPABILITY = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const CAP_PLACEHOLDER = 'Q'.repeat(CAPABILITY.length);

/** Swaps the placeholder PAX value for the binary capability (same length, so the record stays valid). */
function withBinaryCapability(tarBytes: Buffer): Buffer {
  const at = tarBytes.indexOf(CAP_PLACEHOLDER);
  if (at < 0) throw new Error('placeholder not found');
  const out = Buffer.from(tarBytes);
  CAPABILITY.copy(out, at);
  return out;
}

/** Sets the size field of the tar header at `offset` (no data is added) and fixes its checksum. */
function withHeaderSize(tarBytes: Buffer, offset: number, size: number): Buffer {
  const out = Buffer.from(tarBytes);
  const header = out.subarray(offset, offset + 512);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  header.fill(0x20, 148, 156);
  const sum = header.reduce((n, b) => n + b, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return out;
}

const drivers: Array<{ name: string; open(root: string): Promise<GraphDriver>; skip: string | null }> = [
  {
    name: 'overlay2',
    open: (root) => Overlay2Driver.open(root),
    skip: kernelHasOverlay() ? null : 'the kernel has no overlay filesystem',
  },
  { name: 'vfs', open: (root) => VfsDriver.open(root), skip: null },
];

for (const d of drivers) {
  if (d.skip) {
    // eslint-disable-next-line no-console
    console.warn(`skipped applyLayer on ${d.name}: ${d.skip}`);
    continue;
  }

  describeAsRoot(`applyLayer on ${d.name}`, () => {
    let root: string;
    let driver: GraphDriver;

    beforeEach(async () => {
      root = makeTempRoot();
      driver = await d.open(root);
    });

    afterEach(async () => {
      try {
        await driver.cleanup();
      } catch {
        // A driver that failed to open has nothing to clean; the root goes anyway.
      }
      await destroyTempRoot(root);
    });

    async function apply(id: string, parent: string | null, layer: Buffer | FixtureEntry[], expectedDiffId?: string) {
      await driver.create(id, parent);
      const bytes = Buffer.isBuffer(layer) ? layer : await layerTar(layer);
      return applyLayer(driver, id, chunked(bytes), { expectedDiffId });
    }

    /** Runs `body` on the layer's union view, and always lets go of it. */
    async function withView<T>(id: string, body: (view: string) => T | Promise<T>): Promise<T> {
      const view = await driver.get(id);
      try {
        return await body(view);
      } finally {
        await driver.put(id);
      }
    }

    test('a busybox layer runs under chroot; the DiffID is the tar digest, plain or gzip', async () => {
      const tarBytes = await layerTar(busyboxEntries());
      const plain = await apply('bb', null, tarBytes, sha256(tarBytes));
      expect(plain.diffId).toBe(sha256(tarBytes));
      const fileSizes = busyboxEntries().reduce((n, e) => n + (e.type === 'file' ? Buffer.from(e.content).length : 0), 0);
      expect(plain.size).toBe(fileSizes);

      const gz = await apply('bbgz', null, zlib.gzipSync(tarBytes));
      expect(gz).toEqual(plain);

      // A layer on top, so that overlay2 really mounts a union.
      await apply('bbtop', 'bb', [{ type: 'file', path: 'etc/hostname', content: 'berth\n' }]);
      await withView('bbtop', (view) => {
        const run = spawnSync('chroot', [view, '/bin/busybox', 'true']);
        expect(run.status).toBe(0);
        const cat = spawnSync('chroot', [view, '/bin/sh', '-c', 'cat /etc/hostname; ls -d /tmp'], { encoding: 'utf8' });
        expect(cat.stdout).toBe('berth\n/tmp\n');
      });
      expect(statSync(path.join(driver.diffPath('bb'), 'bin/busybox')).mode & 0o7777).toBe(0o755);
      expect(statSync(path.join(driver.diffPath('bb'), 'tmp')).mode & 0o7777).toBe(0o1777);
    });

    test('ownership, modes, set-id bits, times, xattrs, hardlinks, devices and fifos are kept', async () => {
      const big = randomBytes(3 * 1024 * 1024 + 17);
      const t2001 = new Date('2001-02-03T04:05:06Z');
      const entries: FixtureEntry[] = [
        { type: 'dir', path: 'd', mode: 0o2750, uid: 5, gid: 6 },
        { type: 'file', path: 'd/suid', content: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 2000, mtime: t2001 },
        { type: 'file', path: 'd/big', content: big, mode: 0o6711, uid: 7, gid: 8, mtime: t2001 },
        { type: 'hardlink', path: 'd/big-link', target: 'd/big' },
        { type: 'hardlink', path: 'suid-link', target: './d/suid' },
        { type: 'dir', path: 'sticky', mode: 0o1777 },
        { type: 'symlink', path: 'sticky/link', target: '../d/suid' },
        { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
        { type: 'block', path: 'dev/loop7', major: 7, minor: 7, mode: 0o660 },
        { type: 'fifo', path: 'dev/fifo', mode: 0o600 },
        {
          type: 'raw',
          name: 'xattrs',
          header: {
            type: 'file',
            mode: 0o755,
            pax: {
              'SCHILY.xattr.user.comment': 'hello',
              'SCHILY.xattr.trusted.berth': 'yes',
              'SCHILY.xattr.security.capability': CAP_PLACEHOLDER,
              'SCHILY.xattr.security.selinux': 'system_u:object_r:bin_t:s0',
              mtime: '1234567890.123456789',
            },
          },
          content: Buffer.from('ping'),
        },
        // A tar may not forge overlay metadata: only whiteout entries make it.
        { type: 'raw', name: 'forged/', header: { type: 'directory', mode: 0o755, pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } } },
      ];
      const tarBytes = withBinaryCapability(await layerTar(entries));
      const result = await apply('attrs', null, tarBytes);
      expect(result.diffId).toBe(sha256(tarBytes));
      expect(result.size).toBe(10 + big.length + 4);

      const diff = driver.diffPath('attrs');
      const at = (p: string): string => path.join(diff, p);
      const dir = lstatSync(at('d'));
      expect([dir.mode & 0o7777, dir.uid, dir.gid]).toEqual([0o2750, 5, 6]);
      // Directory times are set after their content is written.
      expect(dir.mtimeMs).toBe(0);
      const suid = lstatSync(at('d/suid'));
      expect([suid.mode & 0o7777, suid.uid, suid.gid, suid.mtimeMs]).toEqual([0o4755, 1000, 2000, t2001.getTime()]);
      const bigStat = lstatSync(at('d/big'));
      expect([bigStat.mode & 0o7777, bigStat.uid, bigStat.gid, bigStat.nlink, bigStat.mtimeMs]).toEqual([
        0o6711, 7, 8, 2, t2001.getTime(),
      ]);
      expect(readFileSync(at('d/big')).equals(big)).toBe(true);
      expect(lstatSync(at('d/big-link')).ino).toBe(bigStat.ino);
      expect(lstatSync(at('suid-link')).ino).toBe(suid.ino);
      expect(lstatSync(at('sticky')).mode & 0o7777).toBe(0o1777);
      expect(readlinkSync(at('sticky/link'))).toBe('../d/suid');
      const nul = lstatSync(at('dev/null'));
      expect([nul.isCharacterDevice(), major(nul.rdev), minor(nul.rdev), nul.mode & 0o7777]).toEqual([true, 1, 3, 0o666]);
      const loop = lstatSync(at('dev/loop7'));
      expect([loop.isBlockDevice(), major(loop.rdev), minor(loop.rdev), loop.mode & 0o7777]).toEqual([true, 7, 7, 0o660]);
      const fifo = lstatSync(at('dev/fifo'));
      expect([fifo.isFIFO(), fifo.mode & 0o7777]).toEqual([true, 0o600]);

      expect((await native.getxattr(at('xattrs'), 'user.comment')).toString()).toBe('hello');
      expect((await native.getxattr(at('xattrs'), 'trusted.berth')).toString()).toBe('yes');
      expect((await native.getxattr(at('xattrs'), 'security.capability')).equals(CAPABILITY)).toBe(true);
      await expect(native.getxattr(at('xattrs'), 'security.selinux')).rejects.toMatchObject({ code: 'ENODATA' });
      await expect(native.getxattr(at('forged'), 'trusted.overlay.opaque')).rejects.toMatchObject({ code: 'ENODATA' });
      expect(lstatSync(at('xattrs'), { bigint: true }).mtimeNs).toBe(1234567890123456789n);
    });

    test('a two-layer stack: whiteouts, opaque directories, replacements and merges give the right view', async () => {
      await apply('low', null, [
        { type: 'dir', path: 'a' },
        { type: 'file', path: 'a/keep', content: 'keep' },
        { type: 'file', path: 'a/gone', content: 'gone' },
        { type: 'file', path: 'top-gone', content: 'x' },
        { type: 'dir', path: 'b' },
        { type: 'file', path: 'b/old1', content: 'old' },
        { type: 'dir', path: 'b/sub' },
        { type: 'file', path: 'b/sub/old2', content: 'old' },
        { type: 'dir', path: 'd' },
        { type: 'file', path: 'd/x', content: 'x' },
        { type: 'dir', path: 'm', mode: 0o755 },
        { type: 'file', path: 'm/old', content: 'old' },
        { type: 'file', path: 'f', content: 'a file, then a directory' },
        { type: 'dir', path: 'r' },
        { type: 'file', path: 'r/child', content: 'a directory, then a file' },
        { type: 'dir', path: 'tmp', mode: 0o1777 },
      ]);
      await apply('up', 'low', [
        { type: 'whiteout', path: 'a/gone' },
        { type: 'whiteout', path: 'top-gone' },
        { type: 'dir', path: 'b' },
        { type: 'file', path: 'b/new', content: 'before the marker' },
        { type: 'opaque', path: 'b' },
        { type: 'file', path: 'b/after', content: 'after the marker' },
        // Deleted and made anew in one layer: nothing of the lower d shows.
        { type: 'whiteout', path: 'd' },
        { type: 'dir', path: 'd' },
        { type: 'file', path: 'd/y', content: 'y' },
        // A directory over a directory merges and takes the new attributes.
        { type: 'dir', path: 'm', mode: 0o700, uid: 3, gid: 4 },
        { type: 'file', path: 'm/new', content: 'new' },
        { type: 'dir', path: 'f' },
        { type: 'file', path: 'r', content: 'now a file' },
        // No entry for tmp itself: the lower tmp's attributes must survive.
        { type: 'file', path: 'tmp/newfile', content: 'n' },
        // A whiteout deletes lower content only: this layer's own e stays.
        { type: 'file', path: 'e', content: 'mine' },
        { type: 'whiteout', path: 'e' },
        // The same path twice in one layer: the last entry wins, whatever the types.
        { type: 'file', path: 'dup', content: 'one', mode: 0o600 },
        { type: 'file', path: 'dup', content: 'two', mode: 0o644 },
        { type: 'file', path: 'flip', content: 'a file first', mtime: new Date('2001-01-01T00:00:00Z') },
        { type: 'dir', path: 'flip', mode: 0o750 },
        { type: 'file', path: 'flip/inside', content: 'i' },
      ]);

      await withView('up', async (view) => {
        const at = (p: string): string => path.join(view, p);
        expect(readFileSync(at('a/keep'), 'utf8')).toBe('keep');
        expect(existsSync(at('a/gone'))).toBe(false);
        expect(existsSync(at('top-gone'))).toBe(false);
        expect((await snapshotTree(at('b'))).sort()).toEqual(['f after', 'f new']);
        expect((await snapshotTree(at('d'))).sort()).toEqual(['f y']);
        expect((await snapshotTree(at('m'))).sort()).toEqual(['f new', 'f old']);
        const m = lstatSync(at('m'));
        expect([m.mode & 0o7777, m.uid, m.gid]).toEqual([0o700, 3, 4]);
        expect(lstatSync(at('f')).isDirectory()).toBe(true);
        expect(readFileSync(at('r'), 'utf8')).toBe('now a file');
        expect(lstatSync(at('tmp')).mode & 0o7777).toBe(0o1777);
        expect(readFileSync(at('tmp/newfile'), 'utf8')).toBe('n');
        expect(readFileSync(at('e'), 'utf8')).toBe('mine');
        expect(readFileSync(at('dup'), 'utf8')).toBe('two');
        expect(lstatSync(at('dup')).mode & 0o7777).toBe(0o644);
        expect(lstatSync(at('flip')).mode & 0o7777).toBe(0o750);
        expect(lstatSync(at('flip')).mtimeMs).toBe(0);
        expect(readFileSync(at('flip/inside'), 'utf8')).toBe('i');
        expect((await snapshotTree(view)).filter((p) => p.includes('.wh.'))).toEqual([]);
      });

      const upDiff = driver.diffPath('up');
      expect((await snapshotTree(upDiff)).filter((p) => p.includes('.wh.'))).toEqual([]);
      if (driver.whiteoutFormat === 'overlay') {
        const whiteout = lstatSync(path.join(upDiff, 'a/gone'));
        expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);
        expect((await native.getxattr(path.join(upDiff, 'b'), 'trusted.overlay.opaque')).toString()).toBe('y');
        expect((await native.getxattr(path.join(upDiff, 'd'), 'trusted.overlay.opaque')).toString()).toBe('y');
      }
      // The lower layer is untouched by its child.
      expect(readFileSync(path.join(driver.diffPath('low'), 'a/gone'), 'utf8')).toBe('gone');
    });

    test('many entries over many batches keep their content, times and order', async () => {
      const entries: FixtureEntry[] = [];
      for (let d = 0; d < 8; d++) {
        entries.push({ type: 'dir', path: `d${d}`, mode: 0o750 });
        for (let f = 0; f < 20; f++) {
          entries.push({ type: 'file', path: `d${d}/f${f}`, content: `${d}/${f}`, mtime: new Date((d * 20 + f) * 1000) });
        }
      }
      // Late entries over early ones, batches apart: the last word is theirs.
      entries.push({ type: 'file', path: 'd0/f0', content: 'replaced', mtime: new Date(5_000_000) });
      entries.push({ type: 'dir', path: 'd1/f1' });
      entries.push({ type: 'hardlink', path: 'd7/link', target: 'd0/f0' });
      await apply('many', null, entries);
      const diff = driver.diffPath('many');
      for (let d = 0; d < 8; d++) {
        expect(lstatSync(path.join(diff, `d${d}`)).mtimeMs).toBe(0);
        for (let f = 0; f < 20; f++) {
          const file = path.join(diff, `d${d}/f${f}`);
          if ((d === 0 && f === 0) || (d === 1 && f === 1)) continue;
          expect(readFileSync(file, 'utf8')).toBe(`${d}/${f}`);
          expect(lstatSync(file).mtimeMs).toBe((d * 20 + f) * 1000);
        }
      }
      expect(readFileSync(path.join(diff, 'd0/f0'), 'utf8')).toBe('replaced');
      expect(lstatSync(path.join(diff, 'd0/f0')).mtimeMs).toBe(5_000_000);
      expect(lstatSync(path.join(diff, 'd7/link')).ino).toBe(lstatSync(path.join(diff, 'd0/f0')).ino);
      expect(lstatSync(path.join(diff, 'd1/f1')).isDirectory()).toBe(true);
    });

    describe('hostile layers', () => {
      const rejects = async (id: string, entries: FixtureEntry[], message: string | RegExp): Promise<void> => {
        await expect(apply(id, null, entries)).rejects.toThrow(message);
      };

      test('names that climb out or are absolute are refused, naming the entry', async () => {
        await rejects('up1', [{ type: 'raw', name: '../../etc/x', header: { type: 'file' }, content: Buffer.from('x') }], '../../etc/x');
        await rejects('abs', [{ type: 'raw', name: '/etc/shadow-abs', header: { type: 'file' }, content: Buffer.from('x') }], '/etc/shadow-abs');
        await rejects('up2', [{ type: 'raw', name: 'a/../../b', header: { type: 'directory' } }], 'a/../../b');
        expect(existsSync('/etc/shadow-abs')).toBe(false);
        expect(existsSync(path.resolve(driver.diffPath('up1'), '../../etc/x'))).toBe(false);
      });

      test('hardlinks to absolute or climbing targets, or to nothing, are refused', async () => {
        const shadow = lstatSync('/etc/shadow');
        await rejects('h1', [{ type: 'hardlink', path: 'stolen', target: '/etc/shadow' }], /stolen.*absolute/);
        await rejects('h2', [{ type: 'hardlink', path: 'stolen', target: '../../../etc/shadow' }], /stolen.*out of the layer/);
        await rejects('h3', [{ type: 'hardlink', path: 'dangling', target: 'no/such/file' }], /no\/such\/file/);
        // Through a symlink that points out: resolved in the layer, where there is no shadow.
        await rejects(
          'h4',
          [
            { type: 'symlink', path: 'evil', target: '/etc' },
            { type: 'hardlink', path: 'stolen', target: 'evil/shadow' },
          ],
          /evil\/shadow/,
        );
        expect(lstatSync('/etc/shadow').nlink).toBe(shadow.nlink);
      });

      test('entries through a symlink to / or ../../.. land inside the layer', async () => {
        const hostPasswd = readFileSync('/etc/passwd');
        const marker = `berth-escape-${randomBytes(6).toString('hex')}`;
        await apply('sym', null, [
          { type: 'symlink', path: 'evil', target: '/' },
          { type: 'file', path: 'evil/etc/passwd', content: 'pwned\n' },
          { type: 'symlink', path: 'up', target: '../../../../../..' },
          { type: 'file', path: `up/${marker}`, content: 'inside\n' },
          { type: 'dir', path: `up/tmp/${marker}` },
        ]);
        const diff = driver.diffPath('sym');
        expect(readFileSync('/etc/passwd').equals(hostPasswd)).toBe(true);
        expect(readFileSync(path.join(diff, 'etc/passwd'), 'utf8')).toBe('pwned\n');
        expect(readFileSync(path.join(diff, marker), 'utf8')).toBe('inside\n');
        expect(lstatSync(path.join(diff, 'tmp', marker)).isDirectory()).toBe(true);
        for (let up = 1; up <= 8; up++) {
          const outside = path.resolve(diff, '../'.repeat(up), marker);
          if (outside !== path.join(diff, marker)) expect(existsSync(outside)).toBe(false);
        }
        expect(existsSync(path.join('/tmp', marker))).toBe(false);
      });

      test('a bare .wh. and a whiteout of .. are refused', async () => {
        await rejects('wh1', [{ type: 'raw', name: 'dir/.wh.', header: { type: 'file' } }], 'dir/.wh.');
        await rejects('wh2', [{ type: 'raw', name: '.wh...', header: { type: 'file' } }], '.wh...');
      });
    });

    describe('bad archives', () => {
      test('a wrong expected DiffID is rejected with Docker\'s wording', async () => {
        const tarBytes = await layerTar([{ type: 'file', path: 'x', content: 'x' }]);
        await expect(apply('wrong', null, tarBytes, sha256('something else'))).rejects.toThrow(/invalid diffID for layer/);
      });

      test('truncated or corrupt gzip, a truncated tar and zstd are rejected', async () => {
        const tarBytes = await layerTar([
          { type: 'file', path: 'small', content: 'small' },
          { type: 'file', path: 'noise', content: randomBytes(256 * 1024) },
          { type: 'file', path: 'last', content: 'last' },
        ]);
        const gz = zlib.gzipSync(tarBytes);
        await expect(apply('trunc', null, gz.subarray(0, Math.floor(gz.length / 2)))).rejects.toThrow();
        const corrupt = Buffer.from(gz);
        for (let i = 1000; i < 1064; i++) corrupt[i] ^= 0x5a;
        await expect(apply('corrupt', null, corrupt)).rejects.toThrow();
        await expect(apply('trunctar', null, tarBytes.subarray(0, 100_000))).rejects.toThrow();
        // A directory header claiming a size: Go's reader (and so Docker) ignores it; no hang here either.
        const sized = withHeaderSize(await layerTar([{ type: 'dir', path: 'd' }, { type: 'file', path: 'd/x', content: 'x' }]), 0, 3);
        await apply('dirsize', null, sized);
        expect(readFileSync(path.join(driver.diffPath('dirsize'), 'd/x'), 'utf8')).toBe('x');
        // Well-formed, but a file cannot hold another: the native error comes back.
        await expect(
          apply('notdir', null, [
            { type: 'file', path: 'plain', content: 'x' },
            { type: 'file', path: 'plain/inside', content: 'y' },
          ]),
        ).rejects.toMatchObject({ code: 'ENOTDIR' });
        const zstd = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(100)]);
        await expect(apply('zstd', null, zstd)).rejects.toThrow(/zstd .*not supported/);
      });
    });
  });
}
