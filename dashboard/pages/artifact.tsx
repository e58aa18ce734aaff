/**
 * An artifact: its metadata, its lineage up and down as a graph (which stages made and used it), and for
 * a dataset, which checkpoints saw a given document (provenance).
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Graph, type DrawnNode } from '../components/graph.tsx';
import { Head, KeyValues } from '../components/tables.tsx';
import { bytes, shortId, time } from '../format.ts';
import { lineageGraph } from '../lineage.ts';
import { usePoll } from '../poll.ts';
import { href } from '../router.ts';
import { DocumentTraining, Lineage, RunView, type LineageEntry } from '../schemas.ts';

export function ArtifactPage({ id }: { id: string }) {
  const path = `/v1/artifacts/${encodeURIComponent(id)}`;
  const polled = usePoll(
    async () => {
      const [up, down] = await Promise.all([api(`${path}/lineage?direction=up`, Lineage), api(`${path}/lineage?direction=down`, Lineage)]);
      const entries = [...(up.upstream ?? []), ...(down.downstream ?? [])];
      const runIds = [...new Set(entries.flatMap((e) => (e.producedBy ? [e.producedBy.runId] : [])))];
      const views = new Map(await Promise.all(runIds.map(async (r) => [r, await api(`/v1/runs/${encodeURIComponent(r)}`, RunView)] as const)));
      return { artifact: up.artifact, upstream: up.upstream ?? [], downstream: down.downstream ?? [], views };
    },
    [path],
    () => false,
  );
  if (!polled.data) return <main>{polled.error ? <p class="error" role="alert">{polled.error}</p> : <p class="empty">Loading…</p>}</main>;
  const { artifact, upstream, downstream, views } = polled.data;
  const graph = lineageGraph(artifact.id, upstream, downstream, views);
  // Artifacts that a stage made name it in their meta (`stage`); the walk answers only for the others.
  const ownStage = typeof artifact.meta['stage'] === 'string' ? `${artifact.meta['stage']} · ` : '';
  const nodes: DrawnNode[] = graph.map((n) => ({
    id: n.id,
    inputs: n.inputs,
    column: n.column,
    title: n.entry?.producedBy ? `${n.entry.producedBy.stageId} (${n.entry.producedBy.kind})` : n.entry ? shortId(n.id) : `${ownStage}this artifact`,
    subtitle: `${n.entry?.artifact.kind ?? artifact.kind} · ${shortId(n.id, 10)}`,
    tone: n.entry?.artifact.kind ?? artifact.kind,
    focus: n.entry === null,
    ...(n.entry && { href: href.artifact(n.id) }),
  }));

  return (
    <main>
      <header class="page-head">
        <h1>
          Artifact <span class="mono">{shortId(artifact.id, 16)}</span> <span class={`tag tone-${artifact.kind}`}>{artifact.kind}</span>
        </h1>
      </header>
      <KeyValues entries={[['id', artifact.id], ['kind', artifact.kind], ['uri', artifact.uri], ['size', bytes(artifact.bytes)], ['created', time(artifact.createdAt)], ...Object.entries(artifact.meta).map(([k, v]) => [`meta.${k}`, v] as const)]} />
      <section>
        <h2>Lineage</h2>
        <p class="hint">Left: what it was made from ({upstream.length}); right: what was made from it ({downstream.length}). Each box names the stage that made it.</p>
        <div class="scroll" data-lineage>
          <Graph label="lineage graph" nodes={nodes} />
        </div>
        <LineageTable title="Made from" entries={upstream} />
        <LineageTable title="Used by" entries={downstream} />
      </section>
      {artifact.kind === 'dataset' && <Provenance id={artifact.id} />}
    </main>
  );
}

function LineageTable({ title, entries }: { title: string; entries: readonly LineageEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <table class="data">
      <caption>{title}</caption>
      <Head cols={['depth', 'artifact', 'kind', 'made by']} />
      <tbody>
        {entries.map((e) => (
          <tr key={e.artifact.id}>
            <td class="num">{e.depth}</td>
            <td>
              <a class="mono" href={href.artifact(e.artifact.id)}>{shortId(e.artifact.id, 16)}</a>
            </td>
            <td>{e.artifact.kind}</td>
            <td>{e.producedBy ? <a href={href.run(e.producedBy.runId)}>{`${e.producedBy.stageId} (${e.producedBy.kind}) in ${shortId(e.producedBy.runId, 20)}`}</a> : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Which checkpoints saw one document of this dataset. */
function Provenance({ id }: { id: string }) {
  const [doc, setDoc] = useState('');
  const [result, setResult] = useState<DocumentTraining | null>(null);
  const [error, setError] = useState<string | null>(null);
  const look = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setResult(await api(`/v1/artifacts/${encodeURIComponent(id)}/documents/${encodeURIComponent(doc.trim())}/training`, DocumentTraining));
    } catch (err) {
      setResult(null);
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section>
      <h2>Which checkpoints saw a document</h2>
      <form class="filters" onSubmit={(e) => void look(e)}>
        <label>
          Document id <input name="doc" value={doc} onInput={(e) => setDoc(e.currentTarget.value)} required />
        </label>
        <button type="submit">Look up</button>
      </form>
      {error && <p class="error">{error}</p>}
      {result && result.training.length === 0 && <p>No recorded training read it.</p>}
      {result && result.training.length > 0 && (
        <table class="data">
          <Head cols={['run', 'stage', 'steps', 'token ranges', 'model']} />
          <tbody>
            {result.training.map((w, i) => (
              <tr key={i}>
                <td>
                  <a href={href.run(w.runId)}>{shortId(w.runId, 20)}</a>
                </td>
                <td>{w.stageId}</td>
                <td class="num">
                  {w.fromStep + 1}–{w.checkpointStep}
                </td>
                <td>{w.tokenRanges.map(([a, b]) => `[${a}, ${b})`).join(' ')}</td>
                <td>{w.modelArtifactId ? <a href={href.artifact(w.modelArtifactId)}>{shortId(w.modelArtifactId)}</a> : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
