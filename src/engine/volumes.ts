// engine.volumes: `docker volume create|ls|inspect|rm`.
// (Being written; the signatures are the contract the API and CLI build on.)
import type { VolumeCreateRequest, VolumeInspect } from '../container/types';
import { EngineError } from '../errors';

const notYet = (): never => {
  throw new EngineError('not implemented yet', 'EIO');
};

export class VolumesApi {
  async create(_request: VolumeCreateRequest = {}): Promise<VolumeInspect> {
    return notYet();
  }
  inspect(_name: string): VolumeInspect {
    return notYet();
  }
  /** Filters: `name`, `label`, `dangling`, `driver`. */
  list(_filters: Record<string, string[]> = {}): { Volumes: VolumeInspect[]; Warnings: string[] } {
    return notYet();
  }
  async remove(_name: string, _options: { force?: boolean } = {}): Promise<void> {
    return notYet();
  }
}
