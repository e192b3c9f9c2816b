// Kill storm: a `berth daemon` child process serves a few clients that create,
// remove, inspect and list containers over its socket; a seeded random 20-400
// ms after the round's first answered create it is SIGKILLed and started again
// on the same root, and what the API confirmed must still be there, whole,
// with nothing half made beside it. The clients share one seeded generator,
// so a seed repeats the choices but not the interleaving the scheduler picks.
//
//   node dist/scripts/stress/killstorm.js [--kills N] [--seed N] [--clients N] [--keep]
//
// Prints human lines, then one JSON line last. Exit status 1 on any violation.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { mountsUnder } from '../../src/storage/mountinfo';
import { UsageError, errorText, parseFlags, positiveInt, removeTree } from '../bench/common';
import { buildImage, busyboxEntries, layerTar, writeDockerSave } from '../fixtures/images';
import { type ApiView, type InvariantReport, checkInvariants } from './invariants';

/** mulberry32: tiny, seedable, good enough to pick operations and delays. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface StormOptions {
  /** A scratch directory the caller removes afterwards (the root and socket go in it). */
  dir: string;
  kills: number;
  seed: number;
  clients?: number;
  /** dist/src/cli/main.js */
  mainJs: string;
  log?: (line: string) => void;
}

export interface StormResult {
  seed: number;
  kills: number;
  survived: number;
  violations: string[];
  creates: { confirmed: number; refused: number; inFlightAtKill: number; inFlightFoundWhole: number };
  removes: { confirmed: number; inFlightAtKill: number };
  reads: { inspects: number; lists: number };
  /** Mounts a killed daemon left behind, summed over kills (the next start must clear them). */
  mountsLeftByKills: number;
  /** Invariant counts summed over every check. */
  checked: InvariantReport['counts'];
  final: { exitCode: number | null; socketRemoved: boolean; mountsLeft: string[] };
}

interface Answer {
  status: number;
  body: string;
}

/** One request on the socket; rejects with the socket error when the daemon is gone. */
function request(socket: string, method: string, urlPath: string, body?: Buffer | string, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request({ socketPath: socket, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The request never reached a daemon: nothing it asked for can have happened. */
const neverSent = (e: unknown): boolean => ['ECONNREFUSED', 'ENOENT'].includes((e as { code?: string }).code ?? '');

class DaemonProcess {
  private child: ChildProcess | null = null;
  private stderrTail = '';
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;

  constructor(
    private readonly mainJs: string,
    private readonly root: string,
    readonly socket: string,
  ) {}

  async start(): Promise<void> {
    this.stderrTail = '';
    const child = spawn(process.execPath, [this.mainJs, 'daemon', '--root', this.root, '--host', `unix://${this.socket}`, '--log-level', 'warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`daemon exited at start (${child.exitCode ?? child.signalCode}):\n${this.stderrTail}`);
      try {
        const ping = await request(this.socket, 'GET', '/_ping');
        if (ping.status === 200) return;
      } catch {
        // not listening yet
      }
      if (attempt > 1200) throw new Error(`daemon did not answer /_ping within a minute:\n${this.stderrTail}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child === null || this.exited === null) return { code: null, signal: null };
    if (this.running) this.child.kill(signal);
    const exit = await this.exited;
    this.child = null;
    return exit;
  }
}

interface Tracked {
  name: string;
  namedVolumes: string[];
}

const VOLUME_POOL = ['storm-v0', 'storm-v1', 'storm-v2', 'storm-v3'];
const STANDALONE_VOLUME = 'storm-standalone';

async function apiView(socket: string): Promise<{ view: ApiView; names: Map<string, string> }> {
  const list = await request(socket, 'GET', '/containers/json?all=1');
  if (list.status !== 200) throw new Error(`list: ${list.status} ${list.body}`);
  const containers = JSON.parse(list.body) as Array<{ Id: string; Names: string[]; Mounts: Array<{ Type: string; Name?: string }> }>;
  const volumes = await request(socket, 'GET', '/volumes');
  if (volumes.status !== 200) throw new Error(`volumes: ${volumes.status} ${volumes.body}`);
  const names = new Map<string, string>();
  for (const c of containers) {
    // The primary name is the one without a link path (/parent/alias names have two slashes).
    names.set(c.Id, c.Names.find((n) => n.lastIndexOf('/') === 0) ?? '');
  }
  return {
    view: {
      containers: containers.map((c) => ({ Id: c.Id, volumeNames: c.Mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name as string) })),
      volumes: (JSON.parse(volumes.body) as { Volumes: Array<{ Name: string }> | null }).Volumes?.map((v) => v.Name) ?? [],
    },
    names,
  };
}

export async function runKillStorm(options: StormOptions): Promise<StormResult> {
  const log = options.log ?? ((): void => undefined);
  const rng = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)];
  const clients = options.clients ?? 4;
  const root = path.join(options.dir, 'root');
  const daemon = new DaemonProcess(options.mainJs, root, path.join(options.dir, 'berth.sock'));
  const socket = daemon.socket;

  const confirmed = new Map<string, Tracked>();
  const uncertainCreates = new Map<string, Tracked>();
  const uncertainRemoves = new Set<string>();
  const removing = new Set<string>();
  const allowedVolumes = new Set<string>([STANDALONE_VOLUME]);
  const result: StormResult = {
    seed: options.seed,
    kills: 0,
    survived: 0,
    violations: [],
    creates: { confirmed: 0, refused: 0, inFlightAtKill: 0, inFlightFoundWhole: 0 },
    removes: { confirmed: 0, inFlightAtKill: 0 },
    reads: { inspects: 0, lists: 0 },
    mountsLeftByKills: 0,
    checked: { containers: 0, containerDirs: 0, jsonFiles: 0, layers: 0, mountRecords: 0, volumes: 0, linkRows: 0, mounts: 0 },
    final: { exitCode: null, socketRemoved: false, mountsLeft: [] },
  };
  // Every answer and failure per container, to explain a violation.
  const history = new Map<string, string[]>();
  const note = (key: string, what: string): void => {
    history.set(key, [...(history.get(key) ?? []), what]);
  };
  const violation = (round: number, text: string): void => {
    result.violations.push(`kill ${round} (seed ${options.seed}): ${text}`);
  };
  let serial = 0;
  // Each start costs seconds of module loading; the kill delay counts from the round's first answered create so that kills land among real work.
  let onAnswer: (() => void) | null = null;

  async function createOne(round: number): Promise<void> {
    const name = `storm-${round}-${serial++}`;
    const binds: string[] = [];
    const namedVolumes: string[] = [];
    if (rng() < 0.3) {
      const v = pick(VOLUME_POOL);
      binds.push(`${v}:/data`);
      namedVolumes.push(v);
    }
    if (rng() < 0.15) binds.push('/anon');
    const links: string[] = [];
    const targets = [...confirmed.entries()].filter(([id]) => !removing.has(id));
    if (rng() < 0.25 && targets.length > 0) links.push(`${pick(targets)[1].name}:peer`);
    const tracked: Tracked = { name, namedVolumes };
    const body = JSON.stringify({ Image: 'busybox', HostConfig: { Binds: binds, Links: links } });
    uncertainCreates.set(name, tracked);
    let answer: Answer;
    try {
      answer = await request(socket, 'POST', `/containers/create?name=${name}`, body);
    } catch (e) {
      note(name, `round ${round} create: ${(e as { code?: string }).code ?? errorText(e)}`);
      if (neverSent(e)) uncertainCreates.delete(name);
      return;
    }
    note(name, `round ${round} create: ${answer.status}`);
    uncertainCreates.delete(name);
    onAnswer?.();
    if (answer.status === 201) {
      confirmed.set((JSON.parse(answer.body) as { Id: string }).Id, tracked);
      for (const v of namedVolumes) allowedVolumes.add(v);
      result.creates.confirmed++;
    } else {
      result.creates.refused++;
    }
  }

  async function removeOne(round: number): Promise<void> {
    const candidates = [...confirmed.keys()].filter((id) => !removing.has(id));
    if (candidates.length === 0) return;
    const id = pick(candidates);
    removing.add(id);
    const alreadyUncertain = uncertainRemoves.has(id);
    uncertainRemoves.add(id);
    try {
      const answer = await request(socket, 'DELETE', `/containers/${id}?v=1`);
      note(confirmed.get(id)?.name ?? id, `round ${round} remove: ${answer.status}`);
      uncertainRemoves.delete(id);
      if (answer.status === 204) {
        confirmed.delete(id);
        result.removes.confirmed++;
      } else {
        violation(round, `remove of confirmed ${id}: ${answer.status} ${answer.body}`);
      }
    } catch (e) {
      note(confirmed.get(id)?.name ?? id, `round ${round} remove: ${(e as { code?: string }).code ?? errorText(e)}`);
      if (neverSent(e) && !alreadyUncertain) uncertainRemoves.delete(id);
    } finally {
      removing.delete(id);
    }
  }

  async function inspectOne(round: number): Promise<void> {
    const candidates = [...confirmed.keys()].filter((id) => !removing.has(id));
    if (candidates.length === 0) return;
    const id = pick(candidates);
    try {
      const answer = await request(socket, 'GET', `/containers/${id}/json`);
      result.reads.inspects++;
      // A remove may have started after the pick; only a confirmed, untouched container must answer.
      if (answer.status !== 200 && confirmed.has(id) && !removing.has(id)) violation(round, `inspect of live ${id}: ${answer.status} ${answer.body}`);
    } catch {
      // the daemon was killed under it
    }
  }

  async function listAll(): Promise<void> {
    try {
      await request(socket, 'GET', '/containers/json?all=1');
      result.reads.lists++;
    } catch {
      // the daemon was killed under it
    }
  }

  async function client(round: number, stop: { now: boolean }): Promise<void> {
    while (!stop.now) {
      const r = rng();
      if (r < 0.5) await createOne(round);
      else if (r < 0.7) await removeOne(round);
      else if (r < 0.85) await inspectOne(round);
      else await listAll();
    }
  }

  /** After a start: what was confirmed is whole, what was in flight is whole or gone, nothing else exists. */
  async function reconcile(round: number): Promise<void> {
    const { view, names } = await apiView(socket);
    const listed = new Set(view.containers.map((c) => c.Id));
    for (const [id, t] of confirmed) {
      if (!listed.has(id) && !uncertainRemoves.has(id)) {
        violation(round, `confirmed container ${t.name} (${id}) is gone; its history: ${(history.get(t.name) ?? []).join(', ')}`);
        confirmed.delete(id);
      }
    }
    for (const id of uncertainRemoves) if (!listed.has(id)) confirmed.delete(id);
    const byName = new Map([...names].map(([id, name]) => [name, id]));
    for (const [name, t] of uncertainCreates) {
      const id = byName.get(`/${name}`);
      if (id === undefined) continue;
      confirmed.set(id, t);
      for (const v of t.namedVolumes) allowedVolumes.add(v);
      result.creates.inFlightFoundWhole++;
    }
    uncertainCreates.clear();
    uncertainRemoves.clear();
    for (const id of listed) if (!confirmed.has(id)) violation(round, `unexpected container ${names.get(id)} (${id})`);
    for (const [id, t] of confirmed) {
      if (!listed.has(id)) continue;
      const answer = await request(socket, 'GET', `/containers/${id}/json`);
      if (answer.status !== 200) {
        violation(round, `inspect ${t.name}: ${answer.status} ${answer.body}`);
        continue;
      }
      const c = JSON.parse(answer.body) as { Id?: string; Name?: string; Config?: { Image?: string }; GraphDriver?: { Data?: { UpperDir?: string } } };
      const upper = c.GraphDriver?.Data?.UpperDir;
      if (c.Id !== id || c.Name !== `/${t.name}` || c.Config?.Image !== 'busybox' || upper === undefined || !existsSync(upper)) {
        violation(round, `inspect ${t.name} is not whole: ${answer.body.slice(0, 300)}`);
      }
    }
    const report = await checkInvariants(view, { root, unreferencedVolumesAllowed: allowedVolumes });
    for (const v of report.violations) violation(round, v);
    for (const [k, n] of Object.entries(report.counts)) result.checked[k as keyof InvariantReport['counts']] += n;
  }

  try {
    await fs.mkdir(root, { recursive: true });
    const layers = [await layerTar(busyboxEntries())];
    const image = buildImage({ layers, config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] } });
    const archive = path.join(options.dir, 'busybox.tar');
    await writeDockerSave(archive, image, ['busybox:latest'], layers);
    await daemon.start();
    const loaded = await request(socket, 'POST', '/images/load?quiet=1', await fs.readFile(archive), 'application/x-tar');
    if (loaded.status !== 200 || !loaded.body.includes('busybox:latest')) throw new Error(`load: ${loaded.status} ${loaded.body}`);
    const standalone = await request(socket, 'POST', '/volumes/create', JSON.stringify({ Name: STANDALONE_VOLUME }));
    if (standalone.status !== 201) throw new Error(`volume create: ${standalone.status} ${standalone.body}`);

    for (let round = 1; round <= options.kills; round++) {
      const stop = { now: false };
      const answered = new Promise<void>((resolve) => {
        onAnswer = resolve;
        setTimeout(resolve, 10_000).unref();
      });
      const running = Array.from({ length: clients }, () => client(round, stop));
      await answered;
      onAnswer = null;
      const delay = 20 + Math.floor(rng() * 381);
      await new Promise((r) => setTimeout(r, delay));
      // No new requests from here: one the kill refused could not tell in-flight from never sent.
      stop.now = true;
      const inFlightCreates = uncertainCreates.size;
      const inFlightRemoves = uncertainRemoves.size;
      await daemon.stop('SIGKILL');
      await Promise.all(running);
      result.kills++;
      result.creates.inFlightAtKill += inFlightCreates;
      result.removes.inFlightAtKill += inFlightRemoves;
      result.mountsLeftByKills += (await mountsUnder(root)).length;
      const before = result.violations.length;
      try {
        await daemon.start();
        await reconcile(round);
      } catch (e) {
        violation(round, `restart: ${errorText(e)}`);
        if (!daemon.running) break;
      }
      if (result.violations.length === before) result.survived++;
      log(`kill ${round}/${options.kills} after ${delay} ms: ${confirmed.size} containers, ${inFlightCreates} creates and ${inFlightRemoves} removes in flight, ${result.violations.length - before} violations`);
    }

    if (daemon.running) {
      const exit = await daemon.stop('SIGTERM');
      result.final.exitCode = exit.code;
      result.final.socketRemoved = !existsSync(socket);
      result.final.mountsLeft = (await mountsUnder(root)).map((m) => m.mountPoint);
      if (exit.code !== 0) result.violations.push(`SIGTERM: daemon exited ${exit.code ?? exit.signal}:\n${daemon.stderr}`);
      if (!result.final.socketRemoved) result.violations.push('SIGTERM: the daemon left its socket');
      if (result.final.mountsLeft.length > 0) result.violations.push(`SIGTERM: mounts left: ${result.final.mountsLeft.join(', ')}`);
    }
  } finally {
    if (daemon.running) await daemon.stop('SIGKILL');
  }
  return result;
}

export function formatStorm(r: StormResult): string[] {
  return [
    `seed ${r.seed}`,
    `kills survived: ${r.survived}/${r.kills}`,
    `creates: ${r.creates.confirmed} confirmed, ${r.creates.refused} refused, ${r.creates.inFlightAtKill} in flight at a kill (${r.creates.inFlightFoundWhole} found whole, the rest gone)`,
    `removes: ${r.removes.confirmed} confirmed, ${r.removes.inFlightAtKill} in flight at a kill`,
    `reads: ${r.reads.inspects} inspects, ${r.reads.lists} lists`,
    `mounts left by killed daemons: ${r.mountsLeftByKills} (all cleared by the next start unless a violation says otherwise)`,
    `invariants checked: ${Object.entries(r.checked).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `final SIGTERM: exit ${r.final.exitCode}, socket removed ${r.final.socketRemoved}, mounts left ${r.final.mountsLeft.length}`,
    ...r.violations.map((v) => `VIOLATION ${v}`),
  ];
}

export async function main(args: string[]): Promise<number> {
  let kills = 30;
  let seed = Math.floor(Math.random() * 2 ** 31);
  let clients = 4;
  let keep = false;
  parseFlags(args, (flag, value) => {
    if (flag === '--kills') kills = positiveInt(flag, value());
    else if (flag === '--seed') seed = Number(value());
    else if (flag === '--clients') clients = positiveInt(flag, value());
    else if (flag === '--keep') keep = true;
    else return false;
    return true;
  });
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const dir = await fs.mkdtemp(path.join(await fs.realpath(os.tmpdir()), 'berth-stress-'));
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  out(`kill storm: ${kills} kills, ${clients} clients, seed ${seed} (--seed ${seed} repeats the choices)`);
  let result: StormResult;
  try {
    result = await runKillStorm({ dir, kills, seed, clients, mainJs: path.resolve(__dirname, '../../src/cli/main.js'), log: out });
  } finally {
    if (keep) out(`kept ${dir} (unmount and remove it when done)`);
    else await removeTree(dir);
  }
  for (const line of formatStorm(result)) out(line);
  out(JSON.stringify({ bench: 'killstorm', ...result }));
  return result.violations.length === 0 && result.survived === result.kills ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`killstorm: ${errorText(e)}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
