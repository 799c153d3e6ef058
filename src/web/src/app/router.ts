/**
 * A tiny hash router: the route is `location.hash` split into segments (`#/clusters/a/profile` →
 * `['clusters','a','profile']`) plus a query. Hash routes need nothing from the server beyond `index.html`,
 * and every screen has a shareable URL.
 */
import { useSyncExternalStore } from 'react';

/** The current route: path segments (decoded) and the query parameters. */
export interface Route {
  segments: string[];
  query: URLSearchParams;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function snapshot(): string {
  return window.location.hash;
}

/** Returns the route a hash names. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  return { segments, query: new URLSearchParams(search) };
}

/** Returns the current route; re-renders on navigation. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, snapshot);
  return parseRoute(hash);
}

/** Returns the href of a route from its segments (each encoded) and optional query. */
export function href(segments: readonly string[], query?: Record<string, string | undefined>): string {
  const path = segments.map((s) => encodeURIComponent(s)).join('/');
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, v);
  const search = params.toString();
  return `#/${path}${search ? `?${search}` : ''}`;
}

/** Navigates to a route (adds a history entry unless `replace`). */
export function navigate(
  segments: readonly string[],
  query?: Record<string, string | undefined>,
  replace = false,
): void {
  const target = href(segments, query);
  if (replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  // pushState does not fire hashchange; tell the router ourselves.
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
