/** Two or more runs: each curve overlaid (one line per run), and their evaluation metrics side by side. */
import { api } from '../api.ts';
import { Chart, type Line } from '../components/chart.tsx';
import { Status } from '../components/status.tsx';
import { Head } from '../components/tables.tsx';
import { curveGroups } from '../curves.ts';
import { evaluationTables } from '../evaluate.ts';
import { num } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href } from '../router.ts';
import { Metrics, RunView } from '../schemas.ts';

export function Compare({ ids }: { ids: readonly string[] }) {
  const key = ids.join(',');
  const polled = usePoll(
    () =>
      Promise.all(
        ids.map(async (id) => {
          const path = `/v1/runs/${encodeURIComponent(id)}`;
          const [view, metrics] = await Promise.all([api(path, RunView), api(`${path}/metrics`, Metrics)]);
          return { id, view, metrics };
        }),
      ),
    [key],
    (runs) => runs.some((r) => r.view.status === 'running'),
  );
  if (ids.length < 2) return <main><p class="empty">Pick two or more runs in the <a href={href.runs()}>runs list</a> to compare them.</p></main>;
  if (!polled.data) return <main>{polled.error ? <p class="error" role="alert">{polled.error}</p> : <p class="empty">Loading…</p>}</main>;
  const runs = polled.data;

  // One chart per (stage, group) any run has; a line per run and curve.
  const charts = new Map<string, { title: string; lines: Line[] }>();
  for (const r of runs)
    for (const g of curveGroups(r.metrics.series)) {
      const chart = charts.get(g.key) ?? { title: g.title, lines: [] };
      for (const s of g.series) chart.lines.push({ label: `${r.id} ${g.series.length > 1 ? s.name : ''}`.trim(), points: s.points });
      charts.set(g.key, chart);
    }

  // Evaluation: one row per stage and table cell, one column per run.
  const rows = new Map<string, Array<string>>();
  runs.forEach((r, i) => {
    for (const s of r.view.stages)
      for (const t of evaluationTables(s.metrics))
        for (const row of t.rows)
          row.cells.forEach((c, j) => {
            // `eval · news · model` for a by-domain table (its task named when not the usual one), `eval · model · <metric>` for by-task.
            const table = t.title === 'By task' ? '' : `${t.title.replace(/: bits per byte by domain$/, '').replace(/^perplexity$/, '')} `;
            const label = `${s.id} · ${table}${row.label} · ${t.header[j + 1] ?? ''}`;
            const cells = rows.get(label) ?? runs.map(() => '–');
            cells[i] = c.stderr === null ? num(c.value) : `${num(c.value)} ± ${num(c.stderr)}`;
            rows.set(label, cells);
          });
  });

  return (
    <main>
      <header class="page-head">
        <h1>Compare {runs.length} runs</h1>
      </header>
      {polled.error && <p class="error">{polled.error}</p>}
      <table class="data">
        <Head cols={['run', 'status']} />
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <a href={href.run(r.id)}>{r.id}</a>
              </td>
              <td>
                <Status status={r.view.status} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <section>
        <h2>Curves</h2>
        <div class="charts">
          {[...charts].map(([k, c]) => (
            <Chart key={k} name={`compare:${k}`} title={c.title} lines={c.lines} />
          ))}
        </div>
      </section>
      {rows.size > 0 && (
        <section>
          <h2>Evaluation</h2>
          <table class="data">
            <thead>
              <tr>
                <th>metric</th>
                {runs.map((r) => <th key={r.id} class="mono">{r.id}</th>)}
              </tr>
            </thead>
            <tbody>
              {[...rows].map(([label, cells]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  {cells.map((c, i) => <td key={i} class="num">{c}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </main>
  );
}
