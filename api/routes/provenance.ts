/**
 * `GET /v1/artifacts/:id/documents/:docId/training`: which runs, stages and checkpoint windows
 * trained on a document of a dataset (directly, or through datasets derived from it), with the
 * document's token ranges each window read. Its own file so the artifact routes stay small.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiApp } from '../context.ts';
import { authenticated, errorResponses, json } from '../openapi.ts';
import { text } from '../schemas.ts';
import type { DocumentTraining } from '../../service/contract.ts';
import type { RunService } from '../../service/contract.ts';

const DocumentParams = z.object({
  id: text().min(1).max(256).openapi({ param: { name: 'id', in: 'path' }, description: 'A dataset artifact id (sha256).' }),
  docId: text().min(1).max(1024).openapi({ param: { name: 'docId', in: 'path' }, description: 'A document id of that dataset (URL-encoded).' }),
});

const TokenRangeSchema = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

export const DocumentTrainingSchema = z
  .object({
    artifactId: z.string(),
    docId: z.string(),
    training: z.array(
      z.object({
        runId: z.string(),
        stageId: z.string(),
        datasetArtifactId: z.string().openapi({ description: 'The dataset the trainer read the document from: the one asked about or one derived from it (filter, mix).' }),
        fromStep: z.number().int().nonnegative().openapi({ description: 'The window is optimizer steps fromStep+1 … checkpointStep.' }),
        checkpointStep: z.number().int().positive(),
        tokenRanges: z.array(TokenRangeSchema).openapi({ description: 'Token offsets [start, end) within the document (its EOS included) that the window read; disjoint, sorted.' }),
        modelArtifactId: z.string().nullable().openapi({ description: 'The model the stage produced; null while it trains.' }),
      }),
    ),
  })
  .openapi('DocumentTraining');

// Fails to compile if the service's result drifts from the documented schema.
const _sameShape: DocumentTraining extends z.infer<typeof DocumentTrainingSchema> ? true : never = true;
void _sameShape;

const getDocumentTraining = createRoute({
  method: 'get',
  path: '/v1/artifacts/{id}/documents/{docId}/training',
  operationId: 'getDocumentTraining',
  tags: ['artifacts'],
  summary: 'Which runs, stages and checkpoints trained on a document, with its token ranges',
  description:
    'Searches the dataset and every dataset derived from it (document ids survive filter and mix). Training order is recorded when a training stage finishes; default and mixture sampling and dataset decomposition are covered. An empty `training` list means no recorded training read the document (held out, filtered, or not trained yet).',
  security: authenticated,
  request: { params: DocumentParams },
  responses: {
    200: { description: 'Every checkpoint window that read the document', content: json(DocumentTrainingSchema) },
    ...errorResponses(401, 404, 422, 500),
  },
});

export function registerProvenanceRoutes(app: ApiApp, service: RunService): void {
  app.openapi(getDocumentTraining, async (c) => {
    const { id, docId } = c.req.valid('param');
    return c.json(await service.documentTraining(id, docId), 200);
  });
}
