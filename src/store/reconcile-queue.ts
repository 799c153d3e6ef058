/**
 * Reconcile work on top of the queue (`queue.ts`): one long-lived operation per object ("reconcile cluster X",
 * deduplicated by key) whose single step is claimed, run, and then either completed or put back with a
 * `run_after` — how a level-based reconciler waits without a timer of its own. A request arriving while the step
 * runs marks it `again`, so the run that read the old state is followed by another one at once instead of
 * finishing or sleeping on stale news.
 */

import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { type IdSource, randomIds } from '../core/clock.ts';
import { isStrataError, StrataError } from '../core/errors.ts';
import { type EventInput, recordEvents } from './events.ts';
import {
  type ClaimedStep,
  completeBatch,
  DEFAULT_QUEUE,
  type EnqueueResult,
  enqueue,
  type OperationInput,
  stepKeys,
} from './queue.ts';
import type { Database, Executor } from './schema.ts';
import { withTransaction } from './transact.ts';

/**
 * What a reconcile step decided: finished (nothing left to do) or run again after a delay — with `payload` as its
 * next run's payload (e.g. where a paged walk goes on), else none.
 */
export type ReconcileOutcome = { kind: 'done' } | { kind: 'requeue'; afterMs: number; payload?: unknown };

/** What `finishReconcileStep` did. */
export type FinishResult = 'done' | 'requeued';

/**
 * Enqueues operations that carry a dedupe key; for those deduped onto an unfinished one, makes a waiting step due
 * now and marks a running one `again`. Returns each one's id and whether it was deduped.
 */
export async function enqueueOrExpedite(
  executor: Executor,
  items: readonly OperationInput[],
  ids: IdSource = randomIds,
): Promise<EnqueueResult[]> {
  return withTransaction(executor, async (trx) => {
    const results = await enqueue(trx, items, ids);
    // An item already queued runs now, and in the queue asked for: a user's change moves a cluster's periodic
    // resync (queued in the resync queue, claimed only when the engine has nothing else) to the front.
    const deduped = results.flatMap((r, i) =>
      r.deduped ? [{ id: r.id, queue: items[i]?.queue ?? DEFAULT_QUEUE }] : [],
    );
    if (deduped.length > 0) {
      const operationIds = deduped.map((d) => d.id);
      const queues = deduped.map((d) => d.queue);
      await sql`
        UPDATE steps AS s SET available_at = least(s.available_at, now()), queue = u.queue
        FROM unnest(${operationIds}::text[], ${queues}::text[]) AS u(id, queue)
        WHERE s.operation_id = u.id AND s.state = 'pending'
          AND (s.available_at > now() OR s.queue <> u.queue)`.execute(trx);
      await sql`
        UPDATE steps AS s SET payload = '{"again": true}'::jsonb, queue = u.queue
        FROM unnest(${operationIds}::text[], ${queues}::text[]) AS u(id, queue)
        WHERE s.operation_id = u.id AND s.state = 'running'`.execute(trx);
    }
    return results;
  });
}

/** One run of a reconcile step to end in a group (`finishReconcileSteps`). */
export interface FinishItem {
  step: ClaimedStep;
  outcome: ReconcileOutcome;
  /** The run's writes, inside the group's transaction. */
  effect?: (trx: Transaction<Database>) => Promise<void>;
  /**
   * Instead of `effect`: the run's writes as data, written with the other runs' by the group's `GroupEffect` (a
   * statement per kind of write for the whole group, not per run).
   */
  grouped?: unknown;
  /** Events of the run, recorded with the group's (one statement) unless the run is skipped. */
  events?: readonly EventInput[];
  /**
   * A `Conflict` from `effect` (the run read a status that moved) skips this run only — its events too — and puts
   * the step back due now, instead of failing the group. Only for effects that throw it before writing anything.
   */
  skipOnStale?: boolean;
}

/** How one run ended: completed, put back (`requeued`; `stale` when its writes were skipped), or `lost` lease. */
export type FinishItemResult = FinishResult | 'stale' | 'lost';

/**
 * Writes the `grouped` data of the group's runs (those that kept their lease) in its transaction; returns the
 * indexes (into `grouped`) of the runs that read a status that moved: they wrote nothing and are skipped as
 * `stale`.
 */
export type GroupEffect = (trx: Transaction<Database>, grouped: readonly unknown[]) => Promise<Set<number>>;

/**
 * Ends several runs of reconcile steps in one transaction — one lease check, one completion and one requeue
 * statement for all of them — each with its `effect`, fenced by its step's lease: a run whose lease is no longer
 * ours (`lost`) writes nothing. A run's step completes (`done`), or goes back to pending after `afterMs` with its
 * attempt count reset (waiting is not failing); a step marked `again` while it ran is put back due now. Any
 * other error rolls the whole group back.
 */
export async function finishReconcileSteps(
  executor: Executor,
  items: readonly FinishItem[],
  groupEffect?: GroupEffect,
): Promise<FinishItemResult[]> {
  if (items.length === 0) return [];
  return withTransaction(executor, async (trx) => {
    const k = stepKeys(items.map((i) => i.step));
    const held = await sql<{ operation_id: string; seq: number; payload: unknown }>`
      SELECT s.operation_id, s.seq, s.payload FROM steps AS s
      JOIN unnest(${k.ops}::text[], ${k.seqs}::int[], ${k.owners}::text[], ${k.attempts}::int[])
        AS u(op, seq, owner, attempt)
        ON s.operation_id = u.op AND s.seq = u.seq AND s.lease_owner = u.owner AND s.attempts = u.attempt
      WHERE s.state = 'running' AND s.available_at > now()
      ORDER BY s.operation_id, s.seq
      FOR UPDATE OF s`.execute(trx);
    const payloads = new Map(held.rows.map((r) => [`${r.operation_id}#${r.seq}`, r.payload]));
    const results: FinishItemResult[] = new Array(items.length);
    const done: ClaimedStep[] = [];
    const requeue: { step: ClaimedStep; delayMs: number; payload?: unknown }[] = [];
    const events: EventInput[] = [];
    /** Ends a run whose writes are in: done, or back to pending after its wait. */
    const end = (index: number, item: FinishItem, key: string) => {
      const { step, outcome } = item;
      if (item.events) events.push(...item.events);
      const again = (payloads.get(key) as { again?: boolean } | null)?.again === true;
      if (outcome.kind === 'done' && !again) {
        done.push(step);
        results[index] = 'done';
      } else {
        const delayMs = again || outcome.kind === 'done' ? 0 : Math.max(0, Math.round(outcome.afterMs));
        requeue.push({ step, delayMs, ...(outcome.kind === 'requeue' ? { payload: outcome.payload } : {}) });
        results[index] = 'requeued';
      }
    };
    const skipStale = (index: number, item: FinishItem) => {
      requeue.push({ step: item.step, delayMs: 0 });
      results[index] = 'stale';
    };
    const grouped: Array<{ index: number; item: FinishItem; key: string }> = [];
    for (const [index, item] of items.entries()) {
      const { step } = item;
      const key = `${step.operationId}#${step.seq}`;
      if (!payloads.has(key)) {
        results[index] = 'lost';
        continue;
      }
      if (item.grouped !== undefined && groupEffect) {
        grouped.push({ index, item, key });
        continue;
      }
      try {
        await item.effect?.(trx);
      } catch (error) {
        if (!(item.skipOnStale && isStrataError(error) && error.code === 'Conflict')) throw error;
        skipStale(index, item);
        continue;
      }
      end(index, item, key);
    }
    if (grouped.length > 0 && groupEffect) {
      const stale = await groupEffect(
        trx,
        grouped.map((g) => g.item.grouped),
      );
      for (const [i, { index, item, key }] of grouped.entries()) {
        if (!stale.has(i)) end(index, item, key);
        else if (item.skipOnStale) skipStale(index, item);
        else
          throw new StrataError(
            'Conflict',
            `Step ${item.step.seq} of operation ${item.step.operationId} read a status that moved.`,
            {},
          );
      }
    }
    await recordEvents(trx, events);
    if (done.length > 0) {
      const { lost } = await completeBatch(trx, done);
      if (lost.length > 0) throw new StrataError('Conflict', 'A step lost its lease while locked.', {});
    }
    if (requeue.length > 0) {
      await sql`
        UPDATE steps AS s SET state = 'pending', lease_owner = NULL, attempts = 0, payload = u.payload::jsonb,
          last_error = NULL, available_at = now() + u.delay * interval '1 millisecond'
        FROM unnest(${requeue.map((r) => r.step.operationId)}::text[], ${requeue.map((r) => r.step.seq)}::int[],
          ${requeue.map((r) => r.delayMs)}::int[], ${requeue.map((r) => JSON.stringify(r.payload ?? null))}::text[])
          AS u(op, seq, delay, payload)
        WHERE s.operation_id = u.op AND s.seq = u.seq`.execute(trx);
    }
    return results;
  });
}

/**
 * Ends one run of a reconcile step in one transaction with `effect` (see `finishReconcileSteps`). `Conflict`
 * when the lease is no longer ours — then `effect` did not commit; any error of `effect` rolls it back.
 */
export async function finishReconcileStep(
  executor: Executor,
  step: ClaimedStep,
  outcome: ReconcileOutcome,
  effect?: (trx: Transaction<Database>) => Promise<void>,
): Promise<FinishResult> {
  const [result] = await finishReconcileSteps(executor, [{ step, outcome, ...(effect ? { effect } : {}) }]);
  if (result === 'lost') {
    throw new StrataError(
      'Conflict',
      `Step ${step.seq} of operation ${step.operationId} is no longer leased by ${step.leaseOwner}; another worker owns it now.`,
      { operationId: step.operationId, seq: step.seq, owner: step.leaseOwner },
    );
  }
  return result === 'done' ? 'done' : 'requeued';
}
