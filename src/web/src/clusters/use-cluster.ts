/** One cluster, kept current by live events (re-read at most a few times a second while it changes). */
import { useRef } from 'react';
import { type Cluster, clusterPath } from '../api/types.ts';
import { type Resource, useResource } from '../app/use-resource.ts';
import { useLiveEvents } from '../live/live-events.tsx';

/** Returns the cluster resource, reloaded when the live stream reports a change to it. */
export function useCluster(name: string): Resource<Cluster> {
  const resource = useResource<Cluster>(clusterPath(name));
  const timer = useRef<number | null>(null);
  useLiveEvents(
    () => {
      if (timer.current !== null) return;
      timer.current = window.setTimeout(() => {
        timer.current = null;
        void resource.reload();
      }, 250);
    },
    (event) => event.cluster === name,
  );
  return resource;
}
