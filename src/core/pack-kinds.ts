/**
 * Packs from what users bring: upstream Helm charts, kustomize bases and plain manifests, each as a pack version
 * of the catalog (`name@version`) so layers keep saying `{pack, version, values}` and every workflow works
 * unchanged. Pure: the archives are read by `src/render/` and pulled by `src/registry/`.
 *
 * The values of a kustomize or manifest pack are a kustomize overlay Strata puts over the content: `namespace`,
 * `namePrefix`, `images`, `replicas`, `patches`, labels and annotations, generators from literals — so a cluster
 * override such as `replicas: [{name: podinfo, count: 3}]` works as it does for a chart's `replicaCount`.
 */
import { StrataError } from './errors.ts';
import type { LayerKind, Pack, PackContent, PackOrigin } from './model.ts';
import { isDnsLabel } from './names.ts';
import { isStrictSemver } from './semver.ts';

/** What a chart's `Chart.yaml` and files say about it. */
export interface ChartMetadata {
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  /** `values.yaml` as text, comments kept ('' when the chart has none). */
  values: string;
  /** `values.schema.json` as text. */
  valuesSchema?: string;
  readme?: string;
}

/** How a user adds content as a pack: its name (default: the chart's) and layer (default `addon`). */
export interface PackNaming {
  name?: string;
  version?: string;
  layer?: LayerKind;
}

/** Layers content packs may fill: they put objects on a cluster, they do not configure nodes. */
const CONTENT_LAYERS: readonly LayerKind[] = ['cni', 'csi', 'addon'];

/** The overlay fields a kustomize or manifest pack's values may set; nothing that reads files or the network. */
export const OVERLAY_FIELDS = [
  'namespace',
  'namePrefix',
  'nameSuffix',
  'labels',
  'commonLabels',
  'commonAnnotations',
  'images',
  'replicas',
  'patches',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
] as const;

/** The default values of a kustomize or manifest pack: an empty overlay, explained. */
export const OVERLAY_DEFAULT_VALUES = `# A kustomize overlay Strata applies over this pack's content. Set any of:
#   namespace, namePrefix, nameSuffix, labels, commonLabels, commonAnnotations,
#   images (newName/newTag/digest), replicas (name + count), patches (inline patch + target),
#   configMapGenerator / secretGenerator (literals only), generatorOptions.
# Example: replicas: [{name: podinfo, count: 3}]
images: []
replicas: []
patches: []
`;

function invalid(message: string, details: Record<string, unknown>): StrataError {
  return new StrataError('PackInvalid', message, details);
}

function packIdentity(
  what: string,
  name: string | undefined,
  version: string | undefined,
  naming: PackNaming,
): { name: string; version: string; layer: LayerKind } {
  const packName = naming.name ?? name;
  const packVersion = naming.version ?? version;
  if (packName === undefined || packName === '') {
    throw new StrataError('ValidationFailed', `${what} does not name itself; give --name.`, {
      field: 'name',
    });
  }
  if (!isDnsLabel(packName)) {
    throw new StrataError(
      'InvalidName',
      `Pack name '${packName}' must be a DNS-1123 label (lower-case letters, digits and -, at most 63); give --name.`,
      { field: 'name', value: packName },
    );
  }
  if (packVersion === undefined || packVersion === '') {
    throw new StrataError('ValidationFailed', `${what} has no version; give --version.`, {
      field: 'version',
    });
  }
  if (!isStrictSemver(packVersion)) {
    throw new StrataError(
      'InvalidSemver',
      `Pack ${packName}: version must be a strict semantic version like 1.2.3; got ${JSON.stringify(packVersion)}.`,
      { field: 'version', value: packVersion },
    );
  }
  const layer = naming.layer ?? 'addon';
  if (!CONTENT_LAYERS.includes(layer)) {
    throw invalid(`A ${what} can be a ${CONTENT_LAYERS.join(', ')} layer, not ${layer}.`, {
      field: 'layer',
      layer,
    });
  }
  return { name: packName, version: packVersion, layer };
}

/** Returns the pack of a Helm chart: its values, README and schema, its stored archive and where it came from. */
export function chartPack(
  chart: ChartMetadata,
  content: PackContent,
  origin: PackOrigin,
  naming: PackNaming = {},
): Pack {
  const id = packIdentity(`The chart ${chart.name}`, chart.name, chart.version, naming);
  if (naming.version !== undefined && naming.version !== chart.version) {
    throw new StrataError(
      'ValidationFailed',
      `The chart ${chart.name} is version ${chart.version}, not ${naming.version}; a chart pack keeps its chart's version.`,
      { field: 'version', chartVersion: chart.version, value: naming.version },
    );
  }
  return {
    name: id.name,
    version: id.version,
    layer: id.layer,
    displayName: chart.name,
    description: chart.description ?? '',
    values: chart.values,
    presets: [],
    nodeImpactPaths: [],
    manifests: [],
    source: 'user',
    kind: 'helm',
    origin,
    content,
    ...(chart.readme !== undefined ? { readme: chart.readme } : {}),
    ...(chart.valuesSchema !== undefined ? { valuesSchema: chart.valuesSchema } : {}),
    ...(chart.appVersion !== undefined ? { appVersion: chart.appVersion } : {}),
  };
}

/** Returns the pack of a kustomize folder or of plain manifest files (`--name` and `--version` are required). */
export function overlayPack(
  kind: 'kustomize' | 'manifest',
  content: PackContent,
  origin: PackOrigin,
  naming: PackNaming,
  description = '',
): Pack {
  const what = kind === 'kustomize' ? 'A kustomization' : 'A manifest file';
  const id = packIdentity(what, undefined, undefined, naming);
  return {
    name: id.name,
    version: id.version,
    layer: id.layer,
    displayName: id.name,
    description,
    values: OVERLAY_DEFAULT_VALUES,
    presets: [],
    nodeImpactPaths: [],
    manifests: [],
    source: 'user',
    kind,
    origin,
    content,
  };
}

/**
 * Checks that an overlay's values (a kustomize or manifest layer) set only `OVERLAY_FIELDS`, and that generators
 * take literals only (no files or env files from the content's folder); throws `ValidationFailed` naming the
 * field.
 */
export function checkOverlayValues(values: Record<string, unknown>, field: string): void {
  for (const key of Object.keys(values)) {
    if (!(OVERLAY_FIELDS as readonly string[]).includes(key)) {
      throw new StrataError(
        'ValidationFailed',
        `${field}: '${key}' is not an overlay field; a kustomize or manifest layer's values may set ${OVERLAY_FIELDS.join(', ')}.`,
        { field: `${field}.${key}`, allowed: [...OVERLAY_FIELDS] },
      );
    }
  }
  for (const generator of ['configMapGenerator', 'secretGenerator'] as const) {
    const list = values[generator];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      throw new StrataError('ValidationFailed', `${field}.${generator} must be a list.`, {
        field: `${field}.${generator}`,
      });
    }
    for (const [i, item] of list.entries()) {
      const keys = item && typeof item === 'object' ? Object.keys(item as object) : [];
      const reads = keys.filter((k) => k === 'files' || k === 'envs' || k === 'env');
      if (reads.length > 0) {
        throw new StrataError(
          'ValidationFailed',
          `${field}.${generator}[${i}] reads ${reads.join(', ')}; in values, generators take literals only.`,
          { field: `${field}.${generator}[${i}].${reads[0]}` },
        );
      }
    }
  }
  const patches = values.patches;
  if (Array.isArray(patches)) {
    for (const [i, patch] of patches.entries()) {
      if (patch && typeof patch === 'object' && 'path' in (patch as object)) {
        throw new StrataError(
          'ValidationFailed',
          `${field}.patches[${i}] names a file (path); in values, patches are inline (patch: …).`,
          { field: `${field}.patches[${i}].path` },
        );
      }
    }
  }
}
