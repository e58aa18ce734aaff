/** `braise lineage <artifactId>`: everything upstream of an artifact (or downstream with --down). */
import { withService } from '../connect.ts';
import { EXIT } from '../io.ts';
import { table } from '../render.ts';

export async function lineageCommand(artifactId: string, opts: { json?: boolean; down?: boolean }): Promise<number> {
  return withService({ queues: [], temporal: false }, async (conn) => {
    const result = await conn.service.lineage(artifactId, opts.down ? 'down' : 'up');
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    const nodes = (opts.down ? result.downstream : result.upstream) ?? [];
    const rows = [['DEPTH', 'ARTIFACT', 'KIND', 'PRODUCED BY (run / stage / kind)'], ['0', result.artifact.id, result.artifact.kind, '']];
    for (const n of nodes) {
      const by = n.producedBy ? `${n.producedBy.runId} / ${n.producedBy.stageId} / ${n.producedBy.kind}` : '-';
      rows.push([String(n.depth), n.artifact.id, n.artifact.kind, by]);
    }
    process.stdout.write(`${opts.down ? 'downstream' : 'upstream'} of ${artifactId}\n${table(rows)}\n`);
    return EXIT.ok;
  });
}
