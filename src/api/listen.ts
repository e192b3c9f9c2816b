// Where the daemon listens, and the checks before it does: a unix socket is
// created 0660 in a directory no other user can write to, a stale one is
// replaced but a live one never; TCP only on loopback unless TLS is on.
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Server } from 'node:http';

export type HostAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export const SOCKET_MODE = 0o660;
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** `unix:///path.sock` or `tcp://host[:port]` (port 2375, or 2376 with TLS, when absent). */
export function parseHost(spec: string, tls = false): HostAddress {
  if (spec.startsWith('unix://')) {
    const socketPath = spec.slice('unix://'.length);
    if (!path.isAbsolute(socketPath)) throw new ListenError(`invalid host ${JSON.stringify(spec)}: the socket path must be absolute`);
    return { kind: 'unix', path: path.normalize(socketPath) };
  }
  if (spec.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+)(?::([0-9]{1,5}))?\/?$/.exec(spec);
    if (m === null) throw new ListenError(`invalid host ${JSON.stringify(spec)}: expected tcp://host[:port]`);
    const port = m[2] === undefined ? (tls ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT) : Number(m[2]);
    if (port > 65535) throw new ListenError(`invalid host ${JSON.stringify(spec)}: port out of range`);
    return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port };
  }
  throw new ListenError(`invalid host ${JSON.stringify(spec)}: expected unix:///path or tcp://host:port`);
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host) || /^::ffff:127\./i.test(host);
}

/** Refuses a TCP address that is not loopback when there is no TLS to guard it. */
export function checkTcpExposure(address: HostAddress & { kind: 'tcp' }, tls: boolean): void {
  if (tls || isLoopback(address.host)) return;
  throw new ListenError(
    `refusing to listen on tcp://${address.host}:${address.port} without TLS: anyone who reaches it controls the engine as root; ` +
      'listen on a loopback address or configure TLS',
  );
}

/**
 * Each directory from the socket's up to `/` must be writable by no one but
 * its owner (root or us), or carry the sticky bit: otherwise another user
 * could rename our socket away and put theirs in its place.
 */
export async function checkSocketDirectory(socketPath: string): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  let dir = await fs.realpath(path.dirname(socketPath));
  for (;;) {
    const st = await fs.stat(dir);
    const mode = st.mode & 0o7777;
    const sticky = (mode & 0o1000) !== 0;
    if (st.uid !== 0 && st.uid !== uid) {
      throw new ListenError(`refusing to create the socket ${socketPath}: ${dir} belongs to uid ${st.uid}, who could replace the socket`);
    }
    if ((mode & 0o022) !== 0 && !sticky) {
      throw new ListenError(
        `refusing to create the socket ${socketPath}: ${dir} (mode ${mode.toString(8).padStart(4, '0')}) is writable by other users ` +
          'without the sticky bit, so another user could replace the socket; use a private directory',
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

/** Removes a socket file nobody listens on; a live one, or a file that is no socket, is an error. */
export async function clearStaleSocket(socketPath: string): Promise<void> {
  let st;
  try {
    st = await fs.lstat(socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new ListenError(`refusing to replace ${socketPath}: it exists and is not a socket`);
  if (await canConnect(socketPath)) throw new ListenError(`another daemon is listening on ${socketPath}`);
  await fs.rm(socketPath, { force: true });
}

function listenOn(server: Server | net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Listens on a unix socket that is 0660 from its first moment: the umask
 * covers the bind (done synchronously inside listen()), then the mode is
 * set and checked before the first connection is served. Returns the
 * socket's inode so that shutdown removes only our own socket.
 */
export async function listenUnix(server: Server, socketPath: string): Promise<number> {
  const oldMask = process.umask(0o777 & ~SOCKET_MODE);
  let listening: Promise<void>;
  try {
    listening = listenOn(server, { path: socketPath });
  } finally {
    process.umask(oldMask);
  }
  await listening;
  await fs.chmod(socketPath, SOCKET_MODE);
  const st = await fs.lstat(socketPath);
  if ((st.mode & 0o777) !== SOCKET_MODE) {
    server.close();
    throw new ListenError(`the socket ${socketPath} has mode ${(st.mode & 0o777).toString(8)}, not ${SOCKET_MODE.toString(8)}`);
  }
  return st.ino;
}

/** Listens on TCP; returns the port (the chosen one when asked for port 0). */
export async function listenTcp(server: Server, host: string, port: number): Promise<number> {
  await listenOn(server, { host, port });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

export function formatTcpAddress(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
