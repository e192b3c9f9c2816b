// Containers: create, list, inspect, remove; and berth's mount/unmount.
import type { FastifyInstance } from 'fastify';
import type { ContainerConfig, HostConfig, NetworkingConfig } from '../../container/types';
import { jsonBodyHook } from '../body';
import { parseFilters, queryBool, queryInt, queryValue, type RawQuery } from '../query';
import { type ApiContext, sendJson } from '../server';

interface IdParams {
  id: string;
}

/**
 * Splits a create body into the request the engine takes: the Config fields
 * sit at the top level beside HostConfig and NetworkingConfig. Field types are
 * the engine's decoder's business; unknown fields go along untouched.
 */
export function splitCreateBody(body: Record<string, unknown> | undefined): {
  config: ContainerConfig | undefined;
  hostConfig: HostConfig | null | undefined;
  networkingConfig: NetworkingConfig | null | undefined;
} {
  if (body === undefined) return { config: undefined, hostConfig: undefined, networkingConfig: undefined };
  const { HostConfig: hostConfig, NetworkingConfig: networkingConfig, ...config } = body;
  return {
    config: config as ContainerConfig,
    hostConfig: hostConfig as HostConfig | null | undefined,
    networkingConfig: networkingConfig as NetworkingConfig | null | undefined,
  };
}

/** Only "an object": the engine's decoder checks the fields, and fields it does not know are ignored. */
export const CONTAINER_CREATE_SCHEMA = { type: ['object', 'null'] } as const;

export function containerRoutes(app: FastifyInstance, { engine }: ApiContext): void {
  app.post('/containers/create', { preValidation: jsonBodyHook, schema: { body: CONTAINER_CREATE_SCHEMA } }, async (request, reply) => {
    const query = request.query as RawQuery;
    const body = (request.body ?? undefined) as Record<string, unknown> | undefined;
    const { config, hostConfig, networkingConfig } = splitCreateBody(body);
    const name = queryValue(query, 'name');
    const platform = queryValue(query, 'platform');
    const created = await engine.containers.create({
      ...(name ? { name } : {}),
      ...(platform ? { platform } : {}),
      config,
      hostConfig,
      networkingConfig,
      ...(request.apiVersion !== undefined ? { apiVersion: request.apiVersion } : {}),
    });
    return sendJson(reply, 201, { Id: created.Id, Warnings: created.Warnings ?? [] });
  });

  app.get('/containers/json', async (request, reply) => {
    const query = request.query as RawQuery;
    const limit = queryInt(query, 'limit');
    const list = engine.containers.list({
      all: queryBool(query, 'all'),
      ...(limit !== undefined && limit > 0 ? { limit } : {}),
      filters: parseFilters(queryValue(query, 'filters')),
    });
    return sendJson(reply, 200, list);
  });

  app.get<{ Params: IdParams }>('/containers/:id/json', async (request, reply) => sendJson(reply, 200, engine.containers.inspect(request.params.id)));

  // berth's own: the Engine API has no way to mount a rootfs for the host to read.
  app.post<{ Params: IdParams }>('/containers/:id/mount', async (request, reply) =>
    sendJson(reply, 200, { Path: await engine.containers.mount(request.params.id) }),
  );
  app.post<{ Params: IdParams }>('/containers/:id/unmount', async (request, reply) => {
    await engine.containers.unmount(request.params.id);
    return reply.code(204).send();
  });

  // A wildcard: removing a link names it `parent/alias`, slash and all.
  app.delete<{ Params: { '*': string } }>('/containers/*', async (request, reply) => {
    const name = request.params['*'];
    if (name === '') return sendJson(reply, 404, { message: 'page not found' });
    const query = request.query as RawQuery;
    await engine.containers.remove(name, {
      force: queryBool(query, 'force'),
      v: queryBool(query, 'v'),
      link: queryBool(query, 'link'),
    });
    return reply.code(204).send();
  });
}
