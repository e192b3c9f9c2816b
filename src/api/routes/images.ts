// Images: list, inspect, pull (`/images/create?fromImage=`), import
// (`fromSrc=-`), load, tag, remove. Image names hold `/` and `:`, so the
// per-image routes are one wildcard each, split here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidParameter } from '../../errors';
import { normalizePlatform, type Platform } from '../../image/registry';
import { familiarString, parseReference, withDigest, withTag } from '../../image/reference';
import { filterImages } from '../image-filters';
import { JsonMessageStream } from '../json-stream';
import { parseFilters, queryBool, queryValue, type RawQuery } from '../query';
import { decodeRegistryAuth } from '../registry-auth';
import { type ApiContext, sendJson } from '../server';

interface WildcardParams {
  '*': string;
}

/** `os[/arch[/variant]]`, normalized (`x86_64` is amd64). */
export function parsePlatform(value: string): Platform {
  const parts = value.split('/');
  if (parts.length > 3 || parts.some((p) => p.trim() === '')) {
    throw invalidParameter(`invalid platform ${JSON.stringify(value)}: expected os[/arch[/variant]]`);
  }
  const [os, architecture = '', variant] = parts;
  return normalizePlatform({ os, architecture: architecture || (os === 'linux' ? 'amd64' : ''), ...(variant ? { variant } : {}) });
}

/**
 * The reference a pull asks for: `fromImage` with `tag` (a tag, or a digest)
 * replacing whatever the name carried, as dockerd combines them.
 */
export function pullReference(fromImage: string, tag: string | undefined): string {
  if (tag === undefined || tag === '') return fromImage;
  const ref = parseReference(fromImage, { defaultTag: false });
  const bare = { domain: ref.domain, path: ref.path };
  return familiarString(tag.includes(':') ? withDigest(bare, tag) : withTag(bare, tag));
}

/** The per-image route a wildcard path names: `<name>/json`, `<name>/tag`, or the bare name. */
function splitImagePath(path: string, action: string): string | undefined {
  const suffix = `/${action}`;
  return path.endsWith(suffix) && path.length > suffix.length ? path.slice(0, -suffix.length) : undefined;
}

function notFoundPage(reply: FastifyReply): FastifyReply {
  return sendJson(reply, 404, { message: 'page not found' });
}

export function imageRoutes(app: FastifyInstance, { engine }: ApiContext): void {
  app.get('/images/json', async (request, reply) => {
    const filters = parseFilters(queryValue(request.query as RawQuery, 'filters'));
    const created = (reference: string): number => Math.floor(Date.parse(engine.images.inspect(reference).Created) / 1000) || 0;
    return sendJson(reply, 200, filterImages(engine.images.list(), filters, created));
  });

  app.get<{ Params: WildcardParams }>('/images/*', async (request, reply) => {
    const name = splitImagePath(request.params['*'], 'json');
    if (name === undefined) return notFoundPage(reply);
    return sendJson(reply, 200, engine.images.inspect(name));
  });

  app.post('/images/create', async (request, reply) => {
    const query = request.query as RawQuery;
    const fromImage = queryValue(query, 'fromImage');
    const fromSrc = queryValue(query, 'fromSrc');
    if (fromImage !== undefined && fromImage !== '') return pull(request, reply, fromImage);
    if (fromSrc === '-') return importBody(request, reply);
    if (fromSrc !== undefined && fromSrc !== '') throw invalidParameter('importing from a URL is not supported: send the archive as the body with fromSrc=-');
    throw invalidParameter('fromImage or fromSrc is required');
  });

  async function pull(request: FastifyRequest, reply: FastifyReply, fromImage: string): Promise<FastifyReply> {
    const query = request.query as RawQuery;
    const reference = pullReference(fromImage, queryValue(query, 'tag'));
    const platform = queryValue(query, 'platform');
    const authHeader = request.headers['x-registry-auth'];
    const credentials = decodeRegistryAuth(Array.isArray(authHeader) ? authHeader[0] : authHeader);
    const out = new JsonMessageStream(reply);
    try {
      await engine.images.pull(reference, {
        ...credentials,
        ...(platform ? { platform: parsePlatform(platform) } : {}),
        onProgress: (message) => out.write(message),
      });
      out.end();
    } catch (e) {
      out.fail(e);
    }
    return reply;
  }

  async function importBody(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const query = request.query as RawQuery;
    const repo = queryValue(query, 'repo');
    const tag = queryValue(query, 'tag');
    const message = queryValue(query, 'message');
    const platform = queryValue(query, 'platform');
    if ((queryValue(query, 'changes') ?? '') !== '') throw invalidParameter('import with changes is not supported');
    const reference = repo ? pullReference(repo, tag) : undefined;
    const target = platform ? parsePlatform(platform) : undefined;
    const out = new JsonMessageStream(reply);
    try {
      const image = await engine.images.import(request.raw, {
        ...(reference !== undefined ? { reference } : {}),
        ...(message ? { message } : {}),
        ...(target !== undefined ? { os: target.os, architecture: target.architecture } : {}),
      });
      out.write({ status: image.id });
      out.end();
    } catch (e) {
      out.fail(e);
    }
    return reply;
  }

  app.post('/images/load', async (request, reply) => {
    // `quiet` only silences progress bars, and berth's load draws none.
    const out = new JsonMessageStream(reply);
    try {
      await engine.images.load(request.raw, { onMessage: (line) => out.write({ stream: `${line}\n` }) });
      out.end();
    } catch (e) {
      out.fail(e);
    }
    return reply;
  });

  app.post<{ Params: WildcardParams }>('/images/*', async (request, reply) => {
    const name = splitImagePath(request.params['*'], 'tag');
    if (name === undefined) return notFoundPage(reply);
    const query = request.query as RawQuery;
    const repo = queryValue(query, 'repo') ?? '';
    const tag = queryValue(query, 'tag') ?? '';
    const target = tag === '' ? repo : `${repo}:${tag}`;
    await engine.images.tag(name, target);
    return reply.code(201).send();
  });

  app.delete<{ Params: WildcardParams }>('/images/*', async (request, reply) => {
    const name = request.params['*'];
    const query = request.query as RawQuery;
    const image = engine.images.inspect(name);
    const usedBy = engine.containers
      .list({ all: true })
      .filter((c) => c.ImageID === image.Id)
      .map((c) => c.Id);
    const removed = await engine.images.remove(name, { force: queryBool(query, 'force'), usedBy });
    return sendJson(reply, 200, removed);
  });
}
