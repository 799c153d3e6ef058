import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { recordEvents } from '../../src/store/events.ts';
import { openStore } from '../../src/store/open.ts';
import {
  backoffDelayMs,
  cancelOperation,
  claim,
  complete,
  completeBatch,
  enqueue,
  fail,
  getOperation,
  heartbeat,
  listOperationIds,
} from '../../src/store/queue.ts';
import { enqueueOrExpedite } from '../../src/store/reconcile-queue.ts';
import {
  dropSchema,
  postgresUnavailableReason,
  testPostgresUrl,
  uniqueSchemaName,
} from '../support/postgres.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { forEachDriver } from '../support/stores.ts';
import { rejection } from './fixtures.ts';

forEachDriver((_driver, getStore) => {
  it('runs the steps of one operation in order and finishes the operation with its last step', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const [op] = await enqueue(store.db, [
      {
        kind: 'reconcile',
        target: 'ordered',
        queue: 'ordered',
        steps: [{ kind: 'a' }, { kind: 'b' }, { kind: 'c' }],
      },
    ]);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const claimed = await claim(store.db, { owner: 'w1', limit: 10, leaseMs: 30_000, queues: ['ordered'] });
      assert.equal(claimed.length, 1, 'only the next step of an operation is claimable');
      assert.equal(claimed[0]!.target, 'ordered');
      order.push(claimed[0]!.kind);
      await complete(store.db, claimed[0]!, async (trx) => {
        await recordEvents(trx, [
          { cluster: 'ordered', type: 'Normal', reason: 'Step', message: claimed[0]!.kind },
        ]);
      });
      const progress = await getOperation(store.db, op!.id);
      assert.equal(progress?.stepsDone, i + 1);
    }
    assert.deepEqual(order, ['a', 'b', 'c']);
    const done = await getOperation(store.db, op!.id);
    assert.equal(done?.state, 'done');
    assert.deepEqual(
      done?.steps.map((s) => s.state),
      ['done', 'done', 'done'],
    );
    assert.deepEqual(
      await claim(store.db, { owner: 'w1', limit: 10, leaseMs: 30_000, queues: ['ordered'] }),
      [],
    );
    assert.equal((await listOperationIds(store.db, 'ordered'))[0]?.id, op!.id);
  });

  it('runs steps of different operations in parallel', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await enqueue(
      store.db,
      ['p1', 'p2', 'p3'].map((target) => ({
        kind: 'reconcile',
        target,
        queue: 'parallel',
        steps: [{ kind: 'x' }, { kind: 'y' }],
      })),
    );
    const claimed = await claim(store.db, { owner: 'w', limit: 10, leaseMs: 30_000, queues: ['parallel'] });
    assert.deepEqual(claimed.map((s) => s.target).sort(), ['p1', 'p2', 'p3']);
    assert.ok(claimed.every((s) => s.seq === 0));
    const result = await completeBatch(store.db, claimed);
    assert.equal(result.completed.length, 3);
    const next = await claim(store.db, { owner: 'w', limit: 10, leaseMs: 30_000, queues: ['parallel'] });
    assert.deepEqual(
      next.map((s) => s.seq),
      [1, 1, 1],
    );
    await completeBatch(store.db, next);
  });

  it('enqueues "reconcile cluster X" at most once while it is pending', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const item = {
      kind: 'reconcile',
      target: 'dedupe',
      queue: 'dedupe',
      dedupeKey: 'reconcile:dedupe',
      steps: [{ kind: 'r' }],
    };
    const [first, second] = await enqueue(store.db, [item, item]);
    assert.equal(first!.deduped, false);
    assert.deepEqual(second, { id: first!.id, deduped: true });
    const [third] = await enqueue(store.db, [item]);
    assert.deepEqual(third, { id: first!.id, deduped: true });
    const [step] = await claim(store.db, { owner: 'w', limit: 5, leaseMs: 30_000, queues: ['dedupe'] });
    const [whileRunning] = await enqueue(store.db, [item]);
    assert.equal(whileRunning!.deduped, true, 'still deduped while running');
    await complete(store.db, step!);
    const [afterDone] = await enqueue(store.db, [item]);
    assert.equal(afterDone!.deduped, false, 'a finished operation frees its key');
    await cancelOperation(store.db, afterDone!.id);
  });

  it('claims from one queue without reading past the due steps of another, and a dedupe moves a step to its queue', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const item = (target: string, queue: string) => ({
      kind: 'reconcile-cluster',
      target,
      queue,
      dedupeKey: `prio/${target}`,
      steps: [{ kind: 'reconcile' }],
    });
    // A fleet-wide resync: many due steps in the low-priority queue, all older than the one urgent step.
    await enqueue(
      store.db,
      Array.from({ length: 300 }, (_, i) => item(`prio-${i}`, 'prio-low')),
    );
    await sleep(5);
    await enqueue(store.db, [item('prio-urgent', 'prio-high')]);
    const urgent = await claim(store.db, { owner: 'w', limit: 10, leaseMs: 60_000, queues: ['prio-high'] });
    assert.deepEqual(
      urgent.map((s) => s.target),
      ['prio-urgent'],
    );
    // A change to a cluster whose resync waits in the low queue makes it run now, in the high queue.
    const [moved] = await enqueueOrExpedite(store.db, [item('prio-7', 'prio-high')]);
    assert.equal(moved?.deduped, true);
    const next = await claim(store.db, { owner: 'w', limit: 10, leaseMs: 60_000, queues: ['prio-high'] });
    assert.deepEqual(
      next.map((s) => [s.target, s.queue]),
      [['prio-7', 'prio-high']],
    );
    const low = await claim(store.db, { owner: 'w', limit: 1000, leaseMs: 60_000, queues: ['prio-low'] });
    assert.equal(low.length, 299);
    // The claim reads the queue's own index entries (the queue leads the index), in order, up to its limit.
    const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT operation_id FROM steps
      WHERE state IN ('pending', 'running') AND available_at <= now() AND queue = 'prio-high'
      ORDER BY available_at LIMIT 5`.execute(store.db);
    assert.match(
      plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
      /Index Cond: \(\(queue = 'prio-high'::text\) AND \(available_at <= now\(\)\)\)/,
    );
  });

  it('retries a failed step with backoff and fails the operation after its last attempt', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const [op] = await enqueue(store.db, [
      {
        kind: 'apply',
        target: 'flaky',
        queue: 'flaky',
        steps: [{ kind: 'boom', maxAttempts: 2 }, { kind: 'never' }],
      },
    ]);
    const [first] = await claim(store.db, { owner: 'w', limit: 1, leaseMs: 30_000, queues: ['flaky'] });
    assert.equal(first!.attempt, 1);
    // The backoff is long enough that a slow machine still claims again before it ends.
    const retry = await fail(store.db, first!, 'kaboom', { backoffMs: 800 });
    assert.equal(retry.state, 'retrying');
    assert.deepEqual(
      await claim(store.db, { owner: 'w', limit: 1, leaseMs: 30_000, queues: ['flaky'] }),
      [],
      'not before the backoff',
    );
    await sleep(900);
    const [second] = await claim(store.db, { owner: 'w', limit: 1, leaseMs: 30_000, queues: ['flaky'] });
    assert.equal(second!.attempt, 2);
    assert.deepEqual(await fail(store.db, second!, 'kaboom again'), { state: 'failed' });
    const failed = await getOperation(store.db, op!.id);
    assert.equal(failed?.state, 'failed');
    assert.match(failed?.error ?? '', /kaboom again/);
    assert.deepEqual(
      failed?.steps.map((s) => [s.state, s.lastError]),
      [
        ['failed', 'kaboom again'],
        ['cancelled', null],
      ],
    );
    assert.equal(backoffDelayMs(1), 1000);
    assert.equal(backoffDelayMs(4), 8000);
    assert.equal(backoffDelayMs(40), 300_000);
  });

  it('returns a step to the queue when its lease expires, and fences out the old worker', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await enqueue(store.db, [{ kind: 'apply', target: 'lease', queue: 'lease', steps: [{ kind: 'slow' }] }]);
    const [old] = await claim(store.db, { owner: 'crashed', limit: 1, leaseMs: 600, queues: ['lease'] });
    assert.deepEqual(
      await claim(store.db, { owner: 'other', limit: 1, leaseMs: 600, queues: ['lease'] }),
      [],
      'leased',
    );
    await sleep(700);
    const [taken] = await claim(store.db, { owner: 'other', limit: 1, leaseMs: 30_000, queues: ['lease'] });
    assert.equal(taken!.attempt, 2);
    let effectRan = false;
    const lost = await rejection(
      complete(store.db, old!, async () => {
        effectRan = true;
      }),
    );
    assert.equal(lost.code, 'Conflict');
    assert.equal(effectRan, false, "the old worker's effect never runs");
    assert.equal((await rejection(fail(store.db, old!, 'late'))).code, 'Conflict');
    assert.equal((await heartbeat(store.db, [old!], 30_000)).length, 0);
    const beat = await heartbeat(store.db, [taken!], 60_000);
    assert.ok(beat[0]!.leaseExpiresAt > taken!.leaseExpiresAt);
    await complete(store.db, taken!);
  });

  it('does not complete a step whose lease expired even if no one took it over', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await enqueue(store.db, [{ kind: 'apply', target: 'expired', queue: 'expired', steps: [{ kind: 's' }] }]);
    const [step] = await claim(store.db, { owner: 'w', limit: 1, leaseMs: 50, queues: ['expired'] });
    await sleep(100);
    const result = await completeBatch(store.db, [step!]);
    assert.equal(result.completed.length, 0);
    assert.equal(result.lost.length, 1);
    const [again] = await claim(store.db, { owner: 'w', limit: 1, leaseMs: 30_000, queues: ['expired'] });
    await complete(store.db, again!);
  });

  it('fails a step that crashed its worker on every attempt instead of retrying it forever', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const [op] = await enqueue(store.db, [
      {
        kind: 'apply',
        target: 'poison',
        queue: 'poison',
        steps: [{ kind: 'kills-worker', maxAttempts: 2 }, { kind: 'after' }],
      },
    ]);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [step] = await claim(store.db, {
        owner: `doomed-${attempt}`,
        limit: 1,
        leaseMs: 40,
        queues: ['poison'],
      });
      assert.equal(step?.attempt, attempt);
      await sleep(80);
    }
    assert.deepEqual(await claim(store.db, { owner: 'w', limit: 1, leaseMs: 40, queues: ['poison'] }), []);
    const view = await getOperation(store.db, op!.id);
    assert.equal(view?.state, 'failed');
    assert.match(view?.error ?? '', /lease expired/);
    assert.deepEqual(
      view?.steps.map((s) => s.state),
      ['failed', 'cancelled'],
    );
  });

  it('rolls back a step completion whose effect throws', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const [op] = await enqueue(store.db, [
      { kind: 'apply', target: 'throws', queue: 'throws', steps: [{ kind: 's' }] },
    ]);
    const [step] = await claim(store.db, { owner: 'w', limit: 1, leaseMs: 30_000, queues: ['throws'] });
    const error = await rejection(
      complete(store.db, step!, async (trx) => {
        await recordEvents(trx, [{ cluster: 'throws', type: 'Normal', reason: 'Half', message: 'written' }]);
        throw new Error('effect failed');
      }),
    );
    assert.equal(error.message, 'effect failed');
    const view = await getOperation(store.db, op!.id);
    assert.equal(view?.steps[0]?.state, 'running', 'still ours to retry or fail');
    const events = await store.db.selectFrom('events').select('id').where('cluster', '=', 'throws').execute();
    assert.equal(events.length, 0, 'the half-done effect was rolled back');
    await complete(store.db, step!);
  });

  it('refuses an operation without steps and cancels an unfinished one', async (t) => {
    const store = getStore(t);
    if (!store) return;
    assert.equal(
      (await rejection(enqueue(store.db, [{ kind: 'k', target: 't', steps: [] }]))).code,
      'BadRequest',
    );
    const [op] = await enqueue(store.db, [
      { kind: 'k', target: 'cancel', queue: 'cancel', steps: [{ kind: 'a' }, { kind: 'b' }] },
    ]);
    assert.equal(await cancelOperation(store.db, op!.id), true);
    assert.equal(await cancelOperation(store.db, op!.id), false);
    assert.deepEqual(await claim(store.db, { owner: 'w', limit: 5, leaseMs: 1000, queues: ['cancel'] }), []);
    assert.equal((await rejection(cancelOperation(store.db, 'op-missing'))).code, 'NotFound');
  });
});

it('lets 4 concurrent workers on PostgreSQL drain one queue without claiming any step twice', async (t) => {
  if (!requireOrSkip(t, 'PostgreSQL', await postgresUnavailableReason())) return;
  const schema = uniqueSchemaName('q');
  const store = await openStore({ databaseUrl: testPostgresUrl, schema, poolSize: 8 });
  try {
    const operations = 300;
    await enqueue(
      store.db,
      Array.from({ length: operations }, (_, i) => ({
        kind: 'work',
        target: `c${i}`,
        steps: [{ kind: 's0' }, { kind: 's1' }],
      })),
    );
    const claimedBy = new Map<string, string>();
    const doubles: string[] = [];
    const worker = async (owner: string) => {
      for (;;) {
        const steps = await claim(store.db, { owner, limit: 7, leaseMs: 30_000 });
        if (steps.length === 0) {
          const left = await store.db
            .selectFrom('steps')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('state', 'in', ['waiting', 'pending', 'running'])
            .executeTakeFirstOrThrow();
          if (Number(left.n) === 0) return;
          await sleep(5);
          continue;
        }
        for (const s of steps) {
          const key = `${s.operationId}#${s.seq}`;
          if (claimedBy.has(key)) doubles.push(key);
          claimedBy.set(key, owner);
        }
        const result = await completeBatch(store.db, steps);
        assert.equal(result.lost.length, 0);
      }
    };
    await Promise.all(['w1', 'w2', 'w3', 'w4'].map(worker));
    assert.deepEqual(doubles, []);
    assert.equal(claimedBy.size, operations * 2);
    const owners = new Set(claimedBy.values());
    assert.ok(owners.size >= 2, `work spread over workers (${[...owners].join(', ')})`);
    const states = await store.db.selectFrom('operations').select('state').distinct().execute();
    assert.deepEqual(
      states.map((s) => s.state),
      ['done'],
    );
  } finally {
    await store.close();
    await dropSchema(schema);
  }
});
