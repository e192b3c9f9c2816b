// `berth volume create|ls|inspect|rm`.
import type { Command } from 'commander';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { checkFormat } from '../format';
import { naturalCompare, renderListing } from '../listing';
import { volumeView } from '../views';
import { registerInspect } from './inspect';
import { collect, filterArg } from './option-parsers';

const FAILED = 1;

function keyValues(values: string[] | undefined, flag: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq === 0) throw new UsageError(`invalid ${flag} '${v}': empty name`, 'volume create');
    if (eq < 0) map[v] = '';
    else map[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return map;
}

export function registerVolumeCommands(program: Command, ctx: CommandContext): void {
  const volume = program.command('volume').description('Manage volumes').usage('COMMAND');

  volume
    .command('create')
    .description('Create a volume')
    .usage('[OPTIONS] [VOLUME]')
    .argument('[name]', 'the volume name (generated when absent)')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect)
    .option('-o, --opt <map>', 'Set driver specific options', collect)
    .option('--name <string>', 'Specify volume name')
    .action(
      ctx.action(FAILED, async (positional: string | undefined, flags: { driver: string; label?: string[]; opt?: string[]; name?: string }) => {
        if (positional !== undefined && flags.name !== undefined && positional !== flags.name) {
          throw new UsageError(`conflicting options: either specify --name or provide positional arg, not both`, 'volume create');
        }
        const backend = await ctx.backend();
        const created = await backend.createVolume({
          Name: positional ?? flags.name ?? '',
          Driver: flags.driver,
          DriverOpts: keyValues(flags.opt, 'option'),
          Labels: keyValues(flags.label, 'label'),
        });
        ctx.out(`${created.Name}\n`);
      }),
    );

  volume
    .command('ls')
    .alias('list')
    .description('List volumes')
    .usage('[OPTIONS]')
    .option('-q, --quiet', 'Only display volume names')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')", filterArg)
    .option('--format <string>', "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
    .action(
      ctx.action(FAILED, async (flags: { quiet?: boolean; filter?: Record<string, string[]>; format?: string }) => {
        checkFormat(flags.format);
        const backend = await ctx.backend();
        const { Volumes, Warnings } = await backend.listVolumes(flags.filter ?? {});
        const sorted = [...Volumes].sort((a, b) => naturalCompare(a.Name, b.Name));
        ctx.out(renderListing(sorted, flags.quiet ? '{{.Name}}' : flags.format, volumeView()));
        for (const w of Warnings) ctx.err(`WARNING: ${w}\n`);
      }),
    );

  registerInspect(volume, ctx, 'inspect', 'volume');

  volume
    .command('rm')
    .alias('remove')
    .description('Remove one or more volumes')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .argument('<volumes...>', 'volumes to remove')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(
      ctx.action(FAILED, async (names: string[], flags: { force?: boolean }) => {
        const backend = await ctx.backend();
        let failed = false;
        for (const name of names) {
          try {
            await backend.removeVolume(name, { force: flags.force === true });
            ctx.out(`${name}\n`);
          } catch (e) {
            ctx.fail(e, FAILED);
            failed = true;
          }
        }
        if (failed) ctx.exitCode = FAILED;
      }),
    );
}
