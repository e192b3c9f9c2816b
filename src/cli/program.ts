// The `berth` command line: global options, the commands, and one run of
// them. The engine is opened in this process unless -H/--host (or
// $BERTH_HOST) names a daemon, and is closed before the run returns.
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../api/server-info';
import { registerContainerCommands } from './commands/containers';
import { registerCreate } from './commands/create';
import { registerDaemon } from './commands/daemon';
import { registerEvents } from './commands/events';
import { registerImageCommands } from './commands/images';
import { registerInspect } from './commands/inspect';
import { registerSystemCommands } from './commands/system';
import { registerVolumeCommands } from './commands/volumes';
import { CommandContext } from './context';
import { CliError } from './errors';
import { type BackendTarget, type CliIo, processIo } from './io';

/**
 * The engine's default root (DEFAULT_ROOT of src/engine/engine.ts, which a
 * unit test keeps equal): not imported, so that a client run never loads the engine.
 */
export const DEFAULT_ROOT = '/var/lib/berth';

/** docker's status for a command line it could not parse. */
const USAGE_FAILED = 125;
const DRIVERS = ['overlay2', 'aufs', 'vfs'] as const;

interface GlobalOptions {
  root?: string;
  host?: string;
  storageDriver?: string;
}

function storageDriverOf(value: string | undefined): (typeof DRIVERS)[number] | undefined {
  if (value === undefined || value === '') return undefined;
  if ((DRIVERS as readonly string[]).includes(value)) return value as (typeof DRIVERS)[number];
  throw new CliError(`berth: unknown storage driver ${JSON.stringify(value)}: use overlay2, aufs or vfs`, USAGE_FAILED);
}

/** -H/$BERTH_HOST names a daemon; otherwise the engine opens here, on --root/$BERTH_ROOT. */
function backendTarget(g: GlobalOptions, io: CliIo, resolvePath: (p: string) => string): BackendTarget {
  const host = g.host ?? io.env.BERTH_HOST;
  if (host !== undefined && host !== '') return { kind: 'daemon', host };
  const storageDriver = storageDriverOf(g.storageDriver ?? io.env.BERTH_STORAGE_DRIVER);
  return { kind: 'embedded', root: resolvePath(g.root ?? io.env.BERTH_ROOT ?? DEFAULT_ROOT), ...(storageDriver ? { storageDriver } : {}) };
}

function buildProgram(ctx: CommandContext, globals: () => GlobalOptions): Command {
  const io = ctx.io;
  const program = new Command('berth');
  program
    .description('A Docker-compatible container engine for Node.js: create containers from images, in this process or through a daemon')
    .usage('[OPTIONS] COMMAND')
    .version(packageVersion(), '-v, --version', 'Print version information and quit')
    .option('--root <dir>', "The embedded engine's root directory (default: $BERTH_ROOT or /var/lib/berth)")
    .option('-H, --host <url>', 'Talk to the daemon at unix:///path.sock instead of opening the engine here (default: $BERTH_HOST)')
    .option('--storage-driver <string>', "The embedded engine's storage driver (overlay2, aufs, vfs)")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  registerCreate(program, ctx);
  registerImageCommands(program, ctx);
  registerContainerCommands(program, ctx);
  registerInspect(program, ctx);
  registerVolumeCommands(program, ctx);
  registerEvents(program, ctx);
  registerSystemCommands(program, ctx);
  registerDaemon(program, ctx, () => {
    const g = globals();
    const storageDriver = storageDriverOf(g.storageDriver);
    return {
      root: g.root ?? io.env.BERTH_ROOT ?? DEFAULT_ROOT,
      ...(g.host !== undefined ? { host: g.host } : {}),
      ...(storageDriver ? { storageDriver } : {}),
    };
  });
  program.showHelpAfterError("Run 'berth COMMAND --help' for more information.");
  for (const command of program.commands) {
    command.showHelpAfterError(`See 'berth ${command.name()} --help'.`);
    for (const sub of command.commands) sub.showHelpAfterError(`See 'berth ${command.name()} ${sub.name()} --help'.`);
  }
  return program;
}

/**
 * Runs `berth <argv...>` and resolves to its exit status. Output goes to
 * `io` (the process's streams by default); nothing calls process.exit.
 */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { ...processIo(), ...io };
  let program: Command | undefined;
  const globals = (): GlobalOptions => program?.opts<GlobalOptions>() ?? {};
  const ctx: CommandContext = new CommandContext(full, () => backendTarget(globals(), full, (p) => ctx.resolvePath(p)));
  program = buildProgram(ctx, globals);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : USAGE_FAILED;
    }
    ctx.fail(e, 1);
    return ctx.exitCode;
  } finally {
    await ctx.close();
  }
}
