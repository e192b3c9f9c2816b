// `npm run bench -- <name> [options]`: each benchmark prints a human table
// and, as its last line, one JSON object for machines to compare runs.

interface Bench {
  summary: string;
  /** Loaded on demand so that usage errors never need the native addon. */
  load: () => Promise<(args: string[]) => Promise<number>>;
}

const benches: Record<string, Bench> = {
  storage: {
    summary: 'overlay2 create/mount/unmount at 1..127 layers, against a plain-syscall floor (root)',
    load: async () => (await import('./bench/storage')).main,
  },
  create: {
    summary: 'engine.containers.create p50/p90/p99 by image depth, with a volume copy, and with 10,000 containers (root)',
    load: async () => (await import('./bench/create')).main,
  },
  load: {
    summary: 'load and pull MB/s of a ~52 MB 7-layer image, beside dockerd if installed and tar -x (root)',
    load: async () => (await import('./bench/load')).main,
  },
  api: {
    summary: 'POST /containers/create latency and throughput over the socket, 1 and 32 clients, beside dockerd if installed (root)',
    load: async () => (await import('./bench/api')).main,
  },
};

function usage(): string {
  const names = Object.entries(benches).map(([name, b]) => `  ${name.padEnd(10)} ${b.summary}`);
  return ['usage: npm run bench -- <name> [options]', '', 'benchmarks:', ...names, ''].join('\n');
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help') {
    process.stdout.write(usage());
    return 0;
  }
  const bench = name === undefined ? undefined : Object.prototype.hasOwnProperty.call(benches, name) ? benches[name] : undefined;
  if (bench === undefined) {
    if (name !== undefined) process.stderr.write(`unknown benchmark: ${name}\n`);
    process.stderr.write(usage());
    return 2;
  }
  const main = await bench.load();
  return main(rest);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
