// Types of build-cli.mjs (plain JavaScript, like build-stamp.mjs, so building needs nothing built).
export { BUILD_DIR, ROOT, staleReason } from './build-stamp.mjs';

/**
 * Builds build/ under `root` (default: this clone; with `ifStale`, only when missing or stale) and returns
 * 'built' or 'fresh'; throws an Error saying what failed (the compiler's own messages went to stderr).
 */
export function buildCli(options?: {
  root?: string;
  ifStale?: boolean;
  log?: (line: string) => void;
}): Promise<'built' | 'fresh'>;
