import assert from 'node:assert/strict';
import { it } from 'node:test';
import { liveStatusOf } from '../../src/engine/engine.ts';

it('sends live cluster changes without applied overrides or engine notes (every role hears them)', () => {
  const at = '2026-12-01T00:00:00.000Z';
  const ready = {
    type: 'Ready',
    status: 'True' as const,
    reason: 'Running',
    message: 'Running.',
    lastTransitionTime: at,
  };
  const data = liveStatusOf({
    phase: 'Running',
    health: 'Healthy',
    observedGeneration: 2,
    conditions: [ready],
    repave: { state: 'Pending', reasons: [], requestedAt: at },
    appliedOverrides: { 'hello-universe': { pack: 'hello-universe', values: 'db:\n  password: hunter2\n' } },
    engine: { nodes: { pools: [] } },
  });
  assert.deepEqual(data, {
    phase: 'Running',
    health: 'Healthy',
    observedGeneration: 2,
    repave: { state: 'Pending' },
    conditions: [ready],
  });
  assert.equal(JSON.stringify(data).includes('hunter2'), false);
});
