/**
 * A run: its stage DAG and table (status, attempts, duration, cache state, live progress), a chart per
 * training stage's curves, the evaluation tables, a failed or paused stage's error with Resume, the
 * sweep's cells and report, and links to the Temporal UI and each artifact. Live (2 s) until it ends.
 */
import { useState } from 'preact/hooks';
import * as z from 'zod/mini';
import { api, post } from '../api.ts';
import { Chart } from '../components/chart.tsx';
import { Graph, type DrawnNode } from '../components/graph.tsx';
import { isLive, Status } from '../components/status.tsx';
import { EvalTable, Head } from '../components/tables.tsx';
import { curveGroups } from '../curves.ts';
import { evaluationTables } from '../evaluate.ts';
import { duration, num, shortId } from '../format.ts';
import { usePoll } from '../poll.ts';
import { href } from '../router.ts';
import { Metrics, RunView, type Stage } from '../schemas.ts';
import { Sweep } from './sweep.tsx';

const ended = (v: RunView) => v.status === 'completed' || v.status === 'failed' || v.status === 'cancelled';

export function Run({ id }: { id: string }) {
  const path = `/v1/runs/${encodeURIComponent(id)}`;
  // The view and its curves are read together, so a run that just ended shows its last points too.
  const polled = usePoll(
    async () => {
      const [view, metrics] = await Promise.all([api(path, RunView), api(`${path}/metrics`, Metrics)]);
      return { view, metrics };
    },
    [path],
    // A paused run is polled too: a resume from the CLI or another page shows up here.
    (d) => !ended(d.view),
  );
  if (!polled.data) return <main>{polled.error ? <p class="error" role="alert">{polled.error}</p> : <p class="empty">Loading…</p>}</main>;
  const { view, metrics } = polled.data;
  const evaluations = view.stages.flatMap((s) => {
    const tables = evaluationTables(s.metrics);
    return tables.length > 0 ? [{ stage: s.id, tables }] : [];
  });

  return (
    <main data-run-status={view.status}>
      <header class="page-head">
        <h1>
          Run <span class="mono">{view.runId}</span> <Status status={view.status} />
        </h1>
        <nav class="links">
          <a href={view.temporalUiUrl} target="_blank" rel="noreferrer">Temporal UI history ↗</a>
          {view.parent && <a href={href.run(view.parent.runId)}>parent run{view.parent.cell !== undefined ? ` (cell ${view.parent.cell})` : ''}</a>}
        </nav>
      </header>
      {polled.error && <p class="error" role="alert">{polled.error}</p>}
      {view.noCache && <p class="hint">Started with --no-cache: every stage recomputed.</p>}
      <Actions view={view} reload={polled.reload} />

      {view.stages.length > 0 && (
        <section>
          <h2>Stages</h2>
          <div class="scroll">
            <Graph label="stage DAG" nodes={view.stages.map(stageNode)} />
          </div>
          <StageTable stages={view.stages} />
        </section>
      )}

      {metrics.series.length > 0 && (
        <section>
          <h2>Curves</h2>
          <div class="charts">
            {curveGroups(metrics.series).map((g) => (
              <Chart key={g.key} name={g.key} title={g.title} lines={g.series.map((s) => ({ label: s.name, points: s.points }))} />
            ))}
          </div>
        </section>
      )}

      {evaluations.length > 0 && (
        <section>
          <h2>Evaluation</h2>
          {evaluations.map((e) => (
            <div key={e.stage} data-evaluation={e.stage}>
              <h3>{e.stage}</h3>
              <div class="evals">
                {e.tables.map((t) => (
                  <EvalTable key={t.title} table={t} />
                ))}
              </div>
            </div>
          ))}
        </section>
      )}

      {view.cells && <Sweep view={view} />}
    </main>
  );
}

function stageNode(s: Stage): DrawnNode {
  const state = s.status === 'running' && s.progress ? `${s.progress.step}/${s.progress.totalSteps}` : s.status === 'cached' ? 'cached' : duration(s.durationMs);
  return { id: s.id, inputs: s.inputs ?? [], title: s.id, subtitle: `${s.kind} · ${state}`, tone: s.status };
}

function cacheState(s: Stage) {
  if (s.status === 'cached') return s.cachedFrom ? <a href={href.run(s.cachedFrom.runId)}>cached from {shortId(s.cachedFrom.runId, 20)}</a> : 'cached';
  if (s.waitingOn) return <a href={href.run(s.waitingOn.runId)}>waiting on {shortId(s.waitingOn.runId, 20)}</a>;
  return s.status === 'completed' ? 'computed' : '–';
}

function StageTable({ stages }: { stages: readonly Stage[] }) {
  return (
    <table class="data stages">
      <Head cols={['stage', 'kind', 'status', 'attempts', 'duration', 'cache', 'progress', 'outputs']} />
      <tbody>
        {stages.map((s) => (
          <tr key={s.id} data-stage={s.id}>
            <th scope="row">{s.id}</th>
            <td>{s.kind}</td>
            <td>
              <Status status={s.status} />
            </td>
            <td class="num">{s.attempts}</td>
            <td class="num">{duration(s.durationMs)}</td>
            <td>{cacheState(s)}</td>
            <td>{s.progress ? <Progress {...s.progress} /> : '–'}</td>
            <td>
              {s.outputs.map((o) => (
                <a key={o.artifactId} class="artifact-link" href={href.artifact(o.artifactId)} title={o.artifactId}>
                  {o.port} ({o.kind})
                </a>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Progress({ step, totalSteps, loss }: { step: number; totalSteps: number; loss: number | null }) {
  return (
    <span class="progress">
      <progress max={totalSteps} value={step} /> {step}/{totalSteps}
      {loss !== null && ` · loss ${num(loss, 3)}`}
    </span>
  );
}

const Resumed = z.object({ runId: z.string() });
const Cancelled = z.object({ runId: z.string() });

/** A failed or paused stage's error, with Resume; Cancel while it runs. */
function Actions({ view, reload }: { view: RunView; reload: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: 'resume' | 'cancel') => {
    setBusy(true);
    setError(null);
    try {
      const path = `/v1/runs/${encodeURIComponent(view.runId)}/${what}`;
      const r = what === 'resume' ? await post(path, Resumed, {}) : await post(path, Cancelled, {});
      if (r.runId !== view.runId) location.hash = href.run(r.runId);
      else reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const failed = view.stages.filter((s) => (s.status === 'failed' || s.status === 'paused') && s.error);
  const canResume = view.status === 'paused' || view.status === 'failed' || view.status === 'cancelled';
  return (
    <>
      {(view.error || failed.length > 0) && (
        <div class="card failure" role="alert">
          {view.error && <p><strong>Run:</strong> {view.error}</p>}
          {failed.map((s) => (
            <p key={s.id}>
              <strong>{s.id}</strong> ({s.status}): <code>{s.error}</code>
            </p>
          ))}
        </div>
      )}
      <div class="actions">
        {canResume && <button disabled={busy} onClick={() => void act('resume')}>Resume</button>}
        {isLive(view.status) && <button class="secondary" disabled={busy} onClick={() => void act('cancel')}>Cancel</button>}
        {error && <span class="error">{error}</span>}
      </div>
    </>
  );
}
