/** The cloud load-balancer controller: a LoadBalancer Service gets an address from a simulated pool. */
import { addressFor } from '../defaults.ts';
import { isJsonObject } from '../kube-object.ts';
import type { Controller } from './controller-writes.ts';
import { KINDS, listAll, section, writeStatus } from './controller-writes.ts';

/** The simulated load-balancer address pool (a documentation range, never routed). */
export const LOAD_BALANCER_PREFIX = '198.51.100';

/** Gives every LoadBalancer Service an ingress IP and clears it when the type changes. */
export const reconcileServices: Controller = (cluster) => {
  for (const svc of listAll(cluster, KINDS.services)) {
    const type = section(svc, 'spec')['type'];
    const lb = section(svc, 'status')['loadBalancer'];
    const hasIngress = isJsonObject(lb) && Array.isArray(lb['ingress']) && lb['ingress'].length > 0;
    if (type === 'LoadBalancer' && !hasIngress) {
      const ip = addressFor(
        LOAD_BALANCER_PREFIX,
        `${cluster.name}/${svc.metadata.namespace}/${svc.metadata.name}`,
      );
      writeStatus(cluster, KINDS.services, svc, {
        ...section(svc, 'status'),
        loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] },
      });
    } else if (type !== 'LoadBalancer' && hasIngress) {
      writeStatus(cluster, KINDS.services, svc, { ...section(svc, 'status'), loadBalancer: {} });
    }
  }
  return undefined;
};
