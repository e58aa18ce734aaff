/**
 * Compile-time checks of what would otherwise fail (or hang) at run time: each problem is refused with its
 * path, its line, and what is allowed; unused datasets are warnings and are not ingested.
 */
import { describe, expect, it } from 'vitest';
import { SPAM_ASSASSIN_GROUPS as LOADED_GROUPS } from '../../../datasets/builtin/spam-assassin.ts';
import { brownGenres } from '../../../datasets/builtin/brown.ts';
import { SUPPORTED_SOURCES } from '../../../datasets/sources.ts';
import { compileRecipe, parseRecipeText, RecipeError, type CompileOptions, type RecipeIssue } from '../../../recipe/index.ts';
import { BROWN_GENRES, BUILTIN_DATASETS, SPAM_ASSASSIN_GROUPS } from '../../../recipe/sources.ts';
import { STAGE_KINDS } from '../../../recipe/stages/index.ts';
import { VALID } from './fixtures.ts';
import { REFUSALS } from './refusals.ts';

function issuesOf(text: string, options?: CompileOptions): RecipeIssue[] {
  const t0 = performance.now();
  try {
    compileRecipe(parseRecipeText(text), options);
  } catch (err) {
    expect(performance.now() - t0).toBeLessThan(1000);
    if (err instanceof RecipeError) return err.issues;
    throw err;
  }
  throw new Error('expected a compile error');
}

const withDataset = (spec: string) => VALID.replace('{ source: builtin:brown, genres: [a, b] }', spec);

describe('dataset sources', () => {
  it('refuses an unknown built-in dataset, listing the known ones and the nearest', () => {
    const [issue] = issuesOf(withDataset('{ source: builtin:brwn }'));
    expect(issue).toMatchObject({ path: 'datasets.web.source', line: 6 });
    expect(issue!.message).toBe('unknown built-in dataset "brwn" (did you mean "brown"?): expected one of builtin:brown, builtin:spam-assassin, builtin:tasks, builtin:eval/brown-cloze');
  });

  it('refuses unknown Brown genres and SpamAssassin groups, naming the allowed values', () => {
    const genres = issuesOf(withDataset('{ source: builtin:brown, genres: [a, newz, news] }'));
    expect(genres).toEqual([expect.objectContaining({ path: 'datasets.web.genres[1]', line: 6, message: expect.stringMatching(/unknown Brown genre "newz" \(did you mean "news"\?\): expected one of a \(news\), b \(editorial\)/) })]);
    const groups = issuesOf(withDataset('{ source: builtin:spam-assassin, groups: [spam-3] }'));
    expect(groups[0]!.message).toBe('unknown SpamAssassin group "spam-3" (did you mean "spam-1"?): expected one of easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2');
    expect(issuesOf(withDataset('{ source: builtin:eval/brown-cloze, genres: [a] }'))[0]).toMatchObject({ path: 'datasets.web.genres', message: '"genres" is only supported by builtin:brown' });
  });

  it('refuses unknown tasks, and the task generator options on other sources, with path and line', () => {
    expect(issuesOf(withDataset('{ source: builtin:tasks, tasks: [addition, sortt] }'))).toEqual([
      { path: 'datasets.web.tasks[1]', line: 6, column: 51, message: 'unknown task "sortt" (did you mean "sort"?): expected one of addition, subtraction, reverse, sort' },
    ]);
    expect(issuesOf(withDataset('{ source: builtin:brown, split: heldout, shape: sft }'))).toEqual([
      expect.objectContaining({ path: 'datasets.web.split', line: 6, message: '"split" is only supported by builtin:tasks' }),
      expect.objectContaining({ path: 'datasets.web.shape', message: expect.stringMatching(/^"shape" is only supported by builtin:tasks and file: sources/) }),
    ]);
    expect(issuesOf(withDataset('{ source: builtin:tasks, shape: pairs }'))[0]).toMatchObject({ path: 'datasets.web.shape', line: 6 });
    expect(issuesOf(withDataset('{ source: builtin:brown, digits: [1, 2] }'))).toEqual([
      expect.objectContaining({ path: 'datasets.web.digits', line: 6, message: '"digits" is only supported by builtin:tasks' }),
    ]);
    expect(issuesOf(withDataset('{ source: builtin:tasks, digits: [3, 1] }'))[0]).toMatchObject({ path: 'datasets.web.digits', message: 'expected [fewest, most] with fewest ≤ most' });
    expect(issuesOf(withDataset('{ source: builtin:tasks, digits: [0, 1] }'))[0]).toMatchObject({ path: 'datasets.web.digits[0]' });
    expect(() => compileRecipe(parseRecipeText(withDataset('{ source: "file:data/pairs.jsonl", shape: preference }')))).not.toThrow();
  });

  it('refuses artifact ids that are not 64 lowercase hex digits, and file sources that are not JSON Lines', () => {
    const [art] = issuesOf(withDataset(`{ source: "artifact:${'A'.repeat(64)}" }`));
    expect(art).toMatchObject({ path: 'datasets.web.source', line: 6, message: expect.stringMatching(/expected artifact:<sha256>, 64 lowercase hex digits/) });
    const [file] = issuesOf(withDataset('{ source: "file:data/notes.txt" }'));
    expect(file!.message).toMatch(/"file:data\/notes\.txt" is not a \.jsonl or \.jsonl\.gz file/);
    expect(() => compileRecipe(parseRecipeText(withDataset('{ source: "file:data/x.jsonl.gz" }')))).not.toThrow();
    expect(() => compileRecipe(parseRecipeText(withDataset(`{ source: "artifact:${'a'.repeat(64)}" }`)))).not.toThrow();
  });

  it('knows the same built-in datasets and options the loaders do', () => {
    expect([...BUILTIN_DATASETS.keys()].map((k) => `builtin:${k}`)).toEqual(SUPPORTED_SOURCES.filter((s) => s.startsWith('builtin:')));
    expect(SPAM_ASSASSIN_GROUPS).toEqual(LOADED_GROUPS);
    expect(BROWN_GENRES).toEqual([...brownGenres()]);
  });
});

describe('sft', () => {
  const SFT = VALID.replace('  web: { source: builtin:brown, genres: [a, b] }\n', '  web: { source: builtin:brown, genres: [a, b] }\n  pairs: { source: builtin:tasks, tasks: [addition], shape: sft }\n');

  it('compiles on a model and a dataset of pairs, every default in its settings', () => {
    const plan = compileRecipe(parseRecipeText(`${SFT}  - id: tuned\n    kind: sft\n    inputs: [base, pairs]\n    with: { steps: 10 }\n`));
    expect(plan.nodes.find((n) => n.id === 'tuned')!.with).toEqual({ steps: 10, batchSize: 8, lr: 1e-3, warmupRatio: 0.03, weightDecay: 0, gradClip: 1, checkpointEvery: 50, maskPrompt: true, backend: 'auto' });
  });

  it('refuses sft on a dataset in place of a model, with path and line', () => {
    const issues = issuesOf(`${SFT}  - id: tuned\n    kind: sft\n    inputs: [pairs]\n`);
    expect(issues).toEqual([expect.objectContaining({ path: 'stages[3].inputs', line: 22, message: 'sft needs at least one model input' })]);
  });

  it('refuses steps with epochs, and an unknown option, with path and line', () => {
    expect(issuesOf(`${SFT}  - id: tuned\n    kind: sft\n    inputs: [base, pairs]\n    with: { steps: 10, epochs: 2 }\n`)[0]).toMatchObject({ path: 'stages[3].with.epochs', line: 23, message: 'give steps or epochs, not both' });
    expect(issuesOf(`${SFT}  - id: tuned\n    kind: sft\n    inputs: [base, pairs]\n    with: { warmup_ratio: 0.1 }\n`)[0]).toMatchObject({ path: 'stages[3].with', line: 23, message: expect.stringMatching(/unknown key "warmup_ratio" \(did you mean "warmupRatio"\?\)/) });
  });
});

describe('timeouts', () => {
  const timed = (t: string, kind = 'pretrain') =>
    VALID.replace('    kind: pretrain\n    inputs: [clean]\n', `    kind: ${kind}\n    inputs: [clean]\n    timeouts: ${t}\n`);

  it('refuses a zero or too short startToClose, and absurdly long ones', () => {
    expect(issuesOf(timed('{ startToClose: 0s }'))[0]).toMatchObject({ path: 'stages[1].timeouts.startToClose', line: 15, message: '"0s" is outside what a stage can work with: expected from 10s to 30d' });
    expect(issuesOf(timed('{ startToClose: 500 }'))[0]!.message).toMatch(/^500 ms is outside/);
    expect(issuesOf(timed(`{ startToClose: ${'9'.repeat(400)}d }`))[0]!.path).toBe('stages[1].timeouts.startToClose');
  });

  it('refuses heartbeats that would not detect a dead worker, or would fire on a live one', () => {
    expect(issuesOf(timed('{ heartbeat: 1h }'))[0]!.message).toMatch(/"1h" is outside what detects a dead worker.*from 3s to 10m/);
    expect(issuesOf(timed('{ heartbeat: 1s }'))[0]!.path).toBe('stages[1].timeouts.heartbeat');
    expect(issuesOf(timed('{ heartbeat: 5m, startToClose: 1m }'))[0]!.message).toMatch(/must be shorter than the attempt/);
    const plan = compileRecipe(parseRecipeText(timed('{ heartbeat: 4s, startToClose: 2h }')));
    expect(plan.nodes.find((n) => n.id === 'base')!.timeouts).toEqual({ startToCloseMs: 7_200_000, heartbeatMs: 4000 });
  });

  it('warns that a heartbeat on a stage that does not heartbeat is ignored', () => {
    const text = VALID.replace('    kind: filter\n    inputs: [web]\n', '    kind: filter\n    inputs: [web]\n    timeouts: { heartbeat: 30s }\n');
    const plan = compileRecipe(parseRecipeText(text));
    expect(plan.warnings).toEqual([expect.objectContaining({ path: 'stages[0].timeouts.heartbeat', line: 11, message: expect.stringMatching(/^ignored: filter stages do not heartbeat/) })]);
  });
});

describe('queues', () => {
  const queued = (q: string) => VALID.replace('    kind: pretrain\n', `    kind: pretrain\n    queue: ${q}\n`);

  it('refuses a queue no Braise worker serves, naming the served ones', () => {
    const [issue] = issuesOf(queued('braise-tpu'));
    expect(issue).toMatchObject({ path: 'stages[1].queue', line: 14 });
    expect(issue!.message).toBe('no Braise worker serves queue "braise-tpu" (did you mean "braise-cpu"?): expected one of braise-cpu, braise-gpu (add a queue your own workers serve to BRAISE_QUEUES)');
    expect(issuesOf(queued('braise-control'))[0]!.path).toBe('stages[1].queue');
  });

  it('accepts a queue listed in BRAISE_QUEUES', () => {
    const plan = compileRecipe(parseRecipeText(queued('braise-gpu-a100')), { queues: ['braise-gpu-a100'] });
    expect(plan.nodes.find((n) => n.id === 'base')!.queue).toBe('braise-gpu-a100');
  });
});

describe('training memory', () => {
  const huge = VALID.replace('{ layers: 1, dModel: 32, heads: 2, context: 32 }', '{ layers: 48, dModel: 4096, heads: 64, context: 4096 }').replace('batchSize: 4,', 'batchSize: 4096,');

  it('refuses a training stage whose estimate exceeds the worker, naming the estimate and the limit', () => {
    const [issue] = issuesOf(huge, { workerMemoryBytes: 23.4 * 1024 ** 3 });
    expect(issue).toMatchObject({ path: 'stages[1].with', line: 15 });
    expect(issue!.message).toMatch(/^estimated training memory [\d.]+ PiB exceeds the worker's 23\.4 GiB \(BRAISE_WORKER_MEMORY\)/);
  });

  it('holds the wasm backend to its 4 GiB', () => {
    const mid = VALID.replace('{ layers: 1, dModel: 32, heads: 2, context: 32 }', '{ layers: 12, dModel: 768, heads: 12, context: 1024 }').replace('batchSize: 4,', 'batchSize: 8, backend: wasm,');
    expect(issuesOf(mid, { workerMemoryBytes: 1024 ** 4 })[0]!.message).toMatch(/exceeds the wasm backend's 4\.0 GiB/);
  });

  it('passes the test recipe comfortably on a small worker', () => {
    expect(() => compileRecipe(parseRecipeText(VALID), { workerMemoryBytes: 1024 ** 3 })).not.toThrow();
  });
});

describe('unused datasets', () => {
  it('are a warning with a line, and get no ingest node', () => {
    const text = VALID.replace('datasets:\n', 'datasets:\n  spare: { source: builtin:spam-assassin }\n');
    const plan = compileRecipe(parseRecipeText(text));
    expect(plan.warnings).toEqual([{ path: 'datasets.spare', line: 6, column: 10, message: 'dataset "spare" is not used by any stage: it will not be ingested' }]);
    expect(plan.nodes.filter((n) => n.kind === 'ingest').map((n) => n.id)).toEqual(['web']);
  });

  it('count as used when referenced from a with block', () => {
    const text = VALID.replace('datasets:\n', 'datasets:\n  evals: { source: builtin:eval/brown-cloze }\n').replace(
      'with: { rules: [gopher-quality, gopher-repetition] }',
      'with: { rules: [gopher-quality], decontaminate: { against: [evals] } }',
    );
    expect(compileRecipe(parseRecipeText(text)).warnings).toEqual([]);
  });
});

describe('errors name what is allowed', () => {
  it('a bad filter rule lists the rules', () => {
    const [issue] = issuesOf(VALID.replace('rules: [gopher-quality, gopher-repetition]', 'rules: [gopher]'));
    expect(issue).toMatchObject({ path: 'stages[0].with.rules[0]', line: 11 });
    expect(issue!.message).toMatch(/^unknown value "gopher": expected one of "gopher-quality", "gopher-repetition", "c4", "fineweb"; or expected an object/);
  });

  it('a misspelt kind names the kinds and the nearest', () => {
    expect(issuesOf(VALID.replace('kind: pretrain', 'kind: pretrian'))[0]!.message).toBe(
      `unknown kind "pretrian" (did you mean "pretrain"?): expected one of ${STAGE_KINDS.join(', ')}`,
    );
  });

  it('an unknown key lists the allowed keys, an enum its values', () => {
    expect(issuesOf(VALID.replace('checkpointEvery: 10', 'checkpointEvry: 10'))[0]!.message).toMatch(/^unknown key "checkpointEvry" \(did you mean "checkpointEvery"\?\) \(allowed: steps, batchSize, lr/);
    expect(issuesOf(VALID.replace('    inputs: [base]\n', '    inputs: [base]\n    with: { tasks: [{ task: generat, data: web }] }\n'))[0]!.message).toBe('unknown task "generat" (did you mean "generate"?): expected one of perplexity, generate, multiple_choice');
  });

  it('compile errors carry lines: an unknown input', () => {
    const issues = issuesOf(VALID.replace('inputs: [clean]', 'inputs: [claen]'));
    expect(issues.map((i) => [i.path, i.line])).toEqual([['stages[1].inputs[0]', 14]]);
    expect(issues[0]!.message).toMatch(/unknown input "claen" \(did you mean "clean"\?\)/);
  });
});

describe('what is not built or not known', () => {
  it.each(REFUSALS)('refuses $name with its path, line and what is available', ({ text, path, line, message }) => {
    expect(issuesOf(text)).toEqual([expect.objectContaining({ path, line, message })]);
  });

  it('refuses the old evaluate task names, saying what to write now, and accepts the new ones', () => {
    const evaluate = (tasks: string) => VALID.replace('    inputs: [base]\n', `    inputs: [base]\n    with: { tasks: ${tasks} }\n`);
    const issues = issuesOf(evaluate('[multiple-choice, perplexity-by-domain, exact-match]'));
    expect(issues.map((i) => i.path)).toEqual(['stages[2].with.tasks[0]', 'stages[2].with.tasks[1]', 'stages[2].with.tasks[2]']);
    expect(issues[1]!.message).toBe('task "perplexity-by-domain" is now "perplexity" (its metrics are perplexity/<domain>/bits_per_byte): write tasks: [perplexity]');
    expect(issues[2]!.message).toMatch(/^task "exact-match" is now a generate task: write \{ task: generate, data: /);
    expect(compileRecipe(parseRecipeText(evaluate('[perplexity]'))).nodes.find((n) => n.id === 'eval')?.with).toEqual({ tasks: [{ task: 'perplexity', name: 'perplexity' }] });
  });
});
