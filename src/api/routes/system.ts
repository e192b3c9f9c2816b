// `/_ping`, `/version`, `/info`: what a client asks before anything else.
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type ApiContext, sendJson } from '../server';
import { engineId, goArch, osRelease, packageVersion } from '../server-info';
import { API_VERSION, MIN_API_VERSION } from '../version';

function pingHeaders(reply: FastifyReply): void {
  reply.header('Cache-Control', 'no-cache, no-store, must-revalidate').header('Pragma', 'no-cache');
}

export function systemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/_ping', async (_request, reply) => {
    pingHeaders(reply);
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send('OK');
  });
  app.head('/_ping', async (_request, reply) => {
    pingHeaders(reply);
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').header('content-length', '0').send();
  });

  app.get('/version', async (_request, reply) => sendJson(reply, 200, versionInfo()));

  app.get('/info', async (_request, reply) => sendJson(reply, 200, systemInfo(ctx)));
}

export function versionInfo(): Record<string, unknown> {
  const version = packageVersion();
  const kernel = os.release();
  return {
    Platform: { Name: 'berth' },
    Components: [
      {
        Name: 'Engine',
        Version: version,
        Details: {
          ApiVersion: API_VERSION,
          Arch: goArch(),
          BuildTime: '',
          Experimental: 'false',
          GitCommit: '',
          GoVersion: '',
          KernelVersion: kernel,
          MinAPIVersion: MIN_API_VERSION,
          NodeVersion: process.version,
          Os: 'linux',
        },
      },
    ],
    Version: version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: '',
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: kernel,
    BuildTime: '',
  };
}

const cgroupVersion = (): string => (existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1');

export function systemInfo(ctx: ApiContext): Record<string, unknown> {
  const { engine } = ctx;
  const containers = engine.containers.list({ all: true });
  const running = containers.filter((c) => c.State === 'running').length;
  const paused = containers.filter((c) => c.State === 'paused').length;
  const release = osRelease();
  return {
    ID: engineId(engine.root),
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: containers.length - running - paused,
    Images: engine.images.list().length,
    Driver: engine.driver.name,
    DriverStatus: engine.driver.status(),
    // berth creates containers but runs none: no network, log or runtime plugins.
    Plugins: { Volume: ['local'], Network: ['null'], Authorization: null, Log: [] },
    MemoryLimit: false,
    SwapLimit: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: false,
    IPv4Forwarding: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: '',
    CgroupDriver: 'none',
    CgroupVersion: cgroupVersion(),
    NEventsListener: ctx.streams.size,
    KernelVersion: os.release(),
    OperatingSystem: release.prettyName,
    OSVersion: release.versionId,
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
      Mirrors: [],
    },
    NCPU: os.availableParallelism(),
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: engine.root,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: packageVersion(),
    Runtimes: {},
    DefaultRuntime: '',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: [],
    Warnings: [],
  };
}
