// A real registry for tests: Debian's docker-registry (distribution 2.8) on a
// free 127.0.0.1 port with its storage in a temp dir, and skopeo to push OCI
// layouts into it. Everything stays on the loopback interface.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const REGISTRY_BIN = 'docker-registry';
const SKOPEO_BIN = 'skopeo';
const START_TIMEOUT_MS = 15_000;

export interface Credentials {
  user: string;
  password: string;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** The registry's filesystem storage root (holds `docker/registry/v2/...`). */
  storageDir: string;
  stop(): Promise<void>;
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(path.join(dir, bin)));
}

/** Why registry tests cannot run here, or null when they can. */
export function registrySkipReason(): string | null {
  const missing = [REGISTRY_BIN, SKOPEO_BIN].filter((b) => !onPath(b));
  if (missing.length === 0) return null;
  return `${missing.join(' and ')} not installed (Debian packages docker-registry, skopeo)`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * An htpasswd line with a bcrypt hash (the only kind distribution accepts).
 * Debian's libcrypt (libxcrypt) does bcrypt, and perl, which is always there,
 * reaches it through crypt(): no apache2-utils or npm package needed.
 */
export async function htpasswdLine(user: string, password: string): Promise<string> {
  const bytes = randomBytes(22);
  // The 22nd salt character carries only 2 bits: pick one whose low 4 bits are zero.
  const salt = Array.from(bytes.subarray(0, 21), (b) => BCRYPT_ALPHABET[b % 64]).join('') + '.Oeu'[bytes[21] % 4];
  const { stdout } = await run('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2y$05$${salt}`]);
  if (!/^\$2y\$05\$[./A-Za-z0-9]{53}$/.test(stdout)) throw new Error(`libcrypt produced no bcrypt hash (got ${JSON.stringify(stdout)})`);
  return `${user}:${stdout}\n`;
}

function probe(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: Number(host.split(':')[1]), path: '/v2/', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, 5000))) {
    child.kill('SIGKILL');
    await waitExit(child, 5000);
  }
}

function configYaml(storageDir: string, host: string, htpasswdFile?: string): string {
  // No `storage.cache` section: without a blob descriptor cache every request
  // reads the storage dir, so tests can corrupt blobs behind the registry's back.
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${host}`,
    ...(htpasswdFile ? ['auth:', '  htpasswd:', '    realm: berth-test', `    path: ${JSON.stringify(htpasswdFile)}`] : []),
    '',
  ].join('\n');
}

/** Starts a registry and waits until `GET /v2/` answers. */
export async function startRegistry(options: { htpasswd?: Credentials } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-test-registry-'));
  const storageDir = path.join(dir, 'storage');
  try {
    let htpasswdFile: string | undefined;
    if (options.htpasswd) {
      htpasswdFile = path.join(dir, 'htpasswd');
      await fs.writeFile(htpasswdFile, await htpasswdLine(options.htpasswd.user, options.htpasswd.password), { mode: 0o600 });
    }
    // Another process can take the free port between probe and bind: try again then.
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const host = `127.0.0.1:${await freePort()}`;
      const config = path.join(dir, 'config.yml');
      await fs.writeFile(config, configYaml(storageDir, host, htpasswdFile));
      const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString()).slice(-4000);
      });
      let spawnError: Error | undefined;
      child.on('error', (e) => {
        spawnError = e;
      });
      const deadline = Date.now() + START_TIMEOUT_MS;
      let ready = false;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null && !spawnError) {
        if (await probe(host)) {
          ready = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (ready) {
        let stopped = false;
        return {
          host,
          storageDir,
          async stop() {
            if (stopped) return;
            stopped = true;
            await kill(child);
            await fs.rm(dir, { recursive: true, force: true });
          },
        };
      }
      await kill(child);
      lastError = spawnError ?? new Error(`docker-registry did not come up on ${host}:\n${stderr}`);
    }
    throw lastError ?? new Error('docker-registry did not start');
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Where the registry keeps a blob's bytes. */
export function blobDataPath(registry: TestRegistry, digest: string): string {
  const [alg, hex] = digest.split(':');
  return path.join(registry.storageDir, 'docker/registry/v2/blobs', alg, hex.slice(0, 2), hex, 'data');
}

function credsArgs(flag: string, creds?: Credentials): string[] {
  return creds ? [`${flag}=${creds.user}:${creds.password}`] : [];
}

/**
 * Pushes an OCI layout to `<host>/<repoTag>` with skopeo. `refName` picks an
 * index.json entry by its ref.name annotation; `all` copies a whole image
 * index (manifest list) instead of the platform skopeo would pick.
 */
export async function pushOciLayout(
  layoutDir: string,
  host: string,
  repoTag: string,
  creds?: Credentials,
  options: { refName?: string; all?: boolean } = {},
): Promise<void> {
  const source = `oci:${layoutDir}${options.refName ? `:${options.refName}` : ''}`;
  const args = [
    // No /etc/containers/policy.json is needed with this.
    '--insecure-policy',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    // Fail instead of silently recompressing (which would change the digests the tests expect).
    '--preserve-digests',
    ...credsArgs('--dest-creds', creds),
    ...(options.all ? ['--all'] : []),
    source,
    `docker://${host}/${repoTag}`,
  ];
  await runSkopeo(args);
}

/** The manifest digest the registry serves for `repoTag`, as skopeo sees it. */
export async function inspectDigest(host: string, repoTag: string, creds?: Credentials): Promise<string> {
  const stdout = await runSkopeo(['--insecure-policy', 'inspect', '--tls-verify=false', ...credsArgs('--creds', creds), `docker://${host}/${repoTag}`]);
  const doc = JSON.parse(stdout) as { Digest?: unknown };
  if (typeof doc.Digest !== 'string') throw new Error(`skopeo inspect printed no Digest: ${stdout}`);
  return doc.Digest;
}

async function runSkopeo(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(SKOPEO_BIN, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: number | string };
    const shown = args.map((a) => a.replace(/^(--(?:dest-)?creds=[^:]*):.*$/, '$1:***'));
    throw new Error(`skopeo ${shown.join(' ')} failed (${err.code ?? 'error'}): ${err.stderr || 'no output'}`);
  }
}
