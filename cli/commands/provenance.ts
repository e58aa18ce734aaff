/**
 * `braise provenance <datasetArtifactId> <docId>`: which runs, stages and checkpoint windows trained
 * on a document, with its token ranges; through the API when one runs, else embedded (lineage only).
 */
import { withService } from '../connect.ts';
import { EXIT } from '../io.ts';
import { table } from '../render.ts';

const short = (id: string) => (/^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id);

export async function provenanceCommand(artifactId: string, docId: string, opts: { json?: boolean }): Promise<number> {
  return withService({ queues: [], temporal: false }, async (conn) => {
    const result = await conn.service.documentTraining(artifactId, docId);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    if (result.training.length === 0) {
      process.stdout.write(`document "${docId}" of ${artifactId}: no recorded training read it (held out, filtered out, or not trained on yet)\n`);
      return EXIT.ok;
    }
    const rows = [['RUN', 'STAGE', 'STEPS', 'READ FROM', 'TOKEN RANGES', 'MODEL']];
    for (const w of result.training) {
      rows.push([
        w.runId,
        w.stageId,
        `${w.fromStep + 1}-${w.checkpointStep}`,
        short(w.datasetArtifactId),
        w.tokenRanges.map(([s, e]) => `[${s},${e})`).join(' '),
        w.modelArtifactId ? short(w.modelArtifactId) : '-',
      ]);
    }
    process.stdout.write(`training that read document "${docId}" of ${artifactId} (checkpoint windows)\n${table(rows)}\n`);
    return EXIT.ok;
  });
}
