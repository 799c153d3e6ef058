/**
 * Crashing containers restart as the kubelet restarts them, seen through the real kubectl: a Deployment's pod
 * whose app exits (`sim.strata.dev/run-seconds`, `sim.strata.dev/exit-code`) restarts at once the first time, then
 * waits in CrashLoopBackOff (10 s, doubling), with `restartCount`, `lastState.terminated`, a `BackOff` Warning and
 * `kubectl logs --previous` showing the instance before. Time is moved by hand (a shifted wall clock, so kubectl's
 * ages agree with the server's).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, ShiftedClock, startFixture, waitFor } from './sim-fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON output is walked by path in the assertions below.
type Json = Record<string, any>;

const CRASHING = `apiVersion: apps/v1
kind: Deployment
metadata: {name: crash, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: crash}}
  template:
    metadata:
      labels: {app: crash}
      annotations: {sim.strata.dev/run-seconds: "30", sim.strata.dev/exit-code: "1"}
    spec:
      containers: [{name: web, image: "busybox:1.36"}]
`;

describe('crashing containers restart with CrashLoopBackOff', () => {
  const clock = new ShiftedClock();
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let missing: string | null = null;
  const cluster = 'crashes';

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    fixture = await startFixture({ clock });
    await createReadyCluster(fixture.server, cluster, 1);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig(cluster, 'admin'));
  });

  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });

  const k = async (...args: string[]): Promise<string> => {
    const r = await kubectl!.run(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const pod = async (): Promise<Json> => {
    const items: Json[] = JSON.parse(await k('get', 'pods', '-l', 'app=crash', '-o', 'json'))['items'];
    assert.equal(items.length, 1, 'one crash pod (restarts keep the pod)');
    return items[0]!;
  };
  const container = async (): Promise<Json> => (await pod())['status']['containerStatuses'][0];
  /** Moves simulated time on and runs what fell due. */
  const advance = (ms: number) => {
    clock.advance(ms);
    fixture!.server.fleet.runDue();
  };

  test('kubectl shows RESTARTS, CrashLoopBackOff, the BackOff event and the previous instance’s log', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const r = await kubectl!.run(['apply', '-f', '-'], { input: CRASHING });
    assert.equal(r.code, 0, r.stderr);
    await waitFor(
      async () => (await container())['state']?.['running'] !== undefined,
      'the crash pod Running',
    );
    const name: string = (await pod())['metadata']['name'];
    const firstId: string = (await container())['containerID'];

    // The first exit restarts at once.
    advance(30_000);
    await waitFor(async () => (await container())['restartCount'] === 1, 'the first restart');
    let c = await container();
    assert.ok(c['state']['running'], 'running again at once after the first exit');
    assert.notEqual(c['containerID'], firstId, 'a new container');
    assert.equal(c['lastState']['terminated']['exitCode'], 1);
    assert.equal(c['lastState']['terminated']['reason'], 'Error');
    assert.equal(c['lastState']['terminated']['containerID'], firstId);
    const previous0 = await k('logs', name, '--previous');
    assert.match(previous0, /^Starting busybox 1\.36 \(image busybox:1\.36\)$/m);
    assert.match(previous0, new RegExp(`^Container web of pod default/${name}, instance 0$`, 'm'));
    assert.match(await k('logs', name), /instance 1$/m);

    // The second exit waits 10 s in CrashLoopBackOff.
    advance(30_000);
    await waitFor(
      async () => (await container())['state']?.['waiting']?.['reason'] === 'CrashLoopBackOff',
      'CrashLoopBackOff',
    );
    c = await container();
    assert.equal(c['restartCount'], 1);
    assert.equal(c['ready'], false);
    assert.match(
      c['state']['waiting']['message'],
      new RegExp(`^back-off 10s restarting failed container=web pod=${name}_default\\(`),
    );
    assert.match(
      (await k('get', 'pod', name, '--no-headers')).trim(),
      new RegExp(`^${name}\\s+0/1\\s+CrashLoopBackOff\\s+1 \\(\\d+s ago\\)\\s`),
    );
    // While it waits, both the log and --previous show the instance that just exited.
    assert.match(await k('logs', name, '--previous'), /instance 1$/m);
    assert.match(await k('logs', name), /instance 1$/m);
    const events = await k('get', 'events', '--field-selector', `involvedObject.name=${name}`);
    assert.match(
      events,
      new RegExp(
        `Warning\\s+BackOff\\s+pod/${name}\\s+Back-off restarting failed container web in pod ${name}_default\\(`,
      ),
    );

    // Before the back-off ends nothing starts (exit times are stored to the second); then the container runs again.
    // 6 s of the 10: the wall clock runs on beside the shift (the kubectl calls above take seconds on a loaded
    // machine), and 8 s left too little room for that.
    advance(6_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await container())['state']['waiting']?.['reason'], 'CrashLoopBackOff');
    advance(5_000);
    await waitFor(async () => (await container())['restartCount'] === 2, 'the restart after the back-off');
    assert.match((await k('get', 'pod', name, '--no-headers')).trim(), /\s1\/1\s+Running\s+2 \(\d+s ago\)\s/);
    assert.match(await k('logs', name, '--previous'), /instance 1$/m);
    assert.match(await k('logs', name), /instance 2$/m);

    // The next back-off is twice as long.
    advance(30_000);
    await waitFor(
      async () => (await container())['state']?.['waiting']?.['reason'] === 'CrashLoopBackOff',
      'CrashLoopBackOff again',
    );
    assert.match((await container())['state']['waiting']['message'], /^back-off 20s /);
    advance(15_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await container())['restartCount'], 2, 'still backing off after 15 s');
    advance(6_000);
    await waitFor(async () => (await container())['restartCount'] === 3, 'the restart after 20 s');
  });
});
