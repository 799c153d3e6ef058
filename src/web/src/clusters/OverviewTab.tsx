/**
 * A cluster's overview: where it stands (phase, generation reconciled or not, applied profiles), the
 * conditions that explain any wait, and its events with new ones arriving live.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Cluster, type ClusterEventItem, clusterPath } from '../api/types.ts';
import { useSession } from '../app/session.tsx';
import { useResource } from '../app/use-resource.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { Empty, Progress } from '../components/States.tsx';
import { useLiveEvents } from '../live/live-events.tsx';
import { ago } from './cluster-notices.ts';

const CONDITION_TONE = { True: 'ok', False: 'warn', Unknown: 'neutral' } as const;
// Conditions whose True means trouble rather than progress.
const NEGATIVE = new Set(['RepavePending', 'Drifted', 'UnusedResources', 'UpdateAvailable']);

/** Renders the overview of `cluster`. */
export function OverviewTab(props: { cluster: Cluster }) {
  const c = props.cluster;
  const reconciled = c.status.observedGeneration >= c.generation;
  const moving =
    c.status.phase === 'Provisioning' || c.status.phase === 'Updating' || c.status.phase === 'Deleting';
  const waiting = c.status.conditions.filter((cond) => cond.status !== 'True' && !NEGATIVE.has(cond.type));
  return (
    <div className="grid-2">
      <section className="card">
        <h2>Status</h2>
        {moving ? (
          <Progress
            label={`${c.status.phase}${waiting[0] ? ` — ${waiting[0].message || waiting[0].reason}` : '…'}`}
          />
        ) : null}
        <dl className="facts">
          <dt>Phase</dt>
          <dd>{c.status.phase}</dd>
          <dt>Health</dt>
          <dd>{c.status.health}</dd>
          <dt>Generation</dt>
          <dd>
            {c.generation}{' '}
            {reconciled ? (
              <Badge tone="ok">reconciled</Badge>
            ) : (
              <Badge tone="info" title="The engine has not acted on the latest spec yet">
                observed {c.status.observedGeneration}
              </Badge>
            )}
          </dd>
          <dt>Desired profiles</dt>
          <dd className="cell-mono">
            {c.spec.profiles.map((p) => `${p.name}@${p.version} r${p.revision}`).join(', ') || '—'}
          </dd>
          <dt>Applied profiles</dt>
          <dd className="cell-mono">
            {c.status.appliedProfiles.map((p) => `${p.name}@${p.version} r${p.revision}`).join(', ') || '—'}
          </dd>
          <dt>Kubernetes</dt>
          <dd>{c.status.kubernetesVersion ?? '—'}</dd>
          <dt>Node pools</dt>
          <dd>{c.spec.pools.map((p) => `${p.name} (${p.role}, ${p.count})`).join(', ')}</dd>
          <dt>Settings</dt>
          <dd>
            repave {c.spec.settings.repave} · prune {c.spec.settings.prune ? 'on' : 'off'} · self-heal{' '}
            {c.spec.settings.selfHeal ? 'on' : 'off'}
          </dd>
          <dt>Created</dt>
          <dd>{new Date(c.createdAt).toLocaleString()}</dd>
        </dl>
      </section>
      <section className="card">
        <h2>Conditions</h2>
        {c.status.conditions.length === 0 ? (
          <Empty title="No conditions reported yet">
            The engine reports conditions once it starts on this cluster.
          </Empty>
        ) : (
          <table className="simple" data-testid="conditions">
            <thead>
              <tr>
                <th>Type</th>
                <th>Status</th>
                <th>Reason / message</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {c.status.conditions.map((cond) => (
                <tr key={cond.type}>
                  <td className="cell-name">{cond.type}</td>
                  <td>
                    <Badge
                      tone={
                        NEGATIVE.has(cond.type) && cond.status === 'True'
                          ? 'warn'
                          : CONDITION_TONE[cond.status]
                      }
                    >
                      {cond.status}
                    </Badge>
                  </td>
                  <td>
                    <div className="cell-mono">{cond.reason}</div>
                    <div className="muted">{cond.message}</div>
                  </td>
                  <td className="muted nowrap">{ago(cond.lastTransitionTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card span-2">
        <EventsPanel cluster={c.name} />
      </section>
    </div>
  );
}

/**
 * A cluster's events, newest first, with new ones arriving live. `reasons` keeps only events whose reason starts
 * with one of them (e.g. the node and repave events on the Nodes tab); `title` names the panel.
 */
export function EventsPanel(props: { cluster: string; reasons?: readonly string[]; title?: string }) {
  const { api } = useSession();
  const first = useResource<{ items: ClusterEventItem[]; lastId: number | null }>(
    clusterPath(props.cluster, 'events', { limit: 100 }),
  );
  const [events, setEvents] = useState<ClusterEventItem[]>([]);

  useEffect(() => {
    if (first.data) setEvents(first.data.items);
  }, [first.data]);

  // One tail read at a time: live events come in bursts, and overlapping reads would add the same events twice.
  const newestId = useRef(0);
  const reading = useRef<'idle' | 'busy' | 'again'>('idle');
  useEffect(() => {
    newestId.current = Math.max(newestId.current, events[0]?.id ?? 0);
  }, [events]);
  const tail = useCallback(async () => {
    if (reading.current !== 'idle') {
      reading.current = 'again';
      return;
    }
    reading.current = 'busy';
    try {
      for (;;) {
        try {
          const page = await api.get<{ items: ClusterEventItem[] }>(
            clusterPath(props.cluster, 'events', { afterId: newestId.current, limit: 200 }),
          );
          if (page.items.length > 0) {
            newestId.current = Math.max(newestId.current, ...page.items.map((e) => e.id));
            setEvents((old) => {
              const seen = new Set(old.map((e) => e.id));
              const fresh = page.items.filter((e) => !seen.has(e.id)).sort((a, b) => b.id - a.id);
              return [...fresh, ...old].slice(0, 500);
            });
          }
        } catch {
          // The next live event retries; the panel keeps what it has.
        }
        // (Another live event may have asked for a read meanwhile; TypeScript cannot see that assignment.)
        if ((reading.current as string) !== 'again') break;
        reading.current = 'busy';
      }
    } finally {
      reading.current = 'idle';
    }
  }, [api, props.cluster]);

  useLiveEvents(
    () => void tail(),
    (event) => event.cluster === props.cluster,
  );

  const reasons = props.reasons;
  const shown = reasons ? events.filter((e) => reasons.some((r) => e.reason.startsWith(r))) : events;
  return (
    <>
      <h2>
        {props.title ?? 'Events'} <span className="muted small">newest first, live</span>
      </h2>
      <ErrorBanner error={first.error} />
      {shown.length === 0 ? (
        <Empty title="No events yet" />
      ) : (
        <ul className="events" data-testid={reasons ? 'filtered-events' : 'events'}>
          {shown.map((e) => (
            <li key={e.id} className={e.type === 'Warning' ? 'event-warning' : undefined}>
              <span className="muted nowrap" title={new Date(e.at).toLocaleString()}>
                {ago(e.at)}
              </span>
              <Badge tone={e.type === 'Warning' ? 'warn' : 'neutral'}>{e.reason}</Badge>
              <span>{e.message}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
