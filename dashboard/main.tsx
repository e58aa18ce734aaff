/**
 * The Braise dashboard: runs, a run, compare, an artifact; a login page that takes an API token.
 * Built by infra/dashboard-build.ts (esbuild) and served by the API at `/`; it reads only `/v1`.
 */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { setUnauthorizedHandler, token } from './api.ts';
import { ArtifactPage } from './pages/artifact.tsx';
import { Compare } from './pages/compare.tsx';
import { Login } from './pages/login.tsx';
import { Run } from './pages/run.tsx';
import { Runs } from './pages/runs.tsx';
import { href, useRoute, type Route } from './router.ts';
import './style.css';

const toLogin = () => {
  if (!location.hash.startsWith('#/login')) location.hash = `#/login?next=${encodeURIComponent(location.hash || '#/')}`;
};

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'login':
      return <Login next={route.next} />;
    case 'runs':
      return <Runs query={route.query} />;
    case 'run':
      return <Run key={route.id} id={route.id} />;
    case 'compare':
      return <Compare ids={route.ids} />;
    case 'artifact':
      return <ArtifactPage key={route.id} id={route.id} />;
  }
}

function App() {
  const route = useRoute();
  const signedIn = token.get() !== null;
  useEffect(() => {
    if (!signedIn && route.page !== 'login') toLogin();
  }, [signedIn, route.page]);
  if (!signedIn && route.page !== 'login') return null;
  return (
    <>
      {route.page !== 'login' && (
        <nav class="top">
          <a class="brand" href={href.runs()}>Braise</a>
          <a href={href.runs()}>Runs</a>
          <span class="spacer" />
          <button
            class="link"
            onClick={() => {
              token.clear();
              toLogin();
            }}
          >
            Sign out
          </button>
        </nav>
      )}
      <Page route={route} />
    </>
  );
}

setUnauthorizedHandler(toLogin);
render(<App />, document.getElementById('app')!);
