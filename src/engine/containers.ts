// engine.containers: the create pipeline and the container operations.
// (Being written; the signatures are the contract the API and CLI build on.)
import type {
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  ListContainersOptions,
  RemoveContainerOptions,
} from '../container/types';
import { EngineError } from '../errors';

const notYet = (): never => {
  throw new EngineError('not implemented yet', 'EIO');
};

export class ContainersApi {
  /** `docker create`: returns `{Id, Warnings}`. */
  async create(_request: ContainerCreateRequest): Promise<ContainerCreateResponse> {
    return notYet();
  }
  /** `docker inspect`: by full ID, name (with or without `/`), or unique ID prefix. */
  inspect(_idOrName: string): ContainerInspect {
    return notYet();
  }
  /** `docker ps`. */
  list(_options: ListContainersOptions = {}): ContainerSummary[] {
    return notYet();
  }
  /** `docker rm`. */
  async remove(_idOrName: string, _options: RemoveContainerOptions = {}): Promise<void> {
    return notYet();
  }
  /** Mounts the container's rootfs (refcounted); returns the merged path. */
  async mount(_idOrName: string): Promise<string> {
    return notYet();
  }
  async unmount(_idOrName: string): Promise<void> {
    return notYet();
  }
}
