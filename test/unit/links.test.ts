// Legacy links: the --link grammar, the env and hosts entries a link
// implies, and the SQLite link graph (CRUD, unique names, transactions,
// persistence, restore pruning, bad files).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { EngineError, classifyError } from '../../src/errors';
import { LinkGraph, type LinkRecord } from '../../src/links/graph';
import { hostsLineWithIp, linkEnv, linkHostsEntries, parseLink } from '../../src/links/legacy';

function thrown(action: () => unknown): EngineError {
  try {
    action();
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected an EngineError, nothing was thrown');
}

describe('parseLink', () => {
  const table: Array<[string, { name: string; alias: string }]> = [
    ['db', { name: 'db', alias: 'db' }],
    ['db:database', { name: 'db', alias: 'database' }],
    ['/db', { name: 'db', alias: 'db' }],
    ['/db:database', { name: 'db', alias: 'database' }],
    // The form Docker stores in HostConfig.Links.
    ['/db:/web/database', { name: 'db', alias: 'database' }],
    ['my-db.1:x_y', { name: 'my-db.1', alias: 'x_y' }],
  ];
  it.each(table)('reads %j', (spec, expected) => {
    expect(parseLink(spec)).toEqual(expected);
  });

  it.each(['a:b:c', 'db:alias:', '::'])('refuses %j with Docker\'s text', (spec) => {
    const err = thrown(() => parseLink(spec));
    expect(err.message).toBe(`bad format for links: ${spec}`);
    expect(classifyError(err)).toBe('invalid');
  });

  it.each([':alias', 'db:', '/'])('refuses the empty part in %j', (spec) => {
    expect(thrown(() => parseLink(spec)).message).toBe(`bad format for links: ${spec}`);
  });

  it('refuses an empty spec', () => {
    expect(thrown(() => parseLink('')).message).toBe('empty string specified for links');
  });
});

describe('linkEnv', () => {
  const base = { parentName: '/web', childName: '/db', childIp: '10.1.0.7', childEnv: [] as string[] };

  it('describes a single port', () => {
    const env = linkEnv({ ...base, alias: 'db', exposedPorts: ['5432/tcp'], childEnv: ['PGUSER=app'] });
    expect(env.sort()).toEqual([
      'DB_ENV_PGUSER=app',
      'DB_NAME=/web/db',
      'DB_PORT=tcp://10.1.0.7:5432',
      'DB_PORT_5432_TCP=tcp://10.1.0.7:5432',
      'DB_PORT_5432_TCP_ADDR=10.1.0.7',
      'DB_PORT_5432_TCP_PORT=5432',
      'DB_PORT_5432_TCP_PROTO=tcp',
    ]);
  });

  it('describes runs of consecutive ports under the first port, tcp first', () => {
    const env = linkEnv({
      ...base,
      alias: 'cache',
      exposedPorts: ['7002/tcp', '7000/tcp', '53/udp', '7001/tcp', '54/udp', '7003/udp', '9000/tcp'],
    });
    expect(env.sort()).toEqual(
      [
        'CACHE_NAME=/web/cache',
        // The lowest tcp port is the default even though a udp port is lower.
        'CACHE_PORT=tcp://10.1.0.7:7000',
        'CACHE_PORT_53_UDP=udp://10.1.0.7:53',
        'CACHE_PORT_53_UDP_ADDR=10.1.0.7',
        'CACHE_PORT_53_UDP_END=udp://10.1.0.7:54',
        'CACHE_PORT_53_UDP_PORT=53',
        'CACHE_PORT_53_UDP_PORT_END=54',
        'CACHE_PORT_53_UDP_PORT_START=53',
        'CACHE_PORT_53_UDP_PROTO=udp',
        'CACHE_PORT_53_UDP_START=udp://10.1.0.7:53',
        'CACHE_PORT_54_UDP=udp://10.1.0.7:54',
        'CACHE_PORT_54_UDP_ADDR=10.1.0.7',
        'CACHE_PORT_54_UDP_PORT=54',
        'CACHE_PORT_54_UDP_PROTO=udp',
        'CACHE_PORT_7000_TCP=tcp://10.1.0.7:7000',
        'CACHE_PORT_7000_TCP_ADDR=10.1.0.7',
        'CACHE_PORT_7000_TCP_END=tcp://10.1.0.7:7002',
        'CACHE_PORT_7000_TCP_PORT=7000',
        'CACHE_PORT_7000_TCP_PORT_END=7002',
        'CACHE_PORT_7000_TCP_PORT_START=7000',
        'CACHE_PORT_7000_TCP_PROTO=tcp',
        'CACHE_PORT_7000_TCP_START=tcp://10.1.0.7:7000',
        'CACHE_PORT_7001_TCP=tcp://10.1.0.7:7001',
        'CACHE_PORT_7001_TCP_ADDR=10.1.0.7',
        'CACHE_PORT_7001_TCP_PORT=7001',
        'CACHE_PORT_7001_TCP_PROTO=tcp',
        'CACHE_PORT_7002_TCP=tcp://10.1.0.7:7002',
        'CACHE_PORT_7002_TCP_ADDR=10.1.0.7',
        'CACHE_PORT_7002_TCP_PORT=7002',
        'CACHE_PORT_7002_TCP_PROTO=tcp',
        // 7003/udp follows 7002/tcp in number but not in protocol: no run.
        'CACHE_PORT_7003_UDP=udp://10.1.0.7:7003',
        'CACHE_PORT_7003_UDP_ADDR=10.1.0.7',
        'CACHE_PORT_7003_UDP_PORT=7003',
        'CACHE_PORT_7003_UDP_PROTO=udp',
        'CACHE_PORT_9000_TCP=tcp://10.1.0.7:9000',
        'CACHE_PORT_9000_TCP_ADDR=10.1.0.7',
        'CACHE_PORT_9000_TCP_PORT=9000',
        'CACHE_PORT_9000_TCP_PROTO=tcp',
      ].sort(),
    );
  });

  it('uppercases the alias and turns - into _', () => {
    const env = linkEnv({ ...base, alias: 'my-db-1', exposedPorts: ['6379'] });
    expect(env).toContain('MY_DB_1_PORT=tcp://10.1.0.7:6379');
    expect(env).toContain('MY_DB_1_NAME=/web/my-db-1');
  });

  it('puts the default port first and a port without protocol under tcp', () => {
    const env = linkEnv({ ...base, alias: 'db', exposedPorts: ['8080', '8080/tcp', '22/sctp'] });
    expect(env[0]).toBe('DB_PORT=tcp://10.1.0.7:8080');
    expect(env.filter((e) => e.startsWith('DB_PORT_8080_TCP='))).toHaveLength(1);
    expect(env).toContain('DB_PORT_22_SCTP_PROTO=sctp');
  });

  it('passes the child\'s env except HOME, PATH and entries without a value', () => {
    const env = linkEnv({
      ...base,
      alias: 'db',
      exposedPorts: [],
      childEnv: ['HOME=/root', 'PATH=/usr/bin', 'A=1', 'B=x=y', 'EMPTY=', 'NOVALUE', '=orphan'],
    });
    expect(env).toEqual(['DB_NAME=/web/db', 'DB_ENV_A=1', 'DB_ENV_B=x=y', 'DB_ENV_EMPTY=']);
  });

  it.each(['http', '0/tcp', '70000/tcp', '80-90/tcp', '80/'])('refuses the port %j', (port) => {
    const err = thrown(() => linkEnv({ ...base, alias: 'db', exposedPorts: [port] }));
    expect(err.message).toBe(`invalid port specification: "${port}"`);
  });
});

describe('link hosts entries', () => {
  it('maps the alias, hostname and name to the child\'s address', () => {
    const lines = linkHostsEntries({ alias: 'database', childHostname: '3f2a9c1b7d00', childName: '/db', childIp: '10.1.0.7' });
    expect(lines).toEqual(['10.1.0.7\tdatabase 3f2a9c1b7d00 db']);
  });

  it('leaves out the name when the alias is the name', () => {
    const lines = linkHostsEntries({ alias: 'db', childHostname: 'dbhost', childName: '/db', childIp: '10.1.0.7' });
    expect(lines).toEqual(['10.1.0.7\tdb dbhost']);
  });

  it('records the names alone before the child has an address, completed later', () => {
    const [entry] = linkHostsEntries({ alias: 'database', childHostname: 'dbhost', childName: '/db', childIp: '' });
    expect(entry).toBe('database dbhost db');
    expect(hostsLineWithIp(entry, '10.1.0.9')).toBe('10.1.0.9\tdatabase dbhost db');
    expect(hostsLineWithIp('10.1.0.7\tdatabase dbhost db', '10.1.0.9')).toBe('10.1.0.9\tdatabase dbhost db');
  });
});

describe('LinkGraph', () => {
  const WEB = 'a'.repeat(64);
  const DB = 'b'.repeat(64);
  const CACHE = 'c'.repeat(64);
  const API = 'd'.repeat(64);

  const link = (parentId: string, parentName: string, childId: string, alias: string): LinkRecord => ({
    parentId,
    childId,
    alias,
    name: `/${parentName}/${alias}`,
    env: [`${alias.toUpperCase()}_NAME=/${parentName}/${alias}`],
    hosts: [`${alias} host-${alias}`],
  });

  let dir: string;
  let dbPath: string;
  let graph: LinkGraph | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
    dbPath = path.join(dir, 'linkgraph.db');
  });
  afterEach(() => {
    graph?.close();
    graph = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (): LinkGraph => (graph = LinkGraph.open(dbPath));

  it('creates a missing file and starts empty', () => {
    expect(fs.existsSync(dbPath)).toBe(false);
    const g = open();
    expect(fs.existsSync(dbPath)).toBe(true);
    expect(g.all()).toEqual([]);
  });

  it('adds, reads, and removes links', () => {
    const g = open();
    const webDb = link(WEB, 'web', DB, 'db');
    const webCache = link(WEB, 'web', CACHE, 'cache');
    const apiDb = link(API, 'api', DB, 'database');
    g.add(webDb);
    g.add(webCache);
    g.add(apiDb);

    expect(g.get('/web/db')).toEqual(webDb);
    expect(g.get('web/db')).toEqual(webDb);
    expect(g.get('/web/nothing')).toBeUndefined();
    expect(g.childrenOf(WEB)).toEqual([webDb, webCache]);
    expect(g.parentsOf(DB)).toEqual([webDb, apiDb]);
    expect(g.childrenOf(DB)).toEqual([]);
    expect(g.all()).toEqual([webDb, webCache, apiDb]);

    expect(g.remove('/web/cache')).toBe(true);
    expect(g.remove('/web/cache')).toBe(false);
    expect(g.all()).toEqual([webDb, apiDb]);
  });

  it('removes every link a container is parent or child of', () => {
    const g = open();
    g.addMany([link(WEB, 'web', DB, 'db'), link(API, 'api', DB, 'db'), link(DB, 'db', CACHE, 'cache'), link(WEB, 'web', CACHE, 'cache')]);
    expect(g.removeContainer(DB)).toBe(3);
    expect(g.all().map((l) => l.name)).toEqual(['/web/cache']);
    expect(g.removeContainer(DB)).toBe(0);
  });

  it('refuses a second link with the same name, naming the holder like Docker', () => {
    const g = open();
    g.add(link(WEB, 'web', DB, 'db'));
    const err = thrown(() => g.add(link(WEB, 'web', CACHE, 'db')));
    expect(err.message).toBe(
      `Conflict. The container name "/web/db" is already in use by container "${DB}". ` +
        'You have to remove (or rename) that container to be able to reuse that name.',
    );
    expect(classifyError(err)).toBe('conflict');
    expect(g.get('/web/db')?.childId).toBe(DB);
  });

  it('adds many links all or nothing', () => {
    const g = open();
    g.add(link(WEB, 'web', DB, 'db'));
    const clash = thrown(() =>
      g.addMany([link(API, 'api', DB, 'db'), link(API, 'api', CACHE, 'cache'), link(WEB, 'web', CACHE, 'db')]),
    );
    expect(clash.code).toBe('EEXIST');
    expect(g.all().map((l) => l.name)).toEqual(['/web/db']);

    // A duplicate inside the batch itself rolls back too.
    expect(thrown(() => g.addMany([link(API, 'api', DB, 'x'), link(API, 'api', CACHE, 'x')])).code).toBe('EEXIST');
    expect(g.all().map((l) => l.name)).toEqual(['/web/db']);

    g.addMany([link(API, 'api', DB, 'db'), link(API, 'api', CACHE, 'cache')]);
    expect(g.all().map((l) => l.name)).toEqual(['/web/db', '/api/db', '/api/cache']);
  });

  it('refuses malformed records', () => {
    const g = open();
    const good = link(WEB, 'web', DB, 'db');
    const bad: LinkRecord[] = [
      { ...good, parentId: '' },
      { ...good, childId: '' },
      { ...good, alias: '' },
      { ...good, name: 'web/db' },
      { ...good, name: '/web/other' },
      { ...good, env: [1] as unknown as string[] },
    ];
    for (const record of bad) expect(thrown(() => g.add(record)).code).toBe('EINVAL');
    expect(g.all()).toEqual([]);
  });

  it('keeps its links across a close and reopen', () => {
    const links = [link(WEB, 'web', DB, 'db'), link(WEB, 'web', CACHE, 'cache')];
    open().addMany(links);
    graph?.close();
    const reopened = open();
    expect(reopened.all()).toEqual(links);
    reopened.add(link(API, 'api', DB, 'db'));
    expect(reopened.parentsOf(DB).map((l) => l.parentId)).toEqual([WEB, API]);
  });

  it('drops the links of containers that did not come back (restore)', () => {
    const g = open();
    g.addMany([link(WEB, 'web', DB, 'db'), link(WEB, 'web', CACHE, 'cache'), link(API, 'api', DB, 'db')]);
    expect(g.retainOnly(new Set([WEB, DB]))).toBe(2);
    expect(g.all().map((l) => l.name)).toEqual(['/web/db']);
    expect(g.retainOnly(new Set([WEB, DB]))).toBe(0);
    expect(g.retainOnly(new Set())).toBe(1);
    expect(g.all()).toEqual([]);
  });

  it('refuses a file that is not a database, naming its path', () => {
    fs.writeFileSync(dbPath, 'this is not sqlite, just some bytes that fill more than a header page\n'.repeat(100));
    const err = thrown(() => open());
    expect(err.code).toBe('EIO');
    expect(err.message).toContain(dbPath);
    expect(err.message).toMatch(/not a database/);
  });

  it('refuses a database from something else', () => {
    const other = new Database(dbPath);
    other.pragma('user_version = 7');
    other.close();
    const err = thrown(() => open());
    expect(err.code).toBe('EIO');
    expect(err.message).toContain(dbPath);
    expect(err.message).toContain('unknown schema version 7');
  });

  it('names the path when its directory is missing', () => {
    dbPath = path.join(dir, 'missing', 'linkgraph.db');
    const err = thrown(() => open());
    expect(err.code).toBe('EIO');
    expect(err.message).toContain(dbPath);
  });
});
