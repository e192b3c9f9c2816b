// `npm run stress [-- <name> [options]]`: the long versions of the reliability
// tests that `npm test` runs short. With no name, all of them in turn with
// their defaults (30+ kills, 20,000 fuzz cases, 64 clients for 60 s).

const runs: Record<string, { summary: string; load: () => Promise<(args: string[]) => Promise<number>> }> = {
  killstorm: {
    summary: 'creates/removes from several clients, SIGKILL of the daemon at random moments, invariants after each restart',
    load: async () => (await import('./stress/killstorm')).main,
  },
  fuzz: {
    summary: 'mutated and hostile API requests against a daemon; every one answered, state unchanged after',
    load: async () => (await import('./stress/fuzz')).main,
  },
  concurrency: {
    summary: '64 clients creating, removing, inspecting and listing on shared images, volumes and names',
    load: async () => (await import('./stress/concurrency')).main,
  },
};

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help') {
    process.stdout.write(
      ['usage: npm run stress [-- <name> [options]]', '', ...Object.entries(runs).map(([n, r]) => `  ${n.padEnd(12)} ${r.summary}`), ''].join('\n'),
    );
    return 0;
  }
  if (name !== undefined) {
    const chosen = Object.prototype.hasOwnProperty.call(runs, name) ? runs[name] : undefined;
    if (!chosen) {
      process.stderr.write(`unknown stress run: ${name} (one of ${Object.keys(runs).join(', ')})\n`);
      return 2;
    }
    return (await chosen.load())(rest);
  }
  let worst = 0;
  for (const [each, r] of Object.entries(runs)) {
    process.stdout.write(`\n== ${each} ==\n`);
    worst = Math.max(worst, await (await r.load())([]));
  }
  return worst;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

// A module of its own (bench.ts also has a run()).
export {};
