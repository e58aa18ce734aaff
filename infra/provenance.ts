/**
 * The service side of document provenance: checks that the dataset and the document exist, then
 * asks lineage for the training windows that read the document from that dataset or from any
 * dataset derived from it (filter, mix and dedup keep document ids, so a document named in the
 * ingest output is found where a pretrain stage read it from the filter's `kept` output).
 */
import { NotFoundError, type DocumentTraining } from '../service/contract.ts';
import type { ArtifactStore } from '../datasets/artifact-store.ts';
import { readDataset } from '../datasets/dataset.ts';
import type { LineageStore } from './db/lineage.ts';

async function holds(store: ArtifactStore, datasetId: string, docId: string): Promise<boolean> {
  for await (const doc of readDataset(store, datasetId)) if (doc.id === docId) return true;
  return false;
}

export async function documentTraining(lineage: LineageStore, store: ArtifactStore, artifactId: string, docId: string): Promise<DocumentTraining> {
  const artifact = await lineage.getArtifact(artifactId);
  if (!artifact) throw new NotFoundError(`no artifact "${artifactId}"`);
  if (artifact.kind !== 'dataset') throw new NotFoundError(`artifact "${artifactId}" is a ${artifact.kind}, not a dataset: it holds no documents`);
  if (!(await holds(store, artifactId, docId))) throw new NotFoundError(`dataset "${artifactId}" has no document "${docId}"`);
  const derived = (await lineage.downstream(artifactId)).filter((n) => n.artifact.kind === 'dataset').map((n) => n.artifact.id);
  const training = await lineage.documentTraining([artifactId, ...derived], docId);
  return { artifactId, docId, training };
}
