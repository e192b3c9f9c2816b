// JSON request bodies, read by hand rather than by fastify's parser: Docker's
// Content-Type rule (no type is fine without a body; otherwise it must be
// application/json, and a wrong one is a 400, not a 415), a hard size limit,
// and JSON errors worded for the client.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidParameter } from '../errors';
import { HttpError } from './http-errors';

/** Create bodies are a few KiB; anything near this is a mistake or an attack. */
export const JSON_BODY_LIMIT = 4 * 1024 * 1024;

export function hasBody(request: FastifyRequest): boolean {
  const headers = request.headers;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/** Docker's CheckForJSON. */
export function checkJsonContentType(request: FastifyRequest): void {
  const contentType = request.headers['content-type'] ?? '';
  if (contentType === '' && !hasBody(request)) return;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw invalidParameter(`unsupported Content-Type header (${contentType}): must be 'application/json'`);
  }
}

const tooLarge = (limit: number): HttpError => new HttpError(413, `request body is too large: the limit is ${limit} bytes`);

/**
 * After refusing a body, the rest of it is read and dropped: closing the
 * socket on a client still writing would reset the connection before the
 * client reads the answer. `Connection: close` ends it after that.
 */
function discardRest(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('connection', 'close');
  request.raw.resume();
}

async function readRaw(request: FastifyRequest, reply: FastifyReply, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limit) {
    discardRest(request, reply);
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = request.raw;
  return new Promise<Buffer>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        discardRest(request, reply);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/**
 * Reads a JSON object body. An empty body or `null` gives undefined (Docker
 * decodes both as "nothing given"); any other non-object is a 400. Field
 * types are left to the engine, and unknown fields are kept.
 */
export async function readJsonObject(
  request: FastifyRequest,
  reply: FastifyReply,
  limit = JSON_BODY_LIMIT,
): Promise<Record<string, unknown> | undefined> {
  checkJsonContentType(request);
  if (!hasBody(request)) return undefined;
  const raw = await readRaw(request, reply, limit);
  const text = raw.toString('utf8').trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalidParameter(`invalid JSON: ${(e as Error).message}`);
  }
  if (parsed === null) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter(`invalid JSON: the request body must be a JSON object, not ${Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * A route's preValidation hook: the body, read as above, becomes
 * `request.body` (null when absent) for the route's JSON schema to check.
 */
export async function jsonBodyHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  request.body = (await readJsonObject(request, reply)) ?? null;
}
