/**
 * Add-on layers, one step at a time: render the desired stack (core, shared renders), apply what is new or
 * changed with server-side apply under Strata's field manager, record it in the inventory, mark objects that
 * left the render as unused (kept, listed), delete the objects of packs removed from the stack and the ones a
 * prune asked for; when nothing is left to apply, check drift (out-of-band deletes and changes of fields Strata
 * set; restored under `selfHeal`) and health (Deployments available, DaemonSets ready).
 */

import { type DesiredObject, forCluster } from '../core/desired.ts';
import { isHook } from '../core/hooks.ts';
import type { Condition, InventoryEntry, KubeObject, ObjectRef, ResolvedLayer } from '../core/model.ts';
import { refKey } from '../core/objects.ts';
import { STRATA_LABELS } from '../core/render.ts';
import { applyInOrder, mapBounded } from '../kube/apply.ts';
import type { KubeClient } from '../kube/client.ts';
import { driftOf } from '../kube/drift.ts';
import { HEALTH_KINDS, unhealthyReason } from '../kube/health.ts';
import type { StoredCluster } from '../store/clusters.ts';
import { CONDITION, findCondition } from './conditions.ts';
import type { EngineContext } from './context.ts';
import type { EngineState } from './engine-state.ts';
import { type HookedLayer, stepHooks } from './hooks.ts';
import type { StepWrites } from './step-writes.ts';

/** What the add-on step found or did. */
export interface AddonsOutcome {
  /** Objects were applied or deleted in this step (look again before calling it healthy). */
  acted: boolean;
  /** Objects applied this step. */
  applied: number;
  /** Managed objects (used) after this step. */
  managed: number;
  unused: ObjectRef[];
  /** Objects found drifted (and restored when `selfHeal`). */
  drifted: Array<{ ref: ObjectRef; drift: string }>;
  /** Unhealthy workloads (empty when healthy or not checked). */
  unhealthy: string[];
  /** True when health was checked (nothing was left to apply). */
  checked: boolean;
  /** True when drift was checked too (every managed kind read); false while settling after an apply. */
  driftChecked: boolean;
  /** The prune request is done (its objects deleted). */
  pruned: boolean;
  /** Releases whose Helm hooks failed (`pack: message`): their objects wait for a new render. */
  hookFailures: string[];
}

function describe(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function refOfEntry(e: InventoryEntry): ObjectRef {
  return { apiVersion: e.apiVersion, kind: e.kind, namespace: e.namespace, name: e.name };
}

/** Workloads read one by one while settling, at most; more are read with one list per kind. */
const SETTLE_GETS = 8;

function isHealthKind(ref: ObjectRef): boolean {
  return HEALTH_KINDS.some((k) => k.kind === ref.kind && k.apiVersion === ref.apiVersion);
}

/** Records the generations this process's apply produced, so its drift watch knows them as its own. */
function rememberOwnWrites(ctx: EngineContext, cluster: string, live: readonly KubeObject[]): void {
  for (const obj of live) {
    if (!obj?.metadata) continue;
    const generation = Number((obj.metadata as { generation?: number }).generation ?? 0);
    if (generation === 0) continue;
    ctx.ownWrites.set(
      `${cluster}/${obj.apiVersion}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`,
      generation,
    );
  }
  while (ctx.ownWrites.size > 50_000) ctx.ownWrites.delete(ctx.ownWrites.keys().next().value as string);
}

/** Lists the live objects of the given kinds that carry the cluster's label, keyed by `refKey`. */
async function liveObjects(
  client: KubeClient,
  cluster: string,
  kinds: ReadonlyArray<{ apiVersion: string; kind: string }>,
): Promise<Map<string, KubeObject>> {
  const selector = `${STRATA_LABELS.cluster}=${cluster}`;
  const live = new Map<string, KubeObject>();
  const lists = await mapBounded(kinds, 4, (k) =>
    client.list(k.apiVersion, k.kind, { labelSelector: selector }),
  );
  for (const items of lists) {
    for (const obj of items) {
      live.set(
        refKey({
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          namespace: obj.metadata.namespace ?? '',
          name: obj.metadata.name,
        }),
        obj,
      );
    }
  }
  return live;
}

/** What one add-on pass reads once and hands from one of its parts to the next. */
interface AddonPass {
  ctx: EngineContext;
  cluster: StoredCluster;
  client: KubeClient;
  state: EngineState;
  writes: StepWrites;
  /** The rendered objects of the stack, hooks left out. */
  desired: DesiredObject[];
  /** Packs whose objects wait for their pre-install hooks. */
  held: Set<string>;
  outcome: AddonsOutcome;
}

/** Takes one add-on step for a cluster towards its desired stack; returns what it found or did. */
export async function reconcileAddons(
  ctx: EngineContext,
  cluster: StoredCluster,
  desiredStack: readonly ResolvedLayer[],
  state: EngineState,
  writes: StepWrites,
  /** The cluster's inventory as the pass read it. */
  inventory: readonly InventoryEntry[],
): Promise<AddonsOutcome> {
  const spec = cluster.spec;
  const client = await ctx.kube(cluster);
  const rendered = await ctx.renderer.stack(desiredStack, ctx.catalog);
  // Helm hooks are not part of a layer's objects: no inventory, drift, health or prune; hooks.ts runs them.
  const desired = rendered.filter((d) => !isHook(d.object));
  const hooks = rendered.filter((d) => isHook(d.object));
  const byKey = new Map(inventory.map((e) => [refKey(e), e]));
  const wanted = new Map<string, DesiredObject>(desired.map((d) => [d.key, d]));
  const stackPacks = new Set(desiredStack.map((l) => l.pack));

  const changed: DesiredObject[] = desired.filter((d) => {
    const e = byKey.get(d.key);
    return !e || e.hash !== d.hash || e.unused || e.pack !== d.pack;
  });
  const hooked: HookedLayer[] = [...new Set(hooks.map((h) => h.pack))].map((pack) => ({
    pack,
    hooks: hooks.filter((h) => h.pack === pack),
    main: desired.filter((d) => d.pack === pack),
    installed: inventory.some((e) => e.pack === pack && !e.unused),
    applying: changed.some((d) => d.pack === pack),
  }));
  const hookStep =
    hooked.length > 0 || state.releases
      ? await stepHookedLayers(ctx, cluster.name, client, state, writes, hooked, changed)
      : { toApply: changed, held: new Set<string>(), acted: false, failures: [], namespacesFirst: 0 };
  const unusedBefore = inventory.filter((e) => !wanted.has(refKey(e)) && stackPacks.has(e.pack));
  const newlyUnused = unusedBefore.filter((e) => !e.unused);
  const removedPack = inventory.filter((e) => !wanted.has(refKey(e)) && !stackPacks.has(e.pack));
  const pruneKeys = pruneKeysOf(state, spec.settings.prune, unusedBefore);

  const outcome: AddonsOutcome = {
    acted: false,
    applied: 0,
    managed: desired.length,
    unused: unusedBefore.filter((e) => !pruneKeys.has(refKey(e))).map(refOfEntry),
    drifted: [],
    unhealthy: [],
    checked: false,
    driftChecked: false,
    pruned: state.prune !== undefined,
    hookFailures: hookStep.failures,
  };
  if (hookStep.acted || hookStep.namespacesFirst > 0) outcome.acted = true;
  outcome.applied += hookStep.namespacesFirst;
  const pass: AddonPass = { ctx, cluster, client, state, writes, desired, held: hookStep.held, outcome };

  if (newlyUnused.length > 0) {
    writes.inventoryUnused.push(...newlyUnused.map(refOfEntry));
    writes.event(
      'Normal',
      'UnusedResources',
      `${newlyUnused.length} object(s) are no longer rendered and are kept as unused: ${newlyUnused.map((e) => describe(e)).join(', ')}. Prune them to delete them.`,
      { objects: newlyUnused.map(refOfEntry) },
    );
  }

  const toApply = hookStep.toApply;
  // Drift and health read the live objects, once nothing is left to apply.
  const read = toApply.length === 0 ? await readLive(pass, toApply) : { live: null, healthScope: null };
  const appliedWorkloads = toApply.length > 0 ? await applyObjects(pass, toApply) : [];
  await deleteObjects(pass, [
    ...removedPack.map((entry) => ({ entry, why: 'pack-removed' as const })),
    ...inventory.filter((e) => pruneKeys.has(refKey(e))).map((entry) => ({ entry, why: 'pruned' as const })),
  ]);
  if (read.live && !outcome.acted) checkHealth(pass, read.live, read.healthScope);
  settle(state, outcome, appliedWorkloads);
  return outcome;
}

/**
 * Runs the Helm hooks of the hooked layers (their namespaces applied first, as `helm install --create-namespace`
 * makes them before hooks); returns what is left to apply (held layers wait) and what the hooks did.
 */
async function stepHookedLayers(
  ctx: EngineContext,
  name: string,
  client: KubeClient,
  state: EngineState,
  writes: StepWrites,
  hooked: HookedLayer[],
  changed: DesiredObject[],
) {
  let toApply = changed;
  let namespacesFirst = 0;
  const hookedPacks = new Set(hooked.map((h) => h.pack));
  const namespaces = toApply.filter((d) => d.ref.kind === 'Namespace' && hookedPacks.has(d.pack));
  if (namespaces.length > 0) {
    await applyInOrder(
      client,
      namespaces.map((d) => forCluster(d, name)),
    );
    writes.inventoryUpserts.push(
      ...namespaces.map((d) => ({ ...d.ref, pack: d.pack, hash: d.hash, unused: false })),
    );
    toApply = toApply.filter((d) => !namespaces.includes(d));
    namespacesFirst = namespaces.length;
  }
  const step = await stepHooks(client, name, hooked, state.releases ?? {}, ctx.clock.now(), writes);
  if (Object.keys(step.releases).length > 0) state.releases = step.releases;
  else delete state.releases;
  const held = new Set<string>(step.holdPacks);
  toApply = toApply.filter((d) => !held.has(d.pack));
  return { toApply, held, acted: step.acted, failures: step.failures, namespacesFirst };
}

/** Returns the keys to prune: what the user asked for (still unused), plus every unused object under `prune: true`. */
function pruneKeysOf(
  state: EngineState,
  prunePolicy: boolean,
  unused: readonly InventoryEntry[],
): Set<string> {
  const unusedKeys = new Set(unused.map((e) => refKey(e)));
  const pruneKeys = new Set<string>();
  if (state.prune)
    for (const ref of state.prune.objects) if (unusedKeys.has(refKey(ref))) pruneKeys.add(refKey(ref));
  if (prunePolicy) for (const key of unusedKeys) pruneKeys.add(key);
  return pruneKeys;
}

/**
 * Reads the live objects when nothing is left to apply: right after Strata's own apply (settling) only the
 * workloads it changed or the health kinds; otherwise every managed kind, with drift checked (drifted objects are
 * added to `toApply` under `selfHeal`). Returns the objects read and, while settling, the workloads judged.
 */
async function readLive(
  pass: AddonPass,
  toApply: DesiredObject[],
): Promise<{ live: Map<string, KubeObject>; healthScope: Set<string> | null }> {
  const { ctx, client, state, desired } = pass;
  const name = pass.cluster.name;
  // A drift watch that saw a change makes the pass read everything, settling or not.
  const settling = state.settling === true && !ctx.driftSuspects.has(name);
  if (!settling) {
    ctx.driftSuspects.delete(name);
    pass.outcome.driftChecked = true;
    const kinds = new Map<string, { apiVersion: string; kind: string }>();
    for (const d of desired)
      kinds.set(`${d.ref.apiVersion}/${d.ref.kind}`, { apiVersion: d.ref.apiVersion, kind: d.ref.kind });
    for (const k of HEALTH_KINDS)
      if (kinds.has(`${k.apiVersion}/${k.kind}`)) kinds.set(`${k.apiVersion}/${k.kind}`, k);
    const live = await liveObjects(client, name, [...kinds.values()]);
    checkDrift(pass, live, toApply);
    return { live, healthScope: null };
  }
  // The workloads the last apply changed are read one by one (the others were healthy before it); without
  // that list, or with many, one labelled list per health kind.
  const watched = state.settlingWorkloads;
  if (watched && watched.length <= SETTLE_GETS) {
    const live = new Map<string, KubeObject>();
    for (const key of watched) {
      const d = desired.find((x) => x.key === key);
      if (!d) continue;
      const obj = await client.get(d.ref);
      if (obj) live.set(key, obj);
    }
    return { live, healthScope: new Set(watched) };
  }
  const present = new Set(desired.map((d) => `${d.ref.apiVersion}/${d.ref.kind}`));
  const live = await liveObjects(
    client,
    name,
    HEALTH_KINDS.filter((k) => present.has(`${k.apiVersion}/${k.kind}`)),
  );
  return { live, healthScope: null };
}

/** Compares the live objects with the desired ones; reports drift, and queues it for restoring under `selfHeal`. */
function checkDrift(pass: AddonPass, live: Map<string, KubeObject>, toApply: DesiredObject[]): void {
  const { cluster, outcome, writes } = pass;
  const spec = cluster.spec;
  const previous = findCondition(cluster.status.conditions, CONDITION.drifted);
  for (const d of pass.desired) {
    const drift = driftOf(forCluster(d, cluster.name), live.get(d.key));
    if (!drift) continue;
    const text =
      drift.kind === 'missing'
        ? 'deleted out of band'
        : `changed out of band (${drift.paths.slice(0, 5).join(', ')})`;
    // A layer whose pre-install hooks are running has nothing to restore yet.
    if (pass.held.has(d.pack) && d.ref.kind !== 'Namespace') continue;
    outcome.drifted.push({ ref: d.ref, drift: text });
    if (spec.settings.selfHeal) toApply.push(d);
  }
  if (outcome.drifted.length === 0) return;
  const message = outcome.drifted.map((x) => `${describe(x.ref)} ${x.drift}`).join('; ');
  if (spec.settings.selfHeal) {
    writes.event('Warning', 'DriftDetected', `${message}; restoring it.`, { objects: outcome.drifted });
  } else if (previous?.status !== 'True' || previous.message !== message) {
    writes.event('Warning', 'DriftDetected', `${message}; selfHeal is off, so it is left as is.`, {
      objects: outcome.drifted,
    });
  }
}

/** Applies objects in install order and records them; returns the workloads applied (health is settled on them). */
async function applyObjects(pass: AddonPass, toApply: readonly DesiredObject[]): Promise<string[]> {
  const { ctx, cluster, outcome, writes } = pass;
  const name = cluster.name;
  const applied = await applyInOrder(
    pass.client,
    toApply.map((d) => forCluster(d, name)),
  );
  rememberOwnWrites(ctx, name, applied);
  writes.inventoryUpserts.push(
    ...toApply.map((d) => ({ ...d.ref, pack: d.pack, hash: d.hash, unused: false })),
  );
  outcome.applied = toApply.length;
  outcome.acted = true;
  if (outcome.drifted.length > 0 && cluster.spec.settings.selfHeal) {
    writes.event(
      'Normal',
      'DriftRestored',
      `Restored ${outcome.drifted.map((x) => describe(x.ref)).join(', ')}.`,
      {
        objects: outcome.drifted.map((x) => x.ref),
      },
    );
  }
  return toApply.filter((d) => isHealthKind(d.ref)).map((d) => d.key);
}

/** Deletes the objects of packs that left the stack and those pruned, namespaces last; reports each kind. */
async function deleteObjects(
  pass: AddonPass,
  deletions: ReadonlyArray<{ entry: InventoryEntry; why: 'pack-removed' | 'pruned' }>,
): Promise<void> {
  if (deletions.length === 0) return;
  const { writes } = pass;
  // Namespaced objects first, namespaces last: deleting a namespace first would take its objects with it unseen.
  const ordered = [...deletions].sort(
    (a, b) => Number(a.entry.kind === 'Namespace') - Number(b.entry.kind === 'Namespace'),
  );
  for (const { entry } of ordered) await pass.client.delete(refOfEntry(entry));
  writes.inventoryRemovals.push(...deletions.map((d) => refOfEntry(d.entry)));
  pass.outcome.acted = true;
  const removed = deletions.filter((d) => d.why === 'pack-removed');
  const pruned = deletions.filter((d) => d.why === 'pruned');
  if (removed.length > 0) {
    const packs = [...new Set(removed.map((d) => d.entry.pack))];
    writes.event(
      'Normal',
      'PackRemoved',
      `Pack(s) ${packs.join(', ')} left the stack; deleted ${removed.map((d) => describe(d.entry)).join(', ')}.`,
      { objects: removed.map((d) => refOfEntry(d.entry)) },
    );
  }
  if (pruned.length > 0) {
    writes.event(
      'Normal',
      'Pruned',
      `Pruned ${pruned.length} unused object(s): ${pruned.map((d) => describe(d.entry)).join(', ')}.`,
      { objects: pruned.map((d) => refOfEntry(d.entry)) },
    );
  }
}

/** Judges the health of the managed workloads (those settled on, while settling) from the live objects read. */
function checkHealth(pass: AddonPass, live: Map<string, KubeObject>, healthScope: Set<string> | null): void {
  pass.outcome.checked = true;
  for (const d of pass.desired) {
    if (!isHealthKind(d.ref) || (healthScope && !healthScope.has(d.key))) continue;
    const obj = live.get(d.key);
    const reason = obj ? unhealthyReason(obj) : 'missing';
    if (reason) pass.outcome.unhealthy.push(`${describe(d.ref)}: ${reason}`);
  }
}

/** Applied or deleted now: settle on health next; settled and healthy: the next pass reads everything again. */
function settle(state: EngineState, outcome: AddonsOutcome, appliedWorkloads: readonly string[]): void {
  if (outcome.applied > 0 || outcome.acted) {
    // Settling continues over several applies (hooks, ordered layers): the workloads of each are added.
    const before = state.settling ? (state.settlingWorkloads ?? []) : [];
    state.settling = true;
    state.settlingWorkloads = [...new Set([...before, ...appliedWorkloads])];
  } else if (outcome.checked && outcome.unhealthy.length === 0) {
    delete state.settling;
    delete state.settlingWorkloads;
  }
}

/** Returns the add-on conditions for an outcome. */
export function addonConditions(
  outcome: AddonsOutcome,
  layers: number,
): Array<Omit<Condition, 'lastTransitionTime'>> {
  const conditions: Array<Omit<Condition, 'lastTransitionTime'>> = [];
  conditions.push(
    outcome.hookFailures.length > 0
      ? {
          type: CONDITION.addonsApplied,
          status: 'False',
          reason: 'HookFailed',
          message: `Helm hooks failed: ${outcome.hookFailures.join('; ')}.`,
        }
      : outcome.acted
        ? {
            type: CONDITION.addonsApplied,
            status: 'False',
            reason: 'Applying',
            message: `Applying ${outcome.applied} object(s) of ${layers} layer(s).`,
          }
        : {
            type: CONDITION.addonsApplied,
            status: 'True',
            reason: 'Applied',
            message: `${outcome.managed} object(s) of ${layers} layer(s) applied.`,
          },
  );
  conditions.push(
    outcome.unused.length > 0
      ? {
          type: CONDITION.unusedResources,
          status: 'True',
          reason: 'NoLongerRendered',
          message: `${outcome.unused.length} object(s) no longer rendered, kept until pruned: ${outcome.unused.map(describe).join(', ')}.`,
        }
      : {
          type: CONDITION.unusedResources,
          status: 'False',
          reason: 'None',
          message: 'Every managed object is rendered.',
        },
  );
  return conditions;
}
