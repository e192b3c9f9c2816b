// Every error the engine means a caller to see carries a `code` to switch on;
// the API maps codes to HTTP statuses (EINVAL 400, ENOENT 404, EEXIST/EBUSY
// 409) and the message is Docker's wording where Docker has one.

export type EngineErrorCode = 'EINVAL' | 'ENOENT' | 'EEXIST' | 'EBUSY' | 'ENOSPC' | 'EIO';

export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: EngineErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** 400: the request is wrong. */
export const invalidParameter = (message: string): EngineError => new EngineError(message, 'EINVAL');
/** 404: what the request names does not exist. */
export const notFound = (message: string): EngineError => new EngineError(message, 'ENOENT');
/** 409: the request clashes with the engine's state. */
export const conflict = (message: string): EngineError => new EngineError(message, 'EEXIST');

export type ErrorClass = 'invalid' | 'notFound' | 'conflict' | 'system';

/**
 * How any error thrown by the engine should be answered: engine, image-store,
 * reference and storage errors all carry one of a few codes.
 */
export function classifyError(e: unknown): ErrorClass {
  const err = e as { code?: unknown; syscall?: unknown } | null;
  // A failed syscall is the engine's trouble, whatever its errno says.
  if (typeof err?.syscall === 'string') return 'system';
  const code = err?.code;
  switch (code) {
    case 'EINVAL':
    case 'EDEPTH':
      return 'invalid';
    case 'ENOENT':
    case 'EAMBIGUOUS':
      return 'notFound';
    case 'EEXIST':
    case 'EBUSY':
      return 'conflict';
    default:
      return 'system';
  }
}
