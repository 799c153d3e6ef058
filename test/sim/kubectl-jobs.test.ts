/**
 * Run-to-completion workloads through the real kubectl: Jobs (`kubectl create job`, `kubectl wait
 * --for=condition=complete`, completions and parallelism, backoffLimit, activeDeadlineSeconds,
 * ttlSecondsAfterFinished), bare pods with `restartPolicy: Never`, CronJobs on a clock the test moves, and the
 * API server's refusal of a Job whose pods would restart forever.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { checkedKubectl, createReadyCluster, ShiftedClock, startFixture } from './sim-fixture.ts';

const CLUSTER = 'batch';

describe('Jobs and CronJobs through kubectl', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let missing: string | null = null;
  const clock = new ShiftedClock();

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    fixture = await startFixture({ clock });
    await createReadyCluster(fixture.server, CLUSTER);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig(CLUSTER, 'admin'));
  });
  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });
  const k = checkedKubectl(() => kubectl!);
  const json = async (args: string[]) => JSON.parse(await k([...args, '-o', 'json']));

  test('kubectl create job runs to completion: wait condition=complete, Complete 1/1, a Completed pod', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    assert.match(
      await k(['create', 'job', 'pi', '--image=perl:5.34', '--', 'perl', '-e', 'print 1']),
      /job.batch\/pi created/,
    );
    assert.match(
      await k(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s']),
      /job.batch\/pi condition met/,
    );
    const table = await k(['get', 'job', 'pi']);
    assert.match(table.split('\n')[0]!, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
    assert.match(table.split('\n')[1]!, /^pi\s+Complete\s+1\/1\s+\d+s\s+\d+s/);
    const job = await json(['get', 'job', 'pi']);
    assert.equal(job.status.succeeded, 1);
    assert.ok(job.status.startTime && job.status.completionTime, 'startTime and completionTime');
    assert.deepEqual(
      job.status.conditions.map((c: { type: string; status: string; reason: string }) => [
        c.type,
        c.status,
        c.reason,
      ]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
        ['Complete', 'True', 'CompletionsReached'],
      ],
    );
    assert.equal(job.spec.backoffLimit, 6);
    assert.equal(job.spec.completionMode, 'NonIndexed');
    assert.deepEqual(job.spec.selector.matchLabels, {
      'batch.kubernetes.io/controller-uid': job.metadata.uid,
    });
    const pods = await k(['get', 'pods', '-l', 'job-name=pi']);
    assert.match(pods.split('\n')[1]!, /^pi-[a-z0-9]{5}\s+0\/1\s+Completed\s+0\s+/);
    const pod = (await json(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=pi'])).items[0];
    assert.equal(pod.status.phase, 'Succeeded');
    const terminated = pod.status.containerStatuses[0].state.terminated;
    assert.equal(terminated.exitCode, 0);
    assert.equal(terminated.reason, 'Completed');
    assert.match(terminated.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.deepEqual(pod.metadata.finalizers ?? [], [], 'the tracking finalizer is gone once counted');
  });

  test('completions 3 with parallelism 2 runs three pods, at most two at once', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(
      ['apply', '-f', '-'],
      `apiVersion: batch/v1
kind: Job
metadata: {name: three}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox:1.36, command: [sh, -c, 'true']}]
`,
    );
    const active = (await json(['get', 'job', 'three'])).status.active ?? 0;
    assert.ok(active <= 2, `at most two active (${active})`);
    await k(['wait', '--for=condition=complete', 'job/three', '--timeout=60s']);
    assert.match((await k(['get', 'job', 'three', '--no-headers'])).trim(), /^three\s+Complete\s+3\/3/);
    const pods = (await json(['get', 'pods', '-l', 'job-name=three'])).items;
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p: { status: { phase: string } }) => p.status.phase === 'Succeeded'));
  });

  test('a failing pod is retried up to backoffLimit, then the Job Failed with BackoffLimitExceeded', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(
      ['apply', '-f', '-'],
      `apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  backoffLimit: 1
  template:
    metadata:
      annotations: {sim.strata.dev/exit-code: "3"}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox:1.36}]
`,
    );
    await k(['wait', '--for=condition=failed', 'job/flaky', '--timeout=60s']);
    const job = await json(['get', 'job', 'flaky']);
    assert.equal(job.status.failed, 2);
    assert.deepEqual(
      job.status.conditions.map((c: { type: string; reason: string }) => [c.type, c.reason]),
      [
        ['FailureTarget', 'BackoffLimitExceeded'],
        ['Failed', 'BackoffLimitExceeded'],
      ],
    );
    assert.match((await k(['get', 'job', 'flaky', '--no-headers'])).trim(), /^flaky\s+Failed\s+0\/1/);
    const pods = await k(['get', 'pods', '-l', 'job-name=flaky', '--no-headers']);
    assert.equal(
      pods
        .trim()
        .split('\n')
        .filter((l) => /\sError\s/.test(l)).length,
      2,
      pods,
    );
  });

  test('activeDeadlineSeconds fails a Job that runs too long (DeadlineExceeded) and removes its pod', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(
      ['apply', '-f', '-'],
      `apiVersion: batch/v1
kind: Job
metadata: {name: slow}
spec:
  activeDeadlineSeconds: 1
  template:
    metadata:
      annotations: {sim.strata.dev/run-seconds: "600"}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox:1.36}]
`,
    );
    await k(['wait', '--for=condition=failed', 'job/slow', '--timeout=60s']);
    const job = await json(['get', 'job', 'slow']);
    assert.equal(job.status.conditions.at(-1).reason, 'DeadlineExceeded');
    assert.equal(job.status.conditions.at(-1).message, 'Job was active longer than specified deadline');
    assert.equal((await json(['get', 'pods', '-l', 'job-name=slow'])).items.length, 0);
  });

  test('ttlSecondsAfterFinished: 0 deletes the Job and its pods once it completed', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(
      ['apply', '-f', '-'],
      `apiVersion: batch/v1
kind: Job
metadata: {name: ephemeral}
spec:
  ttlSecondsAfterFinished: 0
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: work, image: busybox:1.36}]
`,
    );
    await k(['wait', '--for=delete', 'job/ephemeral', '--timeout=60s']);
    assert.equal((await json(['get', 'pods', '-l', 'job-name=ephemeral'])).items.length, 0);
  });

  test('a bare pod with restartPolicy Never finishes: Succeeded, STATUS Completed', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['run', 'once', '--image=busybox:1.36', '--restart=Never', '--', 'true']);
    await k(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/once', '--timeout=60s']);
    assert.match((await k(['get', 'pod', 'once', '--no-headers'])).trim(), /^once\s+0\/1\s+Completed\s+0\s/);
  });

  test('refuses a Job whose pods restart Always, with the API server’s words', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const r = await kubectl!.run(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata: {name: forever}
spec:
  template:
    spec:
      containers: [{name: work, image: busybox:1.36}]
`,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /The Job "forever" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"/,
    );
  });

  test('a CronJob creates a Job at each scheduled time and keeps successfulJobsHistoryLimit of them', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(
      ['apply', '-f', '-'],
      `apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/5 * * * *"
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: tick, image: busybox:1.36}]
`,
    );
    const header = (await k(['get', 'cronjob', 'tick'])).split('\n');
    assert.match(header[0]!, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE/);
    assert.match(header[1]!, /^tick\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>/);
    assert.equal((await json(['get', 'jobs', '-l', 'cron=none'])).items.length, 0);
    const names: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      // Move to just after the next five-minute mark.
      const now = clock.now();
      clock.advance(300_000 - (now % 300_000) + 1000);
      fixture!.server.fleet.runDue();
      const expected = `tick-${Math.floor((clock.now() - 1000) / 60_000)}`;
      names.push(expected);
      await k(['wait', '--for=condition=complete', `job/${expected}`, '--timeout=60s']);
    }
    const cj = await json(['get', 'cronjob', 'tick']);
    assert.ok(cj.status.lastScheduleTime, 'lastScheduleTime');
    assert.ok(cj.status.lastSuccessfulTime, 'lastSuccessfulTime');
    const jobs = (await json(['get', 'jobs'])).items
      .filter((j: { metadata: { ownerReferences?: { kind: string; name: string }[] } }) =>
        j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === 'tick'),
      )
      .map((j: { metadata: { name: string } }) => j.metadata.name)
      .sort();
    assert.deepEqual(jobs, names.slice(1).sort(), 'the two newest Jobs are kept');
    assert.match(await k(['create', 'job', 'by-hand', '--from=cronjob/tick']), /job.batch\/by-hand created/);
    await k(['wait', '--for=condition=complete', 'job/by-hand', '--timeout=60s']);
  });

  test('refuses a CronJob whose schedule does not parse', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const r = await kubectl!.run(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=* * *']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "\* \* \*": expected exactly 5 fields, found 3/,
    );
  });
});
