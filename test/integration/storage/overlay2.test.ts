import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { GraphDriver } from '../../../src/storage/driver';
import { Overlay2Driver } from '../../../src/storage/overlay2';
import { isRoot } from '../../support/temp-root';
import { graphDriverConformance, kernelHasFilesystem } from './conformance';

async function plantCrashDebris(driver: GraphDriver): Promise<void> {
  // A create killed before its rename: a staged layer and the short link made for it.
  await fs.mkdir(path.join(driver.home, '.staging-dead-0123/diff'), { recursive: true });
  await fs.writeFile(path.join(driver.home, '.staging-dead-0123/link'), 'DEADLINKDEADLINKDEADLINKDE');
  await fs.symlink('../dead/diff', path.join(driver.home, 'l/DEADLINKDEADLINKDEADLINKDE'));
  // A remove killed after its rename.
  await fs.mkdir(path.join(driver.home, '.removing-old-4567/diff'), { recursive: true });
}

function skipReason(): string | null {
  if (!isRoot) return 'needs root to mount overlay';
  if (!kernelHasFilesystem('overlay')) return 'the kernel has no overlay filesystem';
  return null;
}

const isDebris = (p: string): boolean => p.startsWith('.staging-') || p.startsWith('.removing-') || p.includes('DEADLINK');

graphDriverConformance({
  name: 'overlay2 (new mount API where the kernel has lowerdir+)',
  open: (root) => Overlay2Driver.open(root),
  plantCrashDebris,
  isDebris,
  skipReason,
});

graphDriverConformance({
  name: 'overlay2 (mount(2) with short links)',
  open: (root) => Overlay2Driver.open(root, { mountApi: 'legacy' }),
  plantCrashDebris,
  isDebris,
  skipReason,
});
