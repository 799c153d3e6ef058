/** Sign in with an API token; the role it carries decides which controls are enabled. */
import { type FormEvent, useState } from 'react';
import type { ApiError } from '../api/client.ts';
import { ErrorBanner } from '../components/ErrorBanner.tsx';

/** Renders the sign-in form; `onSignIn` resolves with an error to show, or nothing on success. */
export function SignInPage(props: {
  onSignIn(token: string): Promise<ApiError | undefined>;
  initialError?: ApiError;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | undefined>(props.initialError);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (token.trim() === '') return;
    setBusy(true);
    const failure = await props.onSignIn(token);
    setBusy(false);
    setError(failure);
  };

  return (
    <div className="signin">
      <form className="signin-card" onSubmit={submit}>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          Strata
        </div>
        <p className="muted">Layered cluster profiles and safe updates of live clusters.</p>
        <label className="field">
          <span>API token</span>
          <input
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="Paste a token"
            // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page is paste a token.
            autoFocus
            name="token"
          />
        </label>
        <ErrorBanner error={error} />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || token.trim() === ''}>
          {busy ? <span className="spinner" aria-hidden="true" /> : null}
          Sign in
        </button>
        <p className="hint">
          The admin token is in <code>$STRATA_HOME/admin.token</code> (default <code>~/.strata</code>). Create
          others with <code>strata token create NAME --role viewer|operator|admin</code>.
        </p>
      </form>
    </div>
  );
}
