/**
 * `kubectl get` columns of the batch, policy, autoscaling, networking and extension kinds, as kube-apiserver 1.35
 * prints them: jobs (STATUS, COMPLETIONS, DURATION), cron jobs, pod disruption budgets, autoscalers, ingresses,
 * ingress classes, CRDs and webhook configurations.
 */

import { humanAge } from './human-age.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import { selectorText } from './selectors.ts';
import type { Column } from './tables.ts';

const rec = (v: unknown): Record<string, unknown> => (isJsonObject(v) ? v : {});
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
const spec = (o: KubeObject) => rec(o['spec']);
const status = (o: KubeObject) => rec(o['status']);
const num = (v: unknown) => Number(v ?? 0);
const text = (v: unknown, none = '<none>') => (v === undefined || v === null || v === '' ? none : String(v));

const name: Column = { name: 'Name', type: 'string', priority: 0, cell: (o) => o.metadata.name };
const age: Column = {
  name: 'Age',
  type: 'string',
  priority: 0,
  cell: (o, now) => humanAge(o.metadata.creationTimestamp, now),
};

function hasCondition(o: KubeObject, type: string): boolean {
  return arr(status(o)['conditions']).some((c) => c['type'] === type && c['status'] === 'True');
}

function jobStatus(o: KubeObject): string {
  if (hasCondition(o, 'Complete')) return 'Complete';
  if (hasCondition(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(o, 'Suspended')) return 'Suspended';
  if (hasCondition(o, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(o, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(jobSpec: Record<string, unknown>, succeeded: number): string {
  if (typeof jobSpec['completions'] === 'number') return `${succeeded}/${jobSpec['completions']}`;
  const parallelism = jobSpec['parallelism'];
  if (typeof parallelism === 'number' && parallelism > 1) return `${succeeded}/1 of ${parallelism}`;
  return `${succeeded}/1`;
}

function jobDuration(o: KubeObject, now: number): string {
  const start = status(o)['startTime'];
  if (typeof start !== 'string') return '';
  const end = status(o)['completionTime'];
  return humanAge(start, typeof end === 'string' ? Date.parse(end) : now);
}

function podTemplate(o: KubeObject): Record<string, unknown> {
  if (o.kind === 'CronJob') return rec(rec(rec(spec(o)['jobTemplate'])['spec'])['template']);
  return rec(spec(o)['template']);
}

const containers: Column = {
  name: 'Containers',
  type: 'string',
  priority: 1,
  cell: (o) =>
    arr(rec(podTemplate(o)['spec'])['containers'])
      .map((c) => String(c['name']))
      .join(','),
};
const images: Column = {
  name: 'Images',
  type: 'string',
  priority: 1,
  cell: (o) =>
    arr(rec(podTemplate(o)['spec'])['containers'])
      .map((c) => String(c['image']))
      .join(','),
};

function webhooks(o: KubeObject): number {
  return Array.isArray(o['webhooks']) ? o['webhooks'].length : 0;
}

/** The columns by resource key (`batch/jobs`), merged into tables.ts's. */
export const WORKLOAD_COLUMNS: Record<string, Column[]> = {
  'batch/jobs': [
    name,
    { name: 'Status', type: 'string', priority: 0, cell: jobStatus },
    {
      name: 'Completions',
      type: 'string',
      priority: 0,
      cell: (o) => jobCompletions(spec(o), num(status(o)['succeeded'])),
    },
    { name: 'Duration', type: 'string', priority: 0, cell: jobDuration },
    age,
    containers,
    images,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selectorText(spec(o)['selector']) },
  ],
  'batch/cronjobs': [
    name,
    { name: 'Schedule', type: 'string', priority: 0, cell: (o) => String(spec(o)['schedule'] ?? '') },
    { name: 'Timezone', type: 'string', priority: 0, cell: (o) => text(spec(o)['timeZone']) },
    {
      name: 'Suspend',
      type: 'string',
      priority: 0,
      cell: (o) => (spec(o)['suspend'] === true ? 'True' : 'False'),
    },
    { name: 'Active', type: 'integer', priority: 0, cell: (o) => arr(status(o)['active']).length },
    {
      name: 'Last Schedule',
      type: 'string',
      priority: 0,
      cell: (o, now) => {
        const last = status(o)['lastScheduleTime'];
        return typeof last === 'string' ? humanAge(last, now) : '<none>';
      },
    },
    age,
    containers,
    images,
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (o) => selectorText(rec(rec(spec(o)['jobTemplate'])['spec'])['selector']),
    },
  ],
  'policy/poddisruptionbudgets': [
    name,
    { name: 'Min Available', type: 'string', priority: 0, cell: (o) => text(spec(o)['minAvailable'], 'N/A') },
    {
      name: 'Max Unavailable',
      type: 'string',
      priority: 0,
      cell: (o) => text(spec(o)['maxUnavailable'], 'N/A'),
    },
    {
      name: 'Allowed Disruptions',
      type: 'integer',
      priority: 0,
      cell: (o) => num(status(o)['disruptionsAllowed']),
    },
    age,
  ],
  'autoscaling/horizontalpodautoscalers': [
    name,
    {
      name: 'Reference',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const ref = rec(spec(o)['scaleTargetRef']);
        return `${String(ref['kind'] ?? '')}/${String(ref['name'] ?? '')}`;
      },
    },
    {
      name: 'Targets',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const metrics = arr(spec(o)['metrics']);
        if (metrics.length === 0) return '<none>';
        return metrics
          .map((m) => {
            const resource = rec(m['resource']);
            const target = rec(resource['target']);
            const value = target['averageUtilization'] ?? target['averageValue'] ?? target['value'];
            const unit = target['averageUtilization'] !== undefined ? '%' : '';
            return `${String(resource['name'] ?? m['type'] ?? '')}: <unknown>/${String(value ?? '')}${unit}`;
          })
          .join(', ');
      },
    },
    { name: 'MinPods', type: 'integer', priority: 0, cell: (o) => num(spec(o)['minReplicas'] ?? 1) },
    { name: 'MaxPods', type: 'integer', priority: 0, cell: (o) => num(spec(o)['maxReplicas']) },
    { name: 'Replicas', type: 'integer', priority: 0, cell: (o) => num(status(o)['currentReplicas']) },
    age,
  ],
  'networking.k8s.io/ingresses': [
    name,
    { name: 'Class', type: 'string', priority: 0, cell: (o) => text(spec(o)['ingressClassName']) },
    {
      name: 'Hosts',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const hosts = arr(spec(o)['rules']).map((r) => String(r['host'] ?? '*'));
        return hosts.length > 0 ? hosts.join(',') : '*';
      },
    },
    {
      name: 'Address',
      type: 'string',
      priority: 0,
      cell: (o) =>
        arr(rec(status(o)['loadBalancer'])['ingress'])
          .map((i) => String(i['ip'] ?? i['hostname'] ?? ''))
          .join(','),
    },
    {
      name: 'Ports',
      type: 'string',
      priority: 0,
      cell: (o) => (arr(spec(o)['tls']).length > 0 ? '80, 443' : '80'),
    },
    age,
  ],
  'networking.k8s.io/ingressclasses': [
    name,
    { name: 'Controller', type: 'string', priority: 0, cell: (o) => String(spec(o)['controller'] ?? '') },
    {
      name: 'Parameters',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const p = rec(spec(o)['parameters']);
        return p['kind'] ? `${String(p['kind'])}/${String(p['name'] ?? '')}` : '<none>';
      },
    },
    age,
  ],
  'apps/controllerrevisions': [
    name,
    {
      name: 'Controller',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
        if (!ref) return '<none>';
        const group = ref.apiVersion.includes('/') ? `.${ref.apiVersion.split('/')[0]}` : '';
        return `${ref.kind.toLowerCase()}${group}/${ref.name}`;
      },
    },
    { name: 'Revision', type: 'integer', priority: 0, cell: (o) => num(o['revision']) },
    age,
  ],
  'apiextensions.k8s.io/customresourcedefinitions': [
    name,
    {
      name: 'Created At',
      type: 'string',
      priority: 0,
      cell: (o) => String(o.metadata.creationTimestamp ?? ''),
    },
  ],
  'admissionregistration.k8s.io/validatingwebhookconfigurations': [
    name,
    { name: 'Webhooks', type: 'integer', priority: 0, cell: webhooks },
    age,
  ],
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': [
    name,
    { name: 'Webhooks', type: 'integer', priority: 0, cell: webhooks },
    age,
  ],
};

/** Evaluates the JSONPath subset CRDs use in printer columns: `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.k=="v")].b`. */
function jsonPathValues(obj: unknown, path: string): unknown[] {
  const tokens =
    path
      .replace(/^\{?\.?/, '')
      .replace(/\}$/, '')
      .match(/[^.[\]]+|\[[^\]]*\]/g) ?? [];
  let current: unknown[] = [obj];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const value of current) {
      if (token.startsWith('[')) {
        if (!Array.isArray(value)) continue;
        const inner = token.slice(1, -1);
        const filter = /^\?\(@\.([\w.-]+)\s*==\s*["']?([^"')]*)["']?\)$/.exec(inner);
        if (inner === '*') next.push(...value);
        else if (filter)
          next.push(...value.filter((v) => isJsonObject(v) && String(v[filter[1]!]) === filter[2]));
        else if (/^\d+$/.test(inner) && value[Number(inner)] !== undefined) next.push(value[Number(inner)]);
      } else if (isJsonObject(value) && value[token] !== undefined) next.push(value[token]);
    }
    current = next;
  }
  return current;
}

/**
 * Returns the columns of a custom resource from its CRD's `additionalPrinterColumns` (NAME and AGE when it has
 * none), as the apiextensions server prints them; undefined for types that are not custom.
 */
export function customResourceColumns(
  crds: readonly KubeObject[],
  group: string,
  version: string,
  plural: string,
): Column[] | undefined {
  const crd = crds.find((c) => spec(c)['group'] === group && rec(spec(c)['names'])['plural'] === plural);
  if (!crd) return undefined;
  const served = arr(spec(crd)['versions']).find((v) => v['name'] === version);
  const defined = arr(served?.['additionalPrinterColumns']);
  if (defined.length === 0) return [name, age];
  return [
    name,
    ...defined.map((c): Column => {
      const type = String(c['type'] ?? 'string') as Column['type'];
      const path = String(c['jsonPath'] ?? '');
      return {
        name: String(c['name'] ?? ''),
        type,
        priority: Number(c['priority'] ?? 0),
        cell: (o, now) => {
          const values = jsonPathValues(o, path);
          if (values.length === 0) return '';
          if (type === 'date') return typeof values[0] === 'string' ? humanAge(values[0], now) : '';
          if (type === 'integer' || type === 'number') return Number(values[0]);
          return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
        },
      };
    }),
  ];
}
