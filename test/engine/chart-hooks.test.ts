/**
 * An upstream chart with Helm hooks through the engine, on a simulated cluster: ingress-nginx 4.15.1 (unmodified)
 * installs with its admission-webhook hooks — ServiceAccount, RBAC and the certgen Job before the objects
 * (pre-install), the patch Job after (post-install), each deleted on success as their hook-delete-policy says —
 * and an upgrade (a changed value) runs the pre-upgrade and post-upgrade hooks. Hooks never enter the inventory.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/client.ts';
import { addPackFromSource } from '../../src/registry/intake.ts';
import { writeArchive } from '../../src/render/archive.ts';
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
        /^HooksSucceeded: ingress-chart: pre-install hooks succeeded .*Job ingress\/ingress-chart-ingress-nginx-admission-create/.test(
          e,
        ),
      ),
      events.join('\n'),
    );
    assert.ok(
      events.some((e) =>
        /^HooksSucceeded: ingress-chart: post-install hooks succeeded .*Job ingress\/ingress-chart-ingress-nginx-admission-patch/.test(
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

  it('stops at a failing hook Job with its message, holds the objects, and recovers on a new render', async () => {
    const hookDemo = await readArchiveOfFolder(
      new URL('../fixtures/charts/hook-demo/', import.meta.url).pathname,
    );
    await addPackFromSource(
      { store: fx.store, catalog: fx.catalog, renderer: fx.running.ctx.renderer },
      TESTER,
      { type: 'chart-archive', archive: hookDemo },
      {},
    );
    await createProfile(fx, {
      name: 'hooked',
      version: '1.0.0',
      type: 'full',
      cloudType: 'sim',
      layers: [...infraLayers(), { pack: 'hook-demo', version: '1.0.0', values: 'hook:\n  fail: true\n' }],
    } as never);
    await fx.engine.createCluster(TESTER, { name: 'hooked', profiles: ['hooked@1.0.0'] });
    const failed = await waitForCluster(
      fx,
      'hooked',
      (c) => c.status.conditions.some((x) => x.type === 'AddonsApplied' && x.reason === 'HookFailed'),
      'HookFailed',
      60_000,
    );
    const condition = failed.status.conditions.find((x) => x.type === 'AddonsApplied')!;
    assert.match(
      condition.message,
      /hook-demo: pre-install hook Job hook-demo\/hook-demo-migrate failed: BackoffLimitExceeded/,
    );
    const hookedClient = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('hooked', 'admin'));
    const held = await hookedClient.list('apps/v1', 'Deployment', { namespace: 'hook-demo' });
    assert.deepEqual(held, [], "the layer's objects wait for its pre-install hooks");
    // A new render (the value fixed) starts the release over, and it goes through.
    await fx.engine.applyChange(TESTER, 'hooked', {
      kind: 'override',
      pack: 'hook-demo',
      values: 'hook:\n  fail: false\n',
    });
    await waitForCluster(fx, 'hooked', converged, 'Running', 60_000);
    const running = await hookedClient.list('apps/v1', 'Deployment', { namespace: 'hook-demo' });
    assert.deepEqual(
      running.map((d) => d.metadata.name),
      ['hook-demo'],
    );
  });
});

/** Returns a chart folder packed as `helm package` would (the chart's folder at the archive's top). */
async function readArchiveOfFolder(dir: string): Promise<Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string, prefix: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(at, entry.name), `${prefix}${entry.name}/`);
      else files.set(`hook-demo/${prefix}${entry.name}`, readFileSync(join(at, entry.name)));
    }
  };
  walk(dir, '');
  return writeArchive(files);
}
