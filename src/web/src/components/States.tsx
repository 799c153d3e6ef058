/** The in-between states of a screen: loading, empty, and a progress line for long actions. */
import type { ReactNode } from 'react';

/** A centred spinner with a label, for content still loading. */
export function Loading(props: { label?: string }) {
  return (
    <div className="state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </div>
  );
}

/** An empty state: what is missing, and what to do about it. */
export function Empty(props: { title: string; children?: ReactNode }) {
  return (
    <div className="state-empty">
      <div className="state-empty-title">{props.title}</div>
      {props.children ? <div className="state-empty-body">{props.children}</div> : null}
    </div>
  );
}

/** A determinate (value/max) or indeterminate progress bar with a label. */
export function Progress(props: { label: string; value?: number; max?: number }) {
  const pct =
    props.value !== undefined && props.max ? Math.round((props.value / props.max) * 100) : undefined;
  return (
    <div className="progress" role="progressbar" aria-label={props.label} aria-valuenow={pct}>
      <div className="progress-label">
        {props.label}
        {pct !== undefined ? <span className="muted"> {pct}%</span> : null}
      </div>
      <div className={`progress-track${pct === undefined ? ' progress-indeterminate' : ''}`}>
        <div className="progress-fill" style={pct !== undefined ? { width: `${pct}%` } : undefined} />
      </div>
    </div>
  );
}
