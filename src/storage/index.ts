// Choosing a graph driver: the one asked for, else overlay2 where a probe
// mount works, else vfs (which works anywhere).
import type { GraphDriver } from './driver';
import { Overlay2Driver, type Overlay2Options } from './overlay2';
import { VfsDriver } from './vfs';
import { AufsDriver } from './aufs';

export * from './driver';
export { Overlay2Driver, OVERLAY_MAX_DEPTH, overlaySupported } from './overlay2';
export { VfsDriver } from './vfs';
export { AufsDriver, aufsSupported } from './aufs';
export { initLayerOps, initLayerId, INIT_DIRS, INIT_FILES, INIT_SYMLINKS } from './initlayer';
export { whiteoutOps, opaqueOps } from './whiteout';

export type StorageDriverName = GraphDriver['name'];

export interface OpenDriverOptions extends Overlay2Options {
  /** Asked for by name; when absent the engine picks. */
  storageDriver?: StorageDriverName;
  /** Called with the reason when overlay2 was not usable and vfs was chosen. */
  onFallback?: (reason: string) => void;
}

export async function openDriver(root: string, options: OpenDriverOptions = {}): Promise<GraphDriver> {
  switch (options.storageDriver) {
    case 'overlay2':
      return Overlay2Driver.open(root, options);
    case 'aufs':
      return AufsDriver.open(root);
    case 'vfs':
      return VfsDriver.open(root);
    case undefined:
      try {
        return await Overlay2Driver.open(root, options);
      } catch (e) {
        options.onFallback?.(`overlay2 unavailable (${(e as Error).message}); using vfs`);
        return VfsDriver.open(root);
      }
  }
}
