// `berth daemon`: the engine behind the Docker Engine API on unix sockets
// (and TCP when asked), with structured logs and an orderly stop.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import pino, { type Logger } from 'pino';
import { Engine } from '../engine/engine';
import {
  checkSocketDirectory,
  checkTcpExposure,
  clearStaleSocket,
  formatTcpAddress,
  type HostAddress,
  listenTcp,
  listenUnix,
  ListenError,
  parseHost,
} from './listen';
import { type ApiServer, buildApiServer } from './server';

export interface TlsOptions {
  /** PEM text, or the path of a PEM file. */
  cert: string;
  key: string;
  /** Clients must present a certificate signed by this CA when given. */
  ca?: string;
}

export interface DaemonOptions {
  root: string;
  /** `unix:///path.sock` | `tcp://127.0.0.1:2375` */
  hosts: string[];
  storageDriver?: 'overlay2' | 'aufs' | 'vfs';
  /** pino level: fatal, error, warn, info (default), debug, trace, silent. */
  logLevel?: string;
  /** Where the JSON log lines go (default stderr). */
  logStream?: NodeJS.WritableStream;
  /** Allow a socket directory other users can write to. */
  allowInsecureSocketDir?: boolean;
  /** Serves TCP hosts over TLS, which also allows non-loopback addresses. */
  tls?: TlsOptions;
}

export interface Daemon {
  engine: Engine;
  /** Where it listens, TCP ports resolved: `unix:///run/berth.sock`, `tcp://127.0.0.1:2375`. */
  addresses: string[];
  logger: Logger;
  /** Stops accepting, lets requests in flight finish, closes the engine (unmounting everything), removes the sockets. */
  close(): Promise<void>;
}

/** How often shutdown looks for connections whose last request has finished. */
const IDLE_SWEEP_MS = 50;

function pem(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

/**
 * Where log lines go. The process's stderr (the default) is written through
 * pino's asynchronous sonic-boom: a synchronous write per request to a file
 * or pipe would cost the request path more than routing does. flush() writes
 * out what is still buffered, before the daemon reports itself stopped.
 */
function logDestination(stream: NodeJS.WritableStream | undefined): { stream: pino.DestinationStream; flush(): void } {
  if (stream !== undefined && stream !== process.stderr) return { stream: stream as pino.DestinationStream, flush: () => undefined };
  const boom = pino.destination({ dest: 2, sync: false, minLength: 0 });
  return {
    stream: boom,
    flush: () => {
      try {
        boom.flushSync();
      } catch {
        // Not open yet or already gone: nothing buffered to lose.
      }
    },
  };
}

function makeServer(api: ApiServer, address: HostAddress, tls: TlsOptions | undefined): http.Server {
  const server =
    address.kind === 'tcp' && tls !== undefined
      ? https.createServer(
          { cert: pem(tls.cert), key: pem(tls.key), ...(tls.ca !== undefined ? { ca: pem(tls.ca), requestCert: true, rejectUnauthorized: true } : {}) },
          api.handler,
        )
      : http.createServer(api.handler);
  // An upload (`docker load` of a large image) may take as long as it takes.
  server.requestTimeout = 0;
  return server;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export async function runDaemon(options: DaemonOptions): Promise<Daemon> {
  // Creates block in fsync and mount on libuv's threadpool; concurrent ones
  // queue behind its default 4 threads. Only takes effect if nothing in this
  // process has used the pool yet (as in `berth daemon`, which also sets it).
  process.env.UV_THREADPOOL_SIZE ??= '16';
  if (options.hosts.length === 0) throw new ListenError('no host to listen on: give at least one unix:///path.sock');
  const tls = options.tls;
  const addresses = options.hosts.map((h) => parseHost(h, tls !== undefined));
  for (const a of addresses) if (a.kind === 'tcp') checkTcpExposure(a, tls !== undefined);
  for (const a of addresses) {
    if (a.kind !== 'unix') continue;
    await fs.mkdir(path.dirname(a.path), { recursive: true, mode: 0o755 });
    if (!options.allowInsecureSocketDir) await checkSocketDirectory(a.path);
    await clearStaleSocket(a.path);
  }

  const destination = logDestination(options.logStream);
  const logger = pino({ level: options.logLevel ?? 'info', base: { pid: process.pid, hostname: os.hostname() } }, destination.stream);
  const engine = await Engine.open({ root: options.root, storageDriver: options.storageDriver, onWarning: (m) => logger.warn(m) });
  const servers: http.Server[] = [];
  const ownSockets: Array<{ path: string; ino: number }> = [];
  const listening: string[] = [];
  let api: ApiServer | undefined;

  const removeSockets = async (): Promise<void> => {
    for (const s of ownSockets) {
      // Only the file we made: never a socket someone else put there since.
      const st = await fs.lstat(s.path).catch(() => null);
      if (st !== null && st.ino === s.ino) await fs.rm(s.path, { force: true });
    }
  };

  try {
    api = await buildApiServer(engine, { logger });
    for (const a of addresses) {
      const server = makeServer(api, a, tls);
      servers.push(server);
      if (a.kind === 'unix') {
        ownSockets.push({ path: a.path, ino: await listenUnix(server, a.path) });
        listening.push(`unix://${a.path}`);
      } else {
        listening.push(formatTcpAddress(a.host, await listenTcp(server, a.host, a.port)));
      }
    }
  } catch (e) {
    await Promise.all(servers.map(closeServer));
    await api?.close().catch(() => undefined);
    await removeSockets().catch(() => undefined);
    await engine.close();
    destination.flush();
    throw e;
  }
  const apiServer = api;
  logger.info({ root: engine.root, driver: engine.driver.name, addresses: listening }, 'daemon listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info({ inFlight: apiServer.inFlight }, 'daemon stopping');
      apiServer.beginShutdown();
      const sweep = setInterval(() => {
        for (const s of servers) s.closeIdleConnections();
      }, IDLE_SWEEP_MS);
      try {
        await Promise.all(servers.map(closeServer));
      } finally {
        clearInterval(sweep);
      }
      await apiServer.close();
      try {
        await engine.close();
      } finally {
        await removeSockets();
      }
      logger.info('daemon stopped');
      destination.flush();
    })();
    return closing;
  };

  return { engine, addresses: listening, logger, close };
}

export interface SignalHandlerOptions {
  /** Ends the process (process.exit by default); tests pass their own. */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/**
 * SIGTERM/SIGINT stop the daemon in order (see Daemon.close) and exit 0, or
 * 1 when stopping failed; a second signal exits at once, 128+signal, leaving
 * whatever was still mounted. Returns a function that removes the handlers.
 */
export function installSignalHandlers(daemon: Daemon, options: SignalHandlerOptions = {}): () => void {
  const exit = options.exit ?? ((code: number): void => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      daemon.logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      exit(128 + (os.constants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    daemon.logger.info({ signal }, 'signal received: shutting down');
    daemon.close().then(
      () => exit(0),
      (err: unknown) => {
        daemon.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
