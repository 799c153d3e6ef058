/**
 * Conditions as Cluster API reports them: one per aspect (`Ready`, `InfrastructureReady`, `AddonsApplied`, …),
 * each with a reason and a message, its transition time kept while its status does not change.
 */
import type { Condition } from '../core/model.ts';

/** The condition types the engine reports on clusters. */
export const CONDITION = {
  ready: 'Ready',
  infrastructureReady: 'InfrastructureReady',
  addonsApplied: 'AddonsApplied',
  addonsHealthy: 'AddonsHealthy',
  repavePending: 'RepavePending',
  updateAvailable: 'UpdateAvailable',
  drifted: 'Drifted',
  unusedResources: 'UnusedResources',
} as const;

/** A condition to set: everything but the transition time. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Returns `conditions` with `next` set: a new entry, or the old one updated — its `lastTransitionTime` kept when the
 * status did not change (so "since when" stays true) and set to `now` when it did.
 */
export function setCondition(
  conditions: readonly Condition[],
  next: ConditionInput,
  now: string,
): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now;
  const updated: Condition = { ...next, lastTransitionTime };
  return old ? conditions.map((c) => (c.type === next.type ? updated : c)) : [...conditions, updated];
}

/** Returns `conditions` without the condition of `type`. */
export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

/** Returns the condition of `type`, or undefined. */
export function findCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}
