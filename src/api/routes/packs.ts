/** Routes of the pack catalog: list, versions, one version, and registration of user packs (admin). */
import { Catalog } from '../../core/catalog.ts';
import { StrataError } from '../../core/errors.ts';
import type { Pack } from '../../core/model.ts';
import { type PackFiles, parsePack } from '../../core/pack.ts';
import { documentData, parseValues } from '../../core/values.ts';
import { provePackRenders } from '../../render/prove.ts';
import { getPack, listPacks, registerPack } from '../../store/packs.ts';
import { auditOf } from '../auth.ts';
import { nameParams, nameVersionParams, packFilesSchema, packQuery } from '../schemas.ts';
import { type ApiApp, callerOf, type RouteContext } from '../server.ts';

/** A pack as lists show it: identity, kind and presets, without values and templates. */
export interface PackSummary {
  name: string;
  version: string;
  layer: Pack['layer'];
  distribution: Pack['distribution'] | null;
  displayName: string;
  description: string;
  source: Pack['source'];
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
    presets: pack.presets.map((p) => ({ name: p.name, displayName: p.displayName, group: p.group })),
  };
}

/**
 * Checks that a new pack fits the live catalog (not taken; same layer and distribution as its other versions)
 * without changing it, so a refused registration leaves both the store and the catalog as they were.
 */
function checkFitsCatalog(catalog: Catalog, pack: Pack): void {
  const siblings = catalog.versions(pack.name).map((v) => catalog.get(pack.name, v)!);
  new Catalog(siblings).add(pack);
}

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
}
