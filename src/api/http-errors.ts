// How an error becomes an HTTP answer: engine errors by their class (400, 404,
// 409), framework errors by their own status, anything else 500.
import { classifyError } from '../errors';

export interface HttpFailure {
  status: number;
  message: string;
  /** An unexpected failure: logged at error level with its stack. */
  unexpected: boolean;
}

/** The status an engine error is answered with, by its class (the CLI's embedded backend answers alike). */
export const STATUS_OF_CLASS = { invalid: 400, notFound: 404, conflict: 409, system: 500 } as const;

/** Errors fastify raises itself carry a `statusCode` and an `FST_` code. */
function frameworkStatus(e: unknown): number | undefined {
  const err = e as { statusCode?: unknown; code?: unknown; validation?: unknown } | null;
  if (typeof err?.statusCode !== 'number' || err.statusCode < 400 || err.statusCode > 599) return undefined;
  const fromFastify = typeof err.code === 'string' && err.code.startsWith('FST_');
  return fromFastify || err.validation !== undefined || err instanceof HttpError ? err.statusCode : undefined;
}

/** An error the API layer itself raises with a chosen status. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function toHttpFailure(e: unknown): HttpFailure {
  const message = e instanceof Error ? e.message : String(e);
  const framework = frameworkStatus(e);
  if (framework !== undefined) return { status: framework, message, unexpected: framework >= 500 };
  const cls = classifyError(e);
  if (cls === 'system') return { status: 500, message, unexpected: true };
  return { status: STATUS_OF_CLASS[cls], message, unexpected: false };
}
