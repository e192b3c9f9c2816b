// Container commands besides create: ps, rm, mount, umount.
import type { Command } from 'commander';
import { BackendError } from '../backend';
import type { CommandContext } from '../context';
import { checkFormat } from '../format';
import { renderListing } from '../listing';
import { containerView } from '../views';
import { filterArg, integerArg } from './option-parsers';

const FAILED = 1;

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  /** False with --no-trunc. */
  trunc?: boolean;
  last?: number;
  latest?: boolean;
  filter?: Record<string, string[]>;
  format?: string;
  size?: boolean;
}

export function registerContainerCommands(program: Command, ctx: CommandContext): void {
  program
    .command('ps')
    .description('List containers')
    .usage('[OPTIONS]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('--no-trunc', "Don't truncate output")
    .option('-n, --last <int>', 'Show n last created containers (includes all states)', integerArg)
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterArg)
    .option('--format <string>', "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
    .option('-s, --size', 'Display total file sizes (berth reports 0B)')
    .action(
      ctx.action(FAILED, async (flags: PsFlags) => {
        checkFormat(flags.format);
        const backend = await ctx.backend();
        let last = flags.last ?? -1;
        if (flags.latest && last === -1) last = 1;
        const containers = await backend.listContainers({
          // Like `-a`, a count of the last created counts stopped containers too.
          all: flags.all === true || last > 0,
          ...(last > 0 ? { limit: last } : {}),
          filters: flags.filter ?? {},
        });
        const view = containerView({ trunc: flags.trunc !== false, now: ctx.now() });
        ctx.out(renderListing(containers, flags.quiet ? '{{.ID}}' : flags.format, view));
      }),
    );

  program
    .command('rm')
    .description('Remove one or more containers')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .argument('<containers...>', 'containers to remove')
    .option('-f, --force', 'Force the removal of a running container')
    .option('-l, --link', 'Remove the specified link')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action(
      ctx.action(FAILED, async (containers: string[], flags: { force?: boolean; link?: boolean; volumes?: boolean }) => {
        const backend = await ctx.backend();
        let failed = false;
        for (const given of containers) {
          const name = given.replace(/^\/+|\/+$/g, '');
          try {
            await backend.removeContainer(name, { force: flags.force === true, v: flags.volumes === true, link: flags.link === true });
            ctx.out(`${name}\n`);
          } catch (e) {
            if (flags.force && e instanceof BackendError && e.isNotFound) {
              // Forced removal of what is not there is not a failure, only a remark.
              ctx.err(`Error response from daemon: ${e.message}\n`);
              continue;
            }
            ctx.fail(e, FAILED);
            failed = true;
          }
        }
        if (failed) ctx.exitCode = FAILED;
      }),
    );

  program
    .command('mount')
    .description("Mount a container's root filesystem and print where (embedded: until interrupted)")
    .usage('CONTAINER')
    .argument('<container>', 'the container to mount')
    .action(
      ctx.action(FAILED, async (container: string) => {
        const backend = await ctx.backend();
        const merged = await backend.mountContainer(container);
        ctx.out(`${merged}\n`);
        if (backend.kind === 'embedded') {
          // The engine unmounts what it mounted when it closes, and it closes
          // when this run ends: the mount lasts while the command waits.
          ctx.err(`berth: ${container} is mounted at ${merged} until this command is interrupted (Ctrl-C); a daemon (-H) keeps mounts without waiting\n`);
          const signal = ctx.interrupted();
          if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          await backend.unmountContainer(container);
        }
      }),
    );

  program
    .command('umount')
    .alias('unmount')
    .description("Unmount a container's root filesystem")
    .usage('CONTAINER')
    .argument('<container>', 'the container to unmount')
    .action(
      ctx.action(FAILED, async (container: string) => {
        // Embedded, the mount of an earlier `berth mount` ended with it; the
        // engine still checks the container and drops any mount it holds.
        const backend = await ctx.backend();
        await backend.unmountContainer(container);
        ctx.out(`${container}\n`);
      }),
    );
}
