// Legacy container links (`--link name:alias`): the spec grammar, and the
// environment variables and /etc/hosts lines a link gives the parent.
import { invalidParameter } from '../errors';

export interface LinkSpec {
  /** The linked (child) container's name or ID, without a leading `/`. */
  name: string;
  alias: string;
}

/**
 * Parses `name` or `name:alias` (the alias defaults to the name). The stored
 * form Docker writes back into HostConfig.Links, `/child:/parent/alias`, is
 * read too: there the alias is the last path component.
 * @throws EngineError EINVAL `bad format for links: <spec>`.
 */
export function parseLink(spec: string): LinkSpec {
  if (spec === '') throw invalidParameter('empty string specified for links');
  const parts = spec.split(':');
  if (parts.length > 2) throw invalidParameter(`bad format for links: ${spec}`);
  const name = stripSlash(parts[0]);
  const alias = parts.length === 1 ? name : lastComponent(parts[1]);
  if (name === '' || alias === '') throw invalidParameter(`bad format for links: ${spec}`);
  return { name, alias };
}

const stripSlash = (name: string): string => (name.startsWith('/') ? name.slice(1) : name);
const lastComponent = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export interface LinkEnvParams {
  alias: string;
  parentName: string;
  childName: string;
  childIp: string;
  /** The child's Config.ExposedPorts keys: `80/tcp`, `53/udp` (`80` means tcp). */
  exposedPorts: string[];
  /** The child's Config.Env. */
  childEnv: string[];
}

interface Port {
  number: number;
  proto: string;
}

// Set by image builds and meaningless in another container.
const UNSHARED_ENV = new Set(['HOME', 'PATH']);

/**
 * The variables a legacy link puts in the parent's environment (Docker sets
 * them only with DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS=1):
 * `ALIAS_PORT` for the first port (tcp first, then by number), per port
 * `ALIAS_PORT_<n>_<PROTO>` with `_ADDR`, `_PORT`, `_PROTO`, for each run of
 * consecutive ports `_START`/`_PORT_START`/`_END`/`_PORT_END` under the
 * run's first port, `ALIAS_NAME=/parent/alias`, and `ALIAS_ENV_<k>` for the
 * child's own variables except HOME and PATH.
 */
export function linkEnv(p: LinkEnvParams): string[] {
  const prefix = p.alias.toUpperCase().replace(/-/g, '_');
  const ports = sortedPorts(p.exposedPorts);
  const url = (port: Port): string => `${port.proto}://${p.childIp}:${port.number}`;
  const key = (port: Port): string => `${prefix}_PORT_${port.number}_${port.proto.toUpperCase()}`;
  const env: string[] = [];

  if (ports.length > 0) env.push(`${prefix}_PORT=${url(ports[0])}`);
  for (const run of consecutiveRuns(ports)) {
    const [first, last] = [run[0], run[run.length - 1]];
    env.push(
      `${key(first)}_START=${url(first)}`,
      `${key(first)}_PORT_START=${first.number}`,
      `${key(first)}_END=${url(last)}`,
      `${key(first)}_PORT_END=${last.number}`,
    );
  }
  for (const port of ports) {
    env.push(
      `${key(port)}=${url(port)}`,
      `${key(port)}_ADDR=${p.childIp}`,
      `${key(port)}_PORT=${port.number}`,
      `${key(port)}_PROTO=${port.proto}`,
    );
  }
  env.push(`${prefix}_NAME=/${stripSlash(p.parentName)}/${p.alias}`);
  for (const entry of p.childEnv) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    if (UNSHARED_ENV.has(name)) continue;
    env.push(`${prefix}_ENV_${name}=${entry.slice(eq + 1)}`);
  }
  return env;
}

const PORT_KEY = /^([0-9]{1,5})(?:\/([a-zA-Z]+))?$/;

/** Ports ordered tcp first, then other protocols by name, each by number. */
function sortedPorts(specs: string[]): Port[] {
  const byKey = new Map<string, Port>();
  for (const spec of specs) {
    const match = PORT_KEY.exec(spec);
    const number = match ? Number(match[1]) : NaN;
    if (!match || number < 1 || number > 65535) {
      throw invalidParameter(`invalid port specification: ${JSON.stringify(spec)}`);
    }
    const proto = (match[2] ?? 'tcp').toLowerCase();
    byKey.set(`${number}/${proto}`, { number, proto });
  }
  const rank = (proto: string): number => (proto === 'tcp' ? 0 : 1);
  return [...byKey.values()].sort(
    (a, b) =>
      rank(a.proto) - rank(b.proto) ||
      (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0) ||
      a.number - b.number,
  );
}

/** Runs of two or more ports of one protocol with consecutive numbers. */
function consecutiveRuns(ports: Port[]): Port[][] {
  const runs: Port[][] = [];
  let run: Port[] = [];
  for (const port of ports) {
    const last = run[run.length - 1];
    if (last && last.proto === port.proto && last.number + 1 === port.number) {
      run.push(port);
      continue;
    }
    if (run.length > 1) runs.push(run);
    run = [port];
  }
  if (run.length > 1) runs.push(run);
  return runs;
}

export interface LinkHostsParams {
  alias: string;
  childHostname: string;
  childName: string;
  /** '' at create, before the child has a network address. */
  childIp: string;
}

/**
 * The /etc/hosts line that lets the parent reach the child by its alias,
 * hostname and name: `<ip>\t<alias> <hostname> <name>` (the name only when
 * it differs from the alias). Without an IP yet the line is the names alone;
 * `hostsLineWithIp` completes it once the child has an address.
 */
export function linkHostsEntries(p: LinkHostsParams): string[] {
  const names = [p.alias, p.childHostname, stripSlash(p.childName)].filter(
    (name, i, all) => name !== '' && all.indexOf(name) === i,
  );
  const line = names.join(' ');
  return [p.childIp === '' ? line : `${p.childIp}\t${line}`];
}

/** A recorded hosts entry (with or without an address) pointed at `ip`. */
export function hostsLineWithIp(entry: string, ip: string): string {
  const tab = entry.indexOf('\t');
  return `${ip}\t${tab === -1 ? entry : entry.slice(tab + 1)}`;
}
