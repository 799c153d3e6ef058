/**
 * Proving a pack before it enters the catalog: it renders with its defaults and with each preset enabled on its
 * own, so a broken template or a preset that breaks rendering is refused when the pack is registered rather than
 * when a cluster uses it. Renders run in the sandbox like any other.
 */
import { StrataError } from '../core/errors.ts';
import type { Pack } from '../core/model.ts';
import { withPresetForValidation } from '../core/pack.ts';
import { parseRenderValues } from '../core/render.ts';
import type { Renderer } from './renderer.ts';

/** Resolves when the pack renders with its defaults and with each preset; rejects with the first failure. */
export async function provePackRenders(pack: Pack, renderer: Renderer): Promise<void> {
  const defaults = parseRenderValues(pack.values, `Pack ${pack.name}@${pack.version}: values.yaml`);
  const check = { profile: 'validation', shapeErrorCode: 'PackInvalid' } as const;
  await renderer.check(pack, defaults, check);
  for (const preset of pack.presets) {
    try {
      await renderer.check(pack, withPresetForValidation(defaults, preset), check);
    } catch (error) {
      if (error instanceof StrataError) {
        throw new StrataError(
          error.code,
          `${error.message.replace(/\.$/, '')} (with preset ${preset.name} enabled).`,
          {
            ...error.details,
            preset: preset.name,
          },
        );
      }
      throw error;
    }
  }
}
