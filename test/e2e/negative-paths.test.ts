/**
 * DESIGN section 8, step 7, as a user meets it: `strata up --demo` (child process, temporary STRATA_HOME, free
 * ports) sets up the seed's profile and cluster `cluster-update-deletion`; then only `strata …` and the real
 * kubectl. Each refusal exits 1 with its error code and changes nothing: an update while Provisioning
 * (ClusterNotUpdatable), a Kubernetes downgrade (K8sDowngradeNotSupported), an Edge CNI change
 * (EdgeCniChangeNotSupported). An OS change waits as a Pending repave until `strata cluster repave approve`, then
 * the nodes are new and the pods run with new container IDs.
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

describe('e2e: the walkthrough’s negative paths (step 7) against `strata up --demo`', () => {
  let server: StrataServer;
  let kubectl: KubectlSession | undefined;
  let kubectlMissing: string | null = null;

  before(async () => {
    // Machines boot in 4 s (not 5): a new cluster stays Provisioning (control plane, then workers: two boots)
    // longer than one CLI run takes on a busy machine, which step 7a relies on.
    server = await startStrataServer({ simBootMs: 4000, args: ['--demo'] });
    const found = await findKubectl();
    kubectlMissing = 'missing' in found ? found.missing : null;
    // The profile files the refusals below need, written and created up front (four `strata profile create -f`
    // at once: on a busy machine each CLI run costs seconds).
    const edge = { name: 'edge-hello', cloudType: 'edge' };
    await Promise.all([
      createProfile('v09.yaml', profileFile('0.9.0', false, { kubernetes: '1.29.14' })),
      createProfile('v2.yaml', profileFile('2.0.0', false, { ubuntu: '24.4.1' })),
      createProfile('e1.yaml', profileFile('1.0.0', false, edge)),
      createProfile('e11.yaml', profileFile('1.1.0', false, { ...edge, cni: ['flannel', '0.26.1'] })),
    ]);
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
  const createProfile = async (file: string, text: string) => {
    const path = join(server.home, file);
    await writeFile(path, text);
    return strata(['profile', 'create', '-f', path]);
  };

  it('`strata up --demo` made the seed’s profile versions and cluster', async () => {
    assert.match(server.log(), /demo: created profile hello-universe-aws@1\.0\.0/);
    assert.match(server.log(), /demo: created profile hello-universe-aws@1\.1\.0/);
    assert.match(server.log(), new RegExp(`demo: created cluster ${NAME}`));
    const list = (await strata(['profile', 'list'])).stdout;
    assert.match(
      list,
      /hello-universe-aws\s+1\.1\.0\s+1\s+full\s+sim\s+.*hello-universe@1\.2\.0 \[enable-api\]$/m,
    );
    assert.match(
      list,
      /^edge-hello\s+1\.1\.0\s+1\s+full\s+edge\s+ubuntu@22\.4\.5 kubernetes@1\.30\.10 flannel@0\.26\.1/m,
    );
  });

  it('step 7a: an update while the cluster is Provisioning is refused (ClusterNotUpdatable)', async () => {
    const created = await strata(['cluster', 'create', 'young', '--profile', 'hello-universe-aws@1.0.0']);
    assert.match(created.stdout, /cluster young created/);
    const r = await refused(
      ['cluster', 'update', 'young', '--profile', 'hello-universe-aws@1.1.0', '--yes'],
      'ClusterNotUpdatable',
    );
    assert.match(r.stderr, /is (Pending|Provisioning)/);
    assert.match(r.stdout, /The plan cannot be applied as it is\./);
    assert.equal((await cluster('young')).generation, 1, 'nothing was changed');
  });

  it('step 7b: a Kubernetes downgrade is refused (K8sDowngradeNotSupported)', async () => {
    await eventually(
      `${NAME} Running`,
      async () => ((await cluster(NAME)).status.phase === 'Running' ? true : undefined),
      180_000,
      1000,
    );
    const plan = await refused(
      ['cluster', 'plan', NAME, '--profile', 'hello-universe-aws@0.9.0'],
      'K8sDowngradeNotSupported',
    );
    assert.match(plan.stderr, /1\.30\.10 → 1\.29\.14/);
    await refused(
      ['cluster', 'update', NAME, '--profile', 'hello-universe-aws@0.9.0', '--yes'],
      'K8sDowngradeNotSupported',
    );
    assert.equal((await cluster(NAME)).generation, 1, 'nothing was changed');
  });

  it('step 7c: an Edge cluster cannot change its CNI (EdgeCniChangeNotSupported)', async () => {
    const created = await strata([
      'cluster',
      'create',
      'edge-1',
      '--profile',
      'edge-hello@1.0.0',
      '--cloud',
      'edge',
      '--workers',
      '1',
      '--wait',
    ]);
    assert.match(created.stdout, /edge-1 is Running at generation 1\./);
    const r = await refused(
      ['cluster', 'update', 'edge-1', '--profile', 'edge-hello@1.1.0', '--yes'],
      'EdgeCniChangeNotSupported',
    );
    assert.match(r.stderr, /calico → flannel/);
    assert.equal((await cluster('edge-1')).generation, 1, 'nothing was changed');
  });

  it('step 7d: an OS change waits as a Pending repave until approved, then nodes and containers are new', async (t) => {
    if (!needsKubectl(t)) return;
    const found = await findKubectl();
    kubectl = await kubectlSession(
      (found as { path: string }).path,
      (await strata(['cluster', 'kubeconfig', NAME])).stdout,
    );
    await refused(['cluster', 'repave', 'approve', NAME], 'RepaveNotPending');
    const plan = await strata(['cluster', 'plan', NAME, '--profile', 'hello-universe-aws@2.0.0']);
    assert.match(plan.stdout, /OS ubuntu@22\.4\.5 → ubuntu@24\.4\.1 replaces every node\. \[OsPackChanged\]/);
    const nodesBefore = await kube(['get', 'nodes', '-o', 'name']);
    const before = podTable(await kube(PODS));
    assert.deepEqual([...before.keys()].map(podPrefix), ['hello-universe-deployment']);

    const update = await strata([
      'cluster',
      'update',
      NAME,
      '--profile',
      'hello-universe-aws@2.0.0',
      '--yes',
      '--wait',
    ]);
    assert.match(
      update.stdout,
      new RegExp(
        `repave pending approval \\(OsPackChanged\\); approve with: strata cluster repave approve ${NAME}`,
      ),
    );
    assert.match(
      (await strata(['cluster', 'get', NAME])).stdout,
      /^Repave:\s+Pending — OS ubuntu@22\.4\.5 → ubuntu@24\.4\.1/m,
    );
    // Until approved, nothing on the nodes changes.
    assert.equal(await kube(['get', 'nodes', '-o', 'name']), nodesBefore);
    assert.deepEqual(podTable(await kube(PODS)), before);

    const approved = await strata(['cluster', 'repave', 'approve', NAME, '--yes', '--wait']);
    assert.match(approved.stdout, new RegExp(`repave of cluster ${NAME}: Approved`));
    assert.match(approved.stdout, new RegExp(`${NAME} is Running at generation \\d+\\.`));
    const done = await cluster(NAME);
    assert.equal(done.status.repave.state, 'None');
    assert.deepEqual(
      done.status.appliedProfiles.map((p) => `${p.name}@${p.version}`),
      ['hello-universe-aws@2.0.0'],
    );
    const nodes = await kube([
      'get',
      'nodes',
      '-o',
      'custom-columns=NAME:.metadata.name,OS:.status.nodeInfo.osImage',
      '--no-headers',
    ]);
    const lines = nodes.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.match(line, /Ubuntu 24\.04\.1 LTS$/);
      assert.ok(!nodesBefore.includes(line.split(/\s+/)[0]!), `${line} is a new node`);
    }
    const after = await eventually('the pod restarted on a new node', async () => {
      const table = podTable(await kube(PODS));
      return table.size === 1 && [...table.values()].every((id) => id.startsWith('containerd://'))
        ? table
        : undefined;
    });
    for (const id of after.values())
      assert.ok(![...before.values()].includes(id), `${id} is a new container`);
  });
});
