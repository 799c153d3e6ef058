/**
 * Composing writes: a repository function that must write several rows atomically (a change and its audit
 * row) runs them in the caller's transaction when given one, else opens its own.
 */
import type { Transaction } from 'kysely';
import { StrataError } from '../core/errors.ts';
import type { Database, Executor } from './schema.ts';

/** Runs `fn` inside `executor`'s transaction, or a new one when `executor` is the database; returns its result. */
export function withTransaction<T>(
  executor: Executor,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (executor.isTransaction) return fn(executor as Transaction<Database>);
  return executor.transaction().execute(fn);
}

/** Serialises a value for a JSONB column (`pg` would turn a top-level array into a PostgreSQL array). */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Returns the error for a conditional write that matched no row: `NotFound` when the row is gone, else
 * `Conflict` with `{expected, actual}` (the caller read an old version).
 */
export function staleWriteError(
  what: string,
  key: Record<string, unknown>,
  expected: number,
  actual: number | undefined,
): StrataError {
  if (actual === undefined) return new StrataError('NotFound', `${what} not found.`, key);
  return new StrataError(
    'Conflict',
    `${what} was changed by someone else (resourceVersion ${actual}, you sent ${expected}); read it again and retry.`,
    { ...key, expected, actual },
  );
}
