// `berth daemon`: serve the engine on the Docker Engine API until SIGTERM/SIGINT.
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { collect } from './option-parsers';

const FAILED = 1;
const DEFAULT_SOCKET = 'unix:///var/run/berth.sock';
const DRIVERS = ['overlay2', 'aufs', 'vfs'] as const;
type DriverName = (typeof DRIVERS)[number];

interface DaemonFlags {
  root?: string;
  host?: string[];
  storageDriver?: string;
  logLevel?: string;
}

/** Where the daemon keeps its state and listens, when its own flags leave it open. */
export interface DaemonDefaults {
  root: string;
  host?: string;
  storageDriver?: DriverName;
}

export function registerDaemon(program: Command, ctx: CommandContext, defaults: () => DaemonDefaults): void {
  program
    .command('daemon')
    .description('Run the berth daemon: the Docker Engine API on unix sockets')
    .usage('[OPTIONS]')
    .option('--root <dir>', 'Root directory of persistent berth state (default: $BERTH_ROOT or /var/lib/berth)')
    .option('-H, --host <list>', `Daemon socket(s) to listen on (default: ${DEFAULT_SOCKET})`, collect)
    .option('-s, --storage-driver <string>', 'Storage driver to use (overlay2, aufs, vfs)')
    .option('-l, --log-level <string>', 'Set the logging level ("debug", "info", "warn", "error", "fatal")', 'info')
    .action(
      ctx.action(FAILED, async (flags: DaemonFlags) => {
        const fallback = defaults();
        const driver = flags.storageDriver ?? fallback.storageDriver;
        if (driver !== undefined && !(DRIVERS as readonly string[]).includes(driver)) {
          throw new UsageError(`unknown storage driver ${JSON.stringify(driver)}: use overlay2, aufs or vfs`, 'daemon');
        }
        // Loaded here: the HTTP server is no concern of any other command.
        const { installSignalHandlers, runDaemon } = await import('../../api/daemon');
        const daemon = await runDaemon({
          root: ctx.resolvePath(flags.root ?? fallback.root),
          hosts: flags.host ?? (fallback.host !== undefined ? [fallback.host] : [DEFAULT_SOCKET]),
          ...(driver !== undefined ? { storageDriver: driver as DriverName } : {}),
          ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel } : {}),
          logStream: ctx.io.stderr as NodeJS.WritableStream,
        });
        const signal = ctx.io.signal;
        if (signal === undefined) {
          // The process's own signals stop it, and the handlers end the process once it has stopped.
          installSignalHandlers(daemon);
          return;
        }
        if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        await daemon.close();
      }),
    );
}
