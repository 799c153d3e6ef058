/**
 * The clusters list: search, phase, profile and notice filters over a virtualised table that stays fast at
 * 10,000 clusters (pages stream in; only visible rows are rendered; search runs on the loaded rows).
 */
import { useDeferredValue, useMemo, useState } from 'react';
import { CLUSTER_PHASES, type ClusterPhase, type ClusterSummary, type ProfileSummary } from '../api/types.ts';
import { href, navigate } from '../app/router.ts';
import { useResource } from '../app/use-resource.ts';
import { CreateClusterDialog } from '../clusters/CreateClusterDialog.tsx';
import {
  ago,
  type ClusterNotice,
  clusterNotices,
  NOTICE_LABEL,
  profileLabels,
} from '../clusters/cluster-notices.ts';
import { useClusterList } from '../clusters/use-cluster-list.ts';
import { Badge, HealthBadge, PhaseBadge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Loading } from '../components/States.tsx';
import { VirtualList } from '../components/VirtualList.tsx';

const ROW_HEIGHT = 44;

/** Renders the clusters page; filters live in the URL query so a filtered view can be shared. */
export function ClustersPage(props: { query: URLSearchParams }) {
  const phase = (props.query.get('phase') ?? undefined) as ClusterPhase | undefined;
  const profile = props.query.get('profile') ?? undefined;
  const notice = (props.query.get('notice') ?? undefined) as ClusterNotice | undefined;
  const [search, setSearch] = useState(props.query.get('q') ?? '');
  const deferredSearch = useDeferredValue(search);
  const [creating, setCreating] = useState(false);
  const list = useClusterList({ phase, profile });
  const profiles = useResource<{ items: ProfileSummary[] }>('/v1/profiles');

  const shown = useMemo(() => {
    const needle = deferredSearch.trim().toLowerCase();
    if (!needle && !notice) return list.items;
    return list.items.filter((c) => {
      if (
        needle &&
        !c.name.includes(needle) &&
        !Object.values(c.spec.labels).some((v) => v.toLowerCase().includes(needle))
      )
        return false;
      if (notice && !clusterNotices(c).some((n) => n.notice === notice)) return false;
      return true;
    });
  }, [list.items, deferredSearch, notice]);

  const setFilter = (key: string, value: string | undefined) => {
    const next: Record<string, string | undefined> = { phase, profile, notice, q: search || undefined };
    next[key] = value || undefined;
    navigate(['clusters'], next, true);
  };

  return (
    <div className="page page-fill">
      <header className="page-header">
        <div>
          <h1>Clusters</h1>
          <div className="subtitle" data-testid="cluster-count">
            {list.items.length === 0
              ? list.loading
                ? 'Loading…'
                : 'Clusters made from profile versions appear here, live.'
              : list.complete || !list.loading
                ? `${shown.length.toLocaleString()} of ${list.items.length.toLocaleString()} clusters`
                : `${list.items.length.toLocaleString()} clusters loaded…`}
          </div>
        </div>
        <div className="page-actions">
          <GuardedButton need="operator" variant="primary" onClick={() => setCreating(true)}>
            New cluster
          </GuardedButton>
        </div>
      </header>
      <div className="toolbar">
        <input
          className="search"
          type="search"
          placeholder="Search by name or label  ( / )"
          value={search}
          aria-label="Search clusters"
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') (document.querySelector('.vlist') as HTMLElement | null)?.focus();
          }}
          data-hotkey="/"
        />
        <select aria-label="Phase" value={phase ?? ''} onChange={(e) => setFilter('phase', e.target.value)}>
          <option value="">All phases</option>
          {CLUSTER_PHASES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <select
          aria-label="Profile"
          value={profile ?? ''}
          onChange={(e) => setFilter('profile', e.target.value)}
        >
          <option value="">All profiles</option>
          {(profiles.data?.items ?? []).map((p) => (
            <option key={`${p.name}@${p.version}`} value={`${p.name}@${p.version}`}>
              {p.name}@{p.version}
            </option>
          ))}
        </select>
        <select
          aria-label="Notice"
          value={notice ?? ''}
          onChange={(e) => setFilter('notice', e.target.value)}
        >
          <option value="">Any state</option>
          {(Object.keys(NOTICE_LABEL) as ClusterNotice[]).map((n) => (
            <option key={n} value={n}>
              {NOTICE_LABEL[n].label}
            </option>
          ))}
        </select>
        {list.loading && list.items.length > 0 ? (
          <span className="spinner" title="Loading more clusters" />
        ) : null}
      </div>
      <ErrorBanner error={list.error} />
      {list.items.length === 0 && list.loading ? (
        <Loading label="Loading clusters…" />
      ) : list.items.length === 0 && !list.error ? (
        <Empty title={phase || profile ? 'No clusters match these filters' : 'No clusters yet'}>
          {phase || profile ? (
            <a href={href(['clusters'])}>Clear filters</a>
          ) : (
            <>
              Create one from a profile version with <strong>New cluster</strong>, or{' '}
              <code>strata cluster create NAME --profile NAME@VER</code>.
            </>
          )}
        </Empty>
      ) : (
        <div className="table table-fill" data-testid="clusters-table">
          <div className="thead cluster-grid" role="row" tabIndex={-1}>
            <span>Name</span>
            <span>Phase</span>
            <span>Health</span>
            <span>Profile</span>
            <span>Kubernetes</span>
            <span>Notices</span>
            <span>Updated</span>
          </div>
          {shown.length === 0 ? (
            <Empty title="Nothing matches the search">Try another name, or clear the notice filter.</Empty>
          ) : (
            <VirtualList
              label="Clusters"
              items={shown}
              rowHeight={ROW_HEIGHT}
              rowKey={(c) => c.name}
              onOpen={(c) => navigate(['clusters', c.name])}
              renderRow={(c) => <ClusterRow cluster={c} />}
            />
          )}
        </div>
      )}
      {creating ? (
        <CreateClusterDialog profiles={profiles.data?.items ?? []} onClose={() => setCreating(false)} />
      ) : null}
    </div>
  );
}

function ClusterRow(props: { cluster: ClusterSummary }) {
  const c = props.cluster;
  const notices = clusterNotices(c);
  return (
    <a className="cluster-grid row-link" href={href(['clusters', c.name])} tabIndex={-1}>
      <span className="cell-name">{c.name}</span>
      <span>
        <PhaseBadge phase={c.status.phase} />
      </span>
      <span>
        <HealthBadge health={c.status.health} />
      </span>
      <span className="cell-mono truncate">{profileLabels(c).join(', ') || '—'}</span>
      <span className="cell-mono">{c.status.kubernetesVersion ?? '—'}</span>
      <span className="badges">
        {notices.map((n) => (
          <Badge key={n.notice} tone={NOTICE_LABEL[n.notice].tone} title={n.message}>
            {NOTICE_LABEL[n.notice].label}
          </Badge>
        ))}
      </span>
      <span className="muted">{ago(c.updatedAt)}</span>
    </a>
  );
}
