/** What every command gets: the API client, the printer and the chosen output format. */
import { readFileSync } from 'node:fs';
import { StrataError } from '../core/errors.ts';
import type { ApiClient } from './client.ts';
import type { OutputFormat, Printer } from './output.ts';

/** The shared state of one CLI run. */
export interface CliContext {
  /** Returns the API client (configured from the environment on first use). */
  client(): ApiClient;
  printer: Printer;
  /** Returns the `-o` format given on the command line. */
  format(): OutputFormat;
}

/** Returns `NAME` and the optional `VERSION` of a `NAME[@VERSION]` argument. */
export function splitRef(ref: string): { name: string; version: string | undefined } {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { name: ref, version: undefined };
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** Returns `NAME` and `VERSION` of a `NAME@VERSION` argument; throws `ValidationFailed` without a version. */
export function requireVersionedRef(ref: string, what: string): { name: string; version: string } {
  const { name, version } = splitRef(ref);
  if (!name || !version) {
    throw new StrataError(
      'ValidationFailed',
      `${what} must be NAME@VERSION, e.g. hello-universe-aws@1.0.0; got "${ref}".`,
      {
        field: what,
      },
    );
  }
  return { name, version };
}

/** Returns a path segment, encoded. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Returns the text of a file named on the command line (`-` is stdin); `ValidationFailed` when unreadable. */
export function readInputFile(path: string, option: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new StrataError('ValidationFailed', `${option}: cannot read ${path}: ${(error as Error).message}`, {
      field: option,
      path,
    });
  }
}
