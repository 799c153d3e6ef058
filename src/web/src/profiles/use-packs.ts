/** Pack versions and details, fetched on demand and cached for the life of the page. */
import { useCallback, useRef, useState } from 'react';
import { type PackDetail, type PackSummary, packPath } from '../api/types.ts';
import { useSession } from '../app/session.tsx';

/** What the layer editor needs of packs. */
export interface PackCache {
  /** The versions of a pack (undefined until loaded). */
  versions(name: string): PackSummary[] | undefined;
  /** A pack version's details (undefined until loaded). */
  detail(name: string, version: string): PackDetail | undefined;
  /** Starts loading what `versions`/`detail` lack; safe to call on every render. */
  want(name: string, version?: string): void;
}

/** Returns a pack cache bound to the session. */
export function usePackCache(): PackCache {
  const { api } = useSession();
  const [, bump] = useState(0);
  const versions = useRef(new Map<string, PackSummary[]>());
  const details = useRef(new Map<string, PackDetail>());
  const inflight = useRef(new Set<string>());

  const want = useCallback(
    (name: string, version?: string) => {
      const load = (key: string, work: () => Promise<void>) => {
        if (inflight.current.has(key)) return;
        inflight.current.add(key);
        void work()
          .then(() => bump((n) => n + 1))
          .catch(() => {
            // Leave it unloaded; the panel shows the layer without pack metadata.
          });
      };
      if (!versions.current.has(name)) {
        load(`v:${name}`, async () => {
          const answer = await api.get<{ versions: PackSummary[] }>(packPath(name));
          versions.current.set(name, answer.versions);
        });
      }
      if (version && !details.current.has(`${name}@${version}`)) {
        load(`d:${name}@${version}`, async () => {
          const answer = await api.get<PackDetail>(packPath(name, version));
          details.current.set(`${name}@${version}`, answer);
        });
      }
    },
    [api],
  );

  return {
    versions: (name) => versions.current.get(name),
    detail: (name, version) => details.current.get(`${name}@${version}`),
    want,
  };
}
