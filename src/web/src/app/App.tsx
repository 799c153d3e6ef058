/**
 * The console shell: sign-in until a token is accepted, then the navigation rail, the header with who is signed
 * in and whether updates are live, and the routed page.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient, type ApiError, asApiError } from '../api/client.ts';
import type { Identity } from '../api/types.ts';
import { Loading } from '../components/States.tsx';
import { LiveEventsProvider, useLiveState } from '../live/live-events.tsx';
import { ClustersPage } from '../pages/ClustersPage.tsx';
import { ProfilesPage } from '../pages/ProfilesPage.tsx';
import { SignInPage } from '../pages/SignInPage.tsx';
import { href, navigate, type Route, useRoute } from './router.ts';
import { identify, rememberedToken, rememberToken, type Session, SessionProvider } from './session.tsx';

// The pages with editors (CodeMirror, the YAML parser) load on first use, so the sign-in and the clusters list —
// the first screens — come up without them.
const ClusterPage = lazy(() => import('../pages/ClusterPage.tsx').then((m) => ({ default: m.ClusterPage })));
const PacksPage = lazy(() => import('../pages/PacksPage.tsx').then((m) => ({ default: m.PacksPage })));
const ProfilePage = lazy(() => import('../pages/ProfilePage.tsx').then((m) => ({ default: m.ProfilePage })));
const ProfileVersionPage = lazy(() =>
  import('../pages/ProfileVersionPage.tsx').then((m) => ({ default: m.ProfileVersionPage })),
);
const RolloutsPage = lazy(() =>
  import('../pages/RolloutsPage.tsx').then((m) => ({ default: m.RolloutsPage })),
);

type Boot =
  | { state: 'checking' }
  | { state: 'signed-out'; error?: ApiError }
  | { state: 'signed-in'; session: Session };

/** The root component. */
export function App() {
  const [boot, setBoot] = useState<Boot>(() =>
    rememberedToken() ? { state: 'checking' } : { state: 'signed-out' },
  );

  const signOut = useCallback(() => {
    rememberToken(null);
    setBoot({ state: 'signed-out' });
  }, []);

  const signIn = useCallback(
    async (token: string): Promise<ApiError | undefined> => {
      const api = new ApiClient(token.trim());
      try {
        const identity: Identity = await identify(api);
        rememberToken(api.token);
        setBoot({ state: 'signed-in', session: { api, identity, signOut } });
        return undefined;
      } catch (error) {
        return asApiError(error);
      }
    },
    [signOut],
  );

  useEffect(() => {
    if (boot.state !== 'checking') return;
    const token = rememberedToken();
    if (!token) {
      setBoot({ state: 'signed-out' });
      return;
    }
    void signIn(token).then((error) => {
      if (error) {
        rememberToken(null);
        setBoot({ state: 'signed-out', error });
      }
    });
  }, [boot.state, signIn]);

  if (boot.state === 'checking') return <Loading label="Signing in…" />;
  if (boot.state === 'signed-out') return <SignInPage onSignIn={signIn} initialError={boot.error} />;
  return (
    <SessionProvider session={boot.session}>
      <LiveEventsProvider api={boot.session.api}>
        <Shell session={boot.session} />
      </LiveEventsProvider>
    </SessionProvider>
  );
}

const NAV = [
  { id: 'clusters', label: 'Clusters', key: 'c' },
  { id: 'profiles', label: 'Profiles', key: 'p' },
  { id: 'packs', label: 'Packs', key: 'k' },
  { id: 'rollouts', label: 'Rollouts', key: 'r' },
] as const;

function Shell(props: { session: Session }) {
  const route = useRoute();
  const live = useLiveState();
  const section = route.segments[0] ?? 'clusters';

  useEffect(() => {
    // `g` then a letter jumps between sections and `/` focuses the search, as in many consoles; ignored while
    // typing.
    let armed = false;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, .cm-editor') || e.metaKey || e.ctrlKey || e.altKey)
        return;
      if (e.key === '/') {
        // `/` focuses the page's search box, when it has one.
        const search = document.querySelector<HTMLElement>('[data-hotkey="/"]');
        if (search) {
          e.preventDefault();
          search.focus();
        }
        armed = false;
        return;
      }
      if (e.key === 'g') {
        armed = true;
        return;
      }
      if (armed) {
        const item = NAV.find((n) => n.key === e.key);
        if (item) navigate([item.id]);
      }
      armed = false;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="shell">
      <aside className="rail">
        <a className="brand" href={href(['clusters'])}>
          <span className="brand-mark" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          Strata
        </a>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a
              key={item.id}
              href={href([item.id])}
              className={`rail-link${section === item.id ? ' rail-link-active' : ''}`}
              aria-current={section === item.id ? 'page' : undefined}
              title={`${item.label} (g ${item.key})`}
            >
              {item.label}
            </a>
          ))}
        </nav>
        <div className="rail-foot">
          <div className={`live live-${live}`} title="Live updates over server-sent events">
            <span className="dot" aria-hidden="true" />
            {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Offline'}
          </div>
          <div className="whoami">
            <div className="whoami-name">{props.session.identity.name}</div>
            <div className="whoami-role">{props.session.identity.role}</div>
          </div>
          <button type="button" className="btn btn-ghost btn-small" onClick={props.session.signOut}>
            Sign out
          </button>
        </div>
      </aside>
      <main className="main">
        <Suspense fallback={<Loading label="Loading…" />}>
          <Page route={route} />
        </Suspense>
      </main>
    </div>
  );
}

function Page(props: { route: Route }) {
  const [section, a, b, c, d] = props.route.segments;
  const key = useMemo(() => props.route.segments.slice(0, 2).join('/'), [props.route.segments]);
  switch (section) {
    case undefined:
    case 'clusters':
      if (a) return <ClusterPage key={key} name={a} tab={b ?? 'overview'} />;
      return <ClustersPage query={props.route.query} />;
    case 'profiles':
      if (a && b === 'versions' && c)
        return <ProfileVersionPage key={`${a}@${c}`} name={a} version={c} tab={d ?? 'layers'} />;
      if (a) return <ProfilePage key={a} name={a} />;
      return <ProfilesPage />;
    case 'packs':
      return <PacksPage selected={a} />;
    case 'rollouts':
      return <RolloutsPage selected={a} />;
    default:
      return (
        <div className="page">
          <h1>Not found</h1>
          <p>
            There is no page at <code>{props.route.segments.join('/')}</code>.{' '}
            <a href={href(['clusters'])}>Go to clusters</a>.
          </p>
        </div>
      );
  }
}
