// Jest global setup and teardown: the suite fails if a mount under a test temp
// root (os.tmpdir()/berth-test-*) is still there at the end, or a temp root
// this run made was not removed, whichever test left it. Temp roots that were
// there before the run (another run's, say) are not this run's to judge.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PREFIX = 'berth-test-';
const tempRoots = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(PREFIX));

async function recordPreexisting() {
  globalThis.__berthPreexistingTempRoots = new Set(tempRoots());
}

async function assertNoLeftovers() {
  const before = globalThis.__berthPreexistingTempRoots ?? new Set();
  const ours = (mountPoint) => {
    const rel = path.relative(os.tmpdir(), mountPoint);
    const top = rel.split(path.sep)[0];
    return !rel.startsWith('..') && top.startsWith(PREFIX) && !before.has(top);
  };
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mountPoint) => mountPoint && ours(mountPoint));
  const dirs = tempRoots().filter((n) => !before.has(n));
  if (mounts.length > 0 || dirs.length > 0) {
    throw new Error(
      `tests left state behind:\n  mounts: ${mounts.join(', ') || 'none'}\n  temp roots: ${dirs.join(', ') || 'none'}`,
    );
  }
}

module.exports = { recordPreexisting, assertNoLeftovers };
