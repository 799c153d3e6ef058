/**
 * The simulator's own records of node pools and machines. They live in the cluster's object store (so they
 * persist and reload with it) under an internal group that the Kubernetes API never serves.
 */
import type { KubeObject } from './kube-object.ts';
import type { ResourceType } from './resources.ts';

/** The group of internal records; never routed or listed in discovery. */
export const INTERNAL_GROUP = 'sim.strata.internal';

function internalType(kind: string, plural: string): ResourceType {
  return {
    group: INTERNAL_GROUP,
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: [],
    namespaced: false,
    subresources: [],
    categories: [],
  };
}

/** Node pool records. */
export const POOL_TYPE = internalType('SimNodePool', 'nodepools');
/** Machine records (one per node, booting or running). */
export const MACHINE_TYPE = internalType('SimMachine', 'machines');

/** A pool's role. */
export type SimPoolRole = 'control-plane' | 'worker';

/** What a pool is made of. */
export interface SimPoolSpec {
  role: SimPoolRole;
  instanceType: string;
  diskGiB: number;
}

/** What a machine runs; fixed for its life (a repave makes new machines). */
export interface SimMachineSpec {
  pool: string;
  role: SimPoolRole;
  osImage: string;
  kubeletVersion: string;
  containerRuntimeVersion: string;
  instanceType: string;
  kernelVersion: string;
  internalIP: string;
}

/** A machine's life: booting until `bootAt`, then running; stopped when lost. */
export interface SimMachineStatus {
  phase: 'Booting' | 'Running' | 'Stopped';
  bootAt: number;
}

/** A machine record as stored. */
export interface SimMachineRecord extends KubeObject {
  spec: SimMachineSpec;
  status: SimMachineStatus;
}

/** A pool record as stored. */
export interface SimPoolRecord extends KubeObject {
  spec: SimPoolSpec;
}
