/**
 * The namespace controllers: a terminating namespace loses all its contents and then goes away; every active
 * namespace has its `default` ServiceAccount.
 */
import { NAMESPACE_RESOURCE } from '../sim-cluster.ts';
import type { Controller } from './controller-writes.ts';
import { KINDS, listAll } from './controller-writes.ts';

/** Empties and removes terminating namespaces; adds missing default ServiceAccounts. */
export const reconcileNamespaces: Controller = (cluster) => {
  for (const ns of listAll(cluster, KINDS.namespaces)) {
    const name = ns.metadata.name;
    if (ns.metadata.deletionTimestamp) {
      for (const key of cluster.store.resourceKeys()) {
        const type = cluster.typeOfKey(key);
        if (!type?.namespaced) continue;
        for (const obj of cluster.store.list(key, name)) cluster.removeNow(type, obj, 'Background');
      }
      cluster.store.remove(NAMESPACE_RESOURCE, undefined, name);
      continue;
    }
    if (!cluster.store.get(`/${KINDS.serviceAccounts.plural}`, name, 'default')) {
      cluster.createObject(KINDS.serviceAccounts, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace: name },
      });
    }
  }
  return undefined;
};
