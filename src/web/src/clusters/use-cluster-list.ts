/**
 * The fleet as the clusters list sees it: pages of up to 1,000 fetched one after another (the first page shows
 * at once, the rest stream in behind it), server-side filters by phase and profile, and live events patched
 * into the loaded rows — a changed cluster is re-read alone, batched, never the whole fleet.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, asApiError } from '../api/client.ts';
import type { Cluster, ClusterPage, ClusterPhase, ClusterSummary } from '../api/types.ts';
import { useSession } from '../app/session.tsx';
import { useLiveEvents } from '../live/live-events.tsx';

/** The server-side filters. */
export interface ClusterListFilter {
  phase?: ClusterPhase;
  /** `NAME@VERSION`. */
  profile?: string;
}

/** The loaded fleet. */
export interface ClusterList {
  /** Summaries as the list sends them; a cluster re-read after a live event is its whole document. */
  items: ClusterSummary[];
  /** True while more pages are coming. */
  loading: boolean;
  /** True once every page is in. */
  complete: boolean;
  error: ApiError | undefined;
  /** Milliseconds from the start to the first page shown. */
  firstPageMs: number | null;
}

const PAGE_SIZE = 1000;
const FIRST_PAGE_SIZE = 200;

/** Returns the clusters matching `filter`, loading every page in the background. */
export function useClusterList(filter: ClusterListFilter): ClusterList {
  const { api } = useSession();
  const [state, setState] = useState<ClusterList>({
    items: [],
    loading: true,
    complete: false,
    error: undefined,
    firstPageMs: null,
  });
  const index = useRef(new Map<string, number>());

  useEffect(() => {
    let cancelled = false;
    const started = performance.now();
    index.current = new Map();
    setState({ items: [], loading: true, complete: false, error: undefined, firstPageMs: null });
    const load = async () => {
      let cursor: string | null = null;
      let first = true;
      const all: ClusterSummary[] = [];
      do {
        const params = new URLSearchParams({ limit: String(first ? FIRST_PAGE_SIZE : PAGE_SIZE) });
        if (cursor) params.set('cursor', cursor);
        if (filter.phase) params.set('phase', filter.phase);
        if (filter.profile) params.set('profile', filter.profile);
        let page: ClusterPage;
        try {
          page = await api.get<ClusterPage>(`/v1/clusters?${params}`);
        } catch (error) {
          if (!cancelled) setState((s) => ({ ...s, loading: false, error: asApiError(error) }));
          return;
        }
        if (cancelled) return;
        for (const c of page.items) {
          index.current.set(c.name, all.length);
          all.push(c);
        }
        cursor = page.nextCursor;
        const firstPageMs = first ? Math.round(performance.now() - started) : undefined;
        first = false;
        const snapshot = all.slice();
        setState((s) => ({
          items: snapshot,
          loading: cursor !== null,
          complete: cursor === null,
          error: undefined,
          firstPageMs: firstPageMs ?? s.firstPageMs,
        }));
      } while (cursor !== null);
    };
    void load();
    return () => {
      cancelled = true;
    };
  }, [api, filter.phase, filter.profile]);

  // Live patches: collect names for a short moment, then re-read just those clusters.
  const pending = useRef(new Set<string>());
  const timer = useRef<number | null>(null);
  const flush = useCallback(async () => {
    timer.current = null;
    const names = [...pending.current].slice(0, 50);
    pending.current.clear();
    const fresh = await Promise.all(
      names.map((name) =>
        api.get<Cluster>(`/v1/clusters/${encodeURIComponent(name)}`).catch((error: unknown) => {
          return asApiError(error).code === 'NotFound' ? name : null;
        }),
      ),
    );
    setState((s) => {
      let items = s.items;
      for (const answer of fresh) {
        if (answer === null) continue;
        if (typeof answer === 'string') {
          items = items.filter((c) => c.name !== answer);
          continue;
        }
        const at = items.findIndex((c) => c.name === answer.name);
        if (at >= 0) {
          if (items === s.items) items = items.slice();
          items[at] = answer;
        } else if (s.complete && matches(answer, filter)) {
          items = [...items, answer];
        }
      }
      return items === s.items ? s : { ...s, items };
    });
  }, [api, filter]);

  useLiveEvents(
    (event) => {
      pending.current.add(event.cluster!);
      if (timer.current === null) timer.current = window.setTimeout(() => void flush(), 300);
    },
    (event) => event.cluster !== undefined && event.kind.startsWith('cluster.'),
  );

  return state;
}

function matches(cluster: ClusterSummary, filter: ClusterListFilter): boolean {
  if (filter.phase && cluster.status.phase !== filter.phase) return false;
  if (filter.profile && !cluster.spec.profiles.some((p) => `${p.name}@${p.version}` === filter.profile))
    return false;
  return true;
}
