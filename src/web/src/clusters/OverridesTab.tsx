/**
 * The cluster's own values per layer, without touching the profile: edit, see the plan (and acknowledge a
 * repave when one is needed), save. Removing an override returns the layer to the profile's values.
 */
import { useEffect, useState } from 'react';
import {
  type Cluster,
  type ClusterPlanRequest,
  type ClusterPlanView,
  clusterPath,
  type OverrideRequest,
} from '../api/types.ts';
import { usePermission, useSession } from '../app/session.tsx';
import { useAction } from '../app/use-resource.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Loading } from '../components/States.tsx';
import { YamlEditor } from '../components/YamlEditor.tsx';
import { validateValues } from '../values/validate.ts';
import { PlanSummary } from './PlanSummary.tsx';
import { useAttachedLayers } from './use-attached-layers.ts';

/** Renders the Overrides tab. */
export function OverridesTab(props: { cluster: Cluster; reload(): Promise<void> }) {
  const c = props.cluster;
  const { api } = useSession();
  const can = usePermission('operator');
  const { layers, error } = useAttachedLayers(c);
  const [pack, setPack] = useState<string | null>(null);
  const [draft, setDraft] = useState<string>('');
  const [remove, setRemove] = useState(false);
  const [view, setView] = useState<ClusterPlanView | null>(null);
  const [acknowledged, setAcknowledged] = useState(false);
  const planAction = useAction();
  const saveAction = useAction();

  const layer = layers?.find((l) => l.pack === pack) ?? null;
  const override = pack ? c.spec.overrides[pack] : undefined;
  const original = override?.values ?? layer?.values ?? '';

  useEffect(() => {
    if (!pack && layers && layers.length > 0) setPack(layers[layers.length - 1]!.pack);
  }, [layers, pack]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new layer (or a saved override) resets the draft.
  useEffect(() => {
    setDraft(original);
    setView(null);
    setRemove(false);
    setAcknowledged(false);
  }, [pack, original]);

  if (error) return <ErrorBanner error={error} />;
  if (!layers) return <Loading label="Loading layers…" />;
  if (layers.length === 0) return <Empty title="This cluster has no layers" />;

  const dirty = remove || draft !== original;
  const invalid = validateValues(draft) !== null;
  const preview = async (values: string | null) => {
    if (!pack) return;
    setRemove(values === null);
    const answer = await planAction.run(() =>
      api.post<ClusterPlanView>(clusterPath(c.name, 'plan'), {
        kind: 'override',
        pack,
        values,
        // The editor holds the layer's whole values.
        replace: true,
      } satisfies ClusterPlanRequest),
    );
    if (answer) setView(answer);
  };
  const save = async () => {
    if (!view || !pack) return;
    const answer = await saveAction.run(() =>
      api.post(clusterPath(c.name, 'overrides'), {
        pack,
        values: remove ? null : draft,
        replace: true,
        expectedResourceVersion: view.resourceVersion,
      } satisfies OverrideRequest),
    );
    if (answer) {
      setView(null);
      await props.reload();
    }
  };

  return (
    <div className="editor-layout">
      <nav className="layer-nav" aria-label="Layers">
        {layers.map((l) => (
          <button
            type="button"
            key={l.pack}
            className={`layer-nav-item${pack === l.pack ? ' layer-nav-active' : ''}`}
            onClick={() => setPack(l.pack)}
          >
            <span>{l.pack}</span>
            {c.spec.overrides[l.pack] ? <Badge tone="accent">override</Badge> : null}
          </button>
        ))}
      </nav>
      <div className="editor-pane stack">
        <div className="issues issues-info">
          Overrides change this cluster only. A new profile version is usually the better way: it keeps
          clusters alike and can be rolled out.
        </div>
        {layer ? (
          <>
            <div className="card-header">
              <h2>
                {layer.pack}{' '}
                <span className="muted small">
                  {layer.version} · from {layer.profile}
                </span>
              </h2>
              {override ? (
                <Badge tone="accent">this cluster overrides the profile here</Badge>
              ) : (
                <span className="muted">using the profile's values</span>
              )}
            </div>
            <YamlEditor
              label={`${layer.pack} values for ${c.name}`}
              value={draft}
              onChange={can.allowed && !view ? setDraft : undefined}
              readOnly={!can.allowed || view !== null}
              minHeight={240}
            />
            <ErrorBanner error={planAction.error} onDismiss={planAction.clear} title="Plan" />
            {view ? (
              <div className="stack">
                <h3>{remove ? 'Removing the override' : 'Saving this override'} would:</h3>
                <PlanSummary plan={view.plan} repaveMode={c.spec.settings.repave} />
                {view.plan.repave.required ? (
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={acknowledged}
                      onChange={(e) => setAcknowledged(e.target.checked)}
                    />
                    I understand this replaces nodes of {view.plan.repave.pools.map((p) => p.name).join(', ')}
                    .
                  </label>
                ) : null}
                <ErrorBanner error={saveAction.error} onDismiss={saveAction.clear} title="Save" />
                <div className="actions-row">
                  <button type="button" className="btn btn-ghost" onClick={() => setView(null)}>
                    Back to editing
                  </button>
                  <GuardedButton
                    need="operator"
                    variant="primary"
                    busy={saveAction.running}
                    disabled={!view.plan.applicable || (view.plan.repave.required && !acknowledged)}
                    title={!view.plan.applicable ? 'The plan has errors' : undefined}
                    onClick={save}
                  >
                    {remove ? 'Remove override' : 'Save override'}
                  </GuardedButton>
                </div>
              </div>
            ) : (
              <div className="actions-row">
                <GuardedButton
                  need="operator"
                  variant="primary"
                  busy={planAction.running}
                  disabled={!dirty || invalid}
                  title={!dirty ? 'Edit the values first' : invalid ? 'Fix the YAML first' : undefined}
                  onClick={() => void preview(draft)}
                >
                  Review &amp; Save
                </GuardedButton>
                {draft !== original ? (
                  <button type="button" className="btn btn-ghost" onClick={() => setDraft(original)}>
                    Discard edits
                  </button>
                ) : null}
                {override ? (
                  <GuardedButton need="operator" onClick={() => void preview(null)}>
                    Remove override…
                  </GuardedButton>
                ) : null}
                {!can.allowed ? <span className="muted">Read only: {can.reason}</span> : null}
              </div>
            )}
          </>
        ) : null}
      </div>
    </div>
  );
}
