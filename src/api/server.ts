// The Engine API as a fastify application. fastify because it is well kept,
// fast on the hot path (find-my-way routing, no per-request middleware
// chain), logs through pino, validates with JSON schemas, and answers
// requests in-process (`inject`) for tests. The daemon owns the sockets; this
// module only turns requests into engine calls and answers into Docker's shapes.
import type { IncomingMessage, RequestListener } from 'node:http';
import * as http from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Engine } from '../engine/engine';
import { JSON_BODY_LIMIT } from './body';
import { toHttpFailure } from './http-errors';
import { containerRoutes } from './routes/containers';
import { eventRoutes } from './routes/events';
import { imageRoutes } from './routes/images';
import { systemRoutes } from './routes/system';
import { volumeRoutes } from './routes/volumes';
import { packageVersion } from './server-info';
import { API_VERSION, checkApiVersion, splitVersionPrefix, wantsJsonErrors } from './version';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `/vX.Y` prefix of the request; undefined means the newest. */
    apiVersion: string | undefined;
  }
}

/** What the route modules share. */
export interface ApiContext {
  engine: Engine;
  /** Long-lived answers (`/events`) that must end when the daemon stops. */
  streams: Set<() => void>;
  /** True once the daemon stops: streams end and no new ones start. */
  readonly closing: boolean;
}

export interface ApiServer {
  app: FastifyInstance;
  /** The request listener for every server the daemon listens with. */
  handler: RequestListener;
  /** Requests being answered now (a stream counts until it ends). */
  readonly inFlight: number;
  /** Ends streams, answers 503 to anything new, and makes busy connections close after their answer. */
  beginShutdown(): void;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  logger: FastifyBaseLogger;
}

const versionOfRequest = new WeakMap<IncomingMessage, string>();

/** Sends `value` as JSON with exactly `application/json` (the docker client parses errors only then). */
export function sendJson(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(value)));
}

/** Docker's error body: `{"message": ...}`, or the bare text for clients older than 1.24. */
export function sendError(reply: FastifyReply, status: number, message: string, apiVersion: string | undefined): FastifyReply {
  if (wantsJsonErrors(apiVersion)) return sendJson(reply, status, { message });
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(Buffer.from(`${message}\n`));
}

export async function buildApiServer(engine: Engine, options: ApiServerOptions): Promise<ApiServer> {
  const serverHeader = `berth/${packageVersion()} (linux)`;
  let handler: RequestListener | undefined;
  let closing = false;
  let inFlight = 0;
  const streams = new Set<() => void>();

  const app = Fastify({
    loggerInstance: options.logger,
    // The daemon makes its own servers (one per --host) around this handler.
    serverFactory: (h) => {
      handler = h;
      return http.createServer(h);
    },
    rewriteUrl: (req) => {
      const { version, path } = splitVersionPrefix(req.url ?? '/');
      if (version !== undefined) versionOfRequest.set(req, version);
      return path;
    },
    exposeHeadRoutes: false,
    // Bodies are read by the routes that take one (see body.ts); this only bounds fastify's own use.
    bodyLimit: JSON_BODY_LIMIT,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
    return503OnClosing: true,
    // One line per request (below), not fastify's two: each is a write to the log.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: (error, _request, reply) => {
      const failure = toHttpFailure(error);
      sendError(reply, failure.status < 500 ? failure.status : 400, failure.message, undefined);
    },
  });

  app.decorateRequest('apiVersion', undefined);

  // Every body arrives unparsed: JSON routes read it themselves, load and
  // import stream it to the engine. No 415 for any type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  app.addHook('onRequest', async (request, reply) => {
    // On the raw response, so that streamed answers carry them too.
    const raw = reply.raw;
    raw.setHeader('Api-Version', API_VERSION);
    raw.setHeader('Docker-Experimental', 'false');
    raw.setHeader('Ostype', 'linux');
    raw.setHeader('Server', serverHeader);
    request.apiVersion = versionOfRequest.get(request.raw);
    if (closing) {
      // A request on a connection kept alive from before the shutdown began.
      raw.setHeader('Connection', 'close');
      sendError(reply, 503, 'the daemon is shutting down', request.apiVersion);
      return reply;
    }
    request.log.debug({ req: { method: request.method, url: request.originalUrl } }, 'incoming request');
    inFlight++;
    let counted = true;
    const done = (): void => {
      if (counted) inFlight--;
      counted = false;
    };
    raw.once('close', done);
    raw.once('finish', done);
    // A route that does not exist is a 404 whatever the version (as dockerd's router answers).
    if (request.apiVersion !== undefined && !request.is404) checkApiVersion(request.apiVersion);
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { req: { method: request.method, url: request.originalUrl }, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
      'request completed',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const failure = toHttpFailure(error);
    if (failure.unexpected) request.log.error({ err: error }, `${request.method} ${request.url}: ${failure.message}`);
    else request.log.info({ status: failure.status }, failure.message);
    if (reply.sent || reply.raw.headersSent) {
      // A stream already under way: nothing left to say to the client but goodbye.
      reply.raw.destroy();
      return;
    }
    sendError(reply, failure.status, failure.message, request.apiVersion);
  });

  app.setNotFoundHandler((_request, reply) => {
    sendJson(reply, 404, { message: 'page not found' });
  });

  const ctx: ApiContext = {
    engine,
    streams,
    get closing() {
      return closing;
    },
  };
  systemRoutes(app, ctx);
  containerRoutes(app, ctx);
  imageRoutes(app, ctx);
  volumeRoutes(app, ctx);
  eventRoutes(app, ctx);

  await app.ready();
  const listener = handler;
  if (listener === undefined) throw new Error('fastify did not hand over its request handler');

  return {
    app,
    handler: listener,
    get inFlight() {
      return inFlight;
    },
    beginShutdown() {
      closing = true;
      for (const end of [...streams]) end();
    },
    close: () => app.close(),
  };
}
