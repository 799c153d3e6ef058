/**
 * What the API server fills in on create, as Kubernetes' defaulting and admission would: a namespace's phase,
 * a Service's cluster IP and port defaults, a Deployment's strategy, a Secret's `stringData` folded into `data`.
 * Only fields that kubectl and the simulator's controllers rely on are defaulted.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, KubeObject } from './kube-object.ts';
import { cloneJson, isJsonObject, objectField } from './kube-object.ts';

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

/** Returns kubectl's image pull policy default: Always for `:latest` or no tag, else IfNotPresent. */
function pullPolicyOf(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainers(list: unknown): void {
  for (const c of Array.isArray(list) ? list : []) {
    if (!isJsonObject(c)) continue;
    c['imagePullPolicy'] ??= pullPolicyOf(String(c['image'] ?? ''));
    c['resources'] ??= {};
    c['terminationMessagePath'] ??= '/dev/termination-log';
    c['terminationMessagePolicy'] ??= 'File';
    for (const p of Array.isArray(c['ports']) ? c['ports'] : []) if (isJsonObject(p)) p['protocol'] ??= 'TCP';
  }
}

/** Fills a pod spec's defaults (a Pod's or a template's), as SetDefaults_PodSpec does. */
function defaultPodSpec(spec: JsonObject): void {
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['securityContext'] ??= {};
  defaultContainers(spec['containers']);
  defaultContainers(spec['initContainers']);
}

/**
 * Returns a copy of a pod template with its pod spec defaulted — what the API server reads back for it. Controllers
 * compare and hash templates in this form, so a default added by a later version (or by a later write) is not a
 * template change.
 */
export function defaultedPodTemplate(template: unknown): JsonObject {
  const copy = isJsonObject(template) ? cloneJson(template) : {};
  defaultPodSpec(objectField(copy, 'spec'));
  return copy;
}

/** What admission adds to a Pod itself (not to templates): service account, priority, the default tolerations. */
function defaultPodAdmission(spec: JsonObject): void {
  spec['serviceAccountName'] ??= 'default';
  spec['serviceAccount'] ??= spec['serviceAccountName'];
  spec['enableServiceLinks'] ??= true;
  spec['priority'] ??= 0;
  spec['preemptionPolicy'] ??= 'PreemptLowerPriority';
  const tolerations = Array.isArray(spec['tolerations']) ? spec['tolerations'] : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (tolerations.some((t) => isJsonObject(t) && t['key'] === key)) continue;
    tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec['tolerations'] = tolerations;
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

/** Fills a Service spec's defaults; `seed` makes its generated cluster IP and node ports stable. */
function defaultServiceSpec(s: JsonObject, seed: string): void {
  s['type'] ??= 'ClusterIP';
  s['sessionAffinity'] ??= 'None';
  const external = s['type'] === 'ExternalName';
  if (!external) {
    if (s['clusterIP'] === undefined || s['clusterIP'] === '') s['clusterIP'] = addressFor('10.96', seed);
    if (typeof s['clusterIP'] === 'string') s['clusterIPs'] ??= [s['clusterIP']];
    s['ipFamilies'] ??= ['IPv4'];
    s['ipFamilyPolicy'] ??= 'SingleStack';
    s['internalTrafficPolicy'] ??= 'Cluster';
  }
  if (s['type'] === 'NodePort' || s['type'] === 'LoadBalancer') s['externalTrafficPolicy'] ??= 'Cluster';
  if (s['type'] === 'LoadBalancer') s['allocateLoadBalancerNodePorts'] ??= true;
  for (const p of Array.isArray(s['ports']) ? s['ports'] : []) {
    if (!isJsonObject(p)) continue;
    p['protocol'] ??= 'TCP';
    if (!external) p['targetPort'] ??= p['port'];
    if ((s['type'] === 'LoadBalancer' || s['type'] === 'NodePort') && p['nodePort'] === undefined) {
      p['nodePort'] = 30000 + (hashNumber(`${seed}:${String(p['port'])}`) % 2767);
    }
  }
}

/**
 * Fills the spec defaults of an object of any kind in place — on create and on every update, as the API server
 * defaults each write. Idempotent: fields already set are kept.
 */
function applySpecDefaults(obj: KubeObject, seed: string, uid: string): void {
  switch (obj.kind) {
    case 'Service':
      defaultServiceSpec(objectField(obj, 'spec'), seed);
      break;
    case 'Deployment': {
      const s = objectField(obj, 'spec');
      s['replicas'] ??= 1;
      s['revisionHistoryLimit'] ??= 10;
      s['progressDeadlineSeconds'] ??= 600;
      const strategy = objectField(s, 'strategy');
      strategy['type'] ??= 'RollingUpdate';
      if (strategy['type'] === 'RollingUpdate') {
        const rolling = objectField(strategy, 'rollingUpdate');
        rolling['maxSurge'] ??= '25%';
        rolling['maxUnavailable'] ??= '25%';
      }
      defaultPodSpec(objectField(objectField(s, 'template'), 'spec'));
      break;
    }
    case 'ReplicaSet': {
      const s = objectField(obj, 'spec');
      s['replicas'] ??= 1;
      defaultPodSpec(objectField(objectField(s, 'template'), 'spec'));
      break;
    }
    case 'StatefulSet': {
      const s = objectField(obj, 'spec');
      s['replicas'] ??= 1;
      s['podManagementPolicy'] ??= 'OrderedReady';
      s['revisionHistoryLimit'] ??= 10;
      const strategy = objectField(s, 'updateStrategy');
      strategy['type'] ??= 'RollingUpdate';
      if (strategy['type'] === 'RollingUpdate') objectField(strategy, 'rollingUpdate')['partition'] ??= 0;
      s['persistentVolumeClaimRetentionPolicy'] ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      defaultPodSpec(objectField(objectField(s, 'template'), 'spec'));
      break;
    }
    case 'DaemonSet': {
      const s = objectField(obj, 'spec');
      s['revisionHistoryLimit'] ??= 10;
      const strategy = objectField(s, 'updateStrategy');
      strategy['type'] ??= 'RollingUpdate';
      if (strategy['type'] === 'RollingUpdate') {
        const rolling = objectField(strategy, 'rollingUpdate');
        rolling['maxUnavailable'] ??= 1;
        rolling['maxSurge'] ??= 0;
      }
      defaultPodSpec(objectField(objectField(s, 'template'), 'spec'));
      break;
    }
    case 'Job':
      defaultJob(obj, uid);
      break;
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
      const s = objectField(obj, 'spec');
      defaultPodSpec(s);
      defaultPodAdmission(s);
      break;
    }
    case 'Secret':
      obj['type'] ??= 'Opaque';
      foldStringData(obj);
      break;
  }
}

/**
 * Fills server-side defaults of a new object in place, by kind, and the status a new object starts with.
 * `seed` makes generated addresses stable; `uid` is the uid the object will get (a Job's selector names it).
 */
export function applyCreateDefaults(obj: KubeObject, seed: string, uid = ''): void {
  if (obj.kind === 'Namespace') {
    obj.metadata.labels = {
      ...(obj.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': obj.metadata.name,
    };
    obj['spec'] = { finalizers: ['kubernetes'], ...(isJsonObject(obj['spec']) ? obj['spec'] : {}) };
    obj['status'] = { phase: 'Active' };
  }
  applySpecDefaults(obj, seed, uid);
  if (obj.kind === 'Service' && obj['status'] === undefined) obj['status'] = { loadBalancer: {} };
  if (obj.kind === 'Pod') obj['status'] = { phase: 'Pending', qosClass: 'BestEffort' };
}

/**
 * Fills defaults of an updated object in place: the spec defaults, and what the API server carries over from the
 * stored object when the update leaves it out (a Service's cluster IPs and node ports).
 */
export function applyUpdateDefaults(current: KubeObject, next: KubeObject, seed: string): void {
  if (next.kind === 'Service' && isJsonObject(current['spec'])) {
    const before = current['spec'];
    const s = objectField(next, 'spec');
    if ((s['clusterIP'] === undefined || s['clusterIP'] === '') && before['clusterIP'] !== undefined) {
      s['clusterIP'] = before['clusterIP'];
      s['clusterIPs'] ??= before['clusterIPs'];
    }
    const oldPorts = Array.isArray(before['ports']) ? before['ports'].filter(isJsonObject) : [];
    for (const p of Array.isArray(s['ports']) ? s['ports'].filter(isJsonObject) : []) {
      const old = oldPorts.find(
        (o) => o['port'] === p['port'] && (o['protocol'] ?? 'TCP') === (p['protocol'] ?? 'TCP'),
      );
      if (p['nodePort'] === undefined && old?.['nodePort'] !== undefined) p['nodePort'] = old['nodePort'];
    }
  }
  applySpecDefaults(next, seed, current.metadata.uid ?? '');
}

/** Moves a Secret's `stringData` into base64 `data`, as the API server does on every write. */
export function foldStringData(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || !isJsonObject(obj['stringData'])) return;
  const data = isJsonObject(obj['data']) ? { ...obj['data'] } : {};
  for (const [k, v] of Object.entries(obj['stringData'])) data[k] = Buffer.from(String(v)).toString('base64');
  obj['data'] = data;
  delete obj['stringData'];
}
