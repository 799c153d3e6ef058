/**
 * The pure rules of a fleet rollout: wave sizes (a canary, then growing waves) and the wave of each cluster,
 * label selectors, whether a cluster is at the rollout's target, and the profile references a rollout gives a
 * cluster (its attachment of the source version swapped for the target version).
 */
import { StrataError } from './errors.ts';
import type { AttachedProfile, ClusterSpec } from './model.ts';

/** Default wave policy: a canary of one cluster, then each wave four times the previous one. */
export const ROLLOUT_DEFAULTS = {
  canary: 1,
  growth: 4,
  soakSeconds: 300,
  progressDeadlineSeconds: 600,
  maxFailures: 0,
} as const;

/** A profile version a rollout moves clusters from. */
export interface RolloutSource {
  profile: string;
  version: string;
}

/** The profile version, at a revision, a rollout moves clusters to. */
export interface RolloutTarget extends RolloutSource {
  revision: number;
}

/** Returns the sizes of the waves for `total` clusters: `canary`, then ×`growth` each, the last one what is left. */
export function waveSizes(total: number, canary: number, growth: number): number[] {
  const sizes: number[] = [];
  let left = total;
  let next = Math.max(1, canary);
  while (left > 0) {
    const size = Math.min(left, next);
    sizes.push(size);
    left -= size;
    next = Math.min(Number.MAX_SAFE_INTEGER, next * Math.max(1, growth));
  }
  return sizes;
}

/** Returns the wave (1-based) of each position 0…total-1 for the given wave sizes. */
export function waveOf(sizes: readonly number[]): (index: number) => number {
  const ends: number[] = [];
  let end = 0;
  for (const s of sizes) {
    end += s;
    ends.push(end);
  }
  return (index) => {
    for (let w = 0; w < ends.length; w += 1) if (index < ends[w]!) return w + 1;
    return ends.length;
  };
}

/** Parses `k=v,k2=v2` into labels; `ValidationFailed` naming `selector` on a malformed pair. */
export function parseSelector(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return labels;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq <= 0 || !/^[A-Za-z0-9._/-]{1,253}$/.test(key) || !/^[A-Za-z0-9._-]{0,63}$/.test(value)) {
      throw new StrataError(
        'ValidationFailed',
        `selector must be label pairs k=v separated by commas; got ${JSON.stringify(part)}.`,
        { field: 'selector', value: text },
      );
    }
    labels[key] = value;
  }
  return labels;
}

/** True when a cluster's labels include every pair of the selector. */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/**
 * True when attached profiles include the target at (or past) its revision: a spec's, for a cluster that needs
 * no change, and the applied ones, for a cluster that passed a rollout's health gate.
 */
export function attachesTarget(profiles: readonly AttachedProfile[], to: RolloutTarget): boolean {
  return profiles.some((p) => p.name === to.profile && p.version === to.version && p.revision >= to.revision);
}

/**
 * Returns the profile references (`NAME@VERSION`) a rollout gives a cluster: its own with `from` replaced by
 * `to`, or null when the cluster does not run `from` (any more).
 */
export function rolloutProfileRefs(
  spec: ClusterSpec,
  from: RolloutSource,
  to: RolloutSource,
): string[] | null {
  if (!spec.profiles.some((p) => p.name === from.profile && p.version === from.version)) return null;
  return spec.profiles.map((p) =>
    p.name === from.profile && p.version === from.version
      ? `${to.profile}@${to.version}`
      : `${p.name}@${p.version}`,
  );
}
