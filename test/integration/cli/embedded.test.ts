// `berth` with the engine in its own process, on a temp root, as root on
// real mounts: load, images, create (flags, warnings, --cidfile), inspect,
// ps, volumes, mount/umount, rm, rmi, and a create whose image is missing
// that pulls it from a local registry and tries again.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../../src/cli/program';
import type { ContainerInspect } from '../../../src/container/types';
import { pushOciLayout, registrySkipReason, startRegistry, type TestRegistry } from '../../support/registry';
import { describeAsRoot, destroyTempRoot, makeTempRoot, mountPointsUnder } from '../../support/temp-root';
import { Capture } from './fake-backend';
import { type BusyboxFiles, berth, berthOk, waitFor, writeBusyboxFiles } from './helpers';

describeAsRoot('berth CLI, embedded engine', () => {
  let dir = '';
  let root = '';
  let busybox: BusyboxFiles;
  const run = (...argv: string[]) => berth(['--root', root, ...argv], { cwd: dir });
  const ok = (...argv: string[]) => berthOk(['--root', root, ...argv], { cwd: dir });
  const inspectOne = async (name: string): Promise<ContainerInspect> => {
    const list = JSON.parse(await ok('inspect', '--type', 'container', name)) as ContainerInspect[];
    expect(list).toHaveLength(1);
    return list[0];
  };

  beforeAll(async () => {
    dir = makeTempRoot();
    root = path.join(dir, 'engine');
    busybox = await writeBusyboxFiles(dir);
  });
  afterAll(async () => {
    await destroyTempRoot(dir);
  });

  test('load and images', async () => {
    expect(await run('load', '-i', 'busybox.tar')).toEqual({ code: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
    const images = await ok('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
    expect(images).toBe(`busybox:latest ${busybox.image.imageId.slice(7, 19)}\n`);
    expect(await ok('images', '-q', '--no-trunc')).toBe(`${busybox.image.imageId}\n`);
    const table = (await ok('images')).split('\n');
    expect(table[0]).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    expect(table[1]).toMatch(new RegExp(`^busybox +latest +${busybox.image.imageId.slice(7, 19)} +\\S.* +[0-9.]+[kMG]?B$`));
  });

  test('create prints only the ID; inspect, ps and --format see the container; nothing is mounted', async () => {
    const created = await run('create', '--name', 'web', '-e', 'A=1', '-l', 'team=cli', '-v', '/data', '-w', '/srv', '--restart', 'on-failure:3', '-m', '64m', 'busybox', 'sh', '-c', 'echo hi');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const id = created.stdout.trim();
    expect(await mountPointsUnder(dir)).toEqual([]);

    const c = await inspectOne('web');
    expect(c).toMatchObject({
      Id: id,
      Name: '/web',
      Path: 'sh',
      Args: ['-c', 'echo hi'],
      State: { Status: 'created' },
      Config: { Image: 'busybox', WorkingDir: '/srv', Labels: { team: 'cli' }, Cmd: ['sh', '-c', 'echo hi'] },
      HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, Memory: 64 * 1024 * 1024 },
    });
    expect(c.Config.Env).toContain('A=1');
    expect(c.Mounts.map((m) => m.Destination).sort()).toEqual(['/cache', '/data']);

    expect(await ok('inspect', '-f', '{{.State.Status}} {{index .Config.Labels "team"}} {{.HostConfig.RestartPolicy.Name}}', 'web')).toBe('created cli on-failure\n');
    expect(await ok('ps', '-a', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Status}}')).toBe(`${id.slice(0, 12)} web busybox "sh -c 'echo hi'" Created\n`);
    expect(await ok('ps', '--format', '{{.Names}}')).toBe('');
    const table = (await ok('ps', '-a')).split('\n');
    expect(table[0]).toMatch(/^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    expect(table[1]).toMatch(new RegExp(`^${id.slice(0, 12)} +busybox +"sh -c 'echo hi'" +\\S.* ago +Created +web$`));
  });

  test('a missing image with --pull never, a bad flag, a name clash: 125 and docker\'s words', async () => {
    expect(await run('create', '--pull', 'never', 'nothere')).toEqual({
      code: 125,
      stdout: '',
      stderr: 'Error response from daemon: No such image: nothere:latest\n',
    });
    expect((await run('create', '--pull', 'sometimes', 'busybox')).code).toBe(125);
    const clash = await run('create', '--name', 'web', 'busybox');
    expect(clash.code).toBe(125);
    expect(clash.stderr).toMatch(/^Error response from daemon: Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"\./);
    expect(await run('rm', 'nothere')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: nothere\n' });
  });

  test('--cidfile: written once, an existing file refused, none left by a failure', async () => {
    const cid = path.join(dir, 'cid');
    const created = await ok('create', '--cidfile', 'cid', '-v', 'named:/named', 'busybox');
    expect(readFileSync(cid, 'utf8')).toBe(created.trim());
    const again = await run('create', '--cidfile', 'cid', 'busybox');
    expect(again.code).toBe(125);
    expect(again.stderr).toBe(`container ID file found, make sure the other container isn't running or delete ${cid}\n`);
    const failed = await run('create', '--cidfile', 'cid2', '--pull', 'never', 'nothere');
    expect(failed.code).toBe(125);
    expect(existsSync(path.join(dir, 'cid2'))).toBe(false);
    expect(await ok('rm', '-v', created.trim())).toBe(`${created.trim()}\n`);
  });

  test('volumes: create, ls, inspect, rm', async () => {
    expect(await ok('volume', 'create', '--label', 'k=v', 'vol1')).toBe('vol1\n');
    expect((await ok('volume', 'ls', '-q')).split('\n')).toContain('vol1');
    expect(await ok('volume', 'ls', '-f', 'name=vol1', '--format', '{{.Driver}} {{.Name}} {{.Label "k"}}')).toBe('local vol1 v\n');
    const [v] = JSON.parse(await ok('volume', 'inspect', 'vol1')) as Array<{ Name: string; Mountpoint: string; Labels: Record<string, string> }>;
    expect(v).toMatchObject({ Name: 'vol1', Mountpoint: path.join(root, 'volumes', 'vol1', '_data'), Labels: { k: 'v' } });
    expect(await ok('volume', 'rm', 'vol1')).toBe('vol1\n');
    expect((await run('volume', 'inspect', 'vol1')).code).toBe(1);
  });

  test('mount holds the rootfs mounted until interrupted; then nothing is left mounted', async () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const controller = new AbortController();
    const done = runCli(['--root', root, 'mount', 'web'], {
      stdout, stderr, stdin: Readable.from([]), env: {}, isTTY: false, stdinIsTTY: false, signal: controller.signal,
    });
    try {
      await waitFor(() => stdout.text.endsWith('\n') || stderr.text.length > 0);
      const merged = stdout.text.trim();
      expect(merged).toMatch(/\/merged$/);
      expect(existsSync(path.join(merged, 'bin', 'busybox'))).toBe(true);
      expect(existsSync(path.join(merged, '.dockerenv'))).toBe(true);
      expect(await mountPointsUnder(dir)).toEqual([merged]);
    } finally {
      controller.abort();
    }
    expect(await done).toBe(0);
    expect(await mountPointsUnder(dir)).toEqual([]);
    // Nothing an embedded engine mounted outlives it, so there is nothing to unmount.
    const umount = await run('umount', 'web');
    expect(umount.code).toBe(1);
    expect(umount.stderr).toMatch(/^Error response from daemon: container [0-9a-f]{12} is not mounted\n$/);
  });

  test('rm -v removes the container and its anonymous volumes; rmi the image', async () => {
    const volumesBefore = (await ok('volume', 'ls', '-q')).split('\n').filter(Boolean);
    const c = await inspectOne('web');
    const anonymous = c.Mounts.filter((m) => m.Type === 'volume').map((m) => m.Name);
    expect(anonymous).toHaveLength(2);
    expect(await ok('rm', '-v', 'web')).toBe('web\n');
    expect(await ok('ps', '-aq')).toBe('');
    const volumesAfter = (await ok('volume', 'ls', '-q')).split('\n').filter(Boolean);
    expect(volumesAfter.sort()).toEqual(volumesBefore.filter((v) => !anonymous.includes(v)).sort());
    // As docker prints it: the image, then each layer it freed.
    expect(await ok('rmi', 'busybox')).toBe(`Untagged: busybox:latest\nDeleted: ${busybox.image.imageId}\nDeleted: ${busybox.image.chainIds[0]}\n`);
    expect(await ok('images', '-q')).toBe('');
  });

  const registrySkip = registrySkipReason();
  (registrySkip ? test.skip : test)('a missing image is pulled from a registry (progress on stderr) and the create retried', async () => {
    let registry: TestRegistry | undefined;
    try {
      registry = await startRegistry();
      await pushOciLayout(busybox.layout, registry.host, 'tools/busybox:1');
      const ref = `${registry.host}/tools/busybox:1`;
      const created = await run('create', '--name', 'pulled', ref);
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      const lines = created.stderr.split('\n');
      expect(lines[0]).toBe(`Unable to find image '${ref}' locally`);
      expect(lines[1]).toBe('1: Pulling from tools/busybox');
      expect(lines).toContain(`${busybox.image.blobs[0].digest.slice(7, 19)}: Pull complete`);
      expect(lines).toContain(`Status: Downloaded newer image for ${ref}`);
      expect(created.stderr).not.toMatch(/Downloading|Extracting/);
      expect((await inspectOne('pulled')).Config.Image).toBe(ref);
      // Present now: a second create neither announces nor pulls.
      expect(await run('create', ref)).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await registry?.stop();
    }
  });
});
