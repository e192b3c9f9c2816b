// `berth -H unix:///...` as a client of a berth daemon, beside the real
// docker CLI on the same daemon: the same requests should give the same
// containers, and the same listings should print the same text.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ContainerInspect } from '../../../src/container/types';
import { DOCKER_BIN, startTestDaemon, type TestDaemon } from '../../support/daemon';
import { pushOciLayout, registrySkipReason, startRegistry, type TestRegistry } from '../../support/registry';
import { describeAsRoot, mountPointsUnder } from '../../support/temp-root';
import { type BusyboxFiles, berth, berthOk, writeBusyboxFiles } from './helpers';

const dockerSkip = existsSync(DOCKER_BIN) ? null : `${DOCKER_BIN} not installed`;
if (dockerSkip) console.warn(`comparisons with the docker CLI skipped: ${dockerSkip}`);
const withDocker = dockerSkip ? test.skip : test;

describeAsRoot('berth CLI as a client of a daemon', () => {
  let d: TestDaemon;
  let busybox: BusyboxFiles;
  let hostDir = '';
  const run = (...argv: string[]) => berth(['-H', `unix://${d.socket}`, ...argv], { cwd: d.dir });
  const ok = (...argv: string[]) => berthOk(['-H', `unix://${d.socket}`, ...argv], { cwd: d.dir });
  const inspectOne = async (name: string): Promise<ContainerInspect> => (JSON.parse(await ok('inspect', '--type', 'container', name)) as ContainerInspect[])[0];

  beforeAll(async () => {
    d = await startTestDaemon();
    busybox = await writeBusyboxFiles(d.dir);
    hostDir = path.join(d.dir, 'host-data');
    await fs.mkdir(hostDir);
  });
  afterAll(async () => {
    await d?.stop();
  });

  test('BERTH_HOST works like -H; a dead socket is a clear error', async () => {
    expect(await berth(['version', '--format', '{{.Server.Platform.Name}}'], { env: { BERTH_HOST: `unix://${d.socket}` } })).toEqual({
      code: 0,
      stdout: 'berth\n',
      stderr: '',
    });
    const dead = await berth(['-H', `unix://${d.dir}/nothing.sock`, 'ps']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/^Cannot connect to the berth daemon at unix:\/\/.*nothing\.sock\. Is the berth daemon running\?/);
  });

  test('load uploads the archive; images lists it', async () => {
    expect(await run('load', '-i', busybox.archive)).toEqual({ code: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
    expect(await ok('images', '--format', '{{.Repository}}:{{.Tag}}')).toBe('busybox:latest\n');
  });

  withDocker('images, as a table, prints what docker prints', async () => {
    expect(await ok('images')).toBe(await d.dockerOk('images'));
    const format = 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}\\t{{.CreatedSince}}';
    expect(await ok('images', '--format', format)).toBe(await d.dockerOk('images', '--format', format));
    expect(await ok('images', '--format', 'json')).toBe(await d.dockerOk('images', '--format', 'json'));
  });

  /** Creates a container with berth and one with docker from the same arguments; returns both inspects. */
  async function createBoth(name: string, args: string[], env: Record<string, string> = {}): Promise<[ContainerInspect, ContainerInspect]> {
    const ours = (await berthOk(['-H', `unix://${d.socket}`, 'create', '--name', `${name}-berth`, ...args], { env, cwd: d.dir })).trim();
    const theirs = await new Promise<string>((resolve, reject) => {
      // The docker CLI takes -e NAME from its own environment.
      execFile(DOCKER_BIN, ['create', '--name', `${name}-docker`, ...args], { env: { ...d.env, ...env }, cwd: d.dir }, (err, stdout, stderr) =>
        err ? reject(new Error(stderr)) : resolve(stdout.trim()),
      );
    });
    return [await inspectOne(ours), await inspectOne(theirs)];
  }

  /** What should match: everything but identity, and the console size docker takes from its terminal. */
  const comparable = (c: ContainerInspect) => ({
    // docker's client passes -e values through a Go map: their order is random.
    Config: { ...c.Config, Hostname: c.Config.Hostname === c.Id.slice(0, 12) ? 'from-id' : c.Config.Hostname, Env: [...(c.Config.Env ?? [])].sort() },
    // -v values pass through a Go map in docker's client too: Binds and Mounts come in any order.
    HostConfig: {
      ...c.HostConfig,
      ConsoleSize: undefined,
      Binds: c.HostConfig.Binds ? [...c.HostConfig.Binds].sort() : c.HostConfig.Binds,
      Links: c.HostConfig.Links?.map((l) => l.replace(/-(berth|docker)\//, '-x/')),
    },
    Mounts: [...c.Mounts].sort((a, b) => a.Destination.localeCompare(b.Destination)).map((m) => ({
      ...m,
      Name: m.Name && /^[0-9a-f]{64}$/.test(m.Name) ? 'anonymous' : m.Name,
      Source: m.Type === 'volume' && m.Name !== undefined && /^[0-9a-f]{64}$/.test(m.Name) ? 'anonymous' : m.Source,
    })),
    Path: c.Path,
    Args: c.Args,
  });

  withDocker('create: the same flags give the same container as docker create', async () => {
    await ok('create', '--name', 'linked', 'busybox');
    const cases: Array<[string, string[], Record<string, string>?]> = [
      ['plain', ['busybox']],
      [
        'many',
        [
          '-e', 'A=1', '-e', 'B', '-l', 'team=cli', '-v', '/data', '-v', `${hostDir}:/bind:ro`, '-v', 'named:/named', '-v', './rel:/rel',
          '--mount', `type=bind,source=${hostDir},target=/mnt,readonly`, '--mount', 'type=volume,target=/mv,volume-nocopy',
          '--tmpfs', '/run:size=1m', '-w', '/srv', '-u', '1000', '--hostname', 'box', '--entrypoint', '', '--restart', 'on-failure:3',
          '-m', '64m', '--memory-swap', '128m', '--cpus', '1.5', '--cpu-shares', '512', '--shm-size', '32m',
          '-p', '8080:80', '-p', '127.0.0.1:5353:53/udp', '--expose', '9000-9001/udp', '--add-host', 'h.example:10.0.0.1', '--dns', '1.1.1.1',
          '--cap-add', 'net_admin', '--cap-drop', 'mknod', '--security-opt', 'no-new-privileges', '--read-only',
          '--stop-signal', 'SIGINT', '--init', '-t', '-i', '--label', 'x=y',
          'busybox', 'echo', 'hi',
        ],
        { B: 'from-client' },
      ],
      [
        'more',
        [
          '--link', 'linked:db', '--volumes-from', 'linked:ro', '--group-add', 'audio', '--ipc', 'host', '--pid', 'host',
          '--dns-search', 'example.org', '--dns-option', 'ndots:2', '--sysctl', 'net.ipv4.ip_forward=1', '--pids-limit', '100',
          '--memory-swappiness', '10', '--oom-score-adj', '100', '--cpuset-cpus', '0', '--cpu-period', '100000', '--cpu-quota', '50000',
          '--security-opt', 'label=disable', '-P', '--expose', '7000', '--stop-timeout', '5', '--domainname', 'example.org',
          '--cgroupns', 'private', '--rm', '--memory-reservation', '32m',
          'busybox',
        ],
      ],
      ['network', ['--network', 'none', '--entrypoint', '/bin/echo', 'busybox', 'a', 'b']],
    ];
    for (const [name, args, env] of cases) {
      const [ours, theirs] = await createBoth(name, args, env);
      expect([name, comparable(ours)]).toEqual([name, comparable(theirs)]);
    }
    const [many] = await createBoth('env-check', ['-e', 'B', 'busybox'], { B: 'from-client' });
    expect(many.Config.Env).toContain('B=from-client');
  });

  withDocker('ps and inspect print what docker prints', async () => {
    const noTime = 'table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}\\t{{.Labels}}\\t{{.Mounts}}';
    expect(await ok('ps', '-a', '--format', noTime)).toBe(await d.dockerOk('ps', '-a', '--format', noTime));
    expect(await ok('ps', '-a', '-q')).toBe(await d.dockerOk('ps', '-a', '-q'));
    expect(await ok('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}} {{.Names}} {{.Mounts}}')).toBe(
      await d.dockerOk('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}} {{.Names}} {{.Mounts}}'),
    );
    const jsonWithoutAge = (text: string) => text.trim().split('\n').map((l) => ({ ...(JSON.parse(l) as object), RunningFor: undefined }));
    expect(jsonWithoutAge(await ok('ps', '-a', '--format', 'json'))).toEqual(jsonWithoutAge(await d.dockerOk('ps', '-a', '--format', 'json')));

    expect(await ok('inspect', 'many-berth')).toBe(await d.dockerOk('inspect', 'many-berth'));
    expect(await ok('inspect', 'busybox')).toBe(await d.dockerOk('inspect', 'busybox'));
    for (const format of [
      '{{.Id}}',
      '{{.Config.Env}}',
      '{{.Config.Labels}}',
      '{{json .Mounts}}',
      '{{index .Config.Labels "team"}}',
      '{{.State.Status}}',
      '{{.HostConfig.Binds}}',
      '{{.HostConfig.PortBindings}}',
      '{{.Config.ExposedPorts}}',
      '{{.Config.Entrypoint}} {{.Config.Cmd}} {{.HostConfig.Links}} {{.HostConfig.CapAdd}}',
      '{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}',
      '{{json .Config.Labels}}',
      '{{.Config.Volumes}} {{.Config.ExposedPorts}} {{.HostConfig.Tmpfs}} {{.HostConfig.RestartPolicy}}',
      '{{.State}}',
      'json',
    ]) {
      expect([format, await ok('inspect', '--format', format, 'many-berth')]).toEqual([format, await d.dockerOk('inspect', '--format', format, 'many-berth')]);
    }
  });

  withDocker('volumes print what docker prints', async () => {
    expect(await ok('volume', 'create', '--label', 'k=v', 'vol1')).toBe('vol1\n');
    expect(await ok('volume', 'ls')).toBe(await d.dockerOk('volume', 'ls'));
    expect(await ok('volume', 'ls', '--format', 'json')).toBe(await d.dockerOk('volume', 'ls', '--format', 'json'));
    expect(await ok('volume', 'inspect', 'vol1')).toBe(await d.dockerOk('volume', 'inspect', 'vol1'));
    expect(await ok('volume', 'rm', 'vol1')).toBe('vol1\n');
  });

  test('mount: the daemon mounts and keeps the rootfs mounted until umount', async () => {
    await ok('create', '--name', 'to-mount', 'busybox');
    const mounted = await run('mount', 'to-mount');
    expect(mounted.code).toBe(0);
    expect(mounted.stderr).toBe('');
    const merged = mounted.stdout.trim();
    expect(merged).toMatch(/\/merged$/);
    // Still there after the command ended: the daemon holds it.
    expect(existsSync(path.join(merged, 'bin', 'busybox'))).toBe(true);
    expect(await mountPointsUnder(d.dir)).toContain(merged);
    expect(await run('umount', 'to-mount')).toEqual({ code: 0, stdout: 'to-mount\n', stderr: '' });
    expect(await mountPointsUnder(d.dir)).not.toContain(merged);
    const again = await run('umount', 'to-mount');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error response from daemon: container [0-9a-f]{12} is not mounted\n$/);
    expect(await ok('rm', 'to-mount')).toBe('to-mount\n');
  });

  withDocker('events: the kept ones from --since, in docker\'s words', async () => {
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const args = ['events', '--since', '0', '--until', until, '--filter', 'type=container', '--filter', 'event=create'];
    const ours = await ok(...args);
    expect(ours).toBe(await d.dockerOk(...args));
    expect(ours).toMatch(/ container create [0-9a-f]{64} \(.*name=many-berth.*\)\n/);
  });

  test('rm and rmi through the daemon', async () => {
    const id = (await ok('create', '--name', 'doomed', 'busybox')).trim();
    expect(await ok('rm', '-v', 'doomed')).toBe('doomed\n');
    expect(await run('rm', 'doomed', id.slice(0, 12))).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error response from daemon: No such container: doomed\nError response from daemon: No such container: ${id.slice(0, 12)}\n`,
    });
    expect(await run('rmi', 'nothing:1')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such image: nothing:1\n' });
  });

  const registrySkip = registrySkipReason();
  (registrySkip ? test.skip : test)('a missing image is pulled through the daemon and the create retried', async () => {
    let registry: TestRegistry | undefined;
    try {
      registry = await startRegistry();
      await pushOciLayout(busybox.layout, registry.host, 'tools/busybox:2');
      const ref = `${registry.host}/tools/busybox:2`;
      const created = await run('create', ref);
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      const lines = created.stderr.split('\n');
      expect(lines[0]).toBe(`Unable to find image '${ref}' locally`);
      // The daemon has this image's content already (loaded above): only the name is new.
      expect(lines).toContain(`${busybox.image.blobs[0].digest.slice(7, 19)}: Already exists`);
      expect(lines).toContain(`Status: Image is up to date for ${ref}`);
      expect(await ok('pull', ref)).toMatch(new RegExp(`Status: Image is up to date for ${ref.replace(/\./g, '\\.')}\n${ref.replace(/\./g, '\\.')}\n$`));
    } finally {
      await registry?.stop();
    }
  });
});
