// berth as a library: `import { Engine } from 'berth'`.
export { Engine, EngineLockedError, DEFAULT_ROOT } from './engine/engine';
export type { EngineOptions, ImageInspect, ImageSummary, ImagesApi } from './engine/engine';
export { ImageStoreError, MAX_IMAGE_DEPTH } from './image/store';
export type { JSONMessage } from './image/pull';
export { InvalidReferenceError } from './image/reference';
export { StorageError } from './storage/driver';
export type { GraphDriver } from './storage/driver';
export { EngineError, classifyError } from './errors';
export type { EngineErrorCode, ErrorClass } from './errors';
export type * from './container/types';
export type { ContainersApi } from './engine/containers';
export type { VolumesApi } from './engine/volumes';
export { EventBus, matchesEventFilters } from './engine/events';
