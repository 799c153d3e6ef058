/**
 * One layer of a profile version: the pack and its version, presets as switches (one per group at a time;
 * switching edits the values exactly as the server does), and the values in a validating YAML editor.
 */
import { useEffect, useState } from 'react';
import type { LayerKind } from '../api/types.ts';
import { usePermission } from '../app/session.tsx';
import { Badge } from '../components/Badges.tsx';
import { YamlEditor } from '../components/YamlEditor.tsx';
import { switchPreset } from '../values/presets.ts';
import type { PackCache } from './use-packs.ts';

/** A layer as edited. */
export interface DraftLayer {
  pack: string;
  version: string;
  values: string;
  presets: string[];
}

/** Renders the layer editor; `onChange` receives the whole edited layer. */
export function LayerPanel(props: {
  layer: DraftLayer;
  packs: PackCache;
  onChange(layer: DraftLayer): void;
  kind?: LayerKind;
}) {
  const { layer, packs } = props;
  const can = usePermission('operator');
  const [presetError, setPresetError] = useState<string | null>(null);
  useEffect(() => packs.want(layer.pack, layer.version), [packs, layer.pack, layer.version]);
  const versions = packs.versions(layer.pack);
  const detail = packs.detail(layer.pack, layer.version);
  const groups = new Map<string, NonNullable<typeof detail>['presets']>();
  for (const p of detail?.presets ?? []) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);

  return (
    <div className="stack" data-testid={`layer-${layer.pack}`}>
      <div className="card-header">
        <h2>
          {detail?.displayName ?? layer.pack} {props.kind ? <Badge>{props.kind}</Badge> : null}
        </h2>
        <label className="inline-field">
          <span>Version</span>
          <select
            aria-label={`${layer.pack} version`}
            value={layer.version}
            disabled={!can.allowed}
            title={can.reason}
            onChange={(e) => props.onChange({ ...layer, version: e.target.value })}
          >
            {(versions ?? [{ version: layer.version }]).map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
              </option>
            ))}
          </select>
        </label>
      </div>
      {detail?.description ? <p className="muted">{detail.description}</p> : null}
      {detail && detail.presets.length > 0 ? (
        <fieldset className="presets">
          <legend>Presets</legend>
          {[...groups.entries()].map(([group, presets]) => (
            <div key={group} className="preset-group">
              <span className="muted small">{group}</span>
              {presets.map((p) => {
                const on = layer.presets.includes(p.name);
                return (
                  <label key={p.name} className="switch" title={can.reason}>
                    <input
                      type="checkbox"
                      role="switch"
                      aria-checked={on}
                      checked={on}
                      disabled={!can.allowed}
                      onChange={(e) => {
                        const result = switchPreset(
                          detail,
                          layer.values,
                          layer.presets,
                          p.name,
                          e.target.checked,
                        );
                        if (!result.ok) {
                          setPresetError(result.message);
                          return;
                        }
                        setPresetError(null);
                        props.onChange({ ...layer, values: result.values, presets: result.presets });
                      }}
                    />
                    <span className="switch-track" aria-hidden="true" />
                    {p.displayName}
                  </label>
                );
              })}
            </div>
          ))}
          {presetError ? <div className="field-error">{presetError}</div> : null}
        </fieldset>
      ) : null}
      <YamlEditor
        label={`${layer.pack} values`}
        value={layer.values}
        onChange={can.allowed ? (values) => props.onChange({ ...layer, values }) : undefined}
        minHeight={280}
      />
    </div>
  );
}
