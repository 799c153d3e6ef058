/**
 * A restart of Strata is invisible inside its simulated clusters: a real `strata up --demo` (engine, simulator,
 * embedded store) holds a cluster with the demo's workloads plus a Deployment, StatefulSet, DaemonSet, a finished
 * Job and a bare Pod applied with kubectl; it is stopped with SIGTERM, started again on the same home, killed with SIGKILL and
 * started again. After each restart every pod kubectl lists is the same pod: same UID, creation time (so the
 * same AGE), node, IP, start time, container IDs, container start times and restart counts — sampled several
 * times while the restarted engine and controllers settle, so a replacement that happens late is caught too.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_CLUSTER } from '../../src/main/demo.ts';
import { eventually } from '../e2e/support.ts';
import { findKubectl, type KubectlSession, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { type StrataProcess, startStrataUp } from './strata-process.ts';

const WORKLOADS = `apiVersion: v1
kind: Namespace
metadata: {name: restart}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: restart}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80, name: http}]
        env: [{name: B, value: "2"}, {name: A, value: "1"}]
        resources: {requests: {cpu: 10m, memory: 16Mi}}
      - name: sidecar
        image: busybox:1.36
        command: [sh, -c, sleep infinity]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: restart}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}, annotations: {zeta: z, alpha: a}}
    spec:
      containers:
      - {name: db, image: postgres:16, ports: [{containerPort: 5432}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: restart}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers:
      - {name: agent, image: fluent/fluent-bit:3.1, args: [--verbose]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: restart}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox:1.36, command: [sh, -c, 'true']}]
---
apiVersion: v1
kind: Pod
metadata: {name: standalone, namespace: restart, labels: {app: standalone}}
spec:
  containers:
  - {name: main, image: nginx:1.27}
`;

/** What must not change about a pod across a restart. */
interface PodIdentity {
  uid: string;
  creationTimestamp: string;
  nodeName: string;
  podIP: string;
  startTime: string;
  phase: string;
  containers: {
    name: string;
    containerID: string;
    restartCount: number;
    startedAt: string;
    finishedAt: string;
  }[];
}

interface PodJson {
  metadata: { namespace: string; name: string; uid: string; creationTimestamp: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    startTime?: string;
    containerStatuses?: {
      name: string;
      containerID?: string;
      restartCount: number;
      state: { running?: { startedAt: string }; terminated?: { startedAt: string; finishedAt: string } };
    }[];
  };
}

describe('restart transparency of simulated clusters', () => {
  const dirs: string[] = [];
  let server: StrataProcess | undefined;
  let kubectl: KubectlSession | undefined;
  after(async () => {
    await kubectl?.cleanup();
    await server?.stop('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps every pod (UID, age, node, IP, container IDs, start times, restarts) across SIGTERM and SIGKILL restarts', async (t) => {
    const found = await findKubectl();
    if (!requireOrSkip(t, 'kubectl', 'missing' in found ? found.missing : null)) return;
    if ('missing' in found) return;
    const home = await mkdtemp(join(tmpdir(), 'strata-restart-'));
    dirs.push(home);
    const env = { STRATA_SIM_BOOT_MS: '200' };

    /** Starts `strata up --demo` on the home and returns a kubectl session on the demo cluster once it runs. */
    const start = async (): Promise<KubectlSession> => {
      server = await startStrataUp(home, { args: ['--demo'], env });
      const s = server;
      await eventually(
        'the demo cluster Running',
        async () => {
          const r = await s.cli(['cluster', 'get', DEMO_CLUSTER, '-o', 'json']);
          if (r.code !== 0) return undefined;
          return (JSON.parse(r.stdout) as { status: { phase: string } }).status.phase === 'Running'
            ? true
            : undefined;
        },
        180_000,
      );
      const kc = await s.cli(['cluster', 'kubeconfig', DEMO_CLUSTER]);
      assert.equal(kc.code, 0, kc.stderr);
      await kubectl?.cleanup();
      kubectl = await kubectlSession(found.path, kc.stdout);
      return kubectl;
    };
    const k = async (args: string[], input?: string) => {
      const r = await kubectl!.run(args, input === undefined ? {} : { input });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}\n${server?.log().slice(-2000)}`);
      return r.stdout;
    };
    const pods = async (): Promise<Map<string, PodIdentity>> => {
      const list = JSON.parse(await k(['get', 'pods', '-A', '-o', 'json'])) as { items: PodJson[] };
      return new Map(
        list.items.map((p) => [
          `${p.metadata.namespace}/${p.metadata.name}`,
          {
            uid: p.metadata.uid,
            creationTimestamp: p.metadata.creationTimestamp,
            nodeName: p.spec.nodeName ?? '',
            podIP: p.status.podIP ?? '',
            startTime: p.status.startTime ?? '',
            phase: p.status.phase ?? '',
            containers: (p.status.containerStatuses ?? []).map((c) => ({
              name: c.name,
              containerID: c.containerID ?? '',
              restartCount: c.restartCount,
              startedAt: c.state.running?.startedAt ?? c.state.terminated?.startedAt ?? '',
              finishedAt: c.state.terminated?.finishedAt ?? '',
            })),
          },
        ]),
      );
    };
    const allRunning = (m: Map<string, PodIdentity>) =>
      m.size > 0 && [...m.values()].every((p) => p.phase === 'Running' || p.phase === 'Succeeded');

    await start();
    await k(['apply', '-f', '-'], WORKLOADS);
    await k(['rollout', 'status', 'deployment/web', '-n', 'restart', '--timeout=120s']);
    await k(['wait', '--for=condition=complete', 'job/migrate', '-n', 'restart', '--timeout=120s']);
    await k(['wait', '--for=condition=Ready', 'pod', '-l', 'app', '-n', 'restart', '--timeout=120s']);
    await eventually('every pod Running and stable', async () => {
      const a = await pods();
      await new Promise((r) => setTimeout(r, 1000));
      const b = await pods();
      return allRunning(b) && JSON.stringify([...a]) === JSON.stringify([...b]) ? b : undefined;
    });
    const before = await pods();
    const rsBefore = await k(['get', 'rs', '-A', '-o', 'name']);
    const nodes = async () =>
      await k([
        'get',
        'nodes',
        '-o',
        'custom-columns=NAME:.metadata.name,UID:.metadata.uid,BOOT:.status.nodeInfo.bootID,CREATED:.metadata.creationTimestamp',
      ]);
    const nodesBefore = await nodes();
    assert.ok(before.size >= 3 + 2 + 1 + 1 + 1, `pods before: ${[...before.keys()].join(', ')}`);
    const jobBefore = await k(['get', 'job', 'migrate', '-n', 'restart', '-o', 'jsonpath={.status}']);

    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const code = await server!.stop(signal);
      if (signal === 'SIGTERM')
        assert.equal(code, 0, `strata up exits cleanly on SIGTERM:\n${server!.log()}`);
      await start();
      // Sample while the restarted engine and controllers go over the cluster: each sample must be the same.
      for (let sample = 0; sample < 6; sample += 1) {
        const now = await pods();
        assert.deepEqual(
          [...now.keys()].sort(),
          [...before.keys()].sort(),
          `the same pods after ${signal} (sample ${sample})`,
        );
        for (const [name, pod] of before) {
          assert.deepEqual(now.get(name), pod, `pod ${name} unchanged after ${signal} (sample ${sample})`);
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.equal(await k(['get', 'rs', '-A', '-o', 'name']), rsBefore, `no new ReplicaSet after ${signal}`);
      assert.equal(await nodes(), nodesBefore, `the same nodes (UID, boot ID) after ${signal}`);
      assert.equal(
        await k(['get', 'job', 'migrate', '-n', 'restart', '-o', 'jsonpath={.status}']),
        jobBefore,
        `the finished Job is not run again after ${signal}`,
      );
    }
  });
});
