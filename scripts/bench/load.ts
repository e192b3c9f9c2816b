// `npm run bench -- load`: how fast berth turns a multi-layer image of about
// 52 MB into overlay2 layers, from a `docker save` archive (load) and from a
// private registry (pull), in MB/s of uncompressed layer bytes. Beside it:
// `docker load` / `docker pull` of the same archive and repository on a
// dockerd the script starts itself when dockerd is installed, and always
// `tar -x` of the same layer tars, the floor no engine can beat by much.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { loadImages } from '../../src/image/load';
import { pullImage } from '../../src/image/pull';
import { ImageStore } from '../../src/image/store';
import { Overlay2Driver } from '../../src/storage/overlay2';
import type { BenchContext, ProcessResult, StopSignal } from './common';
import { errorText, Interrupted, log, notRoot, parseFlags, positiveInt, removeTree, runBench, runProcess, TEMP_ROOTS } from './common';
import { onPath, pushOciLayout, registryMissing, startRegistry, waitExit } from './registry';
import { fmtRatio, ratio, renderTable, round, summarize, type Summary } from './stats';

const DEFAULT_RUNS = 5;
/** On top of the busybox base: 6 x 8 MiB keeps the image above 50 MB even without busybox. */
const DATA_LAYERS = 6;
const FILES_PER_LAYER = 16;
const FILE_BYTES = 512 * 1024;
const REPOSITORY = 'bench/big';
const TAG = '1';
const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'true'];
const DOCKERD_START_TIMEOUT_MS = 60_000;
const DOCKERD_STOP_TIMEOUT_MS = 30_000;
const EPOCH = new Date(0);

const gzipAsync = promisify(gzip);

interface Options {
  runs: number;
}

const USAGE = `usage: npm run bench -- load [--runs N]

Runs as root. Builds a ${DATA_LAYERS + 1}-layer image of about 52 MB (busybox plus random data),
then times N runs (default ${DEFAULT_RUNS}), each into a fresh engine root, of:
  berth load    loadImages() of its \`docker save\` archive
  berth pull    pullImage() of it from a private docker-registry on 127.0.0.1 (gzip layers)
  dockerd load  \`docker load -i\` of the same archive, when dockerd is installed
  dockerd pull  \`docker pull\` of the same repository, when dockerd is installed
  floor         \`tar -xf\` of each layer tar into a fresh directory
The dockerd, if any, is started by the script with everything under the temp root.
Everything lives under ${TEMP_ROOTS} and is removed on exit.
`;

function parseArgs(args: string[]): Options {
  const options: Options = { runs: DEFAULT_RUNS };
  parseFlags(args, (flag, value) => {
    if (flag !== '--runs') return false;
    options.runs = positiveInt(flag, value());
    return true;
  });
  return options;
}

// --- processes -----------------------------------------------------------

async function mustRun(command: string, args: string[], stop: StopSignal, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  const result = await runProcess(command, args, stop, env);
  stop.check();
  if (result.code !== 0) {
    const how = result.signal ? `signal ${result.signal}` : `status ${result.code}`;
    const output = (result.stderr || result.stdout).slice(-4000).trim();
    throw new Error(`${command} ${args.join(' ')} exited with ${how}: ${output || 'no output'}`);
  }
  return result;
}

/**
 * Writes back what earlier steps left dirty (a previous run's layers, the
 * removal of its root) before a timed step, so that no step pays for
 * another's writeback on this slow disk.
 */
async function settleDisk(stop: StopSignal): Promise<void> {
  await mustRun('sync', [], stop);
}

const elapsedSeconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

// --- the image -----------------------------------------------------------

type TarHeader = Parameters<ReturnType<typeof tar.pack>['entry']>[0];

interface TarInput {
  header: TarHeader;
  data?: Buffer;
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hexOf = (digest: string): string => digest.slice(digest.indexOf(':') + 1);

/** Packs entries into a tar on disk (written as it is packed) and returns its digest and size. */
async function writeTar(file: string, entries: readonly TarInput[]): Promise<{ digest: string; size: number }> {
  const pack = tar.pack();
  const out: WriteStream = createWriteStream(file, { mode: 0o644 });
  const hash = createHash('sha256');
  let size = 0;
  const written = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
    pack.on('error', reject);
  });
  pack.on('data', (data: unknown) => {
    const chunk = data as Buffer;
    hash.update(chunk);
    size += chunk.length;
    if (!out.write(chunk)) {
      pack.pause();
      out.once('drain', () => pack.resume());
    }
  });
  pack.on('end', () => out.end());
  for (const { header, data } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (data === undefined) pack.entry(header, done);
      else pack.entry({ ...header, size: data.length }, data, done);
    });
  }
  pack.finalize();
  await written;
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

const dirEntry = (name: string, mode = 0o755): TarInput => ({ header: { name, type: 'directory', mode, mtime: EPOCH } });
const fileEntry = (name: string, data: Buffer, mode = 0o644): TarInput => ({
  header: { name, type: 'file', mode, mtime: EPOCH, uid: 0, gid: 0 },
  data,
});

function busyboxEntries(busybox: string): TarInput[] {
  return [
    dirEntry('bin'),
    fileEntry('bin/busybox', readFileSync(busybox), 0o755),
    ...APPLETS.map((a): TarInput => ({ header: { name: `bin/${a}`, type: 'symlink', linkname: 'busybox', mode: 0o777, mtime: EPOCH } })),
    dirEntry('etc'),
    fileEntry('etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/sh\n')),
    dirEntry('tmp', 0o1777),
  ];
}

/**
 * Half the files are random bytes (binaries, compressed assets: gzip cannot
 * shrink them), half random base64 text (gzip gets them to about 3/4, so a
 * pull really inflates): incompressible-ish, as a real image's bulk is.
 */
function dataEntries(layer: number): TarInput[] {
  const dir = `data/layer${layer}`;
  const entries = [dirEntry('data'), dirEntry(dir)];
  for (let f = 0; f < FILES_PER_LAYER; f++) {
    const data =
      f % 2 === 0
        ? randomBytes(FILE_BYTES)
        : Buffer.from(randomBytes((FILE_BYTES / 4) * 3).toString('base64'), 'latin1');
    entries.push(fileEntry(`${dir}/f${f}${f % 2 === 0 ? '.bin' : '.txt'}`, data));
  }
  return entries;
}

interface LayerFile {
  /** The uncompressed layer tar. */
  file: string;
  diffId: string;
  size: number;
  /** The same layer gzip-compressed, as pushed to the registry. */
  gzipDigest: string;
  gzipSize: number;
}

interface BenchImage {
  layers: LayerFile[];
  /** Uncompressed layer bytes: what every measured step writes out. */
  bytes: number;
  gzipBytes: number;
  /** sha256 of the config: the image ID berth and Docker compute. */
  id: string;
  /** A `docker save` archive of it. */
  archive: string;
  /** An OCI layout with gzip layers, for skopeo to push. */
  ociDir: string;
  base: string;
}

const DOCKER_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
const dockerArch = (): string => DOCKER_ARCH[process.arch] ?? process.arch;

async function writeBlob(dir: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  await writeFile(path.join(dir, 'blobs', 'sha256', hexOf(digest)), data);
  return { digest, size: data.length };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** index.json of an OCI layout naming one manifest, tagged as `docker save` (25+) tags it. */
function ociIndex(manifest: { digest: string; size: number }): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: OCI_MANIFEST,
          ...manifest,
          annotations: { 'io.containerd.image.name': `docker.io/${REPOSITORY}:${TAG}`, 'org.opencontainers.image.ref.name': TAG },
        },
      ],
    }),
  );
}

function ociManifest(config: { digest: string; size: number }, layers: Array<{ mediaType: string; digest: string; size: number }>): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, ...config }, layers }));
}

async function buildImage(dir: string, stop: StopSignal): Promise<BenchImage> {
  const layerDir = path.join(dir, 'layers');
  const ociDir = path.join(dir, 'oci');
  await mkdir(layerDir, { recursive: true });
  await mkdir(path.join(ociDir, 'blobs', 'sha256'), { recursive: true });

  const busybox = BUSYBOX_PATHS.find((p) => existsSync(p)) ?? null;
  if (busybox === null) log('image: no busybox found (Debian package busybox-static); the base layer is random data too');
  const contents: TarInput[][] = [busybox !== null ? busyboxEntries(busybox) : dataEntries(DATA_LAYERS)];
  for (let i = 0; i < DATA_LAYERS; i++) contents.push(dataEntries(i));

  const tars: Array<{ file: string; digest: string; size: number }> = [];
  for (const [i, entries] of contents.entries()) {
    stop.check();
    const file = path.join(layerDir, `${i}.tar`);
    tars.push({ file, ...(await writeTar(file, entries)) });
  }
  // zlib runs on the threadpool: all layers at once use every core, and
  // level 1 because the random half does not shrink at any level.
  const gzipped = await Promise.all(tars.map(async (t) => writeBlob(ociDir, await gzipAsync(await readFile(t.file), { level: 1 }))));
  stop.check();
  const layers: LayerFile[] = tars.map((t, i) => ({
    file: t.file,
    diffId: t.digest,
    size: t.size,
    gzipDigest: gzipped[i].digest,
    gzipSize: gzipped[i].size,
  }));

  const configJson = Buffer.from(
    JSON.stringify({
      architecture: dockerArch(),
      os: 'linux',
      created: EPOCH.toISOString(),
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: EPOCH.toISOString(), created_by: `berth bench load: layer ${i}` })),
    }),
  );
  const config = await writeBlob(ociDir, configJson);
  const manifest = await writeBlob(
    ociDir,
    ociManifest(
      config,
      layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.gzipDigest, size: l.gzipSize })),
    ),
  );
  await writeFile(path.join(ociDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(path.join(ociDir, 'index.json'), ociIndex(manifest));

  // The archive as `docker save` (25+) writes it: uncompressed layers as
  // blobs, manifest.json for the classic loaders, an OCI index for the rest.
  stop.check();
  const blobPath = (digest: string): string => `blobs/sha256/${hexOf(digest)}`;
  const saveManifest = ociManifest(
    config,
    layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.diffId, size: l.size })),
  );
  const saveManifestDigest = sha256(saveManifest);
  const archiveEntries: TarInput[] = [dirEntry('blobs'), dirEntry('blobs/sha256')];
  for (const l of layers) archiveEntries.push(fileEntry(blobPath(l.diffId), await readFile(l.file)));
  archiveEntries.push(
    fileEntry(blobPath(config.digest), configJson),
    fileEntry(blobPath(saveManifestDigest), saveManifest),
    fileEntry('index.json', ociIndex({ digest: saveManifestDigest, size: saveManifest.length })),
    fileEntry('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))),
    fileEntry(
      'manifest.json',
      Buffer.from(
        JSON.stringify([
          { Config: blobPath(config.digest), RepoTags: [`${REPOSITORY}:${TAG}`], Layers: layers.map((l) => blobPath(l.diffId)) },
        ]),
      ),
    ),
  );
  const archive = path.join(dir, 'archive.tar');
  await writeTar(archive, archiveEntries);

  return {
    layers,
    bytes: layers.reduce((n, l) => n + l.size, 0),
    gzipBytes: layers.reduce((n, l) => n + l.gzipSize, 0),
    id: config.digest,
    archive,
    ociDir,
    base: busybox !== null ? 'busybox' : 'random',
  };
}

// --- berth ---------------------------------------------------------------

/** The driver of the run in flight, for the cleanup path to unmount after an interruption. */
type BerthState = Pick<BenchContext, 'driver'>;

/**
 * One load or pull into a fresh engine root, so that every run applies every
 * layer (none "already exists"). Opening and removing the root are not timed.
 */
async function berthRun(
  kind: 'load' | 'pull',
  root: string,
  image: BenchImage,
  registryHost: string | null,
  state: BerthState,
  stop: StopSignal,
): Promise<number> {
  try {
    const driver = await Overlay2Driver.open(root);
    state.driver = driver;
    const store = await ImageStore.open(root, driver);
    const tmpDir = path.join(root, 'tmp');
    await settleDisk(stop);
    const t0 = process.hrtime.bigint();
    let id: string;
    if (kind === 'load') {
      const loaded = await loadImages(store, image.archive, { tmpDir });
      id = loaded.length === 1 ? loaded[0].id : `${loaded.length} images`;
    } else {
      if (registryHost === null) throw new Error('no registry');
      id = (await pullImage(store, `${registryHost}/${REPOSITORY}:${TAG}`, { tmpDir })).id;
    }
    const seconds = elapsedSeconds(t0);
    if (id !== image.id) throw new Error(`berth ${kind} made image ${id}, expected ${image.id}`);
    return seconds;
  } finally {
    await closeBerth(root, state);
  }
}

async function closeBerth(root: string, state: BerthState): Promise<void> {
  const driver = state.driver;
  state.driver = null;
  if (driver !== null) await driver.cleanup();
  await removeTree(root);
}

// --- the floor -----------------------------------------------------------

/** `tar -xf` of each layer, in order, each into a fresh directory as overlay2 gives each layer its own. */
async function floorRun(dir: string, image: BenchImage, stop: StopSignal): Promise<number> {
  const dirs = image.layers.map((_, i) => path.join(dir, String(i)));
  try {
    for (const d of dirs) await mkdir(d, { recursive: true });
    await settleDisk(stop);
    const t0 = process.hrtime.bigint();
    for (const [i, layer] of image.layers.entries()) await mustRun('tar', ['-xf', layer.file, '-C', dirs[i]], stop);
    return elapsedSeconds(t0);
  } finally {
    await removeTree(dir);
  }
}

// --- dockerd -------------------------------------------------------------

interface Dockerd {
  socket: string;
  /** For the docker CLI: a config dir of its own, so it never writes to root's ~/.docker. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Why dockerd cannot be compared here, or null when it can. */
function dockerdMissing(): string | null {
  if (!onPath('dockerd')) return 'dockerd is not installed (no dockerd on PATH)';
  if (!onPath('docker')) return 'dockerd is installed but the docker CLI is not';
  return null;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * A dockerd of the script's own: data, exec state, pid file, socket and
 * config all under `dir`, no network set-up, so that it never touches
 * /var/lib/docker, /run/docker or the host's firewall. The caller stops it.
 */
async function startDockerd(dir: string, registryHost: string | null, stop: StopSignal): Promise<Dockerd> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'docker.sock');
  const configFile = path.join(dir, 'daemon.json');
  // An empty config file: /etc/docker/daemon.json may set hosts or data-root, which would clash with the flags.
  await writeFile(configFile, '{}\n');
  const logFile = path.join(dir, 'dockerd.log');
  const args = [
    '--config-file', configFile,
    '--data-root', path.join(dir, 'data'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'dockerd.pid'),
    '-H', `unix://${socket}`,
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    // The same overlay2 mechanism as berth's (and the classic image store, whose rmi frees every layer).
    '--storage-driver', 'overlay2',
    ...(registryHost !== null ? ['--insecure-registry', registryHost] : []),
  ];
  const out = createWriteStream(logFile);
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  const child = spawn('dockerd', args, { stdio: ['ignore', out, out] });
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && spawnError === undefined) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, DOCKERD_STOP_TIMEOUT_MS))) {
        log('dockerd: did not stop within 30 s of SIGTERM; sending SIGKILL');
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
    }
    out.end();
  };
  const deadline = Date.now() + DOCKERD_START_TIMEOUT_MS;
  while (child.exitCode === null && child.signalCode === null && spawnError === undefined) {
    if (stop.signal !== null || Date.now() > deadline) break;
    if (await ping(socket)) {
      const configDir = path.join(dir, 'cli');
      await mkdir(configDir, { recursive: true, mode: 0o700 });
      const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: configDir, DOCKER_CLI_HINTS: 'false' };
      delete env.DOCKER_HOST;
      delete env.DOCKER_CONTEXT;
      return { socket, env, stop: kill };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await kill();
  stop.check();
  const logText = (await readFile(logFile, 'utf8').catch(() => '')).trim();
  if (logText !== '') log(`dockerd: the end of its log:\n${logText.split('\n').slice(-15).join('\n')}`);
  const why = spawnError?.message ?? (child.exitCode !== null || child.signalCode !== null ? 'it exited' : 'no answer on its socket within 60 s');
  throw new Error(`dockerd did not start (${why})`);
}

function docker(d: Dockerd, args: string[], stop: StopSignal): Promise<ProcessResult> {
  return mustRun('docker', ['-H', `unix://${d.socket}`, ...args], stop, d.env);
}

/** Wall time of the docker CLI command, its image removed (untimed) afterwards. */
async function dockerdRun(kind: 'load' | 'pull', d: Dockerd, image: BenchImage, registryHost: string | null, stop: StopSignal): Promise<number> {
  const ref = kind === 'load' ? `${REPOSITORY}:${TAG}` : `${registryHost}/${REPOSITORY}:${TAG}`;
  await settleDisk(stop);
  const t0 = process.hrtime.bigint();
  if (kind === 'load') await docker(d, ['load', '-q', '-i', image.archive], stop);
  else await docker(d, ['pull', '-q', ref], stop);
  const seconds = elapsedSeconds(t0);
  await docker(d, ['rmi', '-f', ref], stop);
  return seconds;
}

// --- report --------------------------------------------------------------

const STEPS = ['berthLoad', 'berthPull', 'dockerdLoad', 'dockerdPull', 'floor'] as const;
type Step = (typeof STEPS)[number];

const LABELS: Record<Step, string> = {
  berthLoad: 'berth load',
  berthPull: 'berth pull',
  dockerdLoad: 'dockerd load',
  dockerdPull: 'dockerd pull',
  floor: 'floor tar -x',
};

interface Outcome {
  samples: Record<Step, number[]>;
  /** Why a step has no figures (not available, or failed and dropped). */
  skipped: Partial<Record<Step, string>>;
}

function report(options: Options, { image, outcome }: Finished): void {
  const mb = image.bytes / 1e6;
  const summaries: Partial<Record<Step, Summary>> = {};
  for (const step of STEPS) {
    if (outcome.samples[step].length > 0 && outcome.skipped[step] === undefined) summaries[step] = summarize(outcome.samples[step]);
  }
  const p50 = (step: Step): number | null => summaries[step]?.p50 ?? null;
  const vs = (step: Step, other: Step): number | null => {
    const a = p50(step);
    const b = p50(other);
    return a === null || b === null ? null : ratio(a, b);
  };
  const dockerdOf: Partial<Record<Step, Step>> = { berthLoad: 'dockerdLoad', berthPull: 'dockerdPull' };
  const vsDockerd = (step: Step): number | null => {
    const other = dockerdOf[step];
    return other === undefined ? null : vs(step, other);
  };
  const secs = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(3));
  const rate = (s: Summary | undefined): string => (s === undefined ? '-' : (mb / s.p50).toFixed(1));

  const columns = [
    { title: 'what', align: 'left' as const },
    { title: 'p50 s' },
    { title: 'min s' },
    { title: 'max s' },
    { title: 'MB/s' },
    { title: 'vs floor' },
    { title: 'vs dockerd' },
  ];
  const rows = STEPS.map((step) => {
    const s = summaries[step];
    if (s === undefined) return [LABELS[step], '-', '-', '-', '-', '-', '-'];
    return [LABELS[step], secs(s.p50), secs(s.min), secs(s.max), rate(s), fmtRatio(vs(step, 'floor')), fmtRatio(vsDockerd(step))];
  });
  const notes = STEPS.filter((s) => outcome.skipped[s] !== undefined).map((s) => `${LABELS[s]}: ${outcome.skipped[s]}`);

  const out = [
    `load: ${REPOSITORY}:${TAG}, ${image.layers.length} layers (${image.base} base), ${mb.toFixed(1)} MB uncompressed ` +
      `(${(image.gzipBytes / 1e6).toFixed(1)} MB gzip on the registry), ${options.runs} run${options.runs === 1 ? '' : 's'}, kernel ${os.release()}`,
    'MB/s = uncompressed layer bytes / 1e6 / p50; "vs" = p50 time over the other\'s (below 1.00x is faster)',
    '',
    renderTable(columns, rows),
    ...(notes.length > 0 ? ['', ...notes.map((n) => `skipped: ${n}`)] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const stepJson = (step: Step): Record<string, number> | null => {
    const s = summaries[step];
    return s === undefined ? null : { p50: round(s.p50), min: round(s.min), max: round(s.max), mbps: round(mb / s.p50, 1) };
  };
  const ratioJson = (r: number | null): number | null => (r === null ? null : round(r, 2));
  const json = {
    bench: 'load',
    unit: 's',
    runs: options.runs,
    kernel: os.release(),
    image: { layers: image.layers.length, bytes: image.bytes, gzipBytes: image.gzipBytes, base: image.base },
    results: Object.fromEntries(STEPS.map((s) => [s, stepJson(s)])),
    ratio: {
      load_vs_floor: ratioJson(vs('berthLoad', 'floor')),
      pull_vs_floor: ratioJson(vs('berthPull', 'floor')),
      load_vs_dockerd: ratioJson(vs('berthLoad', 'dockerdLoad')),
      pull_vs_dockerd: ratioJson(vs('berthPull', 'dockerdPull')),
    },
    skipped: outcome.skipped,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

// --- main ----------------------------------------------------------------

interface Finished {
  image: BenchImage;
  outcome: Outcome;
}

async function measureAll(options: Options, ctx: BenchContext): Promise<Finished> {
  const { tmp, stop } = ctx;
  log('image: building');
  const image = await buildImage(path.join(tmp, 'image'), stop);
  log(`image: ${image.layers.length} layers, ${(image.bytes / 1e6).toFixed(1)} MB uncompressed, ${image.id}`);
  const outcome: Outcome = { samples: { berthLoad: [], berthPull: [], dockerdLoad: [], dockerdPull: [], floor: [] }, skipped: {} };

  let registryHost: string | null = null;
  const noRegistry = registryMissing();
  if (noRegistry !== null) {
    outcome.skipped.berthPull = noRegistry;
    outcome.skipped.dockerdPull = noRegistry;
  } else {
    stop.check();
    const registry = await startRegistry(path.join(tmp, 'registry'));
    ctx.atCleanup('registry', registry.stop);
    registryHost = registry.host;
    await pushOciLayout(image.ociDir, registry.host, `${REPOSITORY}:${TAG}`);
    stop.check();
    log(`registry: ${registry.host}, pushed ${REPOSITORY}:${TAG}`);
  }
  // Only skopeo read it; the disk is slow enough to not keep copies.
  await rm(image.ociDir, { recursive: true, force: true });

  let dockerd: Dockerd | null = null;
  const noDockerd = dockerdMissing();
  if (noDockerd !== null) {
    outcome.skipped.dockerdLoad = noDockerd;
    outcome.skipped.dockerdPull ??= noDockerd;
    log(`dockerd: skipped, ${noDockerd}; berth is compared with the tar -x floor only`);
  } else {
    try {
      dockerd = await startDockerd(path.join(tmp, 'docker'), registryHost, stop);
      ctx.atCleanup('dockerd', dockerd.stop);
      log(`dockerd: started on ${dockerd.socket}`);
    } catch (err) {
      if (err instanceof Interrupted) throw err;
      const why = `dockerd failed to start: ${errorText(err)}`;
      outcome.skipped.dockerdLoad = why;
      outcome.skipped.dockerdPull ??= why;
      log(`dockerd: skipped, ${why}`);
    }
  }

  const active = (step: Step): boolean => outcome.skipped[step] === undefined;
  const measure = async (step: Step, k: number): Promise<number> => {
    switch (step) {
      case 'berthLoad':
        return berthRun('load', path.join(tmp, `berth-load-${k}`), image, null, ctx, stop);
      case 'berthPull':
        return berthRun('pull', path.join(tmp, `berth-pull-${k}`), image, registryHost, ctx, stop);
      case 'floor':
        return floorRun(path.join(tmp, `floor-${k}`), image, stop);
      case 'dockerdLoad':
      case 'dockerdPull':
        if (dockerd === null) throw new Error('dockerd is not running');
        return dockerdRun(step === 'dockerdLoad' ? 'load' : 'pull', dockerd, image, registryHost, stop);
    }
  };

  for (let k = 0; k < options.runs; k++) {
    // Alternate who goes first so that neither always follows the other's writeback.
    const order = k % 2 === 0 ? STEPS : [...STEPS].reverse();
    const line: string[] = [];
    for (const step of order) {
      if (!active(step)) continue;
      stop.check();
      try {
        const seconds = await measure(step, k);
        outcome.samples[step].push(seconds);
        line.push(`${LABELS[step]} ${seconds.toFixed(2)} s`);
      } catch (err) {
        if (err instanceof Interrupted || stop.signal !== null) throw new Interrupted(stop.signal ?? 'SIGINT');
        // berth failing is the finding itself; a comparison failing only loses its column.
        if (step === 'berthLoad' || step === 'berthPull') throw err;
        outcome.skipped[step] = `failed: ${errorText(err)}`;
        log(`${LABELS[step]}: ${errorText(err)}; skipped from here on`);
      }
    }
    log(`run ${k + 1}/${options.runs}: ${line.join(', ')}`);
  }
  return { image, outcome };
}

export function main(args: string[]): Promise<number> {
  return runBench(
    {
      name: 'load',
      usage: USAGE,
      parseArgs,
      unmet: () =>
        notRoot('berth applies layers as overlay2 does, owners and all, and dockerd needs root') ??
        (onPath('tar') && onPath('sync') ? null : 'needs tar and sync on PATH'),
      run: measureAll,
      report,
    },
    args,
  );
}
