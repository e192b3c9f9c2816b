// Jest global teardown: the suite fails if any mount under a test temp root
// (os.tmpdir()/berth-test-*) is still there, whichever test left it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async function assertNoLeftoverMounts() {
  const prefix = path.join(os.tmpdir(), 'berth-test-');
  const leftovers = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mountPoint) => mountPoint && mountPoint.startsWith(prefix));
  const dirs = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('berth-test-'));
  if (leftovers.length > 0 || dirs.length > 0) {
    throw new Error(
      `tests left state behind:\n  mounts: ${leftovers.join(', ') || 'none'}\n  temp roots: ${dirs.join(', ') || 'none'}`,
    );
  }
};
