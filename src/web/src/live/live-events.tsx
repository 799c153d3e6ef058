/**
 * Live updates: one `EventSource` on `/v1/events/stream` for the whole console, shared by every screen through
 * `useLiveEvents`. EventSource reconnects by itself (the server sends `retry: 2000`); the connection state is
 * shown in the header so a user knows whether what they see is live.
 */
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { ApiClient } from '../api/client.ts';
import { API_PATHS, type LiveEvent } from '../api/types.ts';

/** Whether the live stream is connected. */
export type LiveState = 'connecting' | 'live' | 'offline';

type Listener = (event: LiveEvent) => void;

interface LiveHub {
  state: LiveState;
  subscribe(listener: Listener): () => void;
}

const LiveContext = createContext<LiveHub | null>(null);

/** Every kind the server sends, as a record so a kind added on the server fails the type check here. */
const KIND_SET: Record<LiveEvent['kind'], true> = {
  'cluster.created': true,
  'cluster.deleting': true,
  'cluster.phase': true,
  'cluster.conditions': true,
  'cluster.changed': true,
  'cluster.event': true,
  'operation.progress': true,
  'rollout.changed': true,
  'profile.created': true,
  'profile.edited': true,
  'pack.registered': true,
  'token.changed': true,
};
const KINDS = Object.keys(KIND_SET);

/** Opens the live stream for the signed-in session and provides it below. */
export function LiveEventsProvider(props: { api: ApiClient; children: ReactNode }) {
  const [state, setState] = useState<LiveState>('connecting');
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('offline');
      return;
    }
    const source = new EventSource(props.api.streamUrl(API_PATHS.eventStream));
    const deliver = (message: MessageEvent<string>) => {
      let event: LiveEvent;
      try {
        event = JSON.parse(message.data) as LiveEvent;
      } catch {
        return;
      }
      for (const listener of [...listeners.current]) listener(event);
    };
    source.onopen = () => setState('live');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    source.onmessage = deliver;
    for (const kind of KINDS) source.addEventListener(kind, deliver as EventListener);
    return () => source.close();
  }, [props.api]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const hub = useMemo<LiveHub>(() => ({ state, subscribe }), [state, subscribe]);
  return <LiveContext.Provider value={hub}>{props.children}</LiveContext.Provider>;
}

/** Returns the live connection state. */
export function useLiveState(): LiveState {
  return useContext(LiveContext)?.state ?? 'offline';
}

/**
 * Calls `onEvent` for each live event that passes `filter` (e.g. one cluster's). The handler may change on
 * every render; the subscription does not.
 */
export function useLiveEvents(
  onEvent: (event: LiveEvent) => void,
  filter?: (event: LiveEvent) => boolean,
): void {
  const hub = useContext(LiveContext);
  const handler = useRef(onEvent);
  const accept = useRef(filter);
  handler.current = onEvent;
  accept.current = filter;
  const subscribe = hub?.subscribe;
  useEffect(() => {
    if (!subscribe) return;
    return subscribe((event) => {
      if (accept.current && !accept.current(event)) return;
      handler.current(event);
    });
  }, [subscribe]);
}
