/**
 * Reconcile passes ended in groups (`finishReconcileSteps`, the engine's `FinishGroup`): one transaction for
 * many passes, each fenced by its own lease, a stale pass skipped without failing the others, and a pass that
 * fails for another reason failing alone.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { StrataError } from '../../src/core/errors.ts';
import { FinishGroup } from '../../src/engine/finish-group.ts';
import { commitGroupedWrites, StepWrites } from '../../src/engine/step-writes.ts';
import { createClusters, getClusters, updateClusterStatus } from '../../src/store/clusters.ts';
import { listEvents } from '../../src/store/events.ts';
import { listInventory } from '../../src/store/inventory.ts';
import type { Store } from '../../src/store/open.ts';
import { statementsSent } from '../../src/store/prepared.ts';
import { type ClaimedStep, claim, enqueue, getOperation } from '../../src/store/queue.ts';
import { enqueueOrExpedite, finishReconcileSteps } from '../../src/store/reconcile-queue.ts';
import { forEachDriver } from '../support/stores.ts';
import { clusterSpec } from './fixtures.ts';

async function claimed(store: Store, queue: string, targets: string[]): Promise<Map<string, ClaimedStep>> {
  await enqueue(
    store.db,
    targets.map((target) => ({
      kind: 'reconcile',
      target,
      queue,
      dedupeKey: `${queue}/${target}`,
      steps: [{ kind: 'reconcile' }],
    })),
  );
  const steps = await claim(store.db, { owner: 'w1', limit: 100, leaseMs: 30_000, queues: [queue] });
  assert.equal(steps.length, targets.length);
  return new Map(steps.map((s) => [s.target, s]));
}

async function stepOf(store: Store, step: ClaimedStep) {
  const row = await sql<{ state: string; due_in_ms: number; lease_owner: string | null }>`
    SELECT state, lease_owner, extract(epoch FROM (available_at - now())) * 1000 AS due_in_ms
    FROM steps WHERE operation_id = ${step.operationId} AND seq = ${step.seq}`.execute(store.db);
  return { ...row.rows[0]!, due_in_ms: Number(row.rows[0]!.due_in_ms) };
}

const stale = () => new StrataError('Conflict', 'status moved', { expected: 1, actual: 2 });
const event = (cluster: string, reason: string) => ({
  cluster,
  type: 'Normal' as const,
  reason,
  message: reason,
});

forEachDriver((_driver, getStore) => {
  it('ends many passes in one transaction, each by its own outcome and lease', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const steps = await claimed(store, 'fg1', ['done', 'wait', 'again', 'lost', 'stale']);
    const step = (name: string) => steps.get(name)!;
    // Another worker took "lost" over; "again" was asked for while it ran.
    await sql`UPDATE steps SET lease_owner = 'w2', attempts = attempts + 1
      WHERE operation_id = ${step('lost').operationId}`.execute(store.db);
    await enqueueOrExpedite(store.db, [
      {
        kind: 'reconcile',
        target: 'again',
        queue: 'fg1',
        dedupeKey: 'fg1/again',
        steps: [{ kind: 'reconcile' }],
      },
    ]);
    const ran: string[] = [];
    const results = await finishReconcileSteps(store.db, [
      { step: step('done'), outcome: { kind: 'done' }, events: [event('done', 'Finished')] },
      {
        step: step('wait'),
        outcome: { kind: 'requeue', afterMs: 60_000 },
        events: [event('wait', 'Waiting')],
      },
      { step: step('again'), outcome: { kind: 'done' } },
      {
        step: step('lost'),
        outcome: { kind: 'done' },
        effect: async () => {
          ran.push('lost');
        },
        events: [event('lost', 'Lost')],
      },
      {
        step: step('stale'),
        outcome: { kind: 'done' },
        effect: async () => {
          throw stale();
        },
        events: [event('stale', 'Stale')],
        skipOnStale: true,
      },
    ]);
    assert.deepEqual(results, ['done', 'requeued', 'requeued', 'lost', 'stale']);
    assert.deepEqual(ran, [], 'a pass whose lease is lost runs no writes');
    assert.equal((await getOperation(store.db, step('done').operationId))?.state, 'done');
    const wait = await stepOf(store, step('wait'));
    assert.equal(wait.state, 'pending');
    assert.equal(wait.lease_owner, null);
    assert.ok(wait.due_in_ms > 50_000, `requeued for later (${wait.due_in_ms} ms)`);
    for (const name of ['again', 'stale']) {
      const s = await stepOf(store, step(name));
      assert.equal(s.state, 'pending', name);
      assert.ok(s.due_in_ms <= 0, `${name} is due now`);
    }
    assert.equal((await stepOf(store, step('lost'))).lease_owner, 'w2', 'the other worker keeps it');
    const reasons = async (cluster: string) => (await listEvents(store.db, cluster)).map((e) => e.reason);
    assert.deepEqual(await reasons('done'), ['Finished']);
    assert.deepEqual(await reasons('wait'), ['Waiting']);
    assert.deepEqual(await reasons('lost'), [], 'no events of a pass that lost its lease');
    assert.deepEqual(await reasons('stale'), [], 'no events of a skipped pass');
  });

  it('rolls the group back on any other error, and the engine then ends each pass alone', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const steps = await claimed(store, 'fg2', ['ok-1', 'broken', 'ok-2']);
    const step = (name: string) => steps.get(name)!;
    const items = ['ok-1', 'broken', 'ok-2'].map((name) => ({
      step: step(name),
      outcome: { kind: 'done' } as const,
      events: [event(name, 'Finished')],
      skipOnStale: true,
      effect: async () => {
        if (name === 'broken') throw new Error('disk on fire');
      },
    }));
    await assert.rejects(finishReconcileSteps(store.db, items), /disk on fire/);
    assert.deepEqual(await listEvents(store.db, 'ok-1'), [], 'nothing of the group committed');
    assert.equal((await stepOf(store, step('ok-1'))).state, 'running');

    const group = new FinishGroup(store.db);
    const ended = await Promise.allSettled(items.map((item) => group.finish(item)));
    assert.deepEqual(
      ended.map((e) => (e.status === 'fulfilled' ? e.value : (e.reason as Error).message)),
      ['done', 'disk on fire', 'done'],
    );
    for (const name of ['ok-1', 'ok-2'])
      assert.deepEqual(
        (await listEvents(store.db, name)).map((e) => e.reason),
        ['Finished'],
      );
    assert.equal(
      (await stepOf(store, step('broken'))).state,
      'running',
      'left to the caller to fail or retry',
    );
  });

  it('gathers passes that end while a group is committing into the next group', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const names = Array.from({ length: 20 }, (_, i) => `g-${i}`);
    const steps = await claimed(store, 'fg3', names);
    const seen = new Set<string>();
    const group = new FinishGroup(store.db);
    const results = await Promise.all(
      names.map((name) =>
        group.finish({
          step: steps.get(name)!,
          outcome: { kind: 'done' },
          effect: async (trx) => {
            // One transaction per group: count distinct backend transaction ids.
            const { rows } = await sql<{ id: string }>`SELECT txid_current()::text AS id`.execute(trx);
            seen.add(rows[0]!.id);
          },
        }),
      ),
    );
    assert.deepEqual(new Set(results), new Set(['done']));
    assert.ok(seen.size <= 3, `20 passes ended in ${seen.size} transactions`);
  });

  it("writes the grouped passes' statuses and inventory in one statement each, skipping a pass whose status moved", async (t) => {
    const store = getStore(t);
    if (!store) return;
    await createClusters(
      store.db,
      { actor: 'tester' },
      ['gw-fresh', 'gw-stale'].map((n) => clusterSpec(n)),
    );
    const [fresh, moved] = await getClusters(store.db, ['gw-fresh', 'gw-stale']);
    const steps = await claimed(store, 'fg4', ['gw-fresh', 'gw-stale']);
    // Another write moves gw-stale's status after its pass read it.
    await updateClusterStatus(store.db, 'gw-stale', { health: 'Degraded' });
    const writesOf = (c: typeof fresh) => {
      const w = new StepWrites(c!.name, c!.statusVersion);
      w.patch({ phase: 'Running', health: 'Healthy' });
      w.inventoryUpserts.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'default',
        name: 'cm',
        pack: 'web',
        hash: 'h1',
        unused: false,
      });
      w.event('Normal', 'Tested', 'a grouped pass');
      return w;
    };
    const statements: number[] = [];
    const group = new FinishGroup(store.db, async (trx, grouped) => {
      const before = statementsSent();
      const stale = await commitGroupedWrites(trx, grouped);
      statements.push(statementsSent() - before);
      return stale;
    });
    const results = await Promise.all(
      [fresh, moved].map((c) => {
        const w = writesOf(c);
        return group.finish({
          step: steps.get(c!.name)!,
          outcome: { kind: 'done' },
          grouped: w,
          events: w.events,
          skipOnStale: true,
        });
      }),
    );
    assert.deepEqual(results, ['done', 'stale']);
    const [afterFresh, afterStale] = await getClusters(store.db, ['gw-fresh', 'gw-stale']);
    assert.equal(afterFresh!.status.phase, 'Running');
    assert.equal(afterStale!.status.health, 'Degraded', 'the stale pass wrote nothing over the newer status');
    assert.equal((await listInventory(store.db, 'gw-fresh')).length, 1);
    assert.equal((await listInventory(store.db, 'gw-stale')).length, 0, 'nor its inventory');
    assert.equal(
      (await listEvents(store.db, 'gw-stale', { limit: 10 })).filter((e) => e.reason === 'Tested').length,
      0,
    );
    // The stale pass is put back due now, to look again.
    assert.equal((await stepOf(store, steps.get('gw-stale')!)).state, 'pending');
    // Both passes in one group: one status statement and one inventory statement for the two.
    assert.ok(
      statements.length >= 1 && statements[0]! <= 3,
      `grouped writes took ${statements.join(', ')} statements`,
    );
  });

  it('a pass sends only the status it changed, the engine bookkeeping key by key, and the row keeps the rest', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await createClusters(store.db, { actor: 'tester' }, [clusterSpec('gw-delta')]);
    const nodes = { layers: [{ pack: 'ubuntu', values: 'os:\n  kernel: generic\n'.repeat(200) }] };
    await updateClusterStatus(store.db, 'gw-delta', {
      health: 'Healthy',
      engine: { nodes, settling: true, lastReplacedAt: { workers: 1 }, prune: { objects: [] } },
    });
    const [read] = await getClusters(store.db, ['gw-delta']);
    const steps = await claimed(store, 'fg5', ['gw-delta']);
    const w = new StepWrites('gw-delta', read!.statusVersion, read!.status);
    // The pass changes a nested record of the status it read in place: still a change to write.
    const state = { ...(read!.status.engine as Record<string, unknown>) };
    (state.lastReplacedAt as Record<string, number>).workers = 2;
    delete state.settling;
    delete state.prune;
    state.nodesSeen = { at: 5, key: 'k' };
    w.patch({ phase: 'Running', health: 'Healthy', conditions: read!.status.conditions, engine: state });
    const { patch, engine } = w.changes();
    assert.deepEqual(Object.keys(patch), ['phase'], 'unchanged health and conditions are not sent');
    assert.deepEqual(
      Object.keys(engine!.set).sort(),
      ['lastReplacedAt', 'nodesSeen'],
      'nor the nodes in force',
    );
    assert.deepEqual(engine!.drop.sort(), ['prune', 'settling']);
    const group = new FinishGroup(store.db, commitGroupedWrites);
    assert.equal(
      await group.finish({
        step: steps.get('gw-delta')!,
        outcome: { kind: 'done' },
        grouped: w,
        events: [],
        skipOnStale: true,
      }),
      'done',
    );
    const [after] = await getClusters(store.db, ['gw-delta']);
    assert.equal(after!.status.phase, 'Running');
    assert.equal(after!.status.health, 'Healthy');
    assert.equal(after!.statusVersion, read!.statusVersion + 1);
    assert.deepEqual(after!.status.engine, {
      nodes,
      lastReplacedAt: { workers: 2 },
      nodesSeen: { at: 5, key: 'k' },
    });
  });
});
