// dockerode (the Node client most tools use) against an in-process berth daemon.
import { createReadStream } from 'node:fs';
import Docker from 'dockerode';
import { startTestDaemon, type TestDaemon } from '../../support/daemon';
import { describeAsRoot } from '../../support/temp-root';
import { type BusyboxImage, writeBusybox } from './fixtures';

describeAsRoot('dockerode', () => {
  let d: TestDaemon;
  let docker: Docker;
  let busybox: BusyboxImage;

  beforeAll(async () => {
    d = await startTestDaemon();
    docker = new Docker({ socketPath: d.socket });
    busybox = await writeBusybox(d.dir);
  });
  afterAll(async () => {
    await d?.stop();
  });

  test('ping and version', async () => {
    expect(String(await docker.ping())).toBe('OK');
    const version = await docker.version();
    expect(version.ApiVersion).toBe('1.50');
    expect(version.Os).toBe('linux');
  });

  test('load and list images', async () => {
    const stream = await docker.loadImage(createReadStream(busybox.archive));
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    });
    expect(output).toContain('Loaded image: busybox:latest');
    const images = await docker.listImages();
    expect(images.map((i) => i.Id)).toEqual([busybox.image.imageId]);
    expect(images[0].RepoTags).toEqual(['busybox:latest']);
  });

  test('create, inspect, list and remove a container', async () => {
    const container = await docker.createContainer({ name: 'node-made', Image: 'busybox', Cmd: ['true'], Env: ['X=y'], Labels: { by: 'dockerode' } });
    expect(container.id).toMatch(/^[0-9a-f]{64}$/);
    const info = await container.inspect();
    expect(info.Name).toBe('/node-made');
    expect(info.Config.Cmd).toEqual(['true']);
    expect(info.Config.Env).toContain('X=y');
    expect(info.Config.Labels).toEqual({ by: 'dockerode' });
    const listed = await docker.listContainers({ all: true, filters: { label: ['by=dockerode'] } });
    expect(listed.map((c) => c.Id)).toEqual([container.id]);
    expect(listed[0].Names).toEqual(['/node-made']);
    await container.remove();
    await expect(docker.getContainer(container.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await docker.listContainers({ all: true })).toEqual([]);
  });

  test('errors carry Docker status codes and messages', async () => {
    await expect(docker.getImage('nope').inspect()).rejects.toMatchObject({ statusCode: 404, json: { message: 'No such image: nope:latest' } });
    await expect(docker.createContainer({ Image: 'busybox', name: '-bad' })).rejects.toMatchObject({ statusCode: 400 });
  });
});
