/**
 * The engine's durable work items: "reconcile cluster X" (one per cluster at a time, by dedupe key) and
 * "profile version got a revision" (fans out reconciles to the clusters on it, page by page), and "drive rollout
 * R" (one per rollout, requeued while it moves; see `rollout-driver.ts`).
 */
import type { IdSource } from '../core/clock.ts';
import { type EnqueueResult, enqueue, type OperationInput } from '../store/queue.ts';
import { enqueueOrExpedite } from '../store/reconcile-queue.ts';
import type { Executor } from '../store/schema.ts';

/** The queue the engine's workers claim from. */
export const ENGINE_QUEUE = 'engine';
/**
 * The queue of periodic resyncs: claimed only with what a claim from `ENGINE_QUEUE` left of a worker's batch, so
 * a fleet-wide resync never delays a user's change or a rollout; a change to a cluster moves its queued resync
 * to `ENGINE_QUEUE` (`enqueueOrExpedite`).
 */
export const RESYNC_QUEUE = 'engine-resync';
/**
 * Rollout drivers: claimed before the engine's other work, so a driver step put back due now is not queued behind
 * the reconciles its last batch requested (it would wait for all of them to be claimed before applying the next).
 */
export const ROLLOUT_QUEUE = 'engine-rollout';
/** Step kinds. */
export const STEP = {
  reconcile: 'reconcile',
  updateAvailable: 'update-available',
  rollout: 'rollout',
  resync: 'resync',
} as const;
/** Attempts of a failing reconcile step before its operation fails (the next request or resync starts anew). */
const RECONCILE_ATTEMPTS = 20;

/** Payload of an update-available step. */
export interface UpdateAvailablePayload {
  profile: string;
  version: string;
  revision: number;
}

function reconcileItem(cluster: string, createdBy: string, queue = ENGINE_QUEUE): OperationInput {
  return {
    kind: 'reconcile-cluster',
    target: cluster,
    queue,
    dedupeKey: `reconcile/${cluster}`,
    createdBy,
    steps: [{ kind: STEP.reconcile, maxAttempts: RECONCILE_ATTEMPTS }],
  };
}

/**
 * Queues a reconcile of each cluster, or — when one is already queued or running — makes it run now (a user's
 * change must not wait behind a poll delay); returns the enqueue results.
 */
export function requestReconcile(
  executor: Executor,
  clusters: readonly string[],
  createdBy: string,
  ids?: IdSource,
): Promise<EnqueueResult[]> {
  return enqueueOrExpedite(
    executor,
    clusters.map((c) => reconcileItem(c, createdBy)),
    ids,
  );
}

/** Queues a reconcile of each cluster unless one is already queued (periodic resync: never hurries a wait). */
export function queueResync(executor: Executor, clusters: readonly string[]): Promise<EnqueueResult[]> {
  return enqueue(
    executor,
    clusters.map((c) => reconcileItem(c, 'resync', RESYNC_QUEUE)),
  );
}

/**
 * Queues the fleet's resync walker unless it is queued already (one per store, shared by every engine process;
 * see `resync.ts`). Its step requeues itself for ever; should it fail, the next call queues a new one.
 */
export function queueResyncWalker(executor: Executor, createdBy: string): Promise<EnqueueResult[]> {
  return enqueue(executor, [
    {
      kind: 'resync-fleet',
      target: 'fleet',
      queue: RESYNC_QUEUE,
      dedupeKey: 'resync/fleet',
      createdBy,
      steps: [{ kind: STEP.resync, maxAttempts: RECONCILE_ATTEMPTS }],
    },
  ]);
}

/** Queues the fan-out of a new profile revision to the clusters on that version. */
export function queueUpdateAvailable(
  executor: Executor,
  payload: UpdateAvailablePayload,
  createdBy: string,
): Promise<EnqueueResult[]> {
  const key = `${payload.profile}@${payload.version}`;
  return enqueue(executor, [
    {
      kind: 'update-available',
      target: key,
      queue: ENGINE_QUEUE,
      dedupeKey: `update-available/${key}#${payload.revision}`,
      createdBy,
      steps: [{ kind: STEP.updateAvailable, payload, maxAttempts: RECONCILE_ATTEMPTS }],
    },
  ]);
}

/**
 * Queues the driver of a rollout (one operation per rollout at a time, by dedupe key), or makes a queued one run
 * now; the driver's step requeues itself while the rollout moves, so its waits are queue items due later.
 */
export function queueRolloutDriver(
  executor: Executor,
  rolloutId: string,
  createdBy: string,
): Promise<EnqueueResult[]> {
  return enqueueOrExpedite(executor, [
    {
      kind: 'rollout',
      target: rolloutId,
      queue: ROLLOUT_QUEUE,
      dedupeKey: `rollout/${rolloutId}`,
      createdBy,
      steps: [{ kind: STEP.rollout, maxAttempts: RECONCILE_ATTEMPTS }],
    },
  ]);
}
