/**
 * The Eviction API (`POST …/pods/<name>/eviction` with a policy/v1 Eviction), as the API server implements it: a
 * pod covered by a PodDisruptionBudget is deleted only when the budget's stored status allows a disruption, which
 * the eviction then uses up (`disruptionsAllowed` − 1, the pod listed in `disruptedPods`) until the disruption
 * controller recounts; otherwise `429 TooManyRequests` "Cannot evict pod as it would violate the pod's disruption
 * budget." Pods that are not running (Pending, Succeeded, Failed, being deleted) are deleted without consulting a
 * budget, and a pod that is not Ready only uses up nothing when the budget is met (or its
 * `unhealthyPodEvictionPolicy` is `AlwaysAllow`). Both `kubectl drain` (through HTTP) and the infrastructure's
 * drain (machines.ts) evict through here.
 */
import type { StrataError } from '../core/errors.ts';
import { isStrataError } from '../core/errors.ts';
import { KINDS, listAll, section, writeStatus } from './controllers/controller-writes.ts';
import { podReady } from './controllers/replicasets.ts';
import type { KubeObject } from './kube-object.ts';
import { kubeTime } from './kube-object.ts';
import { kubeReasonError } from './kube-status.ts';
import { matchesLabelSelector } from './selectors.ts';
import type { SimCluster } from './sim-cluster.ts';

/** The message of every eviction a disruption budget refuses. */
export const EVICTION_REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

/** The PodDisruptionBudgets whose selector matches a pod (in its namespace). */
export function budgetsOf(cluster: SimCluster, pod: KubeObject): KubeObject[] {
  return listAll(cluster, KINDS.podDisruptionBudgets).filter((pdb) => {
    if (pdb.metadata.namespace !== pod.metadata.namespace) return false;
    const selector = section(pdb, 'spec')['selector'];
    // A budget without a selector, or with an empty one, matches no pod (policy/v1).
    const empty =
      selector === undefined ||
      selector === null ||
      (typeof selector === 'object' && Object.keys(selector).length === 0);
    return !empty && matchesLabelSelector(pod.metadata.labels, selector);
  });
}

/** True when an eviction of the pod deletes it without consulting a budget (it disrupts nothing running). */
function ignoresBudgets(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return true;
  const phase = section(pod, 'status')['phase'];
  return phase === 'Pending' || phase === 'Succeeded' || phase === 'Failed' || phase === undefined;
}

/** Returns the 429 an eviction gets from a budget, with the API server's cause and retry hint. */
function refusal(pdb: KubeObject, cause: string, retryAfterSeconds: number): StrataError {
  const error = kubeReasonError('TooManyRequests', 429, EVICTION_REFUSED);
  error.details['causes'] = [{ reason: 'DisruptionBudget', message: cause }];
  if (retryAfterSeconds > 0) error.details['retryAfterSeconds'] = retryAfterSeconds;
  error.details['budget'] = `${pdb.metadata.namespace}/${pdb.metadata.name}`;
  return error;
}

/** True when an error is a disruption budget's refusal of an eviction (429: try again later). */
export function isEvictionRefusal(error: unknown): error is StrataError {
  return isStrataError(error) && error.details['kubeReason'] === 'TooManyRequests';
}

/**
 * Uses up one disruption of the budget covering a running pod, or throws its 429 refusal (or the API server's 500
 * when several budgets cover the pod). Does nothing when no budget covers it.
 */
function takeDisruption(cluster: SimCluster, pod: KubeObject, dryRun: boolean): void {
  const budgets = budgetsOf(cluster, pod);
  if (budgets.length === 0) return;
  if (budgets.length > 1) {
    throw kubeReasonError(
      'InternalError',
      500,
      'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const pdb = budgets[0]!;
  const status = section(pdb, 'status');
  const healthy = Number(status['currentHealthy'] ?? 0);
  const desired = Number(status['desiredHealthy'] ?? 0);
  if (!podReady(pod)) {
    const policy = section(pdb, 'spec')['unhealthyPodEvictionPolicy'];
    // An unhealthy pod does not count towards the budget: evicting it takes nothing away.
    if (policy === 'AlwaysAllow' || (healthy >= desired && desired > 0)) return;
  }
  if (Number(status['observedGeneration'] ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw refusal(
      pdb,
      `The disruption budget ${pdb.metadata.name} is still being processed by the server.`,
      10,
    );
  }
  const allowed = Number(status['disruptionsAllowed'] ?? 0);
  if (allowed <= 0) {
    throw refusal(
      pdb,
      `The disruption budget ${pdb.metadata.name} needs ${desired} healthy pods and has ${healthy} currently`,
      0,
    );
  }
  if (dryRun) return;
  const disrupted = section(pdb, 'status')['disruptedPods'];
  writeStatus(cluster, KINDS.podDisruptionBudgets, pdb, {
    ...status,
    disruptionsAllowed: allowed - 1,
    disruptedPods: {
      ...(typeof disrupted === 'object' && disrupted !== null ? disrupted : {}),
      [pod.metadata.name]: kubeTime(cluster.now()),
    },
  });
}

/**
 * Evicts a pod: checks its disruption budget (throwing the 429 refusal) and deletes it. Returns the pod as it was.
 * With `dryRun`, checks only.
 */
export function evictPod(cluster: SimCluster, pod: KubeObject, options: { dryRun: boolean }): KubeObject {
  if (!ignoresBudgets(pod)) takeDisruption(cluster, pod, options.dryRun);
  if (options.dryRun) return pod;
  return cluster.deleteObject(KINDS.pods, pod, 'Background');
}
