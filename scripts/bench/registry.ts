// A private registry: Debian's docker-registry (distribution 2.8) on a free
// 127.0.0.1 port, optionally behind htpasswd auth, its files in a directory
// the caller owns (and removes), and skopeo to push OCI layouts into it.
// Nothing leaves the loopback interface. The benchmarks and the tests
// (through test/support/registry.ts) share it, so it loads no native code.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const REGISTRY_BIN = 'docker-registry';
const SKOPEO_BIN = 'skopeo';
const START_TIMEOUT_MS = 15_000;
const SKOPEO_TIMEOUT_MS = 120_000;

export interface Credentials {
  user: string;
  password: string;
}

export interface RegistryOptions {
  /** Turns on htpasswd auth with this one user. */
  htpasswd?: Credentials;
}

export interface LocalRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** The registry's filesystem storage root (holds `docker/registry/v2/...`). */
  storageDir: string;
  /** Ends the registry process; its directory stays for the caller to remove. */
  stop(): Promise<void>;
}

export function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(path.join(dir, bin)));
}

/** Why a registry cannot be used here, or null when it can. */
export function registryMissing(): string | null {
  const missing = [REGISTRY_BIN, SKOPEO_BIN].filter((b) => !onPath(b));
  if (missing.length === 0) return null;
  return `${missing.join(' and ')} not installed (Debian packages docker-registry, skopeo)`;
}

/** Whether `child` exited within `ms`. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, 5000))) {
    child.kill('SIGKILL');
    await waitExit(child, 5000);
  }
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

/** Whether `GET /v2/` answers as a registry with (401) or without (200) auth does. */
function probe(port: number, expectedStatus: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v2/', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === expectedStatus);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
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

function configYaml(storageDir: string, host: string, htpasswdFile: string | null): string {
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
    // The purger would otherwise scan the storage on start-up and then hourly.
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${host}`,
    ...(htpasswdFile !== null ? ['auth:', '  htpasswd:', '    realm: berth', `    path: ${JSON.stringify(htpasswdFile)}`] : []),
    '',
  ].join('\n');
}

/**
 * Starts a registry keeping its config, credentials and storage under `dir`
 * (made if missing) and waits until `GET /v2/` answers.
 */
export async function startRegistry(dir: string, options: RegistryOptions = {}): Promise<LocalRegistry> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const storageDir = path.join(dir, 'storage');
  const config = path.join(dir, 'config.yml');
  let htpasswdFile: string | null = null;
  if (options.htpasswd) {
    htpasswdFile = path.join(dir, 'htpasswd');
    await fs.writeFile(htpasswdFile, await htpasswdLine(options.htpasswd.user, options.htpasswd.password), { mode: 0o600 });
  }
  const readyStatus = htpasswdFile !== null ? 401 : 200;
  // Another process can take the free port between the probe and the bind: try again then.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
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
      if (await probe(port, readyStatus)) {
        ready = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (ready) {
      return { host, storageDir, stop: () => terminate(child) };
    }
    await terminate(child);
    lastError = spawnError ?? new Error(`docker-registry did not come up on ${host}: ${stderr.trim() || 'no output'}`);
  }
  throw lastError ?? new Error('docker-registry did not start');
}

/** Where the registry keeps a blob's bytes. */
export function blobDataPath(registry: Pick<LocalRegistry, 'storageDir'>, digest: string): string {
  const [alg, hex] = digest.split(':');
  return path.join(registry.storageDir, 'docker/registry/v2/blobs', alg, hex.slice(0, 2), hex, 'data');
}

export interface PushOptions {
  /** Picks the index.json entry with this ref.name annotation. */
  refName?: string;
  /** Copies a whole image index (manifest list) instead of the platform skopeo would pick. */
  all?: boolean;
}

/** Pushes the OCI layout at `layoutDir` to `<host>/<repoTag>` with skopeo, digests unchanged. */
export async function pushOciLayout(
  layoutDir: string,
  host: string,
  repoTag: string,
  creds?: Credentials,
  options: PushOptions = {},
): Promise<void> {
  const source = `oci:${layoutDir}${options.refName ? `:${options.refName}` : ''}`;
  await runSkopeo([
    // No /etc/containers/policy.json is needed with this.
    '--insecure-policy',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    // Fail rather than recompress: a pull must fetch exactly the blobs (and digests) the caller made.
    '--preserve-digests',
    ...credsArgs('--dest-creds', creds),
    ...(options.all ? ['--all'] : []),
    source,
    `docker://${host}/${repoTag}`,
  ]);
}

/** The manifest digest the registry serves for `repoTag`, as skopeo sees it. */
export async function inspectDigest(host: string, repoTag: string, creds?: Credentials): Promise<string> {
  const stdout = await runSkopeo(['--insecure-policy', 'inspect', '--tls-verify=false', ...credsArgs('--creds', creds), `docker://${host}/${repoTag}`]);
  const doc = JSON.parse(stdout) as { Digest?: unknown };
  if (typeof doc.Digest !== 'string') throw new Error(`skopeo inspect printed no Digest: ${stdout}`);
  return doc.Digest;
}

function credsArgs(flag: string, creds?: Credentials): string[] {
  return creds ? [`${flag}=${creds.user}:${creds.password}`] : [];
}

async function runSkopeo(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(SKOPEO_BIN, args, { timeout: SKOPEO_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: number | string | null; signal?: NodeJS.Signals | null };
    // The error ends up in test and bench logs: keep the password out of them
    // (err.message would repeat the command line with it).
    const shown = args.map((a) => a.replace(/^(--(?:dest-)?creds=[^:]*):.*$/, '$1:***'));
    const how = err.code ?? err.signal ?? 'error';
    throw new Error(`skopeo ${shown.join(' ')} failed (${how}): ${err.stderr?.trim() || 'no output'}`);
  }
}
