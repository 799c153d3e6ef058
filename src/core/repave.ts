/**
 * Repave classification: which changes replace nodes, and in which pools. OS changes and Kubernetes
 * version changes replace every pool; Kubernetes values do so only on the pack's node-impact paths; a
 * machine-shape change replaces that pool; everything else (CNI, CSI, add-ons, node counts) does not.
 */
import type { Catalog } from './catalog.ts';
import type { NodePoolSpec, RepaveReason, ResolvedLayer } from './model.ts';
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

function summarisePaths(paths: string[]): string {
  return paths.length <= 3
    ? paths.join(', ')
    : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
}
