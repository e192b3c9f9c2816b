// `npm run bench -- create`: engine.containers.create in-process, the whole
// pipeline (verify, merge, name, init and RW layers, volumes, persistence),
// from a 1-layer image, a 125-layer image and an image whose volume must be
// filled from the image; then with 0 and 10,000 containers already there; and
// removal. Goals: flat in depth (125 layers <= 1.5x 1 layer) and in count
// (10,000 existing <= 1.2x none).
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { BUSYBOX, DEEP_IMAGE, DEEP_LAYERS, VOLUMES_IMAGE, loadBusybox, loadDeepImage, loadVolumesImage } from '../fixtures/containers';
import type { BenchContext } from './common';
import { log, notRoot, parseFlags, positiveInt, runBench, TEMP_ROOTS } from './common';
import { fmtMs, fmtRatio, nsToMs, ratio, renderTable, round, summarize, type Summary } from './stats';

interface Options {
  runs: number;
  existing: number;
  countRuns: number;
}

interface Result {
  kinds: Record<Kind, Summary>;
  remove: Summary;
  count: { none: Summary; many: Summary; existing: number; restoreMs: number };
  depthRatio: number | null;
  countRatio: number | null;
}

type Kind = 'layers1' | 'layers125' | 'volumeCopy';
const KINDS: Array<{ kind: Kind; label: string; image: string }> = [
  { kind: 'layers1', label: '1-layer image', image: BUSYBOX },
  { kind: 'layers125', label: `${DEEP_LAYERS}-layer image`, image: DEEP_IMAGE },
  { kind: 'volumeCopy', label: 'image with a volume to copy', image: VOLUMES_IMAGE },
];

const usage = `usage: npm run bench -- create [--runs N] [--existing N] [--count-runs N]

Creates N containers (default 1000) from each of a 1-layer image, a ${DEEP_LAYERS}-layer
image and an image with a volume whose content is copied, interleaved, then
removes them; then times --count-runs creates (default 200) with no other
container and with --existing containers (default 10000) already there.
Runs as root in ${TEMP_ROOTS}, which is removed at the end.
`;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [value, nsToMs(Number(process.hrtime.bigint() - start))];
}

async function run(options: Options, ctx: BenchContext): Promise<Result> {
  const engineRoot = path.join(ctx.tmp, 'engine');
  let engine = await Engine.open({ root: engineRoot });
  ctx.atCleanup('engine', () => engine.close());
  log('create: building and loading the fixture images');
  await loadBusybox(engine, ctx.tmp);
  await loadDeepImage(engine, ctx.tmp);
  await loadVolumesImage(engine, ctx.tmp);

  const samples: Record<Kind, number[]> = { layers1: [], layers125: [], volumeCopy: [] };
  const made: string[] = [];
  // The first create of an image fills its populate cache; it is not what later creates cost.
  for (const { image } of KINDS) made.push((await engine.containers.create({ config: { Image: image } })).Id);
  log(`create: ${options.runs} creates of each kind, interleaved`);
  for (let i = 0; i < options.runs; i++) {
    ctx.stop.check();
    for (const { kind, image } of KINDS) {
      const [{ Id }, ms] = await timed(() => engine.containers.create({ config: { Image: image } }));
      samples[kind].push(ms);
      made.push(Id);
    }
  }
  log(`create: removing ${made.length} containers`);
  const removeSamples: number[] = [];
  for (const id of made) {
    ctx.stop.check();
    removeSamples.push((await timed(() => engine.containers.remove(id, { v: true })))[1]);
  }

  log(`create: ${options.countRuns} creates with no other container`);
  const none: number[] = [];
  const countMade: string[] = [];
  for (let i = 0; i < options.countRuns; i++) {
    ctx.stop.check();
    const [{ Id }, ms] = await timed(() => engine.containers.create({ config: { Image: BUSYBOX } }));
    none.push(ms);
    countMade.push(Id);
  }
  for (const id of countMade.splice(0)) await engine.containers.remove(id);
  log(`create: filling to ${options.existing} containers`);
  for (let i = 0; i < options.existing; i++) {
    if (i % 1000 === 0) {
      ctx.stop.check();
      if (i > 0) log(`create:   ${i}`);
    }
    await engine.containers.create({ config: { Image: BUSYBOX, Labels: { filler: String(i) } } });
  }
  await engine.close();
  const [reopened, restoreMs] = await timed(() => Engine.open({ root: engineRoot }));
  engine = reopened;
  log(`create: reopened with ${engine.containers.count} containers in ${fmtMs(restoreMs)} ms`);
  log(`create: ${options.countRuns} creates with ${options.existing} containers there`);
  const many: number[] = [];
  for (let i = 0; i < options.countRuns; i++) {
    ctx.stop.check();
    const [, ms] = await timed(() => engine.containers.create({ config: { Image: BUSYBOX } }));
    many.push(ms);
  }
  const kinds = { layers1: summarize(samples.layers1), layers125: summarize(samples.layers125), volumeCopy: summarize(samples.volumeCopy) };
  const count = { none: summarize(none), many: summarize(many), existing: options.existing, restoreMs };
  return {
    kinds,
    remove: summarize(removeSamples),
    count,
    depthRatio: ratio(kinds.layers125.p50, kinds.layers1.p50),
    countRatio: ratio(count.many.p50, count.none.p50),
  };
}

function report(options: Options, r: Result): void {
  const row = (label: string, s: Summary): string[] => [label, String(s.runs), fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.p99)];
  const columns = [{ title: 'operation', align: 'left' as const }, { title: 'runs' }, { title: 'p50 ms' }, { title: 'p90 ms' }, { title: 'p99 ms' }];
  const rows = [
    ...KINDS.map(({ kind, label }) => row(`create, ${label}`, r.kinds[kind])),
    row('remove (-v)', r.remove),
    row('create, no other container', r.count.none),
    row(`create, ${options.existing} containers there`, r.count.many),
  ];
  process.stdout.write(`${renderTable(columns, rows)}\n\n`);
  process.stdout.write(`depth:  ${DEEP_LAYERS} layers vs 1, create p50   ${fmtRatio(r.depthRatio)}  (goal <= 1.50x)\n`);
  process.stdout.write(`count:  ${options.existing} existing vs none, p50   ${fmtRatio(r.countRatio)}  (goal <= 1.20x)\n`);
  process.stdout.write(`restore: Engine.open with ${options.existing} containers took ${fmtMs(r.count.restoreMs)} ms\n`);
  const json = (s: Summary): Record<string, number> => ({ runs: s.runs, p50: round(s.p50), p90: round(s.p90), p99: round(s.p99) });
  process.stdout.write(
    `${JSON.stringify({
      bench: 'create',
      create: { layers1: json(r.kinds.layers1), layers125: json(r.kinds.layers125), volumeCopy: json(r.kinds.volumeCopy) },
      remove: json(r.remove),
      count: { none: json(r.count.none), existing: r.count.existing, many: json(r.count.many), restoreMs: round(r.count.restoreMs) },
      depthRatio: r.depthRatio === null ? null : round(r.depthRatio),
      countRatio: r.countRatio === null ? null : round(r.countRatio),
    })}\n`,
  );
}

export function main(args: string[]): Promise<number> {
  return runBench<Options, Result>(
    {
      name: 'create',
      usage,
      parseArgs(argv) {
        const options: Options = { runs: 1000, existing: 10000, countRuns: 200 };
        parseFlags(argv, (flag, value) => {
          if (flag === '--runs') options.runs = positiveInt(flag, value());
          else if (flag === '--existing') options.existing = positiveInt(flag, value());
          else if (flag === '--count-runs') options.countRuns = positiveInt(flag, value());
          else return false;
          return true;
        });
        return options;
      },
      unmet: () => notRoot('it mounts overlay filesystems'),
      run,
      report,
    },
    args,
  );
}
