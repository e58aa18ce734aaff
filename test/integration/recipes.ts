/** Small real recipes for integration tests: real Brown text, tiny models, a few seconds of training. */
export function tinyRecipe(opts: { name?: string; steps?: number; checkpointEvery?: number; heartbeat?: string; genres?: string[]; limit?: number } = {}): string {
  const genres = opts.genres ?? ['a', 'f'];
  return `apiVersion: braise/v1
name: ${opts.name ?? 'tiny'}
seed: 11
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [${genres.join(', ')}], limit: ${opts.limit ?? 40} }
stages:
  - id: clean
    kind: filter
    inputs: [web]
    with: { rules: [gopher-quality, gopher-repetition] }
  - id: base
    kind: pretrain
    inputs: [clean]
    with: { steps: ${opts.steps ?? 40}, batchSize: 8, lr: 1e-2, checkpointEvery: ${opts.checkpointEvery ?? 10}, holdout: 0.2 }
${opts.heartbeat ? `    timeouts: { heartbeat: ${opts.heartbeat} }\n` : ''}  - id: eval
    kind: evaluate
    inputs: [base]
    with: { maxDocsPerDomain: 2 }
`;
}
