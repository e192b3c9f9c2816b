// A small Docker Engine API client over a unix socket (node's http, no
// dependencies): version negotiation through `/_ping`, JSON calls, and the
// newline-delimited JSON streams of pull, load and events. Errors become
// BackendError with the daemon's status and message, read from a JSON body
// only when the Content-Type says JSON (as the docker client does).
import * as http from 'node:http';
import type { Readable } from 'node:stream';
import { BackendError } from './backend';
import { ConnectionError } from './errors';

/** The newest API version this client speaks; a daemon's lower version wins. */
export const CLIENT_API_VERSION = '1.50';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is (an archive upload). */
  body?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** `unix:///run/berth.sock` → `/run/berth.sock`. */
export function socketPathOf(host: string): string {
  const m = /^unix:\/\/(\/.*)$/.exec(host);
  if (m === null) throw new Error(`unsupported host ${JSON.stringify(host)}: berth speaks to daemons on unix:///path.sock`);
  return m[1];
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  }
  return 0;
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

async function readBody(response: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The daemon's error message: `{"message": ...}` when the body is JSON, else the text itself. */
function errorMessage(response: http.IncomingMessage, body: Buffer): string {
  const type = (response.headers['content-type'] ?? '').split(';')[0].trim();
  const text = body.toString('utf8');
  if (type === 'application/json') {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // Not JSON after all: the text is the message.
    }
  }
  return text.trim() || `${response.statusCode} ${response.statusMessage ?? ''}`.trim();
}

export class DockerApiClient {
  private readonly socketPath: string;
  private versionPrefix = '';
  private negotiated = false;

  constructor(readonly host: string) {
    this.socketPath = socketPathOf(host);
  }

  /** The version both sides speak, once `ping` has run. */
  get apiVersion(): string | undefined {
    return this.versionPrefix === '' ? undefined : this.versionPrefix.slice(2);
  }

  /** `HEAD /_ping` (GET when HEAD is refused); settles the API version from `Api-Version`. */
  async ping(): Promise<void> {
    let response = await this.send('HEAD', '/_ping', {}, false);
    await readBody(response);
    if ((response.statusCode ?? 0) >= 400) {
      response = await this.send('GET', '/_ping', {}, false);
      const body = await readBody(response);
      if ((response.statusCode ?? 0) >= 400) throw new BackendError(response.statusCode ?? 500, errorMessage(response, body));
    }
    const server = response.headers['api-version'];
    if (typeof server === 'string' && /^\d+\.\d+$/.test(server)) {
      const version = compareVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
      this.versionPrefix = `/v${version}`;
    }
    this.negotiated = true;
  }

  /** Sends a request; the response is the caller's to read. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<http.IncomingMessage> {
    if (!this.negotiated) await this.ping();
    return this.send(method, path, options, true);
  }

  /** A request whose answer is JSON (or nothing); a status of 400 or more throws BackendError. */
  async call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    const body = await readBody(response);
    const status = response.statusCode ?? 500;
    if (status >= 400) throw new BackendError(status, errorMessage(response, body));
    if (body.length === 0) return undefined as T;
    const type = (response.headers['content-type'] ?? '').split(';')[0].trim();
    if (type !== 'application/json') return body.toString('utf8') as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  /**
   * A request answered by a stream of JSON objects, one per line. An object
   * with `error` (a failure after the stream began) ends it with a BackendError.
   */
  async stream(method: string, path: string, options: RequestOptions, onObject: (value: Record<string, unknown>) => void): Promise<void> {
    const response = await this.request(method, path, options);
    const status = response.statusCode ?? 500;
    if (status >= 400) throw new BackendError(status, errorMessage(response, await readBody(response)));
    let pending = '';
    const take = (line: string): void => {
      const trimmed = line.trim();
      if (trimmed === '') return;
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(trimmed) as Record<string, unknown>;
      } catch {
        throw new BackendError(500, `invalid JSON in the daemon's stream: ${trimmed.slice(0, 200)}`);
      }
      const failure = value.errorDetail as { message?: unknown } | undefined;
      if (typeof value.error === 'string' || typeof failure?.message === 'string') {
        throw new BackendError(500, typeof failure?.message === 'string' ? failure.message : String(value.error));
      }
      onObject(value);
    };
    try {
      for await (const chunk of response) {
        pending += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          take(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      }
    } catch (e) {
      if (options.signal?.aborted) return;
      throw e;
    } finally {
      response.destroy();
    }
    take(pending);
  }

  private send(method: string, path: string, options: RequestOptions, versioned: boolean): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (options.body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/x-tar';
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: `${versioned ? this.versionPrefix : ''}${path}${queryString(options.query)}`,
          headers: { Host: 'berth', ...headers },
          signal: options.signal,
        },
        resolve,
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.name === 'AbortError') reject(e);
        else if (['ECONNREFUSED', 'ENOENT', 'EACCES', 'ENOTSOCK'].includes(e.code ?? '')) reject(new ConnectionError(this.host, e.message));
        else reject(e);
      });
      if (payload !== undefined) req.end(payload);
      else if (options.body !== undefined) {
        options.body.on('error', (e) => req.destroy(e));
        options.body.pipe(req);
      } else req.end();
    });
  }
}
