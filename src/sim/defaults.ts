/**
 * What the API server fills in on create, as Kubernetes' defaulting and admission would: a namespace's phase,
 * a Service's cluster IP and port defaults, a Deployment's strategy, a Secret's `stringData` folded into `data`.
 * Only fields that kubectl and the simulator's controllers rely on are defaulted.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, KubeObject } from './kube-object.ts';
import { isJsonObject, objectField } from './kube-object.ts';

/** Returns a stable non-negative 32-bit number derived from a seed. */
export function hashNumber(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0);
}

/** Returns an address in `prefix` (e.g. `10.96`) derived from a seed, so the same object keeps the same IP. */
export function addressFor(prefix: string, seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  const parts = prefix.split('.').length;
  const tail: number[] = [];
  for (let i = parts; i < 4; i += 1) tail.push(i === 3 ? (h[i]! % 253) + 1 : h[i]!);
  return [prefix, ...tail].join('.');
}

function defaultPodSpec(spec: JsonObject): void {
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['terminationGracePeriodSeconds'] ??= 30;
  for (const c of Array.isArray(spec['containers']) ? spec['containers'] : []) {
    if (!isJsonObject(c)) continue;
    const image = String(c['image'] ?? '');
    c['imagePullPolicy'] ??= image.endsWith(':latest') || !image.includes(':') ? 'Always' : 'IfNotPresent';
    c['terminationMessagePath'] ??= '/dev/termination-log';
    c['terminationMessagePolicy'] ??= 'File';
    for (const p of Array.isArray(c['ports']) ? c['ports'] : []) if (isJsonObject(p)) p['protocol'] ??= 'TCP';
  }
}

/** The label a Job's generated selector matches: its uid (with the older unprefixed label beside it). */
export const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** The label naming a pod's Job. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/**
 * Fills a Job spec's defaults as the API server does: completions and parallelism 1 (completions stays unset when
 * only parallelism is given), backoffLimit 6, NonIndexed, not suspended, and — unless `manualSelector` — a
 * selector on the Job's uid with the matching labels on its pod template.
 */
export function defaultJobSpec(spec: JsonObject, jobName: string, uid: string): void {
  if (spec['completions'] === undefined && spec['parallelism'] === undefined) spec['completions'] = 1;
  spec['parallelism'] ??= 1;
  spec['backoffLimit'] ??= spec['backoffLimitPerIndex'] === undefined ? 6 : 2147483647;
  spec['completionMode'] ??= 'NonIndexed';
  spec['suspend'] ??= false;
  spec['podReplacementPolicy'] ??= spec['podFailurePolicy'] === undefined ? 'TerminatingOrFailed' : 'Failed';
  const template = objectField(spec, 'template');
  const tmeta = objectField(template, 'metadata');
  if (spec['manualSelector'] !== true) {
    spec['manualSelector'] = false;
    spec['selector'] = { matchLabels: { [JOB_UID_LABEL]: uid } };
    tmeta['labels'] = {
      ...(isJsonObject(tmeta['labels']) ? tmeta['labels'] : {}),
      [JOB_UID_LABEL]: uid,
      [JOB_NAME_LABEL]: jobName,
      'controller-uid': uid,
      'job-name': jobName,
    };
  }
  defaultPodSpec(objectField(template, 'spec'));
}

/** Fills a new Job's defaults (its spec's, and its labels from its pod template's when it has none). */
export function defaultJob(obj: KubeObject, uid: string): void {
  const s = objectField(obj, 'spec');
  defaultJobSpec(s, obj.metadata.name, uid);
  const templateLabels = objectField(objectField(s, 'template'), 'metadata')['labels'];
  if (Object.keys(obj.metadata.labels ?? {}).length === 0 && isJsonObject(templateLabels)) {
    obj.metadata.labels = { ...(templateLabels as Record<string, string>) };
  }
}

/**
 * Fills server-side defaults of a new object in place, by kind. `seed` makes generated addresses stable; `uid` is
 * the uid the object will get (a Job's selector names it).
 */
export function applyCreateDefaults(obj: KubeObject, seed: string, uid = ''): void {
  const spec = isJsonObject(obj['spec']) ? obj['spec'] : undefined;
  switch (obj.kind) {
    case 'Namespace': {
      obj.metadata.labels = {
        ...(obj.metadata.labels ?? {}),
        'kubernetes.io/metadata.name': obj.metadata.name,
      };
      obj['spec'] = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      obj['status'] = { phase: 'Active' };
      break;
    }
    case 'Service': {
      const s = objectField(obj, 'spec');
      s['type'] ??= 'ClusterIP';
      s['sessionAffinity'] ??= 'None';
      if (s['clusterIP'] === undefined || s['clusterIP'] === '') {
        s['clusterIP'] = s['type'] === 'ExternalName' ? undefined : addressFor('10.96', seed);
      }
      if (typeof s['clusterIP'] === 'string') s['clusterIPs'] ??= [s['clusterIP']];
      for (const p of Array.isArray(s['ports']) ? s['ports'] : []) {
        if (!isJsonObject(p)) continue;
        p['protocol'] ??= 'TCP';
        p['targetPort'] ??= p['port'];
        if ((s['type'] === 'LoadBalancer' || s['type'] === 'NodePort') && p['nodePort'] === undefined) {
          p['nodePort'] = 30000 + (hashNumber(`${seed}:${String(p['port'])}`) % 2767);
        }
      }
      if (obj['status'] === undefined) obj['status'] = { loadBalancer: {} };
      break;
    }
    case 'Deployment': {
      const s = objectField(obj, 'spec');
      s['replicas'] ??= 1;
      s['revisionHistoryLimit'] ??= 10;
      s['progressDeadlineSeconds'] ??= 600;
      s['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      const template = objectField(s, 'template');
      defaultPodSpec(objectField(template, 'spec'));
      break;
    }
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet': {
      const s = objectField(obj, 'spec');
      if (obj.kind !== 'DaemonSet') s['replicas'] ??= 1;
      defaultPodSpec(objectField(objectField(s, 'template'), 'spec'));
      break;
    }
    case 'Job': {
      defaultJob(obj, uid);
      break;
    }
    case 'CronJob': {
      const s = objectField(obj, 'spec');
      s['concurrencyPolicy'] ??= 'Allow';
      s['suspend'] ??= false;
      s['successfulJobsHistoryLimit'] ??= 3;
      s['failedJobsHistoryLimit'] ??= 1;
      const jobSpec = objectField(objectField(s, 'jobTemplate'), 'spec');
      defaultPodSpec(objectField(objectField(jobSpec, 'template'), 'spec'));
      break;
    }
    case 'CustomResourceDefinition': {
      const s = objectField(obj, 'spec');
      const names = objectField(s, 'names');
      const kind = String(names['kind'] ?? '');
      names['singular'] ??= kind.toLowerCase();
      names['listKind'] ??= `${kind}List`;
      s['conversion'] ??= { strategy: 'None' };
      break;
    }
    case 'Pod': {
      defaultPodSpec(objectField(obj, 'spec'));
      obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    }
    case 'Secret': {
      obj['type'] ??= 'Opaque';
      foldStringData(obj);
      break;
    }
  }
}

/** Moves a Secret's `stringData` into base64 `data`, as the API server does on every write. */
export function foldStringData(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || !isJsonObject(obj['stringData'])) return;
  const data = isJsonObject(obj['data']) ? { ...obj['data'] } : {};
  for (const [k, v] of Object.entries(obj['stringData'])) data[k] = Buffer.from(String(v)).toString('base64');
  obj['data'] = data;
  delete obj['stringData'];
}
