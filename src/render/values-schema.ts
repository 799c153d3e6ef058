/**
 * Values checked against a chart's `values.schema.json` when a profile is saved and when an override is set, so a
 * wrong value is refused at once with the path it is at (`ValuesSchemaViolation`) — not found later, cluster by
 * cluster, when Helm refuses to render. The check runs in the render sandbox (a schema is untrusted content).
 */
import type { Catalog } from '../core/catalog.ts';
import { StrataError } from '../core/errors.ts';
import type { Pack, ProfileVersion } from '../core/model.ts';
import { valuesData } from '../core/values.ts';
import type { Renderer } from './renderer.ts';

/** One value that does not match the schema. */
export interface SchemaViolation {
  /** The value path (`service.port`; empty for the top). */
  path: string;
  message: string;
}

/** Resolves when `values` match the pack's schema (or it has none); throws `ValuesSchemaViolation` otherwise. */
export async function checkValuesSchema(
  renderer: Renderer,
  pack: Pack,
  values: string,
  field: string,
): Promise<void> {
  if (!pack.valuesSchema) return;
  const data = valuesData(values, field);
  const [result] = await renderer.pool.run({
    type: 'schema',
    pack: `${pack.name}@${pack.version}`,
    schema: pack.valuesSchema,
    values: JSON.stringify(data),
  });
  const violations = (result?.documents ?? []) as SchemaViolation[];
  if (violations.length === 0) return;
  const shown = violations
    .slice(0, 5)
    .map((v) => `${v.path || '(top)'}: ${v.message}`)
    .join('; ');
  throw new StrataError(
    'ValuesSchemaViolation',
    `${field} of pack ${pack.name}@${pack.version} do not match its values.schema.json: ${shown}${violations.length > 5 ? ` (and ${violations.length - 5} more)` : ''}.`,
    { pack: pack.name, version: pack.version, field, path: violations[0]!.path, violations },
  );
}

/** Checks every layer of a profile version whose pack has a values schema. */
export async function checkProfileValues(
  renderer: Renderer,
  profile: ProfileVersion,
  catalog: Catalog,
): Promise<void> {
  for (const [index, layer] of profile.layers.entries()) {
    await checkValuesSchema(
      renderer,
      catalog.require(layer.pack, layer.version),
      layer.values,
      `layers[${index}].values`,
    );
  }
}
