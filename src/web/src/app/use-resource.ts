/**
 * Loading server data into a component: the latest answer, the error as an `ApiError`, a loading flag and a
 * `reload` that keeps showing the old data while the new answer is on its way (no flashing on live updates).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, asApiError } from '../api/client.ts';
import { useSession } from './session.tsx';

/** The state of one loaded resource. */
export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Loads again; resolves when done. */
  reload(): Promise<void>;
  /** Replaces the data locally (after an action answered with the new state). */
  set(data: T): void;
}

/** Returns the resource at `path` (null: nothing to load yet), loaded with the session's token. */
export function useResource<T>(path: string | null): Resource<T> {
  const { api } = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  // Answers to an older path must not overwrite a newer one.
  const generation = useRef(0);

  const load = useCallback(async () => {
    if (path === null) return;
    const mine = ++generation.current;
    setLoading(true);
    try {
      const answer = await api.get<T>(path);
      if (mine !== generation.current) return;
      setData(answer);
      setError(undefined);
    } catch (e) {
      if (mine !== generation.current) return;
      setError(asApiError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [api, path]);

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    void load();
  }, [load]);

  return { data, error, loading, reload: load, set: setData };
}

/** The state of a user action: running flag, last error, and `run` which records both. */
export interface Action {
  running: boolean;
  error: ApiError | undefined;
  run<R>(work: () => Promise<R>): Promise<R | undefined>;
  clear(): void;
}

/** Returns an action runner: `run(work)` shows progress while `work` runs and keeps its error for display. */
export function useAction(): Action {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = useCallback(async <R>(work: () => Promise<R>): Promise<R | undefined> => {
    setRunning(true);
    setError(undefined);
    try {
      return await work();
    } catch (e) {
      setError(asApiError(e));
      return undefined;
    } finally {
      setRunning(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { running, error, run, clear };
}
