/**
 * The clusters list at any fleet size: the server filters (phase, health, profile, notice, a search over names
 * and labels, a `key=value` label selector), orders by name either way and pages; the page renders only the
 * rows in view and fetches the next page as the last ones come into view. Phase and health counts come with
 * the first page, from one aggregate query. Filters live in the URL query, so a filtered view can be shared.
 */
import { useEffect, useState } from 'react';
import {
  API_PATHS,
  CLUSTER_HEALTHS,
  CLUSTER_PHASES,
  type ClusterHealth,
  type ClusterPhase,
  type ClusterSummary,
  type ProfileSummary,
} from '../api/types.ts';
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
import { type ClusterListFilter, useClusterList } from '../clusters/use-cluster-list.ts';
import { Badge, HealthBadge, PhaseBadge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Loading } from '../components/States.tsx';
import { VirtualList } from '../components/VirtualList.tsx';

const ROW_HEIGHT = 44;
/** How long typing pauses before the search goes to the server. */
const SEARCH_DELAY_MS = 200;
/** A search that reads as a label selector: `key=value`, comma-separated. */
const SELECTOR =
  /^\s*[A-Za-z0-9][-A-Za-z0-9_./]*=[-A-Za-z0-9_.]*(\s*,\s*[A-Za-z0-9][-A-Za-z0-9_./]*=[-A-Za-z0-9_.]*)*\s*$/;

/** The list's server filters from the page's URL query. */
function filterOf(query: URLSearchParams): ClusterListFilter {
  const q = query.get('q')?.trim() ?? '';
  const filter: ClusterListFilter = {
    phase: (query.get('phase') ?? undefined) as ClusterPhase | undefined,
    health: (query.get('health') ?? undefined) as ClusterHealth | undefined,
    profile: query.get('profile') ?? undefined,
    notice: (query.get('notice') ?? undefined) as ClusterNotice | undefined,
    sort: query.get('sort') === '-name' ? '-name' : undefined,
  };
  if (q && SELECTOR.test(q)) filter.label = q.replace(/\s+/g, '');
  else if (q) filter.search = q.toLowerCase();
  return filter;
}

/** Renders the clusters page. */
export function ClustersPage(props: { query: URLSearchParams }) {
  const filter = filterOf(props.query);
  const urlSearch = props.query.get('q') ?? '';
  const [search, setSearch] = useState(urlSearch);
  const [creating, setCreating] = useState(false);
  const list = useClusterList(filter);
  const profiles = useResource<{ items: ProfileSummary[] }>(API_PATHS.profiles);

  const setFilter = (key: string, value: string | undefined) => {
    const next: Record<string, string | undefined> = {};
    for (const k of ['phase', 'health', 'profile', 'notice', 'sort', 'q'])
      next[k] = props.query.get(k) ?? undefined;
    next[key] = value || undefined;
    navigate(['clusters'], next, true);
  };
  // The box follows the URL when it changes from elsewhere (a link, the back button, the Clusters tab).
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a change of the URL's search syncs the box.
  useEffect(() => {
    if (urlSearch !== search.trim()) setSearch(urlSearch);
  }, [urlSearch]);
  // The search goes to the server once typing pauses.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the typed text starts the delay.
  useEffect(() => {
    if (search === urlSearch) return;
    const timer = window.setTimeout(() => setFilter('q', search.trim()), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search]);

  const counts = list.counts;
  const matching = counts ? (filter.phase ? (counts.phase[filter.phase] ?? 0) : counts.total) : null;
  const filtered = Object.entries(filter).some(([k, v]) => k !== 'sort' && v !== undefined);
  const countText = (n: number | undefined) => (counts ? ` (${(n ?? 0).toLocaleString('en-US')})` : '');

  return (
    <div className="page page-fill">
      <header className="page-header">
        <div>
          <h1>Clusters</h1>
          <div className="subtitle" data-testid="cluster-count">
            {matching === null
              ? list.error
                ? ''
                : 'Loading…'
              : matching === 0 && !filtered
                ? 'Clusters made from profile versions appear here, live.'
                : `${matching.toLocaleString('en-US')} ${filtered ? 'matching ' : ''}cluster${matching === 1 ? '' : 's'}`}
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
          placeholder="Search names and labels, or key=value  ( / )"
          value={search}
          aria-label="Search clusters"
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') setFilter('q', search.trim());
            if (e.key === 'ArrowDown') (document.querySelector('.vlist') as HTMLElement | null)?.focus();
          }}
          data-hotkey="/"
        />
        <select
          aria-label="Phase"
          value={filter.phase ?? ''}
          onChange={(e) => setFilter('phase', e.target.value)}
        >
          <option value="">All phases{countText(counts?.total)}</option>
          {CLUSTER_PHASES.map((p) => (
            <option key={p} value={p}>
              {p}
              {countText(counts?.phase[p])}
            </option>
          ))}
        </select>
        <select
          aria-label="Health"
          value={filter.health ?? ''}
          onChange={(e) => setFilter('health', e.target.value)}
        >
          <option value="">Any health</option>
          {CLUSTER_HEALTHS.map((h) => (
            <option key={h} value={h}>
              {h}
              {countText(counts?.health[h])}
            </option>
          ))}
        </select>
        <select
          aria-label="Profile"
          value={filter.profile ?? ''}
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
          value={filter.notice ?? ''}
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
        <Empty title={filtered ? 'No clusters match these filters' : 'No clusters yet'}>
          {filtered ? (
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
            <button
              type="button"
              className="sort-header"
              aria-label={`Sort by name, ${filter.sort === '-name' ? 'descending' : 'ascending'}`}
              onClick={() => setFilter('sort', filter.sort === '-name' ? undefined : '-name')}
            >
              Name {filter.sort === '-name' ? '↓' : '↑'}
            </button>
            <span>Phase</span>
            <span>Health</span>
            <span>Profile</span>
            <span>Kubernetes</span>
            <span>Notices</span>
            <span>Updated</span>
          </div>
          <VirtualList
            label="Clusters"
            items={list.items}
            rowCount={matching ?? undefined}
            rowHeight={ROW_HEIGHT}
            rowKey={(c) => c.name}
            onOpen={(c) => navigate(['clusters', c.name])}
            onEndReached={list.complete ? undefined : list.loadMore}
            renderRow={(c) => <ClusterRow cluster={c} />}
          />
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
