/**
 * Simulated infrastructure, the engine's hooks into it: clusters, node pools and machines that boot after
 * `nodeBootMs` and register as Nodes; cordon, drain and delete of nodes. A repave adds new nodes with the new OS
 * image or kubelet version and removes the old ones — a machine's image and versions never change in place.
 */
import { StrataError } from '../core/errors.ts';
import { randomSuffix } from './api-operations.ts';
import { controllerKind, KINDS, section, writeChange } from './controllers/controller-writes.ts';
import { nodeIsReady } from './controllers/nodes.ts';
import { addressFor } from './defaults.ts';
import { evictPod, isEvictionRefusal } from './eviction.ts';
import type { SimFleet } from './fleet.ts';
import type { KubeObject } from './kube-object.ts';
import { kubeTime } from './kube-object.ts';
import type { SimMachineRecord, SimPoolRecord, SimPoolRole } from './machine-records.ts';
import { MACHINE_TYPE, POOL_TYPE } from './machine-records.ts';
import { resourceKey } from './resources.ts';
import type { SimCluster } from './sim-cluster.ts';

/** A pool to create. */
export interface SimPoolInput {
  name: string;
  role: SimPoolRole;
  machine: { instanceType: string; diskGiB?: number };
}

/** What a new node runs. */
export interface SimNodeInput {
  /**
   * The node's name, chosen by the caller so that a retried creation finds the node it made before
   * (`AlreadyExists`) instead of making a second one. Default: `<cluster>-<pool>-<random>`.
   */
  name?: string;
  osImage: string;
  kubeletVersion: string;
  /** Defaults to `containerd://1.7.27`. */
  containerRuntimeVersion?: string;
  /** Defaults to the pool's instance type. */
  instanceType?: string;
  /** Defaults to a kernel matching common Ubuntu images. */
  kernelVersion?: string;
}

/** A node as the engine sees it. */
export interface SimNodeSummary {
  name: string;
  pool: string;
  role: SimPoolRole;
  /** Booting: not registered yet; Ready / NotReady: the Node's Ready condition. */
  state: 'Booting' | 'Ready' | 'NotReady';
  unschedulable: boolean;
  osImage: string;
  kubeletVersion: string;
  containerRuntimeVersion: string;
  instanceType: string;
  internalIP: string;
  createdAt: string;
}

/** A pool as the engine sees it. */
export interface SimPoolSummary {
  name: string;
  role: SimPoolRole;
  instanceType: string;
  diskGiB: number;
}

const BASE_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The engine's handle on simulated machines and pools. */
export class SimInfrastructure {
  constructor(private readonly fleet: SimFleet) {}

  /** Creates a cluster with its base namespaces; AlreadyExists if the name is taken. */
  async createCluster(name: string): Promise<void> {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      throw new StrataError(
        'InvalidName',
        `cluster name "${name}" must be a DNS label (lower case, digits, '-')`,
        {
          field: 'name',
        },
      );
    }
    const cluster = await this.fleet.create(name);
    for (const ns of BASE_NAMESPACES) {
      cluster.createObject(KINDS.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
  }

  /** True when a simulated cluster exists (in memory or in persistence). */
  async clusterExists(name: string): Promise<boolean> {
    return (await this.fleet.get(name)) !== undefined;
  }

  /** Deletes a cluster, its machines and every object. */
  async deleteCluster(name: string): Promise<void> {
    await this.fleet.require(name);
    await this.fleet.delete(name);
  }

  /** Creates a node pool (its nodes are added with `addNode`); AlreadyExists if the pool exists. */
  async createPool(clusterName: string, pool: SimPoolInput): Promise<void> {
    const cluster = await this.fleet.require(clusterName);
    if (cluster.store.get(resourceKey(POOL_TYPE), undefined, pool.name)) {
      throw new StrataError(
        'AlreadyExists',
        `node pool "${pool.name}" already exists in cluster ${clusterName}`,
        {
          field: 'pool.name',
        },
      );
    }
    const record: SimPoolRecord = {
      apiVersion: 'sim.strata.internal/v1',
      kind: POOL_TYPE.kind,
      metadata: { name: pool.name },
      spec: { role: pool.role, instanceType: pool.machine.instanceType, diskGiB: pool.machine.diskGiB ?? 50 },
    };
    cluster.createObject(POOL_TYPE, record);
  }

  /** Returns a cluster's pools. */
  async listPools(clusterName: string): Promise<SimPoolSummary[]> {
    const cluster = await this.fleet.require(clusterName);
    return cluster.store.list(resourceKey(POOL_TYPE)).map((p) => {
      const spec = (p as SimPoolRecord).spec;
      return {
        name: p.metadata.name,
        role: spec.role,
        instanceType: spec.instanceType,
        diskGiB: spec.diskGiB,
      };
    });
  }

  /** Starts a machine in a pool; its Node registers (Ready) after `nodeBootMs`. Returns the node's name. */
  async addNode(clusterName: string, poolName: string, node: SimNodeInput): Promise<string> {
    const cluster = await this.fleet.require(clusterName);
    const pool = cluster.store.get(resourceKey(POOL_TYPE), undefined, poolName) as SimPoolRecord | undefined;
    if (!pool) {
      throw new StrataError('NotFound', `node pool "${poolName}" does not exist in cluster ${clusterName}`, {
        field: 'pool',
      });
    }
    let name = node.name ?? '';
    if (node.name !== undefined) {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
        throw new StrataError('InvalidName', `node name "${name}" must be a DNS subdomain`, {
          field: 'name',
        });
      }
      if (cluster.store.get(resourceKey(MACHINE_TYPE), undefined, name)) {
        throw new StrataError('AlreadyExists', `node "${name}" already exists in cluster ${clusterName}`, {
          field: 'name',
          node: name,
        });
      }
    } else {
      do name = `${clusterName}-${poolName}-${randomSuffix(5)}`;
      while (cluster.store.get(resourceKey(MACHINE_TYPE), undefined, name));
    }
    const bootAt = cluster.now() + this.fleet.timing.nodeBootMs;
    const record: SimMachineRecord = {
      apiVersion: 'sim.strata.internal/v1',
      kind: MACHINE_TYPE.kind,
      metadata: { name },
      spec: {
        pool: poolName,
        role: pool.spec.role,
        osImage: node.osImage,
        kubeletVersion: node.kubeletVersion,
        containerRuntimeVersion: node.containerRuntimeVersion ?? 'containerd://1.7.27',
        instanceType: node.instanceType ?? pool.spec.instanceType,
        kernelVersion: node.kernelVersion ?? '6.8.0-1021-aws',
        internalIP: addressFor('10.0', `${clusterName}/${name}`),
      },
      status: { phase: 'Booting', bootAt },
    };
    cluster.createObject(MACHINE_TYPE, record);
    this.fleet.wakeAt(clusterName, bootAt);
    return name;
  }

  /** Marks a node unschedulable (no new pods); running pods stay. */
  async cordonNode(clusterName: string, nodeName: string): Promise<void> {
    const cluster = await this.fleet.require(clusterName);
    const node = requireNode(cluster, nodeName);
    writeChange(cluster, KINDS.nodes, node, (n) => {
      const spec = section(n, 'spec');
      spec['unschedulable'] = true;
      const taints = Array.isArray(spec['taints']) ? spec['taints'] : [];
      if (!taints.some((t) => (t as { key?: string }).key === 'node.kubernetes.io/unschedulable')) {
        spec['taints'] = [
          ...taints,
          {
            key: 'node.kubernetes.io/unschedulable',
            effect: 'NoSchedule',
            timeAdded: kubeTime(cluster.now()),
          },
        ];
      }
      n['spec'] = spec;
    });
  }

  /** Makes a cordoned node schedulable again. */
  async uncordonNode(clusterName: string, nodeName: string): Promise<void> {
    const cluster = await this.fleet.require(clusterName);
    const node = requireNode(cluster, nodeName);
    writeChange(cluster, KINDS.nodes, node, (n) => {
      const spec = section(n, 'spec');
      delete spec['unschedulable'];
      const taints = Array.isArray(spec['taints']) ? spec['taints'] : [];
      const kept = taints.filter((t) => (t as { key?: string }).key !== 'node.kubernetes.io/unschedulable');
      if (kept.length > 0) spec['taints'] = kept;
      else delete spec['taints'];
      n['spec'] = spec;
    });
  }

  /**
   * Cordons a node and evicts its pods except DaemonSet ones through the Eviction API's rules (eviction.ts), as
   * `kubectl drain` does: pods no PodDisruptionBudget covers go at once; a pod whose budget allows no disruption
   * now waits until replacements are Ready elsewhere. Controllers recreate evicted pods on other nodes with new
   * container IDs. Gives up after `drainTimeoutMs` with `TooManyRequests` naming the budget that still refuses.
   * Returns the names (`namespace/name`) of the evicted pods.
   */
  async drainNode(clusterName: string, nodeName: string): Promise<string[]> {
    await this.cordonNode(clusterName, nodeName);
    const started = this.fleet.clock.now();
    const deadline = started + this.fleet.timing.drainTimeoutMs;
    const evicted: string[] = [];
    for (;;) {
      const cluster = await this.fleet.require(clusterName);
      requireNode(cluster, nodeName);
      const refused: { pod: string; error: StrataError }[] = [];
      for (const pod of cluster.store.list(resourceKey(KINDS.pods))) {
        if (section(pod, 'spec')['nodeName'] !== nodeName || controllerKind(pod) === 'DaemonSet') continue;
        if (pod.metadata.deletionTimestamp) continue;
        const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
        try {
          evictPod(cluster, pod, { dryRun: false });
          evicted.push(name);
        } catch (error) {
          if (!isEvictionRefusal(error)) throw error;
          refused.push({ pod: name, error });
        }
      }
      if (refused.length === 0) return evicted;
      const now = this.fleet.clock.now();
      if (now >= deadline) throw drainTimedOut(nodeName, now - started, refused);
      // Replacements becoming Ready change the store (and the budgets' status): look again then, or at the deadline.
      await nextChange(cluster, Math.min(deadline - now, DRAIN_POLL_MS));
    }
  }

  /** Powers a machine off without removing it: its Node turns NotReady and its pods move elsewhere. */
  async stopNode(clusterName: string, nodeName: string): Promise<void> {
    const cluster = await this.fleet.require(clusterName);
    const machine = requireMachine(cluster, nodeName);
    writeChange(cluster, MACHINE_TYPE, machine, (m) => {
      (m as SimMachineRecord).status.phase = 'Stopped';
    });
  }

  /** Removes a node: its machine and Node object go, and its pods reappear on other nodes. */
  async deleteNode(clusterName: string, nodeName: string): Promise<void> {
    const cluster = await this.fleet.require(clusterName);
    const machine = requireMachine(cluster, nodeName);
    cluster.removeNow(MACHINE_TYPE, machine, 'Background');
    const node = cluster.store.get(resourceKey(KINDS.nodes), undefined, nodeName);
    if (node) cluster.removeNow(KINDS.nodes, node, 'Background');
  }

  /** Returns a cluster's nodes, booting ones included, by pool and name. */
  async listNodes(clusterName: string): Promise<SimNodeSummary[]> {
    const cluster = await this.fleet.require(clusterName);
    return cluster.store
      .list(resourceKey(MACHINE_TYPE))
      .map((m) =>
        summarize(
          m as SimMachineRecord,
          cluster.store.get(resourceKey(KINDS.nodes), undefined, m.metadata.name),
        ),
      )
      .sort((a, b) => (a.pool === b.pool ? (a.name < b.name ? -1 : 1) : a.pool < b.pool ? -1 : 1));
  }
}

function summarize(machine: SimMachineRecord, node: KubeObject | undefined): SimNodeSummary {
  const m = machine.spec;
  return {
    name: machine.metadata.name,
    pool: m.pool,
    role: m.role,
    state: !node ? 'Booting' : nodeIsReady(node) ? 'Ready' : 'NotReady',
    unschedulable: node ? section(node, 'spec')['unschedulable'] === true : false,
    osImage: m.osImage,
    kubeletVersion: m.kubeletVersion,
    containerRuntimeVersion: m.containerRuntimeVersion,
    instanceType: m.instanceType,
    internalIP: m.internalIP,
    createdAt: machine.metadata.creationTimestamp ?? '',
  };
}

/** How often a waiting drain looks again when nothing in the cluster changed (a hand-moved clock, say). */
const DRAIN_POLL_MS = 1000;

/** Resolves at the cluster's next store change, or after `ms`. */
function nextChange(cluster: SimCluster, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, Math.max(1, ms));
    const unsubscribe = cluster.store.subscribe(() => setImmediate(done));
  });
}

/** The error of a drain that waited too long for disruption budgets, naming each budget still refusing. */
function drainTimedOut(
  nodeName: string,
  waitedMs: number,
  refused: readonly { pod: string; error: StrataError }[],
): StrataError {
  const budgets = [...new Set(refused.map((r) => String(r.error.details['budget'])))];
  const causes = refused.map((r) => {
    const cause = (r.error.details['causes'] as { message: string }[] | undefined)?.[0]?.message ?? '';
    return `pod ${r.pod}: ${cause}`;
  });
  return new StrataError(
    'TooManyRequests',
    `drain of node ${nodeName} gave up after ${Math.round(waitedMs / 1000)}s: evicting ${refused.length === 1 ? 'a pod' : `${refused.length} pods`} would violate PodDisruptionBudget ${budgets.join(', ')} (${causes.join('; ')})`,
    { node: nodeName, budgets, pods: refused.map((r) => r.pod) },
  );
}

function requireNode(cluster: SimCluster, nodeName: string): KubeObject {
  const node = cluster.store.get(resourceKey(KINDS.nodes), undefined, nodeName);
  if (!node) {
    throw new StrataError(
      'NotFound',
      `node "${nodeName}" does not exist (or has not booted) in cluster ${cluster.name}`,
      {
        field: 'node',
      },
    );
  }
  return node;
}

function requireMachine(cluster: SimCluster, nodeName: string): SimMachineRecord {
  const m = cluster.store.get(resourceKey(MACHINE_TYPE), undefined, nodeName);
  if (!m)
    throw new StrataError('NotFound', `node "${nodeName}" does not exist in cluster ${cluster.name}`, {
      field: 'node',
    });
  return m as SimMachineRecord;
}
