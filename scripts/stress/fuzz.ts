// `stress fuzz [--cases N] [--seed S] [--workers W]`: seeded hostile requests
// against an in-process daemon (busybox loaded, a few containers and volumes
// present). Every case must be answered, errors as JSON `{message}`, no 5xx;
// afterwards the root must hold what it held before, minus what valid
// requests created (tracked and removed). The test uses the same generator.
import { mkdtemp, readdir } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runDaemon } from '../../src/api/daemon';
import type { Engine } from '../../src/engine/engine';
import { mountsUnder } from '../../src/storage/mountinfo';
import { errorText, parseFlags, positiveInt, removeTree, UsageError } from '../bench/common';
import { BUSYBOX, loadBusybox } from '../fixtures/containers';

// ---- seeded randomness --------------------------------------------------

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough to pick cases reproducibly. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
export const intBelow = (rng: Rng, n: number): number => Math.floor(rng() * n);

/** A seed from the clock, unless the caller fixes one; always printed. */
export function chooseSeed(given: number | undefined): number {
  return given ?? (Date.now() ^ (process.pid << 16)) >>> 0;
}

// ---- raw HTTP on the unix socket ---------------------------------------

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * One request written byte for byte (the path is sent as given, so percent
 * escapes and odd bytes reach the server's parser), `Connection: close`, the
 * answer read to the end. Rejects when no answer comes within `timeoutMs`.
 */
export function rawRequest(socket: string, request: RawRequest, timeoutMs = 30_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    conn.on('end', () => {
      clearTimeout(timer);
      conn.destroy();
      const data = Buffer.concat(chunks);
      const headEnd = data.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        reject(new Error(`connection closed without an answer (${data.length} bytes)`));
        return;
      }
      const [statusLine, ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] ([0-9]{3})/.exec(statusLine)?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rest = data.subarray(headEnd + 4);
      resolve({ status, headers, body: headers['transfer-encoding'] === 'chunked' ? dechunk(rest) : rest });
    });
    const body = request.body ?? Buffer.alloc(0);
    const head = [`${request.method} ${request.path} HTTP/1.1`, 'Host: berth', 'Connection: close'];
    for (const [k, v] of Object.entries(request.headers ?? {})) head.push(`${k}: ${v}`);
    if (request.body !== undefined) head.push(`Content-Length: ${body.length}`);
    conn.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
  });
}

// ---- what the root holds -----------------------------------------------

/** What a create or a remove can leave, seen through the engine and the filesystem. */
export async function engineState(engine: Engine): Promise<Record<string, string[]>> {
  const ls = (dir: string): Promise<string[]> => readdir(dir).then((n) => n.sort(), () => []);
  const root = engine.root;
  return {
    containers: engine.containers.list({ all: true }).map((c) => c.Names.join(',')).sort(),
    containerDirs: await ls(path.join(root, 'containers')),
    layers: (await engine.driver.list()).sort(),
    mountRecords: await ls(path.join(root, `image/${engine.driver.name}/layerdb/mounts`)),
    volumes: engine.volumes.list().Volumes.map((v) => v.Name).sort(),
    volumeDirs: await ls(path.join(root, 'volumes')),
    links: engine.linkGraph.all().map((l) => l.name).sort(),
    mounts: (await mountsUnder(root)).map((m) => m.mountPoint).sort(),
    tmp: await ls(path.join(root, 'tmp')),
  };
}

// ---- the cases ----------------------------------------------------------

export interface FuzzCase extends RawRequest {
  index: number;
  kind: string;
}

/** Names the world holds before the run; cases use them but never delete or mount them. */
export interface FuzzWorld {
  containers: string[];
  volumes: string[];
}

const json = { 'Content-Type': 'application/json' };
const MB = 1024 * 1024;

const TRAVERSALS = ['../x', '/../../etc', '..', '.', '../../../../etc/passwd', '%2e%2e%2fx', '..%2f..%2fetc', 'a/../../b', '/etc', '%00', 'x%00y', '%ff%fe', '%c0%ae%c0%ae'];
const BAD_BINDS = ['../../etc:/x', '/proc:/x', 'x:../y', '/etc:/x:rw', '..:/x', 'vol:/x:zz', '/a:/b:rw:extra', ':/x', '/x:', 'x\u0000y:/z', '/tmp:relative', 'a:/', '/:/', 'C:\\x:/y', '../../etc:/x:ro'];
const BAD_VOLUME_NAMES = ['../../etc', '/abs', '..', '.', 'a/b', '', 'x\u0000y', '-lead', 'a'.repeat(300), '\ud800', 'é'];
const VERSIONS = ['/v0.1', '/v99', '/vx', '/v1', '/v1.', '/v.1', '/v1.50.1', '/v-1.0', '/v1.19', '/v1.50', '/V1.50', '/v1e2', '/v00001.50'];
const KNOWN_PATHS = ['/_ping', '/version', '/info', '/containers/json', '/containers/create', '/images/json', '/volumes', '/volumes/create', '/events'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'get'];
const CONTENT_TYPES = ['text/plain', 'application/xml', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '', 'APPLICATION/JSON', 'application/json;;;', '*/*'];

function randomScalar(rng: Rng): unknown {
  return pick<() => unknown>(rng, [
    () => -1,
    () => 0,
    () => 2 ** 64,
    () => -(2 ** 63),
    () => 1e308,
    () => 0.5,
    () => Number.MAX_SAFE_INTEGER + 2,
    () => true,
    () => null,
    () => '',
    () => 'x'.repeat(intBelow(rng, 300)),
    () => '\u0000',
    () => [],
    () => [1, 'a', null],
    () => ({}),
    () => ({ a: { b: [] } }),
  ])();
}

function baseCreate(rng: Rng, world: FuzzWorld): Record<string, unknown> {
  return {
    // Half the bodies name a missing image: verification still runs in full, and fewer real creates keep the run fast.
    Image: pick(rng, [BUSYBOX, 'busybox', 'busybox:latest', 'missing:1', 'missing:1', 'missing@sha256:' + '0'.repeat(64)]),
    Cmd: ['true'],
    Env: ['A=1', 'B=two'],
    Labels: { 'fuzz.case': 'yes' },
    WorkingDir: '/w',
    Volumes: { '/data': {} },
    HostConfig: {
      Binds: rng() < 0.5 ? [`${pick(rng, world.volumes)}:/named`] : [],
      Memory: 0,
      RestartPolicy: { Name: 'no' },
      Links: [],
    },
  };
}

/** Paths into the body where a mutation may land. */
const FIELD_PATHS: string[][] = [
  ['Image'], ['Cmd'], ['Env'], ['Labels'], ['WorkingDir'], ['Volumes'], ['Entrypoint'], ['User'], ['ExposedPorts'],
  ['StopSignal'], ['Healthcheck'], ['HostConfig'], ['HostConfig', 'Binds'], ['HostConfig', 'Memory'], ['HostConfig', 'MemorySwap'],
  ['HostConfig', 'CpuShares'], ['HostConfig', 'RestartPolicy'], ['HostConfig', 'Links'], ['HostConfig', 'VolumesFrom'],
  ['HostConfig', 'Mounts'], ['HostConfig', 'ShmSize'], ['HostConfig', 'SecurityOpt'], ['NetworkingConfig'], ['Labels', 'k'],
];

function setAt(body: Record<string, unknown>, at: string[], value: unknown): void {
  let node: Record<string, unknown> = body;
  for (const key of at.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[at[at.length - 1]] = value;
}

function dropAt(body: Record<string, unknown>, at: string[]): void {
  let node: unknown = body;
  for (const key of at.slice(0, -1)) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  if (node !== null && typeof node === 'object') delete (node as Record<string, unknown>)[at[at.length - 1]];
}

function deepNest(levels: number, open: string, close: string, core: string): string {
  return open.repeat(levels) + core + close.repeat(levels);
}

/** A create body, mutated; returned as bytes since some mutations are not expressible as a JS value. */
function mutatedCreateBody(rng: Rng, world: FuzzWorld): { body: Buffer; label: string } {
  const body = baseCreate(rng, world);
  const labels: string[] = [];
  const count = 1 + intBelow(rng, 3);
  let text: string | undefined;
  let raw: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const at = pick(rng, FIELD_PATHS);
    const what = pick(rng, ['drop', 'retype', 'number', 'array', 'binds', 'mounts', 'huge', 'deep', 'duplicate', 'utf8', 'nul', 'valid', 'valid']);
    labels.push(`${what}:${at.join('.')}`);
    switch (what) {
      case 'drop': dropAt(body, at); break;
      case 'retype': setAt(body, at, randomScalar(rng)); break;
      case 'number': setAt(body, at, pick(rng, [-1, -(2 ** 53), 2 ** 63, 1e300, 3.7, -0])); break;
      case 'array': setAt(body, at, [JSON.parse(JSON.stringify(body[at[0]] ?? {})) as unknown]); break;
      case 'binds': setAt(body, ['HostConfig', 'Binds'], [pick(rng, BAD_BINDS)]); break;
      case 'mounts':
        setAt(body, ['HostConfig', 'Mounts'], [{ Type: pick(rng, ['bind', 'volume', 'tmpfs', 'npipe', 'x', 7]), Source: pick(rng, [...BAD_VOLUME_NAMES, '/proc', '../x']), Target: pick(rng, ['/x', '../y', '', 'rel', '/']) }]);
        break;
      case 'huge': setAt(body, at, 'h'.repeat(MB)); break;
      case 'utf8': raw = Buffer.concat([Buffer.from('{"Image":"busybox","Cmd":["'), Buffer.from([0xff, 0xfe, 0xc0, 0xae, 0xed, 0xa0, 0x80]), Buffer.from('"]}')]); break;
      case 'nul': setAt(body, at, pick(rng, ['a\u0000b', '\u0000', ['x\u0000'], { 'k\u0000': 'v' }])); break;
      case 'deep': {
        const nested = rng() < 0.5 ? deepNest(10_000, '[', ']', '1') : deepNest(10_000, '{"a":', '}', '1');
        text = JSON.stringify(body).replace(/^\{/, `{"${at[0]}":${nested},`);
        break;
      }
      case 'duplicate': text = JSON.stringify(body).replace(/^\{/, `{"${at[0]}":${JSON.stringify(randomScalar(rng))},`); break;
      default: break;
    }
  }
  if (raw !== undefined) return { body: raw, label: labels.join(' ') };
  return { body: Buffer.from(text ?? JSON.stringify(body)), label: labels.join(' ') };
}

function createQuery(rng: Rng, index: number, world: FuzzWorld): string {
  const name = pick(rng, [
    '',
    `?name=fuzz-${index}`,
    `?name=fuzz-${index}`,
    `?name=${pick(rng, world.containers)}`,
    `?name=${pick(rng, TRAVERSALS)}`,
    `?name=fuzz-${index}&name=other-${index}`,
    `?name=${'n'.repeat(5000)}`,
    `?name=fuzz-${index}&platform=${pick(rng, ['linux', 'linux/amd64', 'windows', '%zz', 'linux//x'])}`,
  ]);
  return name;
}

/** Case `index` of the seeded sequence: the same seed and index always give the same request. */
export function makeCase(seed: number, index: number, world: FuzzWorld): FuzzCase {
  const rng = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const kind = pick(rng, ['create', 'create', 'traversal', 'volume', 'version', 'query', 'method', 'contentType', 'volumeBody']);
  const base = { index, kind };
  switch (kind) {
    case 'create': {
      const { body, label } = mutatedCreateBody(rng, world);
      const version = rng() < 0.2 ? pick(rng, VERSIONS) : '';
      return { ...base, kind: `create ${label}`, method: 'POST', path: `${version}/containers/create${createQuery(rng, index, world)}`, headers: json, body };
    }
    case 'traversal': {
      const name = pick(rng, TRAVERSALS);
      return pick<FuzzCase>(rng, [
        { ...base, method: 'GET', path: `/containers/${name}/json` },
        { ...base, method: 'DELETE', path: `/containers/${name}?force=1&v=1` },
        { ...base, method: 'POST', path: `/containers/${name}/mount` },
        { ...base, method: 'GET', path: `/images/${name}/json` },
        { ...base, method: 'GET', path: `/volumes/${name}` },
        { ...base, method: 'DELETE', path: `/volumes/${name}` },
      ]);
    }
    case 'volume': {
      const body = { Name: pick(rng, BAD_VOLUME_NAMES), Driver: pick(rng, ['local', '', '../x', 'nope']), DriverOpts: pick<unknown>(rng, [{}, { type: 'none', device: '/etc', o: 'bind' }, { '../x': 'y' }, 'str', null]) };
      return { ...base, method: 'POST', path: '/volumes/create', headers: json, body: Buffer.from(JSON.stringify(body)) };
    }
    case 'version':
      return { ...base, method: pick(rng, ['GET', 'POST']), path: `${pick(rng, VERSIONS)}${pick(rng, ['/_ping', '/version', '/containers/json', '/info', '/volumes', '/nope'])}` };
    case 'query': {
      const garbage = pick(rng, [
        'filters=%7Bnope', 'filters=%5B%5D', 'filters=null', 'filters=%7B%22name%22%3A%22x%22%7D', 'filters=%7B%22status%22%3A%7B%22bogus%22%3Atrue%7D%7D',
        'filters=%7B%22label%22%3A%5B1%2C2%5D%7D', 'all=1&all=0&all=yes', 'limit=-5', 'limit=99999999999999999999', 'size=%ff',
        `filters=${'%7B'.repeat(5000)}`, `x=${'y'.repeat(8000)}`, 'filters=%7B%22id%22%3A%5B%22..%2F..%2Fetc%22%5D%7D', 'dangling=maybe', '%00=%00', '&&&==&',
      ]);
      const route = pick(rng, ['/containers/json', '/images/json', '/volumes', '/events?until=1&', '/containers/json?all=1&']);
      return { ...base, method: 'GET', path: `${route}${route.endsWith('&') ? '' : '?'}${garbage}` };
    }
    case 'method': {
      const route = pick(rng, [...KNOWN_PATHS, `/containers/no-such-${index}/json`, `/volumes/no-such-${index}`, `/images/no-such-${index}/json`, `/containers/no-such-${index}/unmount`]);
      // Only routes that change nothing for a name that does not exist, and no open-ended /events stream.
      const method = route === '/events' ? 'POST' : pick(rng, METHODS.filter((m) => !(m === 'POST' && route === '/containers/create') && !(m === 'POST' && route === '/volumes/create')));
      return { ...base, method, path: route, ...(rng() < 0.5 ? { headers: json, body: Buffer.from('{}') } : {}) };
    }
    case 'contentType': {
      const contentType = pick(rng, CONTENT_TYPES);
      return { ...base, method: 'POST', path: pick(rng, ['/containers/create', '/volumes/create']), headers: contentType === '' ? {} : { 'Content-Type': contentType }, body: Buffer.from(JSON.stringify({ Image: 'busybox', Name: 'x' })) };
    }
    default: {
      const body = pick(rng, ['{"Name":', '[]', 'null', '"str"', '1e999', `{"Name":"${'v'.repeat(MB)}"}`, deepNest(10_000, '{"a":', '}', '1'), '{"Labels":{"a":1}}', '{"DriverOpts":[1]}']);
      return { ...base, method: 'POST', path: '/volumes/create', headers: json, body: Buffer.from(body) };
    }
  }
}

// ---- the run -------------------------------------------------------------

export interface FuzzFinding {
  index: number;
  kind: string;
  request: string;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  byStatus: Record<string, number>;
  /** 5xx answers, no answers, and error answers without a JSON `{message}`. */
  findings: FuzzFinding[];
  /** Containers and volumes that valid requests made (the caller removes them). */
  createdContainers: string[];
  createdVolumes: string[];
  /** Containers that cases removed (a valid create of `/etc`, then `DELETE /containers//etc`). */
  removedByCases: number;
  seconds: number;
}

function describeRequest(c: FuzzCase): string {
  const body = c.body === undefined ? '' : ` body(${c.body.length} B)=${JSON.stringify(c.body.subarray(0, 160).toString('latin1'))}`;
  return `${c.method} ${c.path.length > 200 ? `${c.path.slice(0, 200)}...(${c.path.length})` : c.path}${body}`;
}

/**
 * Docker answers errors for API versions before 1.24 as text/plain (the
 * "too old" refusal included), so a version prefix below that, or one that
 * reads as below it, excuses a plain-text error.
 */
function plainTextErrorsExpected(urlPath: string): boolean {
  const m = /^\/v([^/]*)\//.exec(urlPath);
  if (m === null) return false;
  const [major, minor] = m[1].split('.').map((p) => Number(p === '' ? 0 : p));
  return !(major > 1 || (major === 1 && (minor ?? 0) >= 24));
}

/**
 * Node's HTTP parser refuses what never reaches the API (an unknown method
 * token, headers over its size limit) with a bare status and no body.
 */
export function isParserRefusal(answer: RawAnswer): boolean {
  return (answer.status === 400 || answer.status === 431) && answer.body.length === 0 && answer.headers['content-type'] === undefined;
}

function checkAnswer(c: FuzzCase, answer: RawAnswer): string | null {
  if (answer.status >= 500) return `status ${answer.status}: ${answer.body.subarray(0, 300).toString('utf8')}`;
  if (answer.status < 400 || c.method === 'HEAD' || isParserRefusal(answer)) return null;
  const contentType = answer.headers['content-type'] ?? '';
  if (contentType.startsWith('text/plain') && plainTextErrorsExpected(c.path) && answer.body.length > 0) return null;
  if (!contentType.startsWith('application/json')) return `status ${answer.status} with Content-Type ${answer.headers['content-type'] ?? '(none)'}: ${answer.body.subarray(0, 200).toString('utf8')}`;
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as { message?: unknown };
    if (typeof parsed.message !== 'string' || parsed.message === '') return `status ${answer.status} without a message: ${answer.body.subarray(0, 200).toString('utf8')}`;
  } catch {
    return `status ${answer.status}, body not JSON: ${answer.body.subarray(0, 200).toString('utf8')}`;
  }
  return null;
}

export interface FuzzOptions {
  socket: string;
  seed: number;
  cases: number;
  world: FuzzWorld;
  /** Requests in flight at once. */
  workers?: number;
  timeoutMs?: number;
  /** Called every `progressEvery` cases. */
  onProgress?: (done: number) => void;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = process.hrtime.bigint();
  const byStatus: Record<string, number> = {};
  const findings: FuzzFinding[] = [];
  const createdContainers: string[] = [];
  const createdVolumes: string[] = [];
  let removedByCases = 0;
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < options.cases; index = next++) {
      const c = makeCase(options.seed, index, options.world);
      let answer: RawAnswer;
      try {
        answer = await rawRequest(options.socket, c, options.timeoutMs ?? 30_000);
      } catch (err) {
        byStatus.none = (byStatus.none ?? 0) + 1;
        findings.push({ index, kind: c.kind, request: describeRequest(c), problem: `no answer: ${errorText(err)}` });
        continue;
      }
      const key = isParserRefusal(answer) ? `${answer.status}-parser` : String(answer.status);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      const problem = checkAnswer(c, answer);
      if (problem !== null) findings.push({ index, kind: c.kind, request: describeRequest(c), problem });
      if (answer.status === 201) {
        const made = JSON.parse(answer.body.toString('utf8')) as { Id?: string; Name?: string };
        if (c.path.includes('/containers/create') && made.Id !== undefined) createdContainers.push(made.Id);
        else if (c.path.includes('/volumes/create') && made.Name !== undefined) createdVolumes.push(made.Name);
      }
      if (answer.status === 204 && c.method === 'DELETE' && c.path.startsWith('/containers/')) removedByCases++;
      done++;
      if (options.onProgress !== undefined && done % 1000 === 0) options.onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: options.workers ?? 4 }, worker));
  findings.sort((a, b) => a.index - b.index);
  return { seed: options.seed, cases: options.cases, byStatus, findings, createdContainers, createdVolumes, removedByCases, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/**
 * Removes what valid cases created: the containers (with their anonymous
 * volumes), then the named volumes they or a volume create brought into being.
 */
export async function removeCreated(engine: Engine, report: FuzzReport, volumesBefore: readonly string[]): Promise<{ containers: number; alreadyGone: number; volumes: string[] }> {
  const namedByCreates = new Set<string>();
  let alreadyGone = 0;
  for (const id of report.createdContainers) {
    if (!engine.containers.list({ all: true, filters: { id: [id] } }).some((c) => c.Id === id)) {
      alreadyGone++;
      continue;
    }
    for (const m of engine.containers.inspect(id).Mounts) if (m.Type === 'volume' && m.Name !== undefined) namedByCreates.add(m.Name);
    await engine.containers.remove(id, { v: true });
  }
  const keep = new Set(volumesBefore);
  const removed: string[] = [];
  for (const name of [...namedByCreates, ...report.createdVolumes]) {
    if (keep.has(name) || removed.includes(name)) continue;
    const exists = engine.volumes.list().Volumes.some((v) => v.Name === name);
    if (!exists) continue;
    await engine.volumes.remove(name);
    removed.push(name);
  }
  return { containers: report.createdContainers.length - alreadyGone, alreadyGone, volumes: removed };
}

/** The world the fuzzer runs against: two containers, two named volumes, one in use. */
export async function populate(engine: Engine): Promise<FuzzWorld> {
  await engine.volumes.create({ Name: 'fuzz-keep' });
  await engine.volumes.create({ Name: 'fuzz-shared' });
  await engine.containers.create({ name: 'fuzz-a', config: { Image: BUSYBOX, Cmd: ['true'] } });
  await engine.containers.create({ name: 'fuzz-b', config: { Image: BUSYBOX }, hostConfig: { Binds: ['fuzz-shared:/s'], Links: ['fuzz-a:alias'] } });
  return { containers: ['fuzz-a', 'fuzz-b'], volumes: ['fuzz-keep', 'fuzz-shared'] };
}

// ---- the script ------------------------------------------------------------

export async function main(args: string[]): Promise<number> {
  let cases = 20_000;
  let seed: number | undefined;
  let workers = 4;
  try {
    parseFlags(args, (flag, value) => {
      if (flag === '--cases') cases = positiveInt(flag, value());
      else if (flag === '--seed') seed = Number(value()) >>> 0;
      else if (flag === '--workers') workers = positiveInt(flag, value());
      else return false;
      return true;
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\nusage: stress fuzz [--cases N (20000)] [--seed S] [--workers W (4)]\n`);
    return 2;
  }
  const chosen = chooseSeed(seed);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-stress-'));
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  const socket = path.join(dir, 'run', 'berth.sock');
  const daemon = await runDaemon({ root: path.join(dir, 'root'), hosts: [`unix://${socket}`], logLevel: 'silent', logStream: new PassThrough().resume() });
  try {
    await loadBusybox(daemon.engine, dir);
    const world = await populate(daemon.engine);
    const before = await engineState(daemon.engine);
    const rssBefore = process.memoryUsage().rss;
    console.log(`fuzz: seed ${chosen}, ${cases} cases, ${workers} in flight`);
    const report = await runFuzz({ socket, seed: chosen, cases, world, workers, onProgress: (n) => console.log(`  ${n} cases`) });
    const rssAfter = process.memoryUsage().rss;
    const ping = await rawRequest(socket, { method: 'GET', path: '/_ping' }).then((a) => a.status, () => 0);
    const cleaned = await removeCreated(daemon.engine, report, before.volumes);
    const after = await engineState(daemon.engine);
    const drift = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    console.log(`answers by status: ${Object.entries(report.byStatus).map(([s, n]) => `${s}=${n}`).join(' ')}`);
    console.log(`${(report.cases / report.seconds).toFixed(0)} cases/s over ${report.seconds.toFixed(1)} s; rss ${(rssBefore / MB).toFixed(0)} -> ${(rssAfter / MB).toFixed(0)} MB`);
    console.log(`valid requests created ${cleaned.containers} containers and ${cleaned.volumes.length} volumes (removed)`);
    for (const f of report.findings) console.log(`FINDING #${f.index} [${f.kind}] ${f.request}\n    ${f.problem}`);
    for (const k of drift) console.log(`STATE DRIFT ${k}: before ${JSON.stringify(before[k])} after ${JSON.stringify(after[k])}`);
    if (ping !== 200) console.log(`DAEMON DOWN: /_ping answered ${ping}`);
    for (const r of rejections) console.log(`UNHANDLED REJECTION: ${errorText(r)}`);
    if (cleaned.alreadyGone > report.removedByCases) console.log(`VANISHED: ${cleaned.alreadyGone} created containers gone, only ${report.removedByCases} removed by cases`);
    const ok = cleaned.alreadyGone <= report.removedByCases && report.findings.length === 0 && drift.length === 0 && ping === 200 && rejections.length === 0;
    console.log(JSON.stringify({
      bench: 'stress-fuzz', seed: chosen, cases, workers, seconds: report.seconds, casesPerSecond: report.cases / report.seconds, byStatus: report.byStatus,
      findings: report.findings.length, fiveHundreds: report.findings.filter((f) => f.problem.startsWith('status 5')).length, stateDrift: drift,
      unhandledRejections: rejections.length, rssBefore, rssAfter, ok,
    }));
    return ok ? 0 : 1;
  } finally {
    process.off('unhandledRejection', onRejection);
    await daemon.close();
    await removeTree(dir);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
