import assert from 'node:assert/strict';
import { it } from 'node:test';
import { conditionNeedsAttention, NORMAL_WHEN_TRUE } from '../../src/core/model.ts';
import { CONDITION } from '../../src/engine/conditions.ts';
import { ROLLOUT_CONDITION } from '../../src/store/rollouts.ts';

const condition = (type: string, status: 'True' | 'False' | 'Unknown') => ({
  type,
  status,
  reason: 'R',
  message: 'M',
  lastTransitionTime: '2026-12-01T00:00:00.000Z',
});

it('names every condition type the engine reports as normal when True or normal when not True', () => {
  // A new condition type the engine reports falls on the "True asks for attention" side unless listed: this
  // keeps the list's choice of conditions (and the SQL trigger that renders it) honest about the engine's.
  for (const type of NORMAL_WHEN_TRUE) assert.ok(Object.values(CONDITION).includes(type as never), type);
  assert.deepEqual(
    Object.values(CONDITION).filter((t) => !NORMAL_WHEN_TRUE.includes(t)),
    ['RepavePending', 'UpdateAvailable', 'Drifted', 'UnusedResources'],
  );
  assert.equal(NORMAL_WHEN_TRUE.includes(ROLLOUT_CONDITION), false);
});

it('asks for attention when Ready is not True and when Drifted or a rollout hold is True', () => {
  assert.equal(conditionNeedsAttention(condition('Ready', 'True')), false);
  assert.equal(conditionNeedsAttention(condition('Ready', 'False')), true);
  assert.equal(conditionNeedsAttention(condition('AddonsHealthy', 'Unknown')), true);
  assert.equal(conditionNeedsAttention(condition('Drifted', 'True')), true);
  assert.equal(conditionNeedsAttention(condition('Drifted', 'False')), false);
  assert.equal(conditionNeedsAttention(condition('UpdateAvailable', 'Unknown')), false);
  assert.equal(conditionNeedsAttention(condition(ROLLOUT_CONDITION, 'True')), true);
});
