// The commands besides create, in-process against a fake backend: what
// they ask the engine, what they print, and their exit codes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { ContainerInspect, ContainerSummary } from '../../src/container/types';
import type { ImageSummary } from '../../src/engine/engine';
import { FakeBackend, runWith } from '../integration/cli/fake-backend';

const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures', name), 'utf8'));
const dockerSummary = fixture('dockerd-ps-created.json') as ContainerSummary;
const dockerInspect = fixture('dockerd-inspect-created.json') as ContainerInspect;
/** Two hours after the fixture container was created. */
const TWO_HOURS_LATER = (dockerSummary.Created + 2 * 3600) * 1000;

const row = (cells: Array<[string, number]>, last: string): string => cells.map(([text, width]) => text.padEnd(width)).join('') + last;

describe('ps', () => {
  test('the default table, as docker draws it', async () => {
    const backend = new FakeBackend();
    backend.containers = [dockerSummary];
    const { code, stdout } = await runWith(backend, ['ps', '-a'], { now: () => TWO_HOURS_LATER });
    expect(code).toBe(0);
    const widths = [15, 10, 12, 14, 10, 10];
    expect(stdout).toBe(
      [
        row([['CONTAINER ID', widths[0]], ['IMAGE', widths[1]], ['COMMAND', widths[2]], ['CREATED', widths[3]], ['STATUS', widths[4]], ['PORTS', widths[5]]], 'NAMES'),
        row([['a2a29bd6f1ef', widths[0]], ['bbref', widths[1]], ['"/bin/sh"', widths[2]], ['2 hours ago', widths[3]], ['Created', widths[4]], ['', widths[5]]], 'refc'),
        '',
      ].join('\n'),
    );
    expect(backend.calls.find((c) => c.op === 'listContainers')?.args[0]).toEqual({ all: true, filters: {} });
  });

  test('-q, --no-trunc, -n, --filter and --format forms', async () => {
    const backend = new FakeBackend();
    backend.containers = [{ ...dockerSummary, Command: '/bin/sh -c while true; do sleep 1; done', Names: ['/refc', '/other/alias'] }];
    expect((await runWith(backend, ['ps', '-q'])).stdout).toBe('a2a29bd6f1ef\n');
    expect((await runWith(backend, ['ps', '-q', '--no-trunc'])).stdout).toBe(`${dockerSummary.Id}\n`);
    expect((await runWith(backend, ['ps', '--format', '{{.Command}} {{.Names}}'])).stdout).toBe('"/bin/sh -c while tr…" refc\n');
    expect((await runWith(backend, ['ps', '--no-trunc', '--format', '{{join .Names ","}}'])).stdout).toBe('refc,other/alias\n');
    expect((await runWith(backend, ['ps', '--format', '{{.Labels}}|{{.Label "a"}}|{{index .Labels "l1"}}|{{.Mounts}}|{{.Networks}}|{{.State}}'])).stdout).toBe(
      'a=b,l1=v1|b|v1|29debc3bb82eeb…,/tmp,named1|bridge|created\n',
    );
    await runWith(backend, ['ps', '-n', '2', '--filter', 'label=a=b', '-f', 'status=created', '--filter', 'label=l1']);
    expect(backend.calls[backend.calls.length - 1].args[0]).toEqual({ all: true, limit: 2, filters: { label: ['a=b', 'l1'], status: ['created'] } });
    const json = (await runWith(backend, ['ps', '--format', 'json'])).stdout;
    expect(Object.keys(JSON.parse(json) as object)).toEqual([
      'Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status',
    ]);
    expect(JSON.parse(json)).toMatchObject({ ID: 'a2a29bd6f1ef', Names: 'refc', LocalVolumes: '2', State: 'created', Status: 'Created' });
    expect((await runWith(backend, ['ps', '--format', 'table {{.ID}}\\t{{.Status}}'])).stdout).toBe('CONTAINER ID   STATUS\na2a29bd6f1ef   Created\n');
  });

  test('a bad filter or template fails before the engine is asked', async () => {
    const backend = new FakeBackend();
    const filter = await runWith(backend, ['ps', '--filter', 'novalue']);
    expect(filter.code).toBe(125);
    expect(filter.stderr).toContain('bad format of filter (expected name=value)');
    const template = await runWith(backend, ['ps', '--format', '{{.ID']);
    expect(template.code).toBe(1);
    expect(template.stderr).toBe('template parsing error: unclosed action\n');
    expect(backend.ops()).toEqual([]);
  });
});

describe('images', () => {
  const busybox: ImageSummary = {
    Id: `sha256:${'b'.repeat(64)}`,
    ParentId: '',
    RepoTags: ['busybox:latest', 'localhost:5000/tools/busybox:1.36'],
    RepoDigests: ['busybox@sha256:' + '1'.repeat(64)],
    Created: TWO_HOURS_LATER / 1000 - 3 * 86400,
    Size: 4_261_000,
    SharedSize: -1,
    Labels: { team: 'storage' },
    Containers: -1,
  };
  const dangling: ImageSummary = { ...busybox, Id: `sha256:${'c'.repeat(64)}`, RepoTags: [], RepoDigests: [], Size: 1_980_000, Labels: null };

  test('one row per tag, <none> for untagged images, docker\'s units', async () => {
    const backend = new FakeBackend();
    backend.imageList = [busybox, dangling];
    const { stdout } = await runWith(backend, ['images'], { now: () => TWO_HOURS_LATER });
    const w = [31, 10, 15, 13];
    expect(stdout).toBe(
      [
        row([['REPOSITORY', w[0]], ['TAG', w[1]], ['IMAGE ID', w[2]], ['CREATED', w[3]]], 'SIZE'),
        row([['busybox', w[0]], ['latest', w[1]], ['bbbbbbbbbbbb', w[2]], ['3 days ago', w[3]]], '4.26MB'),
        row([['localhost:5000/tools/busybox', w[0]], ['1.36', w[1]], ['bbbbbbbbbbbb', w[2]], ['3 days ago', w[3]]], '4.26MB'),
        row([['<none>', w[0]], ['<none>', w[1]], ['cccccccccccc', w[2]], ['3 days ago', w[3]]], '1.98MB'),
        '',
      ].join('\n'),
    );
  });

  test('-q, --digests, a repository argument, --filter and --format', async () => {
    const backend = new FakeBackend();
    backend.imageList = [busybox, dangling];
    expect((await runWith(backend, ['images', '-q'])).stdout).toBe('bbbbbbbbbbbb\nbbbbbbbbbbbb\ncccccccccccc\n');
    expect((await runWith(backend, ['images', '--digests', '--format', '{{.Repository}}:{{.Tag}}@{{.Digest}}'])).stdout).toBe(
      `busybox:latest@sha256:${'1'.repeat(64)}\nlocalhost:5000/tools/busybox:1.36@<none>\n<none>:<none>@<none>\n`,
    );
    expect((await runWith(backend, ['images', 'busybox', '--format', '{{.Repository}}'])).stdout).toBe('busybox\n');
    expect((await runWith(backend, ['images', '--filter', 'reference=*/*/busy*', '--format', '{{.Tag}}'])).stdout).toBe('1.36\n');
    expect((await runWith(backend, ['images', '-f', 'dangling=true', '-q', '--no-trunc'])).stdout).toBe(`sha256:${'c'.repeat(64)}\n`);
    expect((await runWith(backend, ['images', '-f', 'label=team=storage', '--format', '{{.Tag}}'])).stdout).toBe('latest\n1.36\n');
    const bad = await runWith(backend, ['images', '-f', 'color=blue']);
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 1, stderr: "Error response from daemon: invalid filter 'color'\n" });
  });
});

describe('inspect', () => {
  test('a JSON array indented with 4 spaces, Go\'s escapes, containers first', async () => {
    const backend = new FakeBackend();
    backend.inspected.refc = dockerInspect;
    const { code, stdout } = await runWith(backend, ['inspect', 'refc']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${JSON.stringify([dockerInspect], null, 4).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')}\n`);
    expect(stdout.startsWith('[\n    {\n        "Id": ')).toBe(true);
  });

  test('falls through to images and volumes; what nothing matches is reported, the rest printed', async () => {
    const backend = new FakeBackend();
    backend.imageInspects.busybox = { Id: 'sha256:b' } as never;
    backend.volumes = [{ Name: 'data', Driver: 'local', Mountpoint: '/m', CreatedAt: '', Labels: null, Scope: 'local', Options: null }];
    const { code, stdout, stderr } = await runWith(backend, ['inspect', '--format', '{{.Id}}{{.Name}}', 'busybox', 'nothing', 'data']);
    expect(code).toBe(1);
    expect(stdout).toBe('sha256:b<no value>\n<no value>data\n');
    expect(stderr).toBe('error: no such object: nothing\n');
    expect(backend.ops()).toEqual([
      'inspectContainer', 'inspectImage',
      'inspectContainer', 'inspectImage', 'inspectVolume',
      'inspectContainer', 'inspectImage', 'inspectVolume',
    ]);
  });

  test('--type limits the lookup; a miss prints the daemon\'s message and an empty array', async () => {
    const backend = new FakeBackend();
    const { code, stdout, stderr } = await runWith(backend, ['inspect', '--type', 'container', 'nope']);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error response from daemon: No such container: nope\n' });
    expect(backend.ops()).toEqual(['inspectContainer']);
    expect((await runWith(backend, ['inspect', '--type', 'network', 'x'])).code).toBe(125);
  });

  test('--format forms on a container', async () => {
    const backend = new FakeBackend();
    backend.inspected.refc = dockerInspect;
    const run = async (format: string) => (await runWith(backend, ['inspect', '-f', format, 'refc'])).stdout;
    expect(await run('{{.State.Status}}')).toBe('created\n');
    expect(await run('{{.HostConfig.Binds}}')).toBe('[/tmp:/host:ro named1:/named]\n');
    expect(await run('{{json .Mounts}}')).toBe(`${JSON.stringify(dockerInspect.Mounts)}\n`);
    expect(await run('json')).toBe(`${JSON.stringify([dockerInspect]).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')}\n`);
  });
});

describe('rm, rmi, tag', () => {
  test('rm prints each removed name, reports each failure, exits 1 if any failed', async () => {
    const backend = new FakeBackend();
    backend.inspected.a = dockerInspect;
    const { code, stdout, stderr } = await runWith(backend, ['rm', '-f', '-v', '/a', 'missing']);
    // A forced removal of what is not there is not a failure.
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'a\n', stderr: 'Error response from daemon: No such container: missing\n' });
    expect(backend.calls[0]).toEqual({ op: 'removeContainer', args: ['a', { force: true, v: true, link: false }] });
    const unforced = await runWith(backend, ['rm', '-l', 'missing', 'a']);
    expect({ code: unforced.code, stdout: unforced.stdout }).toEqual({ code: 1, stdout: 'a\n' });
  });

  test('rmi prints Untagged/Deleted lines; tag checks the new name first', async () => {
    const backend = new FakeBackend();
    const rmi = await runWith(backend, ['rmi', '-f', 'busybox', 'missing']);
    expect(rmi.stdout).toBe(`Untagged: busybox:latest\nDeleted: sha256:${'d'.repeat(64)}\n`);
    expect(rmi.stderr).toBe('Error response from daemon: No such image: missing:latest\n');
    expect(rmi.code).toBe(1);
    expect((await runWith(backend, ['tag', 'busybox', 'me/box:1'])).code).toBe(0);
    expect(backend.calls[backend.calls.length - 1]).toEqual({ op: 'tagImage', args: ['busybox', 'me/box:1'] });
    const bad = await runWith(backend, ['tag', 'busybox', 'Bad:1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('must be lowercase');
  });
});

describe('volumes', () => {
  const volume = { Name: 'data', Driver: 'local', Mountpoint: '/var/lib/berth/volumes/data/_data', CreatedAt: '', Labels: { a: 'b' }, Scope: 'local' as const, Options: null };

  test('create, ls (table, -q, format), inspect, rm', async () => {
    const backend = new FakeBackend();
    backend.volumes = [{ ...volume, Name: 'zeta' }, volume];
    expect((await runWith(backend, ['volume', 'create', '--label', 'x=y', '-o', 'type=tmpfs', 'data'])).stdout).toBe('data\n');
    expect(backend.calls[0].args[0]).toEqual({ Name: 'data', Driver: 'local', DriverOpts: { type: 'tmpfs' }, Labels: { x: 'y' } });
    expect((await runWith(backend, ['volume', 'ls'])).stdout).toBe('DRIVER    VOLUME NAME\nlocal     data\nlocal     zeta\n');
    expect((await runWith(backend, ['volume', 'ls', '-q', '-f', 'dangling=true'])).stdout).toBe('data\nzeta\n');
    expect(backend.calls[backend.calls.length - 1].args[0]).toEqual({ dangling: ['true'] });
    expect((await runWith(backend, ['volume', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Label "a"}} {{.Size}}'])).stdout).toBe('data a=b b N/A\nzeta a=b b N/A\n');
    expect((await runWith(backend, ['volume', 'inspect', '-f', '{{.Mountpoint}}', 'data'])).stdout).toBe('/var/lib/berth/volumes/data/_data\n');
    const rm = await runWith(backend, ['volume', 'rm', 'data', 'gone']);
    expect(rm).toEqual({ code: 1, stdout: 'data\n', stderr: 'Error response from daemon: get gone: no such volume\n' });
  });
});

describe('pull, load, import', () => {
  test('pull prints progress lines and the full reference on stdout', async () => {
    const backend = new FakeBackend();
    const { code, stdout } = await runWith(backend, ['pull', 'alpine']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('Using default tag: latest');
    expect(stdout).toContain('abc123: Pull complete\n');
    expect(stdout.endsWith('Status: Downloaded newer image for alpine:latest\ndocker.io/library/alpine:latest\n')).toBe(true);
    expect((await runWith(backend, ['pull', '-q', 'localhost:5000/x@sha256:' + '2'.repeat(64)])).stdout).toBe(`localhost:5000/x@sha256:${'2'.repeat(64)}\n`);
  });

  test('load from a file or stdin (never a terminal)', async () => {
    const backend = new FakeBackend();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-load-'));
    try {
      fs.writeFileSync(path.join(dir, 'image.tar'), 'tar');
      const load = await runWith(backend, ['load', '-i', 'image.tar'], { cwd: dir });
      expect(load).toEqual({ code: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
      expect(backend.calls[0].args[0]).toBe(path.join(dir, 'image.tar'));
      expect(await runWith(backend, ['load', '-i', 'nope.tar'], { cwd: dir })).toMatchObject({ code: 1, stderr: 'open nope.tar: no such file or directory\n' });
      expect(await runWith(backend, ['load'], { stdinIsTTY: true })).toMatchObject({ code: 1, stderr: 'requested load from stdin, but stdin is empty\n' });
      expect((await runWith(backend, ['load'])).code).toBe(0);
      expect(backend.calls[backend.calls.length - 1].args[0]).toBe('stream');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('import from stdin with a reference and a message prints the ID', async () => {
    const backend = new FakeBackend();
    const { code, stdout } = await runWith(backend, ['import', '-m', 'hello', '-', 'flat:1'], { stdin: Readable.from([Buffer.from('rootfs')]) });
    expect({ code, stdout }).toEqual({ code: 0, stdout: `sha256:${'e'.repeat(64)}\n` });
    expect(backend.calls[0].args).toEqual(['rootfs', { reference: 'flat:1', message: 'hello' }]);
    expect((await runWith(backend, ['import', 'https://example.com/x.tar'])).code).toBe(125);
  });
});

describe('events, version, info, mount', () => {
  test('events: docker\'s line, --format, the query sent', async () => {
    const backend = new FakeBackend();
    backend.events_ = [
      {
        Type: 'container', Action: 'create', Actor: { ID: 'abc', Attributes: { name: 'web', image: 'busybox' } },
        scope: 'local', time: 1700000000, timeNano: 1_700_000_000_000_000_000,
      },
    ];
    const { stdout } = await runWith(backend, ['events', '--since', '1700000000', '--until', '1700000100', '-f', 'type=container']);
    expect(stdout).toMatch(/^\S+ container create abc \(image=busybox, name=web\)\n$/);
    expect(backend.calls[0].args[0]).toEqual({ since: '1700000000', until: '1700000100', filters: { type: ['container'] } });
    expect((await runWith(backend, ['events', '--format', '{{.Action}} {{.Actor.Attributes.name}}'])).stdout).toBe('create web\n');
    expect((await runWith(backend, ['events', '--since', 'soon'])).code).toBe(125);
  });

  test('version and info: client and server sections, --format', async () => {
    const backend = new FakeBackend();
    const version = await runWith(backend, ['version']);
    expect(version.stdout).toMatch(/^Client:\n Version: +\S+\n API version: +1\.50\n/);
    expect(version.stdout).toContain('\nServer: fake\n Engine:\n  Version:        9.9.9\n  API version:    1.50 (minimum version 1.12)\n');
    expect((await runWith(backend, ['version', '--format', '{{.Server.Version}}'])).stdout).toBe('9.9.9\n');
    const info = await runWith(backend, ['info']);
    expect(info.stdout).toContain(' Containers: 3\n  Running: 0\n  Paused: 0\n  Stopped: 3\n Images: 2\n');
    expect(info.stdout).toContain(' Storage Driver: overlay2\n  Backing Filesystem: extfs\n');
    expect(info.stdout).toContain(' Total Memory: 3.832GiB\n');
    expect((await runWith(backend, ['info', '-f', '{{.Driver}} {{.NCPU}}'])).stdout).toBe('overlay2 2\n');
  });

  test('mount prints the path (a daemon keeps it); umount', async () => {
    const backend = new FakeBackend();
    expect(await runWith(backend, ['mount', 'web'])).toEqual({ code: 0, stdout: '/fake/web/merged\n', stderr: '' });
    expect(await runWith(backend, ['umount', 'web'])).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
    expect(backend.ops()).toEqual(['mountContainer', 'unmountContainer']);
  });
});

describe('the command line itself', () => {
  test('--help for every command, exit 0, on stdout', async () => {
    const backend = new FakeBackend();
    for (const command of [['create'], ['pull'], ['load'], ['import'], ['images'], ['ps'], ['inspect'], ['rm'], ['rmi'], ['tag'], ['volume'], ['volume', 'ls'], ['volume', 'create'], ['volume', 'inspect'], ['volume', 'rm'], ['events'], ['mount'], ['umount'], ['version'], ['info'], ['daemon']]) {
      const run = await runWith(backend, [...command, '--help']);
      expect([command, run.code]).toEqual([command, 0]);
      expect(run.stdout).toMatch(/^Usage: berth /);
    }
    expect((await runWith(backend, ['create', '--help'])).stdout).toContain('--pull <string>');
    expect(backend.ops()).toEqual([]);
  });

  test('unknown commands and flags exit 125 with a pointer to the help', async () => {
    const backend = new FakeBackend();
    const unknown = await runWith(backend, ['frobnicate']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const flag = await runWith(backend, ['ps', '--bogus']);
    expect(flag.code).toBe(125);
    expect(flag.stderr).toContain("unknown option '--bogus'");
    expect(flag.stderr).toContain("See 'berth ps --help'.");
  });

  test('the default root is the engine\'s (kept apart so that client runs never load the engine)', async () => {
    const { DEFAULT_ROOT } = await import('../../src/cli/program');
    const engine = await import('../../src/engine/engine');
    expect(DEFAULT_ROOT).toBe(engine.DEFAULT_ROOT);
  });

  test('the engine is closed at the end of a run, failed or not', async () => {
    const ok = new FakeBackend();
    await runWith(ok, ['ps']);
    expect(ok.closed).toBe(true);
    const failing = new FakeBackend();
    await runWith(failing, ['rm', 'nothing']);
    expect(failing.closed).toBe(true);
  });
});
