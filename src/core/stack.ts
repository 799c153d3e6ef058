/**
 * A cluster's stack: the layers it runs, resolved from its attached profile versions plus its own overrides.
 */
import type { Catalog } from './catalog.ts';
import { StrataError } from './errors.ts';
import type { AttachedProfile, CloudType, LayerOverride, ProfileVersion, ResolvedLayer } from './model.ts';

/** Returns the attached-profile reference of a profile version. */
export function attachmentOf(pv: ProfileVersion): AttachedProfile {
  return { name: pv.name, version: pv.version, revision: pv.revision };
}

/**
 * Checks that a set of profile versions may be attached together to a cluster of `cloudType`: one
 * full/infra profile (none for `existing` clusters) plus any add-on profiles, no pack in two of them.
 */
export function checkAttachment(cloudType: CloudType, profiles: ProfileVersion[]): void {
  if (profiles.length === 0) {
    throw new StrataError('ValidationFailed', 'A cluster needs at least one profile.', { field: 'profiles' });
  }
  const infra = profiles.filter((p) => p.type !== 'addon');
  if (cloudType === 'existing') {
    if (infra.length > 0) {
      throw new StrataError(
        'ExistingClusterInfraLayer',
        `An existing cluster runs add-on profiles only; ${infra[0]!.name}@${infra[0]!.version} is a ${infra[0]!.type} profile.`,
        { field: 'profiles', profile: infra[0]!.name },
      );
    }
  } else if (infra.length !== 1) {
    throw new StrataError(
      'ValidationFailed',
      `A ${cloudType} cluster needs exactly one full or infra profile; got ${infra.length}.`,
      { field: 'profiles', infraProfiles: infra.map((p) => `${p.name}@${p.version}`) },
    );
  }
  const names = new Set<string>();
  const owner = new Map<string, string>();
  for (const p of profiles) {
    if (names.has(p.name)) {
      throw new StrataError('ValidationFailed', `Profile ${p.name} is attached twice.`, {
        field: 'profiles',
        profile: p.name,
      });
    }
    names.add(p.name);
    for (const layer of p.layers) {
      const other = owner.get(layer.pack);
      if (other !== undefined) {
        throw new StrataError(
          'ValidationFailed',
          `Pack '${layer.pack}' is in both ${other} and ${p.name}; a cluster can run a pack once.`,
          { field: 'profiles', pack: layer.pack, profiles: [other, p.name] },
        );
      }
      owner.set(layer.pack, p.name);
    }
  }
}

/**
 * Returns the stack a cluster runs: infra/full profile layers first, then add-on profiles in attachment
 * order, each layer with the cluster's override in place of the profile's values where it has one.
 */
export function resolveStack(
  profiles: ProfileVersion[],
  overrides: Record<string, LayerOverride>,
  catalog: Catalog,
): ResolvedLayer[] {
  const ordered = [
    ...profiles.filter((p) => p.type !== 'addon'),
    ...profiles.filter((p) => p.type === 'addon'),
  ];
  const stack: ResolvedLayer[] = [];
  for (const pv of ordered) {
    for (const layer of pv.layers) {
      const pack = catalog.require(layer.pack, layer.version);
      const override = overrides[layer.pack];
      stack.push({
        profile: pv.name,
        pack: layer.pack,
        version: layer.version,
        layer: pack.layer,
        values: override ? override.values : layer.values,
        presets: override?.presets ? [...override.presets] : [...layer.presets],
        ...(layer.namespace !== undefined ? { namespace: layer.namespace } : {}),
      });
    }
  }
  for (const pack of Object.keys(overrides)) {
    if (!stack.some((l) => l.pack === pack)) {
      throw new StrataError(
        'ValidationFailed',
        `Override for pack '${pack}', which the cluster does not run.`,
        {
          field: `overrides.${pack}`,
          pack,
        },
      );
    }
  }
  return stack;
}

/** Returns the stack's layer of one kind (the first), or undefined. */
export function layerOfKind(
  stack: readonly ResolvedLayer[],
  kind: ResolvedLayer['layer'],
): ResolvedLayer | undefined {
  return stack.find((l) => l.layer === kind);
}
