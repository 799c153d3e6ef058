/**
 * The real helm (v4, pinned) against a simulated cluster, as a user types it with the cluster's admin kubeconfig:
 * `helm install` of ingress-nginx (its admission-webhook certgen Jobs run as pre-install/post-install hooks and
 * are deleted by their hook-delete-policy), `helm install`, `helm upgrade` and `helm test` of podinfo (the test
 * pods run to completion), and `helm uninstall` leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findHelm, findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { checkedKubectl, createReadyCluster, startFixture } from './sim-fixture.ts';

const CHARTS = new URL('../fixtures/charts/', import.meta.url).pathname;
const CLUSTER = 'charts';

describe('helm against a simulated cluster', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let helm: KubectlSession | undefined;
  let missing: string | null = null;

  before(async () => {
    const [k, h] = await Promise.all([findKubectl(), findHelm()]);
    if ('missing' in k || 'missing' in h) {
      missing = 'missing' in k ? k.missing : 'missing' in h ? h.missing : null;
      return;
    }
    fixture = await startFixture();
    await createReadyCluster(fixture.server, CLUSTER);
    const config = fixture.server.kubeconfig(CLUSTER, 'admin');
    kubectl = await kubectlSession(k.path, config);
    helm = await kubectlSession(h.path, config);
  });
  after(async () => {
    await kubectl?.cleanup();
    await helm?.cleanup();
    await fixture?.close();
  });
  const k = checkedKubectl(() => kubectl!);
  const h = async (args: string[]) => {
    const r = await helm!.run(args, { timeoutMs: 240_000 });
    assert.equal(r.code, 0, `helm ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };

  test('installs ingress-nginx: hook Jobs run and are deleted, the controller rolls out', async (t) => {
    if (!requireOrSkip(t, 'kubectl and helm', missing)) return;
    const watch = kubectl!.spawn([
      'get',
      'jobs',
      '-A',
      '-w',
      '-o',
      'custom-columns=NAME:.metadata.name,DONE:.status.conditions[*].type',
    ]);
    const out = await h([
      'install',
      'ingress',
      `${CHARTS}ingress-nginx-4.15.1.tgz`,
      '--namespace',
      'ingress-nginx',
      '--create-namespace',
      '--wait',
      '--timeout',
      '180s',
    ]);
    assert.match(out, /STATUS: deployed/);
    watch.stop();
    // Both certgen hooks ran to completion before helm went on (seen by a watch while helm installed).
    assert.match(watch.output(), /ingress-ingress-nginx-admission-create\s+SuccessCriteriaMet,Complete/);
    assert.match(watch.output(), /ingress-ingress-nginx-admission-patch\s+SuccessCriteriaMet,Complete/);
    assert.match(await h(['status', 'ingress', '-n', 'ingress-nginx']), /STATUS: deployed/);
    assert.match(
      await h(['list', '-n', 'ingress-nginx']),
      /ingress\s+ingress-nginx\s+1\s+.*deployed\s+ingress-nginx-4.15.1/,
    );
    // The certgen hook Jobs have hook-delete-policy before-hook-creation,hook-succeeded: gone once they succeeded.
    assert.equal((await k(['get', 'jobs', '-n', 'ingress-nginx', '-o', 'name'])).trim(), '');
    // The secret the create Job would write is not simulated, but the webhook configuration is stored.
    assert.match(
      await k(['get', 'validatingwebhookconfigurations']),
      /ingress-ingress-nginx-admission\s+1\s/,
    );
    assert.match(await k(['get', 'ingressclass']), /^nginx\s+k8s.io\/ingress-nginx\s+/m);
    assert.match(
      await k(['rollout', 'status', 'deployment/ingress-ingress-nginx-controller', '-n', 'ingress-nginx']),
      /successfully rolled out/,
    );
  });

  test('uninstalls ingress-nginx and leaves none of its objects', async (t) => {
    if (!requireOrSkip(t, 'kubectl and helm', missing)) return;
    assert.match(
      await h(['uninstall', 'ingress', '-n', 'ingress-nginx', '--wait']),
      /release "ingress" uninstalled/,
    );
    const left = await k([
      'get',
      'all,configmap,secret,role,rolebinding,serviceaccount',
      '-n',
      'ingress-nginx',
      '-o',
      'name',
    ]);
    assert.deepEqual(
      left
        .trim()
        .split('\n')
        .filter((l) => l && !/kube-root-ca|serviceaccount\/default/.test(l)),
      [],
    );
    assert.equal((await k(['get', 'validatingwebhookconfigurations', '-o', 'name'])).trim(), '');
    assert.equal((await k(['get', 'ingressclass', '-o', 'name'])).trim(), '');
    assert.doesNotMatch(await k(['get', 'clusterroles', '-o', 'name']), /ingress-nginx/);
  });

  test('installs podinfo, upgrades it, runs its helm tests to completion and uninstalls it', async (t) => {
    if (!requireOrSkip(t, 'kubectl and helm', missing)) return;
    await h([
      'install',
      'web',
      `${CHARTS}podinfo-6.11.2.tgz`,
      '-n',
      'podinfo',
      '--create-namespace',
      '--wait',
    ]);
    const up = await h([
      'upgrade',
      'web',
      `${CHARTS}podinfo-6.14.1.tgz`,
      '-n',
      'podinfo',
      '--set',
      'replicaCount=2',
      '--wait',
    ]);
    assert.match(up, /REVISION: 2/);
    assert.match(
      await k(['get', 'deployment', 'web-podinfo', '-n', 'podinfo']),
      /web-podinfo\s+2\/2\s+2\s+2/,
    );
    const history = await h(['history', 'web', '-n', 'podinfo']);
    assert.match(history, /1\s+.+superseded\s+podinfo-6.11.2/);
    assert.match(history, /2\s+.+deployed\s+podinfo-6.14.1/);
    const tested = await h(['test', 'web', '-n', 'podinfo', '--timeout', '120s']);
    assert.match(tested, /TEST SUITE:\s+web-podinfo-service-test-\w+/);
    assert.match(tested, /Phase:\s+Succeeded/);
    assert.doesNotMatch(tested, /Phase:\s+Failed/);
    await h(['uninstall', 'web', '-n', 'podinfo', '--wait']);
    assert.equal((await k(['get', 'all', '-n', 'podinfo', '-o', 'name'])).trim(), '');
  });
});
