/**
 * What the engine needs from an infrastructure provider: clusters, pools and machines that boot into nodes.
 * The simulator's `SimInfrastructure` satisfies it; so could a cloud provider. Node names are chosen by the
 * engine (deterministic), and every call is safe to repeat after a crash: creating what exists answers
 * `AlreadyExists`, which the engine treats as done.
 */
import type { MachineShape, PoolRole } from '../core/model.ts';

/** A node as the provider reports it. */
export interface InfraNode {
  name: string;
  pool: string;
  state: 'Booting' | 'Ready' | 'NotReady';
  osImage: string;
  kubeletVersion: string;
  instanceType: string;
  createdAt: string;
}

/** The provider's operations. */
export interface Infrastructure {
  createCluster(name: string): Promise<void>;
  clusterExists(name: string): Promise<boolean>;
  deleteCluster(name: string): Promise<void>;
  createPool(
    cluster: string,
    pool: { name: string; role: PoolRole; machine: { instanceType: string; diskGiB?: number } },
  ): Promise<void>;
  listPools(cluster: string): Promise<Array<{ name: string }>>;
  addNode(
    cluster: string,
    pool: string,
    node: { name: string; osImage: string; kubeletVersion: string; instanceType?: string },
  ): Promise<string>;
  drainNode(cluster: string, node: string): Promise<string[]>;
  deleteNode(cluster: string, node: string): Promise<void>;
  listNodes(cluster: string): Promise<InfraNode[]>;
}

/** Returns the machine shape of a pool as the provider takes it. */
export function machineOf(machine: MachineShape): { instanceType: string; diskGiB: number } {
  return { instanceType: machine.instanceType, diskGiB: machine.diskGiB };
}

/**
 * The simulated infrastructure as the engine uses it: in this process (`SimKubeServer`) or in another one over
 * HTTPS (`RemoteSimulator`, for `strata worker`).
 */
export interface SimulatorAccess {
  infra: Infrastructure;
  /** A cluster's kubeconfig (YAML) for a role. */
  kubeconfig(cluster: string, role: 'admin' | 'read-only'): string;
  /** Makes the simulator's pending writes durable (a step completes only after what it changed is stored). */
  flush(): Promise<void>;
}
