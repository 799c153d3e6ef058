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
import { StrataError } from '../core/errors.ts';
import {
  type ClaimedStep,
  completeBatch,
  type EnqueueResult,
  enqueue,
  type OperationInput,
} from './queue.ts';
import type { Database, Executor } from './schema.ts';
import { withTransaction } from './transact.ts';

/** What a reconcile step decided: finished (nothing left to do) or run again after a delay. */
export type ReconcileOutcome = { kind: 'done' } | { kind: 'requeue'; afterMs: number };

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
    const deduped = results.filter((r) => r.deduped).map((r) => r.id);
    if (deduped.length > 0) {
      await sql`
        UPDATE steps SET available_at = now()
        WHERE operation_id = ANY(${deduped}::text[]) AND state = 'pending' AND available_at > now()`.execute(
        trx,
      );
      await sql`
        UPDATE steps SET payload = '{"again": true}'::jsonb
        WHERE operation_id = ANY(${deduped}::text[]) AND state = 'running'`.execute(trx);
    }
    return results;
  });
}

/**
 * Ends one run of a reconcile step in one transaction with `effect`, fenced by the step's lease: completes it
 * (`done`), or puts it back as pending after `afterMs` with its attempt count reset (waiting is not failing).
 * A step marked `again` while it ran is put back due now instead. `Conflict` when the lease is no longer ours —
 * then `effect` did not commit.
 */
export async function finishReconcileStep(
  executor: Executor,
  step: ClaimedStep,
  outcome: ReconcileOutcome,
  effect: (trx: Transaction<Database>) => Promise<void> = async () => {},
): Promise<FinishResult> {
  return withTransaction(executor, async (trx) => {
    const row = await trx
      .selectFrom('steps')
      .select('payload')
      .where('operation_id', '=', step.operationId)
      .where('seq', '=', step.seq)
      .where('state', '=', 'running')
      .where('lease_owner', '=', step.leaseOwner)
      .where('attempts', '=', step.attempt)
      .where('available_at', '>', sql<Date>`now()`)
      .forUpdate()
      .executeTakeFirst();
    if (!row) {
      throw new StrataError(
        'Conflict',
        `Step ${step.seq} of operation ${step.operationId} is no longer leased by ${step.leaseOwner}; another worker owns it now.`,
        { operationId: step.operationId, seq: step.seq, owner: step.leaseOwner },
      );
    }
    const again = (row.payload as { again?: boolean } | null)?.again === true;
    await effect(trx);
    if (outcome.kind === 'done' && !again) {
      const { lost } = await completeBatch(trx, [step]);
      if (lost.length > 0) throw new StrataError('Conflict', `Step ${step.operationId} lost its lease.`, {});
      return 'done';
    }
    const delay = again || outcome.kind === 'done' ? 0 : Math.max(0, Math.round(outcome.afterMs));
    await sql`
      UPDATE steps SET state = 'pending', lease_owner = NULL, attempts = 0, payload = 'null'::jsonb,
        last_error = NULL, available_at = now() + ${delay} * interval '1 millisecond'
      WHERE operation_id = ${step.operationId} AND seq = ${step.seq}`.execute(trx);
    return 'requeued';
  });
}
