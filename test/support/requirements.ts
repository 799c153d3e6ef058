/**
 * Tests that need a real part (PostgreSQL, kubectl, Chromium) call `requireOrSkip`. Locally a missing part
 * is skipped loudly with the reason; under CI (`STRATA_TEST_STRICT=1`, set by `.ci/run`) it fails instead.
 */
import type { TestContext } from 'node:test';

/** True when missing real parts must fail the run rather than skip (CI). */
export const strictTestMode = process.env.STRATA_TEST_STRICT === '1';

/**
 * Skips the test (or fails it in strict mode) when `reason` is a string; returns true when the test may go on.
 */
export function requireOrSkip(t: TestContext, part: string, reason: string | null): boolean {
  if (reason === null) return true;
  const text = `${part} unavailable: ${reason}`;
  if (strictTestMode) throw new Error(`${text} (STRATA_TEST_STRICT=1: a missing ${part} fails the run)`);
  console.warn(`\n!!! SKIPPED — ${text}\n`);
  t.skip(text);
  return false;
}
