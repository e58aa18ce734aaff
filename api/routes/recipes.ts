/** `/v1/recipes`: validate and compile a recipe without running it. */
import { createRoute } from '@hono/zod-openapi';
import { RECIPE_MEDIA_TYPES, isYamlBody, recipeBody, readYamlBody, requireContentType } from '../body.ts';
import type { ApiApp } from '../context.ts';
import { authenticated, errorResponses, json } from '../openapi.ts';
import { RecipeJsonSchema, ValidateResultSchema } from '../schemas.ts';
import type { RunService } from '../../service/contract.ts';

const validateRecipe = createRoute({
  method: 'post',
  operationId: 'validateRecipe',
  path: '/v1/recipes/validate',
  tags: ['recipes'],
  summary: 'Validate and compile a recipe',
  description:
    'Answers the compiled plan and any warnings (e.g. a dataset no stage uses), or 422 listing every problem with its path (and line, for YAML), each naming what is allowed. Recipes beyond the documented limits (size, stages, datasets, nesting, string length, NUL characters) are 422 too.',
  security: authenticated,
  middleware: [requireContentType(RECIPE_MEDIA_TYPES)] as const,
  request: {
    body: recipeBody(RecipeJsonSchema),
  },
  responses: {
    200: { description: 'The recipe is valid; its compiled plan', content: json(ValidateResultSchema) },
    ...errorResponses(400, 401, 413, 415, 422, 500),
  },
});

export function registerRecipeRoutes(app: ApiApp, service: RunService): void {
  app.openapi(validateRecipe, async (c) => {
    const recipe = isYamlBody(c) ? await readYamlBody(c) : c.req.valid('json');
    const plan = await service.validate(recipe);
    return c.json({ plan, warnings: plan.warnings ?? [] }, 200);
  });
}
