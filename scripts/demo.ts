// The quick-start demo: makes a real busybox image from the machine's
// busybox-static (offline) as a `docker save` archive, loads it into an
// engine, creates a container from it as `docker create` does, shows its
// layers, init-layer files and persisted JSON, mounts its root filesystem,
// runs the image's busybox inside it, and cleans up.
//
//   npm run demo [-- --root DIR --keep]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine/engine';
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
  let containerId: string | null = null;
  try {
    say(`engine root: ${root}`);
    say(`graph driver: ${driver.name} (${driver.status().map(([k, v]) => `${k}: ${v}`).join(', ')})`);

    const archive = path.join(scratch, 'busybox-image');
    await fs.mkdir(archive);
    await buildBusyboxImage(archive, busybox);
    await engine.images.load(archive, { onMessage: (line) => say(line) });
    const image = engine.images.inspect('busybox:demo');
    say(`image ${image.Id} (${image.RootFS.Layers.length} layer, ${image.Size} bytes)`);

    // What `docker create --name demo -e GREETING=hello -v demo-data:/data busybox:demo` asks of the daemon.
    const created = await engine.containers.create({
      name: 'demo',
      config: { Image: 'busybox:demo', Env: ['GREETING=hello'], Cmd: ['/bin/sh', '-c', 'cat /etc/motd'] },
      hostConfig: { Binds: ['demo-data:/data'] },
    });
    containerId = created.Id;
    const c = engine.containers.inspect(containerId);
    say(`\ncontainer ${c.Name} ${c.Id} (warnings: ${created.Warnings.length ? created.Warnings.join('; ') : 'none'})`);
    say(`  command: ${[c.Path, ...c.Args].join(' ')}   env: ${(c.Config.Env ?? []).join(' ')}`);
    const data = c.GraphDriver.Data ?? {};
    say(`  layers (${c.GraphDriver.Name}):`);
    say(`    upper (read-write): ${data.UpperDir}`);
    for (const lower of (data.LowerDir ?? '').split(':')) say(`    lower:              ${lower}`);
    for (const m of c.Mounts) say(`  mount: ${m.Type} ${m.Name ?? m.Source} -> ${m.Destination} (${m.RW ? 'rw' : 'ro'})`);
    say(`  nothing was mounted to create it: ${(await readMounts()).some((m) => m.mountPoint.startsWith(root)) ? 'no' : 'yes'}`);

    say('\ninit layer (its own diff):');
    for (const line of listTree(data.LowerDir?.split(':')[0] ?? '')) say(`  ${line}`);
    const dir = path.join(root, 'containers', containerId);
    say(`\npersisted in ${dir}:`);
    for (const name of readdirSync(dir).sort()) say(`  ${name}`);
    const persisted = JSON.parse(readFileSync(path.join(dir, 'config.v2.json'), 'utf8')) as Record<string, unknown>;
    say(`  config.v2.json: ${JSON.stringify({ ID: persisted.ID, Name: persisted.Name, Image: persisted.Image, Path: persisted.Path, Args: persisted.Args }, null, 0)}`);

    const rootfs = await engine.containers.mount(containerId);
    try {
      const mount = (await readMounts()).find((m) => m.mountPoint === rootfs);
      say(`\nmounted root filesystem: ${rootfs}`);
      if (mount) say(`  ${mount.fsType}: ${mount.options}`);
      say("\nrunning the image's busybox inside the root filesystem (chroot):");
      const out = execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'ls /; cat /etc/motd; ls -l /etc/mtab'], { encoding: 'utf8' });
      for (const line of out.trimEnd().split('\n')) say(`  | ${line}`);
      say(`\nhost's /etc/hostname unchanged: ${readFileSync('/etc/hostname', 'utf8').trim()}`);
    } finally {
      await engine.containers.unmount(containerId);
    }
  } finally {
    if (!values.keep) {
      if (containerId) await engine.containers.remove(containerId, { v: true });
      await engine.volumes.remove('demo-data').catch(() => undefined);
      await engine.images.remove('busybox:demo');
      await engine.close();
      await fs.rm(scratch, { recursive: true, force: true });
      say('\ncleaned up: container, volume and image removed, nothing mounted');
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
