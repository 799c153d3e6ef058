/**
 * DESIGN section 8, steps 1–6, literally, as a user types them (step 7, the negative paths, is in
 * negative-paths.test.ts): `strata up` runs as a child process on a temporary STRATA_HOME and free ports; every
 * action is a `strata …` child process (STRATA_URL/STRATA_HOME) or the real kubectl 1.35 on the kubeconfig
 * `strata cluster kubeconfig` printed. Profile files are written here, as a user would write them.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { findKubectl, type KubectlSession, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import {
  checkedCli,
  eventually,
  PODS,
  podPrefix,
  podTable,
  profileFile,
  type StrataServer,
  startStrataServer,
} from './support.ts';

const NAME = 'cluster-update-deletion';

describe('e2e: the seed walkthrough (steps 1–6) with the strata CLI and kubectl against `strata up`', () => {
  let server: StrataServer;
  let kubectl: KubectlSession | undefined;
  let kubectlMissing: string | null = null;
  let helloPod = '';
  let helloContainer = '';

  before(async () => {
    // Simulated machines boot in 1 s instead of 5.
    server = await startStrataServer({ simBootMs: 1000 });
    const found = await findKubectl();
    kubectlMissing = 'missing' in found ? found.missing : null;
  });
  after(async () => {
    await kubectl?.cleanup();
    await server?.stop();
  });

  const { strata, refused, cluster } = checkedCli(() => server);
  const kube = async (args: string[]): Promise<string> => {
    const r = await kubectl!.run(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const needsKubectl = (t: TestContext) => requireOrSkip(t, 'kubectl', kubectlMissing);
  const writeProfile = async (file: string, text: string) => {
    const path = join(server.home, file);
    await writeFile(path, text);
    return path;
  };

  it('step 1: `strata profile create -f` makes hello-universe-aws 1.0.0 (API preset off) and 1.1.0 (on)', async () => {
    const v1 = await strata([
      'profile',
      'create',
      '-f',
      await writeProfile('v1.yaml', profileFile('1.0.0', false)),
    ]);
    assert.match(v1.stdout, /profile hello-universe-aws@1\.0\.0 created \(revision 1\)/);
    const v11 = await strata([
      'profile',
      'create',
      '-f',
      await writeProfile('v11.yaml', profileFile('1.1.0', true)),
    ]);
    assert.match(v11.stdout, /profile hello-universe-aws@1\.1\.0 created \(revision 1\)/);
    const list = (await strata(['profile', 'list'])).stdout;
    assert.match(list, /hello-universe-aws\s+1\.0\.0\s+1\s+full\s+sim\s+.*hello-universe@1\.2\.0$/m);
    assert.match(
      list,
      /hello-universe-aws\s+1\.1\.0\s+1\s+full\s+sim\s+.*hello-universe@1\.2\.0 \[enable-api\]$/m,
    );
  });

  it('step 2: `strata cluster create --wait` shows Provisioning, then Running', async () => {
    const r = await strata(['cluster', 'create', NAME, '--profile', 'hello-universe-aws@1.0.0', '--wait']);
    assert.match(r.stdout, new RegExp(`cluster ${NAME} created`));
    assert.match(r.stdout, new RegExp(`${NAME}: phase Provisioning`));
    assert.match(r.stdout, new RegExp(`${NAME} is Running at generation 1\\.`));
    assert.ok(
      r.stdout.indexOf('phase Provisioning') < r.stdout.indexOf('phase Running'),
      'Provisioning comes before Running',
    );
    const c = await cluster(NAME);
    assert.equal(c.status.phase, 'Running');
    assert.equal(c.status.conditions.find((x) => x.type === 'Ready')?.status, 'True');
  });

  it('step 3: the admin kubeconfig and kubectl show one hello-universe-deployment pod with a containerd ID', async (t) => {
    const config = (await strata(['cluster', 'kubeconfig', NAME])).stdout;
    assert.match(config, new RegExp(`server: ${server.kubeUrl}/clusters/${NAME}`));
    if (!needsKubectl(t)) return;
    const found = await findKubectl();
    kubectl = await kubectlSession((found as { path: string }).path, config);
    const pods = podTable(await kube(PODS));
    assert.equal(pods.size, 1, [...pods.keys()].join(', '));
    const [name, id] = [...pods][0]!;
    assert.match(name, /^hello-universe-deployment-[a-z0-9]+-[a-z0-9]{5}$/);
    assert.match(id, /^containerd:\/\/[0-9a-f]{64}$/);
    helloPod = name;
    helloContainer = id;
  });

  it('step 4: plan → update to 1.1.0 without a repave; api/postgres/ui run beside the old pod, same container ID', async (t) => {
    if (!needsKubectl(t)) return;
    const plan = await strata(['cluster', 'plan', NAME, '--profile', 'hello-universe-aws@1.1.0']);
    assert.match(
      plan.stdout,
      /hello-universe-aws@1\.0\.0 \(revision 1\) → hello-universe-aws@1\.1\.0 \(revision 1\)/,
    );
    assert.match(plan.stdout, /presets enabled: enable-api/);
    assert.match(plan.stdout, /none — no node is replaced/);
    assert.match(
      plan.stdout,
      /unused \(kept; prune to delete\) \(2\):\n\s+Deployment hello-universe\/hello-universe-deployment\n\s+Service hello-universe\/hello-universe-service/,
    );
    assert.match(plan.stdout, /The plan can be applied\./);
    // The plan changed nothing.
    assert.equal((await cluster(NAME)).status.appliedProfiles[0]?.version, '1.0.0');

    const update = await strata([
      'cluster',
      'update',
      NAME,
      '--profile',
      'hello-universe-aws@1.1.0',
      '--yes',
      '--wait',
    ]);
    assert.match(update.stdout, new RegExp(`${NAME} is Running at generation 2\\.`));
    assert.doesNotMatch(update.stdout, /repave pending/);
    const c = await cluster(NAME);
    assert.equal(c.status.repave.state, 'None');

    // Pods start a moment after the update is reported: wait for the three new ones.
    const pods = await eventually('api, postgres and ui pods with container IDs', async () => {
      const table = podTable(await kube(PODS));
      const prefixes = [...table.keys()].map(podPrefix).sort().join(',');
      const started = [...table.values()].every((id) => id.startsWith('containerd://'));
      return prefixes === 'api,hello-universe-deployment,postgres,ui' && started ? table : undefined;
    });
    assert.equal(pods.get(helloPod), helloContainer, 'the old pod is untouched: same container ID');
    const objects = await kube(['get', 'deployments,services', '-n', 'hello-universe', '-o', 'name']);
    for (const o of [
      'deployment.apps/api',
      'deployment.apps/postgres',
      'deployment.apps/ui',
      'service/api',
      'service/postgres',
      'service/ui',
      'service/hello-universe-service',
    ]) {
      assert.match(objects, new RegExp(`^${o}$`, 'm'));
    }
  });

  it('step 5: `kubectl scale --replicas=0` is not undone by Strata; `strata cluster prune` removes the old objects', async (t) => {
    if (!needsKubectl(t)) return;
    const scaled = await kube([
      'scale',
      'deployment',
      'hello-universe-deployment',
      '--replicas=0',
      '-n',
      'hello-universe',
    ]);
    assert.match(scaled, /deployment\.apps\/hello-universe-deployment scaled/);
    // A marker that a reconcile ran after the scale: a managed deployment scaled by hand is put back (drift
    // restored), while the unused one keeps the user's zero.
    await kube(['scale', 'deployment', 'ui', '--replicas=0', '-n', 'hello-universe']);
    await eventually('Strata restores the managed ui deployment', async () =>
      (await kube(['get', 'deployment', 'ui', '-n', 'hello-universe', '-o', 'jsonpath={.spec.replicas}'])) ===
      '1'
        ? true
        : undefined,
    );
    await eventually('the cluster is Running again after the drift repair', async () =>
      (await cluster(NAME)).status.phase === 'Running' ? true : undefined,
    );
    const replicas = await kube([
      'get',
      'deployment',
      'hello-universe-deployment',
      '-n',
      'hello-universe',
      '-o',
      'jsonpath={.spec.replicas}',
    ]);
    assert.equal(replicas, '0', 'Strata does not scale the unused deployment back');
    const pods = podTable(await kube(PODS));
    assert.ok(![...pods.keys()].some((p) => p.startsWith('hello-universe-deployment-')), 'its pod is gone');

    // Without --yes and without a terminal, prune refuses rather than delete unasked.
    const unasked = await refused(['cluster', 'prune', NAME], 'BadRequest');
    assert.match(unasked.stdout, /Unused objects to delete \(2\)/);
    const dry = await strata(['cluster', 'prune', NAME, '--dry-run']);
    assert.match(
      dry.stdout,
      /Would delete 2 unused object\(s\):\n\s+Deployment hello-universe\/hello-universe-deployment\n\s+Service hello-universe\/hello-universe-service/,
    );
    await kube(['get', 'deployment', 'hello-universe-deployment', '-n', 'hello-universe']);
    const pruned = await strata(['cluster', 'prune', NAME, '--yes']);
    assert.match(pruned.stdout, /Deleted 2 object\(s\)\./);
    const gone = await kubectl!.run([
      'get',
      'deployment',
      'hello-universe-deployment',
      '-n',
      'hello-universe',
    ]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);
    assert.match((await strata(['cluster', 'prune', NAME, '--dry-run'])).stdout, /Nothing to prune\./);
  });

  it('step 6: `strata cluster get` shows 1.1.0 applied; `strata cluster workloads` lists pods by namespace', async (t) => {
    if (!needsKubectl(t)) return;
    const details = (await strata(['cluster', 'get', NAME])).stdout;
    assert.match(details, /^Phase:\s+Running$/m);
    assert.match(details, /^Applied:\s+hello-universe-aws@1\.1\.0#1$/m);
    assert.match(details, /^Repave:\s+None$/m);
    assert.match(details, /^UnusedResources\s+False/m);
    const workloads = (await strata(['cluster', 'workloads', NAME])).stdout;
    const hello = workloads
      .split('\n')
      .filter((l) => l.startsWith('hello-universe '))
      .map((l) => l.split(/\s+/));
    assert.deepEqual(hello.map((cells) => podPrefix(cells[1]!)).sort(), ['api', 'postgres', 'ui']);
    assert.ok(hello.every((cells) => cells[5]?.startsWith('containerd://')));
    assert.match(workloads, /^kube-system\s+calico-node-/m);
    const listed = (await strata(['cluster', 'list'])).stdout;
    assert.match(
      listed,
      new RegExp(`^${NAME}\\s+Running\\s+Healthy\\s+hello-universe-aws@1\\.1\\.0#1\\s+1\\.30\\.10`, 'm'),
    );
  });
});
