// Volumes: list, create, inspect, remove.
import type { FastifyInstance } from 'fastify';
import type { VolumeCreateRequest } from '../../container/types';
import { jsonBodyHook } from '../body';
import { checkFilterKeys, parseFilters, queryBool, queryValue, type RawQuery } from '../query';
import { type ApiContext, sendJson } from '../server';

interface NameParams {
  name: string;
}

const stringMap = { type: ['object', 'null'], additionalProperties: { type: 'string' } } as const;

/** Docker's VolumeCreateBody: every field optional, each of its own type; unknown fields pass. */
export const VOLUME_CREATE_SCHEMA = {
  type: ['object', 'null'],
  properties: {
    Name: { type: 'string' },
    Driver: { type: 'string' },
    DriverOpts: stringMap,
    Labels: stringMap,
  },
} as const;

export const VOLUME_FILTERS = ['dangling', 'driver', 'label', 'name'] as const;

export function volumeRoutes(app: FastifyInstance, { engine }: ApiContext): void {
  app.get('/volumes', async (request, reply) => {
    const filters = parseFilters(queryValue(request.query as RawQuery, 'filters'));
    checkFilterKeys(filters, VOLUME_FILTERS);
    const { Volumes, Warnings } = engine.volumes.list(filters);
    return sendJson(reply, 200, { Volumes, Warnings: Warnings ?? [] });
  });

  app.post('/volumes/create', { preValidation: jsonBodyHook, schema: { body: VOLUME_CREATE_SCHEMA } }, async (request, reply) => {
    const body = (request.body ?? {}) as VolumeCreateRequest;
    return sendJson(reply, 201, await engine.volumes.create(body));
  });

  app.get<{ Params: NameParams }>('/volumes/:name', async (request, reply) => sendJson(reply, 200, engine.volumes.inspect(request.params.name)));

  app.delete<{ Params: NameParams }>('/volumes/:name', async (request, reply) => {
    await engine.volumes.remove(request.params.name, { force: queryBool(request.query as RawQuery, 'force') });
    return reply.code(204).send();
  });
}
