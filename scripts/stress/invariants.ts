// What a berth root must look like whenever an engine has just opened it,
// however the last one ended: checked from the files and the link database,
// against what the engine's API says exists. Shared by the reliability tests
// and the stress scripts; it only reads.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { mountsUnder } from '../../src/storage/mountinfo';

/** What the API said after the engine opened the root. */
export interface ApiView {
  /** GET /containers/json?all=1: each container's ID and the volume names of its Mounts. */
  containers: Array<{ Id: string; volumeNames: string[] }>;
  /** GET /volumes: names. */
  volumes: string[];
}

export interface InvariantOptions {
  root: string;
  /** overlay2 unless the engine was opened with another driver. */
  driver?: string;
  /** Volumes that may exist unreferenced (created on their own, or named by a create that finished). */
  unreferencedVolumesAllowed?: ReadonlySet<string>;
  /** Mount points allowed under the root (merged dirs of containers mounted on purpose). */
  allowedMounts?: ReadonlySet<string>;
}

export interface InvariantReport {
  violations: string[];
  /** How many things of each kind were checked. */
  counts: Record<'containers' | 'containerDirs' | 'jsonFiles' | 'layers' | 'mountRecords' | 'volumes' | 'linkRows' | 'mounts', number>;
}

const listDir = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

export async function checkInvariants(view: ApiView, options: InvariantOptions): Promise<InvariantReport> {
  const { root } = options;
  const driver = options.driver ?? 'overlay2';
  const violations: string[] = [];
  const counts: InvariantReport['counts'] = {
    containers: view.containers.length,
    containerDirs: 0,
    jsonFiles: 0,
    layers: 0,
    mountRecords: 0,
    volumes: view.volumes.length,
    linkRows: 0,
    mounts: 0,
  };
  const listed = new Set(view.containers.map((c) => c.Id));

  const parseJson = (file: string): unknown => {
    counts.jsonFiles++;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (e) {
      violations.push(`unparseable JSON ${path.relative(root, file)}: ${(e as Error).message}`);
      return undefined;
    }
  };

  // Containers: every directory is a whole, listed container, and every listed one has its directory.
  const containersDir = path.join(root, 'containers');
  const dirs = listDir(containersDir);
  counts.containerDirs = dirs.length;
  for (const name of dirs) {
    if (!listed.has(name)) violations.push(`container dir ${name} is not listed by the API`);
    for (const file of ['config.v2.json', 'hostconfig.json']) {
      const full = path.join(containersDir, name, file);
      if (!existsSync(full)) violations.push(`container ${name} has no ${file}`);
      else parseJson(full);
    }
  }
  for (const id of listed) if (!dirs.includes(id)) violations.push(`listed container ${id} has no directory`);

  // Mount records: one per listed container, naming layers that exist.
  const layerdb = path.join(root, 'image', driver, 'layerdb');
  const containerLayers = new Set<string>();
  const records = listDir(path.join(layerdb, 'mounts'));
  counts.mountRecords = records.length;
  for (const id of records) {
    if (!listed.has(id)) violations.push(`mount record ${id} belongs to no listed container`);
    for (const file of ['mount-id', 'init-id']) {
      const full = path.join(layerdb, 'mounts', id, file);
      if (existsSync(full)) containerLayers.add(readFileSync(full, 'utf8').trim());
      else violations.push(`mount record ${id} has no ${file}`);
    }
  }
  for (const id of listed) if (!records.includes(id)) violations.push(`listed container ${id} has no mount record`);

  // Layers: each is an image layer or a listed container's init or read-write layer.
  const imageLayers = new Set<string>();
  for (const chain of listDir(path.join(layerdb, 'sha256'))) {
    const cacheId = path.join(layerdb, 'sha256', chain, 'cache-id');
    if (existsSync(cacheId)) imageLayers.add(readFileSync(cacheId, 'utf8').trim());
    else violations.push(`image layer ${chain} has no cache-id`);
  }
  for (const file of listDir(path.join(root, 'image', driver, 'imagedb', 'content', 'sha256'))) {
    parseJson(path.join(root, 'image', driver, 'imagedb', 'content', 'sha256', file));
  }
  const repositories = path.join(root, 'image', driver, 'repositories.json');
  if (existsSync(repositories)) parseJson(repositories);
  const layers = listDir(path.join(root, driver)).filter((n) => n !== 'l');
  counts.layers = layers.length;
  for (const layer of layers) {
    if (!imageLayers.has(layer) && !containerLayers.has(layer)) violations.push(`layer ${layer} is neither an image's nor a listed container's`);
  }
  for (const layer of containerLayers) if (!layers.includes(layer)) violations.push(`container layer ${layer} is missing`);

  // Volumes: the API and the files agree; each is used, or allowed to be unused.
  const referenced = new Set(view.containers.flatMap((c) => c.volumeNames));
  const volumeDirs = listDir(path.join(root, 'volumes')).filter((n) => !n.startsWith('.') && n !== 'metadata.db');
  for (const name of volumeDirs) {
    if (!view.volumes.includes(name)) violations.push(`volume dir ${name} is not listed by the API`);
    const meta = path.join(root, 'volumes', name, 'meta.json');
    if (existsSync(meta)) parseJson(meta);
  }
  for (const name of view.volumes) {
    if (!volumeDirs.includes(name)) violations.push(`listed volume ${name} has no directory`);
    if (!referenced.has(name) && !(options.unreferencedVolumesAllowed?.has(name) ?? false)) {
      violations.push(`volume ${name} is used by no container and was not made on its own`);
    }
  }
  for (const name of referenced) if (!view.volumes.includes(name)) violations.push(`a container uses volume ${name}, which is not listed`);

  // Link rows: both ends are listed containers.
  const linkDb = path.join(root, 'linkgraph.db');
  if (existsSync(linkDb)) {
    const db = new Database(linkDb, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT name, parent_id AS parentId, child_id AS childId FROM links').all() as Array<{ name: string; parentId: string; childId: string }>;
      counts.linkRows = rows.length;
      for (const row of rows) {
        if (!listed.has(row.parentId) || !listed.has(row.childId)) violations.push(`link ${row.name} names a container that is not listed`);
      }
    } finally {
      db.close();
    }
  }

  // Mounts: only those the caller made on purpose.
  const mounts = (await mountsUnder(root)).map((m) => m.mountPoint).filter((m) => m !== root);
  counts.mounts = mounts.length;
  for (const m of mounts) if (!(options.allowedMounts?.has(m) ?? false)) violations.push(`unexpected mount ${m}`);

  return { violations, counts };
}
