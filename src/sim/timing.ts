/** How long simulated things take; seconds by default, a few milliseconds in tests. */

/** Delays and housekeeping intervals of the simulator, in milliseconds. */
export interface SimTiming {
  /** From `addNode` until the node is Ready. */
  nodeBootMs: number;
  /** From a pod being scheduled until its containers run. */
  podStartMs: number;
  /**
   * How long the containers of a run-to-completion pod (`restartPolicy: Never` or `OnFailure`: Jobs, hooks, test
   * pods) run before they exit; a pod's `sim.strata.dev/run-seconds` annotation overrides it.
   */
  podRunMs: number;
  /**
   * How long the infrastructure's drain (a repave removing a node) waits for PodDisruptionBudgets to allow the
   * evictions it still needs before it gives up with an error naming the budget.
   */
  drainTimeoutMs: number;
  /** How long a cluster may sit unused in memory before it is evicted (it is reloaded on demand). */
  idleEvictMs: number;
  /** How long writes gather before they are persisted as one batch per cluster. */
  flushDelayMs: number;
}

/**
 * The defaults: a machine boots in 5 s, containers start in 2 s, a Job's pod runs 3 s, a drain waits at most 2 min
 * for disruption budgets, idle clusters leave memory after 5 min.
 */
export const DEFAULT_TIMING: SimTiming = {
  nodeBootMs: 5000,
  podStartMs: 2000,
  podRunMs: 3000,
  drainTimeoutMs: 120_000,
  idleEvictMs: 300_000,
  flushDelayMs: 50,
};

/** Returns the defaults with the given fields replaced. */
export function resolveTiming(partial: Partial<SimTiming> | undefined): SimTiming {
  return { ...DEFAULT_TIMING, ...(partial ?? {}) };
}
