/**
 * The kubelet's part: a machine whose boot time has come registers its Node (Ready, with OS image, kubelet
 * version, container runtime, addresses); a stopped machine's Node turns NotReady (status Unknown). The events a
 * real cluster shows for it: the kubelet's `Starting`, `NodeAllocatableEnforced` and `NodeReady`, the node
 * controller's `RegisteredNode`, `NodeNotReady` and `RemovingNode`.
 */
import { recordEvent } from '../events.ts';
import type { KubeObject } from '../kube-object.ts';
import { kubeTime } from '../kube-object.ts';
import type { SimMachineRecord } from '../machine-records.ts';
import { MACHINE_TYPE } from '../machine-records.ts';
import { resourceKey } from '../resources.ts';
import type { SimCluster } from '../sim-cluster.ts';
import type { Controller } from './controller-writes.ts';
import { earliest, KINDS, randomHex, writeChange } from './controller-writes.ts';

function nodeConditions(ready: boolean, time: string) {
  const ok = (type: string, reason: string, message: string) => ({
    type,
    status: 'False',
    reason,
    message,
    lastHeartbeatTime: time,
    lastTransitionTime: time,
  });
  return [
    ok('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    ok('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    ok('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    ready
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: time,
          lastTransitionTime: time,
        }
      : {
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastHeartbeatTime: time,
          lastTransitionTime: time,
        },
  ];
}

/** Returns the Node object a running machine registers. */
export function nodeFor(cluster: SimCluster, machine: SimMachineRecord): KubeObject {
  const m = machine.spec;
  const name = machine.metadata.name;
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/instance-type': m.instanceType,
    'strata.dev/pool': m.pool,
  };
  if (m.role === 'control-plane') labels['node-role.kubernetes.io/control-plane'] = '';
  const time = kubeTime(cluster.now());
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'strata.dev/machine': name },
    },
    spec: {
      providerID: `sim://${cluster.name}/${name}`,
      podCIDR: `10.244.${Number(m.internalIP.split('.')[3] ?? 0) % 256}.0/24`,
      ...(m.role === 'control-plane'
        ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }
        : {}),
    },
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '4', memory: '15Gi', pods: '110', 'ephemeral-storage': '95Gi' },
      conditions: nodeConditions(true, time),
      addresses: [
        { type: 'InternalIP', address: m.internalIP },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: randomHex(32),
        systemUUID: randomHex(32),
        bootID: randomHex(32),
        kernelVersion: m.kernelVersion,
        osImage: m.osImage,
        containerRuntimeVersion: m.containerRuntimeVersion,
        kubeletVersion: m.kubeletVersion,
        kubeProxyVersion: m.kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/**
 * Records an event about a node. The kubelet names its node by name only (its events carry the node's name as
 * uid, which `kubectl describe node` also looks for); the node controller refers to the stored Node.
 */
function recordNodeEvent(
  cluster: SimCluster,
  node: KubeObject,
  component: 'kubelet' | 'node-controller',
  reason: string,
  message: string,
): void {
  const name = node.metadata.name;
  const regarding =
    component === 'kubelet'
      ? { ...node, metadata: { ...node.metadata, uid: name, resourceVersion: '' } }
      : node;
  recordEvent(cluster, {
    regarding,
    type: 'Normal',
    reason,
    message,
    component,
    ...(component === 'kubelet' ? { host: name } : {}),
  });
}

/** Records what a real cluster reports when a node joins: the kubelet starting, the node Ready and registered. */
function recordNodeJoined(cluster: SimCluster, node: KubeObject): void {
  const name = node.metadata.name;
  recordNodeEvent(cluster, node, 'kubelet', 'Starting', 'Starting kubelet.');
  recordNodeEvent(
    cluster,
    node,
    'kubelet',
    'NodeAllocatableEnforced',
    'Updated Node Allocatable limit across pods',
  );
  recordNodeEvent(cluster, node, 'kubelet', 'NodeReady', `Node ${name} status is now: NodeReady`);
  recordNodeEvent(
    cluster,
    node,
    'node-controller',
    'RegisteredNode',
    `Node ${name} event: Registered Node ${name} in Controller`,
  );
}

/** True when a Node reports Ready=True. */
export function nodeIsReady(node: KubeObject): boolean {
  const conditions = (node['status'] as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return (conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Boots machines whose time has come and keeps Node readiness in line with machine state. */
export const reconcileNodes: Controller = (cluster) => {
  let next: number | undefined;
  const now = cluster.now();
  for (const obj of cluster.store.list(resourceKey(MACHINE_TYPE))) {
    let machine = obj as SimMachineRecord;
    if (machine.status.phase === 'Booting') {
      if (machine.status.bootAt > now) {
        next = earliest(next, machine.status.bootAt);
        continue;
      }
      machine = writeChange(cluster, MACHINE_TYPE, machine, (m) => {
        (m as SimMachineRecord).status.phase = 'Running';
      }) as SimMachineRecord;
    }
    const node = cluster.store.get(resourceKey(KINDS.nodes), undefined, machine.metadata.name);
    if (machine.status.phase === 'Running' && !node) {
      recordNodeJoined(cluster, cluster.createObject(KINDS.nodes, nodeFor(cluster, machine)));
    } else if (machine.status.phase === 'Stopped' && node && nodeIsReady(node)) {
      const notReady = writeChange(cluster, KINDS.nodes, node, (n) => {
        (n['status'] as Record<string, unknown>)['conditions'] = nodeConditions(false, kubeTime(now));
      });
      const name = node.metadata.name;
      recordNodeEvent(
        cluster,
        notReady,
        'node-controller',
        'NodeNotReady',
        `Node ${name} status is now: NodeNotReady`,
      );
    }
  }
  return next;
};
