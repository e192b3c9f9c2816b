// The daemon's life: its socket (mode, stale and live ones, unsafe
// directories), TCP only when asked and only on loopback without TLS, and an
// orderly stop (requests in flight finish, no mount or socket left) by close()
// or by signal.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { installSignalHandlers, runDaemon } from '../../../src/api/daemon';
import { DOCKER_BIN, startTestDaemon, type TestDaemon } from '../../support/daemon';
import { describeAsRoot, destroyTempRoot, makeTempRoot, mountPointsUnder } from '../../support/temp-root';
import { writeBusybox } from './fixtures';

const run = promisify(execFile);

/** Inodes of the TCP sockets this process listens on (from /proc/net/tcp{,6}). */
function tcpListeners(): Set<string> {
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) mine.add(m[1]);
    } catch {
      // The fd closed while we looked.
    }
  }
  const listening = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // st 0A is LISTEN; the inode is column 10.
      if (cols[3] === '0A' && mine.has(cols[9])) listening.add(cols[9]);
    }
  }
  return listening;
}

const quietLogs = { logLevel: 'silent' as const };

describeAsRoot('daemon', () => {
  const toStop: TestDaemon[] = [];
  const dirs: string[] = [];
  const start = async (options: Parameters<typeof startTestDaemon>[0] = {}): Promise<TestDaemon> => {
    const d = await startTestDaemon(options);
    toStop.push(d);
    return d;
  };
  afterEach(async () => {
    for (const d of toStop.splice(0)) await d.stop();
    for (const dir of dirs.splice(0)) await destroyTempRoot(dir);
  });
  const tempDir = (): string => {
    const dir = makeTempRoot();
    dirs.push(dir);
    return dir;
  };

  test('the socket is 0660 and there is no TCP listener unless asked for', async () => {
    const before = tcpListeners();
    const d = await start();
    const st = await fs.lstat(d.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(d.daemon.addresses).toEqual([`unix://${d.socket}`]);
    expect([...tcpListeners()].filter((i) => !before.has(i))).toEqual([]);
  });

  test('TCP on loopback when asked', async () => {
    const before = tcpListeners();
    const d = await start({ extraHosts: ['tcp://127.0.0.1:0'] });
    const tcp = d.daemon.addresses.find((a) => a.startsWith('tcp://'));
    expect(tcp).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    expect([...tcpListeners()].filter((i) => !before.has(i))).toHaveLength(1);
    if (existsSync(DOCKER_BIN)) {
      const { stdout } = await run(DOCKER_BIN, ['-H', tcp!, 'version', '--format', '{{.Server.APIVersion}}'], { env: { ...d.env, DOCKER_HOST: '' } });
      expect(stdout.trim()).toBe('1.50');
    }
  });

  test('TCP off loopback is refused without TLS, before the root is touched', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    await expect(runDaemon({ root, hosts: [`unix://${dir}/s.sock`, 'tcp://0.0.0.0:0'], ...quietLogs })).rejects.toThrow(/without TLS/);
    expect(existsSync(root)).toBe(false);
    expect(existsSync(`${dir}/s.sock`)).toBe(false);
  });

  test('TCP off loopback with TLS', async () => {
    const dir = tempDir();
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
    const d = await start({ extraHosts: ['tcp://0.0.0.0:0'], tls: { cert, key } });
    const port = Number(d.daemon.addresses.find((a) => a.startsWith('tcp://'))!.split(':').pop());
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/_ping', ca: readFileSync(cert), servername: 'localhost', agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toBe('OK');
  });

  test('a live socket is never taken over', async () => {
    const d = await start();
    const second = runDaemon({ root: path.join(d.dir, 'root2'), hosts: [`unix://${d.socket}`], ...quietLogs });
    await expect(second).rejects.toThrow(`another daemon is listening on ${d.socket}`);
    expect(existsSync(path.join(d.dir, 'root2'))).toBe(false);
    expect((await d.request('/_ping')).body).toBe('OK');
  });

  test('a stale socket is replaced', async () => {
    const dir = tempDir();
    const socket = path.join(dir, 'run', 'berth.sock');
    await fs.mkdir(path.dirname(socket));
    // What a killed daemon leaves: a socket file nobody accepts on.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(socket, r));
    await fs.link(socket, `${socket}.keep`);
    await new Promise((r) => probe.close(r));
    await fs.rename(`${socket}.keep`, socket);
    const daemon = await runDaemon({ root: path.join(dir, 'root'), hosts: [`unix://${socket}`], ...quietLogs });
    try {
      expect(daemon.addresses).toEqual([`unix://${socket}`]);
    } finally {
      await daemon.close();
    }
    expect(existsSync(socket)).toBe(false);
  });

  test('a socket directory others can write to is refused unless allowed', async () => {
    const dir = tempDir();
    const open = path.join(dir, 'open');
    await fs.mkdir(open);
    await fs.chmod(open, 0o777);
    const options = { root: path.join(dir, 'root'), hosts: [`unix://${open}/berth.sock`], ...quietLogs };
    await expect(runDaemon(options)).rejects.toThrow(/writable by other users/);
    expect(existsSync(path.join(dir, 'root'))).toBe(false);
    const daemon = await runDaemon({ ...options, allowInsecureSocketDir: true });
    await daemon.close();
  });

  test('close() lets a request in flight finish, then removes the socket and every mount', async () => {
    const d = await start({ captureLogs: true, logLevel: 'debug' });
    const busybox = await writeBusybox(d.dir);
    await d.dockerOk('load', '-i', busybox.archive);
    await d.dockerOk('create', '--name', 'kept', '-v', '/data', 'busybox');
    const loadsSeen = (): number =>
      d.logs().filter((l) => l.msg === 'incoming request' && (l.req as { url?: string } | undefined)?.url === '/images/load').length;
    const loadsBefore = loadsSeen();
    // A second load whose body is still arriving when the stop begins.
    const archive = await fs.readFile(busybox.archive);
    let firstHalfSent!: () => void;
    let sendRest!: () => void;
    const halfway = new Promise<void>((r) => (firstHalfSent = r));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { socketPath: d.socket, method: 'POST', path: '/images/load', headers: { 'content-type': 'application/x-tar', 'content-length': String(archive.length) }, agent: false },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const half = Math.floor(archive.length / 2);
      req.write(archive.subarray(0, half), () => firstHalfSent());
      sendRest = () => req.end(archive.subarray(half));
    });
    await halfway;
    // The daemon has the request in hand (not merely a connection) before the stop begins.
    while (loadsSeen() === loadsBefore) await new Promise((r) => setTimeout(r, 10));
    const closed = d.daemon.close();
    let closedYet = false;
    void closed.then(() => (closedYet = true));
    // Stopping waits for the upload: the rest of it goes only now.
    await new Promise((r) => setTimeout(r, 50));
    expect(closedYet).toBe(false);
    sendRest();
    const result = await answer;
    await closed;
    expect(result.status).toBe(200);
    expect(result.body).toContain('Loaded image: busybox:latest');
    expect(existsSync(d.socket)).toBe(false);
    expect(await mountPointsUnder(d.dir)).toEqual([]);
    // Closing twice is harmless.
    await d.daemon.close();
  });

  test('SIGTERM stops the daemon and exits 0; a second signal forces the exit', async () => {
    const d = await start();
    const exits: number[] = [];
    let exited!: () => void;
    const firstExit = new Promise<void>((r) => (exited = r));
    const uninstall = installSignalHandlers(d.daemon, {
      exit: (code) => {
        exits.push(code);
        exited();
      },
    });
    try {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGINT', 'SIGINT');
      expect(exits).toEqual([130]);
      await firstExit;
      await d.daemon.close();
      // The orderly stop finished too, after the forced "exit" the test swallowed.
      await new Promise((r) => setImmediate(r));
      expect(exits).toEqual([130, 0]);
      expect(existsSync(d.socket)).toBe(false);
    } finally {
      uninstall();
    }
  });

  test('the logs are structured JSON lines, one per request at info', async () => {
    const d = await start({ captureLogs: true });
    await d.request('/v1.50/version');
    await d.request('/containers/nope/json');
    await d.daemon.close();
    const logs = d.logs();
    expect(logs.find((l) => l.msg === 'daemon listening')).toMatchObject({ level: 30, addresses: [`unix://${d.socket}`] });
    const completed = logs.filter((l) => l.msg === 'request completed').map((l) => [(l.req as { url: string }).url, (l.res as { statusCode: number }).statusCode]);
    expect(completed).toEqual(expect.arrayContaining([['/v1.50/version', 200], ['/containers/nope/json', 404]]));
    // Requests themselves are logged once, at info; their start only at debug.
    expect(logs.some((l) => l.msg === 'incoming request')).toBe(false);
    expect(logs.some((l) => l.msg === 'daemon stopped')).toBe(true);
    expect(logs.every((l) => typeof l.time === 'number' && typeof l.level === 'number')).toBe(true);
  });

  test('a request that throws unexpectedly is a 500 with its message and an error log line', async () => {
    const d = await start({ captureLogs: true });
    const original = d.daemon.engine.images.list.bind(d.daemon.engine.images);
    d.daemon.engine.images.list = () => {
      throw new Error('simulated failure');
    };
    try {
      const answer = await d.request('/images/json');
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toEqual({ message: 'simulated failure' });
      expect(d.logs().some((l) => l.level === 50 && String(l.msg).includes('simulated failure'))).toBe(true);
      expect((await d.request('/_ping')).status).toBe(200);
    } finally {
      d.daemon.engine.images.list = original;
    }
  });
});

