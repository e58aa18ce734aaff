/** `braise lineage <artifactId>`: everything upstream of an artifact, down to its source datasets. */
import { openRuntime } from '../../infra/runtime.ts';
import { EXIT, say } from '../io.ts';
import { table } from '../render.ts';

export async function lineageCommand(artifactId: string, opts: { json?: boolean; down?: boolean }): Promise<number> {
  const rt = await openRuntime({ temporal: false, log: say });
  try {
    const artifact = await rt.lineage.getArtifact(artifactId);
    if (!artifact) {
      say(`no artifact "${artifactId}" in lineage`);
      return EXIT.notFound;
    }
    const nodes = opts.down ? await rt.lineage.downstream(artifactId) : await rt.lineage.upstream(artifactId);
    const key = opts.down ? 'downstream' : 'upstream';
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ artifact, [key]: nodes.map((n) => ({ artifact: n.artifact, producedBy: n.producedBy, depth: n.depth })) }, null, 2)}\n`);
    } else {
      const rows = [['DEPTH', 'ARTIFACT', 'KIND', 'PRODUCED BY (run / stage / kind)']];
      rows.push(['0', artifact.id, artifact.kind, '']);
      for (const n of nodes) {
        const by = n.producedBy ? `${n.producedBy.runId} / ${n.producedBy.stageId} / ${n.producedBy.kind}` : '-';
        rows.push([String(n.depth), n.artifact.id, n.artifact.kind, by]);
      }
      process.stdout.write(`${key} of ${artifactId}\n${table(rows)}\n`);
    }
    return EXIT.ok;
  } finally {
    await rt.close();
  }
}
