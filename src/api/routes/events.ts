// `GET /events`: the kept events from `since` to `until` first, then new ones
// as they happen, one JSON object per line, until `until` passes, the client
// leaves or the daemon stops.
import type { FastifyInstance } from 'fastify';
import type { EngineEvent } from '../../container/types';
import { matchesEventFilters } from '../../engine/events';
import { invalidParameter } from '../../errors';
import { checkFilterKeys, parseFilters, queryValue, type RawQuery } from '../query';
import type { ApiContext } from '../server';
import { parseTimestampNs } from '../timestamp';

/** Docker's event filter keys; the ones naming things berth has none of simply match nothing. */
export const EVENT_FILTERS = [
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
] as const;

/** Longest wait setTimeout takes; a later `until` is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { engine } = ctx;
  app.get('/events', async (request, reply) => {
    const query = request.query as RawQuery;
    const filters = parseFilters(queryValue(query, 'filters'));
    checkFilterKeys(filters, EVENT_FILTERS);
    const sinceRaw = queryValue(query, 'since');
    const untilRaw = queryValue(query, 'until');
    const sinceNs = sinceRaw ? parseTimestampNs(sinceRaw, 'since') : undefined;
    const untilNs = untilRaw ? parseTimestampNs(untilRaw, 'until') : undefined;
    if (sinceNs !== undefined && untilNs !== undefined && untilNs < sinceNs) {
      throw invalidParameter(`since time (${sinceRaw}) cannot be after until time (${untilRaw})`);
    }
    const wanted = (e: EngineEvent): boolean =>
      (sinceNs === undefined || e.timeNano >= sinceNs) && (untilNs === undefined || e.timeNano <= untilNs) && matchesEventFilters(e, filters);

    const raw = reply.raw;
    const send = (e: EngineEvent): void => {
      if (!raw.writableEnded && !raw.destroyed) raw.write(`${JSON.stringify(e)}\n`);
    };

    // Subscribed before the replay, so nothing falls between the two; an
    // event seen in both is sent once.
    const replayed = new Set<EngineEvent>();
    let replaying = true;
    const held: EngineEvent[] = [];
    const unsubscribe = engine.events.subscribe((e) => {
      if (!wanted(e)) return;
      if (replaying) held.push(e);
      else send(e);
    });
    // Hijacked so that the headers go out now, once subscribed: a client that
    // has them knows it will see every later event, as with dockerd.
    reply.hijack();
    raw.writeHead(200, { 'Content-Type': 'application/json' });
    raw.flushHeaders();
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (!ctx.streams.delete(finish)) return;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      if (!raw.writableEnded) raw.end();
      request.log.info({ statusCode: 200 }, 'events stream ended');
    };
    ctx.streams.add(finish);
    raw.once('close', finish);
    if (ctx.closing) {
      finish();
      return;
    }

    if (sinceNs !== undefined) {
      for (const e of engine.events.recent(sinceNs, untilNs)) {
        if (!matchesEventFilters(e, filters)) continue;
        replayed.add(e);
        send(e);
      }
    }
    replaying = false;
    for (const e of held) if (!replayed.has(e)) send(e);
    held.length = 0;

    if (untilNs !== undefined) {
      const arm = (): void => {
        const wait = untilNs / 1e6 - Date.now();
        if (wait <= 0) finish();
        else timer = setTimeout(arm, Math.min(wait + 1, MAX_TIMER_MS));
      };
      arm();
    }
  });
}
