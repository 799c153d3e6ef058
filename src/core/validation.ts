/** Turns schema validation failures into Strata's error family, naming the first offending field. */
import type { z } from 'zod';
import { StrataError, type StrataErrorCode } from './errors.ts';

/** Returns `input` parsed by `schema`; on failure throws a StrataError naming `what` and the field path. */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  code: StrataErrorCode = 'ValidationFailed',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const first = issues[0] ?? { field: '(root)', message: 'invalid' };
  throw new StrataError(code, `${what}: ${first.field}: ${first.message}.`, { field: first.field, issues });
}
