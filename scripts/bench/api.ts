// `npm run bench -- api`: `POST /containers/create` latency through the unix
// socket, berth's daemon beside dockerd (when installed) on the same image,
// with 1 client and with 32 concurrent clients, interleaved round by round.
// Goals (reported, never asserted): berth's p50 at most 0.25x dockerd's, and
// its throughput at 32 clients at least 3x dockerd's.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tar from 'tar-stream';
import { createHash } from 'node:crypto';
import type { BenchContext, StopSignal } from './common';
import { errorText, Interrupted, log, notRoot, parseFlags, positiveInt, runBench, TEMP_ROOTS, UsageError } from './common';
import { onPath, waitExit } from './registry';
import { fmtMs, fmtRatio, ratio, renderTable, round, summarize, type Summary } from './stats';

const DEFAULT_RUNS = 1000;
const CONCURRENCY = [1, 32] as const;
/** Each measurement's creates are split into rounds alternating berth and dockerd. */
const ROUNDS = 4;
/** Untimed creates at the start of every round. */
const WARMUP = 5;
const GOAL_P50 = 0.25;
const GOAL_THROUGHPUT = 3;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const REMOVE_CONCURRENCY = 8;
/** `GET /_ping` round trips per engine: the transport and routing floor under every create. */
const PINGS = 200;
const EPOCH = new Date(0);
const IMAGE = 'busybox:latest';
const CREATE_BODY = JSON.stringify({ Image: IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });

type Engine = 'berth' | 'dockerd';
const ENGINES: readonly Engine[] = ['berth', 'dockerd'];

interface Options {
  runs: number;
  logLevel: string;
  dockerd: boolean;
}

const USAGE = `usage: npm run bench -- api [--runs N] [--log-level LEVEL] [--no-dockerd]

Runs as root. Starts berth's daemon (a child process, logging at --log-level,
default info, to a file) and, when installed, a private dockerd, loads the same
busybox image into both, then times N creates (default ${DEFAULT_RUNS}) through each
unix socket with ${CONCURRENCY.join(' and ')} concurrent clients (keep-alive connections),
in ${ROUNDS} rounds alternating the engines. Containers are removed between rounds.
Everything lives under ${TEMP_ROOTS} and is removed on exit.
`;

function parseArgs(args: string[]): Options {
  const options: Options = { runs: DEFAULT_RUNS, logLevel: 'info', dockerd: true };
  parseFlags(args, (flag, value) => {
    switch (flag) {
      case '--runs':
        options.runs = positiveInt(flag, value());
        return true;
      case '--log-level':
        options.logLevel = value();
        return true;
      case '--no-dockerd':
        options.dockerd = false;
        return true;
      default:
        return false;
    }
  });
  if (options.runs < ROUNDS) throw new UsageError(`--runs must be at least ${ROUNDS}`);
  return options;
}

// --- the image -----------------------------------------------------------

type TarHeader = Parameters<ReturnType<typeof tar.pack>['entry']>[0];

async function tarOf(entries: Array<{ header: TarHeader; data?: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { header, data } of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (data === undefined) pack.entry(header, cb);
      else pack.entry({ ...header, size: data.length }, data, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hexOf = (digest: string): string => digest.slice(digest.indexOf(':') + 1);

/** A one-layer busybox image as a `docker save` archive (manifest.json form both engines load). */
async function writeImageArchive(file: string): Promise<void> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  const base = { mode: 0o755, mtime: EPOCH, uid: 0, gid: 0 };
  const layer = await tarOf([
    { header: { ...base, name: 'bin', type: 'directory' } },
    ...(busybox !== undefined
      ? [
          { header: { ...base, name: 'bin/busybox', type: 'file' as const }, data: readFileSync(busybox) },
          { header: { ...base, name: 'bin/true', type: 'symlink' as const, linkname: 'busybox', mode: 0o777 } },
          { header: { ...base, name: 'bin/sh', type: 'symlink' as const, linkname: 'busybox', mode: 0o777 } },
        ]
      : [{ header: { ...base, name: 'bin/true', type: 'file' as const }, data: Buffer.from('#!/bin/sh\n') }]),
    { header: { ...base, name: 'etc', type: 'directory' } },
    { header: { ...base, name: 'etc/passwd', type: 'file', mode: 0o644 }, data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') },
    { header: { ...base, name: 'tmp', type: 'directory', mode: 0o1777 } },
  ]);
  const diffId = sha256(layer);
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      created: EPOCH.toISOString(),
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Volumes: null },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: EPOCH.toISOString(), created_by: 'berth bench api' }],
    }),
  );
  const configName = `${hexOf(sha256(config))}.json`;
  const layerName = `${hexOf(diffId)}/layer.tar`;
  const archive = await tarOf([
    { header: { ...base, name: configName, type: 'file', mode: 0o644 }, data: config },
    { header: { ...base, name: hexOf(diffId), type: 'directory' } },
    { header: { ...base, name: layerName, type: 'file', mode: 0o644 }, data: layer },
    { header: { ...base, name: 'manifest.json', type: 'file', mode: 0o644 }, data: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [IMAGE], Layers: [layerName] }])) },
  ]);
  await writeFile(file, archive);
}

// --- HTTP over a unix socket ---------------------------------------------

interface Answer {
  status: number;
  body: string;
}

function request(agent: http.Agent, socket: string, method: string, urlPath: string, body?: Buffer | string, contentType?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    if (body !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request({ socketPath: socket, method, path: urlPath, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function expectStatus(what: string, answer: Promise<Answer>, status: number): Promise<Answer> {
  const a = await answer;
  if (a.status !== status) throw new Error(`${what}: HTTP ${a.status}: ${a.body.slice(0, 500)}`);
  return a;
}

// --- engines -------------------------------------------------------------

interface Target {
  engine: Engine;
  socket: string;
  stop(): Promise<void>;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function startChild(
  engine: Engine,
  command: string,
  args: string[],
  socket: string,
  logFile: string,
  stop: StopSignal,
): Promise<Target> {
  const out = createWriteStream(logFile);
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', out, out] });
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && spawnError === undefined) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, STOP_TIMEOUT_MS))) {
        log(`${engine}: did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; sending SIGKILL`);
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
    }
    out.end();
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (child.exitCode === null && child.signalCode === null && spawnError === undefined && stop.signal === null && Date.now() < deadline) {
    if (await ping(socket)) return { engine, socket, stop: kill };
    await new Promise((r) => setTimeout(r, 100));
  }
  await kill();
  stop.check();
  const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
  throw new Error(`${engine} did not start: ${spawnError?.message ?? (child.exitCode !== null ? `exited ${child.exitCode}` : 'no answer on its socket')}${tail ? `\n${tail}` : ''}`);
}

/** berth's daemon in a process of its own, as dockerd is: the clients never share its event loop. */
async function startBerth(dir: string, logLevel: string, stop: StopSignal): Promise<Target> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'berth.sock');
  const daemonModule = require.resolve('../../src/api/daemon');
  const options = { root: path.join(dir, 'root'), hosts: [`unix://${socket}`], storageDriver: 'overlay2', logLevel };
  const script = [
    `const { runDaemon, installSignalHandlers } = require(${JSON.stringify(daemonModule)});`,
    `runDaemon(${JSON.stringify(options)}).then(installSignalHandlers, (e) => { console.error(e); process.exit(1); });`,
  ].join('\n');
  return startChild('berth', process.execPath, ['-e', script], socket, path.join(dir, 'daemon.log'), stop);
}

/** A private dockerd: data, exec state and socket under `dir`, no network set-up, never /var/lib/docker. */
async function startDockerd(dir: string, stop: StopSignal): Promise<Target> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'docker.sock');
  const configFile = path.join(dir, 'daemon.json');
  await writeFile(configFile, '{}\n');
  // prettier-ignore
  const args = [
    '--config-file', configFile,
    '--data-root', path.join(dir, 'data'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'dockerd.pid'),
    '-H', `unix://${socket}`,
    '--bridge=none', '--iptables=false', '--ip6tables=false',
    '--storage-driver', 'overlay2',
  ];
  return startChild('dockerd', 'dockerd', args, socket, path.join(dir, 'dockerd.log'), stop);
}

async function loadImage(target: Target, archive: Buffer): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  const a = await expectStatus(`${target.engine}: load`, request(agent, target.socket, 'POST', '/images/load?quiet=1', archive, 'application/x-tar'), 200);
  if (a.body.includes('"error"')) throw new Error(`${target.engine}: load: ${a.body.trim()}`);
  await expectStatus(`${target.engine}: inspect ${IMAGE}`, request(agent, target.socket, 'GET', `/images/${IMAGE}/json`), 200);
  agent.destroy();
}

/** Removes every container (untimed), a few at a time. */
async function removeAll(target: Target): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: REMOVE_CONCURRENCY });
  try {
    const list = await expectStatus(`${target.engine}: list`, request(agent, target.socket, 'GET', '/containers/json?all=1'), 200);
    const ids = (JSON.parse(list.body) as Array<{ Id: string }>).map((c) => c.Id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++];
        await expectStatus(`${target.engine}: rm ${id}`, request(agent, target.socket, 'DELETE', `/containers/${id}?force=1&v=1`), 204);
      }
    };
    await Promise.all(Array.from({ length: REMOVE_CONCURRENCY }, worker));
  } finally {
    agent.destroy();
  }
}

interface RoundResult {
  latenciesMs: number[];
  wallMs: number;
}

/** `count` creates by `clients` concurrent clients, each on its own keep-alive connection. */
async function createRound(target: Target, count: number, clients: number, stop: StopSignal): Promise<RoundResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const create = (): Promise<Answer> => expectStatus(`${target.engine}: create`, request(agent, target.socket, 'POST', '/containers/create', CREATE_BODY), 201);
  try {
    for (let i = 0; i < Math.min(WARMUP, count); i++) await create();
    stop.check();
    const latenciesMs: number[] = [];
    let started = 0;
    const t0 = process.hrtime.bigint();
    const worker = async (): Promise<void> => {
      while (started < count && stop.signal === null) {
        started++;
        const s = process.hrtime.bigint();
        await create();
        latenciesMs.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    };
    await Promise.all(Array.from({ length: clients }, worker));
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    stop.check();
    return { latenciesMs, wallMs };
  } finally {
    agent.destroy();
  }
}

async function pingRound(target: Target, count: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = process.hrtime.bigint();
      await expectStatus(`${target.engine}: ping`, request(agent, target.socket, 'GET', '/_ping'), 200);
      out.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    return out;
  } finally {
    agent.destroy();
  }
}

// --- measure -------------------------------------------------------------

type Key = `${Engine}@${number}`;
const keyOf = (engine: Engine, clients: number): Key => `${engine}@${clients}`;

interface Measured {
  /** `/_ping` latencies, 1 client: what HTTP over the socket costs each engine before any work. */
  pings: Map<Engine, number[]>;
  latencies: Map<Key, number[]>;
  /** Total timed wall time and creates, for throughput. */
  wall: Map<Key, { ms: number; creates: number }>;
  engines: Engine[];
  skipped: Partial<Record<Engine, string>>;
}

async function measureAll(options: Options, ctx: BenchContext): Promise<Measured> {
  const { tmp, stop } = ctx;
  const archiveFile = path.join(tmp, 'image.tar');
  await writeImageArchive(archiveFile);
  const archive = await readFile(archiveFile);

  const targets: Target[] = [];
  const skipped: Partial<Record<Engine, string>> = {};
  const berth = await startBerth(path.join(tmp, 'berth'), options.logLevel, stop);
  ctx.atCleanup('berth daemon', berth.stop);
  targets.push(berth);
  log(`berth: daemon on ${berth.socket}`);

  if (!options.dockerd) skipped.dockerd = 'not asked for (--no-dockerd)';
  else if (!onPath('dockerd')) skipped.dockerd = 'dockerd is not installed (no dockerd on PATH)';
  else {
    try {
      const dockerd = await startDockerd(path.join(tmp, 'docker'), stop);
      ctx.atCleanup('dockerd', dockerd.stop);
      targets.push(dockerd);
      log(`dockerd: started on ${dockerd.socket}`);
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      skipped.dockerd = `failed to start: ${errorText(err)}`;
    }
  }
  if (skipped.dockerd !== undefined) log(`dockerd: skipped, ${skipped.dockerd}`);

  for (const t of targets) await loadImage(t, archive);
  stop.check();

  const pings = new Map<Engine, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
      pings.set(t.engine, [...(pings.get(t.engine) ?? []), ...(await pingRound(t, PINGS / ROUNDS))]);
    }
  }
  stop.check();

  const latencies = new Map<Key, number[]>();
  const wall = new Map<Key, { ms: number; creates: number }>();
  const perRound = Math.floor(options.runs / ROUNDS);
  for (const clients of CONCURRENCY) {
    for (let r = 0; r < ROUNDS; r++) {
      const count = r === ROUNDS - 1 ? options.runs - perRound * (ROUNDS - 1) : perRound;
      const order = r % 2 === 0 ? targets : [...targets].reverse();
      const line: string[] = [];
      for (const t of order) {
        stop.check();
        const result = await createRound(t, count, clients, stop);
        const key = keyOf(t.engine, clients);
        latencies.set(key, [...(latencies.get(key) ?? []), ...result.latenciesMs]);
        const w = wall.get(key) ?? { ms: 0, creates: 0 };
        wall.set(key, { ms: w.ms + result.wallMs, creates: w.creates + result.latenciesMs.length });
        line.push(`${t.engine} ${((result.latenciesMs.length / result.wallMs) * 1000).toFixed(0)}/s`);
        await removeAll(t);
      }
      log(`${clients} client${clients === 1 ? '' : 's'}, round ${r + 1}/${ROUNDS} (${count} creates): ${line.join(', ')}`);
    }
  }
  return { pings, latencies, wall, engines: targets.map((t) => t.engine), skipped };
}

// --- report --------------------------------------------------------------

function report(options: Options, m: Measured): void {
  const summaries = new Map<Key, Summary>();
  for (const [key, samples] of m.latencies) if (samples.length > 0) summaries.set(key, summarize(samples));
  const throughput = (key: Key): number | null => {
    const w = m.wall.get(key);
    return w === undefined || w.ms === 0 ? null : (w.creates / w.ms) * 1000;
  };
  const p50 = (key: Key): number | null => summaries.get(key)?.p50 ?? null;
  const vsDockerd = (clients: number, of: (key: Key) => number | null): number | null => {
    const a = of(keyOf('berth', clients));
    const b = of(keyOf('dockerd', clients));
    return a === null || b === null ? null : ratio(a, b);
  };

  const rows: string[][] = [];
  for (const clients of CONCURRENCY) {
    for (const engine of ENGINES) {
      const key = keyOf(engine, clients);
      const s = summaries.get(key);
      const tp = throughput(key);
      rows.push([engine, String(clients), s ? String(s.runs) : '-', fmtMs(s?.p50), fmtMs(s?.p90), fmtMs(s?.p99), tp === null ? '-' : tp.toFixed(0)]);
    }
  }
  const pingP50 = (engine: Engine): number | null => {
    const samples = m.pings.get(engine);
    return samples === undefined || samples.length === 0 ? null : summarize(samples).p50;
  };
  const p50Ratio = vsDockerd(1, p50);
  const p50Ratio32 = vsDockerd(32, p50);
  const tpRatio = vsDockerd(32, throughput);
  const goal = (value: number | null, ok: (v: number) => boolean, text: string): string =>
    value === null ? `${text}: no dockerd to compare with` : `${text}: ${fmtRatio(value)} (${ok(value) ? 'met' : 'NOT met'})`;
  const out = [
    `api: POST /containers/create through the unix socket, ${options.runs} creates per engine and concurrency, ${ROUNDS} interleaved rounds, ` +
      `berth logging at ${options.logLevel}, kernel ${os.release()}, ${os.availableParallelism()} CPUs`,
    '',
    renderTable(
      [{ title: 'engine', align: 'left' }, { title: 'clients' }, { title: 'creates' }, { title: 'p50 ms' }, { title: 'p90 ms' }, { title: 'p99 ms' }, { title: 'creates/s' }],
      rows,
    ),
    '',
    `GET /_ping p50 (the transport floor, 1 client, ${PINGS} each): ${ENGINES.map((e) => `${e} ${fmtMs(pingP50(e))} ms`).join(', ')}`,
    goal(p50Ratio, (v) => v <= GOAL_P50, `p50 berth/dockerd, 1 client (goal <= ${GOAL_P50}x)`),
    `p50 berth/dockerd, 32 clients: ${fmtRatio(p50Ratio32)}`,
    goal(tpRatio, (v) => v >= GOAL_THROUGHPUT, `throughput berth/dockerd, 32 clients (goal >= ${GOAL_THROUGHPUT}x)`),
    ...Object.entries(m.skipped).map(([e, why]) => `skipped: ${e}: ${why}`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const resultJson = (key: Key): Record<string, number> | null => {
    const s = summaries.get(key);
    const tp = throughput(key);
    return s === undefined ? null : { runs: s.runs, p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), perSecond: tp === null ? 0 : round(tp, 1) };
  };
  const r2 = (v: number | null): number | null => (v === null ? null : round(v, 3));
  const json = {
    bench: 'api',
    unit: 'ms',
    runs: options.runs,
    rounds: ROUNDS,
    logLevel: options.logLevel,
    kernel: os.release(),
    pingP50: Object.fromEntries(ENGINES.map((e) => [e, pingP50(e) === null ? null : round(pingP50(e)!)])),
    results: Object.fromEntries(CONCURRENCY.flatMap((c) => ENGINES.map((e) => [keyOf(e, c), resultJson(keyOf(e, c))]))),
    ratio: { p50_1_client: r2(p50Ratio), p50_32_clients: r2(p50Ratio32), throughput_32_clients: r2(tpRatio) },
    goals: {
      p50_1_client: p50Ratio === null ? null : p50Ratio <= GOAL_P50,
      throughput_32_clients: tpRatio === null ? null : tpRatio >= GOAL_THROUGHPUT,
    },
    skipped: m.skipped,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

export function main(args: string[]): Promise<number> {
  return runBench({ name: 'api', usage: USAGE, parseArgs, unmet: () => notRoot('the daemons mount overlays'), run: measureAll, report }, args);
}
