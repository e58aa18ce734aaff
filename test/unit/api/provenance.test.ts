import { describe, expect, it } from 'vitest';
import { artifact, errorOf, setup } from './fakes.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const window = { runId: 'run-1', stageId: 'base', datasetArtifactId: B, fromStep: 10, checkpointStep: 20, tokenRanges: [[0, 33]] as Array<[number, number]>, modelArtifactId: null };

describe('GET /v1/artifacts/:id/documents/:docId/training', () => {
  it('answers the windows that read the document; a document id may hold a slash (URL-encoded)', async () => {
    const { call, service } = setup();
    service.artifacts.set(A, artifact(A));
    service.documents.set(A, new Map([['brown/cm01', [window]], ['held-out', []]]));
    const res = await call(`/v1/artifacts/${A}/documents/${encodeURIComponent('brown/cm01')}/training`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ artifactId: A, docId: 'brown/cm01', training: [window] });
    const empty = await call(`/v1/artifacts/${A}/documents/held-out/training`);
    expect(await empty.json()).toEqual({ artifactId: A, docId: 'held-out', training: [] });
  });

  it('is 404 in the shared error shape for an unknown artifact or document', async () => {
    const { call, service } = setup();
    service.artifacts.set(A, artifact(A));
    service.documents.set(A, new Map());
    const noArtifact = await call(`/v1/artifacts/${B}/documents/x/training`);
    expect(noArtifact.status).toBe(404);
    expect((await errorOf(noArtifact)).message).toContain(B);
    const noDoc = await call(`/v1/artifacts/${A}/documents/nope/training`);
    expect(noDoc.status).toBe(404);
    expect((await errorOf(noDoc)).message).toBe(`dataset "${A}" has no document "nope"`);
  });

  it('needs a token and is documented with an operationId and its schema', async () => {
    const { call } = setup();
    expect((await call(`/v1/artifacts/${A}/documents/x/training`, { token: null })).status).toBe(401);
    const doc = (await (await call('/v1/openapi.json', { token: null })).json()) as {
      paths: Record<string, { get?: { operationId?: string; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, unknown> };
    };
    const op = doc.paths['/v1/artifacts/{id}/documents/{docId}/training']?.get;
    expect(op?.operationId).toBe('getDocumentTraining');
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['200', '401', '404', '422', '500']);
    expect(doc.components.schemas).toHaveProperty('DocumentTraining');
  });
});
