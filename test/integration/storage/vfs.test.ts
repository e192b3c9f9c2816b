import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { GraphDriver } from '../../../src/storage/driver';
import { VfsDriver } from '../../../src/storage/vfs';
import { isRoot } from '../../support/temp-root';
import { graphDriverConformance } from './conformance';

graphDriverConformance({
  name: 'vfs',
  open: (root) => VfsDriver.open(root),
  async plantCrashDebris(driver: GraphDriver) {
    // A copy killed before its rename, a remove killed after it, and a parent
    // record whose layer never arrived.
    await fs.mkdir(path.join(driver.home, 'dir/.staging-dead-0123/etc'), { recursive: true });
    await fs.mkdir(path.join(driver.home, 'dir/.removing-old-4567'), { recursive: true });
    await fs.writeFile(path.join(driver.home, 'parent/dead'), 'img0');
  },
  isDebris: (p) => p.includes('.staging-') || p.includes('.removing-') || p === 'parent/dead',
  skipReason: () => (isRoot ? null : 'needs root for ownership, devices and trusted xattrs'),
});
