// The create pipeline end to end, as root on real overlay mounts: every
// fixture image, Docker's inspect shape, volumes and copy-up, links, names,
// removal, and a state that is whole after every restart.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Engine, type ContainerInspect, type EngineEvent } from '../../../src';
import {
  BUSYBOX,
  DEEP_IMAGE,
  DEEP_LAYERS,
  VOLUMES_IMAGE,
  WHITEOUT_IMAGE,
  loadBusybox,
  loadDeepImage,
  loadVolumesImage,
  loadWhiteoutImage,
} from '../../support/container-fixtures';
import { describeAsRoot, destroyTempRoot, makeTempRoot, mountPointsUnder } from '../../support/temp-root';

const dockerInspect = JSON.parse(
  readFileSync(path.join(__dirname, '../../fixtures/dockerd-inspect-created.json'), 'utf8'),
) as Record<string, unknown>;
const dockerSummary = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/dockerd-ps-created.json'), 'utf8')) as Record<string, unknown>;

const keysOf = (o: unknown): string[] => Object.keys(o as object).sort();

describeAsRoot('engine.containers', () => {
  let root = '';
  let engineRoot = '';
  let engine: Engine;
  let busyboxId = '';
  let volumesImageId = '';

  beforeAll(async () => {
    root = makeTempRoot();
    engineRoot = path.join(root, 'engine');
    engine = await Engine.open({ root: engineRoot });
    busyboxId = await loadBusybox(engine, root);
    volumesImageId = await loadVolumesImage(engine, root);
    await loadDeepImage(engine, root);
    await loadWhiteoutImage(engine, root);
  });
  afterAll(async () => {
    await engine?.close();
    await destroyTempRoot(root);
  });

  test('a busybox create gives what docker inspect shows, persisted, with the init layer and no mount', async () => {
    const events: EngineEvent[] = [];
    const unsubscribe = engine.events.subscribe((e) => events.push(e));
    const { Id, Warnings } = await engine.containers.create({
      name: 'shape',
      config: { Image: 'busybox', Env: ['X=1'], Labels: { l1: 'v1' } },
      hostConfig: {},
    });
    unsubscribe();
    expect(Id).toMatch(/^[a-f0-9]{64}$/);
    expect(Id.slice(0, 12)).not.toMatch(/^\d+$/);
    expect(Warnings).toEqual([]);
    expect(await mountPointsUnder(root)).toEqual([]);

    const inspect = engine.containers.inspect('shape');
    // The same fields as dockerd's own inspect of a created container, in every section.
    expect(keysOf(inspect)).toEqual(keysOf(dockerInspect));
    for (const section of ['State', 'Config', 'HostConfig', 'GraphDriver', 'NetworkSettings'] as const) {
      expect([section, keysOf(inspect[section])]).toEqual([section, keysOf(dockerInspect[section])]);
    }
    expect(inspect).toMatchObject({
      Id,
      Name: '/shape',
      Path: '/bin/sh',
      Args: [],
      Image: busyboxId,
      Driver: 'overlay2',
      Platform: 'linux',
      State: { Status: 'created', Running: false, Pid: 0, StartedAt: '0001-01-01T00:00:00Z' },
      Config: {
        Hostname: Id.slice(0, 12),
        Image: 'busybox',
        Env: ['X=1', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['/bin/sh'],
        Entrypoint: null,
        Labels: { l1: 'v1' },
      },
      HostConfig: { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, ShmSize: 67108864, NetworkMode: 'default', LogConfig: { Type: 'json-file' } },
      Mounts: [],
    });
    const data = inspect.GraphDriver.Data as Record<string, string>;
    const upper = data.UpperDir;
    expect(upper).toMatch(/overlay2\/[a-f0-9]{64}\/diff$/);
    expect(data.LowerDir.split(':')).toHaveLength(2);
    expect(data.LowerDir.split(':')[0]).toBe(upper.replace(/\/diff$/, '-init/diff'));
    expect(await fs.readdir(upper)).toEqual([]);
    const init = data.LowerDir.split(':')[0];
    expect((await fs.readdir(init)).sort()).toEqual(['.dockerenv', '.dockerinit', 'dev', 'etc', 'proc', 'sys']);
    expect((await fs.readlink(path.join(init, 'etc/mtab')))).toBe('/proc/mounts');

    const dir = path.join(engineRoot, 'containers', Id);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    const persisted = JSON.parse(await fs.readFile(path.join(dir, 'config.v2.json'), 'utf8'));
    expect(persisted).toMatchObject({ ID: Id, Name: '/shape', Image: busyboxId, Config: { Image: 'busybox' } });
    expect(JSON.parse(await fs.readFile(path.join(dir, 'hostconfig.json'), 'utf8'))).toMatchObject({ RestartPolicy: { Name: 'no' } });
    expect(await fs.readFile(path.join(dir, 'hostname'), 'utf8')).toBe(`${Id.slice(0, 12)}\n`);
    expect(await fs.readFile(path.join(dir, 'hosts'), 'utf8')).toContain('127.0.0.1\tlocalhost');
    expect(await fs.readFile(path.join(dir, 'resolv.conf'), 'utf8')).toMatch(/^nameserver /m);
    await expect(fs.readdir(dir)).resolves.not.toContain('create-journal');
    expect(await fs.readFile(path.join(engineRoot, 'image/overlay2/layerdb/mounts', Id, 'init-id'), 'utf8')).toMatch(/-init$/);

    expect(events).toEqual([
      expect.objectContaining({
        Type: 'container',
        Action: 'create',
        Actor: { ID: Id, Attributes: { image: 'busybox', name: 'shape', l1: 'v1' } },
        scope: 'local',
        time: expect.any(Number),
        timeNano: expect.any(Number),
      }),
    ]);

    const [summary] = engine.containers.list({ all: true, filters: { id: [Id] } });
    expect(keysOf(summary)).toEqual(keysOf(dockerSummary));
    expect(summary).toMatchObject({ Id, Names: ['/shape'], Image: 'busybox', ImageID: busyboxId, Command: '/bin/sh', State: 'created', Status: 'Created' });
    await engine.containers.remove(Id);
  });

  test('the volumes image: merge rules, anonymous volumes filled from the image, nocopy, binds and named volumes', async () => {
    const bindSource = path.join(root, 'bind-src');
    await fs.mkdir(bindSource);
    const { Id } = await engine.containers.create({
      name: 'vols',
      config: { Image: VOLUMES_IMAGE, Env: ['SHARED=user'], Labels: { shared: 'user' }, Cmd: ['echo bye'] },
      hostConfig: { Binds: [`${bindSource}:/host:ro`, 'named-vol:/named', 'quiet:/quiet:nocopy'] },
    });
    const c = engine.containers.inspect(Id);
    expect(c.Config).toMatchObject({
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo bye'],
      WorkingDir: '/work',
      Env: ['SHARED=user', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'IMAGE_ONLY=1'],
      Labels: { shared: 'user', 'org.example.image': 'volumes' },
      Volumes: { '/data': {}, '/empty': {} },
      ExposedPorts: { '8080/tcp': {} },
    });
    expect(c.Path).toBe('/bin/sh');
    expect(c.Args).toEqual(['-c', 'echo bye']);
    const byDest = Object.fromEntries(c.Mounts.map((m) => [m.Destination, m]));
    expect(Object.keys(byDest).sort()).toEqual(['/data', '/empty', '/host', '/named', '/quiet']);
    expect(byDest['/host']).toMatchObject({ Type: 'bind', Source: bindSource, RW: false, Mode: 'ro', Propagation: 'rprivate' });
    expect(byDest['/named']).toMatchObject({ Type: 'volume', Name: 'named-vol', Driver: 'local', RW: true });
    expect(byDest['/data']).toMatchObject({ Type: 'volume', Name: expect.stringMatching(/^[a-f0-9]{64}$/), RW: true });

    // The image's /data went into the fresh anonymous volume, with its mode, owner and symlink.
    const dataVolume = byDest['/data'].Source;
    expect(dataVolume).toBe(path.join(engineRoot, 'volumes', byDest['/data'].Name as string, '_data'));
    expect(await fs.readFile(path.join(dataVolume, 'seed.txt'), 'utf8')).toBe('seeded by the image\n');
    expect(await fs.readFile(path.join(dataVolume, 'sub/deep.txt'), 'utf8')).toBe('deeper\n');
    expect(await fs.readlink(path.join(dataVolume, 'link'))).toBe('/etc/passwd');
    const st = await fs.stat(dataVolume);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o750, 1000, 1000]);
    expect(await fs.readdir(byDest['/empty'].Source)).toEqual([]);
    expect(await fs.readdir(engine.volumes.inspect('quiet').Mountpoint)).toEqual([]);
    expect(await mountPointsUnder(root)).toEqual([]);
    // Mount points the image lacks were made in the container's layer, as Docker leaves them.
    const upper = (c.GraphDriver.Data as Record<string, string>).UpperDir;
    expect((await fs.readdir(upper)).sort()).toEqual(['empty', 'named', 'work']);

    // A second container on the named volume does not copy again; volumes-from shares all of them.
    const second = await engine.containers.create({ config: { Image: VOLUMES_IMAGE }, hostConfig: { VolumesFrom: ['vols:ro'] } });
    const shared = engine.containers.inspect(second.Id).Mounts;
    expect(shared.find((m) => m.Destination === '/data')).toMatchObject({ Name: byDest['/data'].Name, RW: false });
    await expect(engine.volumes.remove('named-vol')).rejects.toMatchObject({ code: 'EEXIST', message: expect.stringContaining('volume is in use') });

    await engine.containers.remove(second.Id, { v: true });
    expect(engine.volumes.inspect(byDest['/data'].Name as string).Name).toBe(byDest['/data'].Name); // still used by vols
    await engine.containers.remove('vols', { v: true });
    // -v removes anonymous volumes only; named ones stay.
    expect(() => engine.volumes.inspect(byDest['/data'].Name as string)).toThrow(/no such volume/);
    expect(engine.volumes.inspect('named-vol').Name).toBe('named-vol');
    await engine.volumes.remove('named-vol');
    await engine.volumes.remove('quiet');
  });

  test('a 125-layer image and an image with whiteouts mount as their layers say', async () => {
    const deep = await engine.containers.create({ config: { Image: DEEP_IMAGE } });
    const whiteouts = await engine.containers.create({ config: { Image: WHITEOUT_IMAGE } });
    expect(((engine.containers.inspect(deep.Id).GraphDriver.Data as Record<string, string>).LowerDir.split(':'))).toHaveLength(DEEP_LAYERS + 1);
    try {
      const merged = await engine.containers.mount(deep.Id);
      expect(await fs.readFile(path.join(merged, `layer-${DEEP_LAYERS - 1}.txt`), 'utf8')).toBe(`${DEEP_LAYERS - 1}\n`);
      expect(await fs.readFile(path.join(merged, 'layer-1.txt'), 'utf8')).toBe('1\n');
      await fs.access(path.join(merged, '.dockerenv'));
      const wMerged = await engine.containers.mount(whiteouts.Id);
      await expect(fs.access(path.join(wMerged, 'etc/group'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await fs.readdir(path.join(wMerged, 'tmp'))).sort()).toEqual(['upper.txt']);
      expect(await fs.readFile(path.join(wMerged, 'etc/passwd'), 'utf8')).toContain('root:x:0:0');
      await expect(engine.containers.remove(deep.Id)).rejects.toMatchObject({ code: 'EEXIST' });
    } finally {
      await engine.containers.unmount(deep.Id).catch(() => undefined);
      await engine.containers.unmount(whiteouts.Id).catch(() => undefined);
    }
    expect(await mountPointsUnder(root)).toEqual([]);
    await engine.containers.remove(deep.Id);
    await engine.containers.remove(whiteouts.Id);
  });

  test('bad requests are refused with Docker\'s words and leave nothing behind', async () => {
    const before = await stateOf(engine, engineRoot);
    const cases: Array<[Parameters<Engine['containers']['create']>[0], number | string, string | RegExp]> = [
      [{ config: null }, 'EINVAL', 'config cannot be empty in order to create a container'],
      [{ config: { Image: 'missing:1' } }, 'ENOENT', 'No such image: missing:1'],
      [{ name: 'bad name!', config: { Image: BUSYBOX } }, 'EINVAL', 'Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'],
      [{ config: { Image: BUSYBOX, WorkingDir: 'rel' } }, 'EINVAL', "the working directory 'rel' is invalid, it needs to be an absolute path"],
      [{ config: { Image: BUSYBOX }, hostConfig: { Memory: 1024 } }, 'EINVAL', 'Minimum memory limit allowed is 6MB'],
      [{ config: { Image: BUSYBOX }, hostConfig: { Binds: ['/a:/b:rw:extra:x'] } }, 'EINVAL', /invalid volume specification/],
      [{ config: { Image: BUSYBOX }, hostConfig: { Binds: ['/a:/same', '/b:/same'] } }, 'EINVAL', 'Duplicate mount point: /same'],
      [{ config: { Image: BUSYBOX }, hostConfig: { Links: ['nobody:alias'] } }, 'EINVAL', 'could not get container for nobody'],
      [{ config: { Image: BUSYBOX }, hostConfig: { VolumesFrom: ['nobody'] } }, 'ENOENT', /No such container: nobody/],
      [{ config: { Image: BUSYBOX, Entrypoint: [''], Cmd: [] } }, 'EINVAL', 'no command specified'],
      [{ config: { Image: BUSYBOX, Cmd: 42 as unknown as string[] } }, 'EINVAL', /Cmd/],
    ];
    for (const [request, code, message] of cases) {
      const error = await engine.containers.create(request).then(
        () => new Error('created'),
        (e: Error & { code?: string }) => e,
      );
      const text = typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message);
      expect([request, error]).toEqual([request, expect.objectContaining({ code, message: text })]);
    }
    expect(await stateOf(engine, engineRoot)).toEqual(before);
  });

  test('names: a taken name is a 409 with Docker\'s text; generated names; lookup by prefix', async () => {
    const a = await engine.containers.create({ name: 'taken', config: { Image: BUSYBOX } });
    await expect(engine.containers.create({ name: '/taken', config: { Image: BUSYBOX } })).rejects.toMatchObject({
      code: 'EEXIST',
      message: `Conflict. The container name "/taken" is already in use by container "${a.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
    });
    const b = await engine.containers.create({ config: { Image: BUSYBOX } });
    expect(engine.containers.inspect(b.Id).Name).toMatch(/^\/[a-z]+_[a-z]+\d?$/);
    expect(engine.containers.inspect(a.Id.slice(0, 12)).Id).toBe(a.Id);
    expect(() => engine.containers.inspect('nonesuch')).toThrow('No such container: nonesuch');
    await engine.containers.remove('taken');
    await engine.containers.remove(b.Id);
    const again = await engine.containers.create({ name: 'taken', config: { Image: BUSYBOX } });
    await engine.containers.remove(again.Id);
  });

  test('links: recorded in the link graph, named /parent/alias, removable alone', async () => {
    const db = await engine.containers.create({ name: 'db', config: { Image: BUSYBOX, ExposedPorts: { '5432/tcp': {} }, Env: ['PASS=x'] } });
    const web = await engine.containers.create({ name: 'web', config: { Image: BUSYBOX }, hostConfig: { Links: ['db:database'] } });
    expect(engine.containers.inspect('web').HostConfig.Links).toEqual(['/db:/web/database']);
    expect(engine.containers.inspect('/web/database').Id).toBe(db.Id);
    expect(engine.containers.list({ all: true, filters: { id: [db.Id] } })[0].Names.sort()).toEqual(['/db', '/web/database']);
    const [row] = engine.linkGraph.childrenOf(web.Id);
    expect(row).toMatchObject({ parentId: web.Id, childId: db.Id, alias: 'database', name: '/web/database' });
    expect(row.env).toEqual(expect.arrayContaining(['DATABASE_PORT=tcp://:5432', 'DATABASE_NAME=/web/database', 'DATABASE_ENV_PASS=x']));
    // The hosts line waits for the child's address (start); the hosts file has none without one.
    expect(row.hosts).toEqual([`database ${db.Id.slice(0, 12)} db`]);
    expect(await fs.readFile(engine.containers.inspect('web').HostsPath, 'utf8')).not.toContain('database');
    await engine.containers.remove('/web/database', { link: true });
    expect(engine.linkGraph.childrenOf(web.Id)).toEqual([]);
    expect(engine.containers.inspect('web').HostConfig.Links).toEqual([]);
    expect(() => engine.containers.inspect('/web/database')).toThrow('No such container');
    await engine.containers.remove('web');
    await engine.containers.remove('db');
  });

  test('rm releases layers so the image can go; rmi of a used image is refused', async () => {
    const { Id } = await engine.containers.create({ config: { Image: WHITEOUT_IMAGE } });
    await expect(engine.images.remove(WHITEOUT_IMAGE)).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringContaining(Id.slice(0, 12)) });
    const record = engine.imageStore.mount(Id);
    expect(record).toBeDefined();
    const events: string[] = [];
    const off = engine.events.subscribe((e) => events.push(`${e.Action} ${e.Actor.ID}`));
    await engine.containers.remove(Id);
    off();
    expect(events).toEqual([`destroy ${Id}`]);
    expect(await engine.driver.exists(record!.mountId)).toBe(false);
    expect(await engine.driver.exists(record!.initId)).toBe(false);
    await expect(fs.access(path.join(engineRoot, 'containers', Id))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(engine.containers.remove(Id)).rejects.toMatchObject({ code: 'ENOENT' });
    const removed = await engine.images.remove(WHITEOUT_IMAGE);
    expect(removed.filter((r) => r.Deleted)).toHaveLength(3); // the image and its two layers
    await loadWhiteoutImage(engine, root);
  });

  test('50 creates of one name at once: exactly one wins, the rest are 409 and leave nothing', async () => {
    const before = await stateOf(engine, engineRoot);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => engine.containers.create({ name: 'contended', config: { Image: BUSYBOX } })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as { code: string }).code)).toEqual(Array(49).fill('EEXIST'));
    await engine.containers.remove('contended');
    expect(await stateOf(engine, engineRoot)).toEqual(before);
  });

  test('200 creates and removes at once on one image keep names and layer references right', async () => {
    const before = await stateOf(engine, engineRoot);
    const image = engine.images.inspect(BUSYBOX);
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const { Id } = await engine.containers.create({ name: `churn-${i}`, config: { Image: BUSYBOX } });
        if (i % 2 === 0) await engine.containers.remove(Id);
      }),
    );
    const left = engine.containers.list({ all: true, filters: { name: ['^/churn-'] } });
    expect(left.map((c) => c.Names[0]).sort()).toEqual(
      Array.from({ length: 100 }, (_, i) => `/churn-${2 * i + 1}`).sort(),
    );
    await expect(engine.images.remove(BUSYBOX)).rejects.toMatchObject({ code: 'EBUSY' });
    await Promise.all(left.map((c) => engine.containers.remove(c.Id)));
    expect(await stateOf(engine, engineRoot)).toEqual(before);
    expect(engine.images.inspect(BUSYBOX).Id).toBe(image.Id);
  });

  test('restart: 100 containers come back whole and inspect the same', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const req = i % 10 === 0
        ? { name: `keep-${i}`, config: { Image: VOLUMES_IMAGE } }
        : { name: `keep-${i}`, config: { Image: BUSYBOX, Labels: { n: String(i) } } };
      ids.push((await engine.containers.create(req)).Id);
    }
    const linked = await engine.containers.create({ name: 'keep-linked', config: { Image: BUSYBOX }, hostConfig: { Links: ['keep-1:one'] } });
    ids.push(linked.Id);
    const inspects = ids.map((id) => engine.containers.inspect(id));
    await engine.close();
    expect(await mountPointsUnder(root)).toEqual([]);
    engine = await Engine.open({ root: engineRoot });
    expect(ids.map((id) => engine.containers.inspect(id))).toEqual(inspects);
    expect(engine.containers.inspect('/keep-linked/one').Id).toBe(ids[1]);
    await expect(engine.containers.create({ name: 'keep-5', config: { Image: BUSYBOX } })).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(engine.volumes.remove(inspects[0].Mounts[0].Name as string)).rejects.toMatchObject({ code: 'EEXIST' });
    for (const id of ids.reverse()) await engine.containers.remove(id, { v: true });
    expect(engine.containers.list({ all: true })).toEqual([]);
  });

  test('a failure at each step of a create leaves nothing of it', async () => {
    const before = await stateOf(engine, engineRoot);
    for (const step of ['reserved', 'directory', 'layer-record', 'init-layer', 'rw-layer', 'volumes', 'copy-up', 'links', 'commit'] as const) {
      engine.containers.faultHook = (s) => {
        if (s === step) throw new Error(`injected at ${s}`);
      };
      await expect(
        engine.containers.create({ name: 'faulty', config: { Image: VOLUMES_IMAGE }, hostConfig: { Binds: ['fault-named:/named'], Links: [] } }),
      ).rejects.toThrow(`injected at ${step}`);
      engine.containers.faultHook = null;
      expect([step, await stateOf(engine, engineRoot)]).toEqual([step, before]);
    }
  });

  test('a crash at each step of a create is rolled back by the next open', async () => {
    const { SimulatedCrash } = await import('../../../src/engine/containers');
    const before = await stateOf(engine, engineRoot);
    for (const step of ['reserved', 'directory', 'layer-record', 'init-layer', 'rw-layer', 'volumes', 'copy-up', 'links', 'commit'] as const) {
      engine.containers.faultHook = (s) => {
        if (s === step) throw new SimulatedCrash(s);
      };
      await expect(engine.containers.create({ name: 'crashy', config: { Image: VOLUMES_IMAGE }, hostConfig: { Binds: ['crash-named:/named'] } })).rejects.toThrow(
        'simulated crash',
      );
      engine.containers.faultHook = null;
      await engine.close();
      engine = await Engine.open({ root: engineRoot });
      const after = await stateOf(engine, engineRoot);
      if (step === 'commit') {
        // The files were committed: the container was made, and it is whole.
        expect(engine.containers.inspect('crashy').State.Status).toBe('created');
        await engine.containers.remove('crashy', { v: true });
        await engine.volumes.remove('crash-named');
        expect(await stateOf(engine, engineRoot)).toEqual(before);
      } else {
        expect([step, after]).toEqual([step, before]);
      }
    }
  });
});

/** What a create or a remove can leave: containers, layers, mount records, volumes, link rows, files. */
async function stateOf(engine: Engine, engineRoot: string): Promise<Record<string, unknown>> {
  const ls = (dir: string): Promise<string[]> => fs.readdir(dir).then((n) => n.sort(), () => []);
  return {
    containers: engine.containers.list({ all: true }).map((c) => c.Names.join(',')).sort(),
    containerDirs: await ls(path.join(engineRoot, 'containers')),
    layers: (await engine.driver.list()).sort(),
    mountRecords: await ls(path.join(engineRoot, 'image/overlay2/layerdb/mounts')),
    volumes: engine.volumes.list().Volumes.map((v) => v.Name).sort(),
    volumeDirs: await ls(path.join(engineRoot, 'volumes')),
    links: engine.linkGraph.all().map((l) => l.name).sort(),
    mounts: await mountPointsUnder(engineRoot),
    tmp: await ls(path.join(engineRoot, 'tmp')),
  };
}

export type { ContainerInspect };
