// `berth events`: the engine's events from --since, then live ones until
// --until passes or the user interrupts.
import type { Command } from 'commander';
import type { EngineEvent } from '../../container/types';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { compileTemplate, goJson, parseFormatOption } from '../format';
import { formatEventTime, toApiTimestamp } from '../timestamps';
import { filterArg } from './option-parsers';

const FAILED = 1;

/** docker's event line: `<time> <type> <action> <id> (k=v, ...)`, attributes sorted. */
export function formatEventLine(event: EngineEvent): string {
  const attributes = Object.entries(event.Actor?.Attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  const tail = attributes.length > 0 ? ` (${attributes.join(', ')})` : '';
  return `${formatEventTime(event.timeNano)} ${event.Type} ${event.Action} ${event.Actor?.ID ?? ''}${tail}`;
}

export function registerEvents(program: Command, ctx: CommandContext): void {
  program
    .command('events')
    .description('Get real time events from the server')
    .usage('[OPTIONS]')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', filterArg)
    .option('--format <string>', "Format output using a custom template ('json', 'TEMPLATE')")
    .action(
      ctx.action(FAILED, async (flags: { since?: string; until?: string; filter?: Record<string, string[]>; format?: string }) => {
        const now = ctx.now();
        let since: string | undefined;
        let until: string | undefined;
        try {
          since = flags.since !== undefined ? toApiTimestamp(flags.since, now) : undefined;
          until = flags.until !== undefined ? toApiTimestamp(flags.until, now) : undefined;
        } catch (e) {
          throw new UsageError((e as Error).message, 'events');
        }
        const request = parseFormatOption(flags.format);
        const template = request.kind === 'template' || request.kind === 'table' ? compileTemplate(request.template) : undefined;
        const print = (event: EngineEvent): void => {
          if (request.kind === 'json') ctx.out(`${goJson(event)}\n`);
          else if (template) ctx.out(`${template.render(event)}\n`);
          else ctx.out(`${formatEventLine(event)}\n`);
        };
        const backend = await ctx.backend();
        await backend.events({ since, until, filters: flags.filter ?? {} }, print, ctx.interrupted());
      }),
    );
}
