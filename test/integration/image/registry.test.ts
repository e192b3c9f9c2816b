// The registry client against a real registry (docker-registry, images pushed
// by skopeo) and against a scripted server for what a real one will not do on
// demand (token auth, cross-host redirects, lying or dying mid-response).
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import {
  MEDIA_TYPE_OCI_MANIFEST,
  RegistryClient,
  RegistryError,
  parseWwwAuthenticate,
  selectPlatform,
  type Descriptor,
} from '../../../src/image/registry';
import { buildImage, busyboxEntries, layerTar, sha256, writeOciIndexLayout, writeOciLayout, type BuiltImage } from '../../support/image-fixtures';
import { blobDataPath, inspectDigest, pushOciLayout, registrySkipReason, startRegistry, type TestRegistry } from '../../support/registry';

const skipReason = registrySkipReason();
function describeWithRegistry(name: string, body: () => void): void {
  if (skipReason) {
    // eslint-disable-next-line no-console
    console.warn(`skipped "${name}": ${skipReason}`);
    describe.skip(name, body);
  } else {
    describe(name, body);
  }
}

/** Reads a stream to the end; rejects with the stream's error. */
async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error('expected a rejection');
}

function makeWorkDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'berth-test-registry-work-'));
}

async function busyboxImage(extra: Array<{ path: string; content: string | Buffer }> = [], architecture = 'amd64'): Promise<BuiltImage> {
  const layer = await layerTar([...busyboxEntries(), ...extra.map((e) => ({ type: 'file' as const, ...e }))]);
  // Compressed layers: skopeo then pushes them as they are, so digests are kept.
  return buildImage({ layers: [layer], gzip: true, architecture });
}

const creds = { user: 'berth', password: 'hunter2-s3cret' };

describeWithRegistry('RegistryClient against docker-registry', () => {
  let registry: TestRegistry | undefined;
  let work: string | undefined;
  let client: RegistryClient;
  let image: BuiltImage;
  let armImage: BuiltImage;
  let indexDigest: string;
  let corrupt: BuiltImage;

  beforeAll(async () => {
    registry = await startRegistry();
    work = makeWorkDir();
    client = new RegistryClient({ registry: registry.host, insecure: true });

    image = await busyboxImage();
    await writeOciLayout(path.join(work, 'busybox'), image, 'latest');
    await pushOciLayout(path.join(work, 'busybox'), registry.host, 'busybox:latest', undefined, { refName: 'latest' });

    armImage = await busyboxImage([{ path: 'etc/arch', content: 'arm64\n' }], 'arm64');
    ({ indexDigest } = await writeOciIndexLayout(path.join(work, 'multi'), [
      { image, platform: { os: 'linux', architecture: 'amd64' } },
      { image: armImage, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]));
    await pushOciLayout(path.join(work, 'multi'), registry.host, 'multi:latest', undefined, { all: true });

    // Its own layer, so that corrupting it touches no other test's blobs.
    corrupt = await busyboxImage([{ path: 'etc/corrupt-me', content: `${Date.now()}\n` }]);
    await writeOciLayout(path.join(work, 'corrupt'), corrupt);
    await pushOciLayout(path.join(work, 'corrupt'), registry.host, 'corrupt:latest');
  });

  afterAll(async () => {
    client?.close();
    await registry?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  test('ping answers', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  test('getManifest by tag returns the manifest skopeo pushed, verified', async () => {
    const r = await client.getManifest('busybox', 'latest');
    expect(r.digest).toBe(await inspectDigest(registry!.host, 'busybox:latest'));
    expect(r.digest).toBe(image.manifestDigest);
    expect(sha256(r.raw)).toBe(r.digest);
    expect(r.mediaType).toBe(MEDIA_TYPE_OCI_MANIFEST);
    expect(r.indexDigest).toBeUndefined();
    expect(r.manifest.config.digest).toBe(image.imageId);
    expect(r.manifest.layers.map((l) => l.digest)).toEqual(image.blobs.map((b) => b.digest));
  });

  test('getManifest by digest', async () => {
    const r = await client.getManifest('busybox', image.manifestDigest);
    expect(r.digest).toBe(image.manifestDigest);
    expect(r.raw.equals(image.manifestJson)).toBe(true);
  });

  test('fetchBlob streams each layer, verified, with progress', async () => {
    const { manifest } = await client.getManifest('busybox', 'latest');
    for (const layer of manifest.layers) {
      const progress: number[] = [];
      const data = await drain(client.fetchBlob('busybox', layer, { onProgress: (n, total) => progress.push(n, total) }));
      expect(sha256(data)).toBe(layer.digest);
      expect(data.length).toBe(layer.size);
      expect(progress.slice(-2)).toEqual([layer.size, layer.size]);
    }
    const config = await client.fetchBlobBuffer('busybox', manifest.config);
    expect(config.equals(image.configJson)).toBe(true);
  });

  test('a manifest list resolves to the platform asked for', async () => {
    const amd = await client.getManifest('multi', 'latest');
    expect(amd.indexDigest).toBe(indexDigest);
    expect(amd.digest).toBe(image.manifestDigest);

    const arm = await client.getManifest('multi', 'latest', { os: 'linux', architecture: 'arm64' });
    expect(arm.digest).toBe(armImage.manifestDigest);
    expect(arm.manifest.config.digest).toBe(armImage.imageId);

    const byIndexDigest = await client.getManifest('multi', indexDigest, { os: 'linux', architecture: 'aarch64' });
    expect(byIndexDigest.digest).toBe(armImage.manifestDigest);

    const none = await rejection(client.getManifest('multi', 'latest', { os: 'linux', architecture: 's390x' }));
    expect(none.code).toBe('NO_MATCHING_MANIFEST');
    expect(none.message).toBe('no matching manifest for linux/s390x in the manifest list entries');
  });

  test('an unknown tag, repository or blob is a clear error', async () => {
    const tag = await rejection(client.getManifest('busybox', 'nope'));
    expect(tag).toMatchObject({ code: 'MANIFEST_UNKNOWN', statusCode: 404 });
    expect(tag.message).toBe(`manifest for ${registry!.host}/busybox:nope not found: manifest unknown: manifest unknown`);

    const repo = await rejection(client.getManifest('no/such-repo', 'latest'));
    expect(repo.statusCode).toBe(404);
    expect(['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']).toContain(repo.code);

    const missing: Descriptor = { mediaType: 'application/octet-stream', digest: sha256('not pushed'), size: 10 };
    const blob = await rejection(drain(client.fetchBlob('busybox', missing)));
    expect(blob).toMatchObject({ code: 'BLOB_UNKNOWN', statusCode: 404 });
    expect(blob.message).toMatch(/blob unknown/);
  });

  test('a blob corrupted in the registry storage fails verification', async () => {
    const layer = corrupt.blobs[0];
    const file = blobDataPath(registry!, layer.digest);
    // Same size, different bytes: only the digest can tell.
    const bytes = await fs.readFile(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await fs.writeFile(file, bytes);
    const descriptor: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.data.length };
    const err = await rejection(drain(client.fetchBlob('corrupt', descriptor)));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(err.message).toMatch(new RegExp(`^digest mismatch for ${layer.digest}`));

    // Truncated: the size gives it away before any byte is trusted.
    const configFile = blobDataPath(registry!, corrupt.imageId);
    await fs.writeFile(configFile, corrupt.configJson.subarray(0, 20));
    const config: Descriptor = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: corrupt.imageId, size: corrupt.configJson.length };
    const short = await rejection(client.fetchBlobBuffer('corrupt', config));
    expect(short.code).toBe('SIZE_MISMATCH');
  });
});

describeWithRegistry('RegistryClient against docker-registry with htpasswd auth', () => {
  let registry: TestRegistry | undefined;
  let work: string | undefined;
  let image: BuiltImage;
  const clients: RegistryClient[] = [];
  const clientFor = (c?: { username: string; password: string }): RegistryClient => {
    const client = new RegistryClient({ registry: registry!.host, insecure: true, ...c });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: creds });
    work = makeWorkDir();
    image = await busyboxImage();
    await writeOciLayout(path.join(work, 'busybox'), image);
    await pushOciLayout(path.join(work, 'busybox'), registry.host, 'private/busybox:1.0', creds);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await registry?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  test('without credentials: unauthorized', async () => {
    const client = clientFor();
    const ping = await rejection(client.ping());
    expect(ping).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401, message: 'unauthorized: authentication required' });

    const pull = await rejection(client.getManifest('private/busybox', '1.0'));
    expect(pull).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401 });
    expect(pull.message).toBe(
      `pull access denied for ${registry!.host}/private/busybox, repository does not exist or may require 'docker login': unauthorized: authentication required`,
    );
  });

  test('with a wrong password: unauthorized', async () => {
    const err = await rejection(clientFor({ username: creds.user, password: 'wrong' }).getManifest('private/busybox', '1.0'));
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', statusCode: 401, message: 'unauthorized: authentication required' });
  });

  test('with the right credentials: manifest and blobs', async () => {
    const client = clientFor({ username: creds.user, password: creds.password });
    await client.ping();
    const r = await client.getManifest('private/busybox', '1.0');
    expect(r.digest).toBe(await inspectDigest(registry!.host, 'private/busybox:1.0', creds));
    for (const layer of r.manifest.layers) expect(sha256(await drain(client.fetchBlob('private/busybox', layer)))).toBe(layer.digest);
    expect((await client.fetchBlobBuffer('private/busybox', r.manifest.config)).equals(image.configJson)).toBe(true);
  });
});

describeWithRegistry('RegistryClient against a stopped registry', () => {
  test('a refused connection is an error on the promise and on the stream', async () => {
    const registry = await startRegistry();
    await registry.stop();
    const client = new RegistryClient({ registry: registry.host, insecure: true });
    try {
      const ping = await rejection(client.ping());
      expect(ping.code).toBe('ECONNREFUSED');
      expect(ping.message).toContain(`http://${registry.host}/v2/`);
      const blob = await rejection(drain(client.fetchBlob('busybox', { mediaType: 'x', digest: sha256('x'), size: 1 })));
      expect(blob.code).toBe('ECONNREFUSED');
    } finally {
      client.close();
    }
  });
});

// ---------------------------------------------------------------------------
// A scripted server: always runs, needs no binaries.

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: http.Server; host: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('RegistryClient against a scripted server', () => {
  const blob = Buffer.from('layer bytes '.repeat(1000));
  const blobDigest = sha256(blob);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blobDigest, size: blob.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: blobDigest, size: blob.length }],
    }),
  );
  let registry: { server: http.Server; host: string };
  let cdn: { server: http.Server; host: string };
  let route: Handler = (_req, res) => res.writeHead(500).end();
  const cdnAuthorization: Array<string | undefined> = [];
  const clients: RegistryClient[] = [];
  const clientFor = (extra: { username?: string; password?: string } = {}): RegistryClient => {
    const c = new RegistryClient({ registry: registry.host, insecure: true, ...extra });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    registry = await listen((req, res) => route(req, res));
    cdn = await listen((req, res) => {
      cdnAuthorization.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': blob.length }).end(blob);
    });
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await close(registry.server);
    await close(cdn.server);
  });

  test('bearer token auth: one token per scope, and no Authorization sent across a redirect', async () => {
    const tokenRequests: URL[] = [];
    const tokenAuth: Array<string | undefined> = [];
    const seenAuth: Array<string | undefined> = [];
    route = (req, res) => {
      const url = new URL(req.url ?? '/', `http://${registry.host}`);
      if (url.pathname === '/token') {
        tokenRequests.push(url);
        tokenAuth.push(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `tok-${url.searchParams.get('scope')}`, expires_in: 300 }));
        return;
      }
      seenAuth.push(req.headers.authorization);
      const scope = url.pathname === '/v2/' ? undefined : 'repository:team/app:pull';
      if (req.headers.authorization !== `Bearer tok-${scope ?? 'null'}`) {
        const scopeParam = scope ? `,scope="${scope}"` : '';
        res
          .writeHead(401, { 'www-authenticate': `Bearer realm="http://${registry.host}/token",service="scripted"${scopeParam}`, 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      if (url.pathname === '/v2/') res.writeHead(200).end('{}');
      else if (url.pathname === '/v2/team/app/manifests/v1') {
        res.writeHead(200, { 'content-type': MEDIA_TYPE_OCI_MANIFEST, 'docker-content-digest': sha256(manifest) }).end(manifest);
      } else if (url.pathname === `/v2/team/app/blobs/${blobDigest}`) {
        res.writeHead(307, { location: `http://${cdn.host}/blob?sig=abc` }).end();
      } else res.writeHead(404).end();
    };
    const client = clientFor({ username: 'me', password: 'pw' });
    const r = await client.getManifest('team/app', 'v1');
    expect(r.digest).toBe(sha256(manifest));
    expect(await drain(client.fetchBlob('team/app', r.manifest.layers[0]))).toEqual(blob);
    expect((await client.fetchBlobBuffer('team/app', r.manifest.config)).equals(blob)).toBe(true);
    await client.ping();

    // One token for the repository scope (reused by three requests), one for the bare ping.
    expect(tokenRequests.map((u) => [u.searchParams.get('service'), u.searchParams.get('scope')])).toEqual([
      ['scripted', 'repository:team/app:pull'],
      ['scripted', null],
    ]);
    expect(tokenAuth.every((a) => a === `Basic ${Buffer.from('me:pw').toString('base64')}`)).toBe(true);
    expect(cdnAuthorization.length).toBeGreaterThanOrEqual(2);
    expect(cdnAuthorization.every((a) => a === undefined)).toBe(true);
    // Only the first request went without a token: after that the client knows the realm.
    expect(seenAuth.filter((a) => a === undefined)).toHaveLength(1);
  });

  test('a Docker-Content-Digest that does not match the bytes is refused', async () => {
    route = (_req, res) => res.writeHead(200, { 'content-type': MEDIA_TYPE_OCI_MANIFEST, 'docker-content-digest': sha256('other') }).end(manifest);
    const err = await rejection(clientFor().getManifest('app', 'v1'));
    expect(err.code).toBe('DIGEST_MISMATCH');
    // Asked by digest: the bytes must hash to it, header or not.
    route = (_req, res) => res.writeHead(200, { 'content-type': MEDIA_TYPE_OCI_MANIFEST }).end(manifest);
    expect((await rejection(clientFor().getManifest('app', sha256('other')))).code).toBe('DIGEST_MISMATCH');
  });

  test('schema 1, mismatched media types and oversized manifests are refused', async () => {
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'app', tag: 'v1', fsLayers: [] }));
    route = (_req, res) => res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end(schema1);
    expect((await rejection(clientFor().getManifest('app', 'v1'))).code).toBe('MANIFEST_UNSUPPORTED');

    route = (_req, res) => res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(manifest);
    expect((await rejection(clientFor().getManifest('app', 'v1'))).code).toBe('MANIFEST_INVALID');

    route = (_req, res) => {
      res.writeHead(200, { 'content-type': MEDIA_TYPE_OCI_MANIFEST });
      res.end(Buffer.alloc(5 * 1024 * 1024, 0x20));
    };
    const big = await rejection(clientFor().getManifest('app', 'v1'));
    expect(big.code).toBe('TOO_LARGE');
    expect(big.message).toMatch(/more than the 4194304 bytes allowed/);
  });

  test('a connection dropped mid-blob, or too many bytes, fail the stream', async () => {
    const descriptor: Descriptor = { mediaType: 'application/octet-stream', digest: blobDigest, size: blob.length };
    route = (_req, res) => {
      res.writeHead(200, { 'content-length': blob.length });
      res.write(blob.subarray(0, 100), () => res.destroy());
    };
    const dropped = await rejection(drain(clientFor().fetchBlob('app', descriptor)));
    expect(dropped.code).toBe('ECONNRESET');

    route = (_req, res) => res.writeHead(200).end(Buffer.concat([blob, Buffer.from('extra')]));
    const long = await rejection(drain(clientFor().fetchBlob('app', descriptor)));
    expect(long.code).toBe('SIZE_MISMATCH');

    route = (_req, res) => res.writeHead(200, { 'content-length': 3 }).end('abc');
    expect((await rejection(drain(clientFor().fetchBlob('app', descriptor)))).code).toBe('SIZE_MISMATCH');
  });
});

describe('registry client helpers', () => {
  test('parseWwwAuthenticate reads quoted params and several challenges', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push", Basic realm="x"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a/b:pull,push' } },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="a \\"quoted\\" realm"')).toEqual([{ scheme: 'basic', params: { realm: 'a "quoted" realm' } }]);
  });

  test('selectPlatform matches os/architecture, variant when asked, and aliases', () => {
    const d = (architecture: string, variant?: string): { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string; variant?: string } } => ({
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: `sha256:${createHash('sha256').update(architecture + (variant ?? '')).digest('hex')}`,
      size: 1,
      platform: variant ? { os: 'linux', architecture, variant } : { os: 'linux', architecture },
    });
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [d('arm', 'v6'), d('arm', 'v7'), d('arm64', 'v8'), d('amd64')] };
    expect(selectPlatform(index, { os: 'linux', architecture: 'x86_64' })).toBe(index.manifests[3]);
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64' })).toBe(index.manifests[2]);
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(index.manifests[1]);
    expect(selectPlatform(index, { os: 'windows', architecture: 'amd64' })).toBeUndefined();
  });

  test('bad names are refused before any request', () => {
    expect(() => new RegistryClient({ registry: 'http://evil/x' })).toThrow(TypeError);
    const client = new RegistryClient({ registry: '127.0.0.1:1', insecure: true });
    expect(() => client.fetchBlob('../etc', { mediaType: 'x', digest: sha256('x'), size: 1 })).toThrow(TypeError);
    expect(() => client.fetchBlob('app', { mediaType: 'x', digest: 'sha256:../../x', size: 1 })).toThrow(TypeError);
    return expect(client.getManifest('app', 'bad tag!')).rejects.toThrow(TypeError);
  });
});
