/** An API error shown as people read it: the sentence, its code, and the details on demand. */
import type { ApiError } from '../api/client.ts';

/** Renders an error (nothing when there is none), with an optional dismiss button. */
export function ErrorBanner(props: { error: ApiError | undefined; onDismiss?: () => void; title?: string }) {
  const { error } = props;
  if (!error) return null;
  const details = Object.keys(error.details).length > 0 ? JSON.stringify(error.details, null, 2) : null;
  return (
    <div className="banner banner-error" role="alert">
      <div className="banner-body">
        <div>
          {props.title ? <strong>{props.title}: </strong> : null}
          {error.message}
        </div>
        <div className="banner-meta">
          <code className="code-chip">{error.code}</code>
          {error.status > 0 ? <span className="muted">HTTP {error.status}</span> : null}
          {details ? (
            <details>
              <summary>details</summary>
              <pre>{details}</pre>
            </details>
          ) : null}
        </div>
      </div>
      {props.onDismiss ? (
        <button type="button" className="icon-button" aria-label="Dismiss" onClick={props.onDismiss}>
          ×
        </button>
      ) : null}
    </div>
  );
}
