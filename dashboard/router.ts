/** Hash routes (`#/runs/<id>`): the server serves one page, and a link never carries the token. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'login'; next: string }
  | { page: 'runs'; query: URLSearchParams }
  | { page: 'run'; id: string }
  | { page: 'compare'; ids: string[] }
  | { page: 'artifact'; id: string };

/** The route a location hash names; anything unknown is the runs list. */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'login') return { page: 'login', next: query.get('next') ?? '#/' };
  if (parts[0] === 'runs' && parts[1]) return { page: 'run', id: parts[1] };
  if (parts[0] === 'compare') return { page: 'compare', ids: (query.get('runs') ?? '').split(',').filter(Boolean) };
  if (parts[0] === 'artifacts' && parts[1]) return { page: 'artifact', id: parts[1] };
  return { page: 'runs', query };
}

export const href = {
  runs: (q?: URLSearchParams) => `#/${q && q.size > 0 ? `?${q.toString()}` : ''}`,
  run: (id: string) => `#/runs/${encodeURIComponent(id)}`,
  compare: (ids: readonly string[]) => `#/compare?runs=${ids.map(encodeURIComponent).join(',')}`,
  artifact: (id: string) => `#/artifacts/${encodeURIComponent(id)}`,
};

/** The current route, following `hashchange`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
