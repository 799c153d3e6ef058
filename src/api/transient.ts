/**
 * Transient database conflicts, retried inside the server instead of answered as failures: PostgreSQL aborts one
 * of two transactions that deadlock (40P01) or, under stricter isolation, that cannot be serialised (40001). The
 * aborted transaction left nothing behind, so running the command again is safe and almost always succeeds; a
 * conflict that outlasts the retries is answered 503 `Unavailable` with `Retry-After`, never a bare 500.
 */
import { StrataError } from '../core/errors.ts';

/** PostgreSQL SQLSTATEs a retry of the whole, rolled back, transaction resolves. */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01']);

/** Times a command runs at most when it keeps meeting conflicts. */
export const TRANSIENT_ATTEMPTS = 4;

/** True when `error` (or an error it wraps as `cause`) is a deadlock or a serialisation failure. */
export function isTransientDatabaseError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_SQLSTATES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Returns the 503 a conflict that outlasted the retries is answered with (the cause is logged, not sent). */
export function databaseConflict(cause: unknown): StrataError {
  const error = new StrataError(
    'Unavailable',
    'The database aborted this change because it conflicted with concurrent work, several times; nothing was changed. Retry in a moment.',
    { reason: 'DatabaseConflict', retryAfterSeconds: 1 },
  );
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
}

/**
 * Runs `command`, again (after a short, growing, jittered pause) while it fails with a transient database
 * conflict, at most `attempts` times in all; then throws `databaseConflict`.
 */
export async function retryTransient<T>(
  command: () => Promise<T>,
  attempts = TRANSIENT_ATTEMPTS,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await command();
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      if (attempt >= attempts) throw databaseConflict(error);
      await sleep(25 * 2 ** attempt * (0.5 + Math.random()));
    }
  }
}
