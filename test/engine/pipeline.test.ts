/**
 * The worker's pipeline (`src/engine/pipeline.ts`):
 * - steps that wait their turn keep their lease: with a 300 ms lease, six 250 ms steps run one at a time (1.5 s)
 *   all complete on their first claim. Without renewal (the control run), the later ones are lost to a second
 *   claim — the failure this guards against;
 * - one slow step holds one slot, not the worker: while it runs, the pipeline keeps claiming and finishing
 *   other steps (a batch barrier would have waited for it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPipeline } from '../../src/engine/pipeline.ts';
import { mapBounded } from '../../src/kube/apply.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { type ClaimedStep, claim, complete, enqueue, heartbeat } from '../../src/store/queue.ts';

const LEASE_MS = 300;

async function enqueueSteps(store: Store, queue: string, n: number, prefix = 't'): Promise<void> {
  await enqueue(
    store.db,
    Array.from({ length: n }, (_, i) => ({
      kind: 'slow',
      target: `${prefix}-${i}`,
      queue,
      steps: [{ kind: 'slow' }],
    })),
  );
}

/** A step that takes `ms`, then completes; records whether its lease was still ours. */
function timedStep(store: Store, outcome: Map<string, string>, ms: (step: ClaimedStep) => number) {
  return async (step: ClaimedStep) => {
    await sleep(ms(step));
    try {
      await complete(store.db, step);
      outcome.set(step.target, 'completed');
    } catch {
      outcome.set(step.target, 'lost');
    }
  };
}

/** Resolves once `outcome` holds `n` entries. */
async function until(outcome: Map<string, string>, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (outcome.size < n) {
    if (Date.now() > deadline) throw new Error(`only ${outcome.size} of ${n} steps ended`);
    await sleep(20);
  }
}

describe('the worker pipeline', () => {
  let store: Store;
  before(async () => {
    store = await openStore({ memory: true });
  });
  after(async () => {
    await store?.close();
  });

  it('renews the leases of steps waiting their turn, so every step completes on its first claim', async () => {
    await enqueueSteps(store, 'renewed', 6);
    const outcome = new Map<string, string>();
    const errors: unknown[] = [];
    let claims = 0;
    const pipeline = startPipeline({
      concurrency: 1,
      limit: 64,
      leaseMs: LEASE_MS,
      idleMs: 50,
      // All six are claimed at once, then wait their turn one at a time.
      claim: async (limit) => {
        claims += 1;
        return claim(store.db, { owner: 'w1', limit, leaseMs: LEASE_MS, queues: ['renewed'] });
      },
      heartbeat: async (steps) => {
        await heartbeat(store.db, steps, LEASE_MS);
      },
      run: timedStep(store, outcome, () => 250),
      onError: (e) => errors.push(e),
    });
    await until(outcome, 6);
    await pipeline.stop();
    assert.deepEqual([...outcome.values()], Array(6).fill('completed'));
    assert.deepEqual(errors, []);
    assert.ok(claims >= 1);
    // Nothing is left for another claim.
    assert.deepEqual(
      await claim(store.db, { owner: 'w2', limit: 64, leaseMs: LEASE_MS, queues: ['renewed'] }),
      [],
    );
  });

  it('(control) without renewal, the steps that waited longest lose their lease', async () => {
    await enqueueSteps(store, 'plain', 6);
    const steps = await claim(store.db, { owner: 'w1', limit: 64, leaseMs: LEASE_MS, queues: ['plain'] });
    assert.equal(steps.length, 6);
    const outcome = new Map<string, string>();
    await mapBounded(
      steps,
      1,
      timedStep(store, outcome, () => 250),
    );
    assert.ok([...outcome.values()].includes('lost'), `outcomes: ${[...outcome.values()].join(', ')}`);
  });

  it('keeps claiming and finishing other steps while one slow step holds its slot', async () => {
    await enqueueSteps(store, 'mixed', 1, 'slow');
    await enqueueSteps(store, 'mixed', 40, 'fast');
    const outcome = new Map<string, string>();
    const endedWhileSlowRan: string[] = [];
    let slowRunning = false;
    // The slow step runs long enough for 40 quick ones (with a PGlite write each) on a loaded 2-core machine.
    const run = timedStep(store, outcome, (s) => (s.target.startsWith('slow') ? 4000 : 20));
    const pipeline = startPipeline({
      concurrency: 4,
      limit: 8,
      leaseMs: 10_000,
      idleMs: 50,
      claim: (limit) => claim(store.db, { owner: 'w1', limit, leaseMs: 10_000, queues: ['mixed'] }),
      heartbeat: async (steps) => {
        await heartbeat(store.db, steps, 10_000);
      },
      run: async (step) => {
        const slow = step.target.startsWith('slow');
        if (slow) slowRunning = true;
        await run(step);
        if (slow) slowRunning = false;
        else if (slowRunning) endedWhileSlowRan.push(step.target);
      },
      onError: (e) => assert.fail(String(e)),
    });
    await until(outcome, 41);
    await pipeline.stop();
    assert.equal([...outcome.values()].filter((v) => v === 'completed').length, 41);
    // The 40 quick steps (more than the pipeline holds at once) ended while the slow one still ran.
    assert.ok(
      endedWhileSlowRan.length >= 35,
      `only ${endedWhileSlowRan.length} quick steps ended while the slow one ran`,
    );
  });
});
