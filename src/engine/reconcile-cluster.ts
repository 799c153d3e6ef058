/**
 * `reconcileCluster(ctx, name)`: the cluster reconciler. Level-based — it reads the desired spec and the observed
 * status, inventory, nodes and objects, never a remembered event — and takes one step: provision or release
 * infrastructure, move nodes towards the templates in force (gated by repave approval), apply add-ons, check
 * drift and health. It reports conditions with reason and message, and returns when to look again. Its store
 * writes are returned, not made: the worker commits them with the step (see `step-writes.ts`).
 */

import { withCatalogRefresh } from '../catalog/user-packs.ts';
import { isStrataError } from '../core/errors.ts';
import type {
  ClusterPhase,
  Condition,
  InventoryEntry,
  ProfileVersion,
  RepaveState,
  ResolvedLayer,
} from '../core/model.ts';
import { planClusterUpdate } from '../core/plan.ts';
import { summarizePlan } from '../core/plan-summary.ts';
import { attachmentOf, resolveStack } from '../core/stack.ts';
import type { ClusterRecords, StoredCluster } from '../store/clusters.ts';
import { addonConditions, reconcileAddons } from './addons.ts';
import { CONDITION, type ConditionInput, findCondition, setCondition } from './conditions.ts';
import type { EngineContext } from './context.ts';
import { type EngineClusterStatus, type EngineState, engineStateOf } from './engine-state.ts';
import { reconcileInfrastructure } from './provision.ts';
import { gateRepave, nodesFor } from './repave.ts';
import { StepWrites } from './step-writes.ts';

/** The outcome of one reconcile step: its writes and when to look again (`done`: not until something changes). */
export interface ReconcileResult {
  writes: StepWrites;
  requeueAfterMs?: number;
  done?: boolean;
  /** Kinds of the objects Strata manages on the cluster, once it is Running (for drift watches). */
  managedKinds?: Array<{ apiVersion: string; kind: string }>;
  /** The cluster's cloud, with `managedKinds` (what a drift watch needs to connect). */
  cloudType?: string;
  /** The cluster is gone: stop watching it. */
  deleted?: boolean;
  /**
   * False when the step changed nothing outside the store (no node, object or hook written), so there is nothing
   * of the simulator's to make durable before it commits; unset means it may have.
   */
  touched?: boolean;
}

/** A step's view of the cluster's conditions, set as it goes and written once. */
class ConditionSet {
  constructor(
    public list: Condition[],
    private readonly now: string,
  ) {}
  set(c: ConditionInput): void {
    this.list = setCondition(this.list, c, this.now);
  }
}

function phaseEvent(writes: StepWrites, from: ClusterPhase, to: ClusterPhase, message: string): void {
  if (from !== to) writes.event('Normal', `Cluster${to}`, message, { from, to });
}

/** How a reconcile step reads the cluster. */
export interface ReconcileOptions {
  /**
   * Observe everything afresh (the periodic resync): the provider's nodes too, which a step otherwise trusts for
   * up to `resyncMs` after it last found them all Ready and matching (see `reconcileInfrastructure`).
   */
  full?: boolean;
}

/** Takes one reconcile step for cluster `name`; returns its writes and when to look again. */
export async function reconcileCluster(
  ctx: EngineContext,
  name: string,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const read = await ctx.readCluster(name);
  if (!read) return { writes: new StepWrites(name, 0), done: true };
  const { records, ...cluster } = read;
  const writes = new StepWrites(name, cluster.statusVersion, cluster.status);
  const now = new Date(ctx.clock.now()).toISOString();
  const conditions = new ConditionSet([...cluster.status.conditions], now);
  const phase = cluster.status.phase;
  if (phase === 'Deleted') return { writes, done: true };
  if (phase === 'Deleting') return reconcileDeletion(ctx, cluster, records, writes, conditions);
  if (phase === 'Pending') {
    conditions.set({
      type: CONDITION.ready,
      status: 'False',
      reason: 'Provisioning',
      message: 'Creating infrastructure.',
    });
    writes.patch({ phase: 'Provisioning', conditions: conditions.list });
    phaseEvent(
      writes,
      phase,
      'Provisioning',
      `Provisioning ${cluster.spec.pools.map((p) => `${p.count} ${p.role} node(s)`).join(' and ') || 'add-on layers'}.`,
    );
  }
  // A Pending cluster goes on as Provisioning in the same step: its infrastructure is created at once.
  const live: StoredCluster =
    phase === 'Pending'
      ? { ...cluster, status: { ...cluster.status, phase: 'Provisioning', conditions: conditions.list } }
      : cluster;
  try {
    // A pack another process added since this one started is loaded from the store, and the step runs again.
    return await withCatalogRefresh(ctx.store.db, ctx.catalog, () =>
      reconcileLive(ctx, live, records, writes, conditions, options.full === true),
    );
  } catch (error) {
    // A plan that cannot be computed any more (a profile revision or pack gone) stops with a condition, not a loop.
    if (
      isStrataError(error) &&
      (error.code === 'NotFound' ||
        error.code === 'PackNotFound' ||
        error.code === 'ValidationFailed' ||
        error.code === 'TemplateRenderFailed')
    ) {
      // A render that fails (a chart that does not render with these values, a kustomization that does not
      // build) fails the same way every time: report the tool's own text and wait for a change.
      conditions.set({ type: CONDITION.ready, status: 'False', reason: error.code, message: error.message });
      if (error.code === 'TemplateRenderFailed') {
        conditions.set({
          type: CONDITION.addonsApplied,
          status: 'False',
          reason: 'RenderFailed',
          message: error.message,
        });
      }
      writes.patch({ conditions: conditions.list });
      writes.event('Warning', 'ReconcileBlocked', error.message, { code: error.code });
      return { writes, done: true };
    }
    throw error;
  }
}

/** What a live step reads once and hands from one of its parts to the next. */
interface LiveStep {
  ctx: EngineContext;
  cluster: StoredCluster;
  records: ClusterRecords;
  writes: StepWrites;
  conditions: ConditionSet;
  /** The engine clock when the step began. */
  now: string;
  desiredProfiles: ProfileVersion[];
  desiredStack: ResolvedLayer[];
  /** The engine's bookkeeping as the parts change it; written with the step. */
  state: EngineState;
  /** Observe everything afresh (`ReconcileOptions.full`). */
  full: boolean;
}

/** What the infrastructure part found: whether nodes are ready, whether it acted, and the repave state. */
interface InfraStep {
  ready: boolean;
  acted: boolean;
  /** A repave is approved or replacing nodes. */
  rolling: boolean;
  repave: RepaveState;
}

/** What the add-on part found: converged (applied, checked, healthy), whether it wrote, the failed Helm hooks. */
interface AddonsStep {
  done: boolean;
  /** Objects were applied or deleted, or hooks run. */
  acted: boolean;
  hookFailures: string[];
}

/** One step of a provisioned cluster: update rules, nodes, add-ons, then the phase and conditions they add up to. */
async function reconcileLive(
  ctx: EngineContext,
  cluster: StoredCluster,
  records: ClusterRecords,
  writes: StepWrites,
  conditions: ConditionSet,
  full: boolean,
): Promise<ReconcileResult> {
  const { spec, status } = cluster;
  const phase = status.phase;
  const now = new Date(ctx.clock.now()).toISOString();
  const desiredProfiles = await ctx.profiles.all(spec.profiles);
  const desiredStack = resolveStack(desiredProfiles, spec.overrides, ctx.catalog);
  const step: LiveStep = {
    ctx,
    cluster,
    records,
    writes,
    conditions,
    now,
    desiredProfiles,
    desiredStack,
    state: { ...engineStateOf(status) },
    full,
  };
  const updating = cluster.generation !== status.observedGeneration && status.appliedProfiles.length > 0;
  // Rules are checked when an update is requested and again on its first pass (`EngineState.updateChecked`).
  if (updating && step.state.updateChecked !== cluster.generation) {
    const blocked = await refuseBlockedUpdate(step);
    if (blocked) return blocked;
    step.state.updateChecked = cluster.generation;
  }
  const infra: InfraStep =
    spec.cloudType === 'existing'
      ? { ready: true, acted: false, rolling: false, repave: status.repave }
      : await reconcileNodes(step);
  const nextPhase: ClusterPhase = phase === 'Running' && (updating || infra.rolling) ? 'Updating' : phase;
  // Add-ons wait for the first nodes; on a running cluster they proceed while nodes roll or a repave waits.
  const addons: AddonsStep =
    phase !== 'Provisioning' || infra.ready
      ? await reconcileAddonLayers(step)
      : { done: false, acted: false, hookFailures: [] };
  const patch: Partial<EngineClusterStatus> = {
    engine: step.state,
    repave: infra.repave,
  };
  const result =
    addons.hookFailures.length > 0 && infra.ready && !infra.acted
      ? reportHookFailures(step, patch, addons.hookFailures)
      : !(infra.ready && !infra.acted && addons.done)
        ? reportProgress(step, patch, nextPhase)
        : await reportConverged(step, patch, infra.repave);
  return { ...result, touched: infra.acted || addons.acted };
}

/** Re-plans a running update against what is applied; returns the blocked step when a rule refuses it, else null. */
async function refuseBlockedUpdate(step: LiveStep): Promise<ReconcileResult | null> {
  const { ctx, cluster, writes, conditions, desiredProfiles, desiredStack } = step;
  const { spec, status } = cluster;
  const appliedProfiles = await ctx.profiles.all(status.appliedProfiles);
  const appliedStack = resolveStack(appliedProfiles, status.appliedOverrides ?? {}, ctx.catalog);
  const plan = planClusterUpdate(
    {
      phase: 'Running',
      cloudType: spec.cloudType,
      from: appliedProfiles.map(attachmentOf),
      to: desiredProfiles.map(attachmentOf),
      currentStack: appliedStack,
      targetStack: desiredStack,
      desired: await ctx.renderer.stack(desiredStack, ctx.catalog),
      currentPools: status.appliedPools ?? spec.pools,
      targetPools: spec.pools,
      inventory: step.records.inventory,
      overriddenPacks: Object.keys(spec.overrides),
      chain: true,
    },
    ctx.catalog,
  );
  const first = plan.errors.find((e) => e.code !== 'MergeConflict');
  if (!first) return null;
  const previous = findCondition(status.conditions, CONDITION.ready);
  conditions.set({
    type: CONDITION.ready,
    status: 'False',
    reason: first.code,
    message: `The update cannot run: ${first.message}`,
  });
  if (previous?.reason !== first.code)
    writes.event('Warning', 'UpdateBlocked', first.message, { code: first.code, details: first.details });
  writes.patch({ conditions: conditions.list, phase: 'Running' });
  return { writes, done: true };
}

/** Moves nodes towards the templates in force, gated by repave approval; sets the infrastructure conditions. */
async function reconcileNodes(step: LiveStep): Promise<InfraStep> {
  const { ctx, cluster, writes, conditions, state } = step;
  const { spec, status } = cluster;
  const inForce = state.nodes ?? nodesFor(step.desiredStack, spec.pools, ctx.catalog);
  const infra = await reconcileInfrastructure(
    ctx,
    spec,
    inForce,
    state,
    writes,
    step.records.nodes,
    step.full,
  );
  const gate = gateRepave(
    {
      spec,
      repave: status.repave,
      inForce,
      desiredStack: step.desiredStack,
      catalog: ctx.catalog,
      now: step.now,
      rolledOut: infra.ready && !infra.acted,
    },
    writes,
  );
  state.nodes = gate.inForce;
  state.lastReplacedAt = infra.lastReplacedAt;
  if (infra.nodesSeen) state.nodesSeen = infra.nodesSeen;
  else delete state.nodesSeen;
  const repave = gate.repave;
  const rolling = repave.state === 'InProgress' || repave.state === 'Approved';
  const ready = infra.ready && !rolling && !gate.changed;
  conditions.set(
    ready
      ? {
          type: CONDITION.infrastructureReady,
          status: 'True',
          reason: 'NodesReady',
          message: `${spec.pools.reduce((n, p) => n + p.count, 0)} node(s) Ready.`,
        }
      : {
          type: CONDITION.infrastructureReady,
          status: 'False',
          reason: status.phase === 'Provisioning' ? 'Provisioning' : rolling ? 'Repaving' : 'Scaling',
          message: infra.waitReason ?? 'Moving nodes to the approved configuration.',
        },
  );
  conditions.set(repaveCondition(repave));
  return { ready, acted: infra.acted || gate.changed, rolling, repave };
}

/** Applies the add-on layers and checks drift and health; sets their conditions. */
async function reconcileAddonLayers(step: LiveStep): Promise<AddonsStep> {
  const { ctx, cluster, conditions, state } = step;
  const spec = cluster.spec;
  const addons = await reconcileAddons(
    ctx,
    cluster,
    step.desiredStack,
    state,
    step.writes,
    step.records.inventory,
  );
  if (addons.pruned) delete state.prune;
  for (const c of addonConditions(addons, step.desiredStack.length)) conditions.set(c);
  if (addons.driftChecked) {
    conditions.set(
      addons.drifted.length > 0
        ? {
            type: CONDITION.drifted,
            status: spec.settings.selfHeal ? 'False' : 'True',
            reason: spec.settings.selfHeal ? 'Restored' : 'ChangedOutOfBand',
            message: addons.drifted
              .map((d) => `${d.ref.kind} ${d.ref.namespace}/${d.ref.name} ${d.drift}`)
              .join('; '),
          }
        : {
            type: CONDITION.drifted,
            status: 'False',
            reason: 'InSync',
            message: 'Managed objects match what Strata applied.',
          },
    );
  }
  let unhealthy: string[] = [];
  if (addons.checked) {
    unhealthy = addons.unhealthy;
    conditions.set(
      unhealthy.length > 0
        ? {
            type: CONDITION.addonsHealthy,
            status: 'False',
            reason: 'Progressing',
            message: unhealthy.slice(0, 5).join('; '),
          }
        : {
            type: CONDITION.addonsHealthy,
            status: 'True',
            reason: 'Available',
            message: 'Managed workloads are available.',
          },
    );
  }
  return {
    done: addons.checked && !addons.acted && unhealthy.length === 0,
    acted: addons.acted,
    hookFailures: addons.hookFailures,
  };
}

/**
 * A failed Helm hook fails the same way until the layer's render changes: the cluster is up but unhealthy, and
 * waits for a change (which it can take, also right after provisioning) instead of polling.
 */
function reportHookFailures(
  step: LiveStep,
  patch: Partial<EngineClusterStatus>,
  hookFailures: string[],
): ReconcileResult {
  const { writes, conditions } = step;
  const phase = step.cluster.status.phase;
  conditions.set({
    type: CONDITION.ready,
    status: 'False',
    reason: 'HookFailed',
    message: `Helm hooks failed: ${hookFailures.join('; ')}.`,
  });
  const next: ClusterPhase = phase === 'Provisioning' || phase === 'Updating' ? 'Running' : phase;
  phaseEvent(writes, phase, next, `Cluster is ${next} with failed Helm hooks: ${hookFailures.join('; ')}.`);
  writes.patch({ ...patch, phase: next, health: 'Unhealthy', conditions: conditions.list });
  return { writes, done: true };
}

/** Not converged yet: says what the cluster waits for and looks again after the poll interval. */
function reportProgress(
  step: LiveStep,
  patch: Partial<EngineClusterStatus>,
  nextPhase: ClusterPhase,
): ReconcileResult {
  const { ctx, cluster, writes, conditions } = step;
  const phase = cluster.status.phase;
  if (phase === 'Provisioning') {
    conditions.set({
      type: CONDITION.ready,
      status: 'False',
      reason: 'Provisioning',
      message:
        findCondition(conditions.list, CONDITION.infrastructureReady)?.status === 'True'
          ? 'Applying add-on layers and waiting for them to be available.'
          : 'Waiting for nodes.',
    });
  } else if (nextPhase === 'Updating') {
    conditions.set({
      type: CONDITION.ready,
      status: 'False',
      reason: 'Updating',
      message: 'Applying the update.',
    });
  }
  phaseEvent(writes, phase, nextPhase, `Updating to generation ${cluster.generation}.`);
  writes.patch({ ...patch, phase: nextPhase, conditions: conditions.list });
  return { writes, requeueAfterMs: ctx.timings.pollMs };
}

/** Converged: records what is applied (unless a repave waits), reports Ready and the kinds drift watches follow. */
async function reportConverged(
  step: LiveStep,
  patch: Partial<EngineClusterStatus>,
  repave: RepaveState,
): Promise<ReconcileResult> {
  const { ctx, cluster, writes, conditions, desiredStack } = step;
  const { spec, status } = cluster;
  const phase = status.phase;
  const repaveWaiting = repave.state === 'Pending';
  // The generation is observed now: no pass of it re-plans the update any more.
  delete step.state.updateChecked;
  const k8s = step.state.nodes?.layers.find((l) => l.layer === 'k8s');
  conditions.set({
    type: CONDITION.ready,
    status: 'True',
    reason: repaveWaiting ? 'RepavePending' : 'Running',
    message: repaveWaiting
      ? 'Add-ons applied; node changes wait for the repave to be approved.'
      : `Running ${spec.profiles.map((p) => `${p.name}@${p.version}`).join(', ')}.`,
  });
  await setUpdateAvailable(ctx, cluster, step.records.inventory, step.desiredProfiles, conditions);
  Object.assign(patch, {
    phase: 'Running' as const,
    health: 'Healthy' as const,
    observedGeneration: cluster.generation,
    kubernetesVersion: k8s ? k8s.version : status.kubernetesVersion,
  });
  if (!repaveWaiting) {
    Object.assign(patch, {
      appliedProfiles: spec.profiles,
      appliedOverrides: spec.overrides,
      appliedPools: spec.pools,
    });
  }
  if (phase === 'Provisioning')
    phaseEvent(
      writes,
      phase,
      'Running',
      `Cluster is Running: nodes Ready, ${desiredStack.length} layer(s) applied and healthy.`,
    );
  else if (phase === 'Updating' || cluster.generation !== status.observedGeneration) {
    writes.event(
      'Normal',
      'UpdateApplied',
      `Generation ${cluster.generation} applied: ${spec.profiles.map((p) => `${p.name}@${p.version} (revision ${p.revision})`).join(', ')}.`,
      {
        generation: cluster.generation,
      },
    );
  }
  writes.patch({ ...patch, conditions: conditions.list });
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const d of await ctx.renderer.stack(desiredStack, ctx.catalog)) {
    kinds.set(`${d.ref.apiVersion}/${d.ref.kind}`, { apiVersion: d.ref.apiVersion, kind: d.ref.kind });
  }
  return { writes, done: true, managedKinds: [...kinds.values()], cloudType: spec.cloudType };
}

function repaveCondition(repave: RepaveState): ConditionInput {
  switch (repave.state) {
    case 'Pending':
      return {
        type: CONDITION.repavePending,
        status: 'True',
        reason: 'AwaitingApproval',
        message: `Nodes must be replaced: ${repave.reasons.map((r) => r.message).join(' ')} Approve the repave to start it.`,
      };
    case 'Approved':
      return {
        type: CONDITION.repavePending,
        status: 'False',
        reason: 'Approved',
        message: `Approved by ${repave.approvedBy}.`,
      };
    case 'InProgress':
      return {
        type: CONDITION.repavePending,
        status: 'False',
        reason: 'InProgress',
        message: 'Replacing nodes, control plane first.',
      };
    case 'Reverted':
      return {
        type: CONDITION.repavePending,
        status: 'False',
        reason: 'Reverted',
        message: 'The change that needed a repave was reverted before approval.',
      };
    case 'None':
      return {
        type: CONDITION.repavePending,
        status: 'False',
        reason: 'NotRequired',
        message: 'Nodes run the desired configuration.',
      };
  }
}

/** Sets `UpdateAvailable` when a profile version the cluster runs has a newer revision, with a summary of its plan. */
async function setUpdateAvailable(
  ctx: EngineContext,
  cluster: StoredCluster,
  inventory: readonly InventoryEntry[],
  desiredProfiles: Awaited<ReturnType<EngineContext['profiles']['all']>>,
  conditions: ConditionSet,
): Promise<void> {
  const latest = await Promise.all(
    cluster.spec.profiles.map((p) => ctx.profiles.latest(p.name, p.version).catch(() => null)),
  );
  const newer = cluster.spec.profiles.filter((p, i) => latest[i] && latest[i]!.revision > p.revision);
  if (newer.length === 0) {
    conditions.set({
      type: CONDITION.updateAvailable,
      status: 'False',
      reason: 'UpToDate',
      message: 'Every attached profile version is at its latest revision.',
    });
    return;
  }
  const target = desiredProfiles.map((pv, i) => latest[i] ?? pv);
  const proposal = await ctx.proposals.propose(
    { spec: cluster.spec, phase: 'Running', inventory },
    desiredProfiles,
    { kind: 'profiles', target },
    ctx.catalog,
  );
  const what = newer
    .map((p) => {
      const revision = latest[cluster.spec.profiles.indexOf(p)]!.revision;
      return `${p.name}@${p.version} has revision ${revision} (the cluster runs ${p.revision})`;
    })
    .join(', ');
  conditions.set({
    type: CONDITION.updateAvailable,
    status: 'True',
    reason: 'NewRevision',
    message: `${what}: ${summarizePlan(proposal.plan)}.`,
  });
}

/** One step of deleting a cluster: release the infrastructure, then forget its records and mark it `Deleted`. */
async function reconcileDeletion(
  ctx: EngineContext,
  cluster: StoredCluster,
  records: ClusterRecords,
  writes: StepWrites,
  conditions: ConditionSet,
): Promise<ReconcileResult> {
  const name = cluster.name;
  if (cluster.spec.cloudType !== 'existing') {
    if (!ctx.infra) return { writes, requeueAfterMs: ctx.timings.pollMs };
    if (await ctx.infra.clusterExists(name)) {
      await ctx.infra.deleteCluster(name);
      writes.event(
        'Normal',
        'InfrastructureReleased',
        `Nodes and the simulated API server of ${name} released.`,
      );
      return { writes, requeueAfterMs: 0 };
    }
  }
  writes.inventoryRemovals.push(...records.inventory);
  writes.nodeDeletes.push(...records.nodes.map((n) => n.name));
  conditions.set({
    type: CONDITION.ready,
    status: 'False',
    reason: 'Deleted',
    message: 'The cluster was deleted; its infrastructure is released.',
  });
  writes.patch({ phase: 'Deleted', health: 'Unknown', conditions: conditions.list, engine: {} });
  phaseEvent(writes, 'Deleting', 'Deleted', `Cluster ${name} deleted.`);
  ctx.forgetKube(name);
  return { writes, done: true, deleted: true };
}
