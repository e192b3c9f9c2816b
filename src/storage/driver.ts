// The graph driver contract: every driver (overlay2, aufs, vfs) stacks layers
// the same way, and the conformance suite holds each of them to it.
import type { BatchOp } from '../native';

/** How a layer's diff records that a lower entry was deleted. */
export type WhiteoutFormat =
  /** 0/0 character devices and trusted.overlay.opaque=y directories. */
  | 'overlay'
  /** `.wh.<name>` files and `.wh..wh..opq` markers kept as files. */
  | 'aufs'
  /** Each layer is a full copy: deletions are applied, nothing is recorded. */
  | 'none';

export interface CreateOptions {
  /**
   * Ops applied to the new layer as seen through its union view (its parents
   * below it) before the layer becomes visible. The init layer is made so.
   */
  populate?: BatchOp[];
}

export interface LayerStatus {
  id: string;
  parent: string | null;
  mounted: boolean;
  references: number;
}

export interface GraphDriver {
  readonly name: 'overlay2' | 'aufs' | 'vfs';
  /** Where this driver keeps its layers (`<root>/<driver>`). */
  readonly home: string;
  readonly whiteoutFormat: WhiteoutFormat;
  /** Does get() mount something (and so can a layer be busy)? */
  readonly mountsLayers: boolean;

  /** A read-only (image) layer on `parent`, or a base layer when parent is null. */
  create(id: string, parent: string | null, options?: CreateOptions): Promise<void>;
  /** A read-write (container or init) layer on `parent`. */
  createReadWrite(id: string, parent: string | null, options?: CreateOptions): Promise<void>;
  /** Mounts the layer's union view (once; later calls count references) and returns its path. */
  get(id: string): Promise<string>;
  /** Drops one reference; the last one unmounts. */
  put(id: string): Promise<void>;
  /**
   * Removes a layer that nobody has mounted (EBUSY otherwise). Keeping layers
   * that others stand on is the layer store's job, which counts references
   * across images and containers; a driver may refuse those too (aufs does).
   */
  remove(id: string): Promise<void>;
  exists(id: string): Promise<boolean>;
  /** The directory that holds this layer's own changes: where a tar diff is applied. */
  diffPath(id: string): string;
  /** Parent id of a layer, or null for a base layer. */
  parent(id: string): Promise<string | null>;
  /** Layer ids known to the driver. */
  list(): Promise<string[]>;
  /** Docker's `DriverStatus` pairs for /info. */
  status(): Array<[string, string]>;
  layerStatus(id: string): Promise<LayerStatus>;
  /** Unmounts everything this driver mounted (shutdown). */
  cleanup(): Promise<void>;
}

/** Errors a driver rejects with, so callers switch on `code`, not on text. */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly code: 'ENOENT' | 'EEXIST' | 'EBUSY' | 'EINVAL' | 'ENOTEMPTY',
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export const layerNotFound = (id: string): StorageError => new StorageError(`layer does not exist: ${id}`, 'ENOENT');
export const layerExists = (id: string): StorageError => new StorageError(`layer already exists: ${id}`, 'EEXIST');
export const layerBusy = (id: string, why: string): StorageError =>
  new StorageError(`layer ${id} is in use: ${why}`, 'EBUSY');

/** Layer ids become directory names: keep them to one safe path component. */
export function validateLayerId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id) || id.includes('..')) {
    throw new StorageError(`invalid layer id: ${JSON.stringify(id)}`, 'EINVAL');
  }
}
