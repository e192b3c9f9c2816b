// A `berth daemon` process SIGKILLed again and again under create/remove
// traffic, restarted on the same root each time: what the API confirmed
// survives whole, what was in flight is whole or gone, the root's invariants
// hold, and a final SIGTERM leaves no socket and no mount. The long version
// is scripts/stress/killstorm.ts.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../../src';
import { formatStorm, runKillStorm } from '../../../scripts/stress/killstorm';
import { loadBusybox } from '../../support/container-fixtures';
import { describeAsRoot, destroyTempRoot, makeTempRoot } from '../../support/temp-root';

const REPO = path.resolve(__dirname, '../../..');
const MAIN = path.join(REPO, 'dist/src/cli/main.js');
const KILLS = 10;

/** True when some src/ file is newer than its compiled output (or has none). */
function distIsStale(): boolean {
  const walk = (rel: string): boolean =>
    readdirSync(path.join(REPO, rel), { withFileTypes: true }).some((e) => {
      const child = path.join(rel, e.name);
      if (e.isDirectory()) return walk(child);
      if (!e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) return false;
      const out = path.join(REPO, 'dist', child.replace(/\.ts$/, '.js'));
      return !existsSync(out) || statSync(out).mtimeMs < statSync(path.join(REPO, child)).mtimeMs;
    });
  return walk('src');
}

describeAsRoot('kill storm', () => {
  let dir = '';

  beforeAll(async () => {
    if (distIsStale()) {
      // Type errors elsewhere in the tree do not stop tsc from emitting; only a missing daemon does.
      await new Promise<void>((resolve) => execFile('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO, timeout: 600_000 }, () => resolve()));
    }
    if (!existsSync(MAIN)) throw new Error(`no ${MAIN}: the build failed`);
    dir = makeTempRoot();
  }, 600_000);

  afterAll(async () => {
    if (dir) await destroyTempRoot(dir);
  });

  test(`${KILLS} SIGKILLs under load: confirmed containers survive whole, nothing half made, a clean SIGTERM`, async () => {
    const seed = process.env.BERTH_STORM_SEED !== undefined ? Number(process.env.BERTH_STORM_SEED) : Math.floor(Math.random() * 2 ** 31);
    const result = await runKillStorm({ dir, kills: KILLS, seed, clients: 3, mainJs: MAIN });
    // eslint-disable-next-line no-console
    console.log(`${formatStorm(result).join('\n')}\n(BERTH_STORM_SEED=${seed} repeats the choices)`);
    expect(result.violations).toEqual([]);
    expect(`kills survived: ${result.survived}/${result.kills}`).toBe(`kills survived: ${KILLS}/${KILLS}`);
    // A storm in which nothing was ever confirmed would prove nothing.
    expect(result.creates.confirmed).toBeGreaterThan(0);
    expect(result.final).toEqual({ exitCode: 0, socketRemoved: true, mountsLeft: [] });
  }, 600_000);

  // A SIGKILL during a removal's recursive delete of layerdb/mounts/<id> leaves
  // the record without its mount-id; the next start finishes the removal and
  // must not choke on the empty layer id (the storm found this).
  test('a removal killed while deleting its mount record does not keep the root from opening', async () => {
    const root = path.join(dir, 'torn-removal');
    let engine = await Engine.open({ root });
    let id = '';
    try {
      await loadBusybox(engine, dir);
      id = (await engine.containers.create({ name: 'torn', config: { Image: 'busybox' } })).Id;
    } finally {
      await engine.close();
    }
    renameSync(path.join(root, 'containers', id), path.join(root, 'containers', `.removing-${id}`));
    rmSync(path.join(root, 'image/overlay2/layerdb/mounts', id, 'mount-id'));
    engine = await Engine.open({ root });
    try {
      expect(engine.containers.list({ all: true })).toEqual([]);
      expect(existsSync(path.join(root, 'image/overlay2/layerdb/mounts', id))).toBe(false);
    } finally {
      await engine.close();
    }
  });
});
