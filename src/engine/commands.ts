/**
 * `EngineCommands`: what the REST API, the CLI's `strata up` and tests call. Each command validates, changes
 * desired state (spec, or a status field the user owns such as a repave approval) in one transaction with its
 * audit row and event, and queues the reconcile that carries it out; reads compose store and cluster state.
 */

import { isErrorCode, isStrataError, StrataError } from '../core/errors.ts';
import type { ClusterSpec, InventoryEntry, ObjectRef, ProfileVersion } from '../core/model.ts';
import { requireDnsLabel } from '../core/names.ts';
import { canonicalJson, refKey } from '../core/objects.ts';
import { parseProfileRef } from '../core/profile.ts';
import { checkAttachment, resolveStack } from '../core/stack.ts';
import { proposeUpdateTarget, type UpdateProposal, type UpdateRequest } from '../core/workflows.ts';
import { KubeClient } from '../kube/client.ts';
import { checkValuesSchema } from '../render/values-schema.ts';
import { type AuditContext, recordAudit } from '../store/audit.ts';
import { putClusterKubeconfig } from '../store/cluster-credentials.ts';
import {
  getCluster,
  getClusters,
  type StoredCluster,
  createCluster as storeCreateCluster,
  deleteCluster as storeDeleteCluster,
  updateClusterSpecs,
  updateClusterStatus,
} from '../store/clusters.ts';
import { recordEvents } from '../store/events.ts';
import { listInventories, listInventory } from '../store/inventory.ts';
import { staleWriteError } from '../store/transact.ts';
import { DEFAULT_SETTINGS, defaultPools, validatePools } from './cluster-input.ts';
import { CONDITION, setCondition } from './conditions.ts';
import type { EngineContext } from './context.ts';
import type {
  ApplyOptions,
  ClusterChangeInput,
  ClusterPlanView,
  CreateClusterInput,
  EngineCommands,
  FleetCommands,
  PruneResult,
  WorkloadsView,
} from './contract.ts';
import { engineStateOf } from './engine-state.ts';
import { summarizePlan } from './reconcile-cluster.ts';
import { queueUpdateAvailable, requestReconcile } from './work.ts';
import { readWorkloads } from './workloads.ts';

/** How many unused objects a prune deletes without `force`: 25, and never more than a quarter of the managed ones. */
export function pruneCap(managed: number): number {
  return Math.max(1, Math.min(25, Math.floor(managed / 4)));
}

/** Hooks the commands call after committing (wake the local worker). */
export interface CommandHooks {
  /** Work was queued: claim it now rather than at the next idle poll. */
  wake(): void;
}

const STATUS_RETRIES = 5;

async function requireCluster(ctx: EngineContext, name: string): Promise<StoredCluster> {
  const cluster = await getCluster(ctx.store.db, name);
  if (!cluster) throw new StrataError('NotFound', `Cluster ${name} not found.`, { cluster: name });
  return cluster;
}

/** Returns the profile versions (current revisions) a list of `NAME@VERSION` references names. */
async function resolveRefs(ctx: EngineContext, refs: readonly string[]): Promise<ProfileVersion[]> {
  if (!Array.isArray(refs) || refs.length === 0) {
    throw new StrataError(
      'ValidationFailed',
      'profiles must name at least one profile version (NAME@VERSION).',
      { field: 'profiles' },
    );
  }
  return Promise.all(
    refs.map((ref, i) => {
      const { name, version } = parseProfileRef(ref, `profiles[${i}]`);
      return ctx.profiles.latest(name, version, `profiles[${i}]`);
    }),
  );
}

/** Returns the core update request for a user's change. */
async function toRequest(ctx: EngineContext, change: ClusterChangeInput): Promise<UpdateRequest> {
  switch (change.kind) {
    case 'profiles':
      return {
        kind: 'profiles',
        target: await resolveRefs(ctx, change.profiles),
        ...(change.resolutions ? { resolutions: change.resolutions } : {}),
        ...(change.chain ? { chain: true } : {}),
      };
    case 'override':
      requireDnsLabel(change.pack, 'pack');
      return {
        kind: 'override',
        pack: change.pack,
        values: change.values,
        ...(change.presets ? { presets: change.presets } : {}),
        ...(change.replace ? { replace: true } : {}),
      };
    case 'pools':
      validatePools(change.pools);
      return { kind: 'pools', pools: change.pools };
    default:
      throw new StrataError('ValidationFailed', 'kind must be profiles, override or pools.', {
        field: 'kind',
      });
  }
}

/** Returns the error a non-applicable plan is refused with: its first error's code, the plan in details. */
function planRefusal(proposal: UpdateProposal): StrataError {
  const first = proposal.plan.errors[0];
  if (!first) {
    return new StrataError('PlanHasErrors', 'The plan cannot be applied.', { plan: proposal.plan });
  }
  const code = isErrorCode(first.code) ? first.code : 'PlanHasErrors';
  return new StrataError(code, first.message, { ...first.details, plan: proposal.plan });
}

/** Builds the engine's commands over a context. */
export function createEngineCommands(
  ctx: EngineContext,
  hooks: CommandHooks = { wake: () => {} },
): EngineCommands & FleetCommands {
  const db = ctx.store.db;
  const now = () => new Date(ctx.clock.now()).toISOString();

  /** Plans `change` for a cluster as read (spec, phase, inventory); returns the proposal and the current stack. */
  async function proposeFor(
    cluster: StoredCluster,
    inventory: readonly InventoryEntry[],
    change: ClusterChangeInput,
    fieldPaths = false,
  ) {
    const name = cluster.name;
    if (cluster.status.phase === 'Deleted') {
      throw new StrataError('NotFound', `Cluster ${name} was deleted.`, { cluster: name });
    }
    const request = await toRequest(ctx, change);
    const current = await ctx.profiles.all(cluster.spec.profiles);
    if (request.kind === 'override' && request.values !== null) {
      // An override is checked against the chart's values schema before it is planned (rendered) or stored.
      const target = proposeUpdateTarget(
        { spec: cluster.spec, phase: cluster.status.phase, inventory },
        current,
        request,
        ctx.catalog,
      );
      const layer = target.pending.stack.find((l) => l.pack === request.pack);
      if (layer) {
        await checkValuesSchema(
          ctx.renderer,
          ctx.catalog.require(layer.pack, layer.version),
          layer.values,
          `overrides.${layer.pack}`,
        );
      }
    }
    const proposal = await ctx.proposals.propose(
      { spec: cluster.spec, phase: cluster.status.phase, inventory },
      current,
      request,
      ctx.catalog,
      { fieldPaths },
    );
    return { proposal, current };
  }

  async function propose(name: string, change: ClusterChangeInput, fieldPaths = false) {
    const cluster = await requireCluster(ctx, name);
    const { proposal, current } = await proposeFor(
      cluster,
      await listInventory(db, name),
      change,
      fieldPaths,
    );
    const currentStack = resolveStack(current, cluster.spec.overrides, ctx.catalog);
    const packs = [
      ...new Set([...currentStack.map((l) => l.pack), ...proposal.pending.stack.map((l) => l.pack)]),
    ];
    const view: ClusterPlanView = {
      cluster: name,
      plan: proposal.plan,
      layers: packs.map((pack) => ({
        pack,
        current: currentStack.find((l) => l.pack === pack)?.values ?? null,
        pending: proposal.pending.stack.find((l) => l.pack === pack)?.values ?? null,
      })),
      pending: proposal.pending,
      resourceVersion: cluster.resourceVersion,
    };
    return { cluster, proposal, view };
  }

  /** True when a proposal changes nothing: no plan change and the same spec. */
  function unchanged(cluster: StoredCluster, proposal: UpdateProposal): boolean {
    return !proposal.plan.changed && canonicalJson(proposal.spec) === canonicalJson(cluster.spec);
  }

  /**
   * Stores applicable proposals in one transaction: the new specs (each only if its cluster's resourceVersion is
   * still the one planned from), an `UpdateRequested` event per stored cluster and their reconciles. Returns what
   * `updateClusterSpecs` returns.
   */
  async function storeProposals(
    audit: AuditContext,
    entries: ReadonlyArray<{ cluster: StoredCluster; proposal: UpdateProposal; change: ClusterChangeInput }>,
  ) {
    if (entries.length === 0) return { updated: [], current: new Map<string, number>() };
    const result = await ctx.store.transaction(async (trx) => {
      const r = await updateClusterSpecs(
        trx,
        audit,
        entries.map((e) => ({
          spec: { ...e.proposal.spec, name: e.cluster.name },
          expectedResourceVersion: e.cluster.resourceVersion,
        })),
      );
      const stored = new Map(r.updated.map((c) => [c.name, c]));
      await recordEvents(
        trx,
        entries.flatMap(({ cluster, proposal, change }) => {
          const updated = stored.get(cluster.name);
          if (!updated) return [];
          return [
            {
              cluster: cluster.name,
              type: 'Normal' as const,
              reason: 'UpdateRequested',
              message: `${audit.actor} requested an update (${change.kind}): ${summarizePlan(proposal.plan)}.`,
              details: { generation: updated.generation, change: change.kind },
            },
          ];
        }),
      );
      await requestReconcile(trx, [...stored.keys()], audit.actor);
      return r;
    });
    if (result.updated.length > 0) hooks.wake();
    return result;
  }

  /** Merges status fields computed from the fresh status, retrying when a reconciler wrote in between. */
  async function writeStatus(
    name: string,
    compute: (cluster: StoredCluster) => Parameters<typeof updateClusterStatus>[2],
    inTransaction: (
      trx: Parameters<Parameters<typeof ctx.store.transaction>[0]>[0],
      cluster: StoredCluster,
    ) => Promise<void>,
  ): Promise<StoredCluster> {
    for (let attempt = 1; ; attempt += 1) {
      const cluster = await requireCluster(ctx, name);
      try {
        return await ctx.store.transaction(async (trx) => {
          const updated = await updateClusterStatus(trx, name, compute(cluster), {
            expectedStatusVersion: cluster.statusVersion,
          });
          await inTransaction(trx, cluster);
          return updated;
        });
      } catch (error) {
        if (!(error instanceof StrataError && error.code === 'Conflict') || attempt >= STATUS_RETRIES)
          throw error;
      }
    }
  }

  return {
    async createCluster(audit: AuditContext, input: CreateClusterInput): Promise<StoredCluster> {
      const name = requireDnsLabel(input.name, 'name');
      const profiles = await resolveRefs(ctx, input.profiles);
      const infraProfile = profiles.find((p) => p.type !== 'addon');
      const cloudType =
        input.cloudType ?? (input.kubeconfig ? 'existing' : (infraProfile?.cloudType ?? 'sim'));
      if (!['sim', 'edge', 'existing'].includes(cloudType)) {
        throw new StrataError(
          'ValidationFailed',
          `cloudType must be sim, edge or existing; got ${JSON.stringify(cloudType)}.`,
          { field: 'cloudType' },
        );
      }
      checkAttachment(cloudType, profiles);
      let pools = input.pools ?? [];
      if (cloudType === 'existing') {
        if (!input.kubeconfig) {
          throw new StrataError(
            'ValidationFailed',
            'An existing cluster needs the kubeconfig Strata reaches it with.',
            { field: 'kubeconfig' },
          );
        }
        KubeClient.fromKubeconfig(input.kubeconfig);
        pools = [];
      } else {
        const controlPlane = input.controlPlane ?? 1;
        if (![1, 3, 5].includes(controlPlane)) {
          throw new StrataError('ValidationFailed', `controlPlane must be 1, 3 or 5; got ${controlPlane}.`, {
            field: 'controlPlane',
          });
        }
        const workers = input.workers ?? 2;
        if (!Number.isInteger(workers) || workers < 0 || workers > 1000) {
          throw new StrataError(
            'ValidationFailed',
            `workers must be a whole number from 0 to 1000; got ${workers}.`,
            { field: 'workers' },
          );
        }
        pools = input.pools ?? defaultPools(controlPlane, workers);
        validatePools(pools);
      }
      // Render once now: a profile that cannot render is refused before anything is stored.
      await ctx.renderer.stack(resolveStack(profiles, {}, ctx.catalog), ctx.catalog);
      const spec: ClusterSpec = {
        name,
        cloudType,
        profiles: profiles.map((p) => ({ name: p.name, version: p.version, revision: p.revision })),
        overrides: {},
        pools,
        settings: { ...DEFAULT_SETTINGS, ...(input.settings ?? {}) },
        labels: input.labels ?? {},
      };
      const previous = await getCluster(db, name);
      const created = await ctx.store.transaction(async (trx) => {
        // A deleted cluster's record stays visible until its name is reused.
        if (previous?.status.phase === 'Deleted')
          await storeDeleteCluster(trx, audit, name, previous.resourceVersion);
        const stored = await storeCreateCluster(trx, audit, spec);
        if (input.kubeconfig) await putClusterKubeconfig(trx, name, input.kubeconfig);
        await recordEvents(trx, [
          {
            cluster: name,
            type: 'Normal',
            reason: 'ClusterCreated',
            message: `Created by ${audit.actor} from ${input.profiles.join(', ')}.`,
            details: { profiles: spec.profiles },
          },
        ]);
        await requestReconcile(trx, [name], audit.actor);
        return stored;
      });
      hooks.wake();
      return created;
    },

    async deleteCluster(audit, name) {
      const cluster = await requireCluster(ctx, name);
      if (cluster.status.phase === 'Deleting' || cluster.status.phase === 'Deleted') return cluster;
      const updated = await writeStatus(
        name,
        (c) => ({
          phase: 'Deleting',
          conditions: setCondition(
            c.status.conditions,
            {
              type: CONDITION.ready,
              status: 'False',
              reason: 'Deleting',
              message: 'Releasing the infrastructure.',
            },
            now(),
          ),
        }),
        async (trx, c) => {
          await recordAudit(trx, audit, [
            {
              action: 'cluster.delete',
              targetKind: 'cluster',
              target: name,
              before: { phase: c.status.phase },
              after: { phase: 'Deleting' },
            },
          ]);
          await recordEvents(trx, [
            {
              cluster: name,
              type: 'Normal',
              reason: 'ClusterDeleting',
              message: `Deletion requested by ${audit.actor}.`,
              details: { from: c.status.phase },
            },
          ]);
          await requestReconcile(trx, [name], audit.actor);
        },
      );
      hooks.wake();
      return updated;
    },

    async planChange(name, change) {
      return (await propose(name, change, true)).view;
    },

    async applyChange(audit, name, change, options: ApplyOptions = {}) {
      const { cluster, proposal, view } = await propose(name, change);
      if (
        options.expectedResourceVersion !== undefined &&
        options.expectedResourceVersion !== cluster.resourceVersion
      ) {
        throw new StrataError(
          'Conflict',
          `Cluster ${name} changed since the plan was shown (resourceVersion ${cluster.resourceVersion}, you sent ${options.expectedResourceVersion}); review the new plan.`,
          { cluster: name, expected: options.expectedResourceVersion, actual: cluster.resourceVersion },
        );
      }
      if (!proposal.plan.applicable) throw planRefusal(proposal);
      if (unchanged(cluster, proposal)) return view;
      const { updated, current } = await storeProposals(audit, [{ cluster, proposal, change }]);
      const stored = updated[0];
      if (!stored) {
        throw staleWriteError(`Cluster ${name}`, { name }, cluster.resourceVersion, current.get(name));
      }
      return { ...view, resourceVersion: stored.resourceVersion };
    },

    async applyChanges(audit, items) {
      const names = items.map((i) => i.cluster);
      const [clusters, inventories] = await Promise.all([getClusters(db, names), listInventories(db, names)]);
      const byName = new Map(clusters.map((c) => [c.name, c]));
      const results = new Map<string, StrataError | null>();
      const entries: Array<{ cluster: StoredCluster; proposal: UpdateProposal; change: ClusterChangeInput }> =
        [];
      for (const { cluster: name, change } of items) {
        const cluster = byName.get(name);
        try {
          if (!cluster) throw new StrataError('NotFound', `Cluster ${name} not found.`, { cluster: name });
          const { proposal } = await proposeFor(cluster, inventories.get(name) ?? [], change);
          if (!proposal.plan.applicable) throw planRefusal(proposal);
          if (unchanged(cluster, proposal)) results.set(name, null);
          else entries.push({ cluster, proposal, change });
        } catch (error) {
          if (!isStrataError(error)) throw error;
          results.set(name, error);
        }
      }
      const { updated, current } = await storeProposals(audit, entries);
      const stored = new Set(updated.map((c) => c.name));
      for (const { cluster } of entries) {
        const name = cluster.name;
        results.set(
          name,
          stored.has(name)
            ? null
            : staleWriteError(`Cluster ${name}`, { name }, cluster.resourceVersion, current.get(name)),
        );
      }
      return results;
    },

    async approveRepave(audit, name) {
      const cluster = await requireCluster(ctx, name);
      const refuse = (state: string) =>
        new StrataError(
          'RepaveNotPending',
          `Cluster ${name} has no repave waiting for approval (repave state: ${state}).`,
          {
            cluster: name,
            state,
          },
        );
      if (cluster.status.repave.state !== 'Pending') throw refuse(cluster.status.repave.state);
      const updated = await writeStatus(
        name,
        (c) => {
          if (c.status.repave.state !== 'Pending') throw refuse(c.status.repave.state);
          return {
            repave: {
              state: 'Approved',
              reasons: c.status.repave.reasons,
              approvedAt: now(),
              approvedBy: audit.actor,
            },
          };
        },
        async (trx) => {
          await recordAudit(trx, audit, [
            {
              action: 'cluster.repave.approve',
              targetKind: 'cluster',
              target: name,
              before: { repave: 'Pending' },
              after: { repave: 'Approved' },
            },
          ]);
          await recordEvents(trx, [
            {
              cluster: name,
              type: 'Normal',
              reason: 'RepaveApproved',
              message: `Repave approved by ${audit.actor}; nodes are replaced control plane first.`,
            },
          ]);
          await requestReconcile(trx, [name], audit.actor);
        },
      );
      hooks.wake();
      return updated;
    },

    async prune(audit, name, options): Promise<PruneResult> {
      const cluster = await requireCluster(ctx, name);
      const inventory = await listInventory(db, name);
      const unused = inventory.filter((e) => e.unused);
      let objects: ObjectRef[] = unused.map((e) => ({
        apiVersion: e.apiVersion,
        kind: e.kind,
        namespace: e.namespace,
        name: e.name,
      }));
      if (options.objects) {
        const unusedKeys = new Set(unused.map((e) => refKey(e)));
        options.objects.forEach((ref, i) => {
          if (!unusedKeys.has(refKey(ref))) {
            throw new StrataError(
              'ValidationFailed',
              `objects[${i}] (${ref.kind} ${ref.namespace}/${ref.name}) is not an unused object of cluster ${name}; only unused objects are pruned.`,
              {
                field: `objects[${i}]`,
              },
            );
          }
        });
        objects = options.objects.map((r) => ({
          apiVersion: r.apiVersion,
          kind: r.kind,
          namespace: r.namespace,
          name: r.name,
        }));
      }
      const cap = pruneCap(inventory.length);
      const overCap = objects.length > cap && !options.force;
      if (options.dryRun) return { dryRun: true, objects, refused: overCap };
      if (overCap) {
        throw new StrataError(
          'PruneCapExceeded',
          `Pruning ${objects.length} objects exceeds the cap of ${cap} (25, at most a quarter of the ${inventory.length} managed objects); review the preview and pass force to prune them.`,
          { count: objects.length, cap, managed: inventory.length },
        );
      }
      if (objects.length === 0) return { dryRun: false, objects, refused: false };
      if (cluster.status.phase === 'Deleting' || cluster.status.phase === 'Deleted') {
        throw new StrataError(
          'ClusterNotUpdatable',
          `Cluster ${name} is ${cluster.status.phase}; nothing is pruned.`,
          { phase: cluster.status.phase },
        );
      }
      await writeStatus(
        name,
        (c) => {
          const state = engineStateOf(c.status);
          const already = state.prune?.objects ?? [];
          const keys = new Set(already.map(refKey));
          const merged = [...already, ...objects.filter((o) => !keys.has(refKey(o)))];
          return {
            engine: { ...state, prune: { objects: merged, requestedAt: now(), requestedBy: audit.actor } },
          };
        },
        async (trx) => {
          await recordAudit(trx, audit, [
            {
              action: 'cluster.prune',
              targetKind: 'cluster',
              target: name,
              before: null,
              after: { objects: objects.map(refKey) },
            },
          ]);
          await recordEvents(trx, [
            {
              cluster: name,
              type: 'Normal',
              reason: 'PruneRequested',
              message: `${audit.actor} asked to prune ${objects.length} unused object(s).`,
              details: { objects },
            },
          ]);
          await requestReconcile(trx, [name], audit.actor);
        },
      );
      hooks.wake();
      return { dryRun: false, objects, refused: false };
    },

    async workloads(name): Promise<WorkloadsView> {
      const cluster = await requireCluster(ctx, name);
      const inventory = await listInventory(db, name);
      return readWorkloads(await ctx.kube(cluster), inventory);
    },

    async kubeconfig(name, role) {
      const cluster = await requireCluster(ctx, name);
      if (cluster.status.phase === 'Deleted')
        throw new StrataError('NotFound', `Cluster ${name} was deleted.`, { cluster: name });
      if (cluster.spec.cloudType === 'existing') {
        if (role !== 'admin') {
          throw new StrataError(
            'BadRequest',
            `Strata holds only the kubeconfig cluster ${name} was registered with; ask for role admin.`,
            { field: 'role' },
          );
        }
        return ctx.adminKubeconfig(cluster);
      }
      if (!ctx.sim) return ctx.adminKubeconfig(cluster);
      if (!(await ctx.sim.infra.clusterExists(name))) {
        throw new StrataError(
          'Conflict',
          `Cluster ${name} has no API server yet (phase ${cluster.status.phase}); try again once it is Provisioning nodes.`,
          {
            cluster: name,
            phase: cluster.status.phase,
          },
        );
      }
      return ctx.sim.kubeconfig(name, role);
    },

    async attachedProfiles(name) {
      const cluster = await requireCluster(ctx, name);
      const refs =
        cluster.status.appliedProfiles.length > 0 ? cluster.status.appliedProfiles : cluster.spec.profiles;
      return ctx.profiles.all(refs);
    },

    async markUpdateAvailable(profile, version, revision) {
      ctx.profiles.invalidate(profile, version);
      await queueUpdateAvailable(db, { profile, version, revision }, 'profile-edit');
      hooks.wake();
    },
  };
}
