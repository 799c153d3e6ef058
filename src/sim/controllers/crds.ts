/**
 * The apiextensions controller's part: a CustomResourceDefinition's names are accepted and it is Established
 * (conditions `NamesAccepted` and `Established` True, `acceptedNames`, `storedVersions`), so `kubectl wait
 * --for=condition=Established crd/<name>` returns; its kinds are served from the moment it is stored (resources.ts).
 * A name already taken by another CRD's group is refused (`NamesAccepted` False, not Established), as in
 * Kubernetes.
 */
import type { KubeObject } from '../kube-object.ts';
import { isJsonObject, kubeTime } from '../kube-object.ts';
import type { Controller } from './controller-writes.ts';
import { KINDS, listAll, section, writeStatus } from './controller-writes.ts';

interface CrdCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

function namesOf(crd: KubeObject): Record<string, unknown> {
  const names = section(crd, 'spec')['names'];
  return isJsonObject(names) ? names : {};
}

function acceptedNames(crd: KubeObject): Record<string, unknown> {
  const names = namesOf(crd);
  const kind = String(names['kind'] ?? '');
  return {
    plural: String(names['plural'] ?? ''),
    singular: String(names['singular'] ?? kind.toLowerCase()),
    ...(Array.isArray(names['shortNames']) ? { shortNames: names['shortNames'] } : {}),
    kind,
    listKind: String(names['listKind'] ?? `${kind}List`),
    ...(Array.isArray(names['categories']) ? { categories: names['categories'] } : {}),
  };
}

/** Keeps every CRD's status what the API server reports for an accepted, established definition. */
export const reconcileCrds: Controller = (cluster) => {
  const crds = listAll(cluster, KINDS.crds);
  const time = kubeTime(cluster.now());
  for (const crd of crds) {
    const spec = section(crd, 'spec');
    const group = String(spec['group'] ?? '');
    const plural = String(namesOf(crd)['plural'] ?? '');
    // The older CRD keeps a contested plural; the newer one is not accepted.
    const conflict = crds.find(
      (other) =>
        other !== crd &&
        String(section(other, 'spec')['group'] ?? '') === group &&
        String(namesOf(other)['plural'] ?? '') === plural &&
        (other.metadata.creationTimestamp ?? '') < (crd.metadata.creationTimestamp ?? ''),
    );
    const previous = section(crd, 'status');
    const before = Array.isArray(previous['conditions']) ? (previous['conditions'] as CrdCondition[]) : [];
    const keep = (c: CrdCondition): CrdCondition => {
      const old = before.find((b) => b.type === c.type);
      return old && old.status === c.status && old.reason === c.reason
        ? { ...c, lastTransitionTime: old.lastTransitionTime }
        : c;
    };
    const conditions = conflict
      ? [
          keep({
            type: 'NamesAccepted',
            status: 'False',
            reason: 'PluralConflict',
            message: `"${plural}" is already in use`,
            lastTransitionTime: time,
          }),
          keep({
            type: 'Established',
            status: 'False',
            reason: 'NotAccepted',
            message: 'not all names are accepted',
            lastTransitionTime: time,
          }),
        ]
      : [
          keep({
            type: 'NamesAccepted',
            status: 'True',
            reason: 'NoConflicts',
            message: 'no conflicts found',
            lastTransitionTime: time,
          }),
          keep({
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
            lastTransitionTime: time,
          }),
        ];
    const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isJsonObject) : [];
    const storage = versions.find((v) => v['storage'] === true)?.['name'];
    const stored = Array.isArray(previous['storedVersions']) ? previous['storedVersions'].map(String) : [];
    if (typeof storage === 'string' && !stored.includes(storage)) stored.push(storage);
    writeStatus(cluster, KINDS.crds, crd, {
      conditions,
      acceptedNames: conflict ? { plural: '', kind: '' } : acceptedNames(crd),
      storedVersions: stored,
    });
  }
  return undefined;
};
