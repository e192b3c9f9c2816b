// engine.volumes: `docker volume create|ls|inspect|rm`, over the local driver.
import type { VolumeCreateRequest, VolumeInspect } from '../container/types';
import type { LocalVolumes } from '../volume/local';
import type { EventBus } from './events';

export class VolumesApi {
  constructor(
    private readonly volumes: LocalVolumes,
    private readonly events: EventBus,
  ) {}

  /** Creating a volume that exists returns it, as Docker does. */
  async create(request: VolumeCreateRequest = {}): Promise<VolumeInspect> {
    const { volume, created } = await this.volumes.create({
      Name: request.Name || undefined,
      Driver: request.Driver,
      DriverOpts: request.DriverOpts,
      Labels: request.Labels,
    });
    if (created) this.events.emit('volume', 'create', volume.Name, { driver: volume.Driver });
    return volume;
  }

  inspect(name: string): VolumeInspect {
    return this.volumes.inspect(name);
  }

  /** Filters: `name`, `label`, `dangling`, `driver`. */
  list(filters: Record<string, string[]> = {}): { Volumes: VolumeInspect[]; Warnings: string[] } {
    return { Volumes: this.volumes.list(filters), Warnings: [] };
  }

  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    const existed = this.volumes.get(name) !== undefined;
    await this.volumes.remove(name, options);
    if (existed) this.events.emit('volume', 'destroy', name, { driver: 'local' });
  }
}
