// The busybox image the API tests load and pull, built from the machine's busybox-static.
import * as path from 'node:path';
import { type BuiltImage, busyboxEntries, buildImage, layerTar, writeDockerSave, writeOciLayout } from '../../support/image-fixtures';
import { pushOciLayout, type TestRegistry } from '../../support/registry';

export interface BusyboxImage {
  image: BuiltImage;
  /** A `docker save` archive tagged busybox:latest. */
  archive: string;
  /** An OCI layout of the same image, for pushing to a registry. */
  layout: string;
}

/** Image config: a shell by default, and a volume so that creates make one. */
export const BUSYBOX_CONFIG = {
  Cmd: ['/bin/sh'],
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
};

export async function writeBusybox(dir: string, tags = ['busybox:latest']): Promise<BusyboxImage> {
  const layers = [await layerTar(busyboxEntries())];
  const image = buildImage({ layers, config: BUSYBOX_CONFIG });
  const archive = path.join(dir, 'busybox.tar');
  const layout = path.join(dir, 'busybox-oci');
  await writeDockerSave(archive, image, tags, layers);
  await writeOciLayout(layout, image);
  return { image, archive, layout };
}

/** Pushes the image to `<registry>/<repoTag>`; returns the reference to pull. */
export async function pushBusybox(busybox: BusyboxImage, registry: TestRegistry, repoTag: string): Promise<string> {
  await pushOciLayout(busybox.layout, registry.host, repoTag);
  return `${registry.host}/${repoTag}`;
}
