/**
 * An upstream chart with Helm hooks through the engine, on a simulated cluster: ingress-nginx 4.15.1 (unmodified)
 * installs with its admission-webhook hooks — ServiceAccount, RBAC and the certgen Job before the objects
 * (pre-install), the patch Job after (post-install), each deleted on success as their hook-delete-policy says —
 * and an upgrade (a changed value) runs the pre-upgrade and post-upgrade hooks. Hooks never enter the inventory.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/client.ts';
import { addPackFromSource } from '../../src/registry/intake.ts';
import { listInventory } from '../../src/store/inventory.ts';
import {
  converged,
  createProfile,
  type EngineFixture,
  eventsOf,
  infraLayers,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

const archive = readFileSync(new URL('../fixtures/charts/ingress-nginx-4.15.1.tgz', import.meta.url));

describe('a chart with Helm hooks (ingress-nginx 4.15.1)', () => {
  let fx: EngineFixture;
  let client: KubeClient;
  before(async () => {
    fx = await startEngineFixture();
    await addPackFromSource(
      { store: fx.store, catalog: fx.catalog, renderer: fx.running.ctx.renderer },
      TESTER,
      { type: 'chart-archive', archive, fileName: 'ingress-nginx-4.15.1.tgz' },
      { name: 'ingress-chart' },
    );
    await createProfile(fx, {
      name: 'edge-ingress',
      version: '1.0.0',
      type: 'full',
      cloudType: 'sim',
      layers: [...infraLayers(), { pack: 'ingress-chart', version: '4.15.1', namespace: 'ingress' }],
    } as never);
  });
  after(async () => {
    await fx?.close();
  });

  it('installs: pre-install hooks, the objects, post-install hooks; hook objects deleted on success', async () => {
    await fx.engine.createCluster(TESTER, { name: 'ing', profiles: ['edge-ingress@1.0.0'] });
    await waitForCluster(fx, 'ing', converged, 'Running', 90_000);
    const events = (await eventsOf(fx, 'ing')).map((e) => `${e.reason}: ${e.message}`);
    assert.ok(
      events.some((e) =>
        /^HooksSucceeded: ingress-chart: pre-install hooks succeeded .*Job ingress\/ingress-chart-admission-create/.test(
          e,
        ),
      ),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) =>
        /^HooksSucceeded: ingress-chart: post-install hooks succeeded .*Job ingress\/ingress-chart-admission-patch/.test(
          e,
        ),
      ),
      events.join('\n'),
    );
    client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('ing', 'admin'));
    const jobs = await client.list('batch/v1', 'Job', { namespace: 'ingress' });
    assert.deepEqual(
      jobs.map((j) => j.metadata.name),
      [],
      'hook-succeeded Jobs are deleted',
    );
    const deployments = await client.list('apps/v1', 'Deployment', { namespace: 'ingress' });
    assert.deepEqual(
      deployments.map((d) => d.metadata.name),
      ['ingress-chart-ingress-nginx-controller'],
    );
    const webhooks = await client.list('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration');
    assert.ok(webhooks.some((w) => w.metadata.name === 'ingress-chart-ingress-nginx-admission'));
    const inventory = await listInventory(fx.store.db, 'ing');
    assert.ok(
      inventory.every((e) => e.kind !== 'Job'),
      'hooks are not in the inventory',
    );
    assert.ok(inventory.some((e) => e.kind === 'ValidatingWebhookConfiguration'));
  });

  it('upgrades on a changed value: pre-upgrade and post-upgrade hooks run again', async () => {
    await fx.engine.applyChange(TESTER, 'ing', {
      kind: 'override',
      pack: 'ingress-chart',
      values: 'controller:\n  replicaCount: 2\n',
    });
    await waitForCluster(
      fx,
      'ing',
      (c) => converged(c) && c.generation === c.status.observedGeneration,
      'upgraded',
      90_000,
    );
    const events = (await eventsOf(fx, 'ing')).map((e) => `${e.reason}: ${e.message}`);
    assert.ok(
      events.some((e) => /^HooksSucceeded: ingress-chart: pre-upgrade hooks succeeded/.test(e)),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) => /^HooksSucceeded: ingress-chart: post-upgrade hooks succeeded/.test(e)),
      events.join('\n'),
    );
    const [deployment] = await client.list('apps/v1', 'Deployment', { namespace: 'ingress' });
    assert.equal((deployment!.spec as { replicas: number }).replicas, 2);
  });
});
