// The built `berth` executable (dist/src/cli/main.js) as a shell would run
// it: exit statuses, stdout carrying only the ID, --cidfile, and `berth
// daemon` serving a second `berth -H` until SIGTERM.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeAsRoot, destroyTempRoot, makeTempRoot, mountPointsUnder } from '../../support/temp-root';
import { type BusyboxFiles, waitFor, writeBusyboxFiles } from './helpers';

const REPO = path.resolve(__dirname, '../../..');
const MAIN = path.join(REPO, 'dist/src/cli/main.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBinary(args: string[], cwd: string): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '' }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

describeAsRoot('the berth executable', () => {
  let dir = '';
  let root = '';
  let busybox: BusyboxFiles;
  let daemon: ChildProcess | undefined;
  const berth = (...args: string[]) => runBinary(['--root', root, ...args], dir);

  beforeAll(async () => {
    // The build covers the whole tree; the CLI's own output must be there and current.
    const built = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile('npm', ['run', 'build'], { cwd: REPO, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : 1, output: `${stdout}${stderr}` }),
      );
    });
    const cliErrors = built.output.split('\n').filter((l) => l.includes('src/cli/'));
    if (cliErrors.length > 0) throw new Error(`the CLI does not build:\n${cliErrors.join('\n')}`);
    if (!existsSync(MAIN)) throw new Error(`npm run build made no ${MAIN}:\n${built.output}`);
    dir = makeTempRoot();
    root = path.join(dir, 'engine');
    busybox = await writeBusyboxFiles(dir);
  }, 600_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGKILL');
      await new Promise((r) => daemon?.once('exit', r));
    }
    if (dir) await destroyTempRoot(dir);
  });

  test('--help and --version exit 0; an unknown flag exits 125', async () => {
    const help = await runBinary(['--help'], REPO);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: berth \[OPTIONS\] COMMAND/);
    expect(help.stdout).toContain('create [options] <image> [command...]');
    expect((await runBinary(['--version'], REPO)).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const bad = await runBinary(['create', '--nope', 'busybox'], REPO);
    expect(bad.code).toBe(125);
    expect(bad.stdout).toBe('');
  });

  test('load, then create prints the ID and nothing else on stdout', async () => {
    expect(await berth('load', '-i', busybox.archive)).toEqual({ code: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
    const created = await berth('create', '--name', 'one', 'busybox');
    expect(created).toEqual({ code: 0, stdout: expect.stringMatching(/^[0-9a-f]{64}\n$/), stderr: '' });
    expect((await berth('ps', '-aq', '--no-trunc')).stdout).toBe(created.stdout);
    expect(await mountPointsUnder(dir)).toEqual([]);
  });

  test('exit statuses: 125 for a failed create, 1 for other failures', async () => {
    expect(await berth('create', '--pull', 'bogus', 'busybox')).toMatchObject({ code: 125, stdout: '' });
    expect(await berth('create', '--pull', 'never', 'nothere')).toEqual({
      code: 125,
      stdout: '',
      stderr: 'Error response from daemon: No such image: nothere:latest\n',
    });
    expect(await berth('create', '--name', 'one', 'busybox')).toMatchObject({ code: 125, stdout: '' });
    expect(await berth('rm', 'nothere')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: nothere\n' });
    expect(await berth('inspect', 'nothere')).toEqual({ code: 1, stdout: '[]\n', stderr: 'error: no such object: nothere\n' });
  });

  test('--cidfile: the ID without a newline; an existing file is refused and kept', async () => {
    const created = await berth('create', '--cidfile', 'cid', 'busybox');
    expect(created.code).toBe(0);
    expect(readFileSync(path.join(dir, 'cid'), 'utf8')).toBe(created.stdout.trim());
    writeFileSync(path.join(dir, 'taken'), 'someone else\n');
    const refused = await berth('create', '--cidfile', 'taken', 'busybox');
    expect(refused).toEqual({
      code: 125,
      stdout: '',
      stderr: `container ID file found, make sure the other container isn't running or delete ${path.join(dir, 'taken')}\n`,
    });
    expect(readFileSync(path.join(dir, 'taken'), 'utf8')).toBe('someone else\n');
    expect((await berth('create', '--cidfile', 'never', '--pull', 'never', 'nothere')).code).toBe(125);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  test('`berth daemon` serves `berth -H`, and SIGTERM stops it cleanly', async () => {
    const socket = path.join(dir, 'run', 'berth.sock');
    daemon = spawn(process.execPath, [MAIN, 'daemon', '--root', root, '--host', `unix://${socket}`, '--log-level', 'warn'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    daemon.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    daemon.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((resolve) => daemon?.once('exit', (code) => resolve(code)));
    await waitFor(() => existsSync(socket) || daemon?.exitCode !== null);
    expect([existsSync(socket), log]).toEqual([true, '']);

    const client = (...args: string[]) => runBinary(['-H', `unix://${socket}`, ...args], dir);
    // The daemon holds the root: an embedded run on it is refused.
    const locked = await berth('ps');
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('another berth engine is using');
    expect(locked.stderr).toContain('talk to the daemon with -H unix:///path.sock');
    const ps = await client('ps', '-a', '--format', '{{.Names}}');
    expect(ps.code).toBe(0);
    expect(ps.stdout.split('\n').filter(Boolean)).toContain('one');
    const created = await client('create', '--name', 'via-daemon', 'busybox');
    expect(created).toEqual({ code: 0, stdout: expect.stringMatching(/^[0-9a-f]{64}\n$/), stderr: '' });
    expect((await client('rm', 'via-daemon')).stdout).toBe('via-daemon\n');

    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(await mountPointsUnder(dir)).toEqual([]);
    // The root is free again.
    expect((await berth('ps', '-a', '--format', '{{.Names}}')).stdout.split('\n')).toContain('one');
  });
});
