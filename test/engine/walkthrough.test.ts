/**
 * The seed walkthrough (DESIGN section 8, steps 1–6) through the engine against a simulated cluster, with the
 * real kubectl on the cluster's admin kubeconfig: create from 1.0.0, switch to 1.1.0 (API preset on) without a
 * repave, the old `hello-universe-deployment` kept as unused with the same container ID, scaled to zero by
 * kubectl and not scaled back, then removed by Strata's prune; the cluster shows 1.1.0 applied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { requestReconcile } from '../../src/engine/work.ts';
import { getOperation } from '../../src/store/queue.ts';
import { findKubectl, type KubectlSession, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import {
  converged,
  createProfile,
  type EngineFixture,
  eventsOf,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

const NAME = 'cluster-update-deletion';
const PODS = [
  'get',
  'pods',
  '-n',
  'hello-universe',
  '-o',
  'custom-columns=NAME:.metadata.name,ID:.status.containerStatuses[0].containerID',
  '--no-headers',
];

/** Parses `kubectl get pods -o custom-columns=NAME,ID --no-headers` into name → container ID. */
function podTable(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/) as [string, string]),
  );
}

describe('the seed walkthrough through the engine', () => {
  let fx: EngineFixture;
  let kubectl: KubectlSession | undefined;
  let missing: string | null = null;
  let helloPod = '';
  let helloContainer = '';

  before(async () => {
    fx = await startEngineFixture();
    const found = await findKubectl();
    missing = 'missing' in found ? found.missing : null;
    // Step 1: the profile at 1.0.0 (API preset off) and 1.1.0 (on).
    await createProfile(fx, helloProfile('1.0.0', false));
    await createProfile(fx, helloProfile('1.1.0', true));
  });
  after(async () => {
    await kubectl?.cleanup();
    await fx?.close();
  });

  const run = async (t: TestContext, args: string[]) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return null;
    const r = await kubectl!.run(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  it('step 2: creates the cluster from 1.0.0; it is Provisioning, then Running', async () => {
    await fx.engine.createCluster(TESTER, { name: NAME, profiles: ['hello-universe-aws@1.0.0'] });
    await waitForCluster(fx, NAME, (c) => c.status.phase === 'Provisioning', 'Provisioning');
    const running = await waitForCluster(fx, NAME, converged, 'Running');
    assert.equal(running.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('step 3: the admin kubeconfig shows one hello-universe-deployment pod with a containerd ID', async (t) => {
    const found = await findKubectl();
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    kubectl = await kubectlSession(
      (found as { path: string }).path,
      await fx.engine.kubeconfig(NAME, 'admin'),
    );
    const pods = podTable((await run(t, PODS))!);
    assert.equal(pods.size, 1);
    const [name, id] = [...pods][0]!;
    assert.match(name, /^hello-universe-deployment-[a-z0-9]+-[a-z0-9]{5}$/);
    assert.match(id, /^containerd:\/\/[0-9a-f]{64}$/);
    helloPod = name;
    helloContainer = id;
  });

  it('step 4: switching to 1.1.0 plans no repave, keeps the old deployment as unused with the same container ID', async (t) => {
    const plan = await fx.engine.planChange(NAME, {
      kind: 'profiles',
      profiles: ['hello-universe-aws@1.1.0'],
    });
    assert.equal(plan.plan.applicable, true);
    assert.equal(plan.plan.repave.required, false);
    assert.deepEqual(plan.plan.objects.unused.map((r) => `${r.kind}/${r.name}`).sort(), [
      'Deployment/hello-universe-deployment',
      'Service/hello-universe-service',
    ]);
    const layer = plan.layers.find((l) => l.pack === 'hello-universe');
    assert.ok(layer?.pending?.includes('api'), 'the editor shows the pending values with the API section');
    await fx.engine.applyChange(
      TESTER,
      NAME,
      { kind: 'profiles', profiles: ['hello-universe-aws@1.1.0'] },
      { expectedResourceVersion: plan.resourceVersion },
    );
    const updated = await waitForCluster(
      fx,
      NAME,
      (c) => converged(c) && c.status.appliedProfiles[0]?.version === '1.1.0',
      '1.1.0 applied',
    );
    assert.equal(updated.status.repave.state, 'None');
    const unused = updated.status.conditions.find((c) => c.type === 'UnusedResources');
    assert.equal(unused?.status, 'True');
    assert.match(unused?.message ?? '', /hello-universe-deployment/);

    if (!requireOrSkip(t, 'kubectl', missing)) return;
    // Pods start a few milliseconds after the update is applied and healthy (available replicas count them).
    const pods = podTable((await run(t, PODS))!);
    const prefixes = [...pods.keys()].map((n) => n.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '')).sort();
    assert.deepEqual(prefixes, ['api', 'hello-universe-deployment', 'postgres', 'ui']);
    assert.equal(pods.get(helloPod), helloContainer, 'the unused pod keeps its container ID');
  });

  it('step 5: kubectl scale to zero works and Strata does not scale it back; prune removes it', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await run(t, [
      'scale',
      'deployment',
      'hello-universe-deployment',
      '--replicas=0',
      '-n',
      'hello-universe',
    ]);
    // A full reconcile (drift check included) after the scale.
    const [op] = await requestReconcile(fx.store.db, [NAME], 'test');
    const end = Date.now() + 10_000;
    while ((await getOperation(fx.store.db, op!.id))?.state !== 'done') {
      assert.ok(Date.now() < end, 'the reconcile finishes');
      await new Promise((r) => setTimeout(r, 20));
    }
    const replicas = await run(t, [
      'get',
      'deployment',
      'hello-universe-deployment',
      '-n',
      'hello-universe',
      '-o',
      'jsonpath={.spec.replicas}',
    ]);
    assert.equal(replicas, '0');
    const cluster = await waitForCluster(fx, NAME, converged, 'Running');
    assert.equal(cluster.status.conditions.find((c) => c.type === 'Drifted')?.status, 'False');

    const preview = await fx.engine.prune(TESTER, NAME, { dryRun: true, force: false });
    assert.equal(preview.refused, false);
    assert.deepEqual(preview.objects.map((o) => `${o.kind}/${o.name}`).sort(), [
      'Deployment/hello-universe-deployment',
      'Service/hello-universe-service',
    ]);
    await fx.engine.prune(TESTER, NAME, { dryRun: false, force: false });
    await waitForCluster(
      fx,
      NAME,
      (c) =>
        converged(c) && c.status.conditions.find((x) => x.type === 'UnusedResources')?.status === 'False',
      'pruned',
    );
    const gone = await kubectl!.run([
      'get',
      'deployment',
      'hello-universe-deployment',
      '-n',
      'hello-universe',
    ]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);
    assert.ok((await eventsOf(fx, NAME)).some((e) => e.reason === 'Pruned'));
  });

  it('step 6: the cluster shows 1.1.0 applied and the workloads view lists pods by namespace', async () => {
    const profiles = await fx.engine.attachedProfiles(NAME);
    assert.deepEqual(
      profiles.map((p) => `${p.name}@${p.version}#${p.revision}`),
      ['hello-universe-aws@1.1.0#1'],
    );
    const view = await fx.engine.workloads(NAME);
    const hello = view.namespaces.find((n) => n.namespace === 'hello-universe');
    assert.ok(hello);
    assert.deepEqual(hello.pods.map((p) => p.name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '')).sort(), [
      'api',
      'postgres',
      'ui',
    ]);
    assert.ok(hello.pods.every((p) => p.containers[0]?.containerID?.startsWith('containerd://')));
    assert.deepEqual(hello.deployments.map((d) => d.name).sort(), ['api', 'postgres', 'ui']);
    assert.ok(hello.services.some((s) => s.name === 'ui' && s.type === 'LoadBalancer'));
  });
});
