/**
 * Kubernetes version changes: never down, never across distributions, one minor at a time — a skipped
 * minor is refused, or planned as a chain of single-minor steps when the user asks for it.
 */
import semver from 'semver';
import type { Catalog } from './catalog.ts';
import type { K8sDistribution, Pack } from './model.ts';
import type { KubernetesUpgrade, PlanErrorCode, PlanIssue, PlanWarningCode } from './plan-types.ts';

export type { KubernetesUpgrade };

/** Result of checking a Kubernetes change: the upgrade (null when nothing changes) and any rule violations. */
export interface KubernetesUpgradeCheck {
  upgrade: KubernetesUpgrade | null;
  errors: PlanIssue<PlanErrorCode>[];
  warnings: PlanIssue<PlanWarningCode>[];
}

/**
 * Returns the upgrade path from one Kubernetes pack to another and the rule violations on the way:
 * `K8sDistributionChange`, `K8sDowngradeNotSupported`, `K8sMultiMinorUpgrade` (unless `chain`).
 */
export function checkKubernetesUpgrade(
  from: Pack,
  to: Pack,
  catalog: Catalog,
  chain: boolean,
): KubernetesUpgradeCheck {
  const errors: PlanIssue<PlanErrorCode>[] = [];
  const warnings: PlanIssue<PlanWarningCode>[] = [];
  const fromDist = from.distribution ?? 'pxk';
  const toDist = to.distribution ?? 'pxk';
  const details = {
    currentVersion: from.version,
    targetVersion: to.version,
    currentPack: from.name,
    targetPack: to.name,
  };
  if (fromDist !== toDist) {
    errors.push({
      code: 'K8sDistributionChange',
      message: `Changing the Kubernetes distribution from ${fromDist} to ${toDist} is not supported; create a new cluster instead.`,
      details: { ...details, currentDistribution: fromDist, targetDistribution: toDist },
    });
    return { upgrade: null, errors, warnings };
  }
  const order = semver.compare(to.version, from.version);
  if (order === 0) return { upgrade: null, errors, warnings };
  if (order < 0) {
    errors.push({
      code: 'K8sDowngradeNotSupported',
      message: `Kubernetes cannot be downgraded (${from.version} → ${to.version}); a cluster only moves forward.`,
      details,
    });
    return { upgrade: null, errors, warnings };
  }
  const a = semver.parse(from.version)!;
  const b = semver.parse(to.version)!;
  const base: KubernetesUpgrade = {
    distribution: toDist,
    fromPack: from.name,
    toPack: to.name,
    from: from.version,
    to: to.version,
    steps: [to.version],
  };
  if (a.major !== b.major) {
    errors.push({
      code: 'K8sMultiMinorUpgrade',
      message: `Kubernetes ${from.version} → ${to.version} crosses a major version; no supported upgrade path.`,
      details,
    });
    return { upgrade: base, errors, warnings };
  }
  if (b.minor - a.minor <= 1) return { upgrade: base, errors, warnings };

  const skipped: number[] = [];
  for (let m = a.minor + 1; m < b.minor; m += 1) skipped.push(m);
  const intermediate = skipped.map((minor) => latestPatch(catalog, to.name, toDist, a.major, minor));
  const missing = skipped.filter((_, i) => intermediate[i] === undefined).map((m) => `${a.major}.${m}`);
  if (!chain) {
    errors.push({
      code: 'K8sMultiMinorUpgrade',
      message: `Kubernetes ${from.version} → ${to.version} skips ${skipped.map((m) => `${a.major}.${m}`).join(', ')}; upgrade one minor at a time, or pass --chain to let Strata upgrade step by step.`,
      details: { ...details, skippedMinors: skipped.map((m) => `${a.major}.${m}`), hint: 'chain' },
    });
    return { upgrade: base, errors, warnings };
  }
  if (missing.length > 0) {
    errors.push({
      code: 'K8sMultiMinorUpgrade',
      message: `A chained upgrade ${from.version} → ${to.version} needs a ${to.name} pack for ${missing.join(', ')}, which the catalog lacks.`,
      details: { ...details, missingMinors: missing },
    });
    return { upgrade: base, errors, warnings };
  }
  const steps = [...(intermediate as string[]), to.version];
  warnings.push({
    code: 'K8sChainedUpgrade',
    message: `Kubernetes will be upgraded in ${steps.length} steps (${[from.version, ...steps].join(' → ')}), each healthy before the next.`,
    details: { ...details, steps },
  });
  return { upgrade: { ...base, steps }, errors, warnings };
}

/** Returns the highest version of a k8s pack (same name and distribution) within one minor, if any. */
function latestPatch(
  catalog: Catalog,
  packName: string,
  distribution: K8sDistribution,
  major: number,
  minor: number,
): string | undefined {
  const candidates = catalog.versions(packName).filter((v) => {
    const p = semver.parse(v);
    if (!p || p.major !== major || p.minor !== minor || p.prerelease.length > 0) return false;
    return (catalog.get(packName, v)?.distribution ?? 'pxk') === distribution;
  });
  return candidates.at(-1);
}
