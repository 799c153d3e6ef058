/**
 * Adding what users bring as pack versions of the catalog: a chart pulled from an OCI registry or an HTTP chart
 * repository, or an uploaded chart archive, kustomize folder or manifest files. Each is read, turned into a pack
 * (core/pack-kinds.ts), checked against the catalog, proven to render with its defaults — in the sandbox, before
 * anything is stored — and then stored with its archive in one transaction. Any failure stores nothing.
 */
import YAML from 'yaml';
import { Catalog } from '../core/catalog.ts';
import { StrataError } from '../core/errors.ts';
import type { LayerKind, Pack, PackOrigin } from '../core/model.ts';
import { chartPack, overlayPack, type PackNaming } from '../core/pack-kinds.ts';
import { compareSemver, isStrictSemver } from '../core/semver.ts';
import { readArchive } from '../render/archive.ts';
import { KUSTOMIZATION_FILES, packKustomization, packManifests, readChartArchive } from '../render/chart.ts';
import { provePackRenders } from '../render/prove.ts';
import type { Renderer } from '../render/renderer.ts';
import type { AuditContext } from '../store/audit.ts';
import type { Store } from '../store/open.ts';
import { contentDigest, putPackContent } from '../store/pack-contents.ts';
import { registerPack, type StoredPack } from '../store/packs.ts';
import { registryCredentials } from '../store/registries.ts';
import { chartEntries, parseRepoUrl, pullRepoChart } from './chart-repo.ts';
import { listOciTags, parseOciReference, pullOciChart } from './oci.ts';

/** Where a pack comes from, as a request names it. */
export type PackSourceInput =
  | { type: 'oci'; ref: string; version: string; plainHttp?: boolean; ca?: string }
  | { type: 'http'; chart: string; repo: string; version: string; ca?: string }
  | { type: 'chart-archive'; archive: Buffer; fileName?: string }
  | { type: 'kustomize-archive'; archive: Buffer; fileName?: string }
  | { type: 'manifest-files'; files: Map<string, Buffer> };

/** What intake needs: the store, the live catalog and the renderer. */
export interface IntakeDeps {
  store: Store;
  catalog: Catalog;
  renderer: Renderer;
}

/** The naming a request gives: pack name, version (kustomize and manifests) and layer. */
export interface IntakeNaming {
  name?: string;
  version?: string;
  layer?: LayerKind;
}

/**
 * Adds a pack from a source and returns it as stored; the live catalog holds it afterwards. Throws the pull's,
 * the archive's or the render's error (nothing is stored then) and `AlreadyExists` for a taken name@version.
 */
export async function addPackFromSource(
  deps: IntakeDeps,
  audit: AuditContext,
  source: PackSourceInput,
  naming: IntakeNaming,
): Promise<StoredPack> {
  const { pack, archive } = await packOfSource(deps, source, naming);
  checkFitsCatalog(deps.catalog, pack);
  const unstage = deps.renderer.stageContent(pack.content!.digest, archive);
  try {
    await provePackRenders(pack, deps.renderer);
  } finally {
    unstage();
  }
  const stored = await deps.store.transaction(async (trx) => {
    await putPackContent(trx, pack.content!.media, archive);
    return registerPack(trx, audit, pack);
  });
  deps.catalog.add(pack);
  return stored;
}

/** Returns the versions a registry offers of a chart, newest first (versions that are not semver last). */
export async function listSourceVersions(
  deps: Pick<IntakeDeps, 'store'>,
  source: Extract<PackSourceInput, { type: 'oci' | 'http' }>,
): Promise<string[]> {
  let versions: string[];
  if (source.type === 'oci') {
    const ref = parseOciReference(source.ref);
    const credentials = await registryCredentials(deps.store.db, ref.host);
    versions = await listOciTags(ref, {
      plainHttp: source.plainHttp === true,
      ...(source.ca ? { ca: source.ca } : {}),
      ...(credentials ? { credentials } : {}),
    });
  } else {
    const repo = parseRepoUrl(source.repo);
    const credentials = await registryCredentials(deps.store.db, repo.host);
    const entries = await chartEntries(repo, source.chart, {
      ...(source.ca ? { ca: source.ca } : {}),
      ...(credentials ? { credentials } : {}),
    });
    versions = entries.map((e) => e.version);
  }
  const semver = [...new Set(versions.filter((v) => isStrictSemver(v)))].sort((a, b) => compareSemver(b, a));
  const others = versions.filter((v) => !isStrictSemver(v)).sort();
  return [...semver, ...others];
}

async function packOfSource(
  deps: IntakeDeps,
  source: PackSourceInput,
  naming: IntakeNaming,
): Promise<{ pack: Pack; archive: Buffer }> {
  const packNaming: PackNaming = {
    ...(naming.name !== undefined ? { name: naming.name } : {}),
    ...(naming.layer !== undefined ? { layer: naming.layer } : {}),
  };
  switch (source.type) {
    case 'oci': {
      const ref = parseOciReference(source.ref);
      const credentials = await registryCredentials(deps.store.db, ref.host);
      const pulled = await pullOciChart(ref, source.version, {
        plainHttp: source.plainHttp === true,
        ...(source.ca ? { ca: source.ca } : {}),
        ...(credentials ? { credentials } : {}),
      });
      const origin: PackOrigin = {
        type: 'oci',
        url: `oci://${ref.host}/${ref.repository}`,
        chart: ref.chart,
        version: source.version,
        digest: pulled.digest,
      };
      return chartOf(pulled.archive, origin, packNaming, source.version);
    }
    case 'http': {
      const repo = parseRepoUrl(source.repo);
      const credentials = await registryCredentials(deps.store.db, repo.host);
      const pulled = await pullRepoChart(repo, source.chart, source.version, {
        ...(source.ca ? { ca: source.ca } : {}),
        ...(credentials ? { credentials } : {}),
      });
      const origin: PackOrigin = {
        type: 'http',
        url: repo.href,
        chart: source.chart,
        version: source.version,
        digest: pulled.digest,
      };
      return chartOf(pulled.archive, origin, packNaming, source.version);
    }
    case 'chart-archive': {
      const origin: PackOrigin = {
        type: 'upload',
        ...(source.fileName ? { url: source.fileName } : {}),
        digest: contentDigest(source.archive),
      };
      return chartOf(source.archive, origin, packNaming, naming.version);
    }
    case 'kustomize-archive': {
      const files = await readArchive(source.archive, 'PackInvalid');
      checkKustomizationIsLocal(files);
      const archive = await packKustomization(files);
      return overlayOf('kustomize', archive, source.fileName, { ...packNaming, ...versionOf(naming) });
    }
    case 'manifest-files': {
      checkManifestFiles(source.files);
      const archive = await packManifests(source.files);
      return overlayOf('manifest', archive, undefined, { ...packNaming, ...versionOf(naming) });
    }
  }
}

function versionOf(naming: IntakeNaming): { version?: string } {
  return naming.version !== undefined ? { version: naming.version } : {};
}

async function chartOf(
  archive: Buffer,
  origin: PackOrigin,
  naming: PackNaming,
  expectedVersion: string | undefined,
): Promise<{ pack: Pack; archive: Buffer }> {
  const chart = await readChartArchive(archive);
  const pack = chartPack(
    chart,
    { digest: contentDigest(archive), media: 'helm-chart', size: archive.length },
    origin,
    { ...naming, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
  );
  return { pack, archive };
}

function overlayOf(
  kind: 'kustomize' | 'manifest',
  archive: Buffer,
  fileName: string | undefined,
  naming: PackNaming,
): { pack: Pack; archive: Buffer } {
  const digest = contentDigest(archive);
  const origin: PackOrigin = { type: 'upload', ...(fileName ? { url: fileName } : {}), digest };
  const pack = overlayPack(kind, { digest, media: kind, size: archive.length }, origin, naming);
  return { pack, archive };
}

/**
 * Refuses a kustomization whose resources, bases or components are remote (`https://…`, `github.com/…`, git):
 * a pack's content is stored in Strata and must render while the network is down, so it brings everything.
 */
function checkKustomizationIsLocal(files: ReadonlyMap<string, Buffer>): void {
  for (const [path, content] of files) {
    const base = path.split('/').pop()!;
    if (!KUSTOMIZATION_FILES.includes(base)) continue;
    let doc: unknown;
    try {
      doc = YAML.parse(content.toString('utf8'), { schema: 'core', maxAliasCount: 100 });
    } catch (error) {
      throw new StrataError(
        'PackInvalid',
        `${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
        {
          reason: 'InvalidKustomization',
          file: path,
        },
      );
    }
    const k = (doc ?? {}) as Record<string, unknown>;
    for (const field of ['resources', 'bases', 'components']) {
      const list = k[field];
      if (!Array.isArray(list)) continue;
      for (const entry of list) {
        const text = String(entry);
        if (/:\/\/|^github\.com\/|^git@|^git::/.test(text)) {
          throw new StrataError(
            'PackInvalid',
            `${path}: ${field} entry ${JSON.stringify(text)} is remote; a kustomize pack must bring its bases in the folder.`,
            { reason: 'RemoteKustomization', file: path, entry: text },
          );
        }
      }
    }
    if (k.helmCharts !== undefined || k.helmChartInflationGenerator !== undefined) {
      throw new StrataError(
        'PackInvalid',
        `${path} inflates Helm charts; add the chart as a pack of its own (strata pack add) instead.`,
        { reason: 'KustomizeHelmCharts', file: path },
      );
    }
  }
}

/** Refuses manifest files that are not Kubernetes objects, before they are stored. */
function checkManifestFiles(files: ReadonlyMap<string, Buffer>): void {
  for (const [name, content] of files) {
    let docs: YAML.Document.Parsed[];
    try {
      docs = YAML.parseAllDocuments(content.toString('utf8'), { schema: 'core' }) as YAML.Document.Parsed[];
    } catch (error) {
      throw new StrataError(
        'PackInvalid',
        `${name} is not YAML: ${(error as Error).message.split('\n')[0]}`,
        {
          reason: 'InvalidManifest',
          file: name,
        },
      );
    }
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      const problem = doc.errors[0];
      if (problem) {
        throw new StrataError('PackInvalid', `${name} is not valid YAML: ${problem.message.split('\n')[0]}`, {
          reason: 'InvalidManifest',
          file: name,
        });
      }
      const value = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null;
      if (value === null || value === undefined) continue;
      if (
        typeof value !== 'object' ||
        typeof value.apiVersion !== 'string' ||
        typeof value.kind !== 'string'
      ) {
        throw new StrataError(
          'PackInvalid',
          `${name} holds a document that is not a Kubernetes object (it needs apiVersion and kind).`,
          { reason: 'NotKubernetesObjects', file: name },
        );
      }
    }
  }
}

/**
 * Checks that a new pack fits the live catalog (not taken; same layer and distribution as its other versions)
 * without changing it, so a refused registration leaves both the store and the catalog as they were.
 */
export function checkFitsCatalog(catalog: Catalog, pack: Pack): void {
  const siblings = catalog.versions(pack.name).map((v) => catalog.get(pack.name, v)!);
  new Catalog(siblings).add(pack);
}
