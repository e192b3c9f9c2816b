// Facts about the machine and berth itself that /version and /info report.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let cachedVersion: string | undefined;

/** berth's own version, from the package.json above this file (in src/ or in dist/src/). */
export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'berth' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (cachedVersion = '0.0.0');
    dir = parent;
  }
}

export interface OsRelease {
  prettyName: string;
  versionId: string;
}

let cachedRelease: OsRelease | undefined;

/** PRETTY_NAME and VERSION_ID of /etc/os-release, as dockerd reports them. */
export function osRelease(): OsRelease {
  if (cachedRelease !== undefined) return cachedRelease;
  const fields: Record<string, string> = {};
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) fields[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
    }
    break;
  }
  cachedRelease = { prettyName: fields.PRETTY_NAME ?? 'Linux', versionId: fields.VERSION_ID ?? '' };
  return cachedRelease;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** The architecture in Go's words (`amd64`), as /version's Arch is. */
export const goArch = (): string => GO_ARCH[process.arch] ?? process.arch;

/**
 * A stable ID for the engine in the UUID shape newer dockerd reports:
 * derived from the host and the root, since the API layer keeps no files.
 */
export function engineId(root: string): string {
  const hex = createHash('sha256').update(`${os.hostname()}\0${root}`).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}
