/** `braise lineage <artifactId>`: everything upstream of an artifact (or downstream with --down). */
import { NotFoundError } from '../../api/service.ts';
import { connect } from '../connect.ts';
import { EXIT, say } from '../io.ts';
import { table } from '../render.ts';

export async function lineageCommand(artifactId: string, opts: { json?: boolean; down?: boolean }): Promise<number> {
  const conn = await connect({ queues: [], temporal: false });
  try {
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
  } catch (err) {
    if (err instanceof NotFoundError) {
      say(err.message);
      return EXIT.notFound;
    }
    throw err;
  } finally {
    await conn.close();
  }
}
