/**
 * Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks for, with the columns kubectl users
 * know for pods, nodes, deployments, replica sets, daemon sets, services and namespaces (`-o wide` columns have
 * priority 1), and NAME/AGE for every other kind.
 */

import { humanAge } from './human-age.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import { selectorText } from './selectors.ts';
import { WORKLOAD_COLUMNS } from './tables-workloads.ts';

export { humanAge };

/** One column of a Table: its definition and how a row's cell is computed. */
export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  priority: number;
  cell: (o: KubeObject, now: number) => string | number;
}

/** True when an Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').includes('as=Table');
}

const rec = (v: unknown): Record<string, unknown> => (isJsonObject(v) ? v : {});
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
const spec = (o: KubeObject) => rec(o['spec']);
const status = (o: KubeObject) => rec(o['status']);
const num = (v: unknown) => Number(v ?? 0);

const name: Column = { name: 'Name', type: 'string', priority: 0, cell: (o) => o.metadata.name };
const age: Column = {
  name: 'Age',
  type: 'string',
  priority: 0,
  cell: (o, now) => humanAge(o.metadata.creationTimestamp, now),
};

/** kubectl's pod STATUS: a waiting or terminated container's reason (`Completed`, `Error`), else the phase. */
function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const s = status(o);
  let reason = String(s['reason'] ?? s['phase'] ?? 'Pending');
  for (const c of [...arr(s['containerStatuses'])].reverse()) {
    const state = rec(c['state']);
    const waiting = rec(state['waiting']);
    const terminated = rec(state['terminated']);
    if (waiting['reason']) reason = String(waiting['reason']);
    else if (state['terminated']) {
      reason = terminated['reason']
        ? String(terminated['reason'])
        : terminated['signal']
          ? `Signal:${String(terminated['signal'])}`
          : `ExitCode:${String(terminated['exitCode'] ?? 0)}`;
    }
  }
  return reason;
}

function templateContainers(o: KubeObject): Record<string, unknown>[] {
  return arr(rec(rec(spec(o)['template'])['spec'])['containers']);
}

const containers: Column = {
  name: 'Containers',
  type: 'string',
  priority: 1,
  cell: (o) =>
    templateContainers(o)
      .map((c) => String(c['name']))
      .join(','),
};
const images: Column = {
  name: 'Images',
  type: 'string',
  priority: 1,
  cell: (o) =>
    templateContainers(o)
      .map((c) => String(c['image']))
      .join(','),
};
const selector: Column = {
  name: 'Selector',
  type: 'string',
  priority: 1,
  cell: (o) => selectorText(spec(o)['selector']),
};

function nodeAddress(o: KubeObject, type: string): string {
  return String(arr(status(o)['addresses']).find((a) => a['type'] === type)?.['address'] ?? '<none>');
}

function servicePorts(o: KubeObject): string {
  const ports = arr(spec(o)['ports']).map(
    (p) =>
      `${String(p['port'])}${p['nodePort'] ? `:${String(p['nodePort'])}` : ''}/${String(p['protocol'] ?? 'TCP')}`,
  );
  return ports.length > 0 ? ports.join(',') : '<none>';
}

/** `LAST SEEN` of an event as kubectl prints it: `5s`, or `5s (x3 over 2m)` for a repeated one. */
function eventLastSeen(o: KubeObject, now: number): string {
  const last = String(o['lastTimestamp'] ?? o['eventTime'] ?? o.metadata.creationTimestamp ?? '');
  const count = num(o['count']);
  if (count > 1) {
    const first = String(o['firstTimestamp'] ?? o.metadata.creationTimestamp ?? '');
    return `${humanAge(last, now)} (x${count} over ${humanAge(first, now)})`;
  }
  return humanAge(last, now);
}

const EVENT_COLUMNS: Column[] = [
  { name: 'Last Seen', type: 'string', priority: 0, cell: eventLastSeen },
  { name: 'Type', type: 'string', priority: 0, cell: (o) => String(o['type'] ?? '') },
  { name: 'Reason', type: 'string', priority: 0, cell: (o) => String(o['reason'] ?? '') },
  {
    name: 'Object',
    type: 'string',
    priority: 0,
    cell: (o) =>
      `${String(rec(o['involvedObject'])['kind'] ?? '').toLowerCase()}/${String(rec(o['involvedObject'])['name'] ?? '')}`,
  },
  {
    name: 'Subobject',
    type: 'string',
    priority: 1,
    cell: (o) => String(rec(o['involvedObject'])['fieldPath'] ?? ''),
  },
  {
    name: 'Source',
    type: 'string',
    priority: 1,
    cell: (o) => [rec(o['source'])['component'], rec(o['source'])['host']].filter((v) => v).join(', '),
  },
  { name: 'Message', type: 'string', priority: 0, cell: (o) => String(o['message'] ?? '') },
  {
    name: 'First Seen',
    type: 'string',
    priority: 1,
    cell: (o, now) => humanAge(String(o['firstTimestamp'] ?? o.metadata.creationTimestamp ?? ''), now),
  },
  { name: 'Count', type: 'string', priority: 1, cell: (o) => String(num(o['count'] ?? 1)) },
  { name: 'Name', type: 'string', priority: 1, cell: (o) => o.metadata.name },
];

const COLUMNS: Record<string, Column[]> = {
  '/events': EVENT_COLUMNS,
  ...WORKLOAD_COLUMNS,
  '/pods': [
    name,
    {
      name: 'Ready',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const cs = arr(status(o)['containerStatuses']);
        const total = arr(spec(o)['containers']).length;
        return `${cs.filter((c) => c['ready'] === true).length}/${total}`;
      },
    },
    { name: 'Status', type: 'string', priority: 0, cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      priority: 0,
      cell: (o, now) => {
        // `3 (25s ago)`: the restarts and how long ago a container last exited, as the API server prints them.
        const cs = arr(status(o)['containerStatuses']);
        const restarts = cs.reduce((n, c) => n + num(c['restartCount']), 0);
        const exits = cs
          .map((c) => rec(rec(c['lastState'])['terminated'])['finishedAt'])
          .filter((t): t is string => typeof t === 'string')
          .sort();
        const lastExit = exits.at(-1);
        return restarts > 0 && lastExit ? `${restarts} (${humanAge(lastExit, now)} ago)` : String(restarts);
      },
    },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => String(status(o)['podIP'] ?? '<none>') },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => String(spec(o)['nodeName'] ?? '<none>') },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: () => '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  '/nodes': [
    name,
    {
      name: 'Status',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const ready = arr(status(o)['conditions']).find((c) => c['type'] === 'Ready');
        const text = ready?.['status'] === 'True' ? 'Ready' : 'NotReady';
        return spec(o)['unschedulable'] === true ? `${text},SchedulingDisabled` : text;
      },
    },
    {
      name: 'Roles',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const roles = Object.keys(o.metadata.labels ?? {})
          .filter((l) => l.startsWith('node-role.kubernetes.io/'))
          .map((l) => l.slice('node-role.kubernetes.io/'.length));
        return roles.length > 0 ? roles.join(',') : '<none>';
      },
    },
    age,
    {
      name: 'Version',
      type: 'string',
      priority: 0,
      cell: (o) => String(rec(status(o)['nodeInfo'])['kubeletVersion'] ?? ''),
    },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'ExternalIP') },
    {
      name: 'OS-Image',
      type: 'string',
      priority: 1,
      cell: (o) => String(rec(status(o)['nodeInfo'])['osImage'] ?? ''),
    },
    {
      name: 'Kernel-Version',
      type: 'string',
      priority: 1,
      cell: (o) => String(rec(status(o)['nodeInfo'])['kernelVersion'] ?? ''),
    },
    {
      name: 'Container-Runtime',
      type: 'string',
      priority: 1,
      cell: (o) => String(rec(status(o)['nodeInfo'])['containerRuntimeVersion'] ?? ''),
    },
  ],
  'apps/deployments': [
    name,
    {
      name: 'Ready',
      type: 'string',
      priority: 0,
      cell: (o) => `${num(status(o)['readyReplicas'])}/${num(spec(o)['replicas'])}`,
    },
    { name: 'Up-to-date', type: 'integer', priority: 0, cell: (o) => num(status(o)['updatedReplicas']) },
    { name: 'Available', type: 'integer', priority: 0, cell: (o) => num(status(o)['availableReplicas']) },
    age,
    containers,
    images,
    selector,
  ],
  'apps/replicasets': [
    name,
    { name: 'Desired', type: 'integer', priority: 0, cell: (o) => num(spec(o)['replicas']) },
    { name: 'Current', type: 'integer', priority: 0, cell: (o) => num(status(o)['replicas']) },
    { name: 'Ready', type: 'integer', priority: 0, cell: (o) => num(status(o)['readyReplicas']) },
    age,
    containers,
    images,
    selector,
  ],
  'apps/daemonsets': [
    name,
    { name: 'Desired', type: 'integer', priority: 0, cell: (o) => num(status(o)['desiredNumberScheduled']) },
    { name: 'Current', type: 'integer', priority: 0, cell: (o) => num(status(o)['currentNumberScheduled']) },
    { name: 'Ready', type: 'integer', priority: 0, cell: (o) => num(status(o)['numberReady']) },
    {
      name: 'Up-to-date',
      type: 'integer',
      priority: 0,
      cell: (o) => num(status(o)['updatedNumberScheduled']),
    },
    { name: 'Available', type: 'integer', priority: 0, cell: (o) => num(status(o)['numberAvailable']) },
    age,
  ],
  'apps/statefulsets': [
    name,
    {
      name: 'Ready',
      type: 'string',
      priority: 0,
      cell: (o) => `${num(status(o)['readyReplicas'])}/${num(spec(o)['replicas'])}`,
    },
    age,
  ],
  '/services': [
    name,
    { name: 'Type', type: 'string', priority: 0, cell: (o) => String(spec(o)['type'] ?? 'ClusterIP') },
    {
      name: 'Cluster-IP',
      type: 'string',
      priority: 0,
      cell: (o) => String(spec(o)['clusterIP'] ?? '<none>'),
    },
    {
      name: 'External-IP',
      type: 'string',
      priority: 0,
      cell: (o) => {
        const ingress = arr(rec(status(o)['loadBalancer'])['ingress']).map((i) =>
          String(i['ip'] ?? i['hostname']),
        );
        if (ingress.length > 0) return ingress.join(',');
        return spec(o)['type'] === 'LoadBalancer' ? '<pending>' : '<none>';
      },
    },
    { name: 'Port(s)', type: 'string', priority: 0, cell: servicePorts },
    age,
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (o) =>
        Object.entries(rec(spec(o)['selector']))
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',') || '<none>',
    },
  ],
  '/namespaces': [
    name,
    { name: 'Status', type: 'string', priority: 0, cell: (o) => String(status(o)['phase'] ?? 'Active') },
    age,
  ],
};

/**
 * Returns a Table of objects for a resource key, with PartialObjectMetadata (or full objects) per row; `custom`
 * columns (a CRD's additionalPrinterColumns) replace the built-in ones.
 */
export function toTable(
  resource: string,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  now: number,
  includeObject: 'None' | 'Metadata' | 'Object',
  custom?: Column[],
): Record<string, unknown> {
  const columns = custom ?? COLUMNS[resource] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: c.name,
      priority: c.priority,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object:
        includeObject === 'None'
          ? null
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
