/**
 * Repave classification: which changes replace nodes, and in which pools. OS changes and Kubernetes
 * version changes replace every pool; Kubernetes values do so only on the pack's node-impact paths; a
 * machine-shape change replaces that pool; everything else (CNI, CSI, add-ons, node counts) does not. And the
 * repave decision: what a change that replaces nodes waits for (approval) and how it moves to the end.
 */
import type { Catalog } from './catalog.ts';
import type { NodePoolSpec, RepaveReason, RepaveState, ResolvedLayer } from './model.ts';
import { jsonEqual } from './objects.ts';
import type { RepavePlan } from './plan-types.ts';
import { layerOfKind } from './stack.ts';
import { diffValues, pathStartsWith } from './values.ts';

/** Both sides of a change the classifier compares. */
export interface RepaveInput {
  currentStack: readonly ResolvedLayer[];
  targetStack: readonly ResolvedLayer[];
  currentPools: readonly NodePoolSpec[];
  targetPools: readonly NodePoolSpec[];
}

/** Returns the repave a change causes, with a reason per cause and pools ordered control plane first. */
export function classifyRepave(input: RepaveInput, catalog: Catalog): RepavePlan {
  const allPools = input.targetPools
    .filter((p) => input.currentPools.some((c) => c.name === p.name))
    .map((p) => p.name);
  const reasons: RepaveReason[] = [];

  const osFrom = layerOfKind(input.currentStack, 'os');
  const osTo = layerOfKind(input.targetStack, 'os');
  if (osFrom && osTo) {
    if (osFrom.pack !== osTo.pack || osFrom.version !== osTo.version) {
      reasons.push({
        code: 'OsPackChanged',
        message: `OS ${osFrom.pack}@${osFrom.version} → ${osTo.pack}@${osTo.version} replaces every node.`,
        pools: allPools,
        packDiff: { pack: osTo.pack, fromVersion: osFrom.version, toVersion: osTo.version, paths: [] },
      });
    } else {
      const paths = diffValues(osFrom.values, osTo.values).map((c) => c.path);
      if (paths.length > 0) {
        reasons.push({
          code: 'OsValuesChanged',
          message: `OS values changed (${summarisePaths(paths)}); every node is replaced.`,
          pools: allPools,
          packDiff: { pack: osTo.pack, fromVersion: osFrom.version, toVersion: osTo.version, paths },
        });
      }
    }
  }

  const k8sFrom = layerOfKind(input.currentStack, 'k8s');
  const k8sTo = layerOfKind(input.targetStack, 'k8s');
  if (k8sFrom && k8sTo) {
    if (k8sFrom.pack !== k8sTo.pack || k8sFrom.version !== k8sTo.version) {
      reasons.push({
        code: 'K8sVersionChanged',
        message: `Kubernetes ${k8sFrom.version} → ${k8sTo.version} replaces every node, control plane first.`,
        pools: allPools,
        packDiff: { pack: k8sTo.pack, fromVersion: k8sFrom.version, toVersion: k8sTo.version, paths: [] },
      });
    } else {
      const impact = catalog.get(k8sTo.pack, k8sTo.version)?.nodeImpactPaths ?? [];
      const paths = diffValues(k8sFrom.values, k8sTo.values)
        .map((c) => c.path)
        .filter((p) => impact.some((prefix) => pathStartsWith(p, prefix)));
      if (paths.length > 0) {
        reasons.push({
          code: 'K8sNodeValuesChanged',
          message: `Kubernetes node settings changed (${summarisePaths(paths)}); every node is replaced.`,
          pools: allPools,
          packDiff: { pack: k8sTo.pack, fromVersion: k8sFrom.version, toVersion: k8sTo.version, paths },
        });
      }
    }
  }

  for (const pool of input.targetPools) {
    const before = input.currentPools.find((p) => p.name === pool.name);
    if (!before) continue;
    const changed: string[] = [];
    if (before.machine.instanceType !== pool.machine.instanceType) changed.push('machine.instanceType');
    if (before.machine.diskGiB !== pool.machine.diskGiB) changed.push('machine.diskGiB');
    if (changed.length > 0) {
      reasons.push({
        code: 'MachineShapeChanged',
        message: `Pool ${pool.name}: machine shape changed (${changed.join(', ')}); its nodes are replaced.`,
        pools: [pool.name],
        packDiff: { pack: `pool/${pool.name}`, fromVersion: null, toVersion: null, paths: changed },
      });
    }
  }

  const affected = new Map<string, Set<RepaveReason['code']>>();
  for (const r of reasons) {
    for (const p of r.pools) {
      if (!affected.has(p)) affected.set(p, new Set());
      affected.get(p)!.add(r.code);
    }
  }
  const pools = input.targetPools
    .filter((p) => affected.has(p.name))
    .sort((a, b) => (a.role === b.role ? 0 : a.role === 'control-plane' ? -1 : 1))
    .map((p) => ({ name: p.name, role: p.role, reasons: [...affected.get(p.name)!] }));
  return { required: pools.length > 0, reasons, pools };
}

/** An event the repave gate records, as data: the engine writes it with the step. */
export interface RepaveEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What the repave gate knows when it decides. */
export interface RepaveFacts {
  repave: RepaveState;
  /** Pools whose nodes in force differ from those the desired configuration calls for. */
  pools: readonly string[];
  /** Why (the classification of in force → desired); asked only when `pools` is not empty. */
  reasons: () => RepaveReason[];
  /** The cluster's `repave: auto-approve` setting. */
  autoApprove: boolean;
  /** Every pool's nodes match the templates in force (a started step is finished). */
  rolledOut: boolean;
  now: string;
}

/**
 * The gate's decision, by what becomes of the nodes in force: `sync` (no node change wanted; only the recorded
 * layers follow the desired ones), `stay` (nothing moves), `settle` (the repave ends: reverted or completed),
 * `hold` (pending or approved, nodes unchanged), `advance` (nodes move to the next step; the event names the
 * Kubernetes version of that step).
 */
export type RepaveDecision =
  | { kind: 'sync' | 'stay'; repave: RepaveState }
  | { kind: 'settle' | 'hold'; repave: RepaveState; event: RepaveEvent }
  | { kind: 'advance'; repave: RepaveState; event: (kubernetesVersion: string | undefined) => RepaveEvent };

/**
 * Returns the next repave state for a cluster: pending until approved (or approved at once under auto-approve),
 * reverted when the change goes away before approval, started on approval, stepped through a chained upgrade
 * without re-approval, completed once the nodes run it.
 */
export function decideRepave(facts: RepaveFacts): RepaveDecision {
  const { repave, pools, now } = facts;
  if (pools.length === 0) {
    if (repave.state === 'Pending') {
      return {
        kind: 'settle',
        repave: { state: 'Reverted', at: now },
        event: {
          type: 'Normal',
          reason: 'RepaveReverted',
          message: 'The change that needed a repave was reverted before approval; no node is replaced.',
        },
      };
    }
    if ((repave.state === 'InProgress' || repave.state === 'Approved') && facts.rolledOut) {
      return {
        kind: 'settle',
        repave: { state: 'None' },
        event: {
          type: 'Normal',
          reason: 'RepaveCompleted',
          message: 'Every node now runs the approved configuration.',
        },
      };
    }
    return { kind: 'sync', repave };
  }
  const reasons = facts.reasons();
  const summary = reasons.map((r) => r.message).join(' ');
  switch (repave.state) {
    case 'None':
    case 'Reverted':
      if (facts.autoApprove) {
        return {
          kind: 'hold',
          repave: { state: 'Approved', reasons, approvedAt: now, approvedBy: 'auto-approve' },
          event: {
            type: 'Normal',
            reason: 'RepaveApproved',
            message: `Repave auto-approved by the cluster's setting: ${summary}`,
            details: { reasons },
          },
        };
      }
      return {
        kind: 'hold',
        repave: { state: 'Pending', reasons, requestedAt: now },
        event: {
          type: 'Warning',
          reason: 'RepavePending',
          message: `Nodes of ${pools.join(', ')} must be replaced; waiting for approval. ${summary}`,
          details: { reasons, pools },
        },
      };
    case 'Pending':
      if (jsonEqual(repave.reasons, reasons)) return { kind: 'stay', repave };
      return {
        kind: 'hold',
        repave: { ...repave, reasons },
        event: {
          type: 'Warning',
          reason: 'RepavePending',
          message: `The pending repave changed: ${summary}`,
          details: { reasons, pools },
        },
      };
    case 'Approved':
      return {
        kind: 'advance',
        repave: { state: 'InProgress', reasons: repave.reasons, startedAt: now },
        event: (k8s) => ({
          type: 'Normal',
          reason: 'RepaveStarted',
          message: `Replacing nodes of ${pools.join(', ')}, control plane first${k8s ? ` (Kubernetes ${k8s})` : ''}.`,
          details: { reasons, pools },
        }),
      };
    case 'InProgress':
      if (!facts.rolledOut) return { kind: 'stay', repave };
      // One step of a chained upgrade (or an approved change) is done; move to the next one without re-approval.
      return {
        kind: 'advance',
        repave,
        event: (k8s) => ({
          type: 'Normal',
          reason: 'RepaveStepStarted',
          message: `Nodes run the previous step; continuing${k8s ? ` with Kubernetes ${k8s}` : ''}.`,
          details: { pools },
        }),
      };
  }
}

function summarisePaths(paths: string[]): string {
  return paths.length <= 3
    ? paths.join(', ')
    : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
}
