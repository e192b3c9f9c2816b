// `npm run bench -- storage`: what a container's rootfs costs berth's overlay2
// driver at image depths 1, 16, 64 and 127 (create the init + RW layers,
// mount, unmount), next to a C floor doing the same work with bare syscalls.
// Goals (reported, never asserted): create+mount at 127 layers within 1.5x of
// 1 layer, and berth within 2x of the floor.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GraphDriver } from '../../src/storage/driver';
import { initLayerId, initLayerOps } from '../../src/storage/initlayer';
import { Overlay2Driver } from '../../src/storage/overlay2';
import type { BenchContext, ProcessResult, StopSignal } from './common';
import { errorText, Interrupted, log, notRoot, parseFlags, positiveInt, runBench, runProcess, TEMP_ROOTS, UsageError } from './common';
import { fmtMs, fmtRatio, nsToMs, ratio, renderTable, round, summarize, type Summary } from './stats';

const DEPTHS = [1, 16, 64, 127] as const;
const DEFAULT_RUNS = 200;
/**
 * Each depth's runs are split into rounds that alternate berth and the floor,
 * so a noisy stretch of the machine lands on both rather than on one.
 */
const ROUNDS = 4;
/** Untimed runs at the start of every round: first-touch costs are not what we measure. */
const WARMUP = 2;
const GOAL_DEPTH = 1.5;
const GOAL_FLOOR = 2;

type MountApi = 'auto' | 'new' | 'legacy';
const PHASES = ['create', 'mount', 'unmount'] as const;
type Phase = (typeof PHASES)[number];
type Samples = Record<Phase, number[]>;
type PhaseSummary = Record<Phase, Summary>;

interface Options {
  runs: number;
  mountApi: MountApi;
}

const USAGE = `usage: npm run bench -- storage [--runs N] [--mount-api auto|new|legacy]

Runs as root. Times, per image depth (${DEPTHS.join(', ')} layers), N runs (default ${DEFAULT_RUNS}) of:
  create   the init layer (filled with the init entries) and the RW layer on it
  mount    get() of the RW layer
  unmount  put() of the RW layer
beside a C floor program (built with cc) doing the same with plain syscalls.
Everything lives under ${TEMP_ROOTS} and is removed on exit.
`;

function parseArgs(args: string[]): Options {
  const options: Options = { runs: DEFAULT_RUNS, mountApi: 'auto' };
  parseFlags(args, (flag, value) => {
    switch (flag) {
      case '--runs':
        options.runs = positiveInt(flag, value());
        return true;
      case '--mount-api': {
        const v = value();
        if (v !== 'auto' && v !== 'new' && v !== 'legacy') throw new UsageError(`--mount-api must be auto, new or legacy`);
        options.mountApi = v;
        return true;
      }
      default:
        return false;
    }
  });
  return options;
}

const emptySamples = (): Samples => ({ create: [], mount: [], unmount: [] });

function splitRuns(runs: number, rounds: number): number[] {
  const n = Math.min(runs, rounds);
  return Array.from({ length: n }, (_, i) => Math.floor(runs / n) + (i < runs % n ? 1 : 0));
}

// --- berth ---------------------------------------------------------------

async function createChain(driver: GraphDriver, depth: number): Promise<string[]> {
  const ids: string[] = [];
  let parent: string | null = null;
  for (let i = 0; i < depth; i++) {
    const id = `d${depth}-img${i}`;
    await driver.create(id, parent);
    ids.push(id);
    await writeFile(path.join(driver.diffPath(id), `layer-${i}`), `${i}\n`);
    parent = id;
  }
  return ids;
}

async function removeChain(driver: GraphDriver, ids: string[]): Promise<void> {
  for (const id of [...ids].reverse()) await driver.remove(id);
}

let containerSeq = 0;

async function berthRound(
  driver: GraphDriver,
  depth: number,
  top: string,
  runs: number,
  into: Samples,
  cold: number[],
  stop: StopSignal,
): Promise<void> {
  for (let r = 0; r < WARMUP + runs; r++) {
    stop.check();
    // Cold: a get/put of the image's top layer drops the init template that
    // overlay2 keeps per image, so this create mounts the image as the first
    // container of an image does. Only the create is timed.
    await driver.get(top);
    await driver.put(top);
    const coldId = `d${depth}-c${containerSeq++}`;
    const c0 = process.hrtime.bigint();
    await driver.createReadWrite(initLayerId(coldId), top, { populate: initLayerOps() });
    await driver.createReadWrite(coldId, initLayerId(coldId));
    const c1 = process.hrtime.bigint();
    if (r >= WARMUP) cold.push(Number(c1 - c0));

    // Warm: every later container of the same image, while the first one
    // (whose init diff overlay2 copies instead of mounting the image) exists.
    const id = `d${depth}-c${containerSeq++}`;
    const init = initLayerId(id);
    const t0 = process.hrtime.bigint();
    await driver.createReadWrite(init, top, { populate: initLayerOps() });
    await driver.createReadWrite(id, init);
    const t1 = process.hrtime.bigint();
    await driver.get(id);
    const t2 = process.hrtime.bigint();
    await driver.put(id);
    const t3 = process.hrtime.bigint();
    await driver.remove(id);
    await driver.remove(init);
    await driver.remove(coldId);
    await driver.remove(initLayerId(coldId));
    if (r >= WARMUP) {
      into.create.push(Number(t1 - t0));
      into.mount.push(Number(t2 - t1));
      into.unmount.push(Number(t3 - t2));
    }
  }
}

// --- the floor -----------------------------------------------------------

function floorSource(): string | null {
  const candidates = [
    path.join(__dirname, 'floor.c'),
    // compiled: dist/scripts/bench/storage.js, source: scripts/bench/floor.c
    path.resolve(__dirname, '..', '..', '..', 'scripts', 'bench', 'floor.c'),
  ];
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** Builds the floor into the temp root; null (and a message saying why) if it cannot be. */
async function buildFloor(tmp: string, stop: StopSignal): Promise<string | null> {
  const source = floorSource();
  if (source === null) {
    log('floor: scripts/bench/floor.c not found; the floor column is skipped');
    return null;
  }
  const cc = process.env.CC ?? 'cc';
  const out = path.join(tmp, 'floor');
  let result: ProcessResult;
  try {
    result = await runProcess(cc, ['-O2', '-o', out, source], stop);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      log(`floor: no C compiler (${cc}) found; the floor column is skipped`);
      return null;
    }
    throw err;
  }
  stop.check();
  if (result.code !== 0) {
    log(`floor: ${cc} failed; the floor column is skipped\n${result.stderr.trimEnd()}`);
    return null;
  }
  return out;
}

function isSampleArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

async function floorRound(
  floor: string,
  dir: string,
  depth: number,
  runs: number,
  into: Samples,
  stop: StopSignal,
): Promise<void> {
  const result = await runProcess(floor, [dir, String(depth), String(runs), String(WARMUP)], stop);
  stop.check();
  if (result.code !== 0) {
    const how = result.signal ? `signal ${result.signal}` : `status ${result.code}`;
    throw new Error(`floor exited with ${how}: ${result.stderr.trim()}`);
  }
  const lines = result.stdout.trim().split('\n');
  const parsed: unknown = JSON.parse(lines[lines.length - 1]);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('floor printed no JSON object');
  const record = parsed as Record<string, unknown>;
  for (const phase of PHASES) {
    const values = record[phase];
    if (!isSampleArray(values) || values.length !== runs) throw new Error(`floor printed no ${phase} samples`);
    into[phase].push(...values);
  }
}

// --- report --------------------------------------------------------------

interface DepthResult {
  depth: number;
  berth: PhaseSummary;
  /** Create of the first container of an image (the init layer made through a mount). */
  berthColdCreate: Summary;
  floor: PhaseSummary | null;
}

const summarizeMs = (s: Samples): PhaseSummary => ({
  create: summarize(s.create.map(nsToMs)),
  mount: summarize(s.mount.map(nsToMs)),
  unmount: summarize(s.unmount.map(nsToMs)),
});

const createMount = (p: PhaseSummary): number => p.create.p50 + p.mount.p50;

function phaseRatios(r: DepthResult): Record<Phase, number | null> | null {
  const floor = r.floor;
  if (floor === null) return null;
  return {
    create: ratio(r.berth.create.p50, floor.create.p50),
    mount: ratio(r.berth.mount.p50, floor.mount.p50),
    unmount: ratio(r.berth.unmount.p50, floor.unmount.p50),
  };
}

const roundOrNull = (v: number | null, digits: number): number | null => (v === null ? null : round(v, digits));

interface Finished {
  results: DepthResult[];
  floorAvailable: boolean;
}

function report(options: Options, { results, floorAvailable }: Finished): void {
  const base = results.find((r) => r.depth === 1);
  const deepest = results[results.length - 1];
  const depthRatio = (r: DepthResult): number | null => (base ? ratio(createMount(r.berth), createMount(base.berth)) : null);
  const coldCreateMount = (r: DepthResult): number => r.berthColdCreate.p50 + r.berth.mount.p50;
  const coldDepthRatio = (r: DepthResult): number | null =>
    base ? ratio(coldCreateMount(r), coldCreateMount(base)) : null;
  const coldVsFloor = (r: DepthResult): number | null => (r.floor ? ratio(r.berthColdCreate.p50, r.floor.create.p50) : null);
  const floorDepthRatio = (r: DepthResult): number | null =>
    base?.floor && r.floor ? ratio(createMount(r.floor), createMount(base.floor)) : null;

  const columns = [
    { title: 'depth' },
    { title: 'create p50' },
    { title: 'p99' },
    { title: 'cold create p50' },
    { title: 'p99' },
    { title: 'mount p50' },
    { title: 'p99' },
    { title: 'unmount p50' },
    { title: 'p99' },
    { title: 'floor c/m/u p50' },
    { title: 'berth/floor c/m/u' },
    { title: 'cold c/floor' },
    { title: 'c+m vs depth 1' },
    { title: 'cold c+m vs 1' },
  ];
  const rows = results.map((r) => {
    const ratios = phaseRatios(r);
    return [
      String(r.depth),
      fmtMs(r.berth.create.p50),
      fmtMs(r.berth.create.p99),
      fmtMs(r.berthColdCreate.p50),
      fmtMs(r.berthColdCreate.p99),
      fmtMs(r.berth.mount.p50),
      fmtMs(r.berth.mount.p99),
      fmtMs(r.berth.unmount.p50),
      fmtMs(r.berth.unmount.p99),
      r.floor ? PHASES.map((p) => fmtMs(r.floor?.[p].p50)).join('/') : '-',
      ratios ? PHASES.map((p) => fmtRatio(ratios[p])).join('/') : '-',
      fmtRatio(coldVsFloor(r)),
      fmtRatio(depthRatio(r)),
      fmtRatio(coldDepthRatio(r)),
    ];
  });

  const allRatios = results.flatMap((r) => {
    const ratios = phaseRatios(r);
    return ratios ? [...PHASES.map((p) => ratios[p]), coldVsFloor(r)].filter((x): x is number => x !== null) : [];
  });
  const worstFloor = allRatios.length > 0 ? Math.max(...allRatios) : null;
  const deepRatio = depthRatio(deepest);

  const out = [
    `storage: overlay2, ${options.runs} runs per depth (after ${WARMUP} warm-up runs per round), times in ms, ` +
      `mount API ${options.mountApi}, kernel ${os.release()}`,
    '',
    renderTable(columns, rows),
    '',
    `goal: create+mount at depth ${deepest.depth} vs depth 1 <= ${GOAL_DEPTH}x: ${fmtRatio(deepRatio)}` +
      ` (first container of an image: ${fmtRatio(coldDepthRatio(deepest))}` +
      (deepest.floor ? `, floor: ${fmtRatio(floorDepthRatio(deepest))})` : ')'),
    `goal: berth vs floor <= ${GOAL_FLOOR}x (worst p50 ratio over depths and phases, cold create included): ` +
      (floorAvailable ? fmtRatio(worstFloor) : 'no floor'),
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const phaseJson = (s: PhaseSummary): Record<Phase, { p50: number; p90: number; p99: number }> => ({
    create: { p50: round(s.create.p50), p90: round(s.create.p90), p99: round(s.create.p99) },
    mount: { p50: round(s.mount.p50), p90: round(s.mount.p90), p99: round(s.mount.p99) },
    unmount: { p50: round(s.unmount.p50), p90: round(s.unmount.p90), p99: round(s.unmount.p99) },
  });
  const json = {
    bench: 'storage',
    unit: 'ms',
    runs: options.runs,
    warmup: WARMUP,
    rounds: Math.min(ROUNDS, options.runs),
    driver: 'overlay2',
    mountApi: options.mountApi,
    kernel: os.release(),
    results: results.map((r) => {
      const ratios = phaseRatios(r);
      return {
        depth: r.depth,
        berth: {
          ...phaseJson(r.berth),
          createCold: {
            p50: round(r.berthColdCreate.p50),
            p90: round(r.berthColdCreate.p90),
            p99: round(r.berthColdCreate.p99),
          },
        },
        floor: r.floor ? phaseJson(r.floor) : null,
        ratio: ratios
          ? {
              create: roundOrNull(ratios.create, 2),
              mount: roundOrNull(ratios.mount, 2),
              unmount: roundOrNull(ratios.unmount, 2),
              createCold: roundOrNull(coldVsFloor(r), 2),
            }
          : null,
        depthRatio: {
          berth: roundOrNull(depthRatio(r), 2),
          berthCold: roundOrNull(coldDepthRatio(r), 2),
          floor: roundOrNull(floorDepthRatio(r), 2),
        },
      };
    }),
    goals: {
      [`depth${deepest.depth}_vs_1`]: roundOrNull(deepRatio, 2),
      [`depth${deepest.depth}_vs_1_cold`]: roundOrNull(coldDepthRatio(deepest), 2),
      [`depth${deepest.depth}_vs_1_target`]: GOAL_DEPTH,
      berth_vs_floor_max: roundOrNull(worstFloor, 2),
      berth_vs_floor_target: GOAL_FLOOR,
    },
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

// --- main ----------------------------------------------------------------

async function measureAll(options: Options, ctx: BenchContext): Promise<Finished> {
  const { tmp, stop } = ctx;
  const driver = await Overlay2Driver.open(path.join(tmp, 'berth'), { mountApi: options.mountApi });
  ctx.driver = driver;
  let floor = await buildFloor(tmp, stop);
  const floorAvailable = floor !== null;
  const results: DepthResult[] = [];
  const rounds = splitRuns(options.runs, ROUNDS);

  for (const depth of DEPTHS) {
    stop.check();
    log(`depth ${depth}: ${options.runs} runs in ${rounds.length} rounds`);
    const chain = await createChain(driver, depth);
    const berth = emptySamples();
    const berthCold: number[] = [];
    const floorSamples = emptySamples();
    for (const [k, n] of rounds.entries()) {
      // Alternate who goes first so neither always follows the other's cleanup.
      const order = k % 2 === 0 ? ['berth', 'floor'] : ['floor', 'berth'];
      for (const who of order) {
        if (who === 'berth') {
          await berthRound(driver, depth, chain[chain.length - 1], n, berth, berthCold, stop);
        } else if (floor !== null) {
          try {
            await floorRound(floor, path.join(tmp, `floor-d${depth}-r${k}`), depth, n, floorSamples, stop);
          } catch (err) {
            if (err instanceof Interrupted) throw err;
            log(`floor: ${errorText(err)}; the floor column is skipped from here on`);
            floor = null;
          }
        }
      }
    }
    await removeChain(driver, chain);
    results.push({
      depth,
      berth: summarizeMs(berth),
      berthColdCreate: summarize(berthCold.map(nsToMs)),
      floor: floor !== null ? summarizeMs(floorSamples) : null,
    });
  }
  return { results, floorAvailable };
}

export function main(args: string[]): Promise<number> {
  return runBench({ name: 'storage', usage: USAGE, parseArgs, unmet: () => notRoot('it mounts overlays'), run: measureAll, report }, args);
}
