/**
 * The Job controller: runs a Job's pods (`<job>-<5 chars>`, at most `parallelism` at once) until `completions` of
 * them succeeded, counts each finished pod once through the `batch.kubernetes.io/job-tracking` finalizer (so a
 * restart or a deleted pod never counts twice), and finishes the Job as 1.35 does — `SuccessCriteriaMet` then
 * `Complete` with `completionTime`, or `FailureTarget` then `Failed` when `backoffLimit` or
 * `activeDeadlineSeconds` is passed — then deletes it `ttlSecondsAfterFinished` after it finished.
 */
import { randomSuffix } from '../api-operations.ts';
import type { KubeObject } from '../kube-object.ts';
import { isJsonObject, kubeTime } from '../kube-object.ts';
import type { SimCluster } from '../sim-cluster.ts';
import type { Controller } from './controller-writes.ts';
import {
  earliest,
  isControlledBy,
  KINDS,
  listAll,
  section,
  writeChange,
  writeStatus,
} from './controller-writes.ts';
import { podFromTemplate, podReady } from './replicasets.ts';

/**
 * How long after it first sees a finished Job the TTL controller deletes it at the earliest. Kubernetes' controller
 * acts through informers and a work queue; deleting in the very next pass would remove a Job before clients
 * watching it (`helm` waiting for a hook with `ttlSecondsAfterFinished: 0`) have read its Complete condition.
 */
export const TTL_CONTROLLER_LAG_MS = 1000;

/** The finalizer that keeps a Job's pod until the Job counted it. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

type JobCondition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime: string;
  lastTransitionTime: string;
};

function conditionsOf(job: KubeObject): JobCondition[] {
  const list = section(job, 'status')['conditions'];
  return Array.isArray(list) ? (list.filter(isJsonObject) as JobCondition[]) : [];
}

function hasCondition(job: KubeObject, type: string): JobCondition | undefined {
  return conditionsOf(job).find((c) => c.type === type && c.status === 'True');
}

/** True when a Job has finished (Complete or Failed): it never runs a pod again. */
export function jobFinished(job: KubeObject): boolean {
  return hasCondition(job, 'Complete') !== undefined || hasCondition(job, 'Failed') !== undefined;
}

/** When a finished Job finished (epoch ms), from its terminal condition. */
function finishedAt(job: KubeObject): number | undefined {
  const c = hasCondition(job, 'Complete') ?? hasCondition(job, 'Failed');
  return c ? Date.parse(c.lastTransitionTime) : undefined;
}

function podPhase(pod: KubeObject): string {
  return String(section(pod, 'status')['phase'] ?? 'Pending');
}

function tracked(pod: KubeObject): boolean {
  return (pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

function untrack(cluster: SimCluster, pod: KubeObject): void {
  writeChange(cluster, KINDS.pods, pod, (p) => {
    const rest = (p.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    if (rest.length > 0) p.metadata.finalizers = rest;
    else delete p.metadata.finalizers;
  });
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function restartsOf(pod: KubeObject): number {
  const statuses = section(pod, 'status')['containerStatuses'];
  if (!Array.isArray(statuses)) return 0;
  return statuses.reduce((n: number, c) => n + num(isJsonObject(c) ? c['restartCount'] : 0, 0), 0);
}

/** Removes a Job's pods at once, releasing them first (a Job deletes the pods it no longer needs). */
function removePods(cluster: SimCluster, pods: readonly KubeObject[]): void {
  for (const p of pods) {
    untrack(cluster, p);
    const current = cluster.store.get('/pods', p.metadata.namespace, p.metadata.name);
    if (current) cluster.removeNow(KINDS.pods, current, 'Background');
  }
}

function newPod(cluster: SimCluster, job: KubeObject): KubeObject {
  const pod = podFromTemplate(cluster, job, KINDS.jobs, `${job.metadata.name}-${randomSuffix(5)}`);
  pod.metadata.generateName = `${job.metadata.name}-`;
  pod.metadata.finalizers = [JOB_TRACKING_FINALIZER];
  return pod;
}

/** Reconciles one unfinished Job; returns when it next needs to run (its deadline), if ever. */
function reconcileJob(cluster: SimCluster, job: KubeObject): number | undefined {
  const now = cluster.now();
  const time = kubeTime(now);
  const spec = section(job, 'spec');
  const status = section(job, 'status');
  const pods = cluster.store.list('/pods', job.metadata.namespace).filter((p) => isControlledBy(p, job));
  let succeeded = num(status['succeeded'], 0);
  let failed = num(status['failed'], 0);
  // Each finished (or deleted) pod is counted once: counting it and removing its finalizer go in one write batch.
  for (const pod of pods) {
    if (!tracked(pod)) continue;
    const phase = podPhase(pod);
    if (phase === 'Succeeded') succeeded += 1;
    else if (phase === 'Failed' || pod.metadata.deletionTimestamp) failed += 1;
    else continue;
    untrack(cluster, pod);
  }
  const live = cluster.store
    .list('/pods', job.metadata.namespace)
    .filter((p) => isControlledBy(p, job) && !p.metadata.deletionTimestamp);
  let active = live.filter((p) => podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed');
  const suspended = spec['suspend'] === true;
  const completions = typeof spec['completions'] === 'number' ? spec['completions'] : undefined;
  const parallelism = num(spec['parallelism'], 1);
  const backoffLimit = num(spec['backoffLimit'], 6);
  const deadlineSeconds =
    typeof spec['activeDeadlineSeconds'] === 'number' ? spec['activeDeadlineSeconds'] : undefined;
  const conditions = conditionsOf(job).map((c) => ({ ...c }));
  let startTime = typeof status['startTime'] === 'string' ? status['startTime'] : undefined;
  let next: number | undefined;
  const condition = (type: string, reason: string, message: string, value = 'True'): JobCondition => ({
    type,
    status: value,
    reason,
    message,
    lastProbeTime: time,
    lastTransitionTime: time,
  });
  const setSuspended = (value: boolean) => {
    const i = conditions.findIndex((c) => c.type === 'Suspended');
    const wanted = value ? 'True' : 'False';
    if (i < 0 && !value) return;
    if (i >= 0 && conditions[i]!.status === wanted) return;
    const c = value
      ? condition('Suspended', 'JobSuspended', 'Job suspended')
      : condition('Suspended', 'JobResumed', 'Job resumed', 'False');
    if (i < 0) conditions.push(c);
    else conditions[i] = c;
    // A resumed Job's active deadline counts from the resumption, as in Kubernetes.
    if (!value) startTime = time;
  };

  // With `restartPolicy: OnFailure` failures are container restarts inside the pods; they count the same.
  const template = section(job, 'spec')['template'];
  const onFailure =
    isJsonObject(template) &&
    isJsonObject(template['spec']) &&
    template['spec']['restartPolicy'] === 'OnFailure';
  const restarts = onFailure ? active.reduce((n, p) => n + restartsOf(p), 0) : 0;
  let outcome: { ok: boolean; reason: string; message: string } | undefined;
  if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
    outcome = {
      ok: true,
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
    };
  } else if (failed + restarts > backoffLimit) {
    outcome = {
      ok: false,
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    };
  } else if (
    deadlineSeconds !== undefined &&
    startTime !== undefined &&
    !suspended &&
    now >= Date.parse(startTime) + deadlineSeconds * 1000
  ) {
    outcome = {
      ok: false,
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    };
  }

  if (outcome) {
    removePods(cluster, active);
    if (!outcome.ok) failed += active.length;
    active = [];
    const [interim, final] = outcome.ok ? ['SuccessCriteriaMet', 'Complete'] : ['FailureTarget', 'Failed'];
    conditions.push(condition(interim, outcome.reason, outcome.message));
    conditions.push(condition(final, outcome.reason, outcome.message));
  } else if (suspended) {
    removePods(cluster, active);
    active = [];
    setSuspended(true);
  } else {
    setSuspended(false);
    startTime ??= time;
    const want =
      completions !== undefined
        ? Math.min(parallelism, completions - succeeded)
        : succeeded > 0
          ? 0
          : parallelism;
    for (let i = active.length; i < want; i += 1)
      active.push(cluster.createObject(KINDS.pods, newPod(cluster, job)));
    removePods(cluster, active.slice(Math.max(0, want)));
    active = active.slice(0, Math.max(0, want));
    if (deadlineSeconds !== undefined) next = Date.parse(startTime) + deadlineSeconds * 1000;
  }

  const fresh = cluster.store.get('batch/jobs', job.metadata.namespace, job.metadata.name);
  if (!fresh) return next;
  const out: Record<string, unknown> = {};
  if (conditions.length > 0) out['conditions'] = conditions;
  if (startTime) out['startTime'] = startTime;
  if (outcome?.ok) out['completionTime'] = time;
  if (active.length > 0) out['active'] = active.length;
  if (succeeded > 0) out['succeeded'] = succeeded;
  if (failed > 0) out['failed'] = failed;
  out['ready'] = active.filter(podReady).length;
  out['terminating'] = 0;
  out['uncountedTerminatedPods'] = {};
  writeStatus(cluster, KINDS.jobs, fresh, out);
  return next;
}

/**
 * Runs every Job of a cluster, releases finished pods whose Job is gone or finished, and deletes finished Jobs
 * whose `ttlSecondsAfterFinished` passed; returns the earliest deadline or expiry to come.
 */
export const reconcileJobs: Controller = (cluster) => {
  const now = cluster.now();
  let next: number | undefined;
  const jobs = listAll(cluster, KINDS.jobs);
  const byUid = new Map(jobs.map((j) => [j.metadata.uid ?? '', j]));
  for (const job of jobs) {
    if (job.metadata.deletionTimestamp) continue;
    if (!jobFinished(job)) {
      next = earliest(next, reconcileJob(cluster, job));
      continue;
    }
    const ttl = section(job, 'spec')['ttlSecondsAfterFinished'];
    const at = finishedAt(job);
    if (typeof ttl === 'number' && at !== undefined) {
      const key = `${job.metadata.namespace}/${job.metadata.name}`;
      let expiry = cluster.jobExpiryDue.get(key);
      if (expiry === undefined) {
        expiry = Math.max(at + ttl * 1000, now + TTL_CONTROLLER_LAG_MS);
        cluster.jobExpiryDue.set(key, expiry);
      }
      if (expiry <= now) {
        cluster.jobExpiryDue.delete(key);
        cluster.deleteObject(KINDS.jobs, job, 'Background');
      } else next = earliest(next, expiry);
    }
  }
  // A pod keeps its tracking finalizer only while an unfinished Job may still count it.
  for (const pod of listAll(cluster, KINDS.pods)) {
    if (!tracked(pod)) continue;
    const ref = (pod.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'Job');
    const job = ref ? byUid.get(ref.uid) : undefined;
    const current = job
      ? cluster.store.get('batch/jobs', job.metadata.namespace, job.metadata.name)
      : undefined;
    if (!current || current.metadata.deletionTimestamp || jobFinished(current)) untrack(cluster, pod);
  }
  return next;
};
