/**
 * engineErrors.ts: errors that carry a machine-readable `code` across the process boundary
 * (protocol.ts EngineError): the engine's status name ("invalid argument", "i/o error", ...),
 * 'cancelled', or one of the supervisor's own codes below.
 */
import type { EngineError } from './protocol';

export const ENGINE_CRASHED = 'engine-crashed';
export const ENGINE_UNAVAILABLE = 'engine-unavailable';

export class CodedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'SeedlingEngineError';
  }
}

export function codedError(code: string, message: string): CodedError {
  return new CodedError(code, message);
}

/** Any thrown value as a protocol error (native errors already have a code). */
export function toEngineError(err: unknown): EngineError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { message: err.message, code: typeof code === 'string' ? code : 'internal error' };
  }
  return { message: String(err), code: 'internal error' };
}

export function fromEngineError(e: EngineError): CodedError {
  return new CodedError(e.code, e.message);
}

/** The code of an error from the engine or its supervisor, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Any thrown value as one line a person reads (a notification, the log). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
