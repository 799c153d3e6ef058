/**
 * Fleet rollouts, the preview: the fleet scanned for the clusters a rollout moves (waves and the aggregate plan,
 * changing nothing), and the view of a stored rollout. The commands (start, pause, resume, cancel) are
 * commands/rollouts.ts; the driver is `rollout-driver.ts`. Plans are computed once per distinct cluster
 * configuration (profile revisions, overrides, pools, phase) through the shared `ProposalCache`, never once per
 * cluster.
 */
import { createHash } from 'node:crypto';
import { isStrataError, StrataError } from '../core/errors.ts';
import { summarizePlan } from '../core/plan-summary.ts';
import type { Plan } from '../core/plan-types.ts';
import { parseProfileRef } from '../core/profile.ts';
import {
  attachesTarget,
  matchesSelector,
  parseSelector,
  ROLLOUT_DEFAULTS,
  type RolloutSource,
  rolloutProfileRefs,
  waveSizes,
} from '../core/rollout.ts';
import { listClusters, type StoredCluster } from '../store/clusters.ts';
import { listInventory } from '../store/inventory.ts';
import {
  countRolloutMembers,
  listRolloutMembers,
  type RolloutMemberState,
  type StoredRollout,
} from '../store/rollouts.ts';
import type { RolloutState } from '../store/schema.ts';
import { proposeFor } from './change-plan.ts';
import type { EngineContext } from './context.ts';
import type {
  ClusterChangeInput,
  RolloutInput,
  RolloutPreview,
  RolloutPreviewPlan,
  RolloutView,
} from './contract.ts';

/** Returns the change a rollout makes to a cluster (core's `rolloutProfileRefs`), or null when it runs no `from`. */
export function rolloutChange(
  spec: StoredCluster['spec'],
  from: RolloutSource,
  to: RolloutSource,
): ClusterChangeInput | null {
  const profiles = rolloutProfileRefs(spec, from, to);
  return profiles ? { kind: 'profiles', profiles } : null;
}

/** States in which a rollout still moves (or may move again). */
export const ACTIVE_ROLLOUT_STATES: readonly RolloutState[] = ['Running', 'Soaking', 'Paused'];

/** A live notification of a rollout change (the API bus's `rollout.changed`). */
export type RolloutPublish = (rollout: StoredRollout) => void;

/** How many clusters or members are read a page at a time. */
export const PAGE = 1000;
const SAMPLE = 20;
const SKIPPED_LISTED = 100;

/** The outcome of scanning the fleet for a rollout. */
export interface RolloutScan {
  preview: RolloutPreview;
  /** Eligible clusters by name: the waves, in order. */
  eligible: string[];
  /** Every skipped cluster with its error. */
  skipped: Array<{ cluster: string; code: string; message: string }>;
}

interface PlanGroup extends RolloutPreviewPlan {
  applicable: boolean;
  /** Equal for configurations whose plans make the same change (see `diffKey`). */
  diffKey: string;
}

/**
 * Returns a key equal for plans that make the same change: the layers' version, preset and value changes and
 * conflicts, the objects created, changed (with their fields), left unused or deleted, the repave and the
 * Kubernetes upgrade, the errors and warnings. Clusters whose configurations differ only where the change does
 * not reach (an override it keeps, a label) share one line of the preview.
 */
function diffKey(plan: Plan): string {
  // Whether a layer carries an override is said per cluster; what the change does to the layer is compared.
  const layers = plan.layers.map(({ profile: _p, overridden: _o, ...layer }) => layer);
  const { unchanged: _u, ...objects } = plan.objects;
  return createHash('sha256')
    .update(
      JSON.stringify([
        layers,
        objects,
        plan.repave,
        plan.kubernetes,
        plan.errors.map((e) => [e.code, e.message]),
        plan.warnings.map((w) => [w.code, w.message]),
        plan.applicable,
        plan.changed,
      ]),
    )
    .digest('base64url');
}

/** Returns the settings of a rollout input with defaults, validated. */
export function settingsOf(input: RolloutInput) {
  const settings = {
    canary: input.canary ?? ROLLOUT_DEFAULTS.canary,
    growth: input.growth ?? ROLLOUT_DEFAULTS.growth,
    soakSeconds: input.soakSeconds ?? ROLLOUT_DEFAULTS.soakSeconds,
    progressDeadlineSeconds: input.progressDeadlineSeconds ?? ROLLOUT_DEFAULTS.progressDeadlineSeconds,
    maxFailures: input.maxFailures ?? ROLLOUT_DEFAULTS.maxFailures,
  };
  for (const [field, value, min] of [
    ['canary', settings.canary, 1],
    ['growth', settings.growth, 1],
    ['soakSeconds', settings.soakSeconds, 0],
    ['progressDeadlineSeconds', settings.progressDeadlineSeconds, 1],
    ['maxFailures', settings.maxFailures, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new StrataError('ValidationFailed', `${field} must be a whole number of at least ${min}.`, {
        field,
        value,
      });
    }
  }
  return settings;
}

/** Returns a key equal for clusters whose plan must be equal: the spec without name and labels, and the phase. */
function configKey(cluster: StoredCluster): string {
  const { name: _n, labels: _l, ...rest } = cluster.spec;
  return createHash('sha256').update(JSON.stringify(rest)).update(cluster.status.phase).digest('base64url');
}

/**
 * Pages through the clusters on `from` (by index), groups them by configuration, plans each group once and
 * returns the preview with the eligible (in name order) and skipped clusters.
 */
export async function scanFleet(ctx: EngineContext, input: RolloutInput): Promise<RolloutScan> {
  const settings = settingsOf(input);
  const from = parseProfileRef(input.from, 'from');
  const toRef = parseProfileRef(input.to, 'to');
  const selector = parseSelector(input.selector);
  ctx.profiles.invalidate(toRef.name, toRef.version);
  const target = await ctx.profiles.latest(toRef.name, toRef.version, 'to');
  await ctx.profiles.latest(from.name, from.version, 'from');
  const to = { profile: target.name, version: target.version, revision: target.revision };
  const groups = new Map<string, PlanGroup>();
  const eligible: string[] = [];
  const skipped: RolloutScan['skipped'] = [];
  let matched = 0;
  let unchanged = 0;
  let repave = 0;
  let cursor: string | null = null;
  do {
    const page = await listClusters(ctx.store.db, {
      profile: { name: from.name, version: from.version },
      limit: PAGE,
      cursor,
    });
    cursor = page.nextCursor;
    for (const cluster of page.items) {
      const phase = cluster.status.phase;
      if (phase === 'Deleting' || phase === 'Deleted') continue;
      if (!matchesSelector(cluster.spec.labels ?? {}, selector)) continue;
      matched += 1;
      if (attachesTarget(cluster.spec.profiles, to)) {
        unchanged += 1;
        continue;
      }
      const key = configKey(cluster);
      let group = groups.get(key);
      if (!group) {
        group = await planGroup(ctx, cluster, { from: { profile: from.name, version: from.version }, to });
        groups.set(key, group);
      }
      group.clusters += 1;
      if (!group.applicable) {
        const first = group.errors[0] ?? { code: 'PlanHasErrors', message: 'The plan cannot be applied.' };
        skipped.push({ cluster: cluster.name, code: first.code, message: first.message });
      } else if (!group.changed) {
        unchanged += 1;
      } else {
        eligible.push(cluster.name);
        if (group.repave) repave += 1;
      }
    }
  } while (cursor);
  const sizes = waveSizes(eligible.length, settings.canary, settings.growth);
  let start = 0;
  const waves = sizes.map((size, i) => {
    const wave = { wave: i + 1, size, clusters: eligible.slice(start, start + Math.min(size, SAMPLE)) };
    start += size;
    return wave;
  });
  // Configurations whose plans make the same change are one line: what a reviewer reads is the change.
  const byDiff = new Map<string, RolloutPreviewPlan>();
  for (const { applicable: _a, diffKey: key, ...plan } of groups.values()) {
    const same = byDiff.get(key);
    if (same === undefined) byDiff.set(key, { ...plan });
    else {
      same.clusters += plan.clusters;
      same.configurations += plan.configurations;
    }
  }
  const plans = [...byDiff.values()].sort((a, b) => b.clusters - a.clusters);
  return {
    eligible,
    skipped,
    preview: {
      from: { profile: from.name, version: from.version },
      to,
      selector,
      totals: { matched, eligible: eligible.length, skipped: skipped.length, unchanged, repave },
      waves,
      plans,
      skipped: skipped.slice(0, SKIPPED_LISTED),
    },
  };
}

/** Plans the rollout's change once for a representative cluster of a configuration group. */
async function planGroup(
  ctx: EngineContext,
  cluster: StoredCluster,
  rollout: { from: { profile: string; version: string }; to: { profile: string; version: string } },
): Promise<PlanGroup> {
  const base = {
    clusters: 0,
    configurations: 1,
    example: cluster.name,
    warnings: [] as RolloutPreviewPlan['warnings'],
  };
  try {
    const change = rolloutChange(cluster.spec, rollout.from, rollout.to);
    if (change?.kind !== 'profiles') throw new StrataError('Internal', 'No change to plan.');
    // Planned as the user's own change of the cluster would be (the same request, cache and checks).
    const inventory = await listInventory(ctx.store.db, cluster.name);
    const { plan } = (await proposeFor(ctx, cluster, inventory, change)).proposal;
    return {
      ...base,
      diffKey: diffKey(plan),
      applicable: plan.applicable,
      changed: plan.changed,
      repave: plan.repave.required,
      summary: summarizePlan(plan),
      errors: plan.errors.map((e) => ({ code: e.code, message: e.message })),
      warnings: plan.warnings.map((w) => ({ code: w.code, message: w.message })),
    };
  } catch (error) {
    if (!isStrataError(error)) throw error;
    return {
      ...base,
      applicable: false,
      changed: false,
      repave: false,
      summary: 'cannot be planned',
      errors: [{ code: error.code, message: error.message }],
      diffKey: `error:${error.code}:${error.message}`,
    };
  }
}

/** Returns the API view of a rollout: wave counts and a page of members. */
export async function rolloutView(
  ctx: EngineContext,
  rollout: StoredRollout,
  query: { wave?: number; state?: RolloutMemberState; limit?: number; cursor?: string | null } = {},
): Promise<RolloutView> {
  const counted = await countRolloutMembers(ctx.store.db, rollout.id);
  const counts: RolloutView['counts'] = {};
  for (const w of counted)
    for (const [state, n] of Object.entries(w.counts))
      counts[state as RolloutMemberState] = (counts[state as RolloutMemberState] ?? 0) + n;
  const waves = rollout.waveSizes.map((size, i) => ({
    wave: i + 1,
    size,
    counts: counted.find((w) => w.wave === i + 1)?.counts ?? {},
  }));
  const members = await listRolloutMembers(ctx.store.db, rollout.id, {
    ...(query.wave === undefined ? {} : { wave: query.wave }),
    ...(query.state === undefined ? {} : { states: [query.state] }),
    limit: query.limit ?? 50,
    cursor: query.cursor ?? null,
  });
  return { ...rollout, waves, counts, members };
}
