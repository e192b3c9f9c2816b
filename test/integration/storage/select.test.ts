// Which driver the engine gets: the one named, else overlay2 where a probe
// mount works, else vfs.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import * as native from '../../../src/native';
import { openDriver } from '../../../src/storage';
import { backingFsName } from '../../../src/storage/backing-fs';
import { describeAsRoot, destroyTempRoot, makeTempRoot, mountPointsUnder } from '../../support/temp-root';

describeAsRoot('graph driver selection', () => {
  let root = '';
  beforeEach(() => {
    root = makeTempRoot();
  });
  afterEach(async () => {
    await destroyTempRoot(root);
  });

  test('defaults to overlay2 where overlay works, and honours a name', async () => {
    const picked = await openDriver(path.join(root, 'a'));
    expect(picked.name).toBe('overlay2');
    const backing = backingFsName((await native.statfs(root)).type);
    expect(picked.status()).toEqual(expect.arrayContaining([['Backing Filesystem', backing]]));
    expect((await openDriver(path.join(root, 'b'), { storageDriver: 'vfs' })).name).toBe('vfs');
    await expect(openDriver(path.join(root, 'c'), { storageDriver: 'aufs' })).rejects.toThrow(/aufs/);
  });

  test('falls back to vfs, saying why, where overlay cannot stack (a root on an overlay)', async () => {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(path.join(root, d));
    await native.mount('overlay', path.join(root, 'merged'), 'overlay', 0,
      `lowerdir=${root}/lower,upperdir=${root}/upper,workdir=${root}/work`);
    try {
      const reasons: string[] = [];
      const driver = await openDriver(path.join(root, 'merged/engine'), { onFallback: (r) => reasons.push(r) });
      expect(driver.name).toBe('vfs');
      expect(reasons).toEqual([expect.stringMatching(/overlay.*itself an overlay.*using vfs/)]);
      await driver.create('base', null);
      expect(await driver.exists('base')).toBe(true);
      await expect(openDriver(path.join(root, 'merged/other'), { storageDriver: 'overlay2' })).rejects.toThrow(
        /itself an overlay/,
      );
    } finally {
      await native.umount(path.join(root, 'merged'), 0);
    }
    expect(await mountPointsUnder(root)).toEqual([]);
  });
});
