// `stress concurrency [--clients N] [--seconds S] [--seed S]`: many clients
// creating, removing, inspecting and listing containers on one image, with
// shared named volumes and a handful of contended names, against an
// in-process daemon. Only the expected answers may come back, every request
// within a deadline; same-name races have exactly one winner; afterwards
// everything is removable and the root is empty again. The test uses the same code.
import { mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runDaemon } from '../../src/api/daemon';
import type { Engine } from '../../src/engine/engine';
import { errorText, parseFlags, positiveInt, removeTree, UsageError } from '../bench/common';
import { BUSYBOX, loadBusybox } from '../fixtures/containers';
import { chooseSeed, engineState, intBelow, mulberry32, pick, rawRequest, type RawAnswer, type Rng } from './fuzz';

const MB = 1024 * 1024;
const json = { 'Content-Type': 'application/json' };

export const SHARED_VOLUMES = ['shared-0', 'shared-1', 'shared-2'];
const CONTENDED_NAMES = Array.from({ length: 8 }, (_, i) => `race-${i}`);

export interface ConcurrencyOptions {
  socket: string;
  clients: number;
  seconds: number;
  seed: number;
  /** A request unanswered for this long counts as a deadlock. */
  timeoutMs?: number;
}

export interface ConcurrencyReport {
  seed: number;
  clients: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** `op status` -> count. */
  answers: Record<string, number>;
  /** Answers outside what each operation may get, and requests never answered. */
  unexpected: string[];
  /** Slowest answer, for the deadlock deadline's sake. */
  maxLatencyMs: number;
}

type Op = 'create-named' | 'create' | 'remove' | 'inspect' | 'list';

/** What each operation may answer when others race it. */
const ALLOWED: Record<Op, number[]> = {
  'create-named': [201, 409],
  create: [201],
  // Docker's answer to a second remove while the first runs is a 409 too.
  remove: [204, 404, 409],
  inspect: [200, 404],
  list: [200],
};

/** A 409 must be the one the race explains: a taken name, or a removal already under way. */
function expectedConflict(op: Op, answer: RawAnswer): boolean {
  if (answer.status !== 409) return true;
  const message = answer.body.toString('utf8');
  if (op === 'remove') return /"removal of container [0-9a-f]{12} is already in progress"/.test(message);
  return /Conflict\. The container name \\"\/race-[0-9]+\\" is already in use/.test(message);
}

function createBody(rng: Rng): Buffer {
  return Buffer.from(
    JSON.stringify({
      Image: BUSYBOX,
      Cmd: ['true'],
      // An anonymous volume on every container, so that v=1 removal is exercised too.
      Volumes: { '/anon': {} },
      HostConfig: { Binds: [`${pick(rng, SHARED_VOLUMES)}:/shared`, ...(rng() < 0.5 ? [`${pick(rng, SHARED_VOLUMES)}:/other:ro`] : [])] },
    }),
  );
}

async function timed(socket: string, request: Parameters<typeof rawRequest>[1], timeoutMs: number): Promise<{ answer: RawAnswer; ms: number }> {
  const started = process.hrtime.bigint();
  const answer = await rawRequest(socket, request, timeoutMs);
  return { answer, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

export async function runConcurrency(options: ConcurrencyOptions): Promise<ConcurrencyReport> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const answers: Record<string, number> = {};
  const unexpected: string[] = [];
  let requests = 0;
  let maxLatencyMs = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + options.seconds * 1000;

  const client = async (clientIndex: number): Promise<void> => {
    const rng = mulberry32((options.seed ^ Math.imul(clientIndex + 1, 0x85ebca6b)) >>> 0);
    const mine: string[] = [];
    const send = async (op: Op, request: Parameters<typeof rawRequest>[1]): Promise<RawAnswer | null> => {
      requests++;
      try {
        const { answer, ms } = await timed(options.socket, request, timeoutMs);
        maxLatencyMs = Math.max(maxLatencyMs, ms);
        const key = `${op} ${answer.status}`;
        answers[key] = (answers[key] ?? 0) + 1;
        if (!ALLOWED[op].includes(answer.status) || !expectedConflict(op, answer)) unexpected.push(`${request.method} ${request.path}: ${answer.status} ${answer.body.subarray(0, 300).toString('utf8')}`);
        return answer;
      } catch (err) {
        unexpected.push(`${request.method} ${request.path}: ${errorText(err)}`);
        return null;
      }
    };
    while (Date.now() < deadline) {
      const roll = intBelow(rng, 10);
      if (roll < 3) {
        await send('create-named', { method: 'POST', path: `/containers/create?name=${pick(rng, CONTENDED_NAMES)}`, headers: json, body: createBody(rng) });
      } else if (roll < 4) {
        const answer = await send('create', { method: 'POST', path: '/containers/create', headers: json, body: createBody(rng) });
        if (answer?.status === 201) mine.push((JSON.parse(answer.body.toString('utf8')) as { Id: string }).Id);
      } else if (roll < 6) {
        const target = mine.length > 0 && rng() < 0.3 ? mine.pop()! : pick(rng, CONTENDED_NAMES);
        await send('remove', { method: 'DELETE', path: `/containers/${target}?v=1` });
      } else if (roll < 8) {
        await send('inspect', { method: 'GET', path: `/containers/${pick(rng, CONTENDED_NAMES)}/json` });
      } else {
        await send('list', { method: 'GET', path: `/containers/json?all=1${rng() < 0.5 ? '&filters=%7B%22name%22%3A%5B%22race%22%5D%7D' : ''}` });
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seed: options.seed, clients: options.clients, requests, seconds, requestsPerSecond: requests / seconds, answers, unexpected, maxLatencyMs };
}

/** `clients` creates of one fresh name at once, `rounds` times: how many won each round. */
export async function sameNameRaces(socket: string, clients: number, rounds: number, timeoutMs = 60_000): Promise<Array<{ name: string; won: number; statuses: Record<string, number> }>> {
  const results: Array<{ name: string; won: number; statuses: Record<string, number> }> = [];
  for (let round = 0; round < rounds; round++) {
    const name = `winner-${round}`;
    const body = Buffer.from(JSON.stringify({ Image: BUSYBOX, Cmd: ['true'], Volumes: { '/anon': {} }, HostConfig: { Binds: [`${SHARED_VOLUMES[round % SHARED_VOLUMES.length]}:/s`] } }));
    const settled = await Promise.allSettled(
      Array.from({ length: clients }, () => rawRequest(socket, { method: 'POST', path: `/containers/create?name=${name}`, headers: json, body }, timeoutMs)),
    );
    const statuses: Record<string, number> = {};
    for (const s of settled) {
      const key = s.status === 'fulfilled' ? String(s.value.status) : `error ${errorText(s.reason)}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    results.push({ name, won: statuses['201'] ?? 0, statuses });
  }
  return results;
}

export interface Teardown {
  containersRemoved: number;
  /** Answers to `DELETE /volumes/<shared>`, by volume. */
  sharedVolumeRemovals: Record<string, number>;
  /** Volumes left after the containers and the shared ones went (anonymous ones should not be). */
  volumesLeft: string[];
  imageRemoval: number;
}

/** Removes every container (v=1), then the shared named volumes, then the image, through the API. */
export async function tearDown(socket: string): Promise<Teardown> {
  const list = await rawRequest(socket, { method: 'GET', path: '/containers/json?all=1' });
  const containers = JSON.parse(list.body.toString('utf8')) as Array<{ Id: string }>;
  for (const c of containers) {
    const answer = await rawRequest(socket, { method: 'DELETE', path: `/containers/${c.Id}?v=1` });
    if (answer.status !== 204) throw new Error(`removing ${c.Id}: ${answer.status} ${answer.body.toString('utf8')}`);
  }
  const sharedVolumeRemovals: Record<string, number> = {};
  for (const name of SHARED_VOLUMES) sharedVolumeRemovals[name] = (await rawRequest(socket, { method: 'DELETE', path: `/volumes/${name}` })).status;
  const volumes = JSON.parse((await rawRequest(socket, { method: 'GET', path: '/volumes' })).body.toString('utf8')) as { Volumes: Array<{ Name: string }> | null };
  const imageRemoval = (await rawRequest(socket, { method: 'DELETE', path: `/images/${BUSYBOX}` })).status;
  return { containersRemoved: containers.length, sharedVolumeRemovals, volumesLeft: (volumes.Volumes ?? []).map((v) => v.Name), imageRemoval };
}

export async function createSharedVolumes(engine: Engine): Promise<void> {
  for (const name of SHARED_VOLUMES) await engine.volumes.create({ Name: name });
}

/** Resident set size after a collection when the process allows one (`node --expose-gc`). */
export function settledRss(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
  return process.memoryUsage().rss;
}

export async function main(args: string[]): Promise<number> {
  let clients = 64;
  let seconds = 60;
  let seed: number | undefined;
  try {
    parseFlags(args, (flag, value) => {
      if (flag === '--clients') clients = positiveInt(flag, value());
      else if (flag === '--seconds') seconds = positiveInt(flag, value());
      else if (flag === '--seed') seed = Number(value()) >>> 0;
      else return false;
      return true;
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\nusage: stress concurrency [--clients N (64)] [--seconds S (60)] [--seed S]\n`);
    return 2;
  }
  const chosen = chooseSeed(seed);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-stress-'));
  const socket = path.join(dir, 'run', 'berth.sock');
  const daemon = await runDaemon({ root: path.join(dir, 'root'), hosts: [`unix://${socket}`], logLevel: 'silent', logStream: new PassThrough().resume() });
  try {
    await loadBusybox(daemon.engine, dir);
    await createSharedVolumes(daemon.engine);
    const rssBefore = settledRss();
    console.log(`concurrency: seed ${chosen}, ${clients} clients for ${seconds} s`);
    const report = await runConcurrency({ socket, clients, seconds, seed: chosen });
    const races = await sameNameRaces(socket, clients, 10);
    const rssAfter = settledRss();
    const teardown = await tearDown(socket);
    const state = await engineState(daemon.engine);
    const leftovers = Object.entries(state).filter(([, v]) => v.length > 0);
    console.log(`${report.requests} requests in ${report.seconds.toFixed(1)} s: ${report.requestsPerSecond.toFixed(0)} requests/s, slowest ${report.maxLatencyMs.toFixed(0)} ms`);
    console.log(`answers: ${Object.entries(report.answers).sort().map(([k, n]) => `${k}=${n}`).join(', ')}`);
    console.log(`same-name races: ${races.map((r) => `${r.name} won ${r.won}`).join(', ')}`);
    console.log(`daemon rss ${(rssBefore / MB).toFixed(0)} MB before, ${(rssAfter / MB).toFixed(0)} MB after${(globalThis as { gc?: unknown }).gc === undefined ? ' (no --expose-gc: no collection forced)' : ''}`);
    console.log(`teardown: ${teardown.containersRemoved} containers, shared volumes ${JSON.stringify(teardown.sharedVolumeRemovals)}, volumes left ${JSON.stringify(teardown.volumesLeft)}, image ${teardown.imageRemoval}`);
    for (const u of report.unexpected.slice(0, 50)) console.log(`UNEXPECTED ${u}`);
    for (const [k, v] of leftovers) console.log(`LEFTOVER ${k}: ${JSON.stringify(v)}`);
    const ok =
      report.unexpected.length === 0 && races.every((r) => r.won === 1 && r.statuses['409'] === clients - 1) && leftovers.length === 0 &&
      Object.values(teardown.sharedVolumeRemovals).every((s) => s === 204) && teardown.volumesLeft.length === 0 && teardown.imageRemoval === 200 &&
      rssAfter < rssBefore + 200 * MB;
    console.log(JSON.stringify({
      bench: 'stress-concurrency', seed: chosen, clients, seconds: report.seconds, requests: report.requests, requestsPerSecond: report.requestsPerSecond,
      maxLatencyMs: report.maxLatencyMs, answers: report.answers, unexpected: report.unexpected.length, raceWinners: races.map((r) => r.won),
      rssBefore, rssAfter, leftovers: leftovers.map(([k]) => k), ok,
    }));
    return ok ? 0 : 1;
  } finally {
    await daemon.close();
    await removeTree(dir);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
