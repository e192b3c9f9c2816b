// The quick-start demo: builds a real two-layer busybox image from the
// machine's busybox-static (offline), stacks a container's init and RW layers
// on it the way `docker create` does, mounts the root filesystem, runs the
// image's busybox inside it, shows what each layer holds, and cleans up.
//
//   npm run demo [-- --root DIR --keep]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as native from '../src/native';
import { initLayerId, initLayerOps, openDriver } from '../src/storage';
import { readMounts } from '../src/storage/mountinfo';

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'id', 'hostname', 'mount'];

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function listTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const st = lstatSync(full);
    const kind = st.isDirectory() ? 'dir ' : st.isSymbolicLink() ? 'link' : st.isCharacterDevice() ? 'chr ' : 'file';
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    out.push(`${kind} ${mode} ${prefix}/${name}`);
    if (st.isDirectory()) out.push(...listTree(full, `${prefix}/${name}`));
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { root: { type: 'string' }, keep: { type: 'boolean', default: false } } });
  if (process.getuid?.() !== 0) throw new Error('the demo mounts filesystems: run it as root');
  const busybox = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox not found: apt-get install busybox-static (scripts/quickstart.sh does)');
  const root = values.root ?? mkdtempSync(path.join(os.tmpdir(), 'berth-demo-'));
  const driver = await openDriver(root, { onFallback: (why) => say(`note: ${why}`) });
  const containerId = randomBytes(32).toString('hex');
  const made: string[] = [];
  try {
    say(`engine root: ${root}`);
    say(`graph driver: ${driver.name} (${driver.status().map(([k, v]) => `${k}: ${v}`).join(', ')})`);

    // Image layer 1: busybox and its applet links, as a minimal rootfs.
    await driver.create('busybox-base', null);
    made.push('busybox-base');
    await fs.copyFile(busybox, path.join(driver.diffPath('busybox-base'), 'busybox.tmp'));
    await native.batch(driver.diffPath('busybox-base'), [
      { op: 'mkdir', path: '/bin', mode: 0o755 },
      { op: 'rename', path: '/busybox.tmp', target: '/bin/busybox' },
      { op: 'chmod', path: '/bin/busybox', mode: 0o755 },
      ...APPLETS.map((a) => ({ op: 'symlink' as const, path: `/bin/${a}`, target: 'busybox' })),
      { op: 'write', path: '/etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\n', mode: 0o644, parents: true },
      { op: 'write', path: '/etc/hosts', data: '127.0.0.1 localhost (from the image)\n', mode: 0o644 },
    ]);
    // Image layer 2: one more file, to show stacking.
    await driver.create('busybox-app', 'busybox-base');
    made.push('busybox-app');
    await native.batch(driver.diffPath('busybox-app'), [
      { op: 'write', path: '/etc/motd', data: 'hello from the second image layer\n', mode: 0o644, parents: true },
    ]);

    // What `docker create` does to storage: <id>-init filled in one batch, then the RW layer.
    const initId = initLayerId(containerId);
    await driver.createReadWrite(initId, 'busybox-app', { populate: initLayerOps() });
    made.push(initId);
    await driver.createReadWrite(containerId, initId);
    made.push(containerId);
    say(`container layer: ${containerId}`);
    say(`  parent chain: ${containerId.slice(0, 12)} -> ${initId.slice(0, 12)}-init -> busybox-app -> busybox-base`);

    const rootfs = await driver.get(containerId);
    try {
      const mount = (await readMounts()).find((m) => m.mountPoint === rootfs);
      say(`\nmounted root filesystem: ${rootfs}`);
      if (mount) say(`  ${mount.fsType}: ${mount.options}`);
      say('\ninit layer (its own diff):');
      for (const line of listTree(driver.diffPath(initId))) say(`  ${line}`);
      say('\nrunning the image\'s busybox inside the root filesystem (chroot):');
      const out = execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'ls /; cat /etc/motd /etc/hosts; ls -l /etc/mtab'], {
        encoding: 'utf8',
      });
      for (const line of out.trimEnd().split('\n')) say(`  | ${line}`);
      say(`\nhost's /etc/hostname unchanged: ${readFileSync('/etc/hostname', 'utf8').trim()}`);
    } finally {
      await driver.put(containerId);
    }
  } finally {
    if (!values.keep) {
      for (const id of made.reverse()) await driver.remove(id);
      await driver.cleanup();
      if (!values.root) await fs.rm(root, { recursive: true, force: true });
      say('\ncleaned up: layers removed, nothing mounted');
    } else {
      await driver.cleanup();
      say(`\nkept under ${root}`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
