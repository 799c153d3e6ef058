/** Small status marks: phases, health and the notices a cluster row carries (update available, drift, …). */
import type { ReactNode } from 'react';
import type { ClusterPhase } from '../api/types.ts';

const PHASE_TONE: Record<ClusterPhase, string> = {
  Pending: 'neutral',
  Provisioning: 'info',
  Running: 'ok',
  Updating: 'info',
  Deleting: 'warn',
  Deleted: 'neutral',
  Unknown: 'warn',
};

const HEALTH_TONE: Record<string, string> = {
  Healthy: 'ok',
  Degraded: 'warn',
  Unhealthy: 'bad',
  Unknown: 'neutral',
};

/** A coloured label. */
export function Badge(props: {
  tone?: 'ok' | 'info' | 'warn' | 'bad' | 'neutral' | 'accent';
  title?: string;
  children: ReactNode;
}) {
  return (
    <span className={`badge badge-${props.tone ?? 'neutral'}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** A cluster phase with a dot; moving phases pulse. */
export function PhaseBadge(props: { phase: ClusterPhase }) {
  const tone = PHASE_TONE[props.phase] ?? 'neutral';
  const moving = props.phase === 'Provisioning' || props.phase === 'Updating' || props.phase === 'Deleting';
  return (
    <span className={`phase phase-${tone}${moving ? ' phase-moving' : ''}`}>
      <span className="dot" aria-hidden="true" />
      {props.phase}
    </span>
  );
}

/** A cluster's health. */
export function HealthBadge(props: { health: string }) {
  return <Badge tone={(HEALTH_TONE[props.health] ?? 'neutral') as 'ok'}>{props.health}</Badge>;
}
