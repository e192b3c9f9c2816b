// `berth create` flags → the create request, and the client's create flow
// (ping, pull policies, the missing-image retry, --cidfile, warnings, exit
// codes), run in-process against a fake backend.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendError } from '../../src/cli/backend';
import { FakeBackend, runWith } from '../integration/cli/fake-backend';

const create = async (args: string[], io: Parameters<typeof runWith>[2] = {}) => {
  const backend = new FakeBackend();
  const run = await runWith(backend, ['create', ...args], io);
  return { backend, ...run };
};

describe('create flags → request', () => {
  test('with no flags: docker client defaults, the image, no command', async () => {
    const { backend, code, stdout, stderr } = await create(['busybox']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(`${'f'.repeat(64)}\n`);
    expect(backend.ops()).toEqual(['ping', 'createContainer']);
    const request = backend.lastCreate();
    expect(request.name).toBeUndefined();
    expect(request.config).toEqual({
      Hostname: '',
      Domainname: '',
      User: '',
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      ExposedPorts: {},
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: [],
      Cmd: null,
      Image: 'busybox',
      Volumes: {},
      WorkingDir: '',
      Entrypoint: null,
      Labels: {},
    });
    expect(request.hostConfig).toMatchObject({
      // null, not [], as the docker client sends them when no flag filled them.
      Binds: null,
      Links: null,
      VolumesFrom: null,
      GroupAdd: null,
      CapAdd: null,
      CapDrop: null,
      ExtraHosts: null,
      SecurityOpt: null,
      NetworkMode: 'default',
      RestartPolicy: {},
      Memory: 0,
      NanoCpus: 0,
      Mounts: [],
    });
    expect(request.hostConfig).not.toHaveProperty('Init');
    expect(request.hostConfig).not.toHaveProperty('MemorySwappiness');
    expect(request.networkingConfig).toEqual({ EndpointsConfig: { default: {} } });
  });

  test('the command after the image keeps its own flags', async () => {
    const { backend } = await create(['--name', 'web', 'busybox', 'ls', '-l', '-e', '/']);
    expect(backend.lastCreate().name).toBe('web');
    expect(backend.lastCreate().config?.Cmd).toEqual(['ls', '-l', '-e', '/']);
    expect(backend.lastCreate().config?.Env).toEqual([]);
  });

  test('environment: -e, -e NAME from the client, --env-file lines, files first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-create-'));
    try {
      fs.writeFileSync(path.join(dir, 'app.env'), '\ufeff# comment\n\n  FROM_FILE=1\nPASSED\nMISSING\nSPACED= keeps spaces \n');
      const { backend, code } = await create(['--env-file', 'app.env', '-e', 'A=1', '--env', 'HOME_DIR', '-e', 'UNSET', '-e', 'A=2', 'busybox'], {
        cwd: dir,
        env: { HOME_DIR: '/home/x', PASSED: 'p' },
      });
      expect(code).toBe(0);
      // One -e per name, the last value in the first one's place.
      expect(backend.lastCreate().config?.Env).toEqual(['FROM_FILE=1', 'PASSED=p', 'SPACED= keeps spaces ', 'A=2', 'HOME_DIR=/home/x', 'UNSET']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing env file and a bad env line fail before anything is sent, with 125', async () => {
    const missing = await create(['--env-file', 'nope.env', 'busybox']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toBe("berth: open nope.env: no such file or directory\nSee 'berth create --help'.\n");
    expect(missing.backend.ops()).toEqual([]);
    const bad = await create(['-e', '=x', 'busybox']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('invalid environment variable: =x');
  });

  test('labels: -l and --label-file, k alone is empty', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-create-'));
    try {
      fs.writeFileSync(path.join(dir, 'labels'), 'team=storage\nbare\n# no\n');
      const { backend } = await create(['--label-file', 'labels', '-l', 'a=1', '--label', 'flag', '-l', 'team=cli', 'busybox'], { cwd: dir });
      expect(backend.lastCreate().config?.Labels).toEqual({ team: 'cli', a: '1', flag: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('-v: anonymous volumes to Config.Volumes, sources to Binds, ./x made absolute; --mount CSV; --volumes-from; --tmpfs', async () => {
    const { backend, code } = await create([
      '-v', '/data',
      '-v', '/host:/in:ro',
      '-v', './rel:/rel',
      '-v', 'named:/named:nocopy',
      '-v', '/data',
      '--mount', 'type=bind,source=./src,target=/app,readonly',
      '--mount', 'type=volume,src=vol,dst=/vol,volume-label=a=b,volume-nocopy',
      '--mount', 'type=tmpfs,target=/scratch,tmpfs-size=64m,tmpfs-mode=1770',
      '--volumes-from', 'other:ro',
      '--tmpfs', '/run:rw,size=1m',
      '--tmpfs', '/tmp',
      'busybox',
    ]);
    expect(code).toBe(0);
    const request = backend.lastCreate();
    expect(request.config?.Volumes).toEqual({ '/data': {} });
    expect(request.hostConfig?.Binds).toEqual(['/host:/in:ro', '/work/dir/rel:/rel', 'named:/named:nocopy']);
    expect(request.hostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/work/dir/src', Target: '/app', ReadOnly: true },
      { Type: 'volume', Source: 'vol', Target: '/vol', VolumeOptions: { DriverConfig: {}, Labels: { a: 'b' }, NoCopy: true } },
      { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 } },
    ]);
    expect(request.hostConfig?.VolumesFrom).toEqual(['other:ro']);
    expect(request.hostConfig?.Tmpfs).toEqual({ '/run': 'rw,size=1m', '/tmp': '' });
  });

  test('a bad -v or --mount is the client\'s own 125', async () => {
    expect((await create(['-v', '/a::/b', 'busybox'])).stderr).toContain('invalid spec: /a::/b: empty section between colons');
    const mount = await create(['--mount', 'type=bind,source=/x', 'busybox']);
    expect(mount.code).toBe(125);
    expect(mount.stderr).toContain('target is required');
  });

  test('process and identity flags', async () => {
    const { backend } = await create([
      '-w', '/work', '-u', '1000:1000', '--hostname', 'box', '--domainname', 'example.org', '--group-add', 'audio',
      '--ipc', 'private', '--pid', 'host', '--uts', 'host', '--userns', 'host', '--cgroupns', 'private',
      '--security-opt', 'no-new-privileges', '--security-opt', 'label=disable', '--security-opt', 'seccomp=unconfined',
      '--cap-add', 'net_admin', '--cap-add', 'CAP_SYS_TIME', '--cap-drop', 'all', '--privileged', '--read-only',
      '--sysctl', 'net.ipv4.ip_forward=1', '--stop-signal', 'SIGKILL', '--stop-timeout', '5', '--init', '-t', '-i', '--rm',
      'busybox',
    ]);
    const { config, hostConfig } = backend.lastCreate();
    expect(config).toMatchObject({
      WorkingDir: '/work', User: '1000:1000', Hostname: 'box', Domainname: 'example.org', StopSignal: 'SIGKILL', StopTimeout: 5,
      Tty: true, OpenStdin: true, AttachStdin: true, StdinOnce: true,
    });
    expect(hostConfig).toMatchObject({
      GroupAdd: ['audio'], IpcMode: 'private', PidMode: 'host', UTSMode: 'host', UsernsMode: 'host', CgroupnsMode: 'private',
      SecurityOpt: ['no-new-privileges', 'label=disable', 'seccomp=unconfined'],
      CapAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'], CapDrop: ['ALL'], Privileged: true, ReadonlyRootfs: true,
      Sysctls: { 'net.ipv4.ip_forward': '1' }, Init: true, AutoRemove: true,
    });
  });

  test('--entrypoint: a value replaces, "" clears (sent as [""])', async () => {
    expect((await create(['--entrypoint', '/bin/echo', 'busybox', 'hi'])).backend.lastCreate().config).toMatchObject({ Entrypoint: ['/bin/echo'], Cmd: ['hi'] });
    expect((await create(['--entrypoint', '', 'busybox'])).backend.lastCreate().config?.Entrypoint).toEqual(['']);
    expect((await create(['--entrypoint=', 'busybox'])).backend.lastCreate().config?.Entrypoint).toEqual(['']);
  });

  test('a seccomp profile file is sent as its compact JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-create-'));
    try {
      fs.writeFileSync(path.join(dir, 'profile.json'), '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
      const { backend } = await create(['--security-opt', 'seccomp=profile.json', 'busybox'], { cwd: dir });
      expect(backend.lastCreate().hostConfig?.SecurityOpt).toEqual(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);
      expect((await create(['--security-opt', 'bogus', 'busybox'])).stderr).toContain('Invalid --security-opt: "bogus"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('resources: sizes in 1024 units, --cpus as NanoCpus, swap -1, swappiness only when given', async () => {
    const { backend } = await create([
      '-m', '512m', '--memory-swap', '-1', '--memory-swappiness', '10', '--memory-reservation', '1g', '--shm-size', '64MB',
      '-c', '512', '--cpus', '1.5', '--cpuset-cpus', '0-1', '--cpuset-mems', '0', '--cpu-period', '100000', '--cpu-quota', '50000',
      '--pids-limit', '100', '--oom-score-adj', '-500',
      'busybox',
    ]);
    expect(backend.lastCreate().hostConfig).toMatchObject({
      Memory: 512 * 1024 * 1024, MemorySwap: -1, MemorySwappiness: 10, MemoryReservation: 1024 ** 3, ShmSize: 64 * 1024 * 1024,
      CpuShares: 512, NanoCpus: 1_500_000_000, CpusetCpus: '0-1', CpusetMems: '0', CpuPeriod: 100000, CpuQuota: 50000,
      PidsLimit: 100, OomScoreAdj: -500,
    });
  });

  test('bad sizes and numbers are flag errors (125)', async () => {
    const memory = await create(['-m', '12x', 'busybox']);
    expect(memory.code).toBe(125);
    expect(memory.stderr).toContain("invalid suffix: 'x'");
    expect(memory.backend.ops()).toEqual([]);
    expect((await create(['--cpus', '0.0000000001', 'busybox'])).stderr).toContain('value is too precise');
    expect((await create(['-c', 'lots', 'busybox'])).code).toBe(125);
    expect((await create(['--memory-swappiness', '101', 'busybox'])).stderr).toContain('invalid value: 101. Valid memory swappiness range is 0-100');
  });

  test('restart policies', async () => {
    expect((await create(['--restart', 'on-failure:3', 'busybox'])).backend.lastCreate().hostConfig?.RestartPolicy).toEqual({
      Name: 'on-failure',
      MaximumRetryCount: 3,
    });
    expect((await create(['--restart', 'always', 'busybox'])).backend.lastCreate().hostConfig?.RestartPolicy).toEqual({ Name: 'always' });
    expect((await create(['--restart', 'on-failure:x', 'busybox'])).stderr).toContain('maximum retry count must be an integer');
  });

  test('ports: -p into ExposedPorts and PortBindings, --expose ranges, -P', async () => {
    const { backend } = await create([
      '-p', '8080:80', '-p', '127.0.0.1:5353:53/udp', '-p', '9000-9001:9000-9001', '-p', '443', '-p', '[::1]:8443:443',
      '--expose', '7000-7001/udp', '--expose', '80', '-P',
      'busybox',
    ]);
    const { config, hostConfig } = backend.lastCreate();
    expect(config?.ExposedPorts).toEqual({
      '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '9001/tcp': {}, '443/tcp': {}, '7000/udp': {}, '7001/udp': {},
    });
    expect(hostConfig?.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
      '9000/tcp': [{ HostIp: '', HostPort: '9000' }],
      '9001/tcp': [{ HostIp: '', HostPort: '9001' }],
      '443/tcp': [{ HostIp: '', HostPort: '' }, { HostIp: '::1', HostPort: '8443' }],
    });
    expect(hostConfig?.PublishAllPorts).toBe(true);
    expect((await create(['-p', '80/xyz', 'busybox'])).stderr).toContain('invalid proto: xyz');
  });

  test('network flags: --network, --link, --add-host, --dns*', async () => {
    const { backend } = await create([
      '--network', 'host', '--link', 'db', '--link', 'cache:c', '--add-host', 'a.example:10.0.0.1', '--add-host', 'b=[::1]',
      '--add-host', 'gw:host-gateway', '--dns', '8.8.8.8', '--dns-search', 'example.org', '--dns-option', 'ndots:2',
      'busybox',
    ]);
    expect(backend.lastCreate().hostConfig).toMatchObject({
      NetworkMode: 'host',
      Links: ['db', 'cache:c'],
      ExtraHosts: ['a.example:10.0.0.1', 'b:::1', 'gw:host-gateway'],
      Dns: ['8.8.8.8'],
      DnsSearch: ['example.org'],
      DnsOptions: ['ndots:2'],
    });
    expect(backend.lastCreate().networkingConfig).toEqual({ EndpointsConfig: { host: {} } });
    expect((await create(['--link', 'a:b:c', 'busybox'])).stderr).toContain('bad format for links: a:b:c');
    expect((await create(['--add-host', 'nohost', 'busybox'])).stderr).toContain('bad format for add-host: "nohost"');
    expect((await create(['--dns', 'x.y', 'busybox'])).stderr).toContain('IP address is not correctly formatted: x.y');
    expect((await create(['--pid', 'bogus', 'busybox'])).stderr).toContain('--pid: invalid PID mode');
  });

  test('--platform goes to the request and to the pull', async () => {
    const { backend } = await create(['--platform', 'linux/arm64', '--pull', 'always', 'busybox']);
    expect(backend.lastCreate().platform).toBe('linux/arm64');
    expect(backend.calls.find((c) => c.op === 'pullImage')?.args).toEqual(['busybox', { platform: 'linux/arm64' }]);
  });
});

describe('create flow', () => {
  test('a missing image is announced, pulled (progress on stderr) and the create retried once', async () => {
    const { backend, code, stdout, stderr } = await create(['alpine']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${'f'.repeat(64)}\n`);
    expect(backend.ops()).toEqual(['ping', 'createContainer', 'pullImage', 'createContainer']);
    expect(stderr).toBe(
      [
        "Unable to find image 'alpine:latest' locally",
        'latest: Pulling from library/alpine',
        'abc123: Pulling fs layer',
        'abc123: Download complete',
        'abc123: Pull complete',
        'Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111',
        'Status: Downloaded newer image for alpine:latest',
        '',
      ].join('\n'),
    );
  });

  test('-q keeps the pull quiet; only the ID is printed', async () => {
    const { code, stdout, stderr } = await create(['-q', 'alpine']);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: `${'f'.repeat(64)}\n`, stderr: '' });
  });

  test('on a terminal the pull draws bars on stderr', async () => {
    const { code, stdout, stderr } = await create(['alpine'], { isTTY: true });
    expect(code).toBe(0);
    expect(stdout).toBe(`${'f'.repeat(64)}\n`);
    expect(stderr).toContain('abc123: Pull complete');
    expect(stderr).toContain('Status: Downloaded newer image for alpine:latest');
    // Redrawn in place: cursor movement, not one line per message.
    expect(stderr).toMatch(/\u001b\[/);
  });

  test('--pull never does not pull; --pull always pulls first; anything else is refused (125)', async () => {
    const never = await create(['--pull', 'never', 'alpine']);
    expect(never.code).toBe(125);
    expect(never.stderr).toBe('Error response from daemon: No such image: alpine:latest\n');
    expect(never.backend.ops()).toEqual(['ping', 'createContainer']);

    const always = await create(['--pull', 'always', 'busybox']);
    expect(always.backend.ops()).toEqual(['ping', 'pullImage', 'createContainer']);

    const bad = await create(['--pull', 'sometimes', 'busybox']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toBe(`berth: invalid pull option: 'sometimes': must be one of "always", "missing" or "never"\nSee 'berth create --help'.\n`);
    expect(bad.backend.ops()).toEqual([]);
  });

  test('an image ID that is missing is not pulled', async () => {
    const id = 'a'.repeat(64);
    const { code, backend, stderr } = await create([id]);
    expect(code).toBe(125);
    expect(stderr).not.toContain('Unable to find image');
    expect(backend.ops()).toEqual(['ping', 'createContainer']);
  });

  test('a failed pull ends the create with 125 and the daemon\'s message', async () => {
    const backend = new FakeBackend();
    backend.pullError = new BackendError(404, 'manifest unknown');
    const { code, stdout, stderr } = await runWith(backend, ['create', 'alpine']);
    expect(code).toBe(125);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Unable to find image 'alpine:latest' locally\nError response from daemon: manifest unknown\n$/);
  });

  test('each warning goes to stderr as WARNING:', async () => {
    const backend = new FakeBackend();
    backend.createWarnings = ['Published ports are discarded when using host network mode', 'second'];
    const { stdout, stderr } = await runWith(backend, ['create', 'busybox']);
    expect(stdout).toBe(`${'f'.repeat(64)}\n`);
    expect(stderr).toBe('WARNING: Published ports are discarded when using host network mode\nWARNING: second\n');
  });

  test('daemon errors exit 125 for create with docker\'s wording', async () => {
    const backend = new FakeBackend();
    backend.createError = new BackendError(409, 'Conflict. The container name "/x" is already in use');
    const { code, stderr } = await runWith(backend, ['create', '--name', 'x', 'busybox']);
    expect(code).toBe(125);
    expect(stderr).toBe('Error response from daemon: Conflict. The container name "/x" is already in use\n');
  });
});

describe('--cidfile', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-cid-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('writes the ID without a newline and sends ContainerIDFile', async () => {
    const { backend, code } = await create(['--cidfile', 'id', 'busybox'], { cwd: dir });
    expect(code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'id'), 'utf8')).toBe('f'.repeat(64));
    expect(backend.lastCreate().hostConfig?.ContainerIDFile).toBe('id');
  });

  test('refuses an existing file and leaves it as it was', async () => {
    fs.writeFileSync(path.join(dir, 'id'), 'old');
    const { backend, code, stderr } = await create(['--cidfile', path.join(dir, 'id'), 'busybox']);
    expect(code).toBe(125);
    expect(stderr).toBe(`container ID file found, make sure the other container isn't running or delete ${path.join(dir, 'id')}\n`);
    expect(backend.ops()).toEqual(['ping']);
    expect(fs.readFileSync(path.join(dir, 'id'), 'utf8')).toBe('old');
  });

  test('leaves no empty file behind when the create fails', async () => {
    const { code } = await create(['--pull', 'never', '--cidfile', 'id', 'alpine'], { cwd: dir });
    expect(code).toBe(125);
    expect(fs.existsSync(path.join(dir, 'id'))).toBe(false);
  });
});
