// The contents of a container's /etc/hostname, /etc/hosts and /etc/resolv.conf,
// made at create so that the files exist (and carry the links' entries) before
// anything starts; the container's own address is added when it gets one.
import { readFileSync } from 'node:fs';
import type { HostConfig } from './types';

const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** Docker's fallback when the host only has loopback resolvers, which a container cannot reach. */
const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

let hostResolvConf: string | undefined;
let hostHosts: string | undefined;

function readHostFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function hostnameFile(hostname: string, domainname: string): string {
  return `${domainname ? `${hostname}.${domainname}` : hostname}\n`;
}

export function hostsFile(hostConfig: HostConfig, linkEntries: string[]): string {
  if (hostConfig.NetworkMode === 'host') {
    hostHosts ??= readHostFile('/etc/hosts');
    return hostHosts;
  }
  const extra = (hostConfig.ExtraHosts ?? []).map((entry) => {
    // host:ip, where the IP may itself hold colons (IPv6); Docker also takes host=ip.
    const sep = entry.includes('=') ? entry.indexOf('=') : entry.indexOf(':');
    return `${entry.slice(sep + 1).replace(/^\[|\]$/g, '')}\t${entry.slice(0, sep)}`;
  });
  return [...DEFAULT_HOSTS, ...extra, ...linkEntries].join('\n') + '\n';
}

/** The host's resolv.conf with loopback resolvers dropped, and the container's own DNS settings applied. */
export function resolvConfFile(hostConfig: HostConfig): string {
  hostResolvConf ??= readHostFile('/etc/resolv.conf');
  const lines = hostResolvConf.split('\n');
  const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';
  let nameservers = lines
    .filter((l) => /^\s*nameserver\s/.test(l))
    .map((l) => l.trim().split(/\s+/)[1] ?? '')
    .filter((ip) => ip !== '' && (hostConfig.NetworkMode === 'host' || !isLoopback(ip)));
  let search = lines.filter((l) => /^\s*(search|domain)\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  let options = lines.filter((l) => /^\s*options\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  if (hostConfig.Dns?.length) nameservers = hostConfig.Dns;
  if (hostConfig.DnsSearch?.length) search = hostConfig.DnsSearch.filter((s) => s !== '.');
  if (hostConfig.DnsOptions?.length) options = hostConfig.DnsOptions;
  if (nameservers.length === 0) nameservers = DEFAULT_NAMESERVERS;
  const out = nameservers.map((ip) => `nameserver ${ip}`);
  if (search.length) out.push(`search ${search.join(' ')}`);
  if (options.length) out.push(`options ${options.join(' ')}`);
  return out.join('\n') + '\n';
}
