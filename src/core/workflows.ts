/**
 * The three update workflows as pure proposals: switch profile versions (or take an in-place revision),
 * override a layer on the cluster, change node pools. Each returns the plan and the cluster spec it would
 * lead to; the engine applies the spec only if the plan is applicable and the user agreed.
 */
import { createHash } from 'node:crypto';
import type { Catalog } from './catalog.ts';
import type { DesiredObject } from './desired.ts';
import { StrataError } from './errors.ts';
import type {
  ClusterPhase,
  ClusterSpec,
  InventoryEntry,
  LayerOverride,
  NodePoolSpec,
  ProfileVersion,
  ResolvedLayer,
} from './model.ts';
import { type PendingConfiguration, pendingConfiguration } from './pending.ts';
import { planClusterUpdate } from './plan.ts';
import type { Plan } from './plan-types.ts';
import { applyPresets } from './presets.ts';
import { attachmentOf, checkAttachment, resolveStack } from './stack.ts';
import { parseValues, valuesEqual } from './values.ts';
import { overlayValues } from './values-overlay.ts';

/** What the user asks to change. */
export type UpdateRequest =
  | {
      kind: 'profiles';
      /** The profile versions (at the revisions) to run; replaces the attached set. */
      target: ProfileVersion[];
      /** Values the user settled on per pack in the editor (resolve merge conflicts). */
      resolutions?: Record<string, string>;
      chain?: boolean;
    }
  | {
      kind: 'override';
      pack: string;
      /**
       * The cluster's own values for the layer; `null` drops the override (back to the profile's values). By
       * default laid over the layer's current values (`key: null` removes a key; lists replace); `replace`
       * takes them as the layer's whole values.
       */
      values: string | null;
      replace?: boolean;
      presets?: string[];
    }
  | { kind: 'pools'; pools: NodePoolSpec[] };

/** A cluster as the proposal needs it. */
export interface ClusterForUpdate {
  spec: ClusterSpec;
  phase: ClusterPhase;
  inventory: readonly InventoryEntry[];
}

/** A proposed update: the plan to show, and the spec to store if it is applied. */
export interface UpdateProposal {
  plan: Plan;
  spec: ClusterSpec;
  pending: PendingConfiguration;
}

/** Where an update request leads, before its target is rendered: the stacks, pools and spec it would give. */
export interface UpdateTarget {
  currentProfiles: ProfileVersion[];
  targetProfiles: ProfileVersion[];
  currentStack: ResolvedLayer[];
  pools: NodePoolSpec[];
  pending: PendingConfiguration;
  chain: boolean;
}

/**
 * Returns where an update request leads: the pending configuration (3-way merged for a profile switch), the
 * pools and the profiles. `currentProfiles` are the versions at the revisions the cluster runs now. Render
 * `pending.stack` and pass the objects to `planUpdateTarget` for the plan. Throws only for malformed requests.
 */
export function proposeUpdateTarget(
  cluster: ClusterForUpdate,
  currentProfiles: ProfileVersion[],
  request: UpdateRequest,
  catalog: Catalog,
): UpdateTarget {
  const spec = cluster.spec;
  const currentStack = resolveStack(currentProfiles, spec.overrides, catalog);
  let targetProfiles = currentProfiles;
  let pools = spec.pools;
  let pending: PendingConfiguration;
  let chain = false;

  switch (request.kind) {
    case 'profiles': {
      checkAttachment(spec.cloudType, request.target);
      targetProfiles = request.target;
      chain = request.chain === true;
      pending = pendingConfiguration(
        {
          currentProfiles,
          targetProfiles,
          overrides: spec.overrides,
          ...(request.resolutions ? { resolutions: request.resolutions } : {}),
        },
        catalog,
      );
      break;
    }
    case 'override': {
      const layer = currentStack.find((l) => l.pack === request.pack);
      if (!layer) {
        throw new StrataError('NotFound', `Cluster ${spec.name} has no layer '${request.pack}'.`, {
          field: 'pack',
          pack: request.pack,
          layers: currentStack.map((l) => l.pack),
        });
      }
      const profileLayer = currentProfiles.flatMap((p) => p.layers).find((l) => l.pack === request.pack)!;
      const overrides = { ...spec.overrides };
      if (request.values === null && request.presets === undefined) {
        delete overrides[request.pack];
      } else {
        const pack = catalog.require(layer.pack, layer.version);
        let values =
          request.values === null
            ? layer.values
            : request.replace === true
              ? request.values
              : overlayValues(layer.values, request.values, `overrides.${request.pack}`);
        parseValues(values, `overrides.${request.pack}`);
        let presets: string[] | undefined;
        if (request.presets !== undefined) {
          const applied = applyPresets(pack, values, layer.presets, request.presets);
          values = applied.values;
          presets = applied.presets;
        }
        const samePresets = presets === undefined || presets.join() === profileLayer.presets.join();
        if (valuesEqual(values, profileLayer.values) && samePresets) delete overrides[request.pack];
        else
          overrides[request.pack] = {
            pack: request.pack,
            values,
            ...(presets ? { presets } : {}),
          } as LayerOverride;
      }
      pending = { stack: resolveStack(currentProfiles, overrides, catalog), overrides, conflicts: {} };
      break;
    }
    case 'pools': {
      pools = request.pools;
      pending = { stack: currentStack, overrides: spec.overrides, conflicts: {} };
      break;
    }
  }

  return { currentProfiles, targetProfiles, currentStack, pools, pending, chain };
}

/**
 * Returns the plan and resulting spec of an update target, given what its pending stack renders to. Rule
 * violations are plan errors, never thrown.
 */
export function planUpdateTarget(
  cluster: ClusterForUpdate,
  target: UpdateTarget,
  desired: readonly DesiredObject[],
  catalog: Catalog,
  current?: readonly DesiredObject[],
): UpdateProposal {
  const spec = cluster.spec;
  const from = target.currentProfiles.map(attachmentOf);
  const to = target.targetProfiles.map(attachmentOf);
  const plan = planClusterUpdate(
    {
      phase: cluster.phase,
      cloudType: spec.cloudType,
      from,
      to,
      currentStack: target.currentStack,
      targetStack: target.pending.stack,
      desired,
      ...(current ? { current } : {}),
      currentPools: spec.pools,
      targetPools: target.pools,
      inventory: cluster.inventory,
      overriddenPacks: Object.keys(target.pending.overrides),
      conflicts: target.pending.conflicts,
      chain: target.chain,
    },
    catalog,
  );
  return {
    plan,
    spec: { ...spec, profiles: to, overrides: target.pending.overrides, pools: target.pools },
    pending: target.pending,
  };
}

/**
 * Returns a key that is equal for two update proposals with equal inputs (ignoring the cluster's name),
 * so a fleet computes each distinct plan once.
 */
export function proposalCacheKey(
  cluster: ClusterForUpdate,
  current: ProfileVersion[],
  request: UpdateRequest,
): string {
  const h = createHash('sha256');
  const { name: _name, labels: _labels, ...rest } = cluster.spec;
  h.update(JSON.stringify(rest));
  h.update(cluster.phase);
  for (const e of cluster.inventory)
    h.update(`${e.apiVersion}/${e.kind}/${e.namespace}/${e.name}/${e.hash}/${e.unused}/${e.pack};`);
  h.update(JSON.stringify(current.map((p) => [p.name, p.version, p.revision])));
  h.update(
    JSON.stringify(
      request.kind === 'profiles'
        ? { ...request, target: request.target.map((p) => [p.name, p.version, p.revision]) }
        : request,
    ),
  );
  return h.digest('base64url');
}
