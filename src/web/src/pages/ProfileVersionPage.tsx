/**
 * A profile version: its layers (edit values and presets, change pack versions), saving in place as a new
 * revision — with the warning that a new version is the better practice and the clusters that will show
 * "update available" — or creating a new version; its revision history with diffs; the clusters using it.
 */
import { useEffect, useMemo, useState } from 'react';
import {
  type ClusterPage,
  clusterListPath,
  type LayerKind,
  type ProfileDetail,
  type ProfileEditRequest,
  type ProfileEditResult,
  type ProfileSummary,
  profilePath,
  profileVersionPath,
} from '../api/types.ts';
import { href } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useAction, useResource } from '../app/use-resource.ts';
import { clusterNotices } from '../clusters/cluster-notices.ts';
import { Badge, PhaseBadge } from '../components/Badges.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Loading } from '../components/States.tsx';
import { Tabs } from '../components/Tabs.tsx';
import { type DraftLayer, LayerPanel } from '../profiles/LayerPanel.tsx';
import { NewVersionDialog } from '../profiles/NewVersionDialog.tsx';
import { RevisionHistory } from '../profiles/RevisionHistory.tsx';
import { usePackCache } from '../profiles/use-packs.ts';
import { validateValues } from '../values/validate.ts';

/** Renders `name@version` with `tab` (layers | history | clusters) open. */
export function ProfileVersionPage(props: { name: string; version: string; tab: string }) {
  const { api } = useSession();
  const path = profileVersionPath(props.name, props.version);
  const detail = useResource<ProfileDetail>(path);
  const siblings = useResource<{ versions: ProfileSummary[] }>(profilePath(props.name));
  const users = useResource<ClusterPage>(
    clusterListPath({ limit: 200, profile: `${props.name}@${props.version}` }),
  );
  const packs = usePackCache();
  const [draft, setDraft] = useState<DraftLayer[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [copying, setCopying] = useState(false);
  const [saved, setSaved] = useState<ProfileEditResult | null>(null);
  const save = useAction();

  const d = detail.data;
  useEffect(() => {
    if (!d) return;
    setDraft(
      d.layers.map((l) => ({ pack: l.pack, version: l.version, values: l.values, presets: [...l.presets] })),
    );
    setSelected((s) => s ?? d.layers[0]?.pack ?? null);
  }, [d]);

  const dirtyPacks = useMemo(() => {
    if (!d || !draft) return new Set<string>();
    const out = new Set<string>();
    for (const l of draft) {
      const o = d.layers.find((x) => x.pack === l.pack);
      if (!o || o.version !== l.version || o.values !== l.values || o.presets.join() !== l.presets.join())
        out.add(l.pack);
    }
    return out;
  }, [d, draft]);
  const invalidPacks = (draft ?? []).filter((l) => validateValues(l.values) !== null).map((l) => l.pack);

  if (!d || !draft) {
    return (
      <div className="page">
        <Crumbs name={props.name} version={props.version} />
        {detail.error ? <ErrorBanner error={detail.error} /> : <Loading />}
      </div>
    );
  }

  const onSave = async () => {
    const result = await save.run(() =>
      api.put<ProfileEditResult>(path, {
        name: d.name,
        version: d.version,
        type: d.type,
        cloudType: d.cloudType,
        description: d.description,
        layers: draft,
        resourceVersion: d.resourceVersion,
      } satisfies ProfileEditRequest),
    );
    if (result) {
      setConfirming(false);
      setSaved(result);
      detail.set(result.profile);
      void users.reload();
    }
  };

  const clusters = users.data?.items ?? [];
  const moreClusters = users.data?.nextCursor ? '+' : '';
  const tabs = [
    { id: 'layers', label: 'Layers', segments: ['profiles', d.name, 'versions', d.version, 'layers'] },
    {
      id: 'history',
      label: 'Revisions',
      segments: ['profiles', d.name, 'versions', d.version, 'history'],
      mark: d.revision,
    },
    {
      id: 'clusters',
      label: 'Clusters',
      segments: ['profiles', d.name, 'versions', d.version, 'clusters'],
      mark: users.data ? `${clusters.length}${moreClusters}` : undefined,
    },
  ];
  const layer = draft.find((l) => l.pack === selected) ?? draft[0];

  return (
    <div className="page">
      <Crumbs name={d.name} version={d.version} />
      <header className="page-header">
        <div>
          <h1 className="title-with-badges">
            {d.name}
            <span className="version-tag">{d.version}</span>
            <Badge>revision {d.revision}</Badge>
            <Badge>{d.type}</Badge>
          </h1>
          <div className="subtitle">
            {d.description || 'No description'} <span className="sep">·</span> {d.cloudType}
          </div>
        </div>
        <div className="page-actions">
          <GuardedButton need="operator" onClick={() => setCopying(true)}>
            New version…
          </GuardedButton>
          {dirtyPacks.size > 0 ? (
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => setDraft(d.layers.map((l) => ({ ...l, presets: [...l.presets] })))}
            >
              Discard changes
            </button>
          ) : null}
          <GuardedButton
            need="operator"
            variant="primary"
            disabled={dirtyPacks.size === 0 || invalidPacks.length > 0}
            title={
              dirtyPacks.size === 0
                ? 'No changes to save'
                : invalidPacks.length
                  ? `Fix the YAML of ${invalidPacks.join(', ')}`
                  : undefined
            }
            onClick={() => setConfirming(true)}
          >
            Save changes…
          </GuardedButton>
        </div>
      </header>
      {saved ? (
        <div className="banner banner-warning" role="status" data-testid="saved-warning">
          <div className="banner-body">
            <div>
              Saved revision {saved.profile.revision}. {saved.clustersUsing} cluster(s) on {d.name}@
              {d.version} now show update available.
            </div>
            <div className="muted">{saved.warning}</div>
          </div>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setSaved(null)}>
            ×
          </button>
        </div>
      ) : null}
      <Tabs items={tabs} active={props.tab} />
      {props.tab === 'history' ? (
        <RevisionHistory name={d.name} version={d.version} current={d.revision} />
      ) : props.tab === 'clusters' ? (
        <ClustersUsing items={clusters} more={moreClusters !== ''} loading={users.loading} />
      ) : (
        <div className="editor-layout">
          <nav className="layer-nav" aria-label="Layers">
            {draft.map((l) => (
              <button
                type="button"
                key={l.pack}
                className={`layer-nav-item${l.pack === layer?.pack ? ' layer-nav-active' : ''}`}
                onClick={() => setSelected(l.pack)}
              >
                <span>
                  {l.pack} <span className="muted small">{l.version}</span>
                </span>
                <span className="layer-nav-marks">
                  {invalidPacks.includes(l.pack) ? <Badge tone="bad">invalid</Badge> : null}
                  {dirtyPacks.has(l.pack) ? <Badge tone="accent">edited</Badge> : null}
                </span>
              </button>
            ))}
          </nav>
          <div className="editor-pane card">
            {layer ? (
              <LayerPanel
                key={layer.pack}
                layer={layer}
                packs={packs}
                kind={packs.detail(layer.pack, layer.version)?.layer as LayerKind | undefined}
                onChange={(next) =>
                  setDraft((all) => (all ?? []).map((l) => (l.pack === next.pack ? next : l)))
                }
              />
            ) : null}
          </div>
        </div>
      )}
      {confirming ? (
        <Dialog
          title={`Save ${d.name}@${d.version} in place?`}
          onClose={() => setConfirming(false)}
          footer={
            <>
              <button type="button" className="btn btn-ghost" onClick={() => setConfirming(false)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-secondary"
                onClick={() => {
                  setConfirming(false);
                  setCopying(true);
                }}
              >
                Create a new version instead
              </button>
              <GuardedButton need="operator" variant="primary" busy={save.running} onClick={onSave}>
                Save as revision {d.revision + 1}
              </GuardedButton>
            </>
          }
        >
          <div className="issues issues-warning">
            <strong>A new version is the better practice.</strong> Saving in place changes a version clusters
            already run: every one of them will show <em>update available</em>. A new version lets you move
            clusters one at a time or by rollout.
          </div>
          <p>Changed layers: {[...dirtyPacks].join(', ')}.</p>
          {users.loading && !users.data ? (
            <Loading label="Finding clusters on this version…" />
          ) : clusters.length === 0 ? (
            <p className="muted">No cluster uses this version.</p>
          ) : (
            <>
              <p>
                {clusters.length}
                {moreClusters} cluster(s) will show update available:
              </p>
              <ul className="cluster-list-compact" data-testid="affected-clusters">
                {clusters.slice(0, 30).map((c) => (
                  <li key={c.name}>
                    {c.name} <PhaseBadge phase={c.status.phase} />
                  </li>
                ))}
                {clusters.length > 30 || moreClusters ? <li className="muted">…and more</li> : null}
              </ul>
            </>
          )}
          <ErrorBanner error={save.error} onDismiss={save.clear} />
        </Dialog>
      ) : null}
      {copying ? (
        <NewVersionDialog
          name={d.name}
          from={d.version}
          existing={(siblings.data?.versions ?? []).map((v) => v.version)}
          onClose={() => setCopying(false)}
        />
      ) : null}
    </div>
  );
}

function Crumbs(props: { name: string; version: string }) {
  return (
    <div className="crumbs">
      <a href={href(['profiles'])}>Profiles</a> / <a href={href(['profiles', props.name])}>{props.name}</a> /{' '}
      {props.version}
    </div>
  );
}

function ClustersUsing(props: { items: ClusterPage['items']; more: boolean; loading: boolean }) {
  if (props.loading && props.items.length === 0) return <Loading />;
  if (props.items.length === 0) return <Empty title="No cluster uses this version" />;
  return (
    <table className="simple table-card">
      <thead>
        <tr>
          <th>Cluster</th>
          <th>Phase</th>
          <th>Revision</th>
          <th>Notices</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((c) => (
          <tr key={c.name}>
            <td className="cell-name">
              <a href={href(['clusters', c.name, 'profile'])}>{c.name}</a>
            </td>
            <td>
              <PhaseBadge phase={c.status.phase} />
            </td>
            <td className="cell-mono">{c.spec.profiles.map((p) => `r${p.revision}`).join(', ')}</td>
            <td>
              {clusterNotices(c).map((n) => (
                <Badge key={n.notice} tone="accent" title={n.message}>
                  {n.notice}
                </Badge>
              ))}
            </td>
          </tr>
        ))}
        {props.more ? (
          <tr>
            <td colSpan={4} className="muted">
              More clusters use it; filter the <a href={href(['clusters'])}>clusters list</a> by this profile
              to see all.
            </td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}
