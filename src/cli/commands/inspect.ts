// `berth inspect`: containers, images and volumes by name or ID, as a JSON
// array indented like docker's, or each through --format. Without --type the
// kinds are tried in docker's order, skipping the ones that say "not found".
import type { Command } from 'commander';
import { type Backend, BackendError } from '../backend';
import type { CommandContext } from '../context';
import { CliError, UsageError } from '../errors';
import { checkFormat, compileTemplate, goJson, parseFormatOption } from '../format';

const FAILED = 1;
const TYPES = ['container', 'image', 'volume'] as const;
type ObjectType = (typeof TYPES)[number];

function lookup(backend: Backend, type: ObjectType, name: string): Promise<unknown> {
  switch (type) {
    case 'container':
      return backend.inspectContainer(name);
    case 'image':
      return backend.inspectImage(name);
    case 'volume':
      return backend.inspectVolume(name);
  }
}

async function inspectAny(backend: Backend, name: string): Promise<unknown> {
  for (const type of TYPES) {
    try {
      return await lookup(backend, type, name);
    } catch (e) {
      if (!(e instanceof BackendError && e.isNotFound)) throw e;
    }
  }
  throw new CliError(`error: no such object: ${name}`);
}

/** What `inspect` prints for the objects found. */
export function renderInspect(objects: unknown[], format: string | undefined): string {
  const request = parseFormatOption(format);
  if (request.kind === 'default') return `${goJson(objects, '    ')}\n`;
  if (request.kind === 'json') return `${goJson(objects)}\n`;
  const template = compileTemplate(request.template);
  return objects.map((o) => `${template.render(o)}\n`).join('');
}

export function registerInspect(program: Command, ctx: CommandContext, name = 'inspect', fixedType?: ObjectType): Command {
  const command = program
    .command(name)
    .description(fixedType ? `Display detailed information on one or more ${fixedType}s` : 'Return low-level information on berth objects')
    .usage(`[OPTIONS] ${fixedType ? fixedType.toUpperCase() : 'NAME|ID'} [${fixedType ? fixedType.toUpperCase() : 'NAME|ID'}...]`)
    .argument('<names...>', 'what to inspect')
    .option('-f, --format <string>', "Format output using a custom template ('json', 'TEMPLATE')")
    .option('-s, --size', 'Display total file sizes if the type is container (berth reports none)');
  if (!fixedType) command.option('--type <string>', 'Only inspect objects of the given type (container, image, volume)');
  command.action(
    ctx.action(FAILED, async (names: string[], flags: { format?: string; type?: string }) => {
      const type = fixedType ?? flags.type;
      if (type !== undefined && !(TYPES as readonly string[]).includes(type)) {
        throw new UsageError(`"${type}" is not a valid value for --type`, name);
      }
      // A template that cannot be read fails before anything is looked up.
      checkFormat(flags.format);
      const backend = await ctx.backend();
      const found: unknown[] = [];
      const errors: string[] = [];
      for (const n of names) {
        try {
          found.push(type === undefined ? await inspectAny(backend, n) : await lookup(backend, type as ObjectType, n));
        } catch (e) {
          if (!(e instanceof BackendError || e instanceof CliError)) throw e;
          errors.push(e instanceof BackendError ? `Error response from daemon: ${e.message}` : e.message);
        }
      }
      // Docker prints what it found even when some names failed.
      if (found.length > 0 || flags.format === undefined) ctx.out(renderInspect(found, flags.format));
      if (errors.length > 0) {
        ctx.err(`${errors.join('\n')}\n`);
        ctx.exitCode = FAILED;
      }
    }),
  );
  return command;
}
