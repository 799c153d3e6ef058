/**
 * Cluster profiles: parsing a profile file, validating a version against the pack catalog, copying a
 * version to a new semver and revising a version in place.
 */
import YAML from 'yaml';
import { z } from 'zod';
import type { Catalog } from './catalog.ts';
import { StrataError } from './errors.ts';
import {
  type CloudType,
  LAYER_KINDS,
  type LayerKind,
  type ProfileLayer,
  type ProfileType,
  type ProfileVersion,
} from './model.ts';
import { requireDnsLabel } from './names.ts';
import { applyPresets, defaultLayerValues } from './presets.ts';
import { requireStrictSemver } from './semver.ts';
import { parseWithSchema } from './validation.ts';
import { parseValues } from './values.ts';

/** A profile version as a user writes it (file or request body), before validation. */
export interface ProfileDocument {
  name: string;
  version: string;
  type: ProfileType;
  cloudType: CloudType;
  description?: string;
  layers: Array<{ pack: string; version: string; values?: string; presets?: string[]; namespace?: string }>;
}

const layerSchema = z.object({
  pack: z.string().min(1, 'pack is required'),
  version: z.string().min(1, 'version is required'),
  // Values may be written as YAML text (keeps comments) or as a mapping.
  values: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  presets: z.array(z.string().min(1)).optional(),
  namespace: z.string().optional(),
});

const profileSchema = z.object({
  name: z.string(),
  version: z.string(),
  type: z.enum(['full', 'infra', 'addon'], { message: "type must be 'full', 'infra' or 'addon'" }),
  cloudType: z
    .enum(['sim', 'edge', 'existing'], { message: "cloudType must be 'sim', 'edge' or 'existing'" })
    .default('sim'),
  description: z.string().max(2000).optional(),
  layers: z.array(layerSchema).min(1, 'a profile needs at least one layer').max(64),
});

/** Returns the profile document in a YAML (or JSON) profile file, shape-checked; throws on bad input. */
export function parseProfileFile(text: string, field = 'profile'): ProfileDocument {
  const doc = parseValues(text, field);
  return parseProfileDocument(doc.toJS({ maxAliasCount: 100 }), field);
}

/** Returns a shape-checked ProfileDocument from plain data (a request body or a parsed file). */
export function parseProfileDocument(input: unknown, field = 'profile'): ProfileDocument {
  const parsed = parseWithSchema(profileSchema, input, field);
  return {
    ...parsed,
    layers: parsed.layers.map((l) => ({
      pack: l.pack,
      version: l.version,
      values: typeof l.values === 'string' || l.values === undefined ? l.values : YAML.stringify(l.values),
      presets: l.presets,
      ...(l.namespace !== undefined ? { namespace: l.namespace } : {}),
    })),
  };
}

const LAYER_ORDER: Record<LayerKind, number> = Object.fromEntries(
  LAYER_KINDS.map((k, i) => [k, i]),
) as Record<LayerKind, number>;

/**
 * Returns the validated profile version (revision 1) for a document: names, strict semver, layer order and
 * cardinality, packs present in the catalog, values parseable, presets known. Layers without values take
 * the pack's defaults with the layer's presets enabled.
 */
export function validateProfileVersion(doc: ProfileDocument, catalog: Catalog, revision = 1): ProfileVersion {
  const name = requireDnsLabel(doc.name, 'profile name');
  const version = requireStrictSemver(doc.version, 'profile version');
  if (doc.type !== 'addon' && doc.cloudType === 'existing') {
    throw new StrataError(
      'ProfileInvalid',
      `Profile ${name}@${version}: an 'existing' cluster runs add-on layers only, so its profile must be of type 'addon'.`,
      { field: 'type', type: doc.type, cloudType: doc.cloudType },
    );
  }
  const seen = new Set<string>();
  const counts: Record<LayerKind, number> = { os: 0, k8s: 0, cni: 0, csi: 0, addon: 0 };
  let lastOrder = -1;
  const layers: ProfileLayer[] = doc.layers.map((input, index) => {
    const field = `layers[${index}]`;
    requireStrictSemver(input.version, `${field}.version`);
    const pack = catalog.require(input.pack, input.version);
    if (seen.has(pack.name)) {
      throw new StrataError(
        'ProfileInvalid',
        `Profile ${name}@${version}: pack '${pack.name}' appears twice.`,
        {
          field: `${field}.pack`,
          pack: pack.name,
        },
      );
    }
    seen.add(pack.name);
    counts[pack.layer] += 1;
    const order = LAYER_ORDER[pack.layer];
    if (order < lastOrder) {
      throw new StrataError(
        'ProfileInvalid',
        `Profile ${name}@${version}: layer '${pack.name}' (${pack.layer}) is out of order; layers go os → k8s → cni → csi → add-ons.`,
        { field: `${field}.pack`, pack: pack.name, layer: pack.layer },
      );
    }
    lastOrder = order;
    const presets = [...(input.presets ?? [])].sort();
    let values: string;
    if (input.values === undefined) {
      values = defaultLayerValues(pack, presets);
    } else {
      parseValues(input.values, `${field}.values`);
      // Validates preset names and groups without rewriting the user's values.
      applyPresets(pack, input.values, presets, presets);
      values = input.values;
    }
    let namespace: string | undefined;
    if (input.namespace !== undefined) {
      if (pack.kind === 'strata') {
        throw new StrataError(
          'ProfileInvalid',
          `Profile ${name}@${version}: layer '${pack.name}' is a Strata-format pack, whose templates set their own namespaces; namespace is for chart, manifest and kustomize layers.`,
          { field: `${field}.namespace`, pack: pack.name },
        );
      }
      namespace = requireDnsLabel(input.namespace, `${field}.namespace`);
    }
    return { pack: pack.name, version: pack.version, values, presets, ...(namespace ? { namespace } : {}) };
  });
  checkLayerCardinality(name, version, doc.type, counts);
  return {
    name,
    version,
    revision,
    type: doc.type,
    cloudType: doc.cloudType,
    description: doc.description ?? '',
    layers,
  };
}

function checkLayerCardinality(
  name: string,
  version: string,
  type: ProfileType,
  counts: Record<LayerKind, number>,
): void {
  const fail = (message: string) =>
    new StrataError('ProfileInvalid', `Profile ${name}@${version} (${type}): ${message}`, {
      field: 'layers',
      type,
      counts,
    });
  if (type === 'addon') {
    const infra = counts.os + counts.k8s + counts.cni + counts.csi;
    if (infra > 0) throw fail('an add-on profile may hold add-on layers only.');
    if (counts.addon === 0) throw fail('an add-on profile needs at least one add-on layer.');
    return;
  }
  for (const kind of ['os', 'k8s', 'cni'] as const) {
    if (counts[kind] !== 1) throw fail(`needs exactly one ${kind} layer; found ${counts[kind]}.`);
  }
  if (counts.csi > 1) throw fail(`allows at most one csi layer; found ${counts.csi}.`);
}

/** Returns a copy of a profile version under a new semver, at revision 1 (the "create a new version" action). */
export function copyProfileVersion(source: ProfileVersion, newVersion: string): ProfileVersion {
  const version = requireStrictSemver(newVersion, 'new version');
  if (version === source.version) {
    throw new StrataError('AlreadyExists', `Profile ${source.name} already has version ${version}.`, {
      profile: source.name,
      version,
    });
  }
  return { ...structuredClone(source), version, revision: 1 };
}

/**
 * Returns the next revision of a profile version edited in place. The name and version cannot change
 * through an edit; the type and cloud type cannot either, since attached clusters depend on them.
 */
export function reviseProfileVersion(
  current: ProfileVersion,
  edited: ProfileDocument,
  catalog: Catalog,
): ProfileVersion {
  if (edited.name !== current.name || edited.version !== current.version) {
    throw new StrataError(
      'ValidationFailed',
      `An in-place edit keeps the profile's name and version (${current.name}@${current.version}); use "profile version" to make a new version.`,
      {
        field: 'version',
        expected: `${current.name}@${current.version}`,
        got: `${edited.name}@${edited.version}`,
      },
    );
  }
  if (edited.type !== current.type || edited.cloudType !== current.cloudType) {
    throw new StrataError(
      'ValidationFailed',
      `An in-place edit cannot change the profile's type or cloud type (${current.type}/${current.cloudType}).`,
      { field: 'type' },
    );
  }
  return validateProfileVersion(edited, catalog, current.revision + 1);
}

/** Returns the profile version as a document (for `profile get -o yaml` and round-trips through a file). */
export function profileToDocument(pv: ProfileVersion): ProfileDocument {
  return {
    name: pv.name,
    version: pv.version,
    type: pv.type,
    cloudType: pv.cloudType,
    description: pv.description,
    layers: pv.layers.map((l) => ({
      pack: l.pack,
      version: l.version,
      values: l.values,
      presets: [...l.presets],
      ...(l.namespace !== undefined ? { namespace: l.namespace } : {}),
    })),
  };
}

/** Returns `name@version` parsed from a reference such as `hello-universe-aws@1.1.0`. */
export function parseProfileRef(ref: string, field = 'profile'): { name: string; version: string } {
  const at = ref.lastIndexOf('@');
  if (at <= 0 || at === ref.length - 1) {
    throw new StrataError(
      'ValidationFailed',
      `${field} must be NAME@VERSION, e.g. hello-universe-aws@1.0.0; got ${JSON.stringify(ref)}.`,
      {
        field,
        value: ref,
      },
    );
  }
  return {
    name: requireDnsLabel(ref.slice(0, at), `${field} name`),
    version: requireStrictSemver(ref.slice(at + 1), `${field} version`),
  };
}
