/**
 * The in-process bus behind the live event stream: the API publishes the changes it makes (profiles, tokens,
 * cluster commands) and the engine publishes cluster phases, conditions and operation progress; server-sent
 * event streams subscribe to it. Delivery is best effort and in memory — the durable record is the store.
 */
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';

/** Kinds of live events; `cluster.*` and `operation.*` come from the engine, the rest from the API. */
export type LiveEventKind =
  | 'cluster.created'
  | 'cluster.deleting'
  | 'cluster.phase'
  | 'cluster.conditions'
  | 'cluster.changed'
  | 'cluster.event'
  | 'operation.progress'
  | 'rollout.changed'
  | 'profile.created'
  | 'profile.edited'
  | 'pack.registered'
  | 'token.changed';

/** What a publisher provides. */
export interface LiveEventInput {
  kind: LiveEventKind;
  /** The cluster the event is about, when any (streams can filter on it). */
  cluster?: string;
  data: Record<string, unknown>;
}

/** A published event: numbered in publication order and timed. */
export interface LiveEvent extends LiveEventInput {
  id: number;
  /** ISO-8601 time of publication. */
  at: string;
}

/** A subscriber's filter: one cluster's events, or all. */
export interface LiveEventFilter {
  cluster?: string;
}

type Listener = (event: LiveEvent) => void;

/** A small synchronous publish/subscribe hub; a throwing listener is dropped, never breaks a publisher. */
export class LiveEventBus {
  readonly #clock: Clock;
  readonly #listeners = new Set<{ listener: Listener; filter: LiveEventFilter }>();
  #nextId = 1;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** Publishes an event to every matching subscriber and returns it as delivered. */
  publish(input: LiveEventInput): LiveEvent {
    const event: LiveEvent = { ...input, id: this.#nextId++, at: new Date(this.#clock.now()).toISOString() };
    for (const entry of [...this.#listeners]) {
      if (entry.filter.cluster !== undefined && entry.filter.cluster !== event.cluster) continue;
      try {
        entry.listener(event);
      } catch {
        // A broken subscriber (a closed stream) must not stop the publisher or the other subscribers.
        this.#listeners.delete(entry);
      }
    }
    return event;
  }

  /** Subscribes to events matching `filter`; returns the function that unsubscribes. */
  subscribe(listener: Listener, filter: LiveEventFilter = {}): () => void {
    const entry = { listener, filter };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Returns how many subscribers are listening (for tests and figures). */
  get subscriberCount(): number {
    return this.#listeners.size;
  }
}
