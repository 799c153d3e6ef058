/** How a built-in resource type is described (resources.ts and resources-more.ts list them with it). */
import type { ResourceType } from './resources.ts';

/** Returns a built-in resource type; `cluster` makes it cluster-scoped, `all` puts it in `kubectl get all`. */
export function builtin(
  group: string,
  version: string,
  kind: string,
  plural: string,
  options: {
    shortNames?: string[];
    cluster?: boolean;
    status?: boolean;
    scale?: boolean;
    all?: boolean;
  } = {},
): ResourceType {
  const subresources: ResourceType['subresources'] = [];
  if (options.status) subresources.push('status');
  if (options.scale) subresources.push('scale');
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: options.shortNames ?? [],
    namespaced: !options.cluster,
    subresources,
    categories: options.all ? ['all'] : [],
  };
}
