/** Routes of the pack catalog: list, versions, one version, and registration of user packs (admin). */
import { StrataError } from '../../core/errors.ts';
import type { Pack } from '../../core/model.ts';
import { type PackFiles, parsePack } from '../../core/pack.ts';
import { documentData, parseValues } from '../../core/values.ts';
import {
  addPackFromSource,
  checkFitsCatalog,
  listSourceVersions,
  type PackSourceInput,
} from '../../registry/intake.ts';
import { provePackRenders } from '../../render/prove.ts';
import { getPack, listPacks, registerPack } from '../../store/packs.ts';
import { auditOf } from '../auth.ts';
import { type ApiApp, callerOf, type RouteContext } from '../route-context.ts';
import {
  chartVersionsQuery,
  nameParams,
  nameVersionParams,
  packFilesSchema,
  packImportSchema,
  packPullSchema,
  packQuery,
} from '../schemas.ts';

/** A pack as lists show it: identity, kind, where it came from and presets, without values and templates. */
export interface PackSummary {
  name: string;
  version: string;
  layer: Pack['layer'];
  distribution: Pack['distribution'] | null;
  displayName: string;
  description: string;
  source: Pack['source'];
  kind: Pack['kind'];
  /** Where the content came from (`oci://…`, a repository URL, an uploaded file), for content packs. */
  origin: Pack['origin'] | null;
  presets: Array<{ name: string; displayName: string; group: string }>;
}

/** Returns the list form of a pack. */
export function packSummary(pack: Pack): PackSummary {
  return {
    name: pack.name,
    version: pack.version,
    layer: pack.layer,
    distribution: pack.distribution ?? null,
    displayName: pack.displayName,
    description: pack.description,
    source: pack.source,
    kind: pack.kind,
    origin: pack.origin ?? null,
    presets: pack.presets.map((p) => ({ name: p.name, displayName: p.displayName, group: p.group })),
  };
}

/** The body limit of an import: a chart of up to 20 MiB, base64. */
const IMPORT_BODY_LIMIT = 30 * 1024 * 1024;

/**
 * Refuses pack files that are not plain YAML before `parsePack` sees them: core's pack parser reads pack.yaml,
 * values.yaml and preset fragments with YAML 1.1 extras (`!!binary`, `!!set`, `!!timestamp`) enabled, so a
 * user pack could carry values that every later (safe) parse of them refuses.
 */
function checkSafeYaml(files: PackFiles): void {
  const manifest = documentData(parseValues(files.manifest, 'manifest'));
  parseValues(files.values, 'values');
  const presets = Array.isArray(manifest.presets) ? manifest.presets : [];
  for (const [i, preset] of presets.entries()) {
    const add = (preset as { add?: unknown } | null)?.add;
    if (typeof add === 'string') parseValues(add, `manifest.presets[${i}].add`);
  }
}

/** Registers the pack routes. */
export function registerPackRoutes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/v1/packs',
    {
      schema: { tags: ['packs'], summary: 'List packs (filter by layer or name)', querystring: packQuery },
      config: { access: 'viewer' },
    },
    async (request) => ({ items: (await listPacks(ctx.store.db, request.query)).map(packSummary) }),
  );

  app.get(
    '/v1/packs/:name',
    {
      schema: { tags: ['packs'], summary: 'Versions of a pack', params: nameParams },
      config: { access: 'viewer' },
    },
    async (request) => {
      const packs = await listPacks(ctx.store.db, { name: request.params.name });
      if (packs.length === 0) {
        throw new StrataError('NotFound', `Pack ${request.params.name} not found.`, {
          name: request.params.name,
        });
      }
      const versions = packs
        .map(packSummary)
        .sort(
          (a, b) =>
            ctx.catalog.versions(a.name).indexOf(a.version) - ctx.catalog.versions(b.name).indexOf(b.version),
        );
      return { name: request.params.name, layer: packs[0]!.layer, versions };
    },
  );

  app.get(
    '/v1/packs/:name/versions/:version',
    {
      schema: {
        tags: ['packs'],
        summary: 'One pack version with values, presets and templates',
        params: nameVersionParams,
      },
      config: { access: 'viewer' },
    },
    async (request) => {
      const { name, version } = request.params;
      const pack = await getPack(ctx.store.db, name, version);
      if (!pack) throw new StrataError('NotFound', `Pack ${name}@${version} not found.`, { name, version });
      return pack;
    },
  );

  app.post(
    '/v1/packs',
    {
      schema: {
        tags: ['packs'],
        summary: 'Register a user pack from its files (admin)',
        body: packFilesSchema,
      },
      config: { access: 'admin' },
    },
    async (request, reply) => {
      checkSafeYaml(request.body);
      const pack = parsePack(request.body, 'user');
      checkFitsCatalog(ctx.catalog, pack);
      await provePackRenders(pack, ctx.renderer);
      const stored = await registerPack(ctx.store.db, auditOf(callerOf(request)), pack);
      ctx.catalog.add(pack);
      ctx.events.publish({ kind: 'pack.registered', data: { pack: `${pack.name}@${pack.version}` } });
      return reply.code(201).send(stored);
    },
  );

  app.post(
    '/v1/packs/pull',
    {
      schema: {
        tags: ['packs'],
        summary:
          'Add a chart from an OCI registry (source oci://…) or an HTTP chart repository (source + repo) (admin)',
        body: packPullSchema,
      },
      config: { access: 'admin' },
    },
    async (request, reply) => {
      const body = request.body;
      const source: PackSourceInput = body.source.startsWith('oci://')
        ? {
            type: 'oci',
            ref: body.source,
            version: body.version,
            ...(body.plainHttp !== undefined ? { plainHttp: body.plainHttp } : {}),
            ...(body.ca !== undefined ? { ca: body.ca } : {}),
          }
        : httpSource(body);
      const stored = await addPackFromSource(ctx, auditOf(callerOf(request)), source, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.layer !== undefined ? { layer: body.layer } : {}),
      });
      ctx.events.publish({ kind: 'pack.registered', data: { pack: `${stored.name}@${stored.version}` } });
      return reply.code(201).send(stored);
    },
  );

  app.post(
    '/v1/packs/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags: ['packs'],
        summary: 'Add a chart archive, a kustomize folder (packed) or manifest files as a pack (admin)',
        body: packImportSchema,
      },
      config: { access: 'admin' },
    },
    async (request, reply) => {
      const body = request.body;
      const stored = await addPackFromSource(ctx, auditOf(callerOf(request)), importSource(body), {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.version !== undefined ? { version: body.version } : {}),
        ...(body.layer !== undefined ? { layer: body.layer } : {}),
      });
      ctx.events.publish({ kind: 'pack.registered', data: { pack: `${stored.name}@${stored.version}` } });
      return reply.code(201).send(stored);
    },
  );

  app.get(
    '/v1/chart-versions',
    {
      schema: {
        tags: ['packs'],
        summary: 'The versions a registry offers of a chart, newest first',
        querystring: chartVersionsQuery,
      },
      config: { access: 'operator' },
    },
    async (request) => {
      const q = request.query;
      const source = q.source.startsWith('oci://')
        ? ({ type: 'oci', ref: q.source, version: '', plainHttp: q.plainHttp === 'true' } as const)
        : httpSource({ source: q.source, repo: q.repo, version: '' });
      return {
        source: q.source,
        ...(q.repo ? { repo: q.repo } : {}),
        versions: await listSourceVersions(ctx, source),
      };
    },
  );
}

/** Returns the HTTP-repository source of a request naming a chart and its repository. */
function httpSource(body: {
  source: string;
  repo?: string | undefined;
  version: string;
  ca?: string | undefined;
}) {
  if (body.repo === undefined) {
    throw new StrataError(
      'ValidationFailed',
      `source ${JSON.stringify(body.source)} is a chart name, which needs --repo http(s)://HOST/PATH (or write oci://HOST/PATH/CHART).`,
      { field: 'repo' },
    );
  }
  return {
    type: 'http' as const,
    chart: body.source,
    repo: body.repo,
    version: body.version,
    ...(body.ca !== undefined ? { ca: body.ca } : {}),
  };
}

/** Returns the upload source of an import request. */
function importSource(body: {
  kind: 'helm' | 'kustomize' | 'manifest';
  archive?: string | undefined;
  files?: Record<string, string> | undefined;
  fileName?: string | undefined;
}): PackSourceInput {
  const fileName = body.fileName !== undefined ? { fileName: body.fileName } : {};
  if (body.kind === 'manifest') {
    if (!body.files || Object.keys(body.files).length === 0) {
      throw new StrataError('ValidationFailed', 'A manifest import needs files: {name: YAML text}.', {
        field: 'files',
      });
    }
    return {
      type: 'manifest-files',
      files: new Map(Object.entries(body.files).map(([name, text]) => [name, Buffer.from(text, 'utf8')])),
    };
  }
  if (body.archive === undefined) {
    throw new StrataError('ValidationFailed', `A ${body.kind} import needs archive: a gzipped tar, base64.`, {
      field: 'archive',
    });
  }
  const archive = Buffer.from(body.archive, 'base64');
  return body.kind === 'helm'
    ? { type: 'chart-archive', archive, ...fileName }
    : { type: 'kustomize-archive', archive, ...fileName };
}
