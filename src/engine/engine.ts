/**
 * `startEngine`: the composition of the engine — its context, its commands and a worker pipeline that claims
 * durable work from the store's queue with leases as its slots free (`pipeline.ts`), runs each item (one
 * reconcile step, or one fan-out of a new profile revision) and finishes it in the transaction that records its
 * effects. No timer per cluster: waits are queue items due later. A resync walker (`resync.ts`) re-queues Running
 * clusters page by page as the drift backstop.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Catalog } from '../core/catalog.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import { isStrataError } from '../core/errors.ts';
import { Renderer } from '../render/renderer.ts';
import { type ClusterStatus, getCluster, listClusters, updateClusterStatus } from '../store/clusters.ts';
import { recordEvents } from '../store/events.ts';
import type { Store } from '../store/open.ts';
import { storeContentSource } from '../store/pack-contents.ts';
import { type ClaimedStep, claim, fail, heartbeat } from '../store/queue.ts';
import { finishReconcileStep } from '../store/reconcile-queue.ts';
import { createEngineCommands, createRolloutCommands } from './commands.ts';
import { CONDITION, setCondition } from './conditions.ts';
import { createEngineContext, type EngineContext, type EngineTimings } from './context.ts';
import type { EngineCommands, FleetCommands } from './contract.ts';
import { DriftWatcher } from './drift-watch.ts';
import type { EngineClusterStatus } from './engine-state.ts';
import { FinishGroup } from './finish-group.ts';
import type { SimulatorAccess } from './infrastructure.ts';
import { type Pipeline, startPipeline } from './pipeline.ts';
import { reconcileCluster } from './reconcile-cluster.ts';
import { type ResyncWalk, resyncPage } from './resync.ts';
import { driveRollout } from './rollout-driver.ts';
import { commitGroupedWrites } from './step-writes.ts';
import {
  ENGINE_QUEUE,
  queueResyncWalker,
  RESYNC_QUEUE,
  ROLLOUT_QUEUE,
  requestReconcile,
  STEP,
  type UpdateAvailablePayload,
} from './work.ts';

/** The engine's commands, `markUpdateAvailable` and `rollouts` included. */
export type StrataEngine = EngineCommands &
  FleetCommands &
  Required<Pick<EngineCommands, 'markUpdateAvailable' | 'rollouts'>>;

/** A live notification for the API's event stream (structurally the API bus's input). */
export type EngineLiveEvent =
  | {
      kind: 'cluster.changed' | 'cluster.event';
      cluster: string;
      data: Record<string, unknown>;
    }
  | {
      /** A rollout's state, wave or member states changed; `data.id` names it. */
      kind: 'rollout.changed';
      data: Record<string, unknown>;
    };

/** Options of `startEngine`. */
export interface StartEngineOptions {
  store: Store;
  catalog: Catalog;
  /** The simulated infrastructure this process runs (null: existing clusters only). */
  sim: SimulatorAccess | null;
  clock?: Clock;
  /** Renders stacks (default: one of the engine's own, stopped with it). */
  renderer?: Renderer;
  /** This worker's identity for leases (default host:pid:random). */
  owner?: string;
  /**
   * Steps held at most, running or claimed and waiting for a slot (default 2 × `concurrency`: enough to keep every
   * slot busy, not so many that other workers go idle).
   */
  batchSize?: number;
  /**
   * Steps run at once (default 64). A pass mostly waits on a cluster's API server and the store, so many run at
   * once, and the more finish together the fewer statements their group commit costs per pass.
   */
  concurrency?: number;
  /** Lease of a claimed step (default 30 s). */
  leaseMs?: number;
  /** Sleep when the queue is empty (default 200 ms; commands of this process wake it at once). */
  idleMs?: number;
  timings?: Partial<EngineTimings>;
  /** Run the worker loop (default true); false gives commands only (another process works). */
  worker?: boolean;
  /** Called after each committed step with what changed, e.g. the API's live event bus. */
  publish?: (event: EngineLiveEvent) => void;
  /** Watch managed objects of Running clusters for drift (default true); the resync is the backstop either way. */
  watchDrift?: boolean;
  /** Clusters watched at most (default 500); beyond, drift is found by the resync. */
  driftWatchLimit?: number;
  /** Reports errors the loop survives (default: stderr). */
  onError?: (error: unknown) => void;
}

/** A running engine. */
export interface RunningEngine {
  engine: StrataEngine;
  ctx: EngineContext;
  /** Stops claiming, waits for running steps to finish; returns when the loop has ended. */
  stop(): Promise<void>;
}

/** Starts the engine: returns its commands and stops its worker on `stop()`. */
export function startEngine(options: StartEngineOptions): RunningEngine {
  const clock = options.clock ?? systemClock;
  const renderer = options.renderer ?? new Renderer({ content: storeContentSource(options.store.db) });
  const ctx = createEngineContext({
    store: options.store,
    catalog: options.catalog,
    sim: options.sim,
    clock,
    renderer,
    ...(options.timings ? { timings: options.timings } : {}),
  });
  const owner = options.owner ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const concurrency = options.concurrency ?? 64;
  const batchSize = options.batchSize ?? concurrency * 2;
  const leaseMs = options.leaseMs ?? 30_000;
  const idleMs = options.idleMs ?? 200;
  const onError =
    options.onError ??
    ((e: unknown) => process.stderr.write(`strata engine: ${String((e as Error)?.stack ?? e)}\n`));

  let stopped = false;
  let pipeline: Pipeline | null = null;
  const wake = () => pipeline?.wake();

  const engine = createEngineCommands(ctx, { wake }) as StrataEngine;
  const publishRollout = (r: { id: string; state: string; currentWave: number; waveCount: number }) =>
    options.publish?.({
      kind: 'rollout.changed',
      data: { id: r.id, state: r.state, currentWave: r.currentWave, waveCount: r.waveCount },
    });
  engine.rollouts = createRolloutCommands(ctx, { wake, publish: publishRollout });
  const watcher =
    options.watchDrift === false || options.worker === false
      ? null
      : new DriftWatcher(
          ctx,
          (cluster) => {
            ctx.driftSuspects.add(cluster);
            requestReconcile(options.store.db, [cluster], 'drift-watch').then(wake, onError);
          },
          options.driftWatchLimit,
        );

  const finishGroup = new FinishGroup(options.store.db, commitGroupedWrites);

  async function runReconcile(step: ClaimedStep): Promise<void> {
    try {
      const result = await reconcileCluster(ctx, step.target, { full: step.queue === RESYNC_QUEUE });
      // Simulated infrastructure is external state: make what the step changed there durable before the step
      // that relied on it commits.
      if (ctx.sim && result.touched !== false) await ctx.sim.flush();
      const outcome = result.done
        ? ({ kind: 'done' } as const)
        : ({ kind: 'requeue', afterMs: result.requeueAfterMs ?? ctx.timings.pollMs } as const);
      const ended = await finishGroup.finish({
        step,
        outcome,
        grouped: result.writes,
        events: result.writes.events,
        skipOnStale: true,
      });
      // Lease lost: another worker owns the step now. Stale status read: put back due now, to look again.
      if (ended === 'lost' || ended === 'stale') return;
      if (result.deleted) watcher?.forget(step.target);
      else if (result.managedKinds && result.cloudType) {
        // What the watch needs came with the result: no second read of the cluster per pass.
        watcher?.ensure({ name: step.target, spec: { cloudType: result.cloudType } }, result.managedKinds);
      }
      if (!result.writes.empty) {
        options.publish?.({
          kind: 'cluster.changed',
          cluster: step.target,
          data: liveStatusOf(result.writes.status),
        });
        for (const e of result.writes.events)
          options.publish?.({ kind: 'cluster.event', cluster: step.target, data: { ...e } });
      }
    } catch (error) {
      await handleFailure(step, error);
    }
  }

  async function handleFailure(step: ClaimedStep, error: unknown): Promise<void> {
    if (isStrataError(error) && error.code === 'Conflict') {
      // Lease lost: another worker owns the step now. Status moved under us: look again at once, with the
      // payload the step was claimed with (a fan-out's revision, the resync walker's place in its pass).
      if (error.details['operationId'] !== undefined) return;
      await finishReconcileStep(options.store.db, step, {
        kind: 'requeue',
        afterMs: 0,
        payload: step.payload,
      }).catch(onError);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    try {
      const outcome = await fail(options.store.db, step, message, {
        backoffMs: ctx.timings.retryBaseMs,
        maxBackoffMs: 30_000,
      });
      if (step.kind === STEP.reconcile) await reportFailure(step, message);
      if (outcome.state === 'failed')
        onError(new Error(`${step.kind} ${step.target} failed for good: ${message}`));
    } catch (e) {
      onError(e);
    }
  }

  /** Shows a failing step on the cluster: a `Ready=False ReconcileError` condition, and an event the first time. */
  async function reportFailure(step: ClaimedStep, message: string): Promise<void> {
    try {
      const cluster = await getCluster(options.store.db, step.target);
      if (!cluster) return;
      const conditions = setCondition(
        cluster.status.conditions,
        {
          type: CONDITION.ready,
          status: 'False',
          reason: 'ReconcileError',
          message: `${message} (attempt ${step.attempt}; retrying)`,
        },
        new Date(clock.now()).toISOString(),
      );
      await updateClusterStatus(
        options.store.db,
        step.target,
        { conditions },
        { expectedStatusVersion: cluster.statusVersion },
      );
      if (step.attempt === 1) {
        await recordEvents(options.store.db, [
          {
            cluster: step.target,
            type: 'Warning',
            reason: 'ReconcileFailed',
            message: `${message} (retrying)`,
            details: { attempt: step.attempt },
          },
        ]);
      }
    } catch {
      // Best effort: the step's own retry is what matters; a lost race here only delays the message.
    }
  }

  async function runUpdateAvailable(step: ClaimedStep): Promise<void> {
    const payload = step.payload as UpdateAvailablePayload;
    try {
      ctx.profiles.invalidate(payload.profile, payload.version);
      let cursor: string | null = null;
      do {
        const page = await listClusters(options.store.db, {
          profile: { name: payload.profile, version: payload.version },
          limit: 1000,
          cursor,
        });
        const behind = page.items
          .filter(
            (c) =>
              c.status.phase !== 'Deleted' &&
              c.spec.profiles.some(
                (p) =>
                  p.name === payload.profile &&
                  p.version === payload.version &&
                  p.revision < payload.revision,
              ),
          )
          .map((c) => c.name);
        if (behind.length > 0) await requestReconcile(options.store.db, behind, 'update-available');
        cursor = page.nextCursor;
      } while (cursor);
      await finishReconcileStep(options.store.db, step, { kind: 'done' });
    } catch (error) {
      await handleFailure(step, error);
    }
  }

  async function runRollout(step: ClaimedStep): Promise<void> {
    try {
      const result = await driveRollout(ctx, engine, step.target);
      await finishReconcileStep(options.store.db, step, result.outcome, result.effect);
      if (result.changed) publishRollout(result.changed);
    } catch (error) {
      await handleFailure(step, error);
    }
  }

  async function runStep(step: ClaimedStep): Promise<void> {
    if (step.kind === STEP.updateAvailable) return runUpdateAvailable(step);
    if (step.kind === STEP.rollout) return runRollout(step);
    if (step.kind === STEP.resync) return runResync(step);
    return runReconcile(step);
  }

  async function runResync(step: ClaimedStep): Promise<void> {
    try {
      const walked = await resyncPage(options.store.db, step.payload as ResyncWalk | null, {
        resyncMs: ctx.timings.resyncMs,
        now: clock.now(),
        backlogWaitMs: Math.max(1000, ctx.timings.pollMs),
      });
      await finishReconcileStep(options.store.db, step, {
        kind: 'requeue',
        afterMs: walked.afterMs,
        payload: walked.next,
      });
    } catch (error) {
      await handleFailure(step, error);
    }
  }

  // Every `resyncMs` this process makes sure the fleet's resync walker is queued (a no-op while it is): the
  // walker, not each process, walks the fleet.
  let lastResync = clock.now();
  // Poison steps (lease expired on their last attempt) are failed at most this often: each reap is a transaction
  // of its own, and a claim round every few milliseconds need not pay for it (such a step is never claimed again
  // meanwhile; only its failure is reported up to this much later).
  const reapEveryMs = Math.min(5_000, Math.max(50, Math.floor(leaseMs / 2)));
  let lastReap = Number.NEGATIVE_INFINITY;

  /** Claims rollout drivers first, then the engine's other work; resyncs fill what they leave of `limit`. */
  async function claimSteps(limit: number): Promise<ClaimedStep[]> {
    if (clock.now() - lastResync >= ctx.timings.resyncMs) {
      lastResync = clock.now();
      await queueResyncWalker(options.store.db, 'resync');
    }
    let steps: ClaimedStep[] = [];
    for (const queue of [ROLLOUT_QUEUE, ENGINE_QUEUE, RESYNC_QUEUE]) {
      if (steps.length >= limit) break;
      const reap = queue === ROLLOUT_QUEUE && performance.now() - lastReap >= reapEveryMs;
      if (reap) lastReap = performance.now();
      steps = steps.concat(
        await claim(options.store.db, { owner, limit: limit - steps.length, leaseMs, queues: [queue], reap }),
      );
    }
    return steps;
  }

  if (options.worker !== false) {
    pipeline = startPipeline({
      concurrency,
      limit: batchSize,
      leaseMs,
      idleMs,
      claim: claimSteps,
      heartbeat: async (steps) => {
        await heartbeat(options.store.db, steps, leaseMs);
      },
      run: runStep,
      onError: (error) => {
        if (!stopped) onError(error);
      },
    });
  }

  return {
    engine,
    ctx,
    async stop() {
      stopped = true;
      watcher?.stop();
      await pipeline?.stop();
      if (!options.renderer) await renderer.close();
    },
  };
}

/**
 * What a live `cluster.changed` event carries of a status write: the fields a list or a page shows at a glance.
 * Never the applied overrides (their values may hold credentials, and every role hears live events) nor the
 * engine's bookkeeping; a client wanting more re-reads the cluster, as the console does.
 */
export function liveStatusOf(
  patch: Partial<ClusterStatus> | Partial<EngineClusterStatus>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['phase', 'health', 'observedGeneration', 'kubernetesVersion'] as const)
    if (patch[key] !== undefined) out[key] = patch[key];
  if (patch.repave) out.repave = { state: patch.repave.state };
  if (patch.conditions) out.conditions = patch.conditions;
  return out;
}
