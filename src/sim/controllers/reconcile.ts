/**
 * Runs every controller over one cluster, in dependency order (namespaces, nodes, workloads, pods, services),
 * and returns the earliest time one of them asked to run again. Controllers are level-based: they read the
 * store and write only differences, so running them again on a stable cluster writes nothing.
 */
import type { SimCluster } from '../sim-cluster.ts';
import { reconcileAutoscalers } from './autoscalers.ts';
import type { Controller, ControllerContext } from './controller-writes.ts';
import { earliest } from './controller-writes.ts';
import { reconcileCrds } from './crds.ts';
import { reconcileCronJobs } from './cronjobs.ts';
import { reconcileDaemonSets } from './daemonsets.ts';
import { reconcileDeployments } from './deployments.ts';
import { reconcileDisruptionBudgets } from './disruption-budgets.ts';
import { reconcileJobs } from './jobs.ts';
import { reconcileNamespaces } from './namespaces.ts';
import { reconcileNodes } from './nodes.ts';
import { reconcilePods } from './pods.ts';
import { reconcileReplicaSets } from './replicasets.ts';
import { reconcileServices } from './services.ts';
import { reconcileStatefulSets } from './statefulsets.ts';

const CONTROLLERS: Controller[] = [
  reconcileNamespaces,
  reconcileCrds,
  reconcileNodes,
  reconcileDeployments,
  reconcileReplicaSets,
  reconcileDaemonSets,
  reconcileStatefulSets,
  reconcileCronJobs,
  reconcileJobs,
  reconcilePods,
  reconcileDisruptionBudgets,
  reconcileServices,
  reconcileAutoscalers,
];

/** Runs the controllers once over a cluster; returns when they next need to run (epoch ms), if ever. */
export function reconcileCluster(cluster: SimCluster, ctx: ControllerContext): number | undefined {
  let next: number | undefined;
  for (const c of CONTROLLERS) next = earliest(next, c(cluster, ctx));
  return next;
}
