// The docker CLI's container and volume commands against an in-process berth
// daemon: create (name, env, volumes, binds, links; a missing image pulled and
// the create retried), inspect, ps, rm, volume create/ls/inspect/rm, events.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DOCKER_BIN, startTestDaemon, type TestDaemon } from '../../support/daemon';
import { registrySkipReason, startRegistry, type TestRegistry } from '../../support/registry';
import { describeAsRoot, mountPointsUnder } from '../../support/temp-root';
import { type BusyboxImage, pushBusybox, writeBusybox } from './fixtures';

const skip = !existsSync(DOCKER_BIN) ? `${DOCKER_BIN} not installed` : registrySkipReason();
if (skip) console.warn(`skipped docker CLI container tests: ${skip}`);
const describeCli = skip ? describe.skip : describeAsRoot;

interface Inspect {
  Id: string;
  Name: string;
  Image: string;
  State: { Status: string };
  Config: { Env: string[]; Cmd: string[]; Image: string };
  HostConfig: { Binds: string[] | null; Links: string[] | null };
  Mounts: Array<{ Type: string; Name?: string; Source: string; Destination: string; RW: boolean }>;
}

describeCli('docker CLI: containers and volumes', () => {
  let d: TestDaemon;
  let registry: TestRegistry;
  let busybox: BusyboxImage;
  let hostDir: string;

  const inspect = async (name: string): Promise<Inspect> => {
    const list = JSON.parse(await d.dockerOk('inspect', '--type', 'container', name)) as Inspect[];
    expect(list).toHaveLength(1);
    return list[0];
  };

  beforeAll(async () => {
    d = await startTestDaemon();
    registry = await startRegistry();
    busybox = await writeBusybox(d.dir);
    await d.dockerOk('load', '-i', busybox.archive);
    hostDir = path.join(d.dir, 'host-data');
    await fs.mkdir(hostDir);
  });
  afterAll(async () => {
    await registry?.stop();
    await d?.stop();
  });

  test('docker create with a name, env, volumes and a bind prints only the ID', async () => {
    const r = await d.docker('create', '--name', 'web', '-e', 'A=1', '-v', '/data', '-v', 'named:/named', '-v', `${hostDir}:/bind:ro`, 'busybox');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const c = await inspect('web');
    expect(c.Id).toBe(r.stdout.trim());
    expect(c.Name).toBe('/web');
    expect(c.State.Status).toBe('created');
    expect(c.Config.Env).toContain('A=1');
    expect(c.Config.Env.some((e) => e.startsWith('PATH='))).toBe(true);
    expect(c.Config.Cmd).toEqual(['/bin/sh']);
    expect(c.Image).toBe(busybox.image.imageId);
    const byDest = new Map(c.Mounts.map((m) => [m.Destination, m]));
    expect(byDest.get('/data')?.Type).toBe('volume');
    expect(byDest.get('/named')).toMatchObject({ Type: 'volume', Name: 'named' });
    expect(byDest.get('/bind')).toMatchObject({ Type: 'bind', Source: hostDir, RW: false });
  });

  test('docker create with a link records it', async () => {
    await d.dockerOk('create', '--name', 'app', '--link', 'web:db', 'busybox', 'echo', 'hi');
    const c = await inspect('app');
    expect(c.HostConfig.Links).toEqual(['/web:/app/db']);
    expect(c.Config.Cmd).toEqual(['echo', 'hi']);
  });

  test('docker rm --link removes the link, not the container', async () => {
    await d.dockerOk('create', '--name', 'client', '--link', 'web:cache', 'busybox');
    expect((await inspect('client')).HostConfig.Links).toEqual(['/web:/client/cache']);
    expect((await d.dockerOk('rm', '--link', '/client/cache')).trim()).toBe('/client/cache');
    expect((await inspect('client')).HostConfig.Links ?? []).toEqual([]);
    expect((await inspect('web')).Name).toBe('/web');
    await d.dockerOk('rm', 'client');
  });

  test('a clashing name is refused with Docker text', async () => {
    const r = await d.docker('create', '--name', 'web', 'busybox');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"/);
  });

  test('docker ps -a lists both, docker ps none', async () => {
    const all = (await d.dockerOk('ps', '-a', '--format', '{{.Names}} {{.Image}} {{.State}}')).trim().split('\n').sort();
    expect(all).toEqual(['app busybox created', 'web busybox created']);
    expect((await d.dockerOk('ps', '-q')).trim()).toBe('');
    expect((await d.dockerOk('ps', '-a', '-q', '--filter', 'name=^/web$')).trim()).toMatch(/^[0-9a-f]{12}$/);
  });

  test('an image in use is not removed', async () => {
    const r = await d.docker('rmi', 'busybox');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/conflict|being used/i);
    expect((await d.docker('image', 'inspect', 'busybox')).code).toBe(0);
  });

  test('docker volume create, ls, inspect, rm', async () => {
    expect((await d.dockerOk('volume', 'create', '--label', 'team=x', 'v1')).trim()).toBe('v1');
    const names = (await d.dockerOk('volume', 'ls', '-q')).trim().split('\n');
    expect(names).toEqual(expect.arrayContaining(['v1', 'named']));
    const filtered = (await d.dockerOk('volume', 'ls', '-q', '--filter', 'label=team=x')).trim();
    expect(filtered).toBe('v1');
    const [v] = JSON.parse(await d.dockerOk('volume', 'inspect', 'v1')) as Array<{ Name: string; Driver: string; Labels: Record<string, string>; Mountpoint: string }>;
    expect(v).toMatchObject({ Name: 'v1', Driver: 'local', Labels: { team: 'x' } });
    expect(existsSync(v.Mountpoint)).toBe(true);
    expect((await d.dockerOk('volume', 'rm', 'v1')).trim()).toBe('v1');
    const gone = await d.docker('volume', 'inspect', 'v1');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/no such volume/i);
  });

  test('a volume in use is not removed', async () => {
    const r = await d.docker('volume', 'rm', 'named');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/in use/i);
  });

  test('docker create of a missing image pulls it and retries', async () => {
    const reference = await pushBusybox(busybox, registry, 'test/busybox:1');
    const r = await d.docker('create', '--name', 'pulled', reference);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Unable to find image '${reference}' locally`);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await inspect('pulled')).Config.Image).toBe(reference);
  });

  test('docker create of an image nowhere fails', async () => {
    const r = await d.docker('create', '--pull', 'never', 'nope:1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('No such image: nope:1');
  });

  test('docker events replays the creates', async () => {
    const out = await d.dockerOk('events', '--since', '0', '--until', `${Math.floor(Date.now() / 1000) + 1}`, '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}');
    const lines = out.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining(['create web', 'create app', 'create pulled']));
  });

  test("berth's mount endpoint mounts the rootfs, unmount releases it", async () => {
    const mounted = await d.request('/containers/web/mount', { method: 'POST' });
    expect(mounted.status).toBe(200);
    const { Path } = JSON.parse(mounted.body) as { Path: string };
    expect(existsSync(path.join(Path, 'bin', 'busybox'))).toBe(true);
    expect(existsSync(path.join(Path, '.dockerenv'))).toBe(true);
    expect(await mountPointsUnder(d.root)).toContain(Path);
    expect((await d.request('/containers/web/unmount', { method: 'POST' })).status).toBe(204);
    expect(await mountPointsUnder(d.root)).not.toContain(Path);
  });

  test('docker rm (with -v) removes containers, their anonymous volumes and mounts', async () => {
    const web = await inspect('web');
    const anonymous = web.Mounts.find((m) => m.Destination === '/data')?.Name;
    expect(anonymous).toMatch(/^[0-9a-f]{64}$/);
    const linked = await d.docker('rm', 'web');
    expect(linked.code).toBe(0);
    expect((await d.dockerOk('rm', 'app', 'pulled')).trim().split('\n')).toEqual(['app', 'pulled']);
    const gone = await d.docker('inspect', '--type', 'container', 'web');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/No such container: web/);
    expect((await d.dockerOk('ps', '-a', '-q')).trim()).toBe('');
    expect(await mountPointsUnder(d.root)).toEqual([]);
  });

  test('docker rm -v drops the anonymous volume', async () => {
    const id = (await d.dockerOk('create', '-v', '/scratch', 'busybox')).trim();
    const c = await inspect(id);
    const vol = c.Mounts.find((m) => m.Destination === '/scratch')?.Name;
    expect(vol).toBeDefined();
    await d.dockerOk('rm', '-v', id);
    expect((await d.docker('volume', 'inspect', vol!)).code).not.toBe(0);
    expect((await d.dockerOk('volume', 'rm', 'named')).trim()).toBe('named');
  });
});
