// A container's directory, containers/<id>/, and the crash rules around it.
//
//   containers/<id>/                 made 0700 at the start of a create: the race barrier
//   containers/<id>/create-journal   volumes this create made (only when it made some)
//   containers/<id>/{hostname,hosts,resolv.conf}
//   containers/<id>/hostconfig.json  written atomically, before...
//   containers/<id>/config.v2.json   ...this one, whose presence marks a finished create
//   containers/.removing[-v]-<id>/   a removal in progress (-v: with its anonymous volumes): the container is gone
//
// Each file is written to a temp name, fsynced and renamed, and the directory
// is fsynced after, so that a crash leaves the old state or the new one,
// never a torn file; a directory without config.v2.json is a create that a
// crash interrupted, and restore rolls it back.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as native from '../native';
import type { MountPoint } from '../volume/mountspec';
import type { ContainerConfig, HostConfig, StringMap } from './types';

export const CONFIG_FILE = 'config.v2.json';
export const HOSTCONFIG_FILE = 'hostconfig.json';
const JOURNAL_FILE = 'create-journal';
const REMOVING_PREFIX = '.removing-';
/** The same, for a removal that takes the container's anonymous volumes along (`rm -v`). */
const REMOVING_WITH_VOLUMES_PREFIX = '.removing-v-';

/** A mount point as config.v2.json keeps it (Docker's MountPoints entries). */
export interface StoredMountPoint extends MountPoint {
  /** Made for this container, removed with it by `rm -v`. */
  Anonymous?: boolean;
}

/** config.v2.json: Docker's field names, and what berth needs to restore a container. */
export interface ContainerJson {
  State: {
    Running: false;
    Paused: false;
    Restarting: false;
    OOMKilled: false;
    RemovalInProgress: boolean;
    Dead: boolean;
    Pid: 0;
    ExitCode: 0;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health: null;
  };
  ID: string;
  Created: string;
  Managed: false;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  Image: string;
  NetworkSettings: Record<string, unknown>;
  LogPath: string;
  Name: string;
  Driver: string;
  OS: 'linux';
  MountLabel: string;
  ProcessLabel: string;
  RestartCount: number;
  HasBeenStartedBefore: boolean;
  HasBeenManuallyStopped: boolean;
  MountPoints: Record<string, StoredMountPoint>;
  AppArmorProfile: string;
  HostnamePath: string;
  HostsPath: string;
  ShmPath: string;
  ResolvConfPath: string;
  SeccompProfile: string;
  NoNewPrivileges: boolean;
  /** The platform the create asked for, if any (`os[/arch[/variant]]`). */
  Platform?: string;
  /** Names of other containers' links this one made: `/<name>/<alias>` -> target ID. */
  LinkNames?: StringMap;
}

export interface StoredContainer {
  json: ContainerJson;
  hostConfig: HostConfig;
}

export interface ContainerDirs {
  /** Finished creates. */
  complete: StoredContainer[];
  /** Creates a crash interrupted: IDs with the volumes each had made. */
  incomplete: Array<{ id: string; volumes: string[] }>;
  /** Removals a crash interrupted: what is left of each container, if readable. */
  removing: Array<{ dir: string; id: string; container: StoredContainer | null; removeVolumes: boolean }>;
  /** Files that are nobody's (stray temp files, foreign names). */
  strays: string[];
}

const isContainerId = (name: string): boolean => /^[a-f0-9]{64}$/.test(name);

export class ContainerFiles {
  /** `root` is the engine root; containers live in `<root>/containers`. */
  constructor(readonly root: string) {}

  get home(): string {
    return path.join(this.root, 'containers');
  }

  dir(id: string): string {
    return path.join(this.home, id);
  }

  async init(): Promise<void> {
    await fs.mkdir(this.home, { recursive: true, mode: 0o710 });
  }

  /**
   * Makes the container's directory (failing if it exists: two creates of one
   * ID cannot both pass here) and its hostname, hosts and resolv.conf files,
   * in one trip to the addon.
   */
  async begin(id: string, files: { hostname: string; hosts: string; resolvConf: string }): Promise<void> {
    await native.batch(this.root, [
      { op: 'mkdir', path: `containers/${id}`, mode: 0o700 },
      { op: 'file', path: `containers/${id}/hostname`, mode: 0o644, data: files.hostname },
      { op: 'file', path: `containers/${id}/hosts`, mode: 0o644, data: files.hosts },
      { op: 'file', path: `containers/${id}/resolv.conf`, mode: 0o644, data: files.resolvConf },
    ]);
  }

  /** Records, before they exist, the volumes a create is about to make: restore removes them if the create never finished. */
  async journal(id: string, volumes: string[]): Promise<void> {
    await native.batch(this.root, [
      { op: 'write', path: `containers/${id}/${JOURNAL_FILE}`, mode: 0o600, data: JSON.stringify({ volumes }) },
    ]);
  }

  /** Writes hostconfig.json, then config.v2.json, and makes both durable: the create is done. */
  async commit(container: StoredContainer): Promise<void> {
    const id = container.json.ID;
    await native.batch(this.root, [
      { op: 'write', path: `containers/${id}/${HOSTCONFIG_FILE}`, mode: 0o644, data: JSON.stringify(container.hostConfig) },
      { op: 'write', path: `containers/${id}/${CONFIG_FILE}`, mode: 0o600, data: JSON.stringify(container.json) },
      { op: 'remove', path: `containers/${id}/${JOURNAL_FILE}` },
      { op: 'fsync', path: `containers/${id}` },
      { op: 'fsync', path: 'containers' },
    ]);
  }

  /** Rewrites config.v2.json atomically (links added or dropped later). */
  async save(container: StoredContainer): Promise<void> {
    const id = container.json.ID;
    await native.batch(this.root, [
      { op: 'write', path: `containers/${id}/${CONFIG_FILE}`, mode: 0o600, data: JSON.stringify(container.json) },
      { op: 'fsync', path: `containers/${id}` },
    ]);
  }

  /**
   * The point of no return of a removal: once the directory is renamed the
   * container no longer exists for a restore, which finishes the job.
   * Returns the new directory.
   */
  async markRemoving(id: string, removeVolumes: boolean): Promise<string> {
    const name = `${removeVolumes ? REMOVING_WITH_VOLUMES_PREFIX : REMOVING_PREFIX}${id}`;
    await native.batch(this.root, [
      { op: 'rename', path: `containers/${id}`, target: `containers/${name}` },
      { op: 'fsync', path: 'containers' },
    ]);
    return path.join(this.home, name);
  }

  async removeDir(dir: string): Promise<void> {
    await fs.rm(dir, { recursive: true, force: true });
  }

  async load(): Promise<ContainerDirs> {
    const result: ContainerDirs = { complete: [], incomplete: [], removing: [], strays: [] };
    for (const name of await fs.readdir(this.home)) {
      const dir = path.join(this.home, name);
      if (name.startsWith(REMOVING_WITH_VOLUMES_PREFIX) && isContainerId(name.slice(REMOVING_WITH_VOLUMES_PREFIX.length))) {
        const id = name.slice(REMOVING_WITH_VOLUMES_PREFIX.length);
        result.removing.push({ dir, id, container: readContainer(dir), removeVolumes: true });
      } else if (name.startsWith(REMOVING_PREFIX) && isContainerId(name.slice(REMOVING_PREFIX.length))) {
        result.removing.push({ dir, id: name.slice(REMOVING_PREFIX.length), container: readContainer(dir), removeVolumes: false });
      } else if (isContainerId(name)) {
        const container = readContainer(dir);
        if (container && container.json.ID === name) result.complete.push(container);
        else result.incomplete.push({ id: name, volumes: readJournal(dir) });
      } else {
        result.strays.push(dir);
      }
    }
    return result;
  }
}

// Restore reads these synchronously: it runs before the engine serves anyone,
// and 10,000 containers' worth of promise-based reads cost seconds in hops.
function readContainer(dir: string): StoredContainer | null {
  try {
    const json = JSON.parse(readFileSync(path.join(dir, CONFIG_FILE), 'utf8')) as ContainerJson;
    const hostConfig = JSON.parse(readFileSync(path.join(dir, HOSTCONFIG_FILE), 'utf8')) as HostConfig;
    if (typeof json !== 'object' || json === null || typeof json.ID !== 'string') return null;
    return { json, hostConfig };
  } catch {
    return null;
  }
}

function readJournal(dir: string): string[] {
  try {
    const journal = JSON.parse(readFileSync(path.join(dir, JOURNAL_FILE), 'utf8')) as { volumes?: unknown };
    return Array.isArray(journal.volumes) ? journal.volumes.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}
