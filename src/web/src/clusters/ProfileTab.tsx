/**
 * The update flow of the seed, done better: the version next to each attached profile is a selector; choose a
 * new one (or take an in-place revision marked "update available") → Review & Save → the change summary →
 * Review changes in editor (per layer: current left, pending right and editable, overrides already kept by the
 * 3-way merge, true conflicts marked) → Apply changes → progress until the cluster has reconciled.
 */
import { Fragment, useEffect, useMemo, useState } from 'react';
import {
  type Cluster,
  type ClusterPlanRequest,
  type ClusterPlanView,
  type ClusterUpdateRequest,
  clusterPath,
  type ProfileDetail,
  type ProfileSummary,
  profilePath,
  profileVersionPath,
} from '../api/types.ts';
import { href } from '../app/router.ts';
import { usePermission, useSession } from '../app/session.tsx';
import { useAction } from '../app/use-resource.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { MergeEditor } from '../components/MergeEditor.tsx';
import { Loading, Progress } from '../components/States.tsx';
import { YamlEditor } from '../components/YamlEditor.tsx';
import { conflictLines, validateValues } from '../values/validate.ts';
import { PlanSummary } from './PlanSummary.tsx';

type Step = 'select' | 'summary' | 'editor' | 'applied';

interface ProfileVersions {
  name: string;
  versions: ProfileSummary[];
}

/** Renders the Profile tab of `cluster`. */
export function ProfileTab(props: { cluster: Cluster; reload(): Promise<void> }) {
  const c = props.cluster;
  const { api } = useSession();
  const canUpdate = usePermission('operator');
  const [catalog, setCatalog] = useState<ProfileVersions[] | null>(null);
  const [attached, setAttached] = useState<ProfileDetail[]>([]);
  const [selection, setSelection] = useState<Record<string, string>>(() =>
    Object.fromEntries(c.spec.profiles.map((p) => [p.name, p.version])),
  );
  const [step, setStep] = useState<Step>('select');
  const [view, setView] = useState<ClusterPlanView | null>(null);
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [layer, setLayer] = useState<string | null>(null);
  const [appliedGeneration, setAppliedGeneration] = useState<number | null>(null);
  const loadAction = useAction();
  const planAction = useAction();
  const applyAction = useAction();
  const specKey = c.spec.profiles.map((p) => `${p.name}@${p.version}r${p.revision}`).join(',');

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload the versions when the attached profiles change.
  useEffect(() => {
    void loadAction.run(async () => {
      const lists = await Promise.all(
        c.spec.profiles.map((p) =>
          api.get<{ name: string; versions: ProfileSummary[] }>(profilePath(p.name)),
        ),
      );
      setCatalog(lists.map((l) => ({ name: l.name, versions: l.versions })));
      const details = await Promise.all(
        c.spec.profiles.map((p) =>
          api.get<ProfileDetail>(profileVersionPath(p.name, p.version, undefined, { revision: p.revision })),
        ),
      );
      setAttached(details);
    });
  }, [api, specKey]);

  const targets = c.spec.profiles.map((p) => `${p.name}@${selection[p.name] ?? p.version}`);
  const latestRevision = (name: string, version: string) =>
    catalog?.find((p) => p.name === name)?.versions.find((v) => v.version === version)?.revision;
  const versionChanged = c.spec.profiles.some((p) => (selection[p.name] ?? p.version) !== p.version);
  const revisionAvailable = c.spec.profiles.some((p) => {
    const latest = latestRevision(p.name, p.version);
    return latest !== undefined && latest > p.revision;
  });
  const notApplied = c.status.observedGeneration < c.generation;

  const plan = async (resolutions?: Record<string, string>) => {
    const answer = await planAction.run(() =>
      api.post<ClusterPlanView>(clusterPath(c.name, 'plan'), {
        kind: 'profiles',
        profiles: targets,
        ...(resolutions && Object.keys(resolutions).length > 0 ? { resolutions } : {}),
      } satisfies ClusterPlanRequest),
    );
    if (answer) {
      setView(answer);
      if (!resolutions) setEdits({});
      setStep((s) => (s === 'select' ? 'summary' : s));
      const first = answer.layers.find((l) => l.current !== l.pending) ?? answer.layers[0];
      setLayer((old) => old ?? first?.pack ?? null);
    }
    return answer;
  };

  const pendingOf = (pack: string) => edits[pack] ?? view?.layers.find((l) => l.pack === pack)?.pending ?? '';
  const layerState = useMemo(() => {
    const out: Record<string, { conflicts: number; invalid: boolean; edited: boolean; changed: boolean }> =
      {};
    for (const l of view?.layers ?? []) {
      const text = edits[l.pack] ?? l.pending ?? '';
      out[l.pack] = {
        conflicts: l.pending === null ? 0 : conflictLines(text).length,
        invalid: l.pending !== null && validateValues(text) !== null,
        edited: edits[l.pack] !== undefined && edits[l.pack] !== l.pending,
        changed: l.current !== l.pending,
      };
    }
    return out;
  }, [view, edits]);
  const unresolved = Object.values(layerState).reduce((n, s) => n + s.conflicts, 0);
  const invalid = Object.entries(layerState)
    .filter(([, s]) => s.invalid)
    .map(([pack]) => pack);

  const resolutions = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const l of view?.layers ?? []) {
      if (l.pending === null) continue;
      const text = edits[l.pack];
      if ((text !== undefined && text !== l.pending) || l.pending.includes('strata: conflict'))
        out[l.pack] = text ?? l.pending;
    }
    return out;
  };

  const apply = async () => {
    if (!view) return;
    const answer = await applyAction.run(() =>
      api.post<ClusterPlanView>(clusterPath(c.name, 'update'), {
        kind: 'profiles',
        profiles: targets,
        resolutions: resolutions(),
        expectedResourceVersion: view.resourceVersion,
      } satisfies ClusterUpdateRequest),
    );
    if (answer) {
      setAppliedGeneration(c.generation + 1);
      setStep('applied');
      await props.reload();
    }
  };

  const blockers: string[] = [];
  if (view && view.plan.errors.length > 0) blockers.push('the plan has errors');
  if (unresolved > 0) blockers.push(`${unresolved} conflict(s) left to resolve`);
  if (invalid.length > 0) blockers.push(`invalid YAML in ${invalid.join(', ')}`);
  const applyReason = blockers.length > 0 ? `Cannot apply: ${blockers.join('; ')}.` : undefined;

  if (!catalog) {
    return loadAction.error ? (
      <ErrorBanner error={loadAction.error} />
    ) : (
      <Loading label="Loading profiles…" />
    );
  }

  return (
    <div className="stack">
      <section className="card">
        <h2>Attached profiles</h2>
        <table className="simple" data-testid="attached-profiles">
          <thead>
            <tr>
              <th>Profile</th>
              <th>Version</th>
              <th>Revision</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {c.spec.profiles.map((p) => {
              const versions = catalog.find((x) => x.name === p.name)?.versions ?? [];
              const latest = latestRevision(p.name, p.version);
              const applied = c.status.appliedProfiles.find((a) => a.name === p.name);
              return (
                <tr key={p.name}>
                  <td className="cell-name">
                    <a href={href(['profiles', p.name, 'versions', p.version])}>{p.name}</a>
                  </td>
                  <td>
                    <select
                      aria-label={`Version of ${p.name}`}
                      className="version-select"
                      value={selection[p.name] ?? p.version}
                      disabled={!canUpdate.allowed || step !== 'select'}
                      title={canUpdate.reason}
                      onChange={(e) => setSelection((s) => ({ ...s, [p.name]: e.target.value }))}
                    >
                      {versions.map((v) => (
                        <option key={v.version} value={v.version}>
                          {v.version}
                          {v.version === p.version ? ' (current)' : ''}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="cell-mono">
                    r{p.revision}
                    {latest !== undefined && latest > p.revision ? (
                      <Badge
                        tone="accent"
                        title={`Revision ${latest} of ${p.name}@${p.version} was saved in place`}
                      >
                        r{latest} available
                      </Badge>
                    ) : null}
                  </td>
                  <td>
                    {applied &&
                    applied.version === p.version &&
                    applied.revision === p.revision &&
                    !notApplied ? (
                      <Badge tone="ok">applied</Badge>
                    ) : (
                      <Badge tone="info">applying</Badge>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {step === 'select' ? (
          <div className="actions-row">
            <GuardedButton
              need="operator"
              variant="primary"
              busy={planAction.running}
              disabled={!versionChanged && !revisionAvailable}
              title={!versionChanged && !revisionAvailable ? 'Choose another version first' : undefined}
              onClick={() => void plan()}
            >
              Review &amp; Save
            </GuardedButton>
            {versionChanged ? (
              <button
                type="button"
                className="btn btn-ghost"
                onClick={() =>
                  setSelection(Object.fromEntries(c.spec.profiles.map((p) => [p.name, p.version])))
                }
              >
                Reset
              </button>
            ) : null}
            <span className="muted">
              {!canUpdate.allowed
                ? `Read only: ${canUpdate.reason}`
                : versionChanged
                  ? `Moving to ${targets.join(', ')}.`
                  : revisionAvailable
                    ? 'A newer revision of the current version was saved in place: review it to update.'
                    : 'Pick a version next to a profile name to update the cluster.'}
            </span>
          </div>
        ) : null}
        <ErrorBanner error={planAction.error} onDismiss={planAction.clear} title="Plan" />
      </section>

      {step === 'summary' && view ? (
        <section className="card" data-testid="change-summary">
          <h2>Change summary</h2>
          <PlanSummary plan={view.plan} repaveMode={c.spec.settings.repave} />
          <ErrorBanner error={applyAction.error} onDismiss={applyAction.clear} title="Apply" />
          <div className="actions-row">
            <button type="button" className="btn btn-ghost" onClick={() => setStep('select')}>
              Back
            </button>
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => setStep('editor')}
              disabled={!view.plan.changed}
            >
              Review changes in editor
            </button>
            <GuardedButton
              need="operator"
              busy={applyAction.running}
              disabled={blockers.length > 0 || !view.plan.changed}
              title={applyReason}
              onClick={apply}
            >
              Apply changes
            </GuardedButton>
          </div>
        </section>
      ) : null}

      {step === 'editor' && view ? (
        <section className="card" data-testid="review-editor">
          <div className="card-header">
            <h2>Review changes</h2>
            <span className="muted">
              Left: what {c.name} runs now. Right: what it will run — your overrides are already merged in;
              edit freely.
            </span>
          </div>
          <div className="editor-layout">
            <nav className="layer-nav" aria-label="Layers">
              {view.layers.map((l) => {
                const s = layerState[l.pack];
                return (
                  <button
                    type="button"
                    key={l.pack}
                    className={`layer-nav-item${layer === l.pack ? ' layer-nav-active' : ''}`}
                    onClick={() => setLayer(l.pack)}
                  >
                    <span>{l.pack}</span>
                    <span className="layer-nav-marks">
                      {s?.conflicts ? <Badge tone="bad">{s.conflicts} conflict</Badge> : null}
                      {s?.invalid ? <Badge tone="bad">invalid</Badge> : null}
                      {s?.edited ? <Badge tone="accent">edited</Badge> : null}
                      {!s?.conflicts && !s?.edited && s?.changed ? <Badge tone="info">changed</Badge> : null}
                    </span>
                  </button>
                );
              })}
            </nav>
            <div className="editor-pane">
              {(() => {
                const l = view.layers.find((x) => x.pack === layer);
                if (!l) return null;
                const planned = view.plan.layers.find((x) => x.pack === l.pack);
                if (l.pending === null) {
                  return (
                    <>
                      <div className="issues issues-warning">
                        This layer is removed: its objects are deleted with it.
                      </div>
                      <YamlEditor label={`${l.pack} current values`} value={l.current ?? ''} readOnly />
                    </>
                  );
                }
                return (
                  <>
                    {planned?.overridden ? (
                      <div className="issues issues-info">
                        This cluster's overrides on {l.pack} are kept by the 3-way merge.
                      </div>
                    ) : null}
                    {(layerState[l.pack]?.conflicts ?? 0) > 0 ? (
                      <div className="issues issues-error">
                        Both the new version and this cluster changed the marked lines differently. Keep the
                        value you want and delete the <code># strata: conflict</code> comment.
                        <ul>
                          {planned?.conflicts.map((conflict) => (
                            <li key={conflict.path}>
                              <code>{conflict.path}</code>: cluster {JSON.stringify(conflict.ours)}, new
                              version {JSON.stringify(conflict.theirs)} (was {JSON.stringify(conflict.base)})
                            </li>
                          ))}
                        </ul>
                      </div>
                    ) : null}
                    <MergeEditor
                      key={l.pack}
                      label={l.pack}
                      current={l.current ?? ''}
                      pending={pendingOf(l.pack)}
                      onChange={(text) => setEdits((e) => ({ ...e, [l.pack]: text }))}
                      readOnly={!canUpdate.allowed}
                    />
                  </>
                );
              })()}
            </div>
          </div>
          <ErrorBanner error={applyAction.error} onDismiss={applyAction.clear} title="Apply" />
          <ErrorBanner error={planAction.error} onDismiss={planAction.clear} title="Plan" />
          <div className="actions-row">
            <button type="button" className="btn btn-ghost" onClick={() => setStep('summary')}>
              Back to summary
            </button>
            <button
              type="button"
              className="btn btn-secondary"
              disabled={planAction.running || invalid.length > 0}
              onClick={async () => {
                const answer = await plan(resolutions());
                if (answer) setStep('summary');
              }}
            >
              {planAction.running ? <span className="spinner" aria-hidden="true" /> : null}
              Re-check plan with my edits
            </button>
            <GuardedButton
              need="operator"
              variant="primary"
              busy={applyAction.running}
              disabled={blockers.length > 0}
              title={applyReason}
              onClick={apply}
            >
              Apply changes
            </GuardedButton>
            {applyReason ? <span className="muted">{applyReason}</span> : null}
          </div>
        </section>
      ) : null}

      {step === 'applied' ? (
        <section className="card" data-testid="apply-progress">
          <h2>Applying</h2>
          {appliedGeneration !== null &&
          c.status.observedGeneration >= appliedGeneration &&
          c.status.phase === 'Running' ? (
            <div className="issues issues-ok">
              Applied: {c.name} runs{' '}
              {c.status.appliedProfiles.map((p) => `${p.name}@${p.version}`).join(', ')}.{' '}
              <a href={href(['clusters', c.name, 'workloads'])}>See its workloads</a>
              {c.status.conditions.some((x) => x.type === 'UnusedResources' && x.status === 'True') ? (
                <>
                  {' '}
                  and the objects it <a href={href(['clusters', c.name, 'unused'])}>no longer uses</a>
                </>
              ) : null}
              .
            </div>
          ) : (
            <Progress
              label={`${c.status.phase}: ${
                c.status.conditions.find((x) => x.status !== 'True' && x.type !== 'UnusedResources')
                  ?.message ?? 'the engine is applying the change…'
              }`}
            />
          )}
          {c.status.repave.state === 'Pending' ? (
            <div className="issues issues-warning">
              A repave waits for approval.{' '}
              <a href={href(['clusters', c.name, 'nodes'])}>Review and approve it on the Nodes tab</a>.
            </div>
          ) : null}
          <div className="actions-row">
            <button type="button" className="btn btn-secondary" onClick={() => setStep('select')}>
              Done
            </button>
          </div>
        </section>
      ) : null}

      {step === 'select' ? <CurrentLayers profiles={attached} cluster={c} /> : null}
    </div>
  );
}

function CurrentLayers(props: { profiles: ProfileDetail[]; cluster: Cluster }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="card">
      <h2>Layers</h2>
      {props.profiles.map((p) => (
        <div key={p.name}>
          <div className="muted small">
            {p.name}@{p.version} r{p.revision}
          </div>
          <table className="simple">
            <tbody>
              {p.layers.map((l) => {
                const override = props.cluster.spec.overrides[l.pack];
                const key = `${p.name}/${l.pack}`;
                return (
                  <Fragment key={key}>
                    <tr>
                      <td className="cell-name">{l.pack}</td>
                      <td className="cell-mono">{l.version}</td>
                      <td>
                        {l.presets.length ? l.presets.join(', ') : <span className="muted">no presets</span>}
                      </td>
                      <td>{override ? <Badge tone="accent">overridden</Badge> : null}</td>
                      <td className="right">
                        <button
                          type="button"
                          className="btn btn-ghost btn-small"
                          onClick={() => setOpen(open === key ? null : key)}
                        >
                          {open === key ? 'Hide values' : 'Values'}
                        </button>
                      </td>
                    </tr>
                    {open === key ? (
                      <tr>
                        <td colSpan={5}>
                          <YamlEditor
                            label={`${l.pack} values`}
                            value={override?.values ?? l.values}
                            readOnly
                          />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
