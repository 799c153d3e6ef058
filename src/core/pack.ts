/**
 * Parsing and validating a pack from its files (pack.yaml, values.yaml, templates/*.yaml). A pack that
 * parses here has the right structure; `src/render/prove.ts` shows it renders with its defaults and with each preset. No I/O: the files are
 * read by `src/catalog/load.ts` (built-in) or arrive in a request (user packs).
 */
import { z } from 'zod';
import { StrataError } from './errors.ts';
import { K8S_DISTRIBUTIONS, LAYER_KINDS, type ManifestTemplate, type Pack, type Preset } from './model.ts';
import { isDnsLabel } from './names.ts';
import { parseRenderValues } from './render.ts';
import { badSecretPath } from './secret-paths.ts';
import { isStrictSemver } from './semver.ts';
import { parseWithSchema } from './validation.ts';

/** The files a pack is made of: `pack.yaml`, `values.yaml` and the templates keyed by file name. */
export interface PackFiles {
  manifest: string;
  values: string;
  templates: Record<string, string>;
}

/** Where a pack comes from: the shipped catalog or a user's registration. */
export type PackSource = Pack['source'];

const presetSchema = z.strictObject({
  name: z
    .string({ message: 'every preset needs a name' })
    .refine(isDnsLabel, 'a preset name must be a DNS-1123 label like enable-api'),
  displayName: z
    .string({ message: 'every preset needs a displayName' })
    .min(1, 'every preset needs a displayName'),
  group: z
    .string({ message: 'every preset needs a group (presets in one group are mutually exclusive)' })
    .min(1, 'every preset needs a group'),
  add: z.string({ message: 'add must be a YAML block (text) holding a mapping' }).default(''),
  remove: z.array(z.string().min(1, 'a remove path cannot be empty')).default([]),
});

const manifestSchema = z.strictObject({
  name: z
    .string({ message: 'name is required' })
    .refine(isDnsLabel, 'name must be a DNS-1123 label (lower-case letters, digits and -)'),
  version: z.string(),
  layer: z.enum(LAYER_KINDS, { message: `layer must be one of ${LAYER_KINDS.join(', ')}` }),
  displayName: z.string({ message: 'displayName is required' }).min(1, 'displayName is required'),
  description: z.string({ message: 'description must be text' }).default(''),
  distribution: z
    .enum(K8S_DISTRIBUTIONS, { message: `distribution must be one of ${K8S_DISTRIBUTIONS.join(', ')}` })
    .optional(),
  nodeImpactPaths: z
    .array(z.string({ message: 'each node-impact path is a dotted value path (text)' }), {
      message: 'nodeImpactPaths must be a list of dotted value paths',
    })
    .default([]),
  secretPaths: z
    .array(z.string({ message: 'each secret path is a dotted value path (text)' }), {
      message: 'secretPaths must be a list of dotted value paths',
    })
    .default([]),
  presets: z.array(presetSchema, { message: 'presets must be a list' }).default([]),
});

/**
 * Returns the validated Pack for a set of pack files. Throws `InvalidSemver` for a version that is not
 * strict semver, `PackInvalid` (naming pack@version and the field) for a bad manifest, values, preset or
 * node-impact path. Whether its templates render is proven apart, in the render sandbox (`src/render/prove.ts`),
 * with its defaults and with each preset enabled.
 */
export function parsePack(files: PackFiles, source: PackSource): Pack {
  const raw = parseYamlMapping(files.manifest, 'pack.yaml', 'pack.yaml');
  const label = `${typeof raw.name === 'string' ? raw.name : '(unnamed)'}@${typeof raw.version === 'string' ? raw.version : String(raw.version ?? '(no version)')}`;
  if (!isStrictSemver(raw.version)) {
    throw new StrataError(
      'InvalidSemver',
      `Pack ${label}: version must be a strict semantic version like 1.2.3; got ${JSON.stringify(raw.version ?? null)}.`,
      { field: 'version', value: raw.version ?? null },
    );
  }
  const manifest = parseWithSchema(manifestSchema, raw, `Pack ${label}`, 'PackInvalid');
  const invalid = (field: string, message: string, details: Record<string, unknown> = {}): StrataError =>
    new StrataError('PackInvalid', `Pack ${label}: ${message}`, {
      pack: manifest.name,
      version: manifest.version,
      field,
      ...details,
    });

  if (manifest.layer === 'k8s' && manifest.distribution === undefined) {
    throw invalid('distribution', `a k8s pack must name its distribution (${K8S_DISTRIBUTIONS.join(', ')}).`);
  }
  if (manifest.layer !== 'k8s' && manifest.distribution !== undefined) {
    throw invalid('distribution', `distribution is for k8s packs only; this is a ${manifest.layer} pack.`);
  }

  const defaults = parseYamlMapping(files.values, `Pack ${label}: values.yaml`, 'values');

  for (const [index, path] of manifest.nodeImpactPaths.entries()) {
    if (path !== '' && !hasPath(defaults, path)) {
      throw invalid(
        `nodeImpactPaths[${index}]`,
        `node-impact path '${path}' does not exist in the default values.`,
        {
          path,
        },
      );
    }
  }

  const badSecret = badSecretPath(manifest.secretPaths);
  if (badSecret !== null) {
    throw invalid(
      `secretPaths[${badSecret.index}]`,
      `secret path '${badSecret.path}': ${badSecret.reason}.`,
      {
        path: badSecret.path,
      },
    );
  }

  const presetNames = new Set<string>();
  const presets: Preset[] = manifest.presets.map((preset, index) => {
    const field = `presets[${index}]`;
    if (presetNames.has(preset.name))
      throw invalid(`${field}.name`, `preset '${preset.name}' is defined twice.`);
    presetNames.add(preset.name);
    parseYamlMapping(preset.add, `Pack ${label}: preset ${preset.name} add`, `${field}.add`);
    for (const [i, path] of preset.remove.entries()) {
      if (!hasPath(defaults, path)) {
        throw invalid(
          `${field}.remove[${i}]`,
          `preset '${preset.name}' removes '${path}', which does not exist in the default values.`,
          { preset: preset.name, path },
        );
      }
    }
    return { ...preset };
  });

  const manifests = orderedTemplates(files.templates);
  if (manifests.length > 0 && (manifest.layer === 'os' || manifest.layer === 'k8s')) {
    throw invalid(
      'templates',
      `${manifest.layer} packs configure nodes and render no manifests; remove templates/.`,
    );
  }
  for (const { name } of manifests) {
    if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*\.ya?ml$/.test(name)) {
      throw invalid(
        `templates.${name}`,
        `template file name '${name}' must be a plain file name ending in .yaml.`,
      );
    }
  }

  const pack: Pack = {
    name: manifest.name,
    version: manifest.version,
    layer: manifest.layer,
    displayName: manifest.displayName,
    description: manifest.description,
    ...(manifest.distribution !== undefined ? { distribution: manifest.distribution } : {}),
    values: files.values,
    presets,
    nodeImpactPaths: [...manifest.nodeImpactPaths],
    ...(manifest.secretPaths.length > 0 ? { secretPaths: [...manifest.secretPaths] } : {}),
    manifests,
    source,
    kind: 'strata',
  };
  return pack;
}

/** Returns the templates as ManifestTemplates in file-name order, which is the order objects render in. */
function orderedTemplates(templates: Record<string, string>): ManifestTemplate[] {
  return Object.keys(templates)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ name, template: templates[name]! }));
}

/**
 * Returns the defaults with one preset applied on plain data: its `remove` paths deleted, then its `add`
 * deep-merged. This approximates the text-preserving `applyPresets` only to prove rendering; the values a
 * cluster runs with always come from `presets.ts`.
 */
export function withPresetForValidation(
  defaults: Record<string, unknown>,
  preset: Preset,
): Record<string, unknown> {
  const values = structuredClone(defaults);
  for (const path of preset.remove) deletePath(values, path);
  const add = parseRenderValues(preset.add, `preset ${preset.name} add`);
  return deepMerge(values, add);
}

function deepMerge(target: Record<string, unknown>, add: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(add)) {
    const existing = target[key];
    target[key] = isMapping(existing) && isMapping(value) ? deepMerge(existing, value) : value;
  }
  return target;
}

/** True when a dotted path (`a.b.0.c`; numeric segments index lists) exists in `root`. */
function hasPath(root: unknown, path: string): boolean {
  let node: unknown = root;
  for (const segment of path.split('.')) {
    if (Array.isArray(node) && /^\d+$/.test(segment)) {
      if (Number(segment) >= node.length) return false;
      node = node[Number(segment)];
    } else if (isMapping(node) && Object.hasOwn(node, segment)) {
      node = node[segment];
    } else {
      return false;
    }
  }
  return true;
}

function deletePath(root: Record<string, unknown>, path: string): void {
  const segments = path.split('.');
  const last = segments.pop()!;
  let node: unknown = root;
  for (const segment of segments) {
    node = Array.isArray(node) ? node[Number(segment)] : isMapping(node) ? node[segment] : undefined;
  }
  if (Array.isArray(node) && /^\d+$/.test(last)) node.splice(Number(last), 1);
  else if (isMapping(node)) delete node[last];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns a YAML text's mapping (empty text is an empty mapping); anything else is `PackInvalid`. */
function parseYamlMapping(text: string, what: string, field: string): Record<string, unknown> {
  try {
    return parseRenderValues(text, what);
  } catch (error) {
    if (error instanceof StrataError)
      throw new StrataError('PackInvalid', error.message, { ...error.details, field });
    throw error;
  }
}
