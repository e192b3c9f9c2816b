// The local volume driver on a real directory: create/get/list/remove,
// references, concurrent creates and the sweep after a crash.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../../../src/errors';
import { MNT_DETACH, mount, umount } from '../../../src/native';
import { LocalVolumes, anonymousVolumeLabel } from '../../../src/volume/local';
import { describeAsRoot, destroyTempRoot, makeTempRoot } from '../../support/temp-root';

async function rejectionOf(promise: Promise<unknown>): Promise<EngineError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

function thrownBy(run: () => unknown): EngineError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected an error');
}

describeAsRoot('LocalVolumes', () => {
  let root = '';
  let dir = '';

  beforeEach(() => {
    root = makeTempRoot();
    dir = path.join(root, 'volumes');
  });

  afterEach(async () => {
    await destroyTempRoot(root);
  });

  test('creates a named volume as dockerd lays it out and shows it', async () => {
    const volumes = await LocalVolumes.open(dir);
    expect(statSync(dir).mode & 0o7777).toBe(0o701);
    const { volume, created } = await volumes.create({ Name: 'named1', Labels: { a: 'b', c: '' } });
    expect(created).toBe(true);
    expect(Object.keys(volume)).toEqual(['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    expect(volume).toEqual({
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      Driver: 'local',
      Labels: { a: 'b', c: '' },
      Mountpoint: path.join(dir, 'named1', '_data'),
      Name: 'named1',
      Options: null,
      Scope: 'local',
    });
    expect(statSync(path.join(dir, 'named1')).mode & 0o7777).toBe(0o701);
    expect(statSync(volume.Mountpoint).mode & 0o7777).toBe(0o755);
    expect(readdirSync(volume.Mountpoint)).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(dir, 'named1', 'meta.json'), 'utf8'))).toMatchObject({
      Name: 'named1',
      Labels: { a: 'b', c: '' },
    });
    expect(readdirSync(dir)).toEqual(['named1']);
    expect(volumes.inspect('named1')).toEqual(volume);
    expect(volumes.get('named1')).toEqual(volume);
    expect(volumes.dataPath('named1')).toBe(volume.Mountpoint);
    expect(volumes.isAnonymous('named1')).toBe(false);
  });

  test('an existing name returns the volume as it is; empty Labels and DriverOpts are kept', async () => {
    const volumes = await LocalVolumes.open(dir);
    const first = await volumes.create({ Name: 'tv1', Labels: { a: 'b' } });
    const again = await volumes.create({ Name: 'tv1', Labels: { z: 'q' }, Driver: 'local' });
    expect(again).toEqual({ volume: first.volume, created: false });
    const empty = await volumes.create({ Name: 'tv2', Labels: {}, DriverOpts: {} });
    expect(empty.volume).toMatchObject({ Labels: {}, Options: {} });
  });

  test('no name: a random 64-hex one; anonymous volumes carry the label', async () => {
    const volumes = await LocalVolumes.open(dir);
    const plain = await volumes.create();
    expect(plain.volume.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(plain.volume.Labels).toBeNull();
    const anonymous = await volumes.create({ anonymous: true, Labels: { x: 'y' } });
    expect(anonymous.volume.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(anonymous.volume.Name).not.toBe(plain.volume.Name);
    expect(anonymous.volume.Labels).toEqual({ x: 'y', [anonymousVolumeLabel]: '' });
    expect(volumes.isAnonymous(anonymous.volume.Name)).toBe(true);
    expect(volumes.isAnonymous(plain.volume.Name)).toBe(false);
  });

  test.each([
    [{ Name: 'a' }, 'create a: volume name is too short, names should be at least two alphanumeric characters'],
    [
      { Name: 'a/b' },
      'create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    ],
    [{ Name: '.staging-x' }, expect.stringContaining('create .staging-x: ".staging-x" includes invalid characters')],
    [{ Name: 'tv2', Driver: 'foo' }, 'create tv2: error looking up volume plugin foo: plugin "foo" not found'],
    [{ Name: 'tv3', DriverOpts: { foo: 'bar' } }, 'create tv3: invalid option: "foo"'],
    [{ Name: 'tv4', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } }, 'create tv4: local volume options (device, type) are not supported'],
  ])('refuses %j', async (request, message) => {
    const volumes = await LocalVolumes.open(dir);
    const err = await rejectionOf(volumes.create(request));
    expect(err.message).toEqual(message);
    expect(err.code).toBe('EINVAL');
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a missing volume is not found', async () => {
    const volumes = await LocalVolumes.open(dir);
    expect(volumes.get('nosuch')).toBeUndefined();
    const err = thrownBy(() => volumes.inspect('nosuch'));
    expect(err.message).toBe('get nosuch: no such volume');
    expect(err.code).toBe('ENOENT');
    expect(thrownBy(() => volumes.dataPath('nosuch')).code).toBe('ENOENT');
    expect(thrownBy(() => volumes.addRef('nosuch', 'c1')).message).toBe('get nosuch: no such volume');
    expect(volumes.refs('nosuch')).toEqual([]);
    expect(() => volumes.removeRef('nosuch', 'c1')).not.toThrow();
  });

  test('list filters: name, label, dangling, driver', async () => {
    const volumes = await LocalVolumes.open(dir);
    await volumes.create({ Name: 'tv1', Labels: { a: 'b', c: '' } });
    await volumes.create({ Name: 'tv4', Labels: { a: 'other' } });
    await volumes.create({ Name: 'named1' });
    volumes.addRef('named1', 'c1');
    const names = (filters?: Record<string, string[]>): string[] => volumes.list(filters).map((v) => v.Name);
    expect(names()).toEqual(['named1', 'tv1', 'tv4']);
    expect(names({ name: ['tv'] })).toEqual(['tv1', 'tv4']);
    expect(names({ name: ['tv1', 'med'] })).toEqual(['named1', 'tv1']);
    expect(names({ label: ['a'] })).toEqual(['tv1', 'tv4']);
    expect(names({ label: ['a=b'] })).toEqual(['tv1']);
    expect(names({ label: ['a=b', 'c'] })).toEqual(['tv1']);
    expect(names({ label: ['a=other', 'c'] })).toEqual([]);
    expect(names({ dangling: ['true'] })).toEqual(['tv1', 'tv4']);
    expect(names({ dangling: ['1'], label: ['c'] })).toEqual(['tv1']);
    expect(names({ dangling: ['false'] })).toEqual(['named1']);
    expect(names({ dangling: ['0'] })).toEqual(['named1']);
    expect(names({ dangling: ['true', 'false'] })).toEqual([]);
    expect(names({ driver: ['loc'] })).toEqual(['named1', 'tv1', 'tv4']);
    expect(names({ driver: ['other'] })).toEqual([]);
    expect(thrownBy(() => volumes.list({ dangling: ['maybe'] })).message).toBe("Invalid filter 'dangling=[maybe]'");
    const unknown = thrownBy(() => volumes.list({ foo: ['x'] }));
    expect(unknown.message).toBe("Invalid filter 'foo'");
    expect(unknown.code).toBe('EINVAL');
  });

  test('remove: in use is a conflict, missing is not found unless forced', async () => {
    const volumes = await LocalVolumes.open(dir);
    await volumes.create({ Name: 'named1' });
    writeFileSync(path.join(volumes.dataPath('named1'), 'content'), 'x');
    volumes.addRef('named1', 'c1');
    volumes.addRef('named1', 'c2');
    volumes.addRef('named1', 'c1');
    expect(volumes.refs('named1')).toEqual(['c1', 'c2']);
    for (const force of [false, true]) {
      const err = await rejectionOf(volumes.remove('named1', { force }));
      expect(err.message).toBe('remove named1: volume is in use - [c1 c2]');
      expect(err.code).toBe('EEXIST');
    }
    volumes.removeRef('named1', 'c1');
    volumes.removeRef('named1', 'c2');
    expect(volumes.refs('named1')).toEqual([]);
    await volumes.remove('named1');
    expect(volumes.get('named1')).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    const missing = await rejectionOf(volumes.remove('named1'));
    expect(missing.message).toBe('get named1: no such volume');
    expect(missing.code).toBe('ENOENT');
    await expect(volumes.remove('named1', { force: true })).resolves.toBeUndefined();
    // The name is free again.
    expect((await volumes.create({ Name: 'named1' })).created).toBe(true);
  });

  test('remove refuses a volume with something mounted in it', async () => {
    const volumes = await LocalVolumes.open(dir);
    await volumes.create({ Name: 'mounted1' });
    const data = volumes.dataPath('mounted1');
    await mount('tmpfs', data, 'tmpfs', 0, 'size=1m');
    try {
      writeFileSync(path.join(data, 'precious'), 'x');
      const err = await rejectionOf(volumes.remove('mounted1'));
      expect(err.message).toBe(`remove mounted1: volume is in use - mounted at ${data}`);
      expect(readFileSync(path.join(data, 'precious'), 'utf8')).toBe('x');
      expect(volumes.get('mounted1')).toBeDefined();
    } finally {
      await umount(data, MNT_DETACH);
    }
    await volumes.remove('mounted1');
    expect(existsSync(path.join(dir, 'mounted1'))).toBe(false);
  });

  test('concurrent creates of one name make one volume', async () => {
    const volumes = await LocalVolumes.open(dir);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => volumes.create({ Name: 'shared', Labels: { n: String(i) } })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)?.volume;
    for (const r of results) expect(r.volume).toEqual(winner);
    expect(readdirSync(dir)).toEqual(['shared']);
  });

  test('a create and a remove of one name do not interleave', async () => {
    const volumes = await LocalVolumes.open(dir);
    const [created] = await Promise.all([volumes.create({ Name: 'racy' }), volumes.remove('racy', { force: true })]);
    expect(created.created).toBe(true);
    expect(volumes.get('racy')).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  test('reopening sweeps interrupted creates and removes and loads every volume', async () => {
    const first = await LocalVolumes.open(dir);
    await first.create({ Name: 'kept', Labels: { k: 'v' } });
    const anonymous = (await first.create({ anonymous: true })).volume.Name;
    writeFileSync(path.join(first.dataPath('kept'), 'data'), 'survives');
    // A crash mid-create and mid-remove.
    mkdirSync(path.join(dir, '.staging-0123', '_data'), { recursive: true });
    writeFileSync(path.join(dir, '.staging-0123', 'meta.json'), '{"Name":"half');
    mkdirSync(path.join(dir, '.removing-4567', '_data', 'deep'), { recursive: true });
    writeFileSync(path.join(dir, '.removing-4567', '_data', 'deep', 'f'), 'x');
    // A volume directory made by someone else: no meta.json.
    mkdirSync(path.join(dir, 'handmade', '_data'), { recursive: true });
    // Not volumes at all.
    writeFileSync(path.join(dir, 'metadata.db'), '');
    mkdirSync(path.join(dir, '.other'));

    const second = await LocalVolumes.open(dir);
    expect(readdirSync(dir).sort()).toEqual(['.other', anonymous, 'handmade', 'kept', 'metadata.db'].sort());
    expect(second.list().map((v) => v.Name)).toEqual([anonymous, 'handmade', 'kept'].sort());
    expect(second.inspect('kept')).toEqual(first.inspect('kept'));
    expect(second.isAnonymous(anonymous)).toBe(true);
    expect(second.inspect('handmade')).toMatchObject({ Labels: null, Options: null, Driver: 'local' });
    expect(second.inspect('handmade').CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(readFileSync(path.join(second.dataPath('kept'), 'data'), 'utf8')).toBe('survives');
    expect(second.refs('kept')).toEqual([]);
  });

  test('a directory already in place for a new name is adopted, not overwritten', async () => {
    const volumes = await LocalVolumes.open(dir);
    mkdirSync(path.join(dir, 'late', '_data'), { recursive: true });
    writeFileSync(path.join(dir, 'late', '_data', 'f'), 'kept');
    const result = await volumes.create({ Name: 'late', Labels: { new: '1' } });
    expect(result.created).toBe(false);
    expect(result.volume.Labels).toBeNull();
    expect(readFileSync(path.join(volumes.dataPath('late'), 'f'), 'utf8')).toBe('kept');
    expect(readdirSync(dir)).toEqual(['late']);
  });
});
