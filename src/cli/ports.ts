// Port grammars of `-p/--publish` and `--expose` (docker's nat package:
// `[ip:][hostPort:]containerPort[/proto]` with ranges), and the PORTS column
// of `ps`.
import { isIP } from 'node:net';
import type { EmptySet, PortBinding } from '../container/types';

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/** `80/udp` → ['udp', '80']; no protocol means tcp. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1 || parts[1] === '') return ['tcp', parts[0]];
  return [parts[1], parts[0]];
}

function parsePortNumber(s: string): number {
  if (!/^\d+$/.test(s)) throw new Error(`invalid port: ${s}`);
  const n = Number(s);
  if (n > 65535) throw new Error(`invalid port: ${s}`);
  return n;
}

/** `8000-8010` → [8000, 8010]; a single port is a range of one. */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const p = parsePortNumber(ports);
    return [p, p];
  }
  const [a, b] = ports.split('-');
  const start = parsePortNumber(a);
  const end = parsePortNumber(b ?? '');
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

export interface PortMapping {
  /** `80/tcp` */
  port: string;
  binding: Required<PortBinding>;
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const container = parts[n - 1];
  if (n === 1) return ['', '', container];
  if (n === 2) return ['', parts[0], container];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2], container];
}

/** One `-p` value in its short form → the container ports it publishes, with their bindings. */
export function parsePortSpec(raw: string): PortMapping[] {
  let [ip, hostPort, containerWithProto] = splitParts(raw);
  const [protoRaw, containerPort] = splitProtoPort(containerWithProto);
  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new Error(`invalid IP address ${ip}: missing ']' in address`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && isIP(ip) === 0) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== '') {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
    // A host range beside one container port is the range to allocate from.
    if (end - start !== hostEnd - hostStart && end !== start) {
      throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }
  const proto = protoRaw.toLowerCase();
  if (!PROTOCOLS.has(proto)) throw new Error(`invalid proto: ${proto}`);
  const mappings: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let host = hostPort === '' ? '' : String(hostStart + i);
    if (start === end && hostStart !== hostEnd) host = `${hostStart}-${hostEnd}`;
    mappings.push({ port: `${start + i}/${proto}`, binding: { HostIp: ip, HostPort: host } });
  }
  return mappings;
}

/**
 * The long form, `published=8080,target=80,protocol=udp`, read as docker's
 * create does: only those three keys count.
 */
export function parseLongPortSpec(raw: string): PortMapping[] {
  const params: Record<string, string> = { protocol: 'tcp', published: '', target: '' };
  for (const param of raw.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return parsePortSpec(`${params.published}:${params.target}/${params.protocol}`);
}

export interface PublishedPorts {
  exposedPorts: EmptySet;
  portBindings: Record<string, PortBinding[]>;
}

/** Every `-p` and `--expose` value → Config.ExposedPorts and HostConfig.PortBindings. */
export function publishedPorts(publish: string[], expose: string[]): PublishedPorts {
  const exposedPorts: EmptySet = {};
  const portBindings: Record<string, PortBinding[]> = {};
  for (const spec of publish) {
    const mappings = spec.includes('=') ? parseLongPortSpec(spec) : parsePortSpec(spec);
    for (const { port, binding } of mappings) {
      exposedPorts[port] = {};
      (portBindings[port] ??= []).push(binding);
    }
  }
  for (const spec of expose) {
    if (spec.includes(':')) throw new Error(`invalid port format for --expose: ${spec}`);
    const [proto, port] = splitProtoPort(spec);
    let start: number;
    let end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (e) {
      throw new Error(`invalid range format for --expose: ${spec}, error: ${(e as Error).message}`);
    }
    for (let p = start; p <= end; p++) exposedPorts[`${p}/${proto}`] ??= {};
  }
  return { exposedPorts, portBindings };
}

export interface SummaryPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

const joinHostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/**
 * The PORTS column, as docker builds it: ports published on another host
 * port are listed one by one at the end (`0.0.0.0:8080->80/tcp`); the others
 * are folded into runs per address and protocol (`80-81/tcp`,
 * `0.0.0.0:53->53/udp`).
 */
export function displayablePorts(ports: SummaryPort[]): string {
  const sorted = [...ports].sort(
    (a, b) =>
      a.PrivatePort - b.PrivatePort ||
      (a.IP ?? '').localeCompare(b.IP ?? '') ||
      (a.PublicPort ?? 0) - (b.PublicPort ?? 0) ||
      a.Type.localeCompare(b.Type),
  );
  const runs = new Map<string, { first: number; last: number }>();
  const closed: string[] = [];
  const hostMappings: string[] = [];
  const formRun = (key: string, first: number, last: number): string => {
    const slash = key.lastIndexOf('/');
    const ip = slash >= 0 ? key.slice(0, slash) : '';
    const type = slash >= 0 ? key.slice(slash + 1) : key;
    const range = first === last ? `${first}` : `${first}-${last}`;
    return `${ip !== '' ? `${ip}:${range}->${range}` : range}/${type}`;
  };
  for (const p of sorted) {
    if (p.IP && p.PublicPort !== p.PrivatePort) {
      hostMappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
      continue;
    }
    const key = p.IP ? `${p.IP}/${p.Type}` : p.Type;
    const run = runs.get(key);
    if (run === undefined) {
      runs.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    } else if (p.PrivatePort === run.last + 1) {
      run.last = p.PrivatePort;
    } else {
      closed.push(formRun(key, run.first, run.last));
      // A new run under the same key keeps the key's place among the open runs.
      run.first = p.PrivatePort;
      run.last = p.PrivatePort;
    }
  }
  const open = [...runs.entries()].map(([key, run]) => formRun(key, run.first, run.last));
  return [...closed, ...open, ...hostMappings].join(', ');
}
