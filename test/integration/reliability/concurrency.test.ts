// 64 clients racing creates, removes, inspects and lists on one image, shared
// named volumes and a few contended names: only the expected answers, every
// request answered, one winner per same-name race, and afterwards everything
// removable with nothing left. Then the socket's guards (issue 6 §5) that
// test/integration/api/daemon.test.ts does not already cover.
// BERTH_CONCURRENCY_SEED reproduces a run; the seed is printed either way.
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runDaemon } from '../../../src/api/daemon';
import { createSharedVolumes, runConcurrency, sameNameRaces, settledRss, SHARED_VOLUMES, tearDown } from '../../../scripts/stress/concurrency';
import { chooseSeed, engineState } from '../../../scripts/stress/fuzz';
import { loadBusybox } from '../../support/container-fixtures';
import { startTestDaemon, type TestDaemon } from '../../support/daemon';
import { describeAsRoot, destroyTempRoot, makeTempRoot } from '../../support/temp-root';

const CLIENTS = 64;
const SECONDS = 10;
const MB = 1024 * 1024;
const quietLogs = { logLevel: 'silent', logStream: new PassThrough().resume() };

describeAsRoot('64 concurrent clients', () => {
  let d: TestDaemon;
  const seed = chooseSeed(process.env.BERTH_CONCURRENCY_SEED === undefined ? undefined : Number(process.env.BERTH_CONCURRENCY_SEED));

  beforeAll(async () => {
    d = await startTestDaemon({ logLevel: 'silent' });
    await loadBusybox(d.daemon.engine, d.dir);
    await createSharedVolumes(d.daemon.engine);
  });
  afterAll(async () => {
    await d?.stop();
  });

  test(`${SECONDS} s of create/remove/inspect/list, same-name races, then a clean teardown`, async () => {
    const rssBefore = settledRss();
    const report = await runConcurrency({ socket: d.socket, clients: CLIENTS, seconds: SECONDS, seed });
    const races = await sameNameRaces(d.socket, CLIENTS, 3);
    const rssAfter = settledRss();
    // eslint-disable-next-line no-console
    console.log(
      `concurrency seed ${seed}: ${report.requests} requests, ${report.requestsPerSecond.toFixed(0)}/s, slowest ${report.maxLatencyMs.toFixed(0)} ms; ` +
        `rss ${(rssBefore / MB).toFixed(0)} -> ${(rssAfter / MB).toFixed(0)} MB; ${JSON.stringify(report.answers)}; races ${JSON.stringify(races)}`,
    );
    expect(report.unexpected).toEqual([]);
    // The run raced for real: contended names were both won and refused.
    expect(report.answers['create-named 201'] ?? 0).toBeGreaterThan(0);
    expect(report.answers['create-named 409'] ?? 0).toBeGreaterThan(0);
    expect(races).toEqual(races.map((r) => ({ name: r.name, won: 1, statuses: { '201': 1, '409': CLIENTS - 1 } })));
    expect(rssAfter).toBeLessThan(rssBefore + 200 * MB);
    expect((await d.request('/_ping')).body).toBe('OK');

    const teardown = await tearDown(d.socket);
    expect(teardown.sharedVolumeRemovals).toEqual(Object.fromEntries(SHARED_VOLUMES.map((v) => [v, 204])));
    expect(teardown.volumesLeft).toEqual([]);
    expect(teardown.imageRemoval).toBe(200);
    const state = await engineState(d.daemon.engine);
    expect(state).toEqual({ containers: [], containerDirs: [], layers: [], mountRecords: [], volumes: [], volumeDirs: [], links: [], mounts: [], tmp: [] });
  });
});

describeAsRoot('socket guards', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = makeTempRoot();
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await destroyTempRoot(dir);
  });

  test('a world-writable directory anywhere above the socket is refused; a sticky one is not', async () => {
    const dir = tempDir();
    const open = path.join(dir, 'open');
    const privateDir = path.join(open, 'private');
    await fs.mkdir(privateDir, { recursive: true, mode: 0o700 });
    await fs.chmod(open, 0o777);
    const root = path.join(dir, 'root');
    await expect(runDaemon({ root, hosts: [`unix://${privateDir}/berth.sock`], ...quietLogs })).rejects.toThrow(/writable by other users/);
    await expect(fs.access(root)).rejects.toMatchObject({ code: 'ENOENT' });
    // Group-writable is as unsafe as world-writable.
    await fs.chmod(open, 0o770);
    await expect(runDaemon({ root, hosts: [`unix://${privateDir}/berth.sock`], ...quietLogs })).rejects.toThrow(/writable by other users/);
    // With the sticky bit (as /tmp has) nobody can rename our socket away.
    await fs.chmod(open, 0o1777);
    const daemon = await runDaemon({ root, hosts: [`unix://${privateDir}/berth.sock`], ...quietLogs });
    await daemon.close();
  });

  test('a socket directory another user owns is refused', async () => {
    const dir = tempDir();
    const theirs = path.join(dir, 'theirs');
    await fs.mkdir(theirs, { mode: 0o755 });
    await fs.chown(theirs, 65534, 65534);
    await expect(runDaemon({ root: path.join(dir, 'root'), hosts: [`unix://${theirs}/berth.sock`], ...quietLogs })).rejects.toThrow(/belongs to uid 65534/);
  });

  test('a 100 MB body is refused before the client has sent it, and the daemon stays up', async () => {
    const dir = tempDir();
    const socket = path.join(dir, 'run', 'berth.sock');
    const daemon = await runDaemon({ root: path.join(dir, 'root'), hosts: [`unix://${socket}`], ...quietLogs });
    try {
      const rssBefore = process.memoryUsage().rss;
      const { status, sentWhenAnswered, body } = await new Promise<{ status: number; sentWhenAnswered: number; body: string }>((resolve, reject) => {
        const conn = net.createConnection(socket);
        const declared = 100 * MB;
        let sent = 0;
        let answered = -1;
        let data = '';
        conn.on('error', reject);
        conn.on('data', (c: Buffer) => {
          if (answered < 0) answered = sent;
          data += c.toString('utf8');
        });
        conn.on('end', () => resolve({ status: Number(data.slice(9, 12)), sentWhenAnswered: answered, body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
        conn.write(`POST /containers/create HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`);
        const chunk = Buffer.alloc(MB, 0x20);
        // Trickle the body a megabyte at a time while no answer has come: an early refusal stops the upload.
        const pump = (): void => {
          if (answered >= 0 || sent >= declared) {
            if (sent < declared) conn.end();
            return;
          }
          sent += chunk.length;
          conn.write(chunk, () => setImmediate(pump));
        };
        pump();
      });
      expect(status).toBe(413);
      expect(JSON.parse(body)).toEqual({ message: expect.stringMatching(/too large/) });
      expect(sentWhenAnswered).toBeLessThan(100 * MB);
      expect(process.memoryUsage().rss).toBeLessThan(rssBefore + 50 * MB);
      const ping = await new Promise<string>((resolve, reject) => {
        const conn = net.createConnection(socket, () => conn.end('GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n'));
        let text = '';
        conn.on('data', (c: Buffer) => (text += c.toString()));
        conn.on('end', () => resolve(text));
        conn.on('error', reject);
      });
      expect(ping).toMatch(/^HTTP\/1\.1 200 .*OK$/s);
    } finally {
      await daemon.close();
    }
  });
});
