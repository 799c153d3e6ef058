/**
 * The one way a command writes: after it has validated, it changes desired state (spec, or a status field the user
 * owns) in one transaction with its audit rows, its events and the reconciles it queues, then wakes the local
 * worker. Every command module (clusters, changes, repave, prune, profiles, rollouts) goes through `commitIntent`.
 */
import type { Transaction } from 'kysely';
import { StrataError } from '../../core/errors.ts';
import { type AuditContext, type AuditRecord, recordAudit } from '../../store/audit.ts';
import { getCluster, type StoredCluster, updateClusterStatus } from '../../store/clusters.ts';
import { type EventInput, recordEvents } from '../../store/events.ts';
import type { Database } from '../../store/schema.ts';
import type { EngineContext } from '../context.ts';
import { type EngineClusterStatus, storeStatus } from '../engine-state.ts';
import { requestReconcile } from '../work.ts';

/** Hooks the commands call after committing (wake the local worker). */
export interface CommandHooks {
  /** Work was queued: claim it now rather than at the next idle poll. */
  wake(): void;
}

/** What every command module is built over: the engine's context, its hooks and the clock as an ISO string. */
export interface CommandDeps {
  ctx: EngineContext;
  hooks: CommandHooks;
  /** The engine clock's now, as an ISO timestamp. */
  now(): string;
}

/** Returns the dependencies the command modules share. */
export function commandDeps(ctx: EngineContext, hooks: CommandHooks): CommandDeps {
  return { ctx, hooks, now: () => new Date(ctx.clock.now()).toISOString() };
}

/** A transaction of the store. */
export type Trx = Transaction<Database>;

/** What a command's write records beside the change itself, in the same transaction. */
export interface IntentRecord {
  /** Audit rows not already written by the store function that made the change. */
  audit?: AuditRecord[];
  /** Events shown on clusters. */
  events?: EventInput[];
  /** Clusters whose reconcile is queued. */
  reconcile?: string[];
  /** Wake the local worker after the commit; by default, when a reconcile was queued. */
  wake?: boolean;
}

/** A command's write: what it returns and what it records. */
export interface Intent<T> extends IntentRecord {
  result: T;
}

/**
 * Runs `write` in one transaction and records what it returns beside it (audit rows, events, queued reconciles),
 * then wakes the worker; returns the write's result. Nothing is recorded or queued if the write throws.
 */
export async function commitIntent<T>(
  deps: CommandDeps,
  audit: AuditContext,
  write: (trx: Trx) => Promise<Intent<T>>,
): Promise<T> {
  let wake = false;
  const result = await deps.ctx.store.transaction(async (trx) => {
    const intent = await write(trx);
    if (intent.audit) await recordAudit(trx, audit, intent.audit);
    if (intent.events) await recordEvents(trx, intent.events);
    if (intent.reconcile) await requestReconcile(trx, intent.reconcile, audit.actor);
    wake = intent.wake ?? (intent.reconcile ?? []).length > 0;
    return intent.result;
  });
  if (wake) deps.hooks.wake();
  return result;
}

const STATUS_RETRIES = 5;

/**
 * `commitIntent` for a status field the user owns (a deletion, a repave approval, a prune request): computes the
 * patch from the fresh status and writes it only if no reconciler wrote in between, retrying when one did.
 * Returns the cluster as stored.
 */
export async function commitStatusIntent(
  deps: CommandDeps,
  audit: AuditContext,
  name: string,
  compute: (cluster: StoredCluster) => Partial<EngineClusterStatus>,
  record: (cluster: StoredCluster) => IntentRecord,
): Promise<StoredCluster> {
  for (let attempt = 1; ; attempt += 1) {
    const cluster = await requireCluster(deps.ctx, name);
    try {
      return await commitIntent(deps, audit, async (trx) => ({
        result: await updateClusterStatus(trx, name, storeStatus(compute(cluster)), {
          expectedStatusVersion: cluster.statusVersion,
        }),
        ...record(cluster),
      }));
    } catch (error) {
      if (!(error instanceof StrataError && error.code === 'Conflict') || attempt >= STATUS_RETRIES)
        throw error;
    }
  }
}

/** Returns the stored cluster of that name; `NotFound` when there is none. */
export async function requireCluster(ctx: EngineContext, name: string): Promise<StoredCluster> {
  const cluster = await getCluster(ctx.store.db, name);
  if (!cluster) throw new StrataError('NotFound', `Cluster ${name} not found.`, { cluster: name });
  return cluster;
}
