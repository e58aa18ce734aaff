/**
 * A sweep (an ablation run): its cells live, and once it ended its report: the table, the compared
 * metric per cell as a plot (a heat map for a 2-D grid) and, for a scheduled sweep, what regressed
 * against the previous night's report.
 */
import { api } from '../api.ts';
import { Chart } from '../components/chart.tsx';
import { Status } from '../components/status.tsx';
import { Head } from '../components/tables.tsx';
import { num, value } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href } from '../router.ts';
import { Report, type RunView } from '../schemas.ts';

export function Sweep({ view }: { view: RunView }) {
  const cells = view.cells ?? [];
  const done = view.status === 'completed' || view.status === 'failed';
  const path = `/v1/runs/${encodeURIComponent(view.runId)}/report`;
  const report = usePoll(() => (done && view.report ? api(path, Report) : Promise.resolve(null)), [path, done, view.report ?? ''], () => false);
  const r = report.data?.report;
  const paths = r?.paths ?? [...new Set(cells.flatMap((c) => Object.keys(c.values)))];
  return (
    <section>
      <h2>Sweep</h2>
      {r?.compare && (
        <p>
          Compared on <code>{r.compare.metric}</code> ({r.compare.goal}); best: {r.best ? <a href={href.run(r.best.runId)}>cell {r.best.index} ({num(r.best.metric)})</a> : 'none'}
        </p>
      )}
      <table class="data">
        <thead>
          <tr>
            <th>cell</th>
            {paths.map((p) => <th key={p}>{p}</th>)}
            <th>status</th>
            <th>{r?.compare?.metric ?? 'metric'}</th>
            {r?.baseline && <th>vs baseline</th>}
          </tr>
        </thead>
        <tbody>
          {cells.map((c) => {
            const rc = r?.cells.find((x) => x.index === c.index);
            return (
              <tr key={c.index} class={r?.best?.index === c.index ? 'best' : ''}>
                <th scope="row">
                  <a href={href.run(c.runId)}>{c.index}</a>
                </th>
                {paths.map((p) => <td key={p}>{value(c.values[p])}</td>)}
                <td>
                  <Status status={c.status} />
                </td>
                <td class="num">{num(rc?.metric ?? c.metric)}</td>
                {r?.baseline && <td class="num">{rc?.vsBaseline === null || rc?.vsBaseline === undefined ? '–' : `${(rc.vsBaseline * 100).toFixed(1)}%`}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
      {report.error && <p class="error">{report.error}</p>}
      {r && <SweepPlot report={report.data!} />}
      {r?.previous && (
        <>
          <h3>Regressions against the previous report</h3>
          <p class="hint">
            Previous: <a href={href.run(r.previous.runId)}>{r.previous.runId}</a> (threshold {(r.regressionThreshold * 100).toFixed(1)}%)
          </p>
          {r.regressions && r.regressions.length > 0 ? (
            <table class="data">
              <Head cols={['cell', 'values', 'previous', 'now', 'change']} />
              <tbody>
                {r.regressions.map((g) => (
                  <tr key={g.index} class="regressed">
                    <th scope="row">{g.index}</th>
                    <td>{Object.entries(g.values).map(([k, v]) => `${k}=${value(v)}`).join(', ')}</td>
                    <td class="num">{num(g.previous)}</td>
                    <td class="num">{num(g.metric)}</td>
                    <td class="num">{g.change === null ? '–' : `${(g.change * 100).toFixed(1)}%`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p>No regressions.</p>
          )}
        </>
      )}
    </section>
  );
}

/** 1-D: the metric against the swept value (or the cell index); 2-D: a heat map. */
function SweepPlot({ report }: { report: Report }) {
  const r = report.report;
  const cells = r.cells.filter((c) => c.metric !== null);
  if (!r.compare || cells.length === 0) return null;
  if (r.paths.length === 2) return <HeatMap report={report} />;
  const path = r.paths[0];
  const numeric = path !== undefined && r.paths.length === 1 && cells.every((c) => typeof c.values[path] === 'number');
  const points = cells
    .map((c): [number, number] => [numeric && path !== undefined ? Number(c.values[path]) : c.index, c.metric!])
    .sort((a, b) => a[0] - b[0]);
  return <Chart name="sweep" title={`${r.compare.metric} per cell`} xLabel={numeric && path ? path : 'cell'} lines={[{ label: r.compare.metric, points }]} />;
}

function HeatMap({ report }: { report: Report }) {
  const r = report.report;
  const [px, py] = r.paths as [string, string];
  const xs = [...new Set(r.cells.map((c) => value(c.values[px])))];
  const ys = [...new Set(r.cells.map((c) => value(c.values[py])))];
  const metrics = r.cells.flatMap((c) => (c.metric === null ? [] : [c.metric]));
  const lo = Math.min(...metrics);
  const hi = Math.max(...metrics);
  const good = (m: number) => {
    const t = hi === lo ? 0.5 : (m - lo) / (hi - lo);
    return r.compare?.goal === 'minimize' ? 1 - t : t;
  };
  return (
    <table class="data heatmap" data-heatmap>
      <caption>{r.compare?.metric} (greener is better)</caption>
      <thead>
        <tr>
          <th>{py} \ {px}</th>
          {xs.map((x) => <th key={x}>{x}</th>)}
        </tr>
      </thead>
      <tbody>
        {ys.map((y) => (
          <tr key={y}>
            <th scope="row">{y}</th>
            {xs.map((x) => {
              const c = r.cells.find((c) => value(c.values[px]) === x && value(c.values[py]) === y);
              const m = c?.metric ?? null;
              const style = m === null ? undefined : { background: `hsl(${Math.round(good(m) * 120)}, 70%, 80%)` };
              return (
                <td key={x} class="num" style={style}>
                  {c ? <a href={href.run(c.runId)}>{num(m)}</a> : '–'}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
