import { AufsDriver } from '../../../src/storage/aufs';
import { isRoot } from '../../support/temp-root';
import { graphDriverConformance, kernelHasFilesystem } from './conformance';

// The same suite as overlay2 and vfs; on kernels without aufs (most today,
// this machine included) every case reports the reason and returns.
graphDriverConformance({
  name: 'aufs',
  open: (root) => AufsDriver.open(root),
  async plantCrashDebris() {
    // Real debris needs a real aufs; the unit tests cover the sweep with a fake mount.
  },
  isDebris: (p) => p.includes('.staging-') || p.includes('.removing-'),
  skipReason() {
    if (!isRoot) return 'needs root to mount aufs';
    if (!kernelHasFilesystem('aufs')) return 'the kernel has no aufs (not listed in /proc/filesystems)';
    return null;
  },
});
