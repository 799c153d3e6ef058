/**
 * Fleet rollouts, the commands: preview (waves and the aggregate plan, changing nothing), start (the rollout and
 * its members stored in one transaction, waiting clusters marked, the driver queued), reads, pause, resume and
 * cancel. Plans are computed once per distinct cluster configuration (profile revisions, overrides, pools,
 * phase) through the shared `ProposalCache`, never once per cluster. The driver is `rollout-driver.ts`.
 */
import { createHash } from 'node:crypto';
import { randomIds } from '../core/clock.ts';
import { isStrataError, StrataError } from '../core/errors.ts';
import type { ProfileVersion } from '../core/model.ts';
import type { Plan } from '../core/plan-types.ts';
import { parseProfileRef } from '../core/profile.ts';
import type { UpdateRequest } from '../core/workflows.ts';
import { type AuditContext, recordAudit } from '../store/audit.ts';
import { listClusters, type StoredCluster } from '../store/clusters.ts';
import { listInventory } from '../store/inventory.ts';
import {
  countRolloutMembers,
  getRollout,
  insertRollout,
  insertRolloutMembers,
  listRolloutMembers,
  listRollouts,
  lockRollout,
  type NewRolloutMember,
  type RolloutMemberState,
  type StoredRollout,
  setRolloutCondition,
  updateRollout,
} from '../store/rollouts.ts';
import type { RolloutState } from '../store/schema.ts';
import type { EngineContext } from './context.ts';
import type {
  RolloutCommands,
  RolloutInput,
  RolloutPreview,
  RolloutPreviewPlan,
  RolloutView,
} from './contract.ts';
import { summarizePlan } from './reconcile-cluster.ts';
import {
  atTarget,
  matchesSelector,
  parseSelector,
  ROLLOUT_DEFAULTS,
  rolloutChange,
  waveOf,
  waveSizes,
} from './rollout-plan.ts';
import { queueRolloutDriver } from './work.ts';

/** States in which a rollout still moves (or may move again). */
export const ACTIVE_ROLLOUT_STATES: readonly RolloutState[] = ['Running', 'Soaking', 'Paused'];

/** A live notification of a rollout change (the API bus's `rollout.changed`). */
export type RolloutPublish = (rollout: StoredRollout) => void;

const PAGE = 1000;
const SAMPLE = 20;
const SKIPPED_LISTED = 100;

/** The outcome of scanning the fleet for a rollout. */
interface RolloutScan {
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
function settingsOf(input: RolloutInput) {
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
async function scanFleet(ctx: EngineContext, input: RolloutInput): Promise<RolloutScan> {
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
      if (atTarget(cluster.spec, to)) {
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
    const target: ProfileVersion[] = await Promise.all(
      change.profiles.map((ref) => {
        const { name, version } = parseProfileRef(ref);
        return ctx.profiles.latest(name, version);
      }),
    );
    const request: UpdateRequest = { kind: 'profiles', target };
    const current = await ctx.profiles.all(cluster.spec.profiles);
    const inventory = await listInventory(ctx.store.db, cluster.name);
    const { plan } = await ctx.proposals.propose(
      { spec: cluster.spec, phase: cluster.status.phase, inventory },
      current,
      request,
      ctx.catalog,
    );
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

/** The message a waiting cluster shows for its wave. */
export function waitingMessage(id: string, wave: number, waves: number): string {
  return `Rollout ${id}: waiting for wave ${wave} of ${waves}.`;
}

/** Builds the rollout commands over the engine context. */
export function createRolloutCommands(
  ctx: EngineContext,
  hooks: { wake(): void; publish?: RolloutPublish },
): RolloutCommands {
  const db = ctx.store.db;
  const now = () => new Date(ctx.clock.now()).toISOString();

  async function requireRollout(id: string): Promise<StoredRollout> {
    const rollout = await getRollout(db, id);
    if (!rollout) throw new StrataError('NotFound', `Rollout ${id} not found.`, { id });
    return rollout;
  }

  function notActive(rollout: StoredRollout, action: string): StrataError {
    return new StrataError(
      'RolloutNotActive',
      `Rollout ${rollout.id} is ${rollout.state}; it cannot be ${action}.`,
      { id: rollout.id, state: rollout.state, action },
    );
  }

  /** Changes a rollout's state under its row lock if it is in one of `from`; writes the audit row. */
  async function transition(
    audit: AuditContext,
    id: string,
    action: 'pause' | 'resume' | 'cancel',
    from: readonly RolloutState[],
    to: RolloutState,
  ): Promise<StoredRollout> {
    const past = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' }[action];
    const updated = await ctx.store.transaction(async (trx) => {
      const rollout = await lockRollout(trx, id);
      if (!rollout) throw new StrataError('NotFound', `Rollout ${id} not found.`, { id });
      if (!from.includes(rollout.state)) throw notActive(rollout, past);
      const next = await updateRollout(trx, id, {
        state: to,
        ...(to === 'Cancelled' ? { finished: true, soakUntil: null } : {}),
      });
      await recordAudit(trx, audit, [
        {
          action: `rollout.${action}`,
          targetKind: 'operation',
          target: id,
          before: { state: rollout.state },
          after: { state: to },
        },
      ]);
      if (to === 'Running') await queueRolloutDriver(trx, id, audit.actor);
      return next;
    });
    if (to === 'Cancelled') await clearWaitingConditions(id);
    hooks.wake();
    hooks.publish?.(updated);
    return updated;
  }

  /** Removes the rollout's condition from its clusters that never moved (after a cancel), page by page. */
  async function clearWaitingConditions(id: string): Promise<void> {
    let cursor: string | null = null;
    do {
      const page = await listRolloutMembers(db, id, { states: ['waiting'], limit: PAGE, cursor });
      await setRolloutCondition(
        db,
        page.items.map((m) => m.cluster),
        null,
        now(),
      );
      cursor = page.nextCursor;
    } while (cursor);
  }

  return {
    async preview(input) {
      return (await scanFleet(ctx, input)).preview;
    },

    async start(audit, input) {
      const settings = settingsOf(input);
      const scan = await scanFleet(ctx, input);
      const { preview } = scan;
      const what = `${input.from} → ${preview.to.profile}@${preview.to.version} (revision ${preview.to.revision})`;
      if (preview.totals.matched === 0) {
        throw new StrataError(
          'NotFound',
          `No cluster runs ${input.from}${input.selector ? ` with labels ${input.selector}` : ''}; nothing to roll out.`,
          {
            field: 'from',
          },
        );
      }
      if (scan.eligible.length === 0) {
        const first = scan.skipped[0];
        if (first) {
          throw new StrataError(
            'PlanHasErrors',
            `Every matching cluster's plan has errors (${first.cluster}: ${first.message}); nothing to roll out.`,
            { skipped: preview.skipped },
          );
        }
        throw new StrataError(
          'Conflict',
          `Every matching cluster already runs ${what}; nothing to roll out.`,
          {
            unchanged: preview.totals.unchanged,
          },
        );
      }
      const sizes = preview.waves.map((w) => w.size);
      const id = randomIds.next('ro-');
      const waveAt = waveOf(sizes);
      const members: NewRolloutMember[] = [
        ...scan.eligible.map((cluster, i) => ({ cluster, wave: waveAt(i), state: 'waiting' as const })),
        ...scan.skipped.map((s) => ({
          cluster: s.cluster,
          wave: 0,
          state: 'skipped' as const,
          errorCode: s.code,
          message: s.message,
        })),
      ];
      const stored = await ctx.store.transaction(async (trx) => {
        const active = await trx
          .selectFrom('rollouts')
          .select(['id', 'from_profile', 'from_version'])
          .where('state', 'in', [...ACTIVE_ROLLOUT_STATES])
          .where('from_profile', '=', preview.from.profile)
          .where('from_version', '=', preview.from.version)
          .forUpdate()
          .execute();
        if (active.length > 0) {
          throw new StrataError(
            'Conflict',
            `Rollout ${active[0]!.id} is still moving clusters off ${input.from}; pause it to the end or cancel it first.`,
            { rollout: active[0]!.id },
          );
        }
        const rollout = await insertRollout(trx, {
          id,
          from: preview.from,
          to: preview.to,
          selector: preview.selector,
          ...settings,
          state: 'Running',
          waveCount: sizes.length,
          currentWave: 1,
          waveSizes: sizes,
          createdBy: audit.actor,
        });
        await insertRolloutMembers(trx, id, members);
        // Clusters of later waves say why they have not moved; the canary's wave starts at once.
        let offset = sizes[0] ?? 0;
        for (let w = 2; w <= sizes.length; w += 1) {
          const names = scan.eligible.slice(offset, offset + sizes[w - 1]!);
          offset += sizes[w - 1]!;
          await setRolloutCondition(
            trx,
            names,
            { status: 'True', reason: 'WaitingForWave', message: waitingMessage(id, w, sizes.length) },
            now(),
          );
        }
        await recordAudit(trx, audit, [
          {
            action: 'rollout.start',
            targetKind: 'operation',
            target: id,
            before: null,
            after: {
              from: input.from,
              to: `${preview.to.profile}@${preview.to.version}#${preview.to.revision}`,
              selector: preview.selector,
              waves: sizes,
              skipped: scan.skipped.length,
            },
          },
        ]);
        await queueRolloutDriver(trx, id, audit.actor);
        return rollout;
      });
      hooks.wake();
      hooks.publish?.(stored);
      return rolloutView(ctx, stored);
    },

    list(query) {
      return listRollouts(db, query);
    },

    async get(id, query = {}) {
      return rolloutView(ctx, await requireRollout(id), query);
    },

    async pause(audit, id) {
      return rolloutView(ctx, await transition(audit, id, 'pause', ['Running', 'Soaking'], 'Paused'));
    },

    async resume(audit, id) {
      return rolloutView(ctx, await transition(audit, id, 'resume', ['Paused'], 'Running'));
    },

    async cancel(audit, id) {
      return rolloutView(
        ctx,
        await transition(audit, id, 'cancel', ['Running', 'Soaking', 'Paused', 'Halted'], 'Cancelled'),
      );
    },
  };
}
