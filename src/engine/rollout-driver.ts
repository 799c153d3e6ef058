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
import { attachesTarget } from '../core/rollout.ts';
import type { AuditContext } from '../store/audit.ts';
import { getClusters, getStatusVersions, type StoredCluster } from '../store/clusters.ts';
import type { ReconcileOutcome } from '../store/reconcile-queue.ts';
import {
  countRolloutMembers,
  getRollout,
  listRolloutMembers,
  ROLLOUT_CONDITION,
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
import { rolloutChange } from './rollout.ts';

/** Clusters whose change one driver step applies at most. */
export const APPLY_BATCH = 256;
/** Members read per page when gating on health. */
const GATE_PAGE = 1000;
/**
 * Clusters of a wave in flight (applied, not yet through the gate) at most before the next batch is applied. The
 * change of a large wave reaches the workers' queue as fast as they work it off, not all at once: a queue of
 * 100,000 reconciles made every claim walk it (130 ms a claim at 100,000 clusters) and left the last clusters
 * applied long before their pass came, their progress deadline running. One gate page less a batch, so each
 * step gates every cluster in flight.
 */
export const MAX_IN_FLIGHT = GATE_PAGE - APPLY_BATCH;

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
  if (!attachesTarget(status.appliedProfiles, rollout.to)) return false;
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

/** A transaction the driver's effects run in. */
type Trx = import('kysely').Transaction<Database>;

/** What gating a wave's applied clusters found: their state changes and whether any is still in flight. */
interface WaveGate {
  updates: RolloutMemberUpdate[];
  /** Clusters whose change waits for a repave approval (they are told so). */
  repaveWaiting: string[];
  /** Clusters that waited for a repave and no longer do (their condition is cleared). */
  resumed: string[];
  inFlight: number;
  firstFailure: { cluster: string; message: string } | null;
}

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
  if (rollout.state !== 'Running' && rollout.state !== 'Soaking') return done;
  if (rollout.state === 'Soaking') return endSoak(rollout, nowMs);
  const wave = rollout.currentWave;

  // While the wave still has clusters to apply, one page of in-flight clusters is gated per step (so a wave of
  // n clusters costs O(n) reads, not O(n²/batch)); once all are applied, every in-flight one is gated each step.
  const waiting = await listRolloutMembers(ctx.store.db, id, {
    wave,
    states: ['waiting'],
    limit: APPLY_BATCH,
  });

  // 1. Gate the applied clusters of the wave on health within the progress deadline.
  const gate = await gateWave(ctx, rollout, nowMs, waiting.items.length > 0);
  const memberEffect = gateEffect(rollout.id, gate, nowIso);

  // 2. Too many failures: halt, naming the cluster.
  const failed = await haltOnFailures(ctx, rollout, gate, nowIso);
  if (failed) return withEffectFirst(failed, memberEffect);

  // 3. Apply the change to the next batch of waiting clusters of the wave (gated on the next step), unless as
  // many as the workers can usefully take are in flight already.
  if (waiting.items.length > 0 && (await inFlightAfter(ctx, rollout, gate)) < MAX_IN_FLIGHT)
    return applyNextBatch(ctx, commands, rollout, waiting.items, memberEffect, nowIso);

  // 4. Still in flight: look again after a poll interval.
  if (gate.inFlight > 0 || waiting.items.length > 0) {
    return {
      outcome: { kind: 'requeue', afterMs: ctx.timings.pollMs },
      async effect(trx) {
        if (gate.updates.length > 0) await updateRollout(trx, id, {}, rollout.resourceVersion);
        await memberEffect(trx);
      },
      changed: gate.updates.length > 0 ? rollout : null,
    };
  }

  // 5. The wave is done: complete, or soak before the next one.
  return finishWave(rollout, memberEffect, nowMs, nowIso);
}

/** Clusters of the rollout's current wave in flight once this step's gate updates are written. */
async function inFlightAfter(ctx: EngineContext, rollout: StoredRollout, gate: WaveGate): Promise<number> {
  const counts = (await countRolloutMembers(ctx.store.db, rollout.id)).find(
    (w) => w.wave === rollout.currentWave,
  );
  const before = (counts?.counts['applying'] ?? 0) + (counts?.counts['repave-pending'] ?? 0);
  const left = gate.updates.filter((u) => u.state !== 'applying' && u.state !== 'repave-pending').length;
  return Math.max(0, before - left);
}

/** Returns the rollout as a patch leaves it (what a watcher is told). */
function patched(rollout: StoredRollout, patch: RolloutPatch): StoredRollout {
  return {
    ...rollout,
    ...(patch.state ? { state: patch.state } : {}),
    ...(patch.currentWave ? { currentWave: patch.currentWave } : {}),
    ...(patch.haltReason !== undefined ? { haltReason: patch.haltReason } : {}),
    ...(patch.haltCluster !== undefined ? { haltCluster: patch.haltCluster } : {}),
  };
}

/** A soaking rollout: waits until the soak ends, then moves to the next wave. */
function endSoak(rollout: StoredRollout, nowMs: number): RolloutStepResult {
  const until = rollout.soakUntil?.getTime() ?? nowMs;
  if (until > nowMs)
    return { outcome: { kind: 'requeue', afterMs: until - nowMs }, effect: nothing, changed: null };
  const patch: RolloutPatch = { state: 'Running', currentWave: rollout.currentWave + 1, soakUntil: null };
  return {
    outcome: { kind: 'requeue', afterMs: 0 },
    async effect(trx) {
      await updateRollout(trx, rollout.id, patch, rollout.resourceVersion);
    },
    changed: patched(rollout, patch),
  };
}

/** A member's change to `failed`, with why. */
function failure(cluster: string, errorCode: string, message: string): RolloutMemberUpdate {
  return { cluster, state: 'failed', errorCode, message, finished: true };
}

/**
 * Gates the wave's applied clusters (`applying`, `repave-pending`) on health, a page at a time: all pages, or
 * only the first while clusters still wait to be applied. Returns their state changes and what is in flight.
 */
async function gateWave(
  ctx: EngineContext,
  rollout: StoredRollout,
  nowMs: number,
  firstPageOnly: boolean,
): Promise<WaveGate> {
  const gate: WaveGate = { updates: [], repaveWaiting: [], resumed: [], inFlight: 0, firstFailure: null };
  let cursor: string | null = null;
  do {
    const page = await listRolloutMembers(ctx.store.db, rollout.id, {
      wave: rollout.currentWave,
      states: ['applying', 'repave-pending'],
      limit: GATE_PAGE,
      cursor,
    });
    cursor = page.nextCursor;
    // Only clusters whose status moved since this process last found them in flight (or whose deadline passed)
    // are read whole: a wave of n clusters in flight costs n status versions per step, not n documents.
    const versions = await getStatusVersions(
      ctx.store.db,
      page.items.map((m) => m.cluster),
    );
    const deadlineMs = rollout.progressDeadlineSeconds * 1000;
    const unchanged = (m: RolloutMember) =>
      ctx.gateSeen.get(gateKey(rollout, m.cluster)) === versions.get(m.cluster) &&
      (m.state === 'repave-pending' || nowMs - (m.appliedAt?.getTime() ?? nowMs) <= deadlineMs);
    const read = page.items.filter((m) => !unchanged(m));
    gate.inFlight += page.items.length - read.length;
    const clusters = new Map(
      (
        await getClusters(
          ctx.store.db,
          read.map((m) => m.cluster),
        )
      ).map((c) => [c.name, c]),
    );
    for (const member of read) {
      const cluster = clusters.get(member.cluster);
      const before = gate.updates.length + gate.repaveWaiting.length;
      gateMember(gate, member, cluster, rollout, nowMs);
      const key = gateKey(rollout, member.cluster);
      if (cluster && gate.updates.length + gate.repaveWaiting.length === before)
        rememberInFlight(ctx, key, cluster.statusVersion);
      else ctx.gateSeen.delete(key);
    }
  } while (cursor && !firstPageOnly);
  return gate;
}

/** Entries `gateSeen` keeps at most; the oldest go first. */
const GATE_SEEN_LIMIT = 200_000;

function gateKey(rollout: StoredRollout, cluster: string): string {
  return `${rollout.id}/${cluster}`;
}

/** Remembers that a cluster, at this status version, was found still in flight. */
function rememberInFlight(ctx: EngineContext, key: string, statusVersion: number): void {
  ctx.gateSeen.delete(key);
  ctx.gateSeen.set(key, statusVersion);
  while (ctx.gateSeen.size > GATE_SEEN_LIMIT) ctx.gateSeen.delete(ctx.gateSeen.keys().next().value as string);
}

/** Gates one applied member: healthy, waiting for a repave, resumed, failed (deleted, broken, late) or in flight. */
function gateMember(
  gate: WaveGate,
  member: RolloutMember,
  cluster: StoredCluster | undefined,
  rollout: StoredRollout,
  nowMs: number,
): void {
  const fail = (code: string, message: string) => {
    gate.updates.push(failure(member.cluster, code, message));
    gate.firstFailure ??= { cluster: member.cluster, message };
  };
  if (!cluster || cluster.status.phase === 'Deleting' || cluster.status.phase === 'Deleted') {
    fail('ClusterDeleted', `Cluster ${member.cluster} was deleted during the rollout.`);
    return;
  }
  if (passesHealthGate(cluster, rollout)) {
    gate.updates.push({
      cluster: member.cluster,
      state: 'healthy',
      errorCode: null,
      message: null,
      finished: true,
    });
    if (member.state === 'repave-pending') gate.resumed.push(member.cluster);
    return;
  }
  if (repavePending(cluster)) {
    gate.inFlight += 1;
    if (member.state !== 'repave-pending') {
      gate.updates.push({
        cluster: member.cluster,
        state: 'repave-pending',
        errorCode: null,
        message: 'Waiting for the repave to be approved.',
      });
      gate.repaveWaiting.push(member.cluster);
    }
    return;
  }
  if (member.state === 'repave-pending') {
    // Approved: the deadline counts again from now.
    gate.updates.push({
      cluster: member.cluster,
      state: 'applying',
      errorCode: null,
      message: null,
      applied: true,
    });
    gate.resumed.push(member.cluster);
    gate.inFlight += 1;
    return;
  }
  const broken = brokenReason(cluster);
  // A render or a Helm hook that failed will not pass the gate by waiting: the wave fails now.
  if (broken) {
    fail(broken.code, broken.message);
    return;
  }
  const appliedAt = member.appliedAt?.getTime() ?? nowMs;
  if (nowMs - appliedAt > rollout.progressDeadlineSeconds * 1000) {
    fail(
      'ProgressDeadlineExceeded',
      `Did not pass the health gate within ${rollout.progressDeadlineSeconds} s: ${gateReason(cluster)}.`,
    );
    return;
  }
  gate.inFlight += 1;
}

/** Returns the effect that writes what gating found: member states and the repave-waiting conditions. */
function gateEffect(id: string, gate: WaveGate, nowIso: string): (trx: Trx) => Promise<void> {
  return async (trx) => {
    await updateRolloutMembers(trx, id, gate.updates);
    await setRolloutCondition(
      trx,
      gate.repaveWaiting,
      {
        status: 'True',
        reason: 'RepavePending',
        message: `Rollout ${id}: the change is applied but its node changes wait for the repave to be approved.`,
      },
      nowIso,
    );
    await setRolloutCondition(trx, gate.resumed, null, nowIso);
  };
}

/** Returns a step whose effect runs `first` before its own. */
function withEffectFirst(result: RolloutStepResult, first: (trx: Trx) => Promise<void>): RolloutStepResult {
  return {
    ...result,
    async effect(trx) {
      await first(trx);
      await result.effect(trx);
    },
  };
}

/** Halts the rollout when its failures, with the ones just found, exceed `maxFailures`; else returns null. */
async function haltOnFailures(
  ctx: EngineContext,
  rollout: StoredRollout,
  gate: WaveGate,
  nowIso: string,
): Promise<RolloutStepResult | null> {
  const first = gate.firstFailure;
  if (!first) return null;
  const failed = await countFailed(ctx, rollout.id);
  const newFailures = gate.updates.filter((u) => u.state === 'failed').length;
  if (failed + newFailures <= rollout.maxFailures) return null;
  return halt(
    rollout,
    `Cluster ${first.cluster} failed: ${first.message} (${failed + newFailures} failure(s), maxFailures ${rollout.maxFailures}).`,
    first.cluster,
    nowIso,
  );
}

/** Applies the change to the next batch of waiting members, unless the target got a new revision (a halt). */
async function applyNextBatch(
  ctx: EngineContext,
  commands: FleetCommands,
  rollout: StoredRollout,
  waiting: readonly RolloutMember[],
  memberEffect: (trx: Trx) => Promise<void>,
  nowIso: string,
): Promise<RolloutStepResult> {
  const target = await ctx.profiles.latest(rollout.to.profile, rollout.to.version);
  if (target.revision !== rollout.to.revision) {
    const halted = await halt(
      rollout,
      `ProfileChanged: ${rollout.to.profile}@${rollout.to.version} got revision ${target.revision} after the rollout started at revision ${rollout.to.revision}; start a new rollout for it.`,
      null,
      nowIso,
    );
    return withEffectFirst(halted, memberEffect);
  }
  const applied = await applyBatch(ctx, commands, rollout, waiting);
  return {
    outcome: { kind: 'requeue', afterMs: 0 },
    async effect(trx) {
      await updateRollout(trx, rollout.id, {}, rollout.resourceVersion);
      await memberEffect(trx);
      await updateRolloutMembers(trx, rollout.id, applied.updates);
      // The clusters that needed no new spec (already moved) clear their condition here.
      await setRolloutCondition(trx, applied.unchanged, null, nowIso);
    },
    changed: rollout,
  };
}

/** The wave is done: completes the rollout after its last wave, else soaks (or moves straight) to the next. */
function finishWave(
  rollout: StoredRollout,
  memberEffect: (trx: Trx) => Promise<void>,
  nowMs: number,
  nowIso: string,
): RolloutStepResult {
  const { id, currentWave: wave } = rollout;
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
      await updateRollout(trx, id, patch, rollout.resourceVersion);
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
    changed: patched(rollout, patch),
  };
}

/** Applies the rollout's change to a batch of waiting members; returns their state changes. */
async function applyBatch(
  ctx: EngineContext,
  commands: FleetCommands,
  rollout: StoredRollout,
  waiting: readonly RolloutMember[],
): Promise<{ updates: RolloutMemberUpdate[]; unchanged: string[] }> {
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
  // Every change of the batch in one transaction, whose spec write also clears their rollout condition (their
  // status moves before any reconcile of the new spec reads it).
  const stored = new Set<string>();
  const results = await commands.applyChanges(audit, changes, {
    read: clusters,
    async alsoWrite(_trx, names) {
      for (const name of names) stored.add(name);
    },
    dropCondition: ROLLOUT_CONDITION,
  });
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
  const unchanged = updates
    .filter((u) => u.state === 'applying' && !stored.has(u.cluster))
    .map((u) => u.cluster);
  return { updates, unchanged };
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
  trx: Trx,
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
