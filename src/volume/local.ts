// The local volume driver: one directory per volume under
// `<engine root>/volumes/`, `<name>/_data` for the content and
// `<name>/meta.json` for what inspect shows.
//
// Crash safety: a volume is built in `.staging-*` and renamed to its name
// complete, and removed by renaming it to `.removing-*` before deleting it;
// open() deletes both kinds of leftovers. References (which containers use a
// volume) live in memory only: the engine rebuilds them from its containers.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { StringMap, VolumeInspect } from '../container/types';
import { EngineError, conflict, invalidParameter, notFound } from '../errors';
import { KeyedLock } from '../storage/keyed-lock';
import { mountsUnder } from '../storage/mountinfo';
import { validateVolumeName } from './mountspec';

export const anonymousVolumeLabel = 'com.docker.volume.anonymous';

const stagingPrefix = '.staging-';
const removingPrefix = '.removing-';
const dataDirName = '_data';
const metaFileName = 'meta.json';
// Others may reach a volume's _data through the root (a container's user
// does), but may not list the volumes: Docker's modes.
const volumesDirMode = 0o701;
const volumeDirMode = 0o701;
const dataDirMode = 0o755;

/** What meta.json holds. */
interface VolumeRecord {
  Name: string;
  Driver: 'local';
  CreatedAt: string;
  Labels: StringMap | null;
  Options: StringMap | null;
}

export interface LocalVolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: StringMap | null;
  Labels?: StringMap | null;
  /** Made for a container (image VOLUME, `-v /dst`): labelled com.docker.volume.anonymous. */
  anonymous?: boolean;
}

/** Option keys dockerd's local driver knows; others are refused as it refuses them. */
const localDriverOptionKeys = new Set(['type', 'device', 'o', 'size']);
const filterKeys = new Set(['name', 'label', 'dangling', 'driver']);

/** RFC 3339 in UTC to the second, as dockerd shows CreatedAt. */
const rfc3339Seconds = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');

const randomSuffix = (): string => randomBytes(8).toString('hex');

const isErrno = (e: unknown, ...codes: string[]): boolean => codes.includes((e as NodeJS.ErrnoException | null)?.code ?? '');

/** A file whose content is the old or the new one after a crash, never a torn one. */
async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.tmp-${path.basename(file)}-${randomSuffix()}`);
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const copyMap = (m: StringMap | null): StringMap | null => (m === null ? null : { ...m });

function stringMapOrNull(value: unknown): StringMap | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const out: StringMap = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

function parseDanglingValue(value: string): boolean | undefined {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

export class LocalVolumes {
  private readonly records = new Map<string, VolumeRecord>();
  private readonly references = new Map<string, Set<string>>();
  // One create or remove of a name at a time: a second create of a name
  // waits for the first and gets its volume.
  private readonly byName = new KeyedLock();

  private constructor(readonly dir: string) {}

  /** Opens (creating it 0701) the volumes directory, sweeping interrupted creates and removes. */
  static async open(dir: string): Promise<LocalVolumes> {
    const volumes = new LocalVolumes(path.resolve(dir));
    await fs.mkdir(volumes.dir, { recursive: true, mode: volumesDirMode });
    await fs.chmod(volumes.dir, volumesDirMode);
    const entries = await fs.readdir(volumes.dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const full = path.join(volumes.dir, entry.name);
        if (entry.name.startsWith(stagingPrefix) || entry.name.startsWith(removingPrefix)) {
          await fs.rm(full, { recursive: true, force: true });
          return;
        }
        if (!entry.isDirectory()) return;
        const record = await volumes.readRecord(entry.name);
        if (record) volumes.records.set(record.Name, record);
      }),
    );
    return volumes;
  }

  /**
   * Creates a volume, or returns the one of that name as it is (created:
   * false), as dockerd does. No name: a random 64-hex one.
   */
  async create(request: LocalVolumeCreateRequest = {}): Promise<{ volume: VolumeInspect; created: boolean }> {
    const name = request.Name || randomBytes(32).toString('hex');
    const driver = request.Driver ?? '';
    if (driver !== '' && driver !== 'local') {
      throw invalidParameter(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    }
    try {
      validateVolumeName(name);
    } catch (e) {
      if (e instanceof EngineError) throw new EngineError(`create ${name}: ${e.message}`, e.code);
      throw e;
    }
    const optionKeys = Object.keys(request.DriverOpts ?? {}).sort();
    const unknownOption = optionKeys.find((key) => !localDriverOptionKeys.has(key));
    if (unknownOption !== undefined) throw invalidParameter(`create ${name}: invalid option: ${JSON.stringify(unknownOption)}`);
    if (optionKeys.length > 0) {
      // Those options ask for a mount at first use, which berth does not do.
      throw invalidParameter(`create ${name}: local volume options (${optionKeys.join(', ')}) are not supported`);
    }

    return this.byName.run(name, async () => {
      const existing = this.records.get(name);
      if (existing) return { volume: this.inspectOf(existing), created: false };
      let labels = request.Labels == null ? null : { ...request.Labels };
      if (request.anonymous) labels = { ...labels, [anonymousVolumeLabel]: '' };
      const record: VolumeRecord = {
        Name: name,
        Driver: 'local',
        CreatedAt: rfc3339Seconds(new Date()),
        Labels: labels,
        Options: request.DriverOpts == null ? null : {},
      };
      const adopted = await this.build(record);
      this.records.set(name, adopted ?? record);
      return { volume: this.inspectOf(adopted ?? record), created: adopted === undefined };
    });
  }

  get(name: string): VolumeInspect | undefined {
    const record = this.records.get(name);
    return record ? this.inspectOf(record) : undefined;
  }

  inspect(name: string): VolumeInspect {
    const volume = this.get(name);
    if (!volume) throw notFound(`get ${name}: no such volume`);
    return volume;
  }

  /**
   * Filters as dockerd takes them: `name` and `driver` (substring, any value),
   * `label` (`k` or `k=v`, every value), `dangling` (true/1 or false/0).
   */
  list(filters: Record<string, string[]> = {}): VolumeInspect[] {
    for (const key of Object.keys(filters)) {
      if (!filterKeys.has(key)) throw invalidParameter(`Invalid filter '${key}'`);
    }
    const danglingWanted = (filters.dangling ?? []).map(parseDanglingValue);
    if (danglingWanted.includes(undefined)) {
      throw invalidParameter(`Invalid filter 'dangling=[${(filters.dangling ?? []).join(' ')}]'`);
    }
    const names = filters.name ?? [];
    const drivers = filters.driver ?? [];
    const labels = filters.label ?? [];
    return [...this.records.values()]
      .filter((r) => names.length === 0 || names.some((n) => r.Name.includes(n)))
      .filter((r) => drivers.length === 0 || drivers.some((d) => r.Driver.includes(d)))
      .filter((r) => labels.every((l) => hasLabel(r.Labels, l)))
      .filter((r) => danglingWanted.every((wanted) => wanted === (this.refs(r.Name).length === 0)))
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map((r) => this.inspectOf(r));
  }

  /** Removes a volume no container uses; `force` makes a missing one no error (an in-use one still is). */
  async remove(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.byName.run(name, async () => {
      const record = this.records.get(name);
      if (!record) {
        if (options.force) return;
        throw notFound(`get ${name}: no such volume`);
      }
      const users = this.refs(name);
      if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(' ')}]`);
      const volumeDir = path.join(this.dir, name);
      // Deleting recursively through a mount would delete what it shows.
      const mounted = await mountsUnder(volumeDir);
      if (mounted.length > 0) throw conflict(`remove ${name}: volume is in use - mounted at ${mounted[0].mountPoint}`);
      this.records.delete(name);
      const doomed = path.join(this.dir, `${removingPrefix}${randomSuffix()}`);
      try {
        await fs.rename(volumeDir, doomed);
      } catch (e) {
        this.records.set(name, record);
        throw e;
      }
      this.references.delete(name);
      // The volume is gone for every caller now; a leftover is swept by the next open().
      await fs.rm(doomed, { recursive: true, force: true }).catch(() => undefined);
    });
  }

  /** Records that a container uses the volume; a missing volume is notFound. */
  addRef(name: string, containerId: string): void {
    if (!this.records.has(name)) throw notFound(`get ${name}: no such volume`);
    let users = this.references.get(name);
    if (!users) {
      users = new Set();
      this.references.set(name, users);
    }
    users.add(containerId);
  }

  removeRef(name: string, containerId: string): void {
    const users = this.references.get(name);
    if (!users) return;
    users.delete(containerId);
    if (users.size === 0) this.references.delete(name);
  }

  /** IDs of the containers that use the volume, in the order they took it. */
  refs(name: string): string[] {
    return [...(this.references.get(name) ?? [])];
  }

  /** The host directory of the volume's content (`<dir>/<name>/_data`). */
  dataPath(name: string): string {
    if (!this.records.has(name)) throw notFound(`get ${name}: no such volume`);
    return path.join(this.dir, name, dataDirName);
  }

  /** Made for a container rather than by `volume create` (removed with it on `rm -v`). */
  isAnonymous(name: string): boolean {
    const labels = this.records.get(name)?.Labels;
    return labels != null && Object.prototype.hasOwnProperty.call(labels, anonymousVolumeLabel);
  }

  private inspectOf(record: VolumeRecord): VolumeInspect {
    return {
      CreatedAt: record.CreatedAt,
      Driver: record.Driver,
      Labels: copyMap(record.Labels),
      Mountpoint: path.join(this.dir, record.Name, dataDirName),
      Name: record.Name,
      Options: copyMap(record.Options),
      Scope: 'local',
    };
  }

  /**
   * Builds the volume in a staging directory and renames it into place.
   * Returns the record of a volume found already there (a directory open()
   * did not list), which is then used instead.
   */
  private async build(record: VolumeRecord): Promise<VolumeRecord | undefined> {
    const staging = path.join(this.dir, `${stagingPrefix}${randomSuffix()}`);
    try {
      await fs.mkdir(staging, { mode: volumeDirMode });
      await fs.chmod(staging, volumeDirMode);
      const data = path.join(staging, dataDirName);
      await fs.mkdir(data, { mode: dataDirMode });
      await fs.chmod(data, dataDirMode);
      await writeFileAtomic(path.join(staging, metaFileName), `${JSON.stringify(record)}\n`);
      try {
        await fs.rename(staging, path.join(this.dir, record.Name));
      } catch (e) {
        if (!isErrno(e, 'EEXIST', 'ENOTEMPTY')) throw e;
        const found = await this.readRecord(record.Name);
        if (!found) throw e;
        return found;
      }
      await syncDirectory(this.dir);
      return undefined;
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * The record of the volume directory `name`; a directory without a
   * readable meta.json (made by hand, or by dockerd) is a volume with no
   * labels, created when the directory was.
   */
  private async readRecord(name: string): Promise<VolumeRecord | undefined> {
    try {
      validateVolumeName(name);
    } catch {
      return undefined;
    }
    const volumeDir = path.join(this.dir, name);
    let stored: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(path.join(volumeDir, metaFileName), 'utf8'));
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) stored = parsed as Record<string, unknown>;
    } catch (e) {
      if (!isErrno(e, 'ENOENT') && !(e instanceof SyntaxError)) throw e;
    }
    let createdAt = typeof stored.CreatedAt === 'string' ? stored.CreatedAt : '';
    if (!createdAt) {
      try {
        createdAt = rfc3339Seconds((await fs.stat(volumeDir)).mtime);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return undefined;
        throw e;
      }
    }
    return {
      Name: name,
      Driver: 'local',
      CreatedAt: createdAt,
      Labels: stringMapOrNull(stored.Labels),
      Options: stringMapOrNull(stored.Options),
    };
  }
}

function hasLabel(labels: StringMap | null, filter: string): boolean {
  if (labels === null) return false;
  const eq = filter.indexOf('=');
  const key = eq < 0 ? filter : filter.slice(0, eq);
  if (!Object.prototype.hasOwnProperty.call(labels, key)) return false;
  return eq < 0 || labels[key] === filter.slice(eq + 1);
}
