// The real docker CLI (28.2, API 1.50) against an in-process berth daemon:
// version, info, and the image commands, pull from a private registry included.
import { describeAsRoot, mountPointsUnder } from '../../support/temp-root';
import { DOCKER_BIN, startTestDaemon, type TestDaemon } from '../../support/daemon';
import { pushOciLayout, registrySkipReason, startRegistry, type TestRegistry } from '../../support/registry';
import { type BusyboxImage, pushBusybox, writeBusybox } from './fixtures';
import { existsSync } from 'node:fs';

const noDocker = existsSync(DOCKER_BIN) ? null : `${DOCKER_BIN} not installed`;
if (noDocker) console.warn(`skipped docker CLI tests: ${noDocker}`);
const describeCli = noDocker ? describe.skip : describeAsRoot;

describeCli('docker CLI: system and images', () => {
  let d: TestDaemon;
  let busybox: BusyboxImage;

  beforeAll(async () => {
    d = await startTestDaemon();
    busybox = await writeBusybox(d.dir);
  });
  afterAll(async () => {
    await d?.stop();
  });

  test('docker version shows berth as the server', async () => {
    const out = await d.dockerOk('version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}} {{.Server.Os}}');
    expect(out.trim()).toBe('berth 1.50 linux');
  });

  test('docker info', async () => {
    const out = await d.dockerOk('info', '--format', '{{json .}}');
    const info = JSON.parse(out) as Record<string, unknown>;
    expect(info.Driver).toBe(d.daemon.engine.driver.name);
    expect(info.DockerRootDir).toBe(d.daemon.engine.root);
    expect(info.OSType).toBe('linux');
    expect(typeof info.NCPU).toBe('number');
    const text = await d.dockerOk('info');
    expect(text).toContain(`Storage Driver: ${d.daemon.engine.driver.name}`);
    expect(text).toContain(`Docker Root Dir: ${d.daemon.engine.root}`);
  });

  test('docker load -i, images, image inspect', async () => {
    const load = await d.dockerOk('load', '-i', busybox.archive);
    expect(load).toContain('Loaded image: busybox:latest');
    const images = await d.dockerOk('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
    expect(images.trim().split('\n')).toEqual([`busybox:latest ${busybox.image.imageId.slice(7, 19)}`]);
    const inspect = JSON.parse(await d.dockerOk('image', 'inspect', 'busybox')) as Array<{ Id: string; RepoTags: string[]; Config: { Cmd: string[] } }>;
    expect(inspect).toHaveLength(1);
    expect(inspect[0].Id).toBe(busybox.image.imageId);
    expect(inspect[0].Config.Cmd).toEqual(['/bin/sh']);
  });

  test('docker images filters by reference', async () => {
    expect((await d.dockerOk('images', '--format', '{{.Repository}}', 'busy*')).trim()).toBe('busybox');
    expect((await d.dockerOk('images', '--format', '{{.Repository}}', 'alpine')).trim()).toBe('');
  });

  test('docker tag, then docker rmi of the tag and of a missing image', async () => {
    await d.dockerOk('tag', 'busybox', '127.0.0.1:5000/me/box:2');
    const tags = JSON.parse(await d.dockerOk('image', 'inspect', '--format', '{{json .RepoTags}}', 'busybox')) as string[];
    expect(tags.sort()).toEqual(['127.0.0.1:5000/me/box:2', 'busybox:latest']);
    const rmi = await d.dockerOk('rmi', '127.0.0.1:5000/me/box:2');
    expect(rmi).toContain('Untagged: 127.0.0.1:5000/me/box:2');
    expect(rmi).not.toContain('Deleted');
    const missing = await d.docker('rmi', 'nope:1');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('No such image: nope:1');
  });

  test('docker image inspect of a missing image fails with the daemon text', async () => {
    const r = await d.docker('image', 'inspect', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No such image: nope/);
  });

  test('docker rmi removes the last tag and the image', async () => {
    const rmi = await d.dockerOk('rmi', 'busybox');
    expect(rmi).toContain('Untagged: busybox:latest');
    expect(rmi).toContain(`Deleted: ${busybox.image.imageId}`);
    expect((await d.dockerOk('images', '-q')).trim()).toBe('');
  });

  test('docker load of garbage fails and leaves no image', async () => {
    const r = await d.docker('load', '-i', __filename);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).not.toBe('');
    expect((await d.dockerOk('images', '-q')).trim()).toBe('');
  });

  test('close() leaves no mount under the root', async () => {
    const other = await startTestDaemon();
    try {
      await other.dockerOk('load', '-i', busybox.archive);
      await other.daemon.close();
      expect(await mountPointsUnder(other.dir)).toEqual([]);
      expect(existsSync(other.socket)).toBe(false);
    } finally {
      await other.stop();
    }
  });
});

const noRegistry = registrySkipReason();
if (noRegistry) console.warn(`skipped docker pull tests: ${noRegistry}`);
const describePull = noDocker || noRegistry ? describe.skip : describeAsRoot;

describePull('docker CLI: pull from a private registry', () => {
  let d: TestDaemon;
  let registry: TestRegistry;
  let busybox: BusyboxImage;
  let reference: string;

  beforeAll(async () => {
    d = await startTestDaemon();
    registry = await startRegistry();
    busybox = await writeBusybox(d.dir);
    reference = await pushBusybox(busybox, registry, 'test/busybox:1');
  });
  afterAll(async () => {
    await registry?.stop();
    await d?.stop();
  });

  test('docker pull shows progress, then the image is there', async () => {
    const r = await d.docker('pull', reference);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Pull complete');
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${reference}`);
    expect(r.stdout.trim().split('\n').pop()).toBe(reference);
    expect((await d.dockerOk('image', 'inspect', '--format', '{{.Id}}', reference)).trim()).toBe(busybox.image.imageId);
  });

  test('a second pull is up to date', async () => {
    expect(await d.dockerOk('pull', reference)).toContain(`Status: Image is up to date for ${reference}`);
  });

  test('pulling a tag the registry lacks fails', async () => {
    const r = await d.docker('pull', `${registry.host}/test/busybox:nope`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nope/);
    expect((await d.docker('image', 'inspect', `${registry.host}/test/busybox:nope`)).code).not.toBe(0);
  });
});

describePull('pull with X-Registry-Auth', () => {
  const creds = { user: 'alice', password: 's3cret:with-colon' };
  let d: TestDaemon;
  let registry: TestRegistry;
  let reference: string;

  beforeAll(async () => {
    d = await startTestDaemon();
    registry = await startRegistry({ htpasswd: creds });
    const busybox = await writeBusybox(d.dir);
    await pushOciLayout(busybox.layout, registry.host, 'private/busybox:1', creds);
    reference = `${registry.host}/private/busybox`;
  });
  afterAll(async () => {
    await registry?.stop();
    await d?.stop();
  });

  const pull = (auth?: Record<string, string>) =>
    d.request(`/images/create?fromImage=${encodeURIComponent(reference)}&tag=1`, {
      method: 'POST',
      headers: auth ? { 'X-Registry-Auth': Buffer.from(JSON.stringify(auth)).toString('base64url') } : {},
    });

  test('without credentials the pull fails and nothing is stored', async () => {
    const r = await pull();
    const failed = r.status >= 400 || r.body.includes('"errorDetail"');
    expect(failed).toBe(true);
    expect((await d.request(`/images/${reference}:1/json`)).status).toBe(404);
  });

  test('with them it succeeds', async () => {
    const r = await pull({ username: creds.user, password: creds.password, serveraddress: registry.host });
    expect(r.status).toBe(200);
    expect(r.body).not.toContain('errorDetail');
    expect(r.body).toContain('Status: Downloaded newer image');
    expect(r.body.endsWith('\r\n')).toBe(true);
    expect((await d.request(`/images/${reference}:1/json`)).status).toBe(200);
  });
});
