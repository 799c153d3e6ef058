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

/** Fills server-side defaults of a new object in place, by kind. `seed` makes generated addresses stable. */
export function applyCreateDefaults(obj: KubeObject, seed: string): void {
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
