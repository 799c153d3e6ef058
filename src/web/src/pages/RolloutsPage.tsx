/**
 * Fleet rollouts: preview the waves of a profile change (who moves when, the distinct plans, who is skipped and
 * why), start it, watch it wave by wave live, and pause, resume or cancel it; a halted rollout says why.
 */
import { useEffect, useState } from 'react';
import { asApiError } from '../api/client.ts';
import {
  API_PATHS,
  type ProfileSummary,
  type RolloutListPage,
  type RolloutMemberState,
  type RolloutPreview,
  type RolloutStartRequest,
  type RolloutView,
  rolloutActionPath,
  rolloutListPath,
  rolloutPath,
  type StoredRolloutWire,
} from '../api/types.ts';
import { href, navigate } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useAction, useResource } from '../app/use-resource.ts';
import { ago } from '../clusters/cluster-notices.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Empty, Loading, Progress } from '../components/States.tsx';
import { useLiveEvents } from '../live/live-events.tsx';

const ACTIVE = new Set(['Running', 'Soaking', 'Paused']);
const STATE_TONE = {
  Running: 'info',
  Soaking: 'info',
  Paused: 'warn',
  Halted: 'bad',
  Cancelled: 'neutral',
  Completed: 'ok',
} as const;
const MEMBER_ORDER: RolloutMemberState[] = [
  'healthy',
  'applying',
  'repave-pending',
  'waiting',
  'failed',
  'skipped',
];
const MEMBER_TONE = {
  healthy: 'ok',
  applying: 'info',
  'repave-pending': 'warn',
  waiting: 'neutral',
  failed: 'bad',
  skipped: 'neutral',
} as const;

function refOf(r: { from: { profile: string; version: string }; to: { profile: string; version: string } }) {
  return `${r.from.profile}@${r.from.version} → ${r.to.version === r.from.version ? 'latest revision' : r.to.version}`;
}

/** Renders the rollouts page; `selected` is a rollout id. */
export function RolloutsPage(props: { selected?: string }) {
  const rollouts = useResource<RolloutListPage>(rolloutListPath({ limit: 50 }));
  useLiveEvents(
    () => void rollouts.reload(),
    (e) => e.kind === 'rollout.changed',
  );
  const unavailable = rollouts.error?.code === 'Unavailable';
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Rollouts</h1>
          <div className="subtitle">
            Move the clusters on one profile version to another in waves: a canary first, each wave
            health-gated and soaked, halting on failure.
          </div>
        </div>
      </header>
      {unavailable ? (
        <Empty title="Rollouts are not available on this server">{rollouts.error?.message}</Empty>
      ) : (
        <div className="grid-2">
          {props.selected ? <RolloutDetail key={props.selected} id={props.selected} /> : null}
          <StartRollout />
          <section className="card">
            <h2>Rollouts</h2>
            <ErrorBanner error={rollouts.error} />
            {!rollouts.data ? (
              rollouts.error ? null : (
                <Loading />
              )
            ) : rollouts.data.items.length === 0 ? (
              <Empty title="No rollouts yet">Preview one, then start it.</Empty>
            ) : (
              <table className="simple" data-testid="rollouts">
                <tbody>
                  {rollouts.data.items.map((r) => (
                    <RolloutRow key={r.id} rollout={r} selected={props.selected === r.id} />
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

function RolloutRow(props: { rollout: StoredRolloutWire; selected: boolean }) {
  const r = props.rollout;
  return (
    <tr className={props.selected ? 'row-selected' : undefined}>
      <td className="cell-name">
        <a href={href(['rollouts', r.id])}>{refOf(r)}</a>
      </td>
      <td>
        <Badge tone={STATE_TONE[r.state]}>{r.state}</Badge>
      </td>
      <td className="muted">
        wave {r.currentWave} of {r.waveCount}
      </td>
      <td className="muted right">{ago(r.createdAt)}</td>
    </tr>
  );
}

function StartRollout() {
  const { api } = useSession();
  const profiles = useResource<{ items: ProfileSummary[] }>(API_PATHS.profiles);
  const refs = (profiles.data?.items ?? []).map((p) => `${p.name}@${p.version}`);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [selector, setSelector] = useState('');
  const [canary, setCanary] = useState(1);
  const [growth, setGrowth] = useState(4);
  const [soak, setSoak] = useState(300);
  const [maxFailures, setMaxFailures] = useState(0);
  const [deadline, setDeadline] = useState(600);
  const [preview, setPreview] = useState<RolloutPreview | null>(null);
  const previewAction = useAction();
  const startAction = useAction();
  useEffect(() => {
    if (!from && refs[0]) setFrom(refs[0]);
    if (!to && refs[1]) setTo(refs[1]);
  }, [refs, from, to]);
  const body = {
    from,
    to,
    canary,
    growth,
    soakSeconds: soak,
    progressDeadlineSeconds: deadline,
    maxFailures,
    ...(selector.trim() ? { selector: selector.trim() } : {}),
  } satisfies RolloutStartRequest;
  // A preview belongs to the settings it was made with; any change asks for a new one.
  const bodyKey = JSON.stringify(body);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the settings change.
  useEffect(() => setPreview(null), [bodyKey]);
  const startReason = !preview
    ? 'Preview the waves first'
    : preview.totals.eligible === 0
      ? 'No cluster would move'
      : undefined;
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
          <span>Only clusters labelled (k=v,k2=v2)</span>
          <input value={selector} onChange={(e) => setSelector(e.target.value)} placeholder="every cluster" />
        </label>
        <label className="field">
          <span>Canary clusters</span>
          <input type="number" min={1} value={canary} onChange={(e) => setCanary(Number(e.target.value))} />
        </label>
        <label className="field">
          <span>Each next wave (× the previous)</span>
          <input type="number" min={1} value={growth} onChange={(e) => setGrowth(Number(e.target.value))} />
        </label>
        <label className="field">
          <span>Soak after each wave (s)</span>
          <input type="number" min={0} value={soak} onChange={(e) => setSoak(Number(e.target.value))} />
        </label>
        <label className="field">
          <span>Health deadline per cluster (s)</span>
          <input
            type="number"
            min={1}
            value={deadline}
            onChange={(e) => setDeadline(Number(e.target.value))}
          />
        </label>
        <label className="field">
          <span>Failures tolerated</span>
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
          disabled={!from || !to}
          onClick={async () => {
            const answer = await previewAction.run(() =>
              api.post<RolloutPreview>(API_PATHS.rollouts, { ...body, preview: true }),
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
          disabled={startReason !== undefined}
          title={startReason}
          onClick={async () => {
            const answer = await startAction.run(() => api.post<RolloutView>(API_PATHS.rollouts, body));
            if (answer) {
              // Started: the preview is spent (no second start by accident); the page follows the rollout.
              setPreview(null);
              navigate(['rollouts', answer.id]);
            }
          }}
        >
          Start rollout
        </GuardedButton>
      </div>
      {preview ? <PreviewView preview={preview} /> : null}
    </section>
  );
}

function PreviewView(props: { preview: RolloutPreview }) {
  const p = props.preview;
  return (
    <div className="stack rollout-preview" data-testid="rollout-preview">
      <div className="plan-headline">
        <Stat label="on the source version" value={p.totals.matched} />
        <Stat label="will move" value={p.totals.eligible} />
        <Stat
          label="skipped (plan errors)"
          value={p.totals.skipped}
          tone={p.totals.skipped ? 'bad' : undefined}
        />
        <Stat label="already there" value={p.totals.unchanged} />
        <Stat label="need a repave" value={p.totals.repave} tone={p.totals.repave ? 'warn' : undefined} />
      </div>
      {p.waves.length === 0 ? (
        <Empty title="No cluster would move">No cluster on the source version needs this change.</Empty>
      ) : (
        <ol className="waves waves-plain" data-testid="preview-waves">
          {p.waves.map((w) => (
            <li key={w.wave}>
              <span className="strong">
                Wave {w.wave}
                {w.wave === 1 ? ' (canary)' : ''}
              </span>{' '}
              <span className="muted small">
                {w.size} cluster(s): {w.clusters.join(', ')}
                {w.size > w.clusters.length ? '…' : ''}
              </span>
            </li>
          ))}
        </ol>
      )}
      {p.plans.map((plan) => (
        <div
          key={plan.example}
          className={`issues ${plan.errors.length ? 'issues-error' : plan.repave ? 'issues-warning' : 'issues-info'}`}
        >
          <strong>
            {plan.clusters} cluster(s){plan.repave ? ', nodes replaced' : ''}:
          </strong>{' '}
          {plan.summary} <span className="muted small">(e.g. {plan.example})</span>
          {[...plan.errors, ...plan.warnings].map((issue) => (
            <div key={issue.code + issue.message}>
              <code className="code-chip">{issue.code}</code> {issue.message}
            </div>
          ))}
        </div>
      ))}
      {p.skipped.length > 0 ? (
        <div className="issues issues-error">
          <strong>Skipped:</strong>
          <ul>
            {p.skipped.map((s) => (
              <li key={s.cluster}>
                <span className="cell-mono">{s.cluster}</span> <code className="code-chip">{s.code}</code>{' '}
                {s.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

function RolloutDetail(props: { id: string }) {
  const { api } = useSession();
  // The view's own page of members is its failures: the members panel below pages through the rest.
  const rollout = useResource<RolloutView>(rolloutPath(props.id, { state: 'failed', limit: 20 }));
  const action = useAction();
  useLiveEvents(
    () => void rollout.reload(),
    (e) => e.kind === 'rollout.changed' && (e.data as { id?: string }).id === props.id,
  );
  const r = rollout.data;
  const active = r ? ACTIVE.has(r.state) : false;
  // Member states change between rollout events (clusters turning healthy): re-read every few seconds while
  // the rollout is active.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the interval depends on whether it is active only.
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => void rollout.reload(), 3000);
    return () => window.clearInterval(timer);
  }, [active]);
  const act = (verb: 'pause' | 'resume' | 'cancel') => async () => {
    const answer = await action.run(() => api.post<RolloutView>(rolloutActionPath(props.id, verb), {}));
    if (answer) rollout.set(answer);
  };
  const total = r ? r.waveSizes.reduce((n, s) => n + s, 0) : 0;
  const done = r ? (r.counts.healthy ?? 0) : 0;
  return (
    <section className="card span-2" data-testid="rollout-detail">
      <ErrorBanner error={rollout.error ?? action.error} onDismiss={action.clear} />
      {!r ? (
        rollout.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <div className="card-header">
            <h2>{refOf(r)}</h2>
            <Badge tone={STATE_TONE[r.state]}>{r.state}</Badge>
            <span className="muted">
              r{r.to.revision} · started by {r.createdBy} {ago(r.createdAt)}
            </span>
            {active ? (
              <div className="page-actions">
                <GuardedButton
                  need="operator"
                  disabled={r.state !== 'Running' && r.state !== 'Soaking'}
                  onClick={act('pause')}
                >
                  Pause
                </GuardedButton>
                <GuardedButton need="operator" disabled={r.state !== 'Paused'} onClick={act('resume')}>
                  Resume
                </GuardedButton>
                <GuardedButton need="operator" variant="danger" onClick={act('cancel')}>
                  Cancel
                </GuardedButton>
              </div>
            ) : (
              <span className="page-actions muted">
                {r.state} {r.finishedAt ? ago(r.finishedAt) : ''}
              </span>
            )}
          </div>
          {r.state === 'Halted' ? (
            <div className="issues issues-error" role="alert" data-testid="halt-reason">
              <div>
                <strong>Halted:</strong> {r.haltReason ?? 'a cluster failed its health gate.'}
              </div>
              <div className="small">
                {r.haltCluster ? (
                  <>
                    Look at <a href={href(['clusters', r.haltCluster])}>{r.haltCluster}</a>.{' '}
                  </>
                ) : null}
                Clusters already updated stay updated; no further wave starts. Start a new rollout once the
                cause is fixed.
              </div>
            </div>
          ) : null}
          {r.state === 'Soaking' && r.soakUntil ? (
            <div className="issues issues-info">
              Wave {r.currentWave} is healthy; soaking until {new Date(r.soakUntil).toLocaleTimeString()}{' '}
              before the next wave.
            </div>
          ) : null}
          <Progress
            label={`${done} of ${total} clusters updated and healthy${r.counts.failed ? `, ${r.counts.failed} failed` : ''} · wave ${r.currentWave} of ${r.waveCount}`}
            value={done}
            max={Math.max(total, 1)}
          />
          <table className="simple" data-testid="rollout-waves">
            <thead>
              <tr>
                <th>Wave</th>
                <th>Clusters</th>
                <th>Progress</th>
              </tr>
            </thead>
            <tbody>
              {r.waves.map((w) => (
                <tr key={w.wave} className={w.wave === r.currentWave && active ? 'row-selected' : undefined}>
                  <td className="cell-name">
                    {w.wave === 0 ? 'Skipped' : `Wave ${w.wave}${w.wave === 1 ? ' (canary)' : ''}`}
                  </td>
                  <td>{w.size}</td>
                  <td className="badges">
                    {MEMBER_ORDER.filter((s) => (w.counts[s] ?? 0) > 0).map((s) => (
                      <Badge key={s} tone={MEMBER_TONE[s]}>
                        {w.counts[s]} {s}
                      </Badge>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {r.members.items.some((m) => m.state === 'failed') ? (
            <ul className="object-list" data-testid="rollout-failures">
              {r.members.items
                .filter((m) => m.state === 'failed')
                .slice(0, 20)
                .map((m) => (
                  <li key={m.cluster}>
                    <a href={href(['clusters', m.cluster])}>{m.cluster}</a>{' '}
                    <Badge tone={MEMBER_TONE[m.state]}>{m.state}</Badge> {m.message}
                  </li>
                ))}
            </ul>
          ) : null}
          <RolloutMembers id={props.id} rollout={r} />
        </>
      )}
    </section>
  );
}

const MEMBER_PAGE = 50;

/**
 * The members of a rollout, a page at a time: filtered by wave and state on the server, with "Show more" for
 * the next page, so a rollout of 100,000 clusters reads 50 rows. The first page follows the rollout's updates
 * until the user asks for more.
 */
function RolloutMembers(props: { id: string; rollout: RolloutView }) {
  const { api } = useSession();
  const [wave, setWave] = useState<number | undefined>(undefined);
  const [state, setState] = useState<RolloutMemberState | undefined>(undefined);
  const [page, setPage] = useState<RolloutView['members'] | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const [more, setMore] = useState(false);
  const r = props.rollout;
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read the first page as the rollout changes.
  useEffect(() => {
    if (more) return;
    let cancelled = false;
    api
      .get<RolloutView>(rolloutPath(props.id, { wave, state, limit: MEMBER_PAGE }))
      .then((answer) => {
        if (cancelled) return;
        setPage(answer.members);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(asApiError(e).message);
      });
    return () => {
      cancelled = true;
    };
  }, [api, props.id, wave, state, r.updatedAt, r.counts]);
  const showMore = async () => {
    if (!page?.nextCursor) return;
    setMore(true);
    try {
      const answer = await api.get<RolloutView>(
        rolloutPath(props.id, { wave, state, limit: MEMBER_PAGE, cursor: page.nextCursor }),
      );
      setPage({ items: [...page.items, ...answer.members.items], nextCursor: answer.members.nextCursor });
    } catch (e) {
      setError(asApiError(e).message);
    }
  };
  const filterBy = (next: { wave?: number; state?: RolloutMemberState }) => {
    setMore(false);
    setPage(null);
    setWave(next.wave);
    setState(next.state);
  };
  const total = r.waveSizes.reduce((n, size) => n + size, 0);
  return (
    <div className="rollout-members" data-testid="rollout-members">
      <div className="toolbar">
        <strong>Members</strong>
        <select
          aria-label="Members of wave"
          value={wave ?? ''}
          onChange={(e) =>
            filterBy({ wave: e.target.value === '' ? undefined : Number(e.target.value), state })
          }
        >
          <option value="">All waves ({total.toLocaleString('en-US')})</option>
          {r.waves.map((w) => (
            <option key={w.wave} value={w.wave}>
              {w.wave === 0 ? 'Skipped' : `Wave ${w.wave}`} ({w.size.toLocaleString('en-US')})
            </option>
          ))}
        </select>
        <select
          aria-label="Members in state"
          value={state ?? ''}
          onChange={(e) => filterBy({ wave, state: (e.target.value || undefined) as RolloutMemberState })}
        >
          <option value="">Any state</option>
          {MEMBER_ORDER.map((m) => (
            <option key={m} value={m}>
              {m} ({(r.counts[m] ?? 0).toLocaleString('en-US')})
            </option>
          ))}
        </select>
      </div>
      {error ? <div className="issues issues-error">{error}</div> : null}
      {page === null ? (
        <Loading />
      ) : page.items.length === 0 ? (
        <div className="muted">No members match.</div>
      ) : (
        <table className="simple">
          <thead>
            <tr>
              <th>Cluster</th>
              <th>Wave</th>
              <th>State</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((m) => (
              <tr key={m.cluster}>
                <td className="cell-mono">
                  <a href={href(['clusters', m.cluster])}>{m.cluster}</a>
                </td>
                <td>{m.wave === 0 ? 'Skipped' : m.wave}</td>
                <td>
                  <Badge tone={MEMBER_TONE[m.state]}>{m.state}</Badge>
                </td>
                <td className="small">{m.message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.nextCursor ? (
        <button type="button" className="btn btn-secondary" onClick={() => void showMore()}>
          Show {MEMBER_PAGE} more
        </button>
      ) : null}
    </div>
  );
}

function Stat(props: { label: string; value: number; tone?: 'warn' | 'bad' }) {
  return (
    <div className={`stat${props.tone ? ` stat-${props.tone}` : ''}`}>
      <div className="stat-value">{props.value.toLocaleString()}</div>
      <div className="stat-label">{props.label}</div>
    </div>
  );
}
