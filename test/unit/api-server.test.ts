// The API server against a fake engine, on a unix socket in a temp dir (no
// root, no mounts): routing, headers, versions, bodies, error mapping, streams.
// (fastify's inject needs light-my-request, whose cookie dependency is ESM
// that jest cannot load; a real socket tests more anyway.)
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import pino from 'pino';
import { type ApiServer, buildApiServer } from '../../src/api/server';
import type { ContainerCreateRequest, ContainerSummary, VolumeInspect } from '../../src/container/types';
import type { Engine, ImageInspect, ImageSummary } from '../../src/engine/engine';
import { EventBus } from '../../src/engine/events';
import { conflict, invalidParameter, notFound } from '../../src/errors';
import type { JSONMessage } from '../../src/image/pull';

interface Calls {
  create: ContainerCreateRequest[];
  remove: Array<{ id: string; options: unknown }>;
  list: unknown[];
  pull: Array<{ reference: string; options: Record<string, unknown> }>;
  tag: Array<[string, string]>;
  rmi: Array<{ reference: string; options: unknown }>;
  volumeCreate: unknown[];
  loaded: string[];
  mounted: string[];
}

const IMAGE_ID = `sha256:${'1'.repeat(64)}`;

function fakeEngine() {
  const calls: Calls = { create: [], remove: [], list: [], pull: [], tag: [], rmi: [], volumeCreate: [], loaded: [], mounted: [] };
  const behaviour: {
    create: (r: ContainerCreateRequest) => Promise<{ Id: string; Warnings: string[] }>;
    pull: (reference: string, onProgress: (m: JSONMessage) => void) => Promise<void>;
    containers: ContainerSummary[];
  } = {
    create: async () => ({ Id: 'c'.repeat(64), Warnings: [] }),
    pull: async (_r, onProgress) => {
      onProgress({ status: 'Pulling from library/busybox', id: 'latest' });
      onProgress({ status: 'Status: Downloaded newer image for busybox:latest' });
    },
    containers: [],
  };
  const events = new EventBus();
  const engine = {
    root: '/fake/root',
    driver: { name: 'vfs', status: (): Array<[string, string]> => [['Backing Filesystem', 'tmpfs']] },
    events,
    containers: {
      create: async (r: ContainerCreateRequest) => {
        calls.create.push(r);
        return behaviour.create(r);
      },
      inspect: (id: string) => {
        if (id !== 'web') throw notFound(`No such container: ${id}`);
        return { Id: 'c'.repeat(64), Name: '/web' };
      },
      list: (options: unknown) => {
        calls.list.push(options);
        return behaviour.containers;
      },
      mount: async (id: string) => {
        if (id !== 'web') throw notFound(`No such container: ${id}`);
        calls.mounted.push(id);
        return '/fake/root/overlay2/x/merged';
      },
      unmount: async (id: string) => {
        calls.mounted.splice(calls.mounted.indexOf(id), 1);
      },
      remove: async (id: string, options: unknown) => {
        calls.remove.push({ id, options });
        if (id === 'busy') throw conflict('You cannot remove a running container');
      },
    },
    images: {
      list: (): ImageSummary[] => [
        { Id: IMAGE_ID, ParentId: '', RepoTags: ['busybox:latest'], RepoDigests: [], Created: 1, Size: 1, SharedSize: -1, Labels: null, Containers: -1 },
      ],
      inspect: (name: string): ImageInspect => {
        if (name !== 'busybox' && name !== '127.0.0.1:5000/a/b:1') throw notFound(`No such image: ${name}`);
        return { Id: IMAGE_ID, RepoTags: [name] } as unknown as ImageInspect;
      },
      pull: async (reference: string, options: Record<string, unknown> & { onProgress: (m: JSONMessage) => void }) => {
        calls.pull.push({ reference, options });
        await behaviour.pull(reference, options.onProgress);
        return {} as ImageInspect;
      },
      load: async (source: Readable, options: { onMessage: (l: string) => void }) => {
        const chunks: Buffer[] = [];
        for await (const c of source) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString();
        calls.loaded.push(text);
        if (text === 'bad') throw invalidParameter('invalid tar header');
        options.onMessage('Loaded image: busybox:latest');
        return [{ id: IMAGE_ID, tags: ['busybox:latest'] }];
      },
      import: async () => ({ id: IMAGE_ID, tags: [] }),
      tag: async (source: string, target: string) => {
        calls.tag.push([source, target]);
      },
      remove: async (reference: string, options: unknown) => {
        calls.rmi.push({ reference, options });
        return [{ Untagged: 'busybox:latest' }, { Deleted: IMAGE_ID }];
      },
    },
    volumes: {
      create: async (body: unknown) => {
        calls.volumeCreate.push(body);
        return { Name: 'v', Driver: 'local', Mountpoint: '/x', CreatedAt: '', Labels: null, Scope: 'local', Options: null } satisfies VolumeInspect;
      },
      inspect: (name: string) => {
        throw notFound(`get ${name}: no such volume`);
      },
      list: () => ({ Volumes: [], Warnings: [] }),
      remove: async () => undefined,
    },
  };
  return { engine: engine as unknown as Engine, calls, behaviour, events };
}

let api: ApiServer;
let fake: ReturnType<typeof fakeEngine>;
let dir: string;
let server: http.Server;
let socket: string;

beforeEach(async () => {
  fake = fakeEngine();
  api = await buildApiServer(fake.engine, { logger: pino({ level: 'silent' }) });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-test-api-'));
  socket = path.join(dir, 'api.sock');
  server = http.createServer(api.handler);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterEach(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await api.close();
  await fs.rm(dir, { recursive: true, force: true });
});

interface InjectOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

interface Answer {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

function inject(options: InjectOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, path: options.url, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    req.end(options.payload);
  });
}

interface EventLine {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}
const eventLines = (body: string): EventLine[] => body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventLine);
const json = 'application/json';

describe('every answer', () => {
  test('carries the engine headers, errors and 404s too', async () => {
    for (const url of ['/_ping', '/nope', '/containers/nope/json', '/v0.1/_ping']) {
      const res = await inject({ url });
      expect(res.headers['api-version']).toBe('1.50');
      expect(res.headers['ostype']).toBe('linux');
      expect(res.headers['docker-experimental']).toBe('false');
      expect(res.headers['server']).toMatch(/^berth\/\d+\.\d+\.\d+ \(linux\)$/);
    }
  });

  test('_ping answers GET and HEAD with no-cache headers', async () => {
    const get = await inject({ url: '/_ping' });
    expect(get.statusCode).toBe(200);
    expect(get.body).toBe('OK');
    expect(get.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(get.headers['pragma']).toBe('no-cache');
    const head = await inject({ method: 'HEAD', url: '/v1.50/_ping' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  test('unknown routes are 404 page not found, as JSON', async () => {
    for (const url of ['/nope', '/v1.50/nope', '/vabc/_ping', '/images/busybox/history']) {
      const res = await inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toBe(json);
      expect(res.json()).toEqual({ message: 'page not found' });
    }
  });
});

describe('versions', () => {
  test('with and without the prefix', async () => {
    expect((await inject({ url: '/version' })).json().ApiVersion).toBe('1.50');
    expect((await inject({ url: '/v1.12/version' })).statusCode).toBe(200);
    expect((await inject({ url: '/v1.50/version' })).json().MinAPIVersion).toBe('1.12');
  });

  test('too new is a JSON 400; too old a plain-text one (older clients read text)', async () => {
    const tooNew = await inject({ url: '/v9.99/_ping' });
    expect(tooNew.statusCode).toBe(400);
    expect(tooNew.headers['content-type']).toBe(json);
    expect(tooNew.json().message).toBe('client version 9.99 is too new. Maximum supported API version is 1.50');
    const tooOld = await inject({ url: '/v0.1/_ping' });
    expect(tooOld.statusCode).toBe(400);
    expect(tooOld.headers['content-type']).toMatch(/^text\/plain/);
    expect(tooOld.body).toMatch(/^client version 0.1 is too old\. Minimum supported API version is 1\.12/);
  });

  test('errors are plain text below 1.24', async () => {
    const res = await inject({ url: '/v1.23/containers/nope/json' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('No such container: nope\n');
  });

  test('the request version reaches the engine', async () => {
    await inject({ method: 'POST', url: '/v1.41/containers/create', headers: { 'content-type': json }, payload: '{"Image":"busybox"}' });
    await inject({ method: 'POST', url: '/containers/create', headers: { 'content-type': json }, payload: '{"Image":"busybox"}' });
    expect(fake.calls.create.map((c) => c.apiVersion)).toEqual(['1.41', undefined]);
  });
});

describe('POST /containers/create', () => {
  const create = (payload: string | Buffer, headers: Record<string, string> = { 'content-type': json }, query = '') =>
    inject({ method: 'POST', url: `/containers/create${query}`, headers, payload });

  test('splits the body, keeps unknown fields, passes name and platform, answers 201', async () => {
    const body = {
      Image: 'busybox',
      Env: ['A=1'],
      FutureField: { x: 1 },
      HostConfig: { Binds: ['/a:/b'], FutureHostField: true },
      NetworkingConfig: { EndpointsConfig: {} },
    };
    const res = await create(JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8' }, '?name=web&platform=linux/amd64');
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe(json);
    expect(res.json()).toEqual({ Id: 'c'.repeat(64), Warnings: [] });
    expect(fake.calls.create).toEqual([
      {
        name: 'web',
        platform: 'linux/amd64',
        config: { Image: 'busybox', Env: ['A=1'], FutureField: { x: 1 } },
        hostConfig: { Binds: ['/a:/b'], FutureHostField: true },
        networkingConfig: { EndpointsConfig: {} },
      },
    ]);
  });

  test('Warnings are never null', async () => {
    fake.behaviour.create = async () => ({ Id: 'x', Warnings: null as unknown as string[] });
    expect((await create('{"Image":"busybox"}')).json()).toEqual({ Id: 'x', Warnings: [] });
  });

  test('a body of another type is a 400 with Docker text, not a 415', async () => {
    const res = await create('{"Image":"busybox"}', { 'content-type': 'text/plain' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe("unsupported Content-Type header (text/plain): must be 'application/json'");
    expect(fake.calls.create).toEqual([]);
  });

  test('no body at all reaches the engine as no config (its error to give)', async () => {
    const res = await inject({ method: 'POST', url: '/containers/create' });
    expect(res.statusCode).toBe(201);
    expect(fake.calls.create[0].config).toBeUndefined();
  });

  test.each([
    ['malformed JSON', '{"Image":', /^invalid JSON: /],
    ['an array', '[]', /must be a JSON object, not an array/],
    ['a string', '"busybox"', /must be a JSON object, not a string/],
    ['a number', '42', /must be a JSON object, not a number/],
  ])('%s is a 400', async (_what, payload, message) => {
    const res = await create(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe(json);
    expect(res.json().message).toMatch(message);
    expect(fake.calls.create).toEqual([]);
  });

  test('a body over 4 MiB is refused before the engine sees it', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const res = await create(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/too large/);
    expect(fake.calls.create).toEqual([]);
  });

  test('engine errors map to 400, 404, 409 and 500', async () => {
    const cases: Array<[Error, number]> = [
      [invalidParameter('no command specified'), 400],
      [notFound('No such image: nope:latest'), 404],
      [conflict('Conflict. The container name "/web" is already in use'), 409],
      [new Error('disk on fire'), 500],
      [Object.assign(new Error('EIO: mount'), { code: 'ENOENT', syscall: 'mount' }), 500],
    ];
    for (const [error, status] of cases) {
      fake.behaviour.create = async () => {
        throw error;
      };
      const res = await create('{"Image":"x"}');
      expect(res.statusCode).toBe(status);
      expect(res.json()).toEqual({ message: error.message });
    }
  });
});

describe('containers', () => {
  test('list: booleans, limit and both filter shapes', async () => {
    await inject({ url: '/containers/json?all=1&limit=3&filters=' + encodeURIComponent('{"name":["web"]}') });
    await inject({ url: '/containers/json?all=True&filters=' + encodeURIComponent('{"label":{"a=b":true}}') });
    await inject({ url: '/containers/json?all=0&limit=-1' });
    expect(fake.calls.list).toEqual([
      { all: true, limit: 3, filters: { name: ['web'] } },
      { all: true, filters: { label: ['a=b'] } },
      { all: false, filters: {} },
    ]);
  });

  test('list: bad filters are 400 and reach nothing', async () => {
    const res = await inject({ url: '/containers/json?filters=%7Bbad' });
    expect(res.statusCode).toBe(400);
    expect(fake.calls.list).toEqual([]);
  });

  test('inspect and remove', async () => {
    expect((await inject({ url: '/containers/web/json' })).json().Name).toBe('/web');
    const res = await inject({ method: 'DELETE', url: '/containers/web?force=1&v=true&link=0' });
    expect(res.statusCode).toBe(204);
    expect((await inject({ method: 'DELETE', url: '/v1.50/containers/app/db?link=1' })).statusCode).toBe(204);
    expect(fake.calls.remove).toEqual([
      { id: 'web', options: { force: true, v: true, link: false } },
      { id: 'app/db', options: { force: false, v: false, link: true } },
    ]);
    expect((await inject({ method: 'DELETE', url: '/containers/busy' })).statusCode).toBe(409);
  });
});

describe("berth's mount endpoints", () => {
  test('mount answers the path, unmount 204', async () => {
    const mounted = await inject({ method: 'POST', url: '/v1.50/containers/web/mount' });
    expect(mounted.statusCode).toBe(200);
    expect(mounted.json()).toEqual({ Path: '/fake/root/overlay2/x/merged' });
    expect(fake.calls.mounted).toEqual(['web']);
    expect((await inject({ method: 'POST', url: '/containers/web/unmount' })).statusCode).toBe(204);
    expect(fake.calls.mounted).toEqual([]);
    expect((await inject({ method: 'POST', url: '/containers/nope/mount' })).statusCode).toBe(404);
  });
});

describe('images', () => {
  test('inspect a name with slashes and a port', async () => {
    const res = await inject({ url: '/images/127.0.0.1:5000/a/b:1/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().RepoTags).toEqual(['127.0.0.1:5000/a/b:1']);
    expect((await inject({ url: '/images/nope/json' })).statusCode).toBe(404);
  });

  test('tag answers 201', async () => {
    const res = await inject({ method: 'POST', url: '/images/busybox/tag?repo=127.0.0.1:5000/me/box&tag=2' });
    expect(res.statusCode).toBe(201);
    expect(fake.calls.tag).toEqual([['busybox', '127.0.0.1:5000/me/box:2']]);
  });

  test('remove passes the containers using the image', async () => {
    fake.behaviour.containers = [
      { Id: 'c1', ImageID: IMAGE_ID } as ContainerSummary,
      { Id: 'c2', ImageID: `sha256:${'2'.repeat(64)}` } as ContainerSummary,
    ];
    const res = await inject({ method: 'DELETE', url: '/images/busybox?force=1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([{ Untagged: 'busybox:latest' }, { Deleted: IMAGE_ID }]);
    expect(fake.calls.rmi).toEqual([{ reference: 'busybox', options: { force: true, usedBy: ['c1'] } }]);
  });

  test('pull streams messages, each ending in CRLF, with the credentials given', async () => {
    const auth = Buffer.from(JSON.stringify({ username: 'u', password: 'p' })).toString('base64url');
    const res = await inject({ method: 'POST', url: '/images/create?fromImage=busybox&tag=latest', headers: { 'x-registry-auth': auth } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(json);
    expect(res.body).toBe(
      '{"status":"Pulling from library/busybox","id":"latest"}\r\n{"status":"Status: Downloaded newer image for busybox:latest"}\r\n',
    );
    expect(fake.calls.pull[0].reference).toBe('busybox:latest');
    expect(fake.calls.pull[0].options).toMatchObject({ username: 'u', password: 'p' });
  });

  test('a pull failing before its first message is an HTTP error; after it, in-band', async () => {
    fake.behaviour.pull = async () => {
      throw notFound('manifest for busybox:nope not found');
    };
    const early = await inject({ method: 'POST', url: '/images/create?fromImage=busybox&tag=nope' });
    expect(early.statusCode).toBe(404);
    expect(early.json()).toEqual({ message: 'manifest for busybox:nope not found' });

    fake.behaviour.pull = async (_r, onProgress) => {
      onProgress({ status: 'Pulling fs layer', id: 'abc' });
      throw new Error('connection reset');
    };
    const late = await inject({ method: 'POST', url: '/images/create?fromImage=busybox&tag=latest' });
    expect(late.statusCode).toBe(200);
    const lines = late.body.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines[lines.length - 1]).toEqual({ errorDetail: { message: 'connection reset' }, error: 'connection reset' });
  });

  test('a client leaving mid-pull neither stops the daemon nor breaks the pull', async () => {
    let carryOn!: () => void;
    const resumed = new Promise<void>((r) => (carryOn = r));
    let finished = false;
    fake.behaviour.pull = async (_r, onProgress) => {
      onProgress({ status: 'Pulling fs layer', id: 'abc' });
      await resumed;
      for (let i = 0; i < 100; i++) onProgress({ status: 'Downloading', id: 'abc', progressDetail: { current: i, total: 100 } });
      finished = true;
    };
    await new Promise<void>((resolve) => {
      const req = http.request({ socketPath: socket, method: 'POST', path: '/images/create?fromImage=busybox&tag=latest', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end();
    });
    carryOn();
    while (!finished) await new Promise((r) => setImmediate(r));
    expect((await inject({ url: '/_ping' })).body).toBe('OK');
  });

  test('create needs fromImage or fromSrc', async () => {
    expect((await inject({ method: 'POST', url: '/images/create' })).statusCode).toBe(400);
  });

  test('load streams the body to the engine and answers stream lines', async () => {
    const res = await inject({ method: 'POST', url: '/images/load?quiet=1', headers: { 'content-type': 'application/x-tar' }, payload: 'TARBYTES' });
    expect(res.statusCode).toBe(200);
    expect(fake.calls.loaded).toEqual(['TARBYTES']);
    expect(res.body).toBe('{"stream":"Loaded image: busybox:latest\\n"}\r\n');
    const bad = await inject({ method: 'POST', url: '/images/load', headers: { 'content-type': 'application/x-tar' }, payload: 'bad' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('invalid tar header');
  });

  test('list applies filters, and refuses unknown ones', async () => {
    expect((await inject({ url: '/images/json?filters=' + encodeURIComponent('{"reference":["busybox"]}') })).json()).toHaveLength(1);
    expect((await inject({ url: '/images/json?filters=' + encodeURIComponent('{"reference":["alpine"]}') })).json()).toHaveLength(0);
    expect((await inject({ url: '/images/json?filters=' + encodeURIComponent('{"nope":["x"]}') })).statusCode).toBe(400);
  });
});

describe('volumes', () => {
  test('create validates field types by schema and keeps the rest', async () => {
    const ok = await inject({ method: 'POST', url: '/volumes/create', headers: { 'content-type': json }, payload: '{"Name":"v","Labels":{"a":"b"},"Extra":1}' });
    expect(ok.statusCode).toBe(201);
    expect(fake.calls.volumeCreate).toEqual([{ Name: 'v', Labels: { a: 'b' }, Extra: 1 }]);
    const bad = await inject({ method: 'POST', url: '/volumes/create', headers: { 'content-type': json }, payload: '{"Name":5}' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/Name/);
    const badLabels = await inject({ method: 'POST', url: '/volumes/create', headers: { 'content-type': json }, payload: '{"Labels":{"a":1}}' });
    expect(badLabels.statusCode).toBe(400);
    expect(fake.calls.volumeCreate).toHaveLength(1);
  });

  test('an empty create body is an anonymous volume', async () => {
    expect((await inject({ method: 'POST', url: '/volumes/create' })).statusCode).toBe(201);
    expect(fake.calls.volumeCreate).toEqual([{}]);
  });

  test('list, inspect, remove', async () => {
    expect((await inject({ url: '/volumes' })).json()).toEqual({ Volumes: [], Warnings: [] });
    expect((await inject({ url: '/volumes?filters=' + encodeURIComponent('{"bogus":["x"]}') })).statusCode).toBe(400);
    expect((await inject({ url: '/volumes/nope' })).json()).toEqual({ message: 'get nope: no such volume' });
    expect((await inject({ method: 'DELETE', url: '/volumes/v?force=1' })).statusCode).toBe(204);
  });
});

describe('events', () => {
  test('replays kept events between since and until, filtered', async () => {
    const first = fake.events.emit('container', 'create', 'a'.repeat(64), { name: 'web', image: 'busybox' });
    fake.events.emit('image', 'tag', IMAGE_ID, { name: 'busybox:latest' });
    const last = fake.events.emit('container', 'destroy', 'a'.repeat(64), { name: 'web', image: 'busybox' });
    // Nanosecond times exceed a double's precision: bounds keep a millisecond's margin.
    const sec = (ns: number): string => `${Math.floor(ns / 1e9)}.${String(Math.floor(ns % 1e9)).padStart(9, '0')}`;
    const typeContainer = '&filters=' + encodeURIComponent('{"type":["container"]}');
    const res = await inject({ url: `/events?since=${sec(first.timeNano - 1e9)}&until=${sec(last.timeNano + 1e6)}${typeContainer}` });
    expect(res.statusCode).toBe(200);
    const got = eventLines(res.body);
    expect(got.map((e) => e.Action)).toEqual(['create', 'destroy']);
    expect(got[0].Actor.Attributes.name).toBe('web');
    const before = await inject({ url: `/events?since=${sec(first.timeNano - 2e9)}&until=${sec(first.timeNano - 1e9)}${typeContainer}` });
    expect(eventLines(before.body)).toEqual([]);
  });

  test('until before since, bad times and bad filters are 400s', async () => {
    expect((await inject({ url: '/events?since=20&until=10' })).statusCode).toBe(400);
    expect((await inject({ url: '/events?since=yesterday' })).statusCode).toBe(400);
    expect((await inject({ url: '/events?filters=' + encodeURIComponent('{"bogus":["x"]}') })).statusCode).toBe(400);
  });

  test('new events stream until the daemon shuts down', async () => {
    // The headers come once the stream is subscribed.
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ socketPath: socket, path: '/events', agent: false }, resolve).on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(json);
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => res.on('end', resolve));
    fake.events.emit('volume', 'create', 'v1', { driver: 'local' });
    api.beginShutdown();
    await ended;
    const got = eventLines(Buffer.concat(chunks).toString('utf8'));
    expect(got.map((e) => [e.Type, e.Action, e.Actor.ID])).toEqual([['volume', 'create', 'v1']]);
    // After shutdown began, new requests are refused.
    expect((await inject({ url: '/_ping' })).statusCode).toBe(503);
  });
});

describe('/info', () => {
  test('reports what docker info prints', async () => {
    const info = (await inject({ url: '/info' })).json();
    expect(info).toMatchObject({ Driver: 'vfs', DriverStatus: [['Backing Filesystem', 'tmpfs']], DockerRootDir: '/fake/root', OSType: 'linux', Images: 1, Containers: 0, Warnings: [] });
    expect(typeof info.NCPU).toBe('number');
    expect(typeof info.MemTotal).toBe('number');
    expect(typeof info.KernelVersion).toBe('string');
  });
});
