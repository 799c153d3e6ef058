/** The codes a plan can carry are the ones docs/rules.md documents: the union type and the page list the same set. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PLAN_ERROR_CODES, PLAN_WARNING_CODES } from '../../src/core/plan-types.ts';

const RULES = readFileSync(join(import.meta.dirname, '../../docs/rules.md'), 'utf8');

/** Returns the codes in the first column of the table under a `## heading` of docs/rules.md. */
function documentedCodes(heading: string): string[] {
  const start = RULES.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/rules.md has a "## ${heading}" section`);
  const next = RULES.indexOf('\n## ', start + 1);
  const section = RULES.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^\| `([A-Za-z0-9]+)`/gm)].map((m) => m[1] as string);
}

describe('plan issue codes', () => {
  it('lists as plan errors exactly the rule errors docs/rules.md documents', () => {
    // `Conflict` stands in that table for users, but it is raised when a stale write is refused, never in a plan.
    const documented = documentedCodes('Errors').filter((code) => code !== 'Conflict');
    assert.deepEqual([...PLAN_ERROR_CODES].sort(), documented.sort());
  });

  it('lists as plan warnings exactly the warnings docs/rules.md documents', () => {
    assert.deepEqual([...PLAN_WARNING_CODES].sort(), documentedCodes('Warnings').sort());
  });
});
