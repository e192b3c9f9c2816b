// Requests a daemon must refuse without changing anything: each is answered
// with a Docker-shaped error, the daemon keeps serving, and the engine root is
// the same file for file afterwards.
import * as http from 'node:http';
import { startTestDaemon, type TestDaemon } from '../../support/daemon';
import { describeAsRoot, snapshotTree } from '../../support/temp-root';
import { writeBusybox } from './fixtures';

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** Sends `body` in `chunkSize` pieces (chunked when `chunked`), then reads the answer. */
function send(socket: string, method: string, urlPath: string, headers: Record<string, string>, body?: Buffer, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: urlPath, headers: { ...headers, ...(body && !chunked ? { 'content-length': String(body.length) } : {}) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body === undefined) {
      req.end();
      return;
    }
    const chunkSize = 1024 * 1024;
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + chunkSize);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

const json = { 'content-type': 'application/json' };

describeAsRoot('bad requests', () => {
  let d: TestDaemon;
  let before: string[];

  beforeAll(async () => {
    d = await startTestDaemon();
    const busybox = await writeBusybox(d.dir);
    await d.dockerOk('load', '-i', busybox.archive);
    await d.dockerOk('volume', 'create', 'keep');
    before = await snapshotTree(d.root);
  });
  afterAll(async () => {
    await d?.stop();
  });

  afterEach(async () => {
    const ping = await d.request('/_ping');
    expect(ping.status).toBe(200);
    expect(ping.body).toBe('OK');
  });

  const cases: Array<[string, string, string, Record<string, string>, Buffer | undefined, number, RegExp]> = [
    ['malformed JSON', 'POST', '/containers/create', json, Buffer.from('{"Image": "busybox",'), 400, /^invalid JSON: /],
    ['wrong Content-Type', 'POST', '/containers/create', { 'content-type': 'text/plain' }, Buffer.from('{"Image":"busybox"}'), 400, /^unsupported Content-Type header \(text\/plain\): must be 'application\/json'$/],
    ['a body and no Content-Type', 'POST', '/v1.50/containers/create', {}, Buffer.from('{"Image":"busybox"}'), 400, /must be 'application\/json'/],
    ['an array body', 'POST', '/containers/create', json, Buffer.from('[{"Image":"busybox"}]'), 400, /must be a JSON object/],
    ['a null body', 'POST', '/containers/create', json, Buffer.from('null'), 400, /config cannot be empty/i],
    ['a field of the wrong type', 'POST', '/containers/create', json, Buffer.from('{"Image":"busybox","Env":"A=1"}'), 400, /Env/],
    ['a bad container name', 'POST', '/containers/create?name=-x', json, Buffer.from('{"Image":"busybox"}'), 400, /Invalid container name/],
    ['a missing image', 'POST', '/containers/create', json, Buffer.from('{"Image":"nope:1"}'), 404, /^No such image: nope:1$/],
    ['a too old version', 'GET', '/v0.1/containers/json', {}, undefined, 400, /client version 0\.1 is too old/],
    ['a too new version', 'POST', '/v9.99/containers/create', json, Buffer.from('{"Image":"busybox"}'), 400, /client version 9\.99 is too new/],
    ['a version that is no version', 'GET', '/vabc/containers/json', {}, undefined, 404, /^page not found$/],
    ['bad filters JSON', 'GET', '/containers/json?filters=%7Bnope', {}, undefined, 400, /^invalid filters/],
    ['filters of the wrong shape', 'GET', '/volumes?filters=%7B%22name%22%3A%22x%22%7D', {}, undefined, 400, /^invalid filters/],
    ['an unknown filter', 'GET', '/images/json?filters=%7B%22nope%22%3A%5B%22x%22%5D%7D', {}, undefined, 400, /^invalid filter 'nope'$/],
    ['an unknown route', 'GET', '/containers/web/logs', {}, undefined, 404, /^page not found$/],
    ['an unknown method', 'PUT', '/containers/create', json, Buffer.from('{}'), 404, /^page not found$/],
    ['a bad percent-encoding', 'GET', '/containers/%zz/json', {}, undefined, 400, /./],
    ['a bad volume body', 'POST', '/volumes/create', json, Buffer.from('{"Name":["x"]}'), 400, /Name/],
    ['a bad X-Registry-Auth', 'POST', '/images/create?fromImage=busybox&tag=latest', { 'x-registry-auth': '!!!' }, undefined, 400, /^invalid X-Registry-Auth header/],
    ['a bad platform', 'POST', '/images/create?fromImage=busybox&tag=latest&platform=linux//x', {}, undefined, 400, /^invalid platform/],
    ['events until before since', 'GET', '/events?since=20&until=10', {}, undefined, 400, /cannot be after/],
  ];

  test.each(cases)('%s', async (_what, method, urlPath, headers, body, status, message) => {
    const answer = await send(d.socket, method, urlPath, headers, body);
    expect(answer.status).toBe(status);
    const text = answer.contentType === 'application/json' ? (JSON.parse(answer.body) as { message: string }).message : answer.body.trim();
    if (!urlPath.startsWith('/v0.1/')) expect(answer.contentType).toBe('application/json');
    expect(text).toMatch(message);
  });

  test('a load of garbage is an error answer, with nothing loaded', async () => {
    // Which class (400 or 500) is the loader's to say: tar-stream's errors carry no code today.
    const answer = await send(d.socket, 'POST', '/images/load', { 'content-type': 'application/x-tar' }, Buffer.from('not a tar at all'));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.contentType).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({ message: expect.any(String) });
  });

  test('a 64 MiB body is refused with 413, read to its end, connection closed', async () => {
    const answer = await send(d.socket, 'POST', '/containers/create', json, Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ message: expect.stringMatching(/too large/) });
  });

  test('a chunked body past the limit is cut off too', async () => {
    const answer = await send(d.socket, 'POST', '/volumes/create', json, Buffer.alloc(8 * 1024 * 1024, 0x20), true);
    expect(answer.status).toBe(413);
  });

  test('nothing under the root changed, and no container exists', async () => {
    expect(await snapshotTree(d.root)).toEqual(before);
    expect(JSON.parse((await d.request('/containers/json?all=1')).body)).toEqual([]);
  });
});
