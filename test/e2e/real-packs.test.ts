/**
 * Bring your own chart, as a new user would from the README: upstream podinfo pushed with `helm push` to a real
 * OCI registry, added as a pack, three clusters running it, an override on one, the profile moved to the next
 * chart version, the object-level plan, a canary rollout, and the real kubectl showing the result — then the same
 * from an HTTP chart repository and for a kustomize layer, a schema violation refused, bad sources refused, and
 * the registry stopped while clusters still reconcile and roll (the content is in Strata's store).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { findKubectl, type KubectlSession, kubectlSession } from '../support/kubectl.ts';
import {
  type ChartRepository,
  type OciRegistry,
  registryUnavailableReason,
  startChartRepository,
  startOciRegistry,
} from '../support/registries.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { checkedCli, type StrataServer, startStrataServer } from './support.ts';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const chart = (file: string) => join(fixtures, 'charts', file);

function profile(name: string, version: string, layer: string): string {
  return [
    `name: ${name}`,
    `version: ${version}`,
    'type: full',
    'cloudType: sim',
    'layers:',
    '  - pack: ubuntu',
    '    version: 22.4.5',
    '  - pack: kubernetes',
    '    version: 1.30.10',
    '  - pack: calico',
    '    version: 3.28.2',
    layer,
    '',
  ].join('\n');
}

describe('e2e: bring your own chart (OCI, HTTP repository, kustomize) through every workflow', () => {
  let server: StrataServer;
  let registry: OciRegistry | undefined;
  let repo: ChartRepository | undefined;
  let missing: string | null = null;
  let kubectlPath: string | undefined;
  const sessions: KubectlSession[] = [];

  before(async () => {
    missing = await registryUnavailableReason();
    const found = await findKubectl();
    if ('missing' in found) missing ??= found.missing;
    else kubectlPath = found.path;
    server = await startStrataServer({ simBootMs: 300 });
    if (missing) return;
    registry = await startOciRegistry();
    await registry.push(chart('podinfo-6.11.2.tgz'));
    await registry.push(chart('podinfo-6.14.1.tgz'));
    repo = await startChartRepository([chart('podinfo-6.11.2.tgz'), chart('podinfo-6.14.1.tgz')]);
  });
  after(async () => {
    for (const s of sessions) await s.cleanup();
    await registry?.remove();
    await repo?.close();
    await server?.stop();
  });

  const { strata, refused, cluster } = checkedCli(() => server);
  const ready = (t: TestContext) => requireOrSkip(t, 'docker-registry and kubectl', missing);
  const file = async (name: string, text: string) => {
    const path = join(server.home, name);
    await writeFile(path, text);
    return path;
  };
  const kubectl = async (clusterName: string, args: string[]): Promise<string> => {
    const kubeconfig = (await strata(['cluster', 'kubeconfig', clusterName])).stdout;
    const session = await kubectlSession(kubectlPath!, kubeconfig);
    sessions.push(session);
    const r = await session.run(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} on ${clusterName}: ${r.stderr}`);
    return r.stdout;
  };
  const podinfo = async (clusterName: string, namespace = 'podinfo', deployment = 'podinfo') =>
    (
      await kubectl(clusterName, [
        'get',
        'deploy',
        deployment,
        '-n',
        namespace,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image} {.spec.replicas}',
      ])
    ).trim();

  it('lists and adds podinfo from the OCI registry, pinned by digest, with its values and README', async (t) => {
    if (!ready(t)) return;
    const oci = `oci://${registry!.host}/charts/podinfo`;
    const versions = await strata(['pack', 'versions', oci, '--plain-http']);
    assert.deepEqual(versions.stdout.trim().split('\n'), ['6.14.1', '6.11.2']);
    const added = await strata(['pack', 'add', oci, '--version', '6.11.2', '--plain-http']);
    assert.match(
      added.stdout,
      /pack podinfo@6\.11\.2 added \(helm, oci:\/\/127\.0\.0\.1:\d+\/charts\/podinfo\)/,
    );
    assert.match(added.stdout, /digest sha256:[0-9a-f]{64}/);
    await strata(['pack', 'add', oci, '--version', '6.14.1', '--plain-http']);
    const list = await strata(['pack', 'list']);
    assert.match(list.stdout, /podinfo\s+6\.11\.2\s+addon\s+helm\s+oci:\/\//);
    const show = await strata(['pack', 'show', 'podinfo@6.11.2']);
    assert.match(show.stdout, /# Default values for podinfo\./, 'the values keep their comments');
    assert.match(show.stdout, /README:/);
  });

  it('runs podinfo 6.11.2 on three clusters, one with replicaCount: 3 as its own override', async (t) => {
    if (!ready(t)) return;
    const layer = (v: string) => `  - pack: podinfo\n    version: ${v}`;
    await strata([
      'profile',
      'create',
      '-f',
      await file('p1.yaml', profile('podinfo-fleet', '1.0.0', layer('6.11.2'))),
    ]);
    await strata([
      'profile',
      'create',
      '-f',
      await file('p2.yaml', profile('podinfo-fleet', '1.1.0', layer('6.14.1'))),
    ]);
    await Promise.all(
      ['pod-a', 'pod-b', 'pod-c'].map((c) =>
        strata(['cluster', 'create', c, '--profile', 'podinfo-fleet@1.0.0', '--wait']),
      ),
    );
    const override = await strata([
      'cluster',
      'override',
      'pod-a',
      '--layer',
      'podinfo',
      '-f',
      await file('ov.yaml', 'replicaCount: 3\n'),
      '--yes',
      '--wait',
    ]);
    assert.match(override.stdout + override.stderr, /~ replicaCount: 1 → 3/);
    assert.doesNotMatch(
      override.stdout + override.stderr,
      /more value paths/,
      'only the changed value is shown',
    );
    assert.equal(await podinfo('pod-a'), 'ghcr.io/stefanprodan/podinfo:6.11.2 3');
    assert.equal(await podinfo('pod-b'), 'ghcr.io/stefanprodan/podinfo:6.11.2 1');
  });

  it('plans the move to 6.14.1 object by object, keeping the override', async (t) => {
    if (!ready(t)) return;
    const plan = (await strata(['cluster', 'plan', 'pod-a', '--profile', 'podinfo-fleet@1.1.0'])).stdout;
    assert.match(plan, /\[addon\] podinfo: upgraded 6\.11\.2 → 6\.14\.1 \(cluster override kept\)/);
    assert.match(plan, /~ image\.tag: "6\.11\.2" → "6\.14\.1"/, 'changed chart defaults are shown');
    assert.match(
      plan,
      /Deployment podinfo\/podinfo\n(\s+~ .*\n)*\s+~ spec\.template\.spec\.containers\[name=podinfo\]\.image/,
    );
    assert.match(plan, /none — no node is replaced/);
  });

  it('rolls 6.14.1 to all three with a canary; kubectl shows it everywhere, the override kept', async (t) => {
    if (!ready(t)) return;
    const r = await strata([
      'rollout',
      'start',
      '--from',
      'podinfo-fleet@1.0.0',
      '--to',
      'podinfo-fleet@1.1.0',
      '--canary',
      '1',
      '--soak',
      '1s',
      '--yes',
      '--wait',
    ]);
    assert.match(r.stdout + r.stderr, /Completed/);
    assert.equal(await podinfo('pod-a'), 'ghcr.io/stefanprodan/podinfo:6.14.1 3');
    assert.equal(await podinfo('pod-b'), 'ghcr.io/stefanprodan/podinfo:6.14.1 1');
    assert.equal(await podinfo('pod-c'), 'ghcr.io/stefanprodan/podinfo:6.14.1 1');
    assert.equal((await cluster('pod-a')).status.phase, 'Running');
  });

  it("repairs a chart's Deployment deleted out of band", async (t) => {
    if (!ready(t)) return;
    await kubectl('pod-b', ['delete', 'deploy', 'podinfo', '-n', 'podinfo']);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const kubeconfig = (await strata(['cluster', 'kubeconfig', 'pod-b'])).stdout;
      const session = await kubectlSession(kubectlPath!, kubeconfig);
      sessions.push(session);
      const got = await session.run(['get', 'deploy', 'podinfo', '-n', 'podinfo', '-o', 'name']);
      if (got.code === 0) break;
      assert.ok(Date.now() < deadline, 'the deleted Deployment came back within 90 s');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  it('adds the same chart from an HTTP chart repository and runs it', async (t) => {
    if (!ready(t)) return;
    const versions = await strata(['pack', 'versions', 'podinfo', '--repo', repo!.url]);
    assert.deepEqual(versions.stdout.trim().split('\n'), ['6.14.1', '6.11.2']);
    const added = await strata([
      'pack',
      'add',
      'podinfo',
      '--repo',
      repo!.url,
      '--version',
      '6.11.2',
      '--name',
      'podinfo-http',
    ]);
    assert.match(
      added.stdout,
      /pack podinfo-http@6\.11\.2 added \(helm, http:\/\/127\.0\.0\.1:\d+\/charts\/\)/,
    );
    assert.ok(repo!.requests.includes('/charts/podinfo-6.11.2.tgz'), 'the archive came from the repository');
    await strata([
      'profile',
      'create',
      '-f',
      await file(
        'http.yaml',
        profile('podinfo-http', '1.0.0', '  - pack: podinfo-http\n    version: 6.11.2\n    namespace: web'),
      ),
    ]);
    await strata(['cluster', 'create', 'http-a', '--profile', 'podinfo-http@1.0.0', '--wait']);
    // The release is named after the layer's pack, as `helm install podinfo-http` would name it.
    assert.equal(await podinfo('http-a', 'web', 'podinfo-http'), 'ghcr.io/stefanprodan/podinfo:6.11.2 1');
  });

  it('runs a kustomize base as a layer, its values an overlay; an override sets the replicas', async (t) => {
    if (!ready(t)) return;
    await strata([
      'pack',
      'import',
      join(fixtures, 'kustomize', 'podinfo'),
      '--name',
      'podinfo-k',
      '--version',
      '6.14.1',
    ]);
    await strata([
      'pack',
      'import',
      join(fixtures, 'kustomize', 'podinfo-pinned'),
      '--name',
      'podinfo-k',
      '--version',
      '6.14.2',
    ]);
    const layer = (v: string) => `  - pack: podinfo-k\n    version: ${v}`;
    await strata([
      'profile',
      'create',
      '-f',
      await file('k1.yaml', profile('podinfo-k', '1.0.0', layer('6.14.1'))),
    ]);
    await strata([
      'profile',
      'create',
      '-f',
      await file('k2.yaml', profile('podinfo-k', '1.1.0', layer('6.14.2'))),
    ]);
    await strata(['cluster', 'create', 'kust-a', '--profile', 'podinfo-k@1.0.0', '--wait']);
    assert.equal(await podinfo('kust-a', 'podinfo-k'), 'ghcr.io/stefanprodan/podinfo:6.14.1 2');
    await strata([
      'cluster',
      'override',
      'kust-a',
      '--layer',
      'podinfo-k',
      '-f',
      await file('kov.yaml', 'replicas:\n  - name: podinfo\n    count: 3\n'),
      '--yes',
      '--wait',
    ]);
    assert.equal(await podinfo('kust-a', 'podinfo-k'), 'ghcr.io/stefanprodan/podinfo:6.14.1 3');
    await strata(['cluster', 'update', 'kust-a', '--profile', 'podinfo-k@1.1.0', '--yes', '--wait']);
    assert.equal(
      await podinfo('kust-a', 'podinfo-k'),
      'ghcr.io/stefanprodan/podinfo:6.11.2 3',
      'the override survives the upgrade',
    );
  });

  it("refuses values against a chart's values.schema.json, path-precisely, storing nothing", async (t) => {
    if (!ready(t)) return;
    await strata(['pack', 'import', chart('schema-demo')]);
    const bad = profile(
      'schema-demo',
      '1.0.0',
      '  - pack: schema-demo\n    version: 1.0.0\n    values: |\n      replicaCount: many\n      service:\n        port: 8080',
    );
    const r = await refused(
      ['profile', 'create', '-f', await file('schema-bad.yaml', bad)],
      'ValuesSchemaViolation',
    );
    assert.match(
      r.stderr,
      /layers\[3\]\.values of pack schema-demo@1\.0\.0 do not match its values\.schema\.json: replicaCount: /,
    );
    await refused(['profile', 'get', 'schema-demo@1.0.0'], 'NotFound');
    const good = profile('schema-demo', '1.0.0', '  - pack: schema-demo\n    version: 1.0.0');
    await strata(['profile', 'create', '-f', await file('schema-good.yaml', good)]);
    await strata(['cluster', 'create', 'schema-a', '--profile', 'schema-demo@1.0.0', '--wait']);
    const o = await refused(
      [
        'cluster',
        'override',
        'schema-a',
        '--layer',
        'schema-demo',
        '-f',
        await file('sov.yaml', 'service:\n  port: 70000\n'),
        '--yes',
      ],
      'ValuesSchemaViolation',
    );
    assert.match(o.stderr, /service\.port: /);
  });

  it('refuses bad sources with a code and the upstream text; nothing is stored', async (t) => {
    if (!ready(t)) return;
    const oci = `oci://${registry!.host}/charts/podinfo`;
    await refused(['pack', 'add', oci, '--version', '9.9.9', '--plain-http'], 'ChartNotFound');
    await refused(
      ['pack', 'add', 'oci://127.0.0.1:1/charts/podinfo', '--version', '6.11.2', '--plain-http'],
      'RegistryUnreachable',
    );
    await refused(['pack', 'add', oci, '--version', '6.11.2'], 'RegistryTlsFailed');
    await refused(['pack', 'add', 'nope', '--repo', repo!.url, '--version', '1.0.0'], 'ChartNotFound');
    await refused(['pack', 'add', 'podinfo', '--repo', repo!.url, '--version', '6.11.2'], 'AlreadyExists');
    const corrupt = await file('corrupt.tgz', 'this is not a gzipped tar');
    await refused(['pack', 'import', corrupt], 'PackInvalid');
    const notObjects = await file('list.yaml', '- just\n- a list\n');
    await refused(['pack', 'import', notObjects, '--name', 'junk', '--version', '1.0.0'], 'PackInvalid');
    const noVersion = await file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    await refused(['pack', 'import', noVersion, '--name', 'junk'], 'ValidationFailed');
    const list = (await strata(['pack', 'list'])).stdout;
    assert.doesNotMatch(list, /junk|nope/);
  });

  it('keeps reconciling and rolling with the registry stopped: the content is in the store', async (t) => {
    if (!ready(t)) return;
    await registry!.stop();
    await strata(['cluster', 'create', 'offline-a', '--profile', 'podinfo-fleet@1.0.0', '--wait']);
    await strata(['cluster', 'update', 'offline-a', '--profile', 'podinfo-fleet@1.1.0', '--yes', '--wait']);
    assert.equal(await podinfo('offline-a'), 'ghcr.io/stefanprodan/podinfo:6.14.1 1');
    await registry!.start();
  });
});
