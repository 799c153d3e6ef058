/**
 * Validation of what users send about clusters — names, profile references, pools, settings — into the model,
 * each failure a `StrataError` naming the field.
 */
import { StrataError } from '../core/errors.ts';
import type { ClusterSettings, NodePoolSpec, ProfileVersion } from '../core/model.ts';
import { requireDnsLabel } from '../core/names.ts';
import { parseProfileRef } from '../core/profile.ts';
import type { EngineContext } from './context.ts';

/** Settings of a new cluster: manual repave approval, no automatic prune, self-heal on. */
export const DEFAULT_SETTINGS: ClusterSettings = { repave: 'manual', prune: false, selfHeal: true };

/** Returns the default pools: `control-plane` (1, 3 or 5 nodes) and `workers` (when `workers` > 0), expand-first. */
export function defaultPools(controlPlane: number, workers: number): NodePoolSpec[] {
  const pools: NodePoolSpec[] = [
    {
      name: 'control-plane',
      role: 'control-plane',
      count: controlPlane,
      machine: { instanceType: 'm5.large', diskGiB: 60 },
      strategy: { type: 'expand-first' },
      pauseSeconds: 0,
    },
  ];
  if (workers > 0) {
    pools.push({
      name: 'workers',
      role: 'worker',
      count: workers,
      machine: { instanceType: 'm5.xlarge', diskGiB: 100 },
      strategy: { type: 'expand-first' },
      pauseSeconds: 0,
    });
  }
  return pools;
}

function invalid(field: string, message: string, details: Record<string, unknown> = {}): StrataError {
  return new StrataError('ValidationFailed', message, { field, ...details });
}

/** Checks a cluster's pools: unique DNS names, one control-plane pool of 1, 3 or 5 nodes, sane counts and strategies. */
export function validatePools(pools: readonly NodePoolSpec[], field = 'pools'): void {
  const names = new Set<string>();
  pools.forEach((pool, i) => {
    const at = `${field}[${i}]`;
    requireDnsLabel(pool.name, `${at}.name`);
    if (names.has(pool.name))
      throw invalid(`${at}.name`, `Pool name ${pool.name} is used twice; pool names are unique.`);
    names.add(pool.name);
    if (pool.role !== 'control-plane' && pool.role !== 'worker') {
      throw invalid(
        `${at}.role`,
        `${at}.role must be control-plane or worker; got ${JSON.stringify(pool.role)}.`,
      );
    }
    if (!Number.isInteger(pool.count) || pool.count < 0 || pool.count > 1000) {
      throw invalid(`${at}.count`, `${at}.count must be a whole number from 0 to 1000; got ${pool.count}.`);
    }
    if (pool.role === 'control-plane' && ![1, 3, 5].includes(pool.count)) {
      throw invalid(
        `${at}.count`,
        `A control-plane pool has 1, 3 or 5 nodes (an odd quorum); got ${pool.count}.`,
      );
    }
    if (!pool.machine?.instanceType || !(pool.machine.diskGiB > 0)) {
      throw invalid(`${at}.machine`, `${at}.machine needs an instanceType and a positive diskGiB.`);
    }
    if (pool.strategy?.type === 'custom') {
      const { maxSurge, maxUnavailable } = pool.strategy;
      if (!(maxSurge >= 0) || !(maxUnavailable >= 0) || maxSurge + maxUnavailable === 0) {
        throw invalid(
          `${at}.strategy`,
          `A custom strategy needs maxSurge and maxUnavailable ≥ 0, not both 0 (no node could be replaced).`,
        );
      }
    } else if (pool.strategy?.type !== 'expand-first' && pool.strategy?.type !== 'contract-first') {
      throw invalid(`${at}.strategy`, `${at}.strategy.type must be expand-first, contract-first or custom.`);
    }
    if (!(pool.pauseSeconds >= 0))
      throw invalid(`${at}.pauseSeconds`, `${at}.pauseSeconds must be 0 or more.`);
  });
  if (pools.length > 0 && pools.filter((p) => p.role === 'control-plane').length !== 1) {
    throw invalid(field, 'A cluster has exactly one control-plane pool.');
  }
}

/** Returns the profile versions (current revisions) a list of `NAME@VERSION` references names. */
export async function resolveRefs(ctx: EngineContext, refs: readonly string[]): Promise<ProfileVersion[]> {
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
