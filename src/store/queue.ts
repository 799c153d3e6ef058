/**
 * The durable work queue. An operation ("reconcile cluster X") is a sequence of steps; workers claim steps in
 * batches with leases (`FOR UPDATE SKIP LOCKED`), and complete a step in the same transaction as its effect,
 * fenced by the lease (owner + attempt), so after a kill -9 a step is neither lost (its lease expires and it is
 * claimed again) nor doubled (the old worker's transaction never committed, and it can no longer complete).
 * Step n+1 of an operation becomes claimable only when step n is done: later steps wait in state `waiting`.
 * Time is the database's clock (`now()`), the one clock every process sharing the database agrees on.
 */
import { sql, type Transaction } from 'kysely';
import { type IdSource, randomIds } from '../core/clock.ts';
import { StrataError } from '../core/errors.ts';
import type { Database, Executor, OperationState, StepState } from './schema.ts';
import { toJson, withTransaction } from './transact.ts';

/** The queue of an operation enqueued without one. */
export const DEFAULT_QUEUE = 'default';

/** One step to enqueue. */
export interface StepInput {
  kind: string;
  payload?: unknown;
  /** Attempts before the step (and its operation) fail; default 5. */
  maxAttempts?: number;
}

/** One operation to enqueue. */
export interface OperationInput {
  /** Default: a new random id `op-…`. */
  id?: string;
  kind: string;
  /** What it acts on, e.g. a cluster name. */
  target: string;
  /** Lets workers specialise; default `default`. */
  queue?: string;
  /** While an operation with this key is pending or running, enqueueing another with it returns that one. */
  dedupeKey?: string;
  createdBy?: string;
  steps: StepInput[];
}

/** The outcome of enqueueing one operation. */
export interface EnqueueResult {
  id: string;
  /** True when an unfinished operation with the same dedupe key already existed (its id is returned). */
  deduped: boolean;
}

/** A step a worker holds a lease on. Pass it back to `complete`, `fail` or `heartbeat`. */
export interface ClaimedStep {
  operationId: string;
  seq: number;
  queue: string;
  kind: string;
  payload: unknown;
  operationKind: string;
  target: string;
  /** 1 on the first claim; the lease is fenced by owner and attempt. */
  attempt: number;
  maxAttempts: number;
  leaseOwner: string;
  leaseExpiresAt: Date;
}

/** How to claim. */
export interface ClaimOptions {
  /** The worker's identity (unique per process and worker). */
  owner: string;
  limit: number;
  leaseMs: number;
  /** Only steps of these queues (default: any). */
  queues?: readonly string[];
  /**
   * Fail the steps whose lease expired on their last attempt first (default true; a worker claiming from several
   * queues in a row does it once).
   */
  reap?: boolean;
}

/** Retry policy for `fail`. */
export interface FailOptions {
  /** Retry at this time instead of the exponential backoff. */
  retryAt?: Date;
  /** Backoff base (default 1 s): attempt n waits base × 2^(n-1), capped at `maxBackoffMs` (default 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** The outcome of `fail`: retried later, or failed for good (with its operation). */
export type FailOutcome = { state: 'retrying'; retryAt: Date } | { state: 'failed' };

/** A step as seen in an operation's progress. */
export interface StepView {
  seq: number;
  kind: string;
  payload: unknown;
  state: StepState;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  completedAt: Date | null;
}

/** An operation with its progress. */
export interface OperationView {
  id: string;
  kind: string;
  target: string;
  queue: string;
  state: OperationState;
  dedupeKey: string | null;
  stepCount: number;
  stepsDone: number;
  error: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  steps: StepView[];
}

/** The outcome of a batched completion: steps completed, and steps whose lease was lost (not completed). */
export interface CompleteResult {
  completed: ClaimedStep[];
  lost: ClaimedStep[];
}

const DEFAULT_MAX_ATTEMPTS = 5;
const BATCH = 1000;

/**
 * Enqueues operations with their steps (multi-row inserts); returns each one's id and whether it was deduped
 * onto an unfinished operation with the same `dedupeKey`.
 */
export async function enqueue(
  executor: Executor,
  items: readonly OperationInput[],
  ids: IdSource = randomIds,
): Promise<EnqueueResult[]> {
  for (const item of items) {
    if (item.steps.length === 0) {
      throw new StrataError(
        'BadRequest',
        `Operation ${item.kind} on ${item.target} has no steps; give it at least one.`,
        {
          field: 'steps',
        },
      );
    }
  }
  return withTransaction(executor, async (trx) => {
    const results: EnqueueResult[] = [];
    for (let i = 0; i < items.length; i += BATCH)
      results.push(...(await enqueueBatch(trx, items.slice(i, i + BATCH), ids)));
    return results;
  });
}

async function enqueueBatch(
  trx: Transaction<Database>,
  items: readonly OperationInput[],
  ids: IdSource,
): Promise<EnqueueResult[]> {
  const withIds = items.map((item) => ({ item, id: item.id ?? ids.next('op-') }));
  const inserted = await trx
    .insertInto('operations')
    .values(
      withIds.map(({ item, id }) => ({
        id,
        kind: item.kind,
        target: item.target,
        queue: item.queue ?? DEFAULT_QUEUE,
        state: 'pending' as const,
        dedupe_key: item.dedupeKey ?? null,
        step_count: item.steps.length,
        created_by: item.createdBy ?? 'system',
      })),
    )
    .onConflict((oc) => oc.column('dedupe_key').where('state', 'in', ['pending', 'running']).doNothing())
    .returning('id')
    .execute();
  const made = new Set(inserted.map((r) => r.id));
  const steps = withIds
    .filter(({ id }) => made.has(id))
    .flatMap(({ item, id }) =>
      item.steps.map((step, seq) => ({
        operation_id: id,
        seq,
        queue: item.queue ?? DEFAULT_QUEUE,
        kind: step.kind,
        payload: toJson(step.payload ?? null),
        state: (seq === 0 ? 'pending' : 'waiting') as StepState,
        max_attempts: step.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      })),
    );
  for (let i = 0; i < steps.length; i += BATCH) {
    await trx
      .insertInto('steps')
      .values(steps.slice(i, i + BATCH))
      .execute();
  }
  const dedupedKeys = withIds.filter(({ id }) => !made.has(id)).map(({ item }) => item.dedupeKey!);
  const existing = new Map<string, string>();
  if (dedupedKeys.length > 0) {
    const rows = await trx
      .selectFrom('operations')
      .select(['id', 'dedupe_key'])
      .where('dedupe_key', 'in', dedupedKeys)
      .where('state', 'in', ['pending', 'running'])
      .execute();
    for (const r of rows) existing.set(r.dedupe_key!, r.id);
  }
  return withIds.map(({ item, id }) => {
    if (made.has(id)) return { id, deduped: false };
    const other = existing.get(item.dedupeKey!);
    // Only possible if the other operation finished between our insert and our read: a narrow race the
    // caller resolves by enqueueing again.
    if (!other) {
      throw new StrataError(
        'Conflict',
        `Operation with dedupe key ${item.dedupeKey} changed state while enqueueing; retry.`,
        {
          dedupeKey: item.dedupeKey,
        },
      );
    }
    return { id: other, deduped: true };
  });
}

interface ClaimRow {
  operation_id: string;
  seq: number;
  queue: string;
  kind: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  available_at: Date;
  lease_owner: string;
  operation_kind: string;
  target: string;
}

/**
 * Claims up to `limit` due steps (pending, or running with an expired lease) for `owner` with a lease of
 * `leaseMs`; returns them oldest first. Concurrent claimers never get the same step (`SKIP LOCKED`).
 */
export async function claim(executor: Executor, options: ClaimOptions): Promise<ClaimedStep[]> {
  if (options.reap !== false) await reapExhaustedSteps(executor);
  // One queue as an equality, so the claim index (queue, available_at) is read in order and stops at `limit`.
  const queues = options.queues ?? [];
  const queueFilter =
    queues.length === 1
      ? sql`AND queue = ${queues[0]}`
      : queues.length > 1
        ? sql`AND queue = ANY(${[...queues]}::text[])`
        : sql``;
  const result = await sql<ClaimRow>`
    WITH picked AS (
      SELECT operation_id, seq FROM steps
      WHERE state IN ('pending', 'running') AND available_at <= now() ${queueFilter}
        AND NOT (state = 'running' AND attempts >= max_attempts)
      ORDER BY available_at
      LIMIT ${options.limit}
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE steps AS s SET
        state = 'running',
        lease_owner = ${options.owner},
        attempts = s.attempts + 1,
        available_at = now() + ${options.leaseMs} * interval '1 millisecond'
      FROM picked
      WHERE s.operation_id = picked.operation_id AND s.seq = picked.seq
      RETURNING s.*
    ), started AS (
      UPDATE operations SET state = 'running', updated_at = now()
      WHERE id IN (SELECT operation_id FROM claimed) AND state = 'pending'
    )
    SELECT c.operation_id, c.seq, c.queue, c.kind, c.payload, c.attempts, c.max_attempts, c.available_at,
      c.lease_owner, o.kind AS operation_kind, o.target
    FROM claimed c JOIN operations o ON o.id = c.operation_id
    ORDER BY c.available_at, c.operation_id, c.seq`.execute(executor);
  return result.rows.map((r) => ({
    operationId: r.operation_id,
    seq: r.seq,
    queue: r.queue,
    kind: r.kind,
    payload: r.payload,
    operationKind: r.operation_kind,
    target: r.target,
    attempt: r.attempts,
    maxAttempts: r.max_attempts,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.available_at,
  }));
}

/**
 * Fails steps whose lease expired on their last attempt (the worker crashed or hung every time: a poison
 * step), with their operations and the steps after them; returns how many steps it failed. `claim` calls it,
 * so a step that kills its worker cannot loop forever.
 */
export async function reapExhaustedSteps(executor: Executor): Promise<number> {
  return withTransaction(executor, async (trx) => {
    const reaped = await sql<{ operation_id: string; seq: number; kind: string; attempts: number }>`
      UPDATE steps SET state = 'failed', lease_owner = NULL,
        last_error = 'lease expired on the last attempt (the worker crashed or hung)'
      WHERE (operation_id, seq) IN (
        SELECT operation_id, seq FROM steps
        WHERE state = 'running' AND available_at <= now() AND attempts >= max_attempts
        FOR UPDATE SKIP LOCKED)
      RETURNING operation_id, seq, kind, attempts`.execute(trx);
    if (reaped.rows.length === 0) return 0;
    const ops = reaped.rows.map((r) => r.operation_id);
    await trx
      .updateTable('steps')
      .set({ state: 'cancelled' })
      .where('operation_id', 'in', ops)
      .where('state', '=', 'waiting')
      .execute();
    for (const r of reaped.rows) {
      await trx
        .updateTable('operations')
        .set({
          state: 'failed',
          error: `step ${r.seq} (${r.kind}): lease expired on attempt ${r.attempts} of ${r.attempts}`,
          updated_at: sql`now()`,
        })
        .where('id', '=', r.operation_id)
        .execute();
    }
    return reaped.rows.length;
  });
}

/** Row-value arrays for `unnest`, one entry per step. */
export function stepKeys(steps: readonly ClaimedStep[]) {
  return {
    ops: steps.map((s) => s.operationId),
    seqs: steps.map((s) => s.seq),
    owners: steps.map((s) => s.leaseOwner),
    attempts: steps.map((s) => s.attempt),
  };
}

/** Marks done the steps whose lease is still ours (unexpired, same owner and attempt); returns their keys. */
async function markDone(trx: Transaction<Database>, steps: readonly ClaimedStep[]): Promise<Set<string>> {
  const k = stepKeys(steps);
  const done = await sql<{ operation_id: string; seq: number }>`
    UPDATE steps AS s SET state = 'done', completed_at = now(), last_error = NULL
    FROM unnest(${k.ops}::text[], ${k.seqs}::int[], ${k.owners}::text[], ${k.attempts}::int[]) AS u(op, seq, owner, attempt)
    WHERE s.operation_id = u.op AND s.seq = u.seq AND s.state = 'running'
      AND s.lease_owner = u.owner AND s.attempts = u.attempt AND s.available_at > now()
    RETURNING s.operation_id, s.seq`.execute(trx);
  return new Set(done.rows.map((r) => `${r.operation_id}#${r.seq}`));
}

/** Makes the next step of each completed step's operation claimable and advances the operations' progress. */
async function advance(trx: Transaction<Database>, steps: readonly ClaimedStep[]): Promise<void> {
  if (steps.length === 0) return;
  const sorted = [...steps].sort((a, b) =>
    a.operationId < b.operationId ? -1 : a.operationId > b.operationId ? 1 : 0,
  );
  const k = stepKeys(sorted);
  await sql`
    UPDATE steps AS s SET state = 'pending', available_at = now()
    FROM unnest(${k.ops}::text[], ${k.seqs}::int[]) AS u(op, seq)
    WHERE s.operation_id = u.op AND s.seq = u.seq + 1 AND s.state = 'waiting'`.execute(trx);
  await sql`
    UPDATE operations AS o SET
      steps_done = o.steps_done + u.n,
      state = CASE WHEN o.steps_done + u.n >= o.step_count THEN 'done' ELSE o.state END,
      updated_at = now()
    FROM (SELECT op, count(*)::int AS n FROM unnest(${k.ops}::text[]) AS t(op) GROUP BY op) AS u
    WHERE o.id = u.op`.execute(trx);
}

/**
 * Completes claimed steps in one transaction together with `effect`, which receives only the steps whose lease
 * is still ours; returns which steps completed and which were lost (their lease expired or was taken over).
 * If `effect` throws, nothing commits and the steps stay leased (call `fail`).
 */
export async function completeBatch(
  executor: Executor,
  steps: readonly ClaimedStep[],
  effect: (trx: Transaction<Database>, owned: ClaimedStep[]) => Promise<void> = async () => {},
): Promise<CompleteResult> {
  if (steps.length === 0) return { completed: [], lost: [] };
  return withTransaction(executor, async (trx) => {
    const owned = await markDone(trx, steps);
    const completed = steps.filter((s) => owned.has(`${s.operationId}#${s.seq}`));
    const lost = steps.filter((s) => !owned.has(`${s.operationId}#${s.seq}`));
    if (completed.length > 0) await effect(trx, completed);
    await advance(trx, completed);
    return { completed, lost };
  });
}

/**
 * Completes one step together with its `effect` in one transaction; returns nothing. `Conflict` when the
 * lease is no longer ours (expired or claimed by another worker) — then the effect did not run.
 */
export async function complete(
  executor: Executor,
  step: ClaimedStep,
  effect: (trx: Transaction<Database>) => Promise<void> = async () => {},
): Promise<void> {
  const { lost } = await completeBatch(executor, [step], (trx) => effect(trx));
  if (lost.length > 0) throw leaseLost(step);
}

function leaseLost(step: ClaimedStep): StrataError {
  return new StrataError(
    'Conflict',
    `Step ${step.seq} of operation ${step.operationId} is no longer leased by ${step.leaseOwner} (attempt ${step.attempt}); another worker owns it now.`,
    { operationId: step.operationId, seq: step.seq, owner: step.leaseOwner, attempt: step.attempt },
  );
}

/** Returns the wait before retry number `attempt` + 1: base × 2^(attempt-1), capped. */
export function backoffDelayMs(attempt: number, baseMs = 1000, maxMs = 300_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Records a failed attempt of a claimed step; returns whether it will be retried (after backoff or at
 * `retryAt`) or has failed for good, failing its operation and cancelling the steps after it.
 * `Conflict` when the lease is no longer ours.
 */
export async function fail(
  executor: Executor,
  step: ClaimedStep,
  error: string,
  options: FailOptions = {},
): Promise<FailOutcome> {
  return withTransaction(executor, async (trx) => {
    const row = await trx
      .selectFrom('steps')
      .select(['attempts', 'max_attempts'])
      .where('operation_id', '=', step.operationId)
      .where('seq', '=', step.seq)
      .where('state', '=', 'running')
      .where('lease_owner', '=', step.leaseOwner)
      .where('attempts', '=', step.attempt)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw leaseLost(step);
    if (row.attempts >= row.max_attempts) {
      await trx
        .updateTable('steps')
        .set({ state: 'failed', last_error: error })
        .where('operation_id', '=', step.operationId)
        .where('seq', '=', step.seq)
        .execute();
      await trx
        .updateTable('steps')
        .set({ state: 'cancelled' })
        .where('operation_id', '=', step.operationId)
        .where('state', '=', 'waiting')
        .execute();
      await trx
        .updateTable('operations')
        .set({ state: 'failed', error: `step ${step.seq} (${step.kind}): ${error}`, updated_at: sql`now()` })
        .where('id', '=', step.operationId)
        .execute();
      return { state: 'failed' };
    }
    const delay = backoffDelayMs(row.attempts, options.backoffMs, options.maxBackoffMs);
    const updated = await trx
      .updateTable('steps')
      .set({
        state: 'pending',
        lease_owner: null,
        last_error: error,
        available_at: options.retryAt ?? sql<Date>`now() + ${delay} * interval '1 millisecond'`,
      })
      .where('operation_id', '=', step.operationId)
      .where('seq', '=', step.seq)
      .returning('available_at')
      .executeTakeFirstOrThrow();
    return { state: 'retrying', retryAt: updated.available_at };
  });
}

/** Extends the leases of steps still ours by `leaseMs`; returns those steps with their new expiry (lost ones are left out). */
export async function heartbeat(
  executor: Executor,
  steps: readonly ClaimedStep[],
  leaseMs: number,
): Promise<ClaimedStep[]> {
  if (steps.length === 0) return [];
  const k = stepKeys(steps);
  const rows = await sql<{ operation_id: string; seq: number; available_at: Date }>`
    UPDATE steps AS s SET available_at = now() + ${leaseMs} * interval '1 millisecond'
    FROM unnest(${k.ops}::text[], ${k.seqs}::int[], ${k.owners}::text[], ${k.attempts}::int[]) AS u(op, seq, owner, attempt)
    WHERE s.operation_id = u.op AND s.seq = u.seq AND s.state = 'running'
      AND s.lease_owner = u.owner AND s.attempts = u.attempt AND s.available_at > now()
    RETURNING s.operation_id, s.seq, s.available_at`.execute(executor);
  const expiry = new Map(rows.rows.map((r) => [`${r.operation_id}#${r.seq}`, r.available_at]));
  return steps.flatMap((s) => {
    const at = expiry.get(`${s.operationId}#${s.seq}`);
    return at ? [{ ...s, leaseExpiresAt: at }] : [];
  });
}

/** Cancels an unfinished operation and its unfinished steps; returns false when it had already finished. */
export async function cancelOperation(executor: Executor, id: string): Promise<boolean> {
  return withTransaction(executor, async (trx) => {
    const op = await trx
      .updateTable('operations')
      .set({ state: 'cancelled', updated_at: sql`now()` })
      .where('id', '=', id)
      .where('state', 'in', ['pending', 'running'])
      .returning('id')
      .executeTakeFirst();
    if (!op) {
      const exists = await trx.selectFrom('operations').select('id').where('id', '=', id).executeTakeFirst();
      if (!exists) throw new StrataError('NotFound', `Operation ${id} not found.`, { id });
      return false;
    }
    await trx
      .updateTable('steps')
      .set({ state: 'cancelled', lease_owner: null })
      .where('operation_id', '=', id)
      .where('state', 'in', ['waiting', 'pending', 'running'])
      .execute();
    return true;
  });
}

/** Returns an operation with its steps in order (its progress), or undefined. */
export async function getOperation(executor: Executor, id: string): Promise<OperationView | undefined> {
  const op = await executor.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!op) return undefined;
  const steps = await executor
    .selectFrom('steps')
    .selectAll()
    .where('operation_id', '=', id)
    .orderBy('seq')
    .execute();
  return {
    id: op.id,
    kind: op.kind,
    target: op.target,
    queue: op.queue,
    state: op.state,
    dedupeKey: op.dedupe_key,
    stepCount: op.step_count,
    stepsDone: op.steps_done,
    error: op.error,
    createdBy: op.created_by,
    createdAt: op.created_at,
    updatedAt: op.updated_at,
    steps: steps.map((s) => ({
      seq: s.seq,
      kind: s.kind,
      payload: s.payload,
      state: s.state,
      attempts: s.attempts,
      maxAttempts: s.max_attempts,
      lastError: s.last_error,
      completedAt: s.completed_at,
    })),
  };
}

/** Returns the ids of a target's operations, newest first (e.g. the operations of one cluster). */
export async function listOperationIds(
  executor: Executor,
  target: string,
  limit = 50,
): Promise<{ id: string; kind: string; state: OperationState }[]> {
  return executor
    .selectFrom('operations')
    .select(['id', 'kind', 'state'])
    .where('target', '=', target)
    .orderBy('created_at', 'desc')
    .limit(Math.min(limit, 1000))
    .execute();
}
