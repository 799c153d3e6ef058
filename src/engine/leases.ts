/**
 * Running a claimed batch of queue steps while keeping their leases alive. A worker claims up to a batch of
 * steps at once but runs only `concurrency` of them at a time, so the last ones wait; on a slow store (the
 * embedded one serializes every query) that wait can outlast the lease, and a lapsed step is claimed again —
 * by another worker or by this one — and done twice while the fleet churns. Every third of the lease, the
 * leases of the steps not finished yet are renewed (one statement for the whole batch).
 */
import { mapBounded } from '../kube/apply.ts';
import { type ClaimedStep, heartbeat } from '../store/queue.ts';
import type { Executor } from '../store/schema.ts';

/** Runs `run` over `steps`, `concurrency` at a time, renewing the leases of unfinished steps until each ends. */
export async function runWithLeases(
  executor: Executor,
  steps: readonly ClaimedStep[],
  options: { concurrency: number; leaseMs: number; onError(error: unknown): void },
  run: (step: ClaimedStep) => Promise<void>,
): Promise<void> {
  const unfinished = new Set(steps);
  const renew = setInterval(
    () => {
      if (unfinished.size === 0) return;
      heartbeat(executor, [...unfinished], options.leaseMs).catch(options.onError);
    },
    Math.max(50, Math.floor(options.leaseMs / 3)),
  );
  try {
    await mapBounded(steps, options.concurrency, async (step) => {
      try {
        await run(step);
      } finally {
        unfinished.delete(step);
      }
    });
  } finally {
    clearInterval(renew);
  }
}
