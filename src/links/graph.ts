// The legacy link graph: which container links to which under what alias,
// with the env and hosts entries each link implies, kept in SQLite
// (`linkgraph.db` under the engine root).
import Database from 'better-sqlite3';
import { nameInUse } from '../container/names';
import { EngineError, invalidParameter } from '../errors';

export interface LinkRecord {
  parentId: string;
  childId: string;
  alias: string;
  /** `/<parent name>/<alias>`, unique across the engine. */
  name: string;
  env: string[];
  hosts: string[];
}

interface LinkRow {
  parent_id: string;
  child_id: string;
  alias: string;
  name: string;
  env: string;
  hosts: string;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE links (
    seq       INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    parent_id TEXT NOT NULL,
    child_id  TEXT NOT NULL,
    alias     TEXT NOT NULL,
    env       TEXT NOT NULL,
    hosts     TEXT NOT NULL
  ) STRICT;
  CREATE INDEX links_by_parent ON links (parent_id);
  CREATE INDEX links_by_child ON links (child_id);
`;

const COLUMNS = 'name, parent_id, child_id, alias, env, hosts';

export class LinkGraph {
  private readonly insertRow;
  private readonly selectByName;
  private readonly selectByParent;
  private readonly selectByChild;
  private readonly selectAll;
  private readonly deleteByName;
  private readonly deleteByContainer;
  private readonly deleteBySeq;
  private readonly selectEnds;

  private constructor(private readonly db: Database.Database) {
    this.insertRow = db.prepare<[string, string, string, string, string, string]>(
      `INSERT INTO links (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.selectByName = db.prepare<[string], LinkRow>(`SELECT ${COLUMNS} FROM links WHERE name = ?`);
    this.selectByParent = db.prepare<[string], LinkRow>(
      `SELECT ${COLUMNS} FROM links WHERE parent_id = ? ORDER BY seq`,
    );
    this.selectByChild = db.prepare<[string], LinkRow>(
      `SELECT ${COLUMNS} FROM links WHERE child_id = ? ORDER BY seq`,
    );
    this.selectAll = db.prepare<[], LinkRow>(`SELECT ${COLUMNS} FROM links ORDER BY seq`);
    this.deleteByName = db.prepare<[string]>('DELETE FROM links WHERE name = ?');
    this.deleteByContainer = db.prepare<[string, string]>('DELETE FROM links WHERE parent_id = ? OR child_id = ?');
    this.deleteBySeq = db.prepare<[number]>('DELETE FROM links WHERE seq = ?');
    this.selectEnds = db.prepare<[], { seq: number; parent_id: string; child_id: string }>(
      'SELECT seq, parent_id, child_id FROM links',
    );
  }

  /**
   * Opens the graph at `dbPath`, creating the file and its schema when it is
   * missing.
   *
   * WAL with synchronous=NORMAL: better-sqlite3 runs on the event loop, and
   * FULL would fsync there on every commit, stalling every other request of
   * the daemon for a create with links. NORMAL in WAL mode never corrupts the
   * file; a power cut can only lose the last commits, and those are links of
   * containers whose hostconfig.json (written atomically, with fsync) still
   * names them, so the engine can add them back on restore.
   * @throws EngineError EIO naming the path when the file is not a usable link graph.
   */
  static open(dbPath: string): LinkGraph {
    let db: Database.Database | undefined;
    try {
      db = new Database(dbPath);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      prepareSchema(db);
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
      return new LinkGraph(db);
    } catch (err) {
      db?.close();
      const reason = err instanceof Error ? err.message : String(err);
      throw new EngineError(`link graph ${dbPath} cannot be used (corrupt or not a link graph?): ${reason}`, 'EIO', {
        cause: err,
      });
    }
  }

  /**
   * Records one link.
   * @throws EngineError EEXIST when another link already has `name`; EINVAL for a malformed record.
   */
  add(link: LinkRecord): void {
    this.insert(link);
  }

  /** Records several links in one transaction: all of them, or none on any error. */
  addMany(links: readonly LinkRecord[]): void {
    this.db.transaction((batch: readonly LinkRecord[]) => {
      for (const link of batch) this.insert(link);
    })(links);
  }

  /** Removes the link `/parent/alias`; false when there was none. */
  remove(name: string): boolean {
    return this.deleteByName.run(withSlash(name)).changes > 0;
  }

  /** Removes every link the container is parent or child of; returns how many. */
  removeContainer(id: string): number {
    return this.deleteByContainer.run(id, id).changes;
  }

  /** The links `parentId` has to other containers, oldest first. */
  childrenOf(parentId: string): LinkRecord[] {
    return this.selectByParent.all(parentId).map(fromRow);
  }

  /** The links other containers have to `childId`, oldest first. */
  parentsOf(childId: string): LinkRecord[] {
    return this.selectByChild.all(childId).map(fromRow);
  }

  get(name: string): LinkRecord | undefined {
    const row = this.selectByName.get(withSlash(name));
    return row ? fromRow(row) : undefined;
  }

  all(): LinkRecord[] {
    return this.selectAll.all().map(fromRow);
  }

  /**
   * Drops every link whose parent or child is not in `ids` (on restore, the
   * containers that came back); returns how many were dropped.
   */
  retainOnly(ids: ReadonlySet<string>): number {
    return this.db.transaction(() => {
      let dropped = 0;
      for (const row of this.selectEnds.all()) {
        if (ids.has(row.parent_id) && ids.has(row.child_id)) continue;
        dropped += this.deleteBySeq.run(row.seq).changes;
      }
      return dropped;
    })();
  }

  close(): void {
    this.db.close();
  }

  private insert(link: LinkRecord): void {
    checkRecord(link);
    try {
      this.insertRow.run(
        link.name,
        link.parentId,
        link.childId,
        link.alias,
        JSON.stringify(link.env),
        JSON.stringify(link.hosts),
      );
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const holder = this.selectByName.get(link.name);
      throw nameInUse(link.name, holder?.child_id ?? link.childId);
    }
  }
}

function prepareSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true });
  if (version === SCHEMA_VERSION) return;
  if (version !== 0) throw new Error(`unknown schema version ${String(version)}`);
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

const withSlash = (name: string): string => (name.startsWith('/') ? name : `/${name}`);

function checkRecord(link: LinkRecord): void {
  const problem =
    link.parentId === '' || link.childId === ''
      ? 'a link needs a parent and a child'
      : link.alias === '' || !link.name.startsWith('/') || !link.name.endsWith(`/${link.alias}`)
        ? `link name ${JSON.stringify(link.name)} is not /<parent>/<alias> for alias ${JSON.stringify(link.alias)}`
        : !isStringArray(link.env) || !isStringArray(link.hosts)
          ? 'link env and hosts must be lists of strings'
          : undefined;
  if (problem) throw invalidParameter(problem);
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function fromRow(row: LinkRow): LinkRecord {
  return {
    parentId: row.parent_id,
    childId: row.child_id,
    alias: row.alias,
    name: row.name,
    env: parseList(row.env, row.name),
    hosts: parseList(row.hosts, row.name),
  };
}

function parseList(json: string, linkName: string): string[] {
  const value: unknown = JSON.parse(json);
  if (!isStringArray(value)) {
    throw new EngineError(`link graph: link ${linkName} holds a malformed list`, 'EIO');
  }
  return value;
}
