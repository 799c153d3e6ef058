/**
 * `planClusterUpdate`: from what a cluster runs and what it would run, the typed plan — layer changes,
 * value paths, presets, repave per pool, Kubernetes steps, objects to create/change/leave unused/delete,
 * and the rules (errors that stop the update, warnings that do not).
 */
import type { Catalog } from './catalog.ts';
import type { DesiredObject } from './desired.ts';
import { checkKubernetesUpgrade } from './kubernetes-upgrade.ts';
import type {
  AttachedProfile,
  CloudType,
  ClusterPhase,
  InventoryEntry,
  NodePoolSpec,
  ObjectRef,
  ResolvedLayer,
} from './model.ts';
import { changedFieldPaths } from './object-diff.ts';
import { refKey } from './objects.ts';
import type {
  LayerPlan,
  ObjectsPlan,
  Plan,
  PlanErrorCode,
  PlanIssue,
  PlanWarningCode,
} from './plan-types.ts';
import { classifyRepave } from './repave.ts';
import { compareSemver } from './semver.ts';
import { layerOfKind } from './stack.ts';
import { diffValues } from './values.ts';
import type { MergeConflict } from './values-merge.ts';

/** Everything a plan is computed from; no I/O happens while planning. */
export interface PlanInput {
  phase: ClusterPhase;
  cloudType: CloudType;
  from: AttachedProfile[];
  to: AttachedProfile[];
  currentStack: readonly ResolvedLayer[];
  targetStack: readonly ResolvedLayer[];
  /** What the target stack renders to (src/render/), in stack order. */
  desired: readonly DesiredObject[];
  /** What the current stack renders to, for the field paths of changed objects (optional). */
  current?: readonly DesiredObject[];
  currentPools: readonly NodePoolSpec[];
  targetPools: readonly NodePoolSpec[];
  /** What Strata applied to the cluster so far. */
  inventory: readonly InventoryEntry[];
  /** Packs whose target values are the cluster's own (overrides). */
  overriddenPacks?: readonly string[];
  /** Unresolved 3-way-merge conflicts per pack. */
  conflicts?: Readonly<Record<string, MergeConflict[]>>;
  /** Plan a skipped-minor Kubernetes upgrade as a chain of single-minor steps. */
  chain?: boolean;
}

const NOT_UPDATABLE: readonly ClusterPhase[] = ['Pending', 'Provisioning', 'Deleting', 'Deleted'];

/** The errors and warnings a plan collects, in the order its rules are checked. */
interface PlanIssues {
  errors: PlanIssue<PlanErrorCode>[];
  warnings: PlanIssue<PlanWarningCode>[];
}

/** Returns the plan of an update; never throws for rule violations — they are listed as errors. */
export function planClusterUpdate(input: PlanInput, catalog: Catalog): Plan {
  const issues: PlanIssues = { errors: [], warnings: [] };
  const { errors, warnings } = issues;
  if (NOT_UPDATABLE.includes(input.phase)) {
    errors.push({
      code: 'ClusterNotUpdatable',
      message: `The cluster is ${input.phase}; it can be updated once it is Running.`,
      details: { phase: input.phase },
    });
  }
  const layers = planLayers(input);
  checkStackRules(input, issues);
  const kubernetes = checkKubernetes(input, catalog, issues);
  checkLayers(layers, issues);

  const repave = classifyRepave(
    {
      currentStack: input.currentStack,
      targetStack: input.targetStack,
      currentPools: input.currentPools,
      targetPools: input.targetPools,
    },
    catalog,
  );
  if (repave.required) {
    warnings.push({
      code: 'RepaveRequired',
      message: `This update replaces the nodes of ${repave.pools.map((p) => p.name).join(', ')}; nothing on the nodes changes until the repave is approved.`,
      details: { pools: repave.pools.map((p) => p.name), reasons: repave.reasons.map((r) => r.code) },
    });
  }

  const objects = planObjects(input);
  if (objects.unused.length > 0) {
    warnings.push({
      code: 'UnusedResources',
      message: `${objects.unused.length} object${objects.unused.length === 1 ? '' : 's'} will no longer be rendered; they are kept as unused until pruned.`,
      details: { objects: objects.unused.map((r) => refKey(r)) },
    });
  }

  const poolsChanged = JSON.stringify(input.currentPools) !== JSON.stringify(input.targetPools);
  const profilesChanged = JSON.stringify(input.from) !== JSON.stringify(input.to);
  const changed =
    profilesChanged ||
    poolsChanged ||
    layers.some((l) => l.change !== 'unchanged') ||
    objects.create.length + objects.change.length + objects.delete.length + objects.unused.length > 0;

  return {
    from: input.from,
    to: input.to,
    layers,
    repave,
    kubernetes,
    objects,
    errors,
    warnings,
    changed,
    applicable: errors.length === 0,
  };
}

/** Checks the rules on the stack's infrastructure layers: an existing cluster's, the CNI and the CSI. */
function checkStackRules(input: PlanInput, { errors, warnings }: PlanIssues): void {
  if (input.cloudType === 'existing') {
    const infra = input.targetStack.find((l) => l.layer !== 'addon');
    if (infra) {
      errors.push({
        code: 'ExistingClusterInfraLayer',
        message: `An existing cluster runs add-on layers only; '${infra.pack}' is a ${infra.layer} layer.`,
        details: { pack: infra.pack, layer: infra.layer },
      });
    }
  }

  const cniFrom = layerOfKind(input.currentStack, 'cni');
  const cniTo = layerOfKind(input.targetStack, 'cni');
  if (input.cloudType === 'edge' && cniFrom && cniTo && cniFrom.pack !== cniTo.pack) {
    errors.push({
      code: 'EdgeCniChangeNotSupported',
      message: `An Edge cluster cannot change its CNI (${cniFrom.pack} → ${cniTo.pack}); delete and re-create the cluster instead.`,
      details: { currentPack: cniFrom.pack, targetPack: cniTo.pack },
    });
  } else if (cniFrom && cniTo && cniFrom.pack !== cniTo.pack) {
    warnings.push({
      code: 'CniChange',
      message: `Changing the CNI (${cniFrom.pack} → ${cniTo.pack}) interrupts pod networking while it is replaced.`,
      details: { currentPack: cniFrom.pack, targetPack: cniTo.pack },
    });
  }

  const csiFrom = layerOfKind(input.currentStack, 'csi');
  const csiTo = layerOfKind(input.targetStack, 'csi');
  if (csiFrom && (!csiTo || csiTo.pack !== csiFrom.pack)) {
    warnings.push({
      code: 'CsiChange',
      message: `The storage driver ${csiFrom.pack} is ${csiTo ? `replaced by ${csiTo.pack}` : 'removed'}; volumes it provisioned are not migrated.`,
      details: { currentPack: csiFrom.pack, targetPack: csiTo?.pack ?? null },
    });
  }
}

/** Checks a Kubernetes version change against the upgrade rules; returns the upgrade (null when none). */
function checkKubernetes(
  input: PlanInput,
  catalog: Catalog,
  { errors, warnings }: PlanIssues,
): Plan['kubernetes'] {
  const k8sFrom = layerOfKind(input.currentStack, 'k8s');
  const k8sTo = layerOfKind(input.targetStack, 'k8s');
  if (!k8sFrom || !k8sTo) return null;
  const check = checkKubernetesUpgrade(
    catalog.require(k8sFrom.pack, k8sFrom.version),
    catalog.require(k8sTo.pack, k8sTo.version),
    catalog,
    input.chain === true,
  );
  errors.push(...check.errors);
  warnings.push(...check.warnings);
  return check.upgrade;
}

/** Checks each layer's change: a downgrade is a warning, unresolved merge conflicts an error. */
function checkLayers(layers: readonly LayerPlan[], { errors, warnings }: PlanIssues): void {
  for (const layer of layers) {
    if (layer.change === 'downgraded' && layer.layer !== 'k8s') {
      warnings.push({
        code: 'PackDowngrade',
        message: `${layer.pack} goes back from ${layer.fromVersion} to ${layer.toVersion}.`,
        details: { pack: layer.pack, fromVersion: layer.fromVersion, toVersion: layer.toVersion },
      });
    }
    if (layer.conflicts.length > 0) {
      errors.push({
        code: 'MergeConflict',
        message: `${layer.pack}: ${layer.conflicts.length} value${layer.conflicts.length === 1 ? '' : 's'} changed both in the new profile and on this cluster (${layer.conflicts
          .map((c) => c.path)
          .join(', ')}); resolve them in the pending configuration before applying.`,
        details: { pack: layer.pack, paths: layer.conflicts.map((c) => c.path) },
      });
    }
  }
}

function planLayers(input: PlanInput): LayerPlan[] {
  const overridden = new Set(input.overriddenPacks ?? []);
  const plans: LayerPlan[] = [];
  const current = new Map(input.currentStack.map((l) => [l.pack, l]));
  const target = new Map(input.targetStack.map((l) => [l.pack, l]));
  // Layers of a kind that holds one pack (os/k8s/cni/csi) replaced by another pack are one change.
  const replacedBy = new Map<string, string>();
  for (const t of input.targetStack) {
    if (t.layer === 'addon' || current.has(t.pack)) continue;
    const old = input.currentStack.find((c) => c.layer === t.layer && !target.has(c.pack));
    if (old) replacedBy.set(old.pack, t.pack);
  }
  for (const t of input.targetStack) {
    const c = current.get(t.pack);
    const replaced = [...replacedBy.entries()].find(([, to]) => to === t.pack)?.[0];
    const before = c ?? (replaced ? current.get(replaced) : undefined);
    const conflicts = input.conflicts?.[t.pack] ?? [];
    if (!before) {
      plans.push(
        layerPlan(t, 'added', null, t.version, [], t.presets, [], overridden.has(t.pack), conflicts),
      );
      continue;
    }
    const values = before.pack === t.pack ? diffValues(before.values, t.values) : [];
    const enabled = t.presets.filter((p) => !before.presets.includes(p));
    const disabled = before.presets.filter((p) => !t.presets.includes(p));
    let change: LayerPlan['change'];
    if (before.pack !== t.pack) change = 'replaced';
    else if (before.version !== t.version)
      change = compareSemver(t.version, before.version) > 0 ? 'upgraded' : 'downgraded';
    else if (values.length > 0 || enabled.length > 0 || disabled.length > 0) change = 'values';
    else change = 'unchanged';
    const plan = layerPlan(
      t,
      change,
      before.version,
      t.version,
      values,
      enabled,
      disabled,
      overridden.has(t.pack),
      conflicts,
    );
    if (before.pack !== t.pack) plan.replaces = before.pack;
    plans.push(plan);
  }
  for (const c of input.currentStack) {
    if (target.has(c.pack) || replacedBy.has(c.pack)) continue;
    plans.push(layerPlan(c, 'removed', c.version, null, [], [], c.presets, false, []));
  }
  return plans;
}

function layerPlan(
  l: ResolvedLayer,
  change: LayerPlan['change'],
  fromVersion: string | null,
  toVersion: string | null,
  values: LayerPlan['values'],
  enabled: string[],
  disabled: string[],
  overridden: boolean,
  conflicts: MergeConflict[],
): LayerPlan {
  return {
    pack: l.pack,
    layer: l.layer,
    profile: l.profile,
    change,
    fromVersion,
    toVersion,
    values,
    presets: { enabled, disabled },
    overridden,
    conflicts,
  };
}

function planObjects(input: PlanInput): ObjectsPlan {
  const desired = input.desired;
  const applied = new Map(input.inventory.map((e) => [refKey(e), e]));
  const targetPacks = new Set(input.targetStack.map((l) => l.pack));
  const create: ObjectRef[] = [];
  const change: ObjectsPlan['change'] = [];
  const before = new Map((input.current ?? []).map((d) => [d.key, d]));
  let unchanged = 0;
  const wanted = new Set<string>();
  for (const d of desired) {
    wanted.add(d.key);
    const entry = applied.get(d.key);
    if (!entry) create.push(d.ref);
    else if (entry.hash !== d.hash || entry.unused || entry.pack !== d.pack) {
      const was = before.get(d.key);
      // The field paths are known when what the cluster runs renders to what was applied.
      change.push(
        was && was.hash === entry.hash ? { ...d.ref, paths: changedFieldPaths(was.object, d.object) } : d.ref,
      );
    } else unchanged += 1;
  }
  const unused: ObjectRef[] = [];
  const remove: ObjectRef[] = [];
  for (const [key, entry] of applied) {
    if (wanted.has(key)) continue;
    const ref = {
      apiVersion: entry.apiVersion,
      kind: entry.kind,
      namespace: entry.namespace,
      name: entry.name,
    };
    if (targetPacks.has(entry.pack)) unused.push(ref);
    else remove.push(ref);
  }
  return { create, change, unchanged, unused, delete: remove };
}
