/**
 * The scheduler and the kubelets: binds pending pods to Ready, schedulable nodes (fewest pods first, taints and
 * node selectors honoured), starts their containers after `podStartMs` with fresh `containerd://` IDs, ends or
 * restarts containers that exit (run-to-completion pods, crashing apps; restarts wait out the kubelet's
 * CrashLoopBackOff), and removes controller-owned pods whose node is gone or NotReady so their controllers
 * recreate them elsewhere.
 */

import { addressFor, hashNumber } from '../defaults.ts';
import { containerFieldPath, recordEvent } from '../events.ts';
import type { KubeObject } from '../kube-object.ts';
import { isJsonObject, kubeTime } from '../kube-object.ts';
import type { SimCluster } from '../sim-cluster.ts';
import type { Controller, ControllerContext } from './controller-writes.ts';
import {
  controllerKind,
  earliest,
  KINDS,
  listAll,
  randomHex,
  section,
  writeChange,
} from './controller-writes.ts';
import { nodeIsReady } from './nodes.ts';

interface Taint {
  key: string;
  value?: string;
  effect: string;
}

function tolerates(pod: KubeObject, taint: Taint): boolean {
  const tolerations = section(pod, 'spec')['tolerations'];
  if (!Array.isArray(tolerations)) return false;
  return tolerations.some((t) => {
    if (!isJsonObject(t)) return false;
    if (t['effect'] && t['effect'] !== taint.effect) return false;
    if (t['operator'] === 'Exists') return t['key'] === undefined || t['key'] === taint.key;
    return t['key'] === taint.key && (t['value'] ?? '') === (taint.value ?? '');
  });
}

/** True when a pod may run on a node (schedulable, taints tolerated, node selector matched). */
export function fits(pod: KubeObject, node: KubeObject): boolean {
  const spec = section(node, 'spec');
  if (spec['unschedulable'] === true) return false;
  const taints = Array.isArray(spec['taints']) ? (spec['taints'] as Taint[]) : [];
  if (taints.some((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod, t)))
    return false;
  const selector = section(pod, 'spec')['nodeSelector'];
  if (isJsonObject(selector)) {
    const labels = node.metadata.labels ?? {};
    for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  }
  return true;
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function conditionsFor(time: string, ready: boolean) {
  const c = (type: string, status: boolean) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: time,
  });
  return [
    c('PodReadyToStartContainers', ready),
    c('Initialized', true),
    c('Ready', ready),
    c('ContainersReady', ready),
    c('PodScheduled', true),
  ];
}

function containersOf(pod: KubeObject): { name: string; image: string }[] {
  const list = section(pod, 'spec')['containers'];
  return Array.isArray(list)
    ? list
        .filter(isJsonObject)
        .map((c) => ({ name: String(c['name'] ?? ''), image: String(c['image'] ?? '') }))
    : [];
}

function hostIPOf(node: KubeObject): string {
  const addresses = section(node, 'status')['addresses'];
  const internal = Array.isArray(addresses)
    ? addresses.find((a) => isJsonObject(a) && a['type'] === 'InternalIP')
    : undefined;
  return isJsonObject(internal) ? String(internal['address']) : '';
}

function bind(cluster: SimCluster, pod: KubeObject, node: KubeObject): void {
  const time = kubeTime(cluster.now());
  recordEvent(cluster, {
    regarding: pod,
    type: 'Normal',
    reason: 'Scheduled',
    message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node.metadata.name}`,
    component: 'default-scheduler',
    action: 'Binding',
  });
  writeChange(cluster, KINDS.pods, pod, (p) => {
    (p['spec'] as Record<string, unknown>)['nodeName'] = node.metadata.name;
    p['status'] = {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: time }],
      hostIP: hostIPOf(node),
      hostIPs: [{ ip: hostIPOf(node) }],
      startTime: time,
      qosClass: 'BestEffort',
      containerStatuses: containersOf(p).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
      })),
    };
  });
}

/** Records what a kubelet reports while it starts a pod's containers: image pulls, creation, start. */
function recordContainerStarts(cluster: SimCluster, pod: KubeObject, imagesOnNode: Set<string>): void {
  const spec = section(pod, 'spec');
  const host = String(spec['nodeName'] ?? '');
  const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isJsonObject) : [];
  for (const c of containers) {
    const name = String(c['name'] ?? '');
    const image = String(c['image'] ?? '');
    const report = (reason: string, message: string) =>
      recordEvent(cluster, {
        regarding: pod,
        type: 'Normal',
        reason,
        message,
        component: 'kubelet',
        host,
        fieldPath: containerFieldPath(name),
      });
    const policy = String(c['imagePullPolicy'] ?? 'IfNotPresent');
    if (policy === 'Always' || (policy === 'IfNotPresent' && !imagesOnNode.has(image))) {
      const seconds = (0.4 + (hashNumber(image) % 4000) / 1000).toFixed(3);
      const size = 10_000_000 + (hashNumber(`${image}:size`) % 90_000_000);
      report('Pulling', `Pulling image "${image}"`);
      report(
        'Pulled',
        `Successfully pulled image "${image}" in ${seconds}s (${seconds}s including waiting). Image size: ${size} bytes.`,
      );
    } else {
      report('Pulled', `Container image "${image}" already present on machine`);
    }
    imagesOnNode.add(image);
    report('Created', `Created container: ${name}`);
    report('Started', `Started container ${name}`);
  }
}

/** The annotation that sets how long a run-to-completion pod's containers run (seconds, may be fractional). */
export const RUN_SECONDS_ANNOTATION = 'sim.strata.dev/run-seconds';
/** The annotation that sets the exit code a run-to-completion pod's containers end with (default 0). */
export const EXIT_CODE_ANNOTATION = 'sim.strata.dev/exit-code';

/** True when a pod's containers run to completion (`restartPolicy` Never or OnFailure) instead of forever. */
export function runsToCompletion(pod: KubeObject): boolean {
  const policy = section(pod, 'spec')['restartPolicy'];
  return policy === 'Never' || policy === 'OnFailure';
}

function runMsOf(pod: KubeObject, ctx: ControllerContext): number {
  const seconds = Number(pod.metadata.annotations?.[RUN_SECONDS_ANNOTATION]);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : ctx.timing.podRunMs;
}

function exitCodeOf(pod: KubeObject): number {
  const code = Number(pod.metadata.annotations?.[EXIT_CODE_ANNOTATION] ?? 0);
  return Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1;
}

/** When a running pod's containers started (epoch ms; second precision, as stored). */
function runningSince(pod: KubeObject): number {
  const statuses = section(pod, 'status')['containerStatuses'];
  const first = Array.isArray(statuses) ? statuses.find(isJsonObject) : undefined;
  const running = isJsonObject(first) && isJsonObject(first['state']) ? first['state']['running'] : undefined;
  const at = isJsonObject(running) ? Date.parse(String(running['startedAt'])) : Number.NaN;
  return Number.isFinite(at) ? at : Date.parse(String(section(pod, 'status')['startTime'] ?? ''));
}

function completedConditions(time: string) {
  const c = (type: string, status: boolean, reason?: string) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: time,
    ...(reason ? { reason } : {}),
  });
  return [
    c('PodReadyToStartContainers', false),
    c('Initialized', true, 'PodCompleted'),
    c('Ready', false, 'PodCompleted'),
    c('ContainersReady', false, 'PodCompleted'),
    c('PodScheduled', true),
  ];
}

/** The kubelet's first back-off before restarting a container that exited again (it doubles each time). */
export const CRASH_BACKOFF_INITIAL_MS = 10_000;
/** The longest back-off between two restarts of a crashing container. */
export const CRASH_BACKOFF_MAX_MS = 300_000;

/**
 * How long the kubelet waits before starting a container that exited for the `restarts + 1`-th time: the first
 * restart is at once, then 10 s, 20 s, 40 s, … up to 5 min (kubelet's CrashLoopBackOff).
 */
export function crashBackOffMs(restarts: number): number {
  if (restarts <= 0) return 0;
  return Math.min(CRASH_BACKOFF_MAX_MS, CRASH_BACKOFF_INITIAL_MS * 2 ** Math.min(restarts - 1, 10));
}

/**
 * True when a pod's containers exit on their own: run-to-completion pods, and pods restarting `Always` (those of
 * Deployments, DaemonSets, StatefulSets) that set `sim.strata.dev/run-seconds` — a crashing app.
 */
function exitsOnItsOwn(pod: KubeObject): boolean {
  return runsToCompletion(pod) || pod.metadata.annotations?.[RUN_SECONDS_ANNOTATION] !== undefined;
}

/** The kubelet's name for a pod in messages: `name_namespace(uid)`. */
function podRef(pod: KubeObject): string {
  return `${pod.metadata.name}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

function statusesOf(pod: KubeObject): Record<string, unknown>[] {
  const list = section(pod, 'status')['containerStatuses'];
  return (Array.isArray(list) ? list : []).filter(isJsonObject);
}

/** When a pod waiting in CrashLoopBackOff starts its containers again (epoch ms), if it is waiting. */
function restartDue(pod: KubeObject): number | undefined {
  const first = statusesOf(pod)[0];
  const state = isJsonObject(first?.['state']) ? first['state'] : {};
  const waiting = isJsonObject(state['waiting']) ? state['waiting'] : undefined;
  if (waiting?.['reason'] !== 'CrashLoopBackOff') return undefined;
  const last = isJsonObject(first?.['lastState']) ? first['lastState'] : {};
  const terminated = isJsonObject(last['terminated']) ? last['terminated'] : {};
  const finished = Date.parse(String(terminated['finishedAt'] ?? ''));
  return (Number.isFinite(finished) ? finished : 0) + crashBackOffMs(Number(first?.['restartCount'] ?? 0));
}

function notReadyConditions(time: string, containers: string[]) {
  const message = `containers with unready status: [${containers.join(' ')}]`;
  return conditionsFor(time, false).map((c) =>
    c.type === 'Ready' || c.type === 'ContainersReady'
      ? { ...c, reason: 'ContainersNotReady', message }
      : c.type === 'PodReadyToStartContainers'
        ? { ...c, status: 'True' }
        : c,
  );
}

/** Starts a pod's containers again after they exited: restartCount + 1, new container IDs, the kubelet's events. */
function restartContainers(cluster: SimCluster, pod: KubeObject, imagesOnNode: Set<string>): void {
  const time = kubeTime(cluster.now());
  recordContainerStarts(cluster, pod, imagesOnNode);
  writeChange(cluster, KINDS.pods, pod, (p) => {
    const status = section(p, 'status');
    p['status'] = {
      ...status,
      conditions: conditionsFor(time, true),
      containerStatuses: statusesOf(p).map((s) => ({
        ...s,
        containerID: `containerd://${randomHex(64)}`,
        ready: true,
        started: true,
        restartCount: Number(s['restartCount'] ?? 0) + 1,
        state: { running: { startedAt: time } },
      })),
    };
  });
}

/**
 * The containers of a pod exit (a run-to-completion pod's after its run time, a crashing app's after
 * `sim.strata.dev/run-seconds`): with 0 a run-to-completion pod Succeeded; otherwise it Failed (`restartPolicy:
 * Never`), or its containers restart (`Always`, or `OnFailure` after a non-zero exit) — at once the first time,
 * then after the kubelet's CrashLoopBackOff, with a `BackOff` event. Returns when the pod next changes by itself.
 */
function finish(
  cluster: SimCluster,
  pod: KubeObject,
  ctx: ControllerContext,
  imagesOnNode: Set<string>,
): number | undefined {
  const now = cluster.now();
  const time = kubeTime(now);
  const code = exitCodeOf(pod);
  const policy = section(pod, 'spec')['restartPolicy'];
  const restart = policy === 'Always' || policy === undefined || (code !== 0 && policy === 'OnFailure');
  const terminated = (s: Record<string, unknown>) => {
    const running =
      isJsonObject(s['state']) && isJsonObject(s['state']['running']) ? s['state']['running'] : {};
    return {
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      startedAt: running['startedAt'] ?? time,
      finishedAt: time,
      containerID: s['containerID'],
    };
  };
  if (!restart) {
    writeChange(cluster, KINDS.pods, pod, (p) => {
      p['status'] = {
        ...section(p, 'status'),
        phase: code === 0 ? 'Succeeded' : 'Failed',
        conditions: completedConditions(time),
        containerStatuses: statusesOf(p).map((s) => ({
          ...s,
          ready: false,
          started: false,
          state: { terminated: terminated(s) },
        })),
      };
    });
    return undefined;
  }
  const restarts = Number(statusesOf(pod)[0]?.['restartCount'] ?? 0);
  const delay = crashBackOffMs(restarts);
  const names = statusesOf(pod).map((s) => String(s['name'] ?? ''));
  const exited = writeChange(cluster, KINDS.pods, pod, (p) => {
    p['status'] = {
      ...section(p, 'status'),
      conditions: notReadyConditions(time, names),
      containerStatuses: statusesOf(p).map((s) => ({
        ...s,
        ready: false,
        started: false,
        // The first exit restarts at once (seen as the exited state); later ones wait in CrashLoopBackOff.
        state:
          delay === 0
            ? { terminated: terminated(s) }
            : {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off ${delay / 1000}s restarting failed container=${String(s['name'] ?? '')} pod=${podRef(p)}`,
                },
              },
        lastState: { terminated: terminated(s) },
      })),
    };
  });
  const key = podKey(pod);
  if (delay === 0) {
    restartContainers(cluster, exited, imagesOnNode);
    const due = now + runMsOf(pod, ctx);
    cluster.podFinishDue.set(key, due);
    return due;
  }
  const host = String(section(pod, 'spec')['nodeName'] ?? '');
  for (const name of names) {
    recordEvent(cluster, {
      regarding: exited,
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container ${name} in pod ${podRef(pod)}`,
      component: 'kubelet',
      host,
      fieldPath: containerFieldPath(name),
    });
  }
  cluster.podFinishDue.delete(key);
  return now + delay;
}

function start(cluster: SimCluster, pod: KubeObject, imagesOnNode: Set<string>): void {
  const time = kubeTime(cluster.now());
  recordContainerStarts(cluster, pod, imagesOnNode);
  const podIP = addressFor('10.244', `${cluster.name}/${podKey(pod)}/${pod.metadata.uid ?? ''}`);
  writeChange(cluster, KINDS.pods, pod, (p) => {
    const status = section(p, 'status');
    p['status'] = {
      ...status,
      phase: 'Running',
      conditions: conditionsFor(time, true),
      podIP,
      podIPs: [{ ip: podIP }],
      containerStatuses: containersOf(p).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image.includes('/') ? '' : 'docker.io/library/'}${c.image.split(':')[0]}@sha256:${randomHex(64)}`,
        containerID: `containerd://${randomHex(64)}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: time } },
        lastState: {},
      })),
    };
  });
}

function markUnready(cluster: SimCluster, pod: KubeObject): void {
  const time = kubeTime(cluster.now());
  writeChange(cluster, KINDS.pods, pod, (p) => {
    const status = section(p, 'status');
    const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : [];
    p['status'] = {
      ...status,
      conditions: conditionsFor(time, false),
      containerStatuses: statuses.map((s) => (isJsonObject(s) ? { ...s, ready: false } : s)),
    };
  });
}

/** Schedules, starts and evicts pods. */
export const reconcilePods: Controller = (cluster: SimCluster, ctx: ControllerContext) => {
  const now = cluster.now();
  let next: number | undefined;
  const nodes = new Map(listAll(cluster, KINDS.nodes).map((n) => [n.metadata.name, n]));
  const pods = listAll(cluster, KINDS.pods);
  const load = new Map<string, number>();
  for (const p of pods) {
    const n = section(p, 'spec')['nodeName'];
    if (typeof n === 'string') load.set(n, (load.get(n) ?? 0) + 1);
  }
  const readyNodes = [...nodes.values()].filter(nodeIsReady);
  // Images a node already has (its running pods'), gathered on first need: a start there needs no pull.
  let images: Map<string, Set<string>> | undefined;
  const imagesOn = (node: string): Set<string> => {
    if (!images) {
      images = new Map();
      for (const p of pods) {
        const n = section(p, 'spec')['nodeName'];
        if (typeof n !== 'string' || section(p, 'status')['phase'] !== 'Running') continue;
        const set = images.get(n) ?? new Set<string>();
        for (const c of containersOf(p)) set.add(c.image);
        images.set(n, set);
      }
    }
    let set = images.get(node);
    if (!set) {
      set = new Set();
      images.set(node, set);
    }
    return set;
  };
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const spec = section(pod, 'spec');
    const phase = section(pod, 'status')['phase'];
    const nodeName = typeof spec['nodeName'] === 'string' ? spec['nodeName'] : undefined;
    if (!nodeName) {
      const candidates = readyNodes.filter((n) => fits(pod, n));
      if (candidates.length === 0) continue;
      candidates.sort(
        (a, b) =>
          (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0) ||
          (a.metadata.name < b.metadata.name ? -1 : 1),
      );
      const chosen = candidates[0]!;
      load.set(chosen.metadata.name, (load.get(chosen.metadata.name) ?? 0) + 1);
      bind(cluster, pod, chosen);
      cluster.podStartDue.set(podKey(pod), now + ctx.timing.podStartMs);
      next = earliest(next, now + ctx.timing.podStartMs);
      continue;
    }
    const node = nodes.get(nodeName);
    if (!node) {
      // Pods bound to a node that no longer exists are removed (pod garbage collection).
      cluster.removeNow(KINDS.pods, pod, 'Background');
      continue;
    }
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    if (!nodeIsReady(node)) {
      if (controllerKind(pod) && controllerKind(pod) !== 'DaemonSet')
        cluster.removeNow(KINDS.pods, pod, 'Background');
      else if (phase === 'Running') markUnready(cluster, pod);
      continue;
    }
    if (phase === 'Pending') {
      const key = podKey(pod);
      let due = cluster.podStartDue.get(key);
      if (due === undefined) {
        due = now + ctx.timing.podStartMs;
        cluster.podStartDue.set(key, due);
      }
      if (due <= now) {
        cluster.podStartDue.delete(key);
        start(cluster, pod, imagesOn(nodeName));
        if (exitsOnItsOwn(pod)) {
          const finishAt = now + runMsOf(pod, ctx);
          cluster.podFinishDue.set(key, finishAt);
          next = earliest(next, finishAt);
        }
      } else next = earliest(next, due);
    } else if (phase === 'Running' && exitsOnItsOwn(pod)) {
      const key = podKey(pod);
      const backOffUntil = restartDue(pod);
      if (backOffUntil !== undefined) {
        // In CrashLoopBackOff: the containers start again when the back-off (derived from what is stored) ends.
        if (backOffUntil <= now) {
          restartContainers(cluster, pod, imagesOn(nodeName));
          const finishAt = now + runMsOf(pod, ctx);
          cluster.podFinishDue.set(key, finishAt);
          next = earliest(next, finishAt);
        } else next = earliest(next, backOffUntil);
        continue;
      }
      // After a load the exit time is derived from the stored start time (the containers ran meanwhile).
      let due = cluster.podFinishDue.get(key);
      if (due === undefined) {
        const since = runningSince(pod);
        due = (Number.isFinite(since) ? since : now) + runMsOf(pod, ctx);
        cluster.podFinishDue.set(key, due);
      }
      if (due <= now) {
        cluster.podFinishDue.delete(key);
        next = earliest(next, finish(cluster, pod, ctx, imagesOn(nodeName)));
      } else next = earliest(next, due);
    }
  }
  return next;
};
