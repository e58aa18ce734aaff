import { fileURLToPath } from 'node:url';

/** Three junk documents (too short, repetitive, symbols) the filter must reject. */
export const NOISE = fileURLToPath(new URL('../fixtures/noise.jsonl', import.meta.url));

/** Small real recipes for integration tests: real Brown text plus junk, tiny models, a few seconds of training. */
export function tinyRecipe(opts: { name?: string; steps?: number; checkpointEvery?: number; heartbeat?: string; genres?: string[] } = {}): string {
  // science_fiction (6 documents) and humor (9): small, and two domains to report on.
  const genres = opts.genres ?? ['m', 'r'];
  return `apiVersion: braise/v1
name: ${opts.name ?? 'tiny'}
seed: 11
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [${genres.join(', ')}] }
  noise: { source: "file:${NOISE}" }
stages:
  - id: clean
    kind: filter
    inputs: [web, noise]
    # A stricter length threshold than Gopher's 50 words, so real Brown documents are rejected too.
    with: { rules: [{ gopher-quality: { minDocWords: 2050 } }, gopher-repetition] }
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
