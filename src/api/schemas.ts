/**
 * Request schemas of the REST API (zod): they validate every request at the boundary and generate the OpenAPI
 * document. Deeper rules (packs in the catalog, layer order, Kubernetes upgrade rules) stay in core and the
 * engine; these check shape, types and sizes so nothing malformed reaches them. Every body object is strict: a
 * field the route does not know is refused (`UnknownField`), never dropped — `{"dryrun": true}` must not
 * quietly mean `dryRun: false`.
 */
import { z } from 'zod';
import { CLUSTER_NOTICES, LAYER_KINDS } from '../core/model.ts';
import { isDnsLabel } from '../core/names.ts';
import { isStrictSemver } from '../core/semver.ts';
import { TOKEN_ROLES } from '../store/tokens.ts';
import { labelsSchema, selectorSchema } from './labels.ts';

/** A DNS-1123 label: the names of profiles, clusters, packs and tokens. */
export const nameSchema = z
  .string()
  .max(63)
  .refine(isDnsLabel, "must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)")
  // For the OpenAPI document only (a refinement has no JSON schema); `isDnsLabel` decides.
  .meta({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });

/** A strict semantic version (`1.2.3`; never `v1.2` or `1.2`). */
export const semverSchema = z
  .string()
  .max(128)
  .refine(isStrictSemver, 'must be a strict semantic version like 1.2.3')
  // For the OpenAPI document only: semver.org's pattern; `isStrictSemver` decides.
  .meta({
    pattern:
      '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$',
  });

/** YAML text of at most `max` characters, marked as YAML in the OpenAPI document (`contentMediaType`). */
function yamlText(max: number) {
  return z.string().max(max).meta({ contentMediaType: 'application/yaml' });
}

/** A `NAME@VERSION` profile reference. */
export const profileRefSchema = z
  .string()
  .max(200)
  .regex(/^[a-z0-9-]+@[0-9A-Za-z.+-]+$/, 'must be NAME@VERSION, e.g. hello-universe-aws@1.0.0');

/** Path parameters `{name}`. */
export const nameParams = z.object({ name: nameSchema });
/** Path parameters `{name}/versions/{version}`. */
export const nameVersionParams = z.object({ name: nameSchema, version: semverSchema });

/** Values: YAML text (keeps comments) or a mapping. */
const valuesSchema = z.union([yamlText(256 * 1024), z.record(z.string().max(253), z.unknown())]);

/** A profile layer as written in a profile file. */
export const profileLayerSchema = z.strictObject({
  pack: z.string().min(1).max(63),
  version: z.string().min(1).max(128),
  values: valuesSchema.optional(),
  presets: z.array(z.string().min(1).max(63)).max(32).optional(),
  namespace: z.string().min(1).max(63).optional(),
});

/**
 * Fields a profile version is read with that a write ignores (the server keeps them), accepted so that what
 * `GET` (or `strata profile get -o yaml`) gives can be edited and sent back as it is. `resourceVersion` is the
 * one that counts: an edit is checked against it.
 */
export const PROFILE_OUTPUT_FIELDS = [
  'revision',
  'currentRevision',
  'createdAt',
  'createdBy',
  'updatedAt',
] as const;

const profileOutputFields = {
  revision: z.number().int().positive().optional(),
  currentRevision: z.number().int().positive().optional(),
  createdAt: z.string().max(64).optional(),
  createdBy: z.string().max(200).optional(),
  updatedAt: z.string().max(64).optional(),
};

/** A profile document (POST /v1/profiles, JSON or YAML). */
export const profileDocumentSchema = z.strictObject({
  name: z.string().max(63),
  version: z.string().max(128),
  type: z.enum(['full', 'infra', 'addon']),
  cloudType: z.enum(['sim', 'edge', 'existing']).optional(),
  description: z.string().max(2000).optional(),
  layers: z.array(profileLayerSchema).min(1).max(64),
  ...profileOutputFields,
  resourceVersion: z.number().int().positive().optional(),
});

/** An in-place edit (PUT): the profile document with the resourceVersion read (or `If-Match`). */
export const profileEditSchema = profileDocumentSchema;

/** `?revision=N` on a profile version. */
export const revisionQuery = z.object({ revision: z.coerce.number().int().positive().optional() });

/** `?from=1&to=2` on a profile version's revisions. */
export const revisionDiffQuery = z.object({
  from: z.coerce.number().int().positive().optional(),
  to: z.coerce.number().int().positive().optional(),
});

/** Body of the "create a new version" action. */
export const copyProfileSchema = z.strictObject({ version: semverSchema });

/** Filters of `GET /v1/packs`. */
export const packQuery = z.object({ layer: z.enum(LAYER_KINDS).optional(), name: nameSchema.optional() });

/** A pack's files (POST /v1/packs, admin). */
export const packFilesSchema = z.strictObject({
  manifest: yamlText(64 * 1024).min(1),
  values: yamlText(256 * 1024).default(''),
  templates: z
    .record(
      z
        .string()
        .max(100)
        .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.ya?ml$/, 'template names are file names ending in .yaml'),
      z.string().max(256 * 1024),
    )
    .default({}),
});

const machineSchema = z.strictObject({
  instanceType: z.string().min(1).max(63),
  diskGiB: z.number().int().min(1).max(65_536),
});

const strategySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('expand-first') }),
  z.strictObject({ type: z.literal('contract-first') }),
  z.strictObject({
    type: z.literal('custom'),
    maxSurge: z.number().int().min(0).max(100),
    maxUnavailable: z.number().int().min(0).max(100),
  }),
]);

/** A node pool as desired. */
export const nodePoolSchema = z.strictObject({
  name: nameSchema,
  role: z.enum(['control-plane', 'worker']),
  count: z.number().int().min(0).max(1000),
  machine: machineSchema,
  strategy: strategySchema,
  pauseSeconds: z.number().int().min(0).max(86_400),
});

/** Body of `POST /v1/clusters`. */
export const createClusterSchema = z.strictObject({
  name: nameSchema,
  profiles: z.array(profileRefSchema).max(16),
  cloudType: z.enum(['sim', 'edge', 'existing']).optional(),
  controlPlane: z.union([z.literal(1), z.literal(3), z.literal(5)]).optional(),
  workers: z.number().int().min(0).max(1000).optional(),
  pools: z.array(nodePoolSchema).min(1).max(32).optional(),
  settings: z
    .strictObject({
      repave: z.enum(['manual', 'auto-approve']),
      prune: z.boolean(),
      selfHeal: z.boolean(),
    })
    .partial()
    .optional(),
  labels: labelsSchema.optional(),
  kubeconfig: yamlText(256 * 1024).optional(),
});

const overrideFields = {
  pack: nameSchema,
  values: yamlText(256 * 1024).nullable(),
  presets: z.array(z.string().min(1).max(63)).max(32).optional(),
  /** Take `values` as the layer's whole values instead of laying them over its current ones. */
  replace: z.boolean().optional(),
};

const expected = { expectedResourceVersion: z.number().int().positive().optional() };

/** A change to a cluster (body of `plan`), discriminated by `kind`. */
export const clusterChangeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('profiles'),
    profiles: z.array(profileRefSchema).min(1).max(16),
    resolutions: z.record(z.string().max(63), yamlText(256 * 1024)).optional(),
    chain: z.boolean().optional(),
  }),
  z.strictObject({ kind: z.literal('override'), ...overrideFields }),
  z.strictObject({ kind: z.literal('pools'), pools: z.array(nodePoolSchema).min(1).max(32) }),
]);

/** A change applied to a cluster (body of `update`): the change plus the resourceVersion the plan was read at. */
export const clusterUpdateSchema = z.discriminatedUnion('kind', [
  clusterChangeSchema.options[0].extend(expected),
  clusterChangeSchema.options[1].extend(expected),
  clusterChangeSchema.options[2].extend(expected),
]);

/** Body of `POST /v1/clusters/{name}/overrides`. */
export const overrideSchema = z.strictObject({ ...overrideFields, ...expected });

/** Body of `POST /v1/clusters/{name}/repave`. */
export const repaveActionSchema = z.strictObject({ action: z.literal('approve') });

/** A Kubernetes object reference. */
export const objectRefSchema = z.strictObject({
  apiVersion: z.string().min(1).max(253),
  kind: z.string().min(1).max(63),
  namespace: z.string().max(63),
  name: z.string().min(1).max(253),
});

/**
 * Body of `POST /v1/clusters/{name}/prune`: a preview unless `dryRun: false` is said (with `?confirm=NAME`), so
 * no body, `{}` or a misspelt flag can delete anything.
 */
export const pruneSchema = z
  .strictObject({
    dryRun: z.boolean().default(true),
    force: z.boolean().default(false),
    objects: z.array(objectRefSchema).max(1000).optional(),
  })
  .nullish();

/**
 * `?confirm=NAME` of a destructive call (cluster delete, prune, repave approval): the cluster's name repeated,
 * which a client sends once its user said yes (the CLI's `--yes` or prompt, the console's confirm button).
 */
export const confirmQuery = z.strictObject({
  confirm: z
    .string()
    .max(63)
    .optional()
    .describe('the cluster name, repeated to confirm this destructive call'),
});

/** Filters and page of `GET /v1/clusters`. */
export const clusterListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(400).optional(),
  phase: z
    .enum(['Pending', 'Provisioning', 'Running', 'Updating', 'Deleting', 'Deleted', 'Unknown'])
    .optional(),
  profile: profileRefSchema.optional(),
  health: z.enum(['Healthy', 'Degraded', 'Unhealthy', 'Unknown']).optional(),
  /** The Kubernetes version the control plane runs, e.g. `1.30.10`. */
  kubernetesVersion: z
    .string()
    .max(64)
    .regex(/^v?[0-9A-Za-z.+-]+$/, 'must be a version such as 1.30.10')
    .optional(),
  /** Labels every cluster listed carries: `k=v,k2=v2`, as a rollout's selector. */
  label: selectorSchema.optional(),
  /** The start of the name. */
  namePrefix: z.string().max(253).optional(),
  /** A part of the name, or of a label's key or value. */
  search: z.string().max(253).optional(),
  /** Clusters carrying a notice: an update available, a repave waiting for approval, drift, unused resources. */
  notice: z.enum(CLUSTER_NOTICES).optional(),
  /** Name order, ascending (default) or descending: `name` or `-name`. */
  sort: z.enum(['name', '-name']).default('name'),
  /** `phase`: the answer adds `counts` (total, by phase, by health) of the clusters the other filters match. */
  counts: z.enum(['phase']).optional(),
  /** `summary` (default): what a list row needs; `full`: each cluster's whole document. */
  view: z.enum(['summary', 'full']).default('summary'),
});

/** `?role=admin|read-only` of a kubeconfig. */
export const kubeconfigQuery = z.object({ role: z.enum(['admin', 'read-only']).default('admin') });

/** Page of a cluster's events: newest first, or after an id (oldest first, for tails). */
export const eventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  afterId: z.coerce.number().int().min(0).optional(),
});

/** Filter of the live stream. */
export const streamQuery = z.object({
  cluster: nameSchema.optional(),
  token: z.string().max(512).optional(),
});

/** Filters and page of `GET /v1/audit`. */
export const auditQuery = z.object({
  actor: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  target: z.string().max(300).optional(),
  targetKind: z.enum(['pack', 'profile', 'cluster', 'token', 'operation', 'inventory']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.coerce.number().int().min(1).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** Body of `POST /v1/tokens`. */
export const createTokenSchema = z.strictObject({ name: nameSchema, role: z.enum(TOKEN_ROLES) });

/** `{ref}` of a token: its id or its name. */
export const tokenRefParams = z.object({
  ref: z
    .string()
    .max(100)
    .regex(/^[a-z0-9-]+$/, 'must be a token id or name'),
});

/**
 * Body of `POST /v1/rollouts`: roll `from` → `to` across the clusters on `from` (or a label selection), a canary
 * wave then waves growing by `growth`; `preview: true` returns the waves and aggregate plan (`RolloutPreview`)
 * and changes nothing, otherwise 201 with the rollout (`RolloutView`).
 */
export const rolloutStartSchema = z.strictObject({
  from: profileRefSchema,
  to: profileRefSchema,
  selector: selectorSchema.optional(),
  canary: z.number().int().min(1).max(100_000).optional(),
  growth: z.number().int().min(1).max(1_000_000).optional(),
  soakSeconds: z.number().int().min(0).max(86_400).optional(),
  progressDeadlineSeconds: z.number().int().min(1).max(86_400).optional(),
  maxFailures: z.number().int().min(0).max(100_000).optional(),
  preview: z.boolean().optional(),
});

/** `{id}` of a rollout. */
export const rolloutParams = z.object({
  id: z
    .string()
    .max(100)
    .regex(/^[a-z0-9-]+$/, 'must be a rollout id'),
});

/** Body of a rollout's pause, resume and cancel: none, or an empty object (`{}`). */
export const rolloutActionSchema = z.strictObject({}).nullish();

/** Rollout states, for filters. */
export const ROLLOUT_STATES = ['Running', 'Soaking', 'Paused', 'Halted', 'Cancelled', 'Completed'] as const;
/** States of a cluster within a rollout, for filters. */
export const ROLLOUT_MEMBER_STATES = [
  'waiting',
  'applying',
  'healthy',
  'failed',
  'skipped',
  'repave-pending',
] as const;

/** Page of `GET /v1/rollouts` (newest first). */
export const rolloutListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
  state: z.enum(ROLLOUT_STATES).optional(),
});

/** Page of members of `GET /v1/rollouts/{id}`: one wave and/or one member state. */
export const rolloutGetQuery = z.object({
  wave: z.coerce.number().int().min(0).max(100_000).optional(),
  state: z.enum(ROLLOUT_MEMBER_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
});

/** Request body of `POST /v1/rollouts`. */
export type RolloutStartBody = z.infer<typeof rolloutStartSchema>;

/**
 * Response shapes of the rollout routes, for clients (the console, the CLI): `GET /v1/rollouts` answers
 * `RolloutPage`; `POST /v1/rollouts` answers `RolloutPreview` (preview) or `RolloutView` (201); `GET
 * /v1/rollouts/{id}` and `POST /v1/rollouts/{id}/{pause,resume,cancel}` answer `RolloutView`. Dates are ISO-8601
 * strings on the wire.
 */
export type {
  RolloutInput,
  RolloutMember,
  RolloutMemberState,
  RolloutPreview,
  RolloutPreviewPlan,
  RolloutPreviewWave,
  RolloutState,
  RolloutView,
  RolloutWaveView,
  StoredRollout,
} from '../engine/contract.ts';
export type { RolloutPage } from '../store/rollouts.ts';

/** A pack's layer as content packs may fill it. */
const contentLayerSchema = z.enum(['cni', 'csi', 'addon']);

/** Pulling a chart from a registry (POST /v1/packs/pull, admin). */
export const packPullSchema = z.strictObject({
  /** `oci://HOST[:PORT]/PATH/CHART`, or a chart's name in the HTTP repository `repo`. */
  source: z.string().min(1).max(2048),
  repo: z.string().min(1).max(2048).optional(),
  version: z.string().min(1).max(128),
  name: z.string().min(1).max(63).optional(),
  layer: contentLayerSchema.optional(),
  plainHttp: z.boolean().optional(),
  /** PEM of the CA that signed the registry's certificate. */
  ca: z
    .string()
    .max(64 * 1024)
    .optional(),
});

/** Importing a chart archive, a kustomize folder or manifest files (POST /v1/packs/import, admin). */
export const packImportSchema = z.strictObject({
  kind: z.enum(['helm', 'kustomize', 'manifest']),
  /** The gzipped tar (a chart archive or a packed folder), base64. */
  archive: z
    .string()
    .max(28 * 1024 * 1024)
    .optional(),
  /** Manifest files by name (kind manifest). */
  files: z.record(z.string().min(1).max(255), z.string().max(8 * 1024 * 1024)).optional(),
  fileName: z.string().max(255).optional(),
  name: z.string().min(1).max(63).optional(),
  version: z.string().min(1).max(128).optional(),
  layer: contentLayerSchema.optional(),
});

/** What a registry offers (GET /v1/chart-versions). */
export const chartVersionsQuery = z.strictObject({
  source: z.string().min(1).max(2048),
  repo: z.string().min(1).max(2048).optional(),
  plainHttp: z.enum(['true', 'false']).optional(),
});

/** Signing in to a chart registry (PUT /v1/registries/{host}, admin). */
export const registryLoginSchema = z.strictObject({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(8192),
});

/** Path parameter `{host}`: `HOST[:PORT]`. */
export const registryHostParams = z.object({
  host: z
    .string()
    .min(1)
    .max(261)
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'host must be HOST or HOST:PORT'),
});
