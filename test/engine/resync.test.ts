import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type ResyncWalk, resyncBacklog, resyncPage } from '../../src/engine/resync.ts';
import { queueResyncWalker, RESYNC_QUEUE, STEP } from '../../src/engine/work.ts';
import { createClusters, updateClusterStatuses } from '../../src/store/clusters.ts';
import { claim, completeBatch } from '../../src/store/queue.ts';
import { finishReconcileStep } from '../../src/store/reconcile-queue.ts';
import { clusterSpec } from '../store/fixtures.ts';
import { forEachDriver } from '../support/stores.ts';

const T = Date.parse('2026-12-01T12:00:00Z');

forEachDriver((_driver, getStore) => {
  it('walks the Running clusters a page at a time, waits while a page is queued, and starts the next pass an interval after the last began', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const running = Array.from({ length: 25 }, (_, i) => `r-${String(i).padStart(2, '0')}`);
    await createClusters(
      store.db,
      { actor: 'tester' },
      [...running, 'p-1', 'p-2'].map((n) => clusterSpec(n)),
    );
    await updateClusterStatuses(
      store.db,
      running.map((name) => ({ name, patch: { phase: 'Running' as const } })),
    );
    const pacing = { resyncMs: 60_000, backlogWaitMs: 1000, page: 10 };
    const resynced: string[] = [];
    const drain = async () => {
      const steps = await claim(store.db, {
        owner: 'w',
        limit: 100,
        leaseMs: 30_000,
        queues: [RESYNC_QUEUE],
      });
      resynced.push(...steps.map((s) => s.target));
      await completeBatch(store.db, steps);
    };

    const first = await resyncPage(store.db, null, { ...pacing, now: T });
    assert.deepEqual([first.queued, first.afterMs, first.waited], [10, 0, false]);
    assert.equal(first.next.passStartedAt, T);
    assert.equal(await resyncBacklog(store.db, 1000), 10);
    assert.equal(await resyncBacklog(store.db, 4), 4, 'the backlog is counted up to the limit only');

    // The queue still holds a page: the walker waits instead of piling up more.
    const blocked = await resyncPage(store.db, first.next, { ...pacing, now: T + 5 });
    assert.deepEqual([blocked.queued, blocked.afterMs, blocked.waited], [0, 1000, true]);
    assert.deepEqual(blocked.next, first.next);

    await drain();
    const second = await resyncPage(store.db, blocked.next, { ...pacing, now: T + 10_000 });
    assert.deepEqual([second.queued, second.afterMs], [10, 0]);
    await drain();
    const last = await resyncPage(store.db, second.next, { ...pacing, now: T + 20_000 });
    assert.equal(last.queued, 5);
    assert.equal(last.afterMs, 40_000, 'the next pass starts one interval after this one started');
    assert.deepEqual(last.next, { cursor: null, passStartedAt: null });
    await drain();
    assert.deepEqual(resynced.sort(), running, 'every Running cluster once, no other');

    // A pass that overran its interval: the next one starts at once.
    const overran = await resyncPage(store.db, second.next, { ...pacing, now: T + 100_000 });
    assert.deepEqual([overran.queued, overran.afterMs], [5, 0]);
    await drain();
  });

  it('keeps one walker for the store, which carries where it is from run to run', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const [a] = await queueResyncWalker(store.db, 'engine-1');
    const [b] = await queueResyncWalker(store.db, 'engine-2');
    assert.equal(b?.id, a?.id);
    assert.equal(b?.deduped, true, 'a second process finds the walker queued');
    const [step] = await claim(store.db, { owner: 'w', limit: 5, leaseMs: 30_000, queues: [RESYNC_QUEUE] });
    assert.equal(step?.kind, STEP.resync);
    assert.equal(step?.payload, null);
    const walk: ResyncWalk = { cursor: 'abc', passStartedAt: T };
    await finishReconcileStep(store.db, step!, { kind: 'requeue', afterMs: 0, payload: walk });
    const [again] = await claim(store.db, { owner: 'w', limit: 5, leaseMs: 30_000, queues: [RESYNC_QUEUE] });
    assert.equal(again?.operationId, a?.id);
    assert.deepEqual(again?.payload, walk);
  });
});
