/**
 * Preset switches edit a layer's values exactly as the server and CLI do: the console runs core's pure
 * `applyPresets` (it uses only the `yaml` package), so turning a preset on shows its values at once and a
 * second implementation cannot drift from the first.
 */
import { isStrataError } from '../../../core/errors.ts';
import type { Pack } from '../../../core/model.ts';
import { applyPresets } from '../../../core/presets.ts';

/** The result of a switch: new values and presets, or the reason it cannot be done. */
export type PresetSwitch = { ok: true; values: string; presets: string[] } | { ok: false; message: string };

/**
 * Returns the layer's values and presets with `preset` turned on or off. Turning one on turns off the others
 * of its group (they are mutually exclusive).
 */
export function switchPreset(
  pack: Pack,
  values: string,
  enabled: readonly string[],
  preset: string,
  on: boolean,
): PresetSwitch {
  const target = pack.presets.find((p) => p.name === preset);
  let desired = enabled.filter((name) => name !== preset);
  if (on && target) {
    const sameGroup = new Set(pack.presets.filter((p) => p.group === target.group).map((p) => p.name));
    desired = desired.filter((name) => !sameGroup.has(name));
    desired.push(preset);
  }
  try {
    const result = applyPresets(pack, values, [...enabled], desired);
    return { ok: true, values: result.values, presets: result.presets };
  } catch (error) {
    return {
      ok: false,
      message: isStrataError(error) || error instanceof Error ? error.message : String(error),
    };
  }
}
