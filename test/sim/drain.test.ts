/**
 * Drains honour PodDisruptionBudgets: the real kubectl's `drain` evicts through the `pods/eviction` subresource
 * and is refused with the API server's 429 while a budget allows no disruption; the infrastructure's drain (what
 * a repave calls) evicts in the batches a budget allows, waits for replacements to be Ready elsewhere, and gives
 * up after its bounded wait with an error naming the budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isStrataError } from '../../src/core/errors.ts';
import { podReady } from '../../src/sim/controllers/replicasets.ts';
import type { KubeObject } from '../../src/sim/kube-object.ts';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON output is walked by path in the assertions below.
type Json = Record<string, any>;

const deployment = (app: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${app}, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${app}}}
  template:
    metadata: {labels: {app: ${app}}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`;

const budget = (name: string, app: string, minAvailable: string) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${name}, namespace: default}
spec:
  minAvailable: ${minAvailable}
  selector: {matchLabels: {app: ${app}}}
`;

/** Follows how many of an app's pods are Ready, recording the lowest count seen (every store change is seen). */
async function watchReady(fixture: SimFixture, cluster: string, app: string) {
  const sim = await fixture.server.fleet.require(cluster);
  const count = () =>
    sim.store
      .list('/pods', 'default')
      .filter((p: KubeObject) => p.metadata.labels?.['app'] === app && podReady(p)).length;
  let lowest = count();
  const stop = sim.store.subscribe(() => {
    lowest = Math.min(lowest, count());
  });
  return { lowest: () => lowest, stop };
}

describe('drains honour PodDisruptionBudgets', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let missing: string | null = null;
  let kubectlPath = '';
  const cluster = 'drain';

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    kubectlPath = found.path;
    // Containers take 1.5 s to start, so a replacement is not Ready before kubectl's second eviction arrives.
    fixture = await startFixture({ timing: { podStartMs: 1500, drainTimeoutMs: 6000 } });
    await createReadyCluster(fixture.server, cluster, 2);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig(cluster, 'admin'));
  });

  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });

  const k = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl!.run(args, { timeoutMs: 90_000, ...(input === undefined ? {} : { input }) });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const pods = async (app: string): Promise<Json[]> =>
    JSON.parse(await k(['get', 'pods', '-l', `app=${app}`, '-o', 'json']))['items'];
  const allRunning = async (app: string, n: number) => {
    const list = await pods(app);
    return list.length === n && list.every((p) => p['status']['phase'] === 'Running');
  };
  /** The worker holding most of an app's pods. */
  const busiestNode = async (app: string): Promise<{ node: string; names: string[] }> => {
    const byNode = new Map<string, string[]>();
    for (const p of await pods(app)) {
      const node: string = p['spec']['nodeName'];
      byNode.set(node, [...(byNode.get(node) ?? []), p['metadata']['name']]);
    }
    const [node, names] = [...byNode.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    return { node, names };
  };
  const allowed = async (name: string): Promise<number> =>
    JSON.parse(await k(['get', 'pdb', name, '-o', 'json']))['status']['disruptionsAllowed'];

  test('kubectl drain evicts within a minAvailable 2 budget: one pod at a time, never below 2 Ready', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['apply', '-f', '-'], deployment('web', 3) + '---\n' + budget('web', 'web', '2'));
    await waitFor(() => allRunning('web', 3), 'three Running web pods', 30_000);
    await waitFor(async () => (await allowed('web')) === 1, 'the budget to allow one disruption');
    const { node, names } = await busiestNode('web');
    assert.ok(names.length >= 2, `two of three pods share a worker of two (${names.join(', ')})`);
    const ready = await watchReady(fixture!, cluster, 'web');
    const r = await kubectl!.run(['drain', node, '--ignore-daemonsets', '--timeout=60s'], {
      timeoutMs: 90_000,
    });
    ready.stop();
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    // Both pods go, the second only after kubectl retried the eviction the budget refused.
    for (const name of names) assert.match(out, new RegExp(`pod/${name} evicted`));
    assert.match(
      out,
      /error when evicting pods\/"web-\S+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./,
    );
    assert.match(out, new RegExp(`node/${node} drained`));
    assert.equal(ready.lowest(), 2, 'the budget kept two web pods Ready throughout the drain');
    await waitFor(
      async () =>
        (await allRunning('web', 3)) && (await pods('web')).every((p) => p['spec']['nodeName'] !== node),
      'three Running web pods off the drained node',
      30_000,
    );
    await k(['uncordon', node]);
  });

  test('a minAvailable 100% budget refuses the eviction with 429 TooManyRequests', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['apply', '-f', '-'], deployment('db', 2) + '---\n' + budget('db-all', 'db', '"100%"'));
    await waitFor(() => allRunning('db', 2), 'two Running db pods', 30_000);
    await waitFor(async () => (await allowed('db-all')) === 0, 'the budget to be counted');
    const [victim] = await pods('db');
    const name: string = victim!['metadata']['name'];
    const eviction = JSON.stringify({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: 'default' },
    });
    const raw = await kubectl!.run(
      ['create', '--raw', `/api/v1/namespaces/default/pods/${name}/eviction`, '-f', '-'],
      { input: eviction },
    );
    assert.notEqual(raw.code, 0);
    assert.match(
      raw.stderr,
      /Error from server \(TooManyRequests\): Cannot evict pod as it would violate the pod's disruption budget\./,
    );
    const drain = await kubectl!.run(
      ['drain', victim!['spec']['nodeName'], '--ignore-daemonsets', '--pod-selector=app=db', '--timeout=3s'],
      { timeoutMs: 60_000 },
    );
    assert.notEqual(drain.code, 0, 'kubectl drain fails when the budget never allows the eviction');
    assert.match(drain.stderr, /Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(drain.stderr, /global timeout reached: 3s/);
    assert.ok(
      (await pods('db')).some((p) => p['metadata']['name'] === name),
      `the refused pod ${name} still exists`,
    );
    await k(['uncordon', victim!['spec']['nodeName']]);
    await k(['delete', 'pdb', 'db-all']);
    // Without the budget the same eviction goes through (201 Success).
    const ok = await kubectl!.run(
      ['create', '--raw', `/api/v1/namespaces/default/pods/${name}/eviction`, '-f', '-'],
      { input: eviction },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout)['status'], 'Success');
    assert.ok(!(await pods('db')).some((p) => p['metadata']['name'] === name), `${name} was evicted`);
  });

  test('the infrastructure drain a repave runs waits for the budget, then gives up naming it', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    // Only this test's pods are on the nodes (the drain takes every pod of a node, whatever its app).
    await k(['delete', 'deployment', 'web', 'db']);
    await k(['delete', 'pdb', 'web']);
    await waitFor(
      async () => (await pods('web')).length + (await pods('db')).length === 0,
      'no web or db pods',
    );
    await k(['apply', '-f', '-'], deployment('api', 3) + '---\n' + budget('api', 'api', '2'));
    await waitFor(() => allRunning('api', 3), 'three Running api pods', 30_000);
    await waitFor(async () => (await allowed('api')) === 1, 'the budget to allow one disruption');
    const { node, names } = await busiestNode('api');
    const ready = await watchReady(fixture!, cluster, 'api');
    const evicted = await fixture!.server.infra.drainNode(cluster, node);
    ready.stop();
    for (const name of names) assert.ok(evicted.includes(`default/${name}`), `${name} evicted`);
    assert.equal(ready.lowest(), 2, 'the budget kept two api pods Ready throughout the drain');
    await fixture!.server.infra.uncordonNode(cluster, node);

    await k(['apply', '-f', '-'], budget('api', 'api', '"100%"'));
    await waitFor(async () => (await allowed('api')) === 0, 'the stricter budget to be counted');
    await waitFor(() => allRunning('api', 3), 'three Running api pods again', 30_000);
    const target = (await busiestNode('api')).node;
    const failure = await fixture!.server.infra.drainNode(cluster, target).then(
      () => assert.fail('the drain should give up'),
      (e: unknown) => e,
    );
    assert.ok(isStrataError(failure), String(failure));
    assert.equal(failure.code, 'TooManyRequests');
    assert.match(
      failure.message,
      /^drain of node \S+ gave up after \ds: evicting (a pod|\d pods) would violate PodDisruptionBudget default\/api \(pod default\/api-\S+: The disruption budget api needs 3 healthy pods and has 3 currently/,
    );
    assert.equal((await pods('api')).length, 3, 'no api pod was evicted');
    await fixture!.server.infra.uncordonNode(cluster, target);
  });

  test('a pod two budgets cover cannot be evicted (500), and a read-only kubeconfig may not evict', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['apply', '-f', '-'], budget('api-too', 'api', '1'));
    const [victim] = await pods('api');
    const name: string = victim!['metadata']['name'];
    const path = `/api/v1/namespaces/default/pods/${name}/eviction`;
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } });
    const twice = await kubectl!.run(['create', '--raw', path, '-f', '-'], { input: eviction });
    assert.notEqual(twice.code, 0);
    assert.match(
      twice.stderr,
      /Error from server \(InternalError\): Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support\./,
    );
    const viewer = await kubectlSession(kubectlPath, fixture!.server.kubeconfig(cluster, 'read-only'));
    try {
      const denied = await viewer.run(['create', '--raw', path, '-f', '-'], { input: eviction });
      assert.notEqual(denied.code, 0);
      assert.match(
        denied.stderr,
        new RegExp(
          `Error from server \\(Forbidden\\): pods "${name}" is forbidden: User "read-only" cannot create resource "pods/eviction" in API group "" in the namespace "default"`,
        ),
      );
    } finally {
      await viewer.cleanup();
    }
    assert.ok(
      (await pods('api')).some((p) => p['metadata']['name'] === name),
      `${name} is still there`,
    );
  });
});
