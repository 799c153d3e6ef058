/**
 * The rollout driver: one durable queue step per rollout that reads the rollout and its current wave and takes
 * one level-based step — gate the wave's applied clusters on health (applied at the target, reconciled, managed
 * Deployments available) within the progress deadline, halt after more than `maxFailures` failures, apply the
 * change to the next batch of waiting clusters, soak after a wave, move to the next wave or complete — then says
 * when to look again.
 * Waits (soak, health polls) are the step put back with a due time, never a timer per cluster. Member and
 * rollout writes commit with the step (fenced by its lease, and by the rollout's resourceVersion so a pause or
 * cancel in between wins); a batch's changes are stored in one transaction and applying is idempotent, so a step
 * killed after applying re-applies harmlessly.
 */
import type { AuditContext } from '../store/audit.ts';
import { getClusters, type StoredCluster } from '../store/clusters.ts';
import type { ReconcileOutcome } from '../store/reconcile-queue.ts';
import {
  getRollout,
  listRolloutMembers,
  type RolloutMember,
  type RolloutMemberUpdate,
  type RolloutPatch,
  type StoredRollout,
  setRolloutCondition,
  updateRollout,
  updateRolloutMembers,
} from '../store/rollouts.ts';
import type { Database } from '../store/schema.ts';
import { CONDITION, findCondition } from './conditions.ts';
import type { EngineContext } from './context.ts';
import type { ClusterChangeInput, FleetCommands } from './contract.ts';
import { rolloutChange } from './rollout-plan.ts';

/** Clusters whose change one driver step applies at most. */
export const APPLY_BATCH = 256;
/** Members read per page when gating on health. */
const GATE_PAGE = 1000;

/** What one driver step decided: the writes to commit with the step, and when to look again. */
export interface RolloutStepResult {
  outcome: ReconcileOutcome;
  /** Runs inside the transaction that finishes the step. */
  effect(trx: import('kysely').Transaction<Database>): Promise<void>;
  /** The rollout as the step leaves it (null when nothing changed that a watcher would see). */
  changed: StoredRollout | null;
}

/** True when a cluster passed the health gate for the rollout's target. */
export function passesHealthGate(cluster: StoredCluster, rollout: StoredRollout): boolean {
  const { status } = cluster;
  if (status.phase !== 'Running' || status.observedGeneration !== cluster.generation) return false;
  const applied = status.appliedProfiles.some(
    (p) =>
      p.name === rollout.to.profile && p.version === rollout.to.version && p.revision >= rollout.to.revision,
  );
  if (!applied) return false;
  if (findCondition(status.conditions, CONDITION.ready)?.status !== 'True') return false;
  return findCondition(status.conditions, CONDITION.addonsHealthy)?.status !== 'False';
}

/** True when a cluster's change waits for its repave to be approved. */
function repavePending(cluster: StoredCluster): boolean {
  return (
    cluster.status.repave.state === 'Pending' && cluster.status.observedGeneration === cluster.generation
  );
}

/** Why a cluster has not passed the gate yet, for the failure message. */
function gateReason(cluster: StoredCluster): string {
  const ready = findCondition(cluster.status.conditions, CONDITION.ready);
  const addons = findCondition(cluster.status.conditions, CONDITION.addonsHealthy);
  const parts = [`phase ${cluster.status.phase}`];
  if (ready) parts.push(`Ready=${ready.status} ${ready.reason}: ${ready.message}`);
  if (addons?.status === 'False') parts.push(`add-ons not available: ${addons.message}`);
  return parts.join('; ');
}

const nothing = async () => {};

/** Takes one step of rollout `id`; returns its writes and when to look again. */
export async function driveRollout(
  ctx: EngineContext,
  commands: FleetCommands,
  id: string,
): Promise<RolloutStepResult> {
  const rollout = await getRollout(ctx.store.db, id);
  const done: RolloutStepResult = { outcome: { kind: 'done' }, effect: nothing, changed: null };
  if (!rollout) return done;
  const nowMs = ctx.clock.now();
  const nowIso = new Date(nowMs).toISOString();
  const rv = rollout.resourceVersion;
  const patchRollout = (patch: RolloutPatch) => async (trx: import('kysely').Transaction<Database>) => {
    await updateRollout(trx, id, patch, rv);
  };
  const after = (patch: RolloutPatch): StoredRollout => ({
    ...rollout,
    ...(patch.state ? { state: patch.state } : {}),
    ...(patch.currentWave ? { currentWave: patch.currentWave } : {}),
    ...(patch.haltReason !== undefined ? { haltReason: patch.haltReason } : {}),
    ...(patch.haltCluster !== undefined ? { haltCluster: patch.haltCluster } : {}),
  });

  if (rollout.state !== 'Running' && rollout.state !== 'Soaking') return done;

  if (rollout.state === 'Soaking') {
    const until = rollout.soakUntil?.getTime() ?? nowMs;
    if (until > nowMs)
      return { outcome: { kind: 'requeue', afterMs: until - nowMs }, effect: nothing, changed: null };
    const patch: RolloutPatch = { state: 'Running', currentWave: rollout.currentWave + 1, soakUntil: null };
    return { outcome: { kind: 'requeue', afterMs: 0 }, effect: patchRollout(patch), changed: after(patch) };
  }

  const wave = rollout.currentWave;

  // While the wave still has clusters to apply, one page of in-flight clusters is gated per step (so a wave of
  // n clusters costs O(n) reads, not O(n²/batch)); once all are applied, every in-flight one is gated each step.
  const waiting = await listRolloutMembers(ctx.store.db, id, {
    wave,
    states: ['waiting'],
    limit: APPLY_BATCH,
  });

  // 1. Gate the applied clusters of the wave on health within the progress deadline.
  const updates: RolloutMemberUpdate[] = [];
  const repaveWaiting: string[] = [];
  const resumed: string[] = [];
  let inFlight = 0;
  let firstFailure: { cluster: string; message: string } | null = null;
  let cursor: string | null = null;
  do {
    const page = await listRolloutMembers(ctx.store.db, id, {
      wave,
      states: ['applying', 'repave-pending'],
      limit: GATE_PAGE,
      cursor,
    });
    cursor = page.nextCursor;
    const clusters = new Map(
      (
        await getClusters(
          ctx.store.db,
          page.items.map((m) => m.cluster),
        )
      ).map((c) => [c.name, c]),
    );
    for (const member of page.items) {
      const cluster = clusters.get(member.cluster);
      if (!cluster || cluster.status.phase === 'Deleting' || cluster.status.phase === 'Deleted') {
        const message = `Cluster ${member.cluster} was deleted during the rollout.`;
        updates.push({
          cluster: member.cluster,
          state: 'failed',
          errorCode: 'ClusterDeleted',
          message,
          finished: true,
        });
        firstFailure ??= { cluster: member.cluster, message };
        continue;
      }
      if (passesHealthGate(cluster, rollout)) {
        updates.push({
          cluster: member.cluster,
          state: 'healthy',
          errorCode: null,
          message: null,
          finished: true,
        });
        if (member.state === 'repave-pending') resumed.push(member.cluster);
        continue;
      }
      if (repavePending(cluster)) {
        inFlight += 1;
        if (member.state !== 'repave-pending') {
          updates.push({
            cluster: member.cluster,
            state: 'repave-pending',
            errorCode: null,
            message: 'Waiting for the repave to be approved.',
          });
          repaveWaiting.push(member.cluster);
        }
        continue;
      }
      if (member.state === 'repave-pending') {
        // Approved: the deadline counts again from now.
        updates.push({
          cluster: member.cluster,
          state: 'applying',
          errorCode: null,
          message: null,
          applied: true,
        });
        resumed.push(member.cluster);
        inFlight += 1;
        continue;
      }
      const broken = brokenReason(cluster);
      if (broken) {
        // A render or a Helm hook that failed will not pass the gate by waiting: the wave fails now.
        updates.push({
          cluster: member.cluster,
          state: 'failed',
          errorCode: broken.code,
          message: broken.message,
          finished: true,
        });
        firstFailure ??= { cluster: member.cluster, message: broken.message };
        continue;
      }
      const appliedAt = member.appliedAt?.getTime() ?? nowMs;
      if (nowMs - appliedAt > rollout.progressDeadlineSeconds * 1000) {
        const message = `Did not pass the health gate within ${rollout.progressDeadlineSeconds} s: ${gateReason(cluster)}.`;
        updates.push({
          cluster: member.cluster,
          state: 'failed',
          errorCode: 'ProgressDeadlineExceeded',
          message,
          finished: true,
        });
        firstFailure ??= { cluster: member.cluster, message };
        continue;
      }
      inFlight += 1;
    }
  } while (cursor && waiting.items.length === 0);

  const memberEffect = async (trx: import('kysely').Transaction<Database>) => {
    await updateRolloutMembers(trx, id, updates);
    await setRolloutCondition(
      trx,
      repaveWaiting,
      {
        status: 'True',
        reason: 'RepavePending',
        message: `Rollout ${id}: the change is applied but its node changes wait for the repave to be approved.`,
      },
      nowIso,
    );
    await setRolloutCondition(trx, resumed, null, nowIso);
  };

  // 2. Too many failures: halt, naming the cluster.
  if (firstFailure) {
    const failed = await countFailed(ctx, id);
    const newFailures = updates.filter((u) => u.state === 'failed').length;
    if (failed + newFailures > rollout.maxFailures) {
      const result = await halt(
        rollout,
        `Cluster ${firstFailure.cluster} failed: ${firstFailure.message} (${failed + newFailures} failure(s), maxFailures ${rollout.maxFailures}).`,
        firstFailure.cluster,
        nowIso,
      );
      return {
        ...result,
        async effect(trx) {
          await memberEffect(trx);
          await result.effect(trx);
        },
      };
    }
  }

  // 3. Apply the change to the next batch of waiting clusters of the wave (gated on the next step).
  if (waiting.items.length > 0) {
    const target = await ctx.profiles.latest(rollout.to.profile, rollout.to.version);
    if (target.revision !== rollout.to.revision) {
      const result = await halt(
        rollout,
        `ProfileChanged: ${rollout.to.profile}@${rollout.to.version} got revision ${target.revision} after the rollout started at revision ${rollout.to.revision}; start a new rollout for it.`,
        null,
        nowIso,
      );
      return {
        ...result,
        async effect(trx) {
          await memberEffect(trx);
          await result.effect(trx);
        },
      };
    }
    const applied = await applyBatch(ctx, commands, rollout, waiting.items);
    return {
      outcome: { kind: 'requeue', afterMs: 0 },
      async effect(trx) {
        await updateRollout(trx, id, {}, rv);
        await memberEffect(trx);
        await updateRolloutMembers(trx, id, applied);
        await setRolloutCondition(
          trx,
          applied.map((u) => u.cluster),
          null,
          nowIso,
        );
      },
      changed: rollout,
    };
  }

  // 4. Still in flight: look again after a poll interval.
  if (inFlight > 0) {
    return {
      outcome: { kind: 'requeue', afterMs: ctx.timings.pollMs },
      async effect(trx) {
        if (updates.length > 0) await updateRollout(trx, id, {}, rv);
        await memberEffect(trx);
      },
      changed: updates.length > 0 ? rollout : null,
    };
  }

  // 5. The wave is done: complete, or soak before the next one.
  const patch: RolloutPatch =
    wave >= rollout.waveCount
      ? { state: 'Completed', finished: true }
      : rollout.soakSeconds > 0
        ? { state: 'Soaking', soakUntil: new Date(nowMs + rollout.soakSeconds * 1000) }
        : { currentWave: wave + 1 };
  return {
    outcome:
      patch.state === 'Completed'
        ? { kind: 'done' }
        : { kind: 'requeue', afterMs: patch.state === 'Soaking' ? rollout.soakSeconds * 1000 : 0 },
    async effect(trx) {
      await memberEffect(trx);
      await updateRollout(trx, id, patch, rv);
      if (patch.state === 'Soaking' && patch.soakUntil) {
        // The next wave's clusters say they wait for the soak, and until when.
        const until = patch.soakUntil.toISOString();
        await conditionOnWaiting(
          trx,
          id,
          wave + 1,
          {
            status: 'True',
            reason: 'WaitingForSoak',
            message: `Rollout ${id}: wave ${wave} soaks until ${until}; this cluster is in wave ${wave + 1} of ${rollout.waveCount}.`,
          },
          nowIso,
        );
      }
    },
    changed: after(patch),
  };
}

/** Applies the rollout's change to a batch of waiting members; returns their state changes. */
async function applyBatch(
  ctx: EngineContext,
  commands: FleetCommands,
  rollout: StoredRollout,
  waiting: readonly RolloutMember[],
): Promise<RolloutMemberUpdate[]> {
  const audit: AuditContext = { actor: `${rollout.createdBy} (rollout ${rollout.id})` };
  const clusters = new Map(
    (
      await getClusters(
        ctx.store.db,
        waiting.map((m) => m.cluster),
      )
    ).map((c) => [c.name, c]),
  );
  const updates: RolloutMemberUpdate[] = [];
  const changes: Array<{ cluster: string; change: ClusterChangeInput }> = [];
  for (const member of waiting) {
    const cluster = clusters.get(member.cluster);
    if (!cluster || cluster.status.phase === 'Deleting' || cluster.status.phase === 'Deleted') {
      updates.push(skip(member.cluster, 'NotFound', `Cluster ${member.cluster} was deleted.`));
      continue;
    }
    const change = rolloutChange(cluster.spec, rollout.from, rollout.to);
    if (change) {
      changes.push({ cluster: member.cluster, change });
      continue;
    }
    const moved = cluster.spec.profiles.some(
      (p) => p.name === rollout.to.profile && p.version === rollout.to.version,
    );
    if (moved) updates.push({ cluster: member.cluster, state: 'applying', applied: true });
    else
      updates.push(
        skip(
          member.cluster,
          'NotOnSourceVersion',
          `No longer runs ${rollout.from.profile}@${rollout.from.version}.`,
        ),
      );
  }
  // Every change of the batch in one transaction.
  const results = await commands.applyChanges(audit, changes);
  for (const { cluster } of changes) {
    const error = results.get(cluster) ?? null;
    if (!error) {
      updates.push({ cluster, state: 'applying', applied: true });
      continue;
    }
    // A concurrent spec edit: leave the cluster waiting and try it again on the next step.
    if (error.code === 'Conflict') continue;
    if (error.code === 'Internal' || error.code === 'Unavailable') throw error;
    updates.push(skip(cluster, error.code, error.message));
  }
  return updates;
}

function skip(cluster: string, code: string, message: string): RolloutMemberUpdate {
  return { cluster, state: 'skipped', errorCode: code, message, finished: true };
}

/** Returns why a cluster cannot become healthy without a new change (a failed render or hook), if it cannot. */
function brokenReason(cluster: StoredCluster): { code: string; message: string } | null {
  const addons = findCondition(cluster.status.conditions, CONDITION.addonsApplied);
  if (addons?.status === 'False' && (addons.reason === 'HookFailed' || addons.reason === 'RenderFailed')) {
    return { code: addons.reason, message: addons.message };
  }
  return null;
}

async function countFailed(ctx: EngineContext, id: string): Promise<number> {
  const row = await ctx.store.db
    .selectFrom('rollout_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('rollout_id', '=', id)
    .where('state', '=', 'failed')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Halts a rollout: its state, reason and cluster, and a `HaltedByFailure` condition on every waiting cluster. */
async function halt(
  rollout: StoredRollout,
  reason: string,
  cluster: string | null,
  nowIso: string,
): Promise<RolloutStepResult> {
  const patch: RolloutPatch = { state: 'Halted', haltReason: reason, haltCluster: cluster, soakUntil: null };
  return {
    outcome: { kind: 'done' },
    async effect(trx) {
      await updateRollout(trx, rollout.id, patch, rollout.resourceVersion);
      await conditionOnWaiting(
        trx,
        rollout.id,
        undefined,
        {
          status: 'True',
          reason: 'HaltedByFailure',
          message: cluster
            ? `Rollout ${rollout.id} halted by a failure in cluster ${cluster}.`
            : `Rollout ${rollout.id} halted: ${reason}`,
        },
        nowIso,
      );
    },
    changed: { ...rollout, ...{ state: 'Halted', haltReason: reason, haltCluster: cluster } },
  };
}

/** Sets the rollout condition on every still-waiting member (of one wave, or of all), a page at a time. */
async function conditionOnWaiting(
  trx: import('kysely').Transaction<Database>,
  id: string,
  wave: number | undefined,
  condition: Parameters<typeof setRolloutCondition>[2],
  nowIso: string,
): Promise<void> {
  let cursor: string | null = null;
  do {
    const page = await listRolloutMembers(trx, id, {
      ...(wave === undefined ? {} : { wave }),
      states: ['waiting'],
      limit: 1000,
      cursor,
    });
    await setRolloutCondition(
      trx,
      page.items.map((m) => m.cluster),
      condition,
      nowIso,
    );
    cursor = page.nextCursor;
  } while (cursor);
}
