/**
 * The rollout commands: start (the rollout and its members stored in one transaction, waiting clusters marked,
 * the driver queued), reads, pause, resume and cancel. What a rollout would do is `rollout.ts` (the fleet scan);
 * the driver that moves it is `rollout-driver.ts`.
 */
import { randomIds } from '../../core/clock.ts';
import { StrataError } from '../../core/errors.ts';
import { waveOf } from '../../core/rollout.ts';
import type { AuditContext } from '../../store/audit.ts';
import {
  getRollout,
  insertRollout,
  insertRolloutMembers,
  listRolloutMembers,
  listRollouts,
  lockRollout,
  type NewRolloutMember,
  type StoredRollout,
  setRolloutCondition,
  updateRollout,
} from '../../store/rollouts.ts';
import type { RolloutState } from '../../store/schema.ts';
import type { RolloutCommands, RolloutInput } from '../contract.ts';
import {
  ACTIVE_ROLLOUT_STATES,
  PAGE,
  type RolloutPublish,
  type RolloutScan,
  rolloutView,
  scanFleet,
  settingsOf,
} from '../rollout.ts';
import { queueRolloutDriver } from '../work.ts';
import { type CommandDeps, commitIntent, type Trx } from './intent.ts';

/** The message a waiting cluster shows for its wave. */
export function waitingMessage(id: string, wave: number, waves: number): string {
  return `Rollout ${id}: waiting for wave ${wave} of ${waves}.`;
}

/** Returns the refusal of a rollout in a state the action does not apply to. */
function notActive(rollout: StoredRollout, action: string): StrataError {
  return new StrataError(
    'RolloutNotActive',
    `Rollout ${rollout.id} is ${rollout.state}; it cannot be ${action}.`,
    {
      id: rollout.id,
      state: rollout.state,
      action,
    },
  );
}

/** Refuses a rollout that would find no cluster to move: none matching, every plan failing, or all at the target. */
function refuseEmpty(input: RolloutInput, scan: RolloutScan): void {
  const { preview } = scan;
  const what = `${input.from} → ${preview.to.profile}@${preview.to.version} (revision ${preview.to.revision})`;
  if (preview.totals.matched === 0) {
    throw new StrataError(
      'NotFound',
      `No cluster runs ${input.from}${input.selector ? ` with labels ${input.selector}` : ''}; nothing to roll out.`,
      { field: 'from' },
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
    throw new StrataError('Conflict', `Every matching cluster already runs ${what}; nothing to roll out.`, {
      unchanged: preview.totals.unchanged,
    });
  }
}

/** Refuses a second active rollout off the same profile version (the rows locked until the transaction ends). */
async function refuseConcurrent(trx: Trx, input: RolloutInput, scan: RolloutScan): Promise<void> {
  const active = await trx
    .selectFrom('rollouts')
    .select(['id', 'from_profile', 'from_version'])
    .where('state', 'in', [...ACTIVE_ROLLOUT_STATES])
    .where('from_profile', '=', scan.preview.from.profile)
    .where('from_version', '=', scan.preview.from.version)
    .forUpdate()
    .execute();
  if (active.length > 0) {
    throw new StrataError(
      'Conflict',
      `Rollout ${active[0]!.id} is still moving clusters off ${input.from}; pause it to the end or cancel it first.`,
      { rollout: active[0]!.id },
    );
  }
}

/** Builds the rollout commands; `publish` tells live listeners of each change. */
export function rolloutCommands(deps: CommandDeps, publish?: RolloutPublish): RolloutCommands {
  const { ctx, now } = deps;
  const db = ctx.store.db;

  async function requireRollout(id: string): Promise<StoredRollout> {
    const rollout = await getRollout(db, id);
    if (!rollout) throw new StrataError('NotFound', `Rollout ${id} not found.`, { id });
    return rollout;
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
    const updated = await commitIntent(deps, audit, async (trx) => {
      const rollout = await lockRollout(trx, id);
      if (!rollout) throw new StrataError('NotFound', `Rollout ${id} not found.`, { id });
      if (!from.includes(rollout.state)) throw notActive(rollout, past);
      const next = await updateRollout(trx, id, {
        state: to,
        ...(to === 'Cancelled' ? { finished: true, soakUntil: null } : {}),
      });
      if (to === 'Running') await queueRolloutDriver(trx, id, audit.actor);
      return {
        result: next,
        audit: [
          {
            action: `rollout.${action}`,
            targetKind: 'operation',
            target: id,
            before: { state: rollout.state },
            after: { state: to },
          },
        ],
        // A cancel wakes the worker only once the waiting clusters' conditions are cleared, below.
        wake: to !== 'Cancelled',
      };
    });
    if (to === 'Cancelled') {
      await clearWaitingConditions(id);
      deps.hooks.wake();
    }
    publish?.(updated);
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

  /** Stores a started rollout: its row, its members, the waiting condition of later waves; queues its driver. */
  async function storeRollout(
    audit: AuditContext,
    input: RolloutInput,
    scan: RolloutScan,
  ): Promise<StoredRollout> {
    const settings = settingsOf(input);
    const { preview } = scan;
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
    return commitIntent(deps, audit, async (trx) => {
      await refuseConcurrent(trx, input, scan);
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
      await queueRolloutDriver(trx, id, audit.actor);
      return {
        result: rollout,
        audit: [
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
        ],
        wake: true,
      };
    });
  }

  return {
    async preview(input) {
      return (await scanFleet(ctx, input)).preview;
    },

    async start(audit, input) {
      settingsOf(input);
      const scan = await scanFleet(ctx, input);
      refuseEmpty(input, scan);
      const stored = await storeRollout(audit, input, scan);
      publish?.(stored);
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
