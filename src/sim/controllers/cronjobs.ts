/**
 * The CronJob controller: at each time the schedule fires it creates a Job from `jobTemplate`
 * (`<cronjob>-<minutes since the epoch>`, as Kubernetes names them), honours `suspend`, `concurrencyPolicy`
 * (Allow, Forbid, Replace) and `startingDeadlineSeconds`, runs only the latest missed time after a pause (a restart
 * of Strata runs a missed schedule once, as kube-controller-manager does), keeps `successfulJobsHistoryLimit` /
 * `failedJobsHistoryLimit` finished Jobs, and reports `active`, `lastScheduleTime` and `lastSuccessfulTime`.
 * It wakes the cluster at the next scheduled time through the scheduler, never with a timer of its own.
 */
import { randomUUID } from 'node:crypto';
import { latestCronTime, nextCronTime, parseCronSchedule } from '../cron.ts';
import { defaultJob } from '../defaults.ts';
import type { KubeObject } from '../kube-object.ts';
import { cloneJson, isJsonObject, kubeTime } from '../kube-object.ts';
import type { SimCluster } from '../sim-cluster.ts';
import type { Controller } from './controller-writes.ts';
import {
  controllerRef,
  earliest,
  isControlledBy,
  KINDS,
  listAll,
  section,
  writeStatus,
} from './controller-writes.ts';
import { jobFinished } from './jobs.ts';

/** The annotation a CronJob's Job carries: the time it was scheduled for. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

function jobSucceeded(job: KubeObject): boolean {
  const conditions = section(job, 'status')['conditions'];
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isJsonObject(c) && c['type'] === 'Complete' && c['status'] === 'True')
  );
}

function jobFrom(cronJob: KubeObject, scheduledAt: number, uid: string): KubeObject {
  const template = section(cronJob, 'spec')['jobTemplate'];
  const t = isJsonObject(template) ? cloneJson(template) : {};
  const meta = isJsonObject(t['metadata']) ? t['metadata'] : {};
  const name = `${cronJob.metadata.name}-${Math.floor(scheduledAt / 60_000)}`;
  const spec = isJsonObject(t['spec']) ? t['spec'] : {};
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cronJob.metadata.namespace,
      labels: { ...(isJsonObject(meta['labels']) ? (meta['labels'] as Record<string, string>) : {}) },
      annotations: {
        ...(isJsonObject(meta['annotations']) ? (meta['annotations'] as Record<string, string>) : {}),
        [SCHEDULED_TIMESTAMP_ANNOTATION]: kubeTime(scheduledAt),
      },
      ownerReferences: [controllerRef(KINDS.cronJobs, cronJob)],
    },
    spec,
  };
  if (Object.keys(job.metadata.labels ?? {}).length === 0) delete job.metadata.labels;
  defaultJob(job, uid);
  return job;
}

function finishedTime(job: KubeObject): string {
  const status = section(job, 'status');
  return String(status['completionTime'] ?? job.metadata.creationTimestamp ?? '');
}

function reconcileCronJob(cluster: SimCluster, cronJob: KubeObject): number | undefined {
  const now = cluster.now();
  const spec = section(cronJob, 'spec');
  const schedule = parseCronSchedule(String(spec['schedule'] ?? ''));
  if ('error' in schedule) return undefined;
  const zone = typeof spec['timeZone'] === 'string' ? spec['timeZone'] : undefined;
  const status = section(cronJob, 'status');
  const owned = () =>
    cluster.store.list('batch/jobs', cronJob.metadata.namespace).filter((j) => isControlledBy(j, cronJob));
  const lastSchedule =
    typeof status['lastScheduleTime'] === 'string' ? status['lastScheduleTime'] : undefined;
  const since = Date.parse(lastSchedule ?? cronJob.metadata.creationTimestamp ?? kubeTime(now));
  let scheduled = lastSchedule;
  const due = spec['suspend'] === true ? undefined : latestCronTime(schedule, since, now, zone);
  const deadline = spec['startingDeadlineSeconds'];
  const tooLate = due !== undefined && typeof deadline === 'number' && now - due > deadline * 1000;
  if (due !== undefined && !tooLate) {
    const running = owned().filter((j) => !jobFinished(j) && !j.metadata.deletionTimestamp);
    const policy = spec['concurrencyPolicy'] ?? 'Allow';
    const name = `${cronJob.metadata.name}-${Math.floor(due / 60_000)}`;
    if (policy === 'Forbid' && running.length > 0) {
      // Skipped: the next time comes round again.
    } else {
      if (policy === 'Replace') for (const j of running) cluster.deleteObject(KINDS.jobs, j, 'Background');
      if (!cluster.store.get('batch/jobs', cronJob.metadata.namespace, name)) {
        const uid = randomUUID();
        cluster.createObject(KINDS.jobs, jobFrom(cronJob, due, uid), uid);
      }
      scheduled = kubeTime(due);
    }
  } else if (due !== undefined) scheduled = kubeTime(due);

  // Finished Jobs beyond the history limits go, oldest first.
  const jobs = owned();
  const prune = (list: KubeObject[], limit: unknown) => {
    const keep = typeof limit === 'number' ? limit : 0;
    const sorted = [...list].sort((a, b) => (finishedTime(a) < finishedTime(b) ? -1 : 1));
    for (const j of sorted.slice(0, Math.max(0, sorted.length - keep))) {
      cluster.deleteObject(KINDS.jobs, j, 'Background');
    }
  };
  const finished = jobs.filter((j) => jobFinished(j) && !j.metadata.deletionTimestamp);
  prune(finished.filter(jobSucceeded), spec['successfulJobsHistoryLimit']);
  prune(
    finished.filter((j) => !jobSucceeded(j)),
    spec['failedJobsHistoryLimit'],
  );

  const remaining = owned();
  const active = remaining
    .filter((j) => !jobFinished(j) && !j.metadata.deletionTimestamp)
    .map((j) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: j.metadata.name,
      namespace: j.metadata.namespace,
      uid: j.metadata.uid,
      resourceVersion: j.metadata.resourceVersion,
    }));
  const lastSuccess = remaining
    .filter(jobSucceeded)
    .map((j) => String(section(j, 'status')['completionTime'] ?? ''))
    .sort()
    .pop();
  const out: Record<string, unknown> = {};
  if (active.length > 0) out['active'] = active;
  if (scheduled) out['lastScheduleTime'] = scheduled;
  const previousSuccess =
    typeof status['lastSuccessfulTime'] === 'string' ? status['lastSuccessfulTime'] : undefined;
  const success = [lastSuccess, previousSuccess]
    .filter((t): t is string => !!t)
    .sort()
    .pop();
  if (success) out['lastSuccessfulTime'] = success;
  const current = cluster.store.get('batch/cronjobs', cronJob.metadata.namespace, cronJob.metadata.name);
  if (current) writeStatus(cluster, KINDS.cronJobs, current, out);
  return spec['suspend'] === true ? undefined : nextCronTime(schedule, now, zone);
}

/** Reconciles every CronJob of a cluster; returns the earliest next scheduled time. */
export const reconcileCronJobs: Controller = (cluster) => {
  let next: number | undefined;
  for (const cj of listAll(cluster, KINDS.cronJobs)) {
    if (!cj.metadata.deletionTimestamp) next = earliest(next, reconcileCronJob(cluster, cj));
  }
  return next;
};
