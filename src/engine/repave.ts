/**
 * The repave gate, the engine's side of core's `decideRepave`: it compares the nodes in force with those the
 * desired stack and pools call for, asks core what the repave does next — `Pending` (with the reasons core's
 * classifier gives, pack diff included) until a user approves it, `Approved` at once under `repave: auto-approve`,
 * `Reverted` when the change goes before approval — and carries it out: approval moves the templates in force to
 * the desired ones (one Kubernetes minor at a time for a chained upgrade) and the rolling replacement starts;
 * until then nothing on the nodes changes.
 */
import type { Catalog } from '../core/catalog.ts';
import { checkKubernetesUpgrade } from '../core/kubernetes-upgrade.ts';
import type { ClusterSpec, NodePoolSpec, RepaveState, ResolvedLayer } from '../core/model.ts';
import { jsonEqual } from '../core/objects.ts';
import { classifyRepave, decideRepave, type RepaveEvent } from '../core/repave.ts';
import type { NodesInForce } from './engine-state.ts';
import { nodeTemplateOf } from './node-template.ts';
import type { StepWrites } from './step-writes.ts';

/** Returns the nodes a stack and pools call for (templates per pool). */
export function nodesFor(
  stack: readonly ResolvedLayer[],
  pools: readonly NodePoolSpec[],
  catalog: Catalog,
): NodesInForce {
  return {
    layers: stack.filter((l) => l.layer === 'os' || l.layer === 'k8s'),
    pools: pools.map((p) => structuredClone(p)),
    templates: Object.fromEntries(pools.map((p) => [p.name, nodeTemplateOf(stack, p, catalog)])),
  };
}

/** Returns the pools whose template in force differs from the desired one (pools in both). */
export function poolsToRepave(inForce: NodesInForce, desired: NodesInForce): string[] {
  return Object.keys(desired.templates).filter(
    (p) => inForce.templates[p] !== undefined && inForce.templates[p]!.hash !== desired.templates[p]!.hash,
  );
}

/**
 * Returns the next infrastructure in force on the way to `desired`: the desired one, except that a Kubernetes
 * upgrade over several minors stops at the next minor first.
 */
export function nextInForce(
  inForce: NodesInForce,
  desiredStack: readonly ResolvedLayer[],
  pools: readonly NodePoolSpec[],
  catalog: Catalog,
): NodesInForce {
  const from = inForce.layers.find((l) => l.layer === 'k8s');
  const to = desiredStack.find((l) => l.layer === 'k8s');
  if (from && to && from.version !== to.version) {
    const check = checkKubernetesUpgrade(
      catalog.require(from.pack, from.version),
      catalog.require(to.pack, to.version),
      catalog,
      true,
    );
    const steps = check.upgrade?.steps ?? [];
    if (check.errors.length === 0 && steps.length > 1) {
      const stepStack = desiredStack.map((l) => (l.layer === 'k8s' ? { ...l, version: steps[0]! } : l));
      return nodesFor(stepStack, pools, catalog);
    }
  }
  return nodesFor(desiredStack, pools, catalog);
}

/** Input of `gateRepave`. */
export interface RepaveGateInput {
  spec: ClusterSpec;
  repave: RepaveState;
  inForce: NodesInForce;
  desiredStack: readonly ResolvedLayer[];
  catalog: Catalog;
  now: string;
  /** True when every pool's nodes match the templates in force (a started step is finished). */
  rolledOut: boolean;
}

/** The gate's decision: the repave state and infrastructure in force from now on. */
export interface RepaveGateResult {
  repave: RepaveState;
  inForce: NodesInForce;
  changed: boolean;
}

/**
 * Returns the repave state and the infrastructure in force after comparing it with the desired stack, recording
 * events for every transition (pending, reverted, approved/started, step, completed).
 */
export function gateRepave(input: RepaveGateInput, writes: StepWrites): RepaveGateResult {
  const { spec, catalog, now } = input;
  const desired = nodesFor(input.desiredStack, spec.pools, catalog);
  // New pools take the desired template at once (nothing to replace); removed pools leave; counts follow the spec.
  const inForce: NodesInForce = {
    layers: input.inForce.layers,
    pools: spec.pools.map((p) => {
      const old = input.inForce.pools.find((o) => o.name === p.name);
      return old ? { ...p, machine: old.machine } : structuredClone(p);
    }),
    templates: Object.fromEntries(
      spec.pools.map((p) => [p.name, input.inForce.templates[p.name] ?? desired.templates[p.name]!]),
    ),
  };
  const structural = !jsonEqual(inForce, input.inForce);
  const decision = decideRepave({
    repave: input.repave,
    pools: poolsToRepave(inForce, desired),
    reasons: () =>
      classifyRepave(
        {
          currentStack: inForce.layers,
          targetStack: input.desiredStack,
          currentPools: inForce.pools,
          targetPools: spec.pools,
        },
        catalog,
      ).reasons,
    autoApprove: spec.settings.repave === 'auto-approve',
    rolledOut: input.rolledOut,
    now,
  });
  const record = (e: RepaveEvent) => writes.event(e.type, e.reason, e.message, e.details);
  switch (decision.kind) {
    case 'sync': {
      // Keep the recorded layers in step with changes that do not touch nodes (e.g. non-node Kubernetes values).
      const layersChanged = !jsonEqual(inForce.layers, desired.layers);
      return {
        repave: decision.repave,
        inForce: layersChanged ? { ...inForce, layers: desired.layers } : inForce,
        changed: structural || layersChanged,
      };
    }
    case 'stay':
      return { repave: decision.repave, inForce, changed: structural };
    case 'settle':
      record(decision.event);
      return { repave: decision.repave, inForce: { ...inForce, layers: desired.layers }, changed: true };
    case 'hold':
      record(decision.event);
      return { repave: decision.repave, inForce, changed: true };
    case 'advance': {
      const next = nextInForce(inForce, input.desiredStack, spec.pools, catalog);
      record(decision.event(next.layers.find((l) => l.layer === 'k8s')?.version));
      return { repave: decision.repave, inForce: next, changed: true };
    }
  }
}
