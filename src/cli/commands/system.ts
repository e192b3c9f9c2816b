// `berth version` and `berth info`: the client's facts beside the engine's,
// laid out as docker lays them out, or through --format.
import type { Command } from 'commander';
import { packageVersion, goArch } from '../../api/server-info';
import type { ServerVersion, SystemInfo } from '../backend';
import { CLIENT_API_VERSION } from '../client';
import type { CommandContext } from '../context';
import { checkFormat, compileTemplate, goJson, parseFormatOption } from '../format';
import type { BackendTarget } from '../io';
import { goFormatG } from '../units';

const FAILED = 1;

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** docker's `Total Memory: 3.832GiB` (1024-based, four significant digits). */
export function binarySize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < BINARY_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${goFormatG(size, 4)}${BINARY_UNITS[unit]}`;
}

function contextName(target: BackendTarget): string {
  return target.kind === 'daemon' ? target.host : `embedded (${target.root})`;
}

/** Aligned `Key: value` lines under a heading, as docker's version template prints them. */
function section(indent: string, rows: Array<[string, string | undefined]>): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}${v}\n`)
    .join('');
}

export interface ClientVersion {
  Version: string;
  ApiVersion: string;
  NodeVersion: string;
  Os: string;
  Arch: string;
  Context: string;
}

function renderVersion(client: ClientVersion, server: ServerVersion | undefined): string {
  let text = 'Client:\n';
  text += section(' ', [
    ['Version', client.Version],
    ['API version', client.ApiVersion],
    ['Node version', client.NodeVersion],
    ['OS/Arch', `${client.Os}/${client.Arch}`],
    ['Context', client.Context],
  ]);
  if (server === undefined) return text;
  text += `\nServer: ${server.Platform?.Name ?? ''}\n Engine:\n`;
  text += section('  ', [
    ['Version', server.Version],
    ['API version', `${server.ApiVersion}${server.MinAPIVersion ? ` (minimum version ${server.MinAPIVersion})` : ''}`],
    ['OS/Arch', `${server.Os}/${server.Arch}`],
    ['Kernel version', server.KernelVersion],
  ]);
  return text;
}

function renderInfo(client: ClientVersion, info: SystemInfo): string {
  let text = `Client:\n Version:    ${client.Version}\n Context:    ${client.Context}\n\nServer:\n`;
  text += ` Containers: ${info.Containers}\n  Running: ${info.ContainersRunning}\n  Paused: ${info.ContainersPaused}\n  Stopped: ${info.ContainersStopped}\n`;
  text += ` Images: ${info.Images}\n Server Version: ${info.ServerVersion}\n Storage Driver: ${info.Driver}\n`;
  for (const [k, v] of info.DriverStatus ?? []) text += `  ${k}: ${v}\n`;
  text += ` Kernel Version: ${info.KernelVersion}\n Operating System: ${info.OperatingSystem}\n OSType: ${info.OSType}\n`;
  text += ` Architecture: ${info.Architecture}\n CPUs: ${info.NCPU}\n Total Memory: ${binarySize(info.MemTotal)}\n Name: ${info.Name}\n`;
  if (info.ID) text += ` ID: ${info.ID}\n`;
  text += ` Docker Root Dir: ${info.DockerRootDir}\n`;
  return text;
}

function renderFormatted(data: unknown, format: string): string {
  const request = parseFormatOption(format);
  if (request.kind === 'json') return `${goJson(data)}\n`;
  if (request.kind === 'default') return '';
  return `${compileTemplate(request.template).render(data)}\n`;
}

export function registerSystemCommands(program: Command, ctx: CommandContext): void {
  const clientVersion = (): ClientVersion => ({
    Version: packageVersion(),
    ApiVersion: CLIENT_API_VERSION,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: goArch(),
    Context: contextName(ctx.target()),
  });

  program
    .command('version')
    .description('Show the berth version information')
    .usage('[OPTIONS]')
    .option('-f, --format <string>', "Format output using a custom template ('json', 'TEMPLATE')")
    .action(
      ctx.action(FAILED, async (flags: { format?: string }) => {
        const client = clientVersion();
        checkFormat(flags.format);
        const backend = await ctx.backend();
        const server = await backend.version();
        if (flags.format !== undefined && flags.format !== '') ctx.out(renderFormatted({ Client: client, Server: server }, flags.format));
        else ctx.out(renderVersion(client, server));
      }),
    );

  program
    .command('info')
    .description('Display system-wide information')
    .usage('[OPTIONS]')
    .option('-f, --format <string>', "Format output using a custom template ('json', 'TEMPLATE')")
    .action(
      ctx.action(FAILED, async (flags: { format?: string }) => {
        const client = clientVersion();
        checkFormat(flags.format);
        const backend = await ctx.backend();
        const info = await backend.info();
        if (flags.format !== undefined && flags.format !== '') ctx.out(renderFormatted({ ...info, ClientInfo: client }, flags.format));
        else ctx.out(renderInfo(client, info));
      }),
    );
}
