// Where the daemon listens: host parsing, the loopback rule for TCP, the
// socket directory check, stale and live sockets, and the socket's mode.
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkSocketDirectory,
  checkTcpExposure,
  clearStaleSocket,
  isLoopback,
  listenUnix,
  ListenError,
  parseHost,
} from '../../src/api/listen';

let dir: string;
const open: Array<net.Server> = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-listen-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise((r) => s.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

describe('parseHost', () => {
  test('unix and tcp, with default ports', () => {
    expect(parseHost('unix:///run/berth.sock')).toEqual({ kind: 'unix', path: '/run/berth.sock' });
    expect(parseHost('tcp://127.0.0.1:2375')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(parseHost('tcp://127.0.0.1')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(parseHost('tcp://0.0.0.0', true)).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 2376 });
    expect(parseHost('tcp://[::1]:0')).toEqual({ kind: 'tcp', host: '::1', port: 0 });
  });

  test('anything else is refused', () => {
    for (const bad of ['unix://relative.sock', 'fd://', 'http://x', 'tcp://host:99999', '/run/berth.sock']) {
      expect(() => parseHost(bad)).toThrow(ListenError);
    }
  });
});

describe('TCP exposure', () => {
  test('loopback only, unless TLS', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) expect(isLoopback(h)).toBe(false);
    expect(() => checkTcpExposure({ kind: 'tcp', host: '0.0.0.0', port: 2375 }, false)).toThrow(/without TLS/);
    expect(() => checkTcpExposure({ kind: 'tcp', host: '0.0.0.0', port: 2376 }, true)).not.toThrow();
    expect(() => checkTcpExposure({ kind: 'tcp', host: '127.0.0.1', port: 2375 }, false)).not.toThrow();
  });
});

describe('the socket directory', () => {
  test('a private directory is fine', async () => {
    await expect(checkSocketDirectory(path.join(dir, 'berth.sock'))).resolves.toBeUndefined();
  });

  test('world- or group-writable without the sticky bit is refused', async () => {
    for (const mode of [0o777, 0o775, 0o757]) {
      const d = path.join(dir, `m${mode.toString(8)}`);
      await fs.mkdir(d);
      await fs.chmod(d, mode);
      await expect(checkSocketDirectory(path.join(d, 'berth.sock'))).rejects.toThrow(/writable by other users/);
    }
  });

  test('the sticky bit makes it safe (as /tmp)', async () => {
    const d = path.join(dir, 'sticky');
    await fs.mkdir(d);
    await fs.chmod(d, 0o1777);
    await expect(checkSocketDirectory(path.join(d, 'berth.sock'))).resolves.toBeUndefined();
  });

  test('an unsafe ancestor counts too', async () => {
    const open777 = path.join(dir, 'open');
    await fs.mkdir(path.join(open777, 'private'), { recursive: true });
    await fs.chmod(open777, 0o777);
    await fs.chmod(path.join(open777, 'private'), 0o700);
    await expect(checkSocketDirectory(path.join(open777, 'private', 'berth.sock'))).rejects.toThrow(/open \(mode 0777\)/);
  });
});

describe('stale and live sockets', () => {
  test('nothing there is fine', async () => {
    await expect(clearStaleSocket(path.join(dir, 'none.sock'))).resolves.toBeUndefined();
  });

  test('a socket nobody listens on is removed', async () => {
    const sock = path.join(dir, 'stale.sock');
    // What a killed daemon leaves: node unlinks a socket on close, so keep a
    // hard link to the bound file and put it back once no one listens.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    await fs.link(sock, `${sock}.keep`);
    await new Promise((r) => server.close(r));
    await fs.rename(`${sock}.keep`, sock);
    expect((await fs.lstat(sock)).isSocket()).toBe(true);
    await clearStaleSocket(sock);
    await expect(fs.lstat(sock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a live socket is never touched', async () => {
    const sock = path.join(dir, 'live.sock');
    const server = net.createServer((c) => c.destroy());
    open.push(server);
    await new Promise<void>((r) => server.listen(sock, r));
    await expect(clearStaleSocket(sock)).rejects.toThrow(`another daemon is listening on ${sock}`);
    expect((await fs.lstat(sock)).isSocket()).toBe(true);
  });

  test('a file that is no socket is refused', async () => {
    const file = path.join(dir, 'plain');
    await fs.writeFile(file, 'x');
    await expect(clearStaleSocket(file)).rejects.toThrow(/not a socket/);
    expect(await fs.readFile(file, 'utf8')).toBe('x');
  });
});

describe('listenUnix', () => {
  test('the socket is 0660 whatever the umask, and the umask is restored', async () => {
    const sock = path.join(dir, 'berth.sock');
    const server = http.createServer((_req, res) => res.end('ok'));
    open.push(server);
    const before = process.umask(0);
    try {
      const ino = await listenUnix(server, sock);
      const st = await fs.lstat(sock);
      expect(st.mode & 0o777).toBe(0o660);
      expect(st.ino).toBe(ino);
      expect(process.umask()).toBe(0);
    } finally {
      process.umask(before);
    }
  });
});
