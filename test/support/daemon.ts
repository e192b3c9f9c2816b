// A berth daemon in the test's own process, on a temp root and socket, with
// a `docker` runner pointed at it (DOCKER_HOST and a private DOCKER_CONFIG)
// and a raw HTTP helper. stop() always closes the daemon and removes it all.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { type Daemon, type DaemonOptions, runDaemon } from '../../src/api/daemon';
import { destroyTempRoot, makeTempRoot } from './temp-root';

export const DOCKER_BIN = '/usr/local/bin/docker';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface TestDaemon {
  daemon: Daemon;
  /** The temp dir holding root/, run/ and cli/. */
  dir: string;
  root: string;
  socket: string;
  /** The docker CLI's environment: DOCKER_HOST, DOCKER_CONFIG, no hints. */
  env: NodeJS.ProcessEnv;
  /** Runs the docker CLI against the daemon; never throws for a non-zero exit. */
  docker(...args: string[]): Promise<RunResult>;
  /** Like docker(), but throws with the CLI's stderr unless it exits 0; returns stdout. */
  dockerOk(...args: string[]): Promise<string>;
  /** One HTTP request on the daemon's socket, the whole answer read. */
  request(urlPath: string, options?: RequestOptions): Promise<HttpResult>;
  /** The daemon's log lines so far (JSON objects), when `captureLogs` was asked for. */
  logs(): Array<Record<string, unknown>>;
  /** Closes the daemon (if the test did not) and removes everything it made. Safe to call twice. */
  stop(): Promise<void>;
}

export interface TestDaemonOptions extends Partial<Pick<DaemonOptions, 'storageDriver' | 'logLevel' | 'tls'>> {
  /** More hosts beside the temp socket (`tcp://127.0.0.1:0`). */
  extraHosts?: string[];
  /** Keep the log lines for logs(); otherwise they are dropped unless BERTH_TEST_LOG=1. */
  captureLogs?: boolean;
}

/** Sends one request over a unix socket (no keep-alive) and reads the whole answer. */
export function requestOnSocket(socket: string, urlPath: string, options: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, path: urlPath, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const dir = makeTempRoot();
  const root = path.join(dir, 'root');
  const socket = path.join(dir, 'run', 'berth.sock');
  const configDir = path.join(dir, 'cli');
  const lines: Array<Record<string, unknown>> = [];
  let pending = '';
  const logStream =
    options.captureLogs === true
      ? new Writable({
          write(chunk: Buffer, _enc, done) {
            pending += chunk.toString('utf8');
            let nl: number;
            while ((nl = pending.indexOf('\n')) >= 0) {
              const line = pending.slice(0, nl);
              pending = pending.slice(nl + 1);
              try {
                lines.push(JSON.parse(line) as Record<string, unknown>);
              } catch {
                lines.push({ raw: line });
              }
            }
            done();
          },
        })
      : process.env.BERTH_TEST_LOG === '1'
        ? process.stderr
        : new PassThrough().resume();
  let daemon: Daemon;
  try {
    await fs.mkdir(configDir, { mode: 0o700 });
    daemon = await runDaemon({
      root,
      hosts: [`unix://${socket}`, ...(options.extraHosts ?? [])],
      storageDriver: options.storageDriver,
      logLevel: options.logLevel ?? 'info',
      logStream,
      tls: options.tls,
    });
  } catch (e) {
    await destroyTempRoot(dir);
    throw e;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false' };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_API_VERSION;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;

  const docker = (...args: string[]): Promise<RunResult> =>
    new Promise((resolve) => {
      execFile(DOCKER_BIN, args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
        // A failure to run at all (no binary, a timeout) has no exit status: its message stands in for stderr.
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr: code === -1 && err !== null ? `${stderr}${err.message}` : stderr });
      });
    });

  let stopped: Promise<void> | undefined;
  return {
    daemon,
    dir,
    root,
    socket,
    env,
    docker,
    async dockerOk(...args: string[]) {
      const r = await docker(...args);
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
      return r.stdout;
    },
    request: (urlPath, requestOptions) => requestOnSocket(socket, urlPath, requestOptions),
    logs: () => [...lines],
    stop() {
      stopped ??= (async () => {
        try {
          await daemon.close();
        } finally {
          await destroyTempRoot(dir);
        }
      })();
      return stopped;
    },
  };
}
