/**
 * The fleet as the clusters list sees it: the server filters, orders and pages it, and counts it by phase and
 * health in the same answer as the first page. Only the pages scrolled to are fetched (the next one when the
 * last rows come into view), so the list costs the same at 100 clusters as at 100,000. Live events patch the
 * loaded rows — a changed cluster is re-read alone, batched — and refresh the counts, never the whole fleet.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, asApiError } from '../api/client.ts';
import {
  type Cluster,
  type ClusterCounts,
  type ClusterListQuery,
  type ClusterPage,
  type ClusterSummary,
  clusterListPath,
  clusterPath,
} from '../api/types.ts';
import { useSession } from '../app/session.tsx';
import { useLiveEvents } from '../live/live-events.tsx';
import { clusterNotices } from './cluster-notices.ts';

/** The server-side filters and order of the list. */
export type ClusterListFilter = Omit<ClusterListQuery, 'limit' | 'cursor' | 'counts' | 'view'>;

/** The loaded part of the fleet. */
export interface ClusterList {
  /** Summaries as the list sends them; a cluster re-read after a live event is its whole document. */
  items: ClusterSummary[];
  /** What the filters match, by phase and health (the phase filter aside); null until the first page. */
  counts: ClusterCounts | null;
  /** True while a page is on its way. */
  loading: boolean;
  /** True once the last page is in. */
  complete: boolean;
  error: ApiError | undefined;
  /** Milliseconds from the start to the first page shown. */
  firstPageMs: number | null;
  /** Fetches the next page (the list calls it when its last rows come into view); a no-op while one loads. */
  loadMore(): void;
}

const FIRST_PAGE_SIZE = 100;
const PAGE_SIZE = 500;
/** Counts are re-read at most this often while live events arrive. */
const COUNTS_EVERY_MS = 2000;

/** The state before the first page arrives. */
const LOADING: Omit<ClusterList, 'loadMore'> = {
  items: [],
  counts: null,
  loading: true,
  complete: false,
  error: undefined,
  firstPageMs: null,
};

/** Where the list is in its pages, for one filter: the next page's cursor and whether a page is on its way. */
interface Paging {
  key: string;
  cursor: string | null;
  busy: boolean;
}

/** Returns the clusters matching `filter`, a page at a time. */
export function useClusterList(filter: ClusterListFilter): ClusterList {
  const { api } = useSession();
  const key = JSON.stringify(filter);
  const [state, setState] = useState<Omit<ClusterList, 'loadMore'>>(LOADING);
  const paging = useRef<Paging>({ key, cursor: null, busy: false });

  /** Fetches `path` for the paging `at`; an answer for a paging that is no longer current is dropped. */
  const fetchPage = useCallback(
    (at: Paging, path: string, take: (page: ClusterPage) => void) => {
      api
        .get<ClusterPage>(path)
        .then((page) => {
          if (paging.current !== at) return;
          at.cursor = page.nextCursor;
          at.busy = false;
          take(page);
        })
        .catch((error: unknown) => {
          if (paging.current !== at) return;
          at.busy = false;
          setState((s) => ({ ...s, loading: false, error: asApiError(error) }));
        });
    },
    [api],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filter's fields.
  useEffect(() => {
    const started = performance.now();
    const at: Paging = { key, cursor: null, busy: true };
    paging.current = at;
    setState(LOADING);
    fetchPage(at, clusterListPath({ ...filter, limit: FIRST_PAGE_SIZE, counts: 'phase' }), (page) =>
      setState({
        items: page.items,
        counts: page.counts ?? null,
        loading: false,
        complete: page.nextCursor === null,
        error: undefined,
        firstPageMs: Math.round(performance.now() - started),
      }),
    );
  }, [fetchPage, key]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filter's fields.
  const loadMore = useCallback(() => {
    const at = paging.current;
    if (at.busy || at.cursor === null || at.key !== key) return;
    at.busy = true;
    setState((s) => ({ ...s, loading: true }));
    fetchPage(at, clusterListPath({ ...filter, limit: PAGE_SIZE, cursor: at.cursor }), (page) =>
      setState((s) => ({
        ...s,
        items: [...s.items, ...page.items],
        loading: false,
        complete: page.nextCursor === null,
      })),
    );
  }, [fetchPage, key]);

  // Live patches: collect names for a short moment, then re-read just those clusters; counts at most every 2 s.
  const pending = useRef(new Set<string>());
  const timer = useRef<number | null>(null);
  const countsTimer = useRef<number | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filter's fields.
  const flush = useCallback(async () => {
    timer.current = null;
    const names = [...pending.current].slice(0, 50);
    pending.current.clear();
    const fresh = await Promise.all(
      names.map((name) =>
        api.get<Cluster>(clusterPath(name)).catch((error: unknown) => {
          return asApiError(error).code === 'NotFound' ? name : null;
        }),
      ),
    );
    setState((s) => ({ ...s, items: patched(s.items, fresh, filter, s.complete) }));
  }, [api, key]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filter's fields.
  const refreshCounts = useCallback(() => {
    countsTimer.current = null;
    const at = paging.current;
    api
      .get<ClusterPage>(clusterListPath({ ...filter, limit: 1, counts: 'phase' }))
      .then((page) => {
        if (paging.current.key === at.key && page.counts) setState((s) => ({ ...s, counts: page.counts! }));
      })
      .catch(() => {});
  }, [api, key]);

  useLiveEvents(
    (event) => {
      pending.current.add(event.cluster!);
      if (timer.current === null) timer.current = window.setTimeout(() => void flush(), 300);
      if (countsTimer.current === null)
        countsTimer.current = window.setTimeout(refreshCounts, COUNTS_EVERY_MS);
    },
    (event) => event.cluster !== undefined && event.kind.startsWith('cluster.'),
  );
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
      if (countsTimer.current !== null) window.clearTimeout(countsTimer.current);
    },
    [],
  );

  return { ...state, loadMore };
}

/**
 * The loaded rows with re-read clusters in place: a deleted one (its name) or one that no longer matches the
 * filters leaves; a new match joins in name order once every page is in (before that, its page brings it).
 */
function patched(
  items: ClusterSummary[],
  fresh: ReadonlyArray<Cluster | string | null>,
  filter: ClusterListFilter,
  complete: boolean,
): ClusterSummary[] {
  let out = items;
  for (const answer of fresh) {
    if (answer === null) continue;
    const name = typeof answer === 'string' ? answer : answer.name;
    const at = out.findIndex((c) => c.name === name);
    const keep = typeof answer !== 'string' && matches(answer, filter);
    if (at >= 0) {
      out = out.slice();
      if (keep) out[at] = answer;
      else out.splice(at, 1);
    } else if (keep && complete) {
      const desc = filter.sort === '-name';
      out = [...out, answer].sort(
        (a, b) => (desc ? -1 : 1) * (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      );
    }
  }
  return out;
}

/** True when a re-read cluster still matches the filters its status can change (phase, health, notice). */
function matches(cluster: ClusterSummary, filter: ClusterListFilter): boolean {
  if (filter.phase && cluster.status.phase !== filter.phase) return false;
  if (filter.health && cluster.status.health !== filter.health) return false;
  if (filter.kubernetesVersion && cluster.status.kubernetesVersion !== filter.kubernetesVersion) return false;
  if (filter.profile && !cluster.spec.profiles.some((p) => `${p.name}@${p.version}` === filter.profile))
    return false;
  if (filter.notice && !clusterNotices(cluster).some((n) => n.notice === filter.notice)) return false;
  return true;
}
