/**
 * The disruption controller's status of a PodDisruptionBudget, from the pods its selector matches: expectedPods,
 * currentHealthy (Ready), desiredHealthy (from minAvailable, or expected minus maxUnavailable; percentages round
 * up), disruptionsAllowed and the `DisruptionAllowed` condition — what `kubectl get pdb` shows and evictions
 * (eviction.ts) are checked against. An eviction lowers `disruptionsAllowed` at once; this recount follows.
 */
import { kubeTime } from '../kube-object.ts';
import { matchesLabelSelector } from '../selectors.ts';
import type { Controller } from './controller-writes.ts';
import { intOrPercent, KINDS, listAll, section, writeStatus } from './controller-writes.ts';
import { podReady } from './replicasets.ts';

/** Keeps every PodDisruptionBudget's status in line with its pods. */
export const reconcileDisruptionBudgets: Controller = (cluster) => {
  const time = kubeTime(cluster.now());
  for (const pdb of listAll(cluster, KINDS.podDisruptionBudgets)) {
    const spec = section(pdb, 'spec');
    const pods = cluster.store
      .list('/pods', pdb.metadata.namespace)
      .filter(
        (p) =>
          !p.metadata.deletionTimestamp &&
          spec['selector'] !== undefined &&
          matchesLabelSelector(p.metadata.labels, spec['selector']),
      )
      .filter((p) => {
        const phase = section(p, 'status')['phase'];
        return phase !== 'Succeeded' && phase !== 'Failed';
      });
    const expected = pods.length;
    const healthy = pods.filter(podReady).length;
    const desired =
      spec['minAvailable'] !== undefined
        ? intOrPercent(spec['minAvailable'], expected, true)
        : spec['maxUnavailable'] !== undefined
          ? Math.max(0, expected - intOrPercent(spec['maxUnavailable'], expected, true))
          : 0;
    const allowed = Math.max(0, healthy - desired);
    const before = section(pdb, 'status');
    const previous = Array.isArray(before['conditions'])
      ? (before['conditions'] as Record<string, unknown>[])
      : [];
    const ok = allowed > 0;
    const reason = ok ? 'SufficientPods' : 'InsufficientPods';
    const old = previous.find((c) => c['type'] === 'DisruptionAllowed');
    writeStatus(cluster, KINDS.podDisruptionBudgets, pdb, {
      observedGeneration: pdb.metadata.generation ?? 1,
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: ok ? 'True' : 'False',
          reason,
          message: '',
          observedGeneration: pdb.metadata.generation ?? 1,
          lastTransitionTime: old && old['reason'] === reason ? old['lastTransitionTime'] : time,
        },
      ],
    });
  }
  return undefined;
};
