// The quick-start demo: makes a real busybox image from the machine's
// busybox-static (offline) as a `docker save` archive, loads it into an
// engine, stacks a container's init and RW layers on it the way `docker
// create` does, mounts the root filesystem, runs the image's busybox inside
// it, shows what each layer holds, and cleans up.
//
//   npm run demo [-- --root DIR --keep]
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine';
import { initLayerId, initLayerOps } from '../src/storage';
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

/**
 * A real image, made offline: a busybox rootfs packed with tar(1) into a
 * `docker save` directory (manifest.json, config, layer), whose IDs are the
 * ones Docker would compute.
 */
async function buildBusyboxImage(dir: string, busybox: string): Promise<void> {
  const rootfs = path.join(dir, 'rootfs');
  await fs.mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await fs.mkdir(path.join(rootfs, 'etc'));
  await fs.copyFile(busybox, path.join(rootfs, 'bin/busybox'));
  await fs.chmod(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of APPLETS) await fs.symlink('busybox', path.join(rootfs, 'bin', applet));
  await fs.writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await fs.writeFile(path.join(rootfs, 'etc/hosts'), '127.0.0.1 localhost (from the image)\n');
  await fs.writeFile(path.join(rootfs, 'etc/motd'), 'hello from the busybox image\n');
  const layer = path.join(dir, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', layer, '.']);
  const diffId = `sha256:${createHash('sha256').update(readFileSync(layer)).digest('hex')}`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: new Date(0).toISOString(),
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: new Date(0).toISOString(), created_by: 'berth demo' }],
    }),
  );
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  await fs.writeFile(path.join(dir, configName), config);
  await fs.writeFile(
    path.join(dir, 'manifest.json'),
    JSON.stringify([{ Config: configName, RepoTags: ['busybox:demo'], Layers: ['layer.tar'] }]),
  );
  await fs.rm(rootfs, { recursive: true });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { root: { type: 'string' }, keep: { type: 'boolean', default: false } } });
  if (process.getuid?.() !== 0) throw new Error('the demo mounts filesystems: run it as root');
  const busybox = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox not found: apt-get install busybox-static (scripts/quickstart.sh does)');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'berth-demo-'));
  const root = values.root ?? path.join(scratch, 'engine');
  const engine = await Engine.open({ root, onWarning: (why) => say(`note: ${why}`) });
  const driver = engine.driver;
  const containerId = randomBytes(32).toString('hex');
  const made: string[] = [];
  try {
    say(`engine root: ${root}`);
    say(`graph driver: ${driver.name} (${driver.status().map(([k, v]) => `${k}: ${v}`).join(', ')})`);

    const archive = path.join(scratch, 'busybox-image');
    await fs.mkdir(archive);
    await buildBusyboxImage(archive, busybox);
    await engine.images.load(archive, { onMessage: (line) => say(line) });
    const image = engine.images.inspect('busybox:demo');
    say(`image ${image.Id} (${image.RootFS.Layers.length} layer, ${image.Size} bytes)`);
    const top = engine.imageStore.resolve('busybox:demo').topLayer;
    if (!top) throw new Error('the image has no layer');

    // What `docker create` does to storage: <id>-init filled in one batch, then the RW layer.
    const initId = initLayerId(containerId);
    await driver.createReadWrite(initId, top.cacheId, { populate: initLayerOps() });
    made.push(initId);
    await driver.createReadWrite(containerId, initId);
    made.push(containerId);
    say(`container layer: ${containerId}`);
    say(`  parent chain: ${containerId.slice(0, 12)} -> ${containerId.slice(0, 12)}-init -> ${top.cacheId.slice(0, 12)} (image layer ${top.chainId.slice(7, 19)})`);

    const rootfs = await driver.get(containerId);
    try {
      const mount = (await readMounts()).find((m) => m.mountPoint === rootfs);
      say(`\nmounted root filesystem: ${rootfs}`);
      if (mount) say(`  ${mount.fsType}: ${mount.options}`);
      say('\ninit layer (its own diff):');
      for (const line of listTree(driver.diffPath(initId))) say(`  ${line}`);
      say("\nrunning the image's busybox inside the root filesystem (chroot):");
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
      await engine.images.remove('busybox:demo');
      await engine.close();
      await fs.rm(scratch, { recursive: true, force: true });
      say('\ncleaned up: layers and image removed, nothing mounted');
    } else {
      await engine.close();
      say(`\nkept under ${root}`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
