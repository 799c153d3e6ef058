/**
 * Fleet rollouts: preview the waves of a profile change, start it, watch it wave by wave (live), and pause,
 * resume or cancel it. When the server has no fleet engine, the page says so instead of failing.
 */
import { useEffect, useState } from 'react';
import type { ProfileSummary, Rollout } from '../api/types.ts';
import { href, navigate } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useAction, useResource } from '../app/use-resource.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Loading, Progress } from '../components/States.tsx';
import { useLiveEvents } from '../live/live-events.tsx';

const ACTIVE = new Set(['Pending', 'Running', 'Paused', 'Soaking']);

/** Renders the rollouts page; `selected` is a rollout id. */
export function RolloutsPage(props: { selected?: string }) {
  const rollouts = useResource<{ items: Rollout[] }>('/v1/rollouts');
  useLiveEvents(
    () => void rollouts.reload(),
    (e) => e.kind.startsWith('rollout') || e.kind === 'operation.progress',
  );
  const unavailable = rollouts.error?.code === 'Unavailable';
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Rollouts</h1>
          <div className="subtitle">
            Apply a profile change across the fleet in waves: canary first, health-gated, halting on failure.
          </div>
        </div>
      </header>
      {unavailable ? (
        <Empty title="Rollouts are not available on this server">{rollouts.error?.message}</Empty>
      ) : (
        <div className="grid-2">
          <StartRollout />
          <section className="card">
            <h2>Rollouts</h2>
            <ErrorBanner error={rollouts.error} />
            {!rollouts.data ? (
              rollouts.error ? null : (
                <Loading />
              )
            ) : rollouts.data.items.length === 0 ? (
              <Empty title="No rollouts yet">Preview one on the left.</Empty>
            ) : (
              <ul className="rollout-list">
                {rollouts.data.items.map((r) => (
                  <li key={r.id}>
                    <a
                      href={href(['rollouts', r.id])}
                      className={props.selected === r.id ? 'strong' : undefined}
                    >
                      {r.from} → {r.to}
                    </a>{' '}
                    <Badge tone={ACTIVE.has(r.state) ? 'info' : r.state === 'Succeeded' ? 'ok' : 'warn'}>
                      {r.state}
                    </Badge>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {props.selected ? <RolloutDetail id={props.selected} /> : null}
        </div>
      )}
    </div>
  );
}

function StartRollout() {
  const { api } = useSession();
  const profiles = useResource<{ items: ProfileSummary[] }>('/v1/profiles');
  const refs = (profiles.data?.items ?? []).map((p) => `${p.name}@${p.version}`);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [canary, setCanary] = useState(1);
  const [soak, setSoak] = useState(60);
  const [maxFailures, setMaxFailures] = useState(0);
  const [preview, setPreview] = useState<Rollout | null>(null);
  const previewAction = useAction();
  const startAction = useAction();
  useEffect(() => {
    if (!from && refs[0]) setFrom(refs[0]);
    if (!to && refs[1]) setTo(refs[1]);
  }, [refs, from, to]);
  const body = { from, to, canary, soakSeconds: soak, maxFailures };
  return (
    <section className="card">
      <h2>New rollout</h2>
      <div className="form-grid">
        <label className="field">
          <span>From</span>
          <select value={from} onChange={(e) => setFrom(e.target.value)} aria-label="From profile version">
            {refs.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>To</span>
          <select value={to} onChange={(e) => setTo(e.target.value)} aria-label="To profile version">
            {refs.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Canary clusters</span>
          <input type="number" min={1} value={canary} onChange={(e) => setCanary(Number(e.target.value))} />
        </label>
        <label className="field">
          <span>Soak between waves (s)</span>
          <input type="number" min={0} value={soak} onChange={(e) => setSoak(Number(e.target.value))} />
        </label>
        <label className="field">
          <span>Halt after failures</span>
          <input
            type="number"
            min={0}
            value={maxFailures}
            onChange={(e) => setMaxFailures(Number(e.target.value))}
          />
        </label>
      </div>
      <ErrorBanner error={previewAction.error ?? startAction.error} />
      <div className="actions-row">
        <GuardedButton
          need="operator"
          busy={previewAction.running}
          disabled={!from || !to || from === to}
          onClick={async () => {
            const answer = await previewAction.run(() =>
              api.post<Rollout>('/v1/rollouts', { ...body, preview: true }),
            );
            if (answer) setPreview(answer);
          }}
        >
          Preview waves
        </GuardedButton>
        <GuardedButton
          need="operator"
          variant="primary"
          busy={startAction.running}
          disabled={!preview}
          title={!preview ? 'Preview the waves first' : undefined}
          onClick={async () => {
            const answer = await startAction.run(() => api.post<Rollout>('/v1/rollouts', body));
            if (answer) navigate(['rollouts', answer.id]);
          }}
        >
          Start rollout
        </GuardedButton>
      </div>
      {preview ? <Waves rollout={preview} /> : null}
    </section>
  );
}

function Waves(props: { rollout: Rollout }) {
  if (props.rollout.waves.length === 0) return <Empty title="No cluster runs the source version" />;
  return (
    <ol className="waves">
      {props.rollout.waves.map((w) => (
        <li key={w.index}>
          <span className="strong">Wave {w.index + 1}</span> <Badge>{w.state}</Badge>{' '}
          <span className="muted small">
            {w.clusters.length} cluster(s): {w.clusters.slice(0, 8).join(', ')}
            {w.clusters.length > 8 ? '…' : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}

function RolloutDetail(props: { id: string }) {
  const { api } = useSession();
  const rollout = useResource<Rollout>(`/v1/rollouts/${encodeURIComponent(props.id)}`);
  const action = useAction();
  useLiveEvents(
    () => void rollout.reload(),
    (e) => e.kind.startsWith('rollout') || e.kind === 'operation.progress',
  );
  const r = rollout.data;
  const act = (verb: 'pause' | 'resume' | 'cancel') => async () => {
    const answer = await action.run(() =>
      api.post<Rollout>(`/v1/rollouts/${encodeURIComponent(props.id)}/${verb}`, {}),
    );
    if (answer) rollout.set(answer);
  };
  return (
    <section className="card span-2">
      <ErrorBanner error={rollout.error ?? action.error} />
      {!r ? (
        rollout.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <div className="card-header">
            <h2>
              {r.from} → {r.to}
            </h2>
            <Badge tone={ACTIVE.has(r.state) ? 'info' : 'neutral'}>{r.state}</Badge>
            <div className="page-actions">
              <GuardedButton need="operator" disabled={r.state !== 'Running'} onClick={act('pause')}>
                Pause
              </GuardedButton>
              <GuardedButton need="operator" disabled={r.state !== 'Paused'} onClick={act('resume')}>
                Resume
              </GuardedButton>
              <GuardedButton
                need="operator"
                variant="danger"
                disabled={!ACTIVE.has(r.state)}
                onClick={act('cancel')}
              >
                Cancel
              </GuardedButton>
            </div>
          </div>
          {r.message ? <p className="muted">{r.message}</p> : null}
          {r.progress ? (
            <Progress
              label={`${r.progress.done} of ${r.progress.total} clusters updated${r.progress.failed ? `, ${r.progress.failed} failed` : ''}`}
              value={r.progress.done}
              max={r.progress.total}
            />
          ) : null}
          <Waves rollout={r} />
        </>
      )}
    </section>
  );
}
