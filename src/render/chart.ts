/**
 * Reading what users bring into pack content: a Helm chart archive (its `Chart.yaml`, values, schema and README),
 * a kustomize folder, plain manifest files. The archives themselves are stored as they are (charts) or packed by
 * Strata (folders), and rendered later by the real tools.
 */
import YAML from 'yaml';
import { StrataError } from '../core/errors.ts';
import type { ChartMetadata } from '../core/pack-kinds.ts';
import { readArchive, writeArchive } from './archive.ts';

/** The largest chart archive Strata takes (registries' charts are kilobytes; the biggest known are a few MiB). */
export const MAX_CHART_BYTES = 20 * 1024 * 1024;

function chartError(message: string, details: Record<string, unknown> = {}): StrataError {
  return new StrataError('PackInvalid', message, { reason: 'InvalidChart', ...details });
}

/** Returns a chart archive's metadata; throws `PackInvalid` for an archive that is not a Helm chart. */
export async function readChartArchive(data: Buffer): Promise<ChartMetadata> {
  if (data.length > MAX_CHART_BYTES) {
    throw chartError(`The chart archive is ${data.length} bytes; at most ${MAX_CHART_BYTES} are taken.`);
  }
  const files = await readArchive(data, 'PackInvalid');
  // A chart archive holds one top folder, the chart's; subcharts live below its charts/.
  const chartYamlPath = [...files.keys()]
    .filter((p) => /^[^/]+\/Chart\.yaml$/.test(p))
    .sort()
    .at(0);
  if (!chartYamlPath) throw chartError('The archive is not a Helm chart: it has no <chart>/Chart.yaml.');
  const top = chartYamlPath.slice(0, -'/Chart.yaml'.length);
  const text = (path: string) => files.get(`${top}/${path}`)?.toString('utf8');
  let chart: unknown;
  try {
    chart = YAML.parse(text('Chart.yaml')!, { schema: 'core', maxAliasCount: 100 });
  } catch (error) {
    throw chartError(`The chart's Chart.yaml is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!chart || typeof chart !== 'object' || Array.isArray(chart)) {
    throw chartError("The chart's Chart.yaml is not a mapping.");
  }
  const meta = chart as Record<string, unknown>;
  if (typeof meta.name !== 'string' || meta.name === '')
    throw chartError("The chart's Chart.yaml has no name.");
  if (meta.version === undefined || meta.version === null || meta.version === '') {
    throw chartError(`The chart ${meta.name} has no version in its Chart.yaml.`);
  }
  const schema = text('values.schema.json');
  if (schema !== undefined) {
    try {
      JSON.parse(schema);
    } catch (error) {
      throw chartError(
        `The chart ${meta.name}'s values.schema.json is not JSON: ${(error as Error).message}`,
      );
    }
  }
  const readme = text('README.md') ?? text('README') ?? text('readme.md');
  return {
    name: meta.name,
    version: String(meta.version),
    ...(meta.appVersion !== undefined && meta.appVersion !== null
      ? { appVersion: String(meta.appVersion) }
      : {}),
    ...(typeof meta.description === 'string' ? { description: meta.description } : {}),
    values: text('values.yaml') ?? '',
    ...(schema !== undefined ? { valuesSchema: schema } : {}),
    ...(readme !== undefined ? { readme } : {}),
  };
}

/** The names kustomize looks for at the root of a kustomization. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Returns the archive of a kustomize folder's files; throws `PackInvalid` when it has no kustomization file. */
export async function packKustomization(files: ReadonlyMap<string, Buffer>): Promise<Buffer> {
  if (!KUSTOMIZATION_FILES.some((f) => files.has(f))) {
    throw new StrataError('PackInvalid', 'The folder has no kustomization.yaml at its top.', {
      reason: 'InvalidKustomization',
    });
  }
  return writeArchive(files);
}

/**
 * Returns the archive of plain manifest files: the files as given (`.yaml`/`.yml`/`.json`) plus a kustomization
 * listing them, so manifests and kustomize bases render the same way.
 */
export async function packManifests(files: ReadonlyMap<string, Buffer>): Promise<Buffer> {
  const names = [...files.keys()].sort();
  if (names.length === 0) {
    throw new StrataError('PackInvalid', 'No manifest files were given.', { reason: 'InvalidManifest' });
  }
  const out = new Map<string, Buffer>();
  for (const [index, name] of names.entries()) {
    if (!/\.(ya?ml|json)$/i.test(name)) {
      throw new StrataError('PackInvalid', `${name} is not a YAML or JSON file.`, {
        reason: 'InvalidManifest',
        file: name,
      });
    }
    // Kept in the given order under safe, distinct names.
    out.set(
      `manifests/${String(index).padStart(3, '0')}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`,
      files.get(name)!,
    );
  }
  const kustomization = YAML.stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...out.keys()],
  });
  out.set('kustomization.yaml', Buffer.from(kustomization));
  return writeArchive(out);
}
