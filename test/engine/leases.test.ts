/**
 * A worker claims a batch and runs it a few steps at a time; the steps waiting their turn must not lose their
 * lease meanwhile, or they are claimed again and done twice. `runWithLeases` renews them: with a 300 ms lease,
 * six 250 ms steps run one at a time (1.5 s) all complete on their first claim. Without renewal (the control
 * run), the later ones are lost to a second claim — the failure this guards against.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runWithLeases } from '../../src/engine/leases.ts';
import { mapBounded } from '../../src/kube/apply.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { type ClaimedStep, claim, complete, enqueue } from '../../src/store/queue.ts';

const LEASE_MS = 300;

async function claimSix(store: Store, queue: string): Promise<ClaimedStep[]> {
  await enqueue(
    store.db,
    Array.from({ length: 6 }, (_, i) => ({
      kind: 'slow',
      target: `t-${i}`,
      queue,
      steps: [{ kind: 'slow' }],
    })),
  );
  const steps = await claim(store.db, { owner: 'w1', limit: 64, leaseMs: LEASE_MS, queues: [queue] });
  assert.equal(steps.length, 6);
  return steps;
}

/** A step that takes 250 ms, then completes; returns whether its lease was still ours. */
function slowStep(store: Store, outcome: Map<string, string>) {
  return async (step: ClaimedStep) => {
    await sleep(250);
    try {
      await complete(store.db, step);
      outcome.set(step.operationId, 'completed');
    } catch {
      outcome.set(step.operationId, 'lost');
    }
  };
}

describe('leases of a claimed batch', () => {
  let store: Store;
  before(async () => {
    store = await openStore({ memory: true });
  });
  after(async () => {
    await store?.close();
  });

  it('are renewed while steps wait their turn, so every step completes on its first claim', async () => {
    const steps = await claimSix(store, 'renewed');
    const outcome = new Map<string, string>();
    const errors: unknown[] = [];
    await runWithLeases(
      store.db,
      steps,
      { concurrency: 1, leaseMs: LEASE_MS, onError: (e) => errors.push(e) },
      slowStep(store, outcome),
    );
    assert.deepEqual([...outcome.values()], Array(6).fill('completed'));
    assert.deepEqual(errors, []);
    // Nothing is left for another claim.
    assert.deepEqual(
      await claim(store.db, { owner: 'w2', limit: 64, leaseMs: LEASE_MS, queues: ['renewed'] }),
      [],
    );
  });

  it('(control) without renewal, the steps that waited longest lose their lease', async () => {
    const steps = await claimSix(store, 'plain');
    const outcome = new Map<string, string>();
    await mapBounded(steps, 1, slowStep(store, outcome));
    assert.ok([...outcome.values()].includes('lost'), `outcomes: ${[...outcome.values()].join(', ')}`);
  });
});
