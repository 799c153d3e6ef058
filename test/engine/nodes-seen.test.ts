/**
 * A converged cluster's passes trust the provider's nodes as last read (all Ready, pools complete) for half of
 * `resyncMs` instead of asking the provider on every pass — the rollout's apply and health passes then make no
 * infrastructure call at all. What this must not weaken: a node lost out of band is still found and replaced by
 * the periodic resync, which reads the provider; and a change of pools or node templates reads it at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EngineContext } from '../../src/engine/context.ts';
import type { Infrastructure } from '../../src/engine/infrastructure.ts';
import { reconcileCluster } from '../../src/engine/reconcile-cluster.ts';
import { getCluster } from '../../src/store/clusters.ts';
import {
  converged,
  createProfile,
  type EngineFixture,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

/** The engine's context with its provider wrapped to count the calls made through it. */
function countingContext(ctx: EngineContext): { ctx: EngineContext; calls: string[] } {
  const calls: string[] = [] as string[];
  const infra = ctx.infra as Infrastructure;
  const counted = new Proxy(infra, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { ctx: { ...ctx, infra: counted }, calls };
}

/** Starts an engine with a converged cluster `seen` of two workers; closes it after the suite. */
function withConvergedCluster(options: Parameters<typeof startEngineFixture>[0] = {}): () => EngineFixture {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture(options);
    await createProfile(fx, helloProfile('1.0.0', false));
    await fx.engine.createCluster(TESTER, {
      name: 'seen',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 2,
    });
    await waitForCluster(fx, 'seen', converged, 'cluster seen to converge');
  });
  after(async () => {
    await fx?.close();
  });
  return () => fx;
}

describe('nodes as last seen', () => {
  const fixture = withConvergedCluster();
  let fx: EngineFixture;
  before(() => {
    fx = fixture();
  });

  it('a pass of a converged cluster asks the provider nothing; a full pass reads its nodes', async () => {
    const { ctx, calls } = countingContext(fx.running.ctx);
    const plain = await reconcileCluster(ctx, 'seen');
    assert.deepEqual(calls, [], 'no infrastructure call on a pass within resyncMs of the last read');
    assert.equal(plain.done, true);
    await reconcileCluster(ctx, 'seen', { full: true });
    assert.ok(
      (calls as string[]).includes('listNodes'),
      `a full pass reads the nodes (calls: ${calls.join(', ')})`,
    );
  });

  it('a change of the pools reads the provider at once', async () => {
    const current = await getCluster(fx.store.db, 'seen');
    await fx.engine.applyChange(TESTER, 'seen', {
      kind: 'pools',
      pools: current!.spec.pools.map((p) => (p.role === 'worker' ? { ...p, count: 3 } : p)),
    });
    await waitForCluster(
      fx,
      'seen',
      (c) => converged(c) && c.status.phase === 'Running',
      'the cluster to scale to 3 workers',
    );
    const nodes = await (fx.running.ctx.infra as Infrastructure).listNodes('seen');
    assert.equal(nodes.filter((n) => n.pool === 'workers').length, 3);
  });
});

describe('nodes as last seen, with a resync every 2 s', () => {
  const fixture = withConvergedCluster({ timings: { pollMs: 20, resyncMs: 2000, retryBaseMs: 50 } });
  let fx: EngineFixture;
  before(() => {
    fx = fixture();
  });

  it('a node deleted out of band is replaced after the periodic resync reads the provider', async () => {
    const infra = fx.running.ctx.infra as Infrastructure;
    const before = await infra.listNodes('seen');
    const victim = before.find((n) => n.pool !== 'control-plane') ?? before[0]!;
    await infra.deleteNode('seen', victim.name);
    // A plain pass still trusts what it last read of the provider (its health check may see pods move).
    const { ctx, calls } = countingContext(fx.running.ctx);
    await reconcileCluster(ctx, 'seen');
    assert.deepEqual(calls, []);
    // The periodic resync's pass reads the provider, finds the pool one node short and adds one.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const nodes = await infra.listNodes('seen');
      // The replacement may take the lost node's name; it is a new machine (a later creation time).
      const replaced = nodes.some(
        (n) =>
          n.pool === victim.pool && !before.some((b) => b.name === n.name && b.createdAt === n.createdAt),
      );
      if (nodes.length === before.length && replaced && nodes.every((n) => n.state === 'Ready')) break;
      if (Date.now() > deadline)
        throw new Error(
          `the lost node was not replaced: ${JSON.stringify(nodes.map((n) => [n.name, n.state]))}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    const cluster = await waitForCluster(fx, 'seen', converged, 'cluster seen to converge again');
    assert.equal(cluster.status.phase, 'Running');
  });
});
