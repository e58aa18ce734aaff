/** The runs list: newest first, filtered by recipe, status and schedule, live; pick runs to compare; start one from a recipe. */
import { useState } from 'preact/hooks';
import { api, post } from '../api.ts';
import { Status } from '../components/status.tsx';
import { shortId, time } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href } from '../router.ts';
import { RUN_STATUSES, RunList, type RunSummary } from '../schemas.ts';
import * as z from 'zod/mini';

const FILTERS = ['recipe', 'status', 'schedule'] as const;
const PAGE = 100;

export function Runs({ query }: { query: URLSearchParams }) {
  const params = new URLSearchParams();
  for (const f of [...FILTERS, 'cursor']) {
    const v = query.get(f);
    if (v) params.set(f, v);
  }
  params.set('limit', String(PAGE));
  const qs = params.toString();
  // Always polled: new runs appear, and running ones change status.
  const runs = usePoll(() => api(`/v1/runs?${qs}`, RunList), [qs], () => true);
  const [picked, setPicked] = useState<string[]>([]);
  const setFilter = (name: string, v: string) => {
    const q = new URLSearchParams(query);
    if (v) q.set(name, v);
    else q.delete(name);
    // A new filter starts again from the newest runs.
    if (name !== 'cursor') q.delete('cursor');
    location.hash = href.runs(q);
  };
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));

  return (
    <main>
      <header class="page-head">
        <h1>Runs</h1>
        <a class={`button${picked.length < 2 ? ' disabled' : ''}`} href={picked.length >= 2 ? href.compare(picked) : undefined} aria-disabled={picked.length < 2}>
          Compare {picked.length > 0 ? `(${picked.length})` : ''}
        </a>
      </header>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Recipe <input name="recipe" value={query.get('recipe') ?? ''} onChange={(e) => setFilter('recipe', e.currentTarget.value.trim())} placeholder="any" />
        </label>
        <label>
          Status{' '}
          <select name="status" value={query.get('status') ?? ''} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Schedule <input name="schedule" value={query.get('schedule') ?? ''} onChange={(e) => setFilter('schedule', e.currentTarget.value.trim())} placeholder="any" />
        </label>
      </form>
      {runs.error && <p class="error" role="alert">{runs.error}</p>}
      {runs.data && <RunTable runs={runs.data.runs} picked={picked} toggle={toggle} />}
      <nav class="pages">
        {query.get('cursor') && <a href={href.runs(without(query, 'cursor'))}>← Newest</a>}
        {runs.data?.nextCursor && <button class="secondary" onClick={() => setFilter('cursor', runs.data!.nextCursor!)}>Older runs →</button>}
      </nav>
      <StartRun />
    </main>
  );
}

const without = (q: URLSearchParams, key: string) => {
  const c = new URLSearchParams(q);
  c.delete(key);
  return c;
};

function RunTable({ runs, picked, toggle }: { runs: readonly RunSummary[]; picked: readonly string[]; toggle: (id: string) => void }) {
  if (runs.length === 0) return <p class="empty">No runs match. Start one with <code>braise run recipes/demo.yaml</code> or below.</p>;
  return (
    <table class="data runs">
      <thead>
        <tr>
          <th aria-label="compare" />
          <th>run</th>
          <th>recipe</th>
          <th>status</th>
          <th>schedule</th>
          <th>started</th>
          <th>finished</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId} data-run={r.runId}>
            <td>
              <input type="checkbox" aria-label={`compare ${r.runId}`} checked={picked.includes(r.runId)} onChange={() => toggle(r.runId)} />
            </td>
            <td>
              <a href={href.run(r.runId)} title={r.runId}>{shortId(r.runId, 28)}</a>
            </td>
            <td>{r.recipe}</td>
            <td>
              <Status status={r.status} />
              {r.error && <span class="hint" title={r.error}> {r.error.slice(0, 60)}</span>}
            </td>
            <td>{r.schedule ?? '–'}</td>
            <td>{time(r.createdAt)}</td>
            <td>{time(r.finishedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const Started = z.object({ runId: z.string() });

function StartRun() {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const start = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await post('/v1/runs', Started, { recipe: text });
      location.hash = href.run(r.runId);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <details class="card start">
      <summary>Start a run</summary>
      <form onSubmit={(e) => void start(e)}>
        <textarea name="recipe" rows={12} placeholder="apiVersion: braise/v1 …" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit">Start</button>
        {error && <pre class="error" role="alert">{error}</pre>}
      </form>
    </details>
  );
}
